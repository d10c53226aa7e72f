"""The HTML report: ReportData (no HTML), plots (inline SVG), one Jinja2 template."""

from regadvisor.report.model import ReportData, build_report_data
from regadvisor.report.render import render_html, render_report

__all__ = ["ReportData", "build_report_data", "render_html", "render_report"]
