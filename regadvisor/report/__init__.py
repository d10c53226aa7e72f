"""The HTML report: ReportData (no HTML), plots (inline SVG), one Jinja2 template.

The names below load on first use: the submodules that need no plotting (``format``, ``code``,
``snippet``) are imported without matplotlib, which the plots need and which takes about a
second to import.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from regadvisor._lazy import lazy_names

if TYPE_CHECKING:
    from regadvisor.report.model import ReportData, build_report_data
    from regadvisor.report.render import render_html, render_report

__all__ = ["ReportData", "build_report_data", "render_html", "render_report"]

__getattr__ = lazy_names(__name__, {
    "ReportData": "regadvisor.report.model", "build_report_data": "regadvisor.report.model",
    "render_html": "regadvisor.report.render", "render_report": "regadvisor.report.render"})
