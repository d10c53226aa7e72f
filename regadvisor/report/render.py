"""Rendering: one Jinja2 template with autoescape, written atomically as report.html.

Every string from report.json (model class, experiment path, rule texts, the command line) is
escaped by Jinja's autoescape; the only markup inserted as is comes from :mod:`plots` (SVG drawn
by matplotlib from numbers, with no user text in it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from regadvisor import _format as fmt
from regadvisor._io import atomic_write_text
from regadvisor._record import to_plain
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


def render_html(run: dict[str, Any]) -> str:
    """The report as one self-contained HTML string."""
    data = build_report_data(run)
    return _env().get_template("report.html.j2").render(d=data)


def render_report(run: Any, run_dir: Path, path: Path | None = None) -> Path:
    """Render ``report.html`` into ``run_dir`` (or to ``path``) from a RunResult (or its dict).

    Returns:
        The path of the written file.

    Raises:
        DiskFullError: The disk filled up.
        ConfigError: The folder cannot be written.
    """
    payload = run if isinstance(run, dict) else to_plain(run)
    # Round-trip through JSON: the report shows exactly what report.json holds.
    payload = json.loads(json.dumps(payload))
    return atomic_write_text(path or Path(run_dir) / "report.html", render_html(payload))
