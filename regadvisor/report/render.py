"""Rendering: one Jinja2 template with autoescape, written atomically as report.html."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import jinja2
from markupsafe import Markup

from regadvisor._io import atomic_write_text
from regadvisor.report.model import build_report_data

__all__ = ["render_html", "render_report"]


def _num(v: Any, spec: str = ".4g") -> str:
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        if not math.isfinite(v):
            return "n/a"
        return format(v, spec)
    return str(v)


def _pct(v: Any) -> str:
    return "n/a" if v is None else f"{v:.1%}"


def _svg(markup: str | None) -> Markup:
    """SVG produced by our own plotting code (never user text) is inserted as is."""
    return Markup(markup or "")


def _env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("regadvisor.report", "templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"], default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(num=_num, pct=_pct, svg=_svg,
                       title_case=lambda s: str(s).replace("_", " ").capitalize())
    return env


def render_html(run: dict[str, Any]) -> str:
    """The report as one self-contained HTML string."""
    data = build_report_data(run)
    return _env().get_template("report.html.j2").render(d=data)


def render_report(run: Any, run_dir: Path) -> Path:
    """Render ``report.html`` into ``run_dir`` from a RunResult (or its dict)."""
    payload = run.to_dict() if hasattr(run, "to_dict") else run
    # Round-trip through JSON: the report shows exactly what report.json holds.
    payload = json.loads(json.dumps(payload))
    return atomic_write_text(Path(run_dir) / "report.html", render_html(payload))
