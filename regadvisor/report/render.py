"""Rendering: one Jinja2 template with autoescape, written atomically as report.html.

Every string from report.json (model class, experiment path, rule texts, the command line) is
escaped by Jinja's autoescape; the only markup inserted as is comes from :mod:`plots` (SVG drawn
by matplotlib from numbers, with no user text in it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from regadvisor import _format as fmt
from regadvisor._io import atomic_write_text
from regadvisor._record import from_plain, to_plain
from regadvisor.pipeline._record import RunResult
from regadvisor.report.model import build_report_data

__all__ = ["render_html", "render_report"]


def _svg(markup: str | None) -> Markup:
    """SVG produced by our own plotting code (never user text) is inserted as is."""
    return Markup(markup or "")


def _title_case(s: Any) -> str:
    return str(s).replace("_", " ").capitalize()


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("regadvisor.report", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(
        num=fmt.num, pct=fmt.pct, sig=fmt.sig, signed=fmt.signed, svg=_svg,
        metric_value=fmt.metric_value, setting_label=fmt.setting_label,
        setting_value=fmt.setting_value, title_case=_title_case,
    )
    return env


def _as_saved(run: RunResult | Mapping[str, Any]) -> RunResult:
    """The record as ``report.json`` holds it: a round trip through JSON, so that the report
    shows exactly what the file says (non-finite numbers as missing, tuples as lists)."""
    payload = run if isinstance(run, Mapping) else to_plain(run)
    return from_plain(RunResult, json.loads(json.dumps(payload)))


def render_html(run: RunResult | Mapping[str, Any]) -> str:
    """The report as one self-contained HTML string, from a RunResult (or its dict)."""
    data = build_report_data(_as_saved(run))
    return _env().get_template("report.html.j2").render(d=data)


def render_report(run: RunResult | Mapping[str, Any], run_dir: Path,
                  path: Path | None = None) -> Path:
    """Render ``report.html`` into ``run_dir`` (or to ``path``) from a RunResult (or its dict).

    Returns:
        The path of the written file.

    Raises:
        DiskFullError: The disk filled up.
        ConfigError: The folder cannot be written.
    """
    return atomic_write_text(path or Path(run_dir) / "report.html", render_html(run))
