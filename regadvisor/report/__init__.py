"""The HTML report: ReportData (no HTML), plots (inline SVG), one Jinja2 template.

The names below load on first use: the submodules that need no plotting (``format``, ``code``,
``snippet``) are imported without matplotlib, which the plots need and which takes about a
second to import.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from regadvisor.report.model import ReportData, build_report_data
    from regadvisor.report.render import render_html, render_report

__all__ = ["ReportData", "build_report_data", "render_html", "render_report"]

_HOMES = {"ReportData": "model", "build_report_data": "model", "render_html": "render",
          "render_report": "render"}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
