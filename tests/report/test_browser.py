"""The report as a person reads it: real reports opened in headless Chromium from file://.

The network is off (offline emulation, every http/https/ws URL blocked, no host resolves), so a
reference to anything outside the file fails loudly. A full-page screenshot of each report is
saved under ``test-artifacts/`` for a human to look at.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path

import pytest

from regadvisor.report.model import SECTIONS
from tests.report._browser import PageVisit, open_page
from tests.report.conftest import ARTIFACTS, HOSTILE, payload, report_data

pytestmark = pytest.mark.browser

#: Evaluated in the loaded page; returns what a reader would see.
PROBE = """(() => {
  const visible = (el) => {
    const r = el.getBoundingClientRect(), s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.display !== "none" && s.visibility !== "hidden"
      && parseFloat(s.opacity) > 0;
  };
  const verdict = document.querySelector("#verdict");
  return {
    verdict: verdict ? {text: verdict.innerText, visible: visible(verdict)} : null,
    headings: [...document.querySelectorAll("section > h2")].map((h) => (
      {text: h.innerText.trim(), visible: visible(h), section: h.parentElement.id})),
    images: [...document.images].map((i) => (
      {src: i.src.slice(0, 60), width: i.naturalWidth, height: i.naturalHeight})),
    figures: [...document.querySelectorAll("svg")].filter((s) => !s.parentElement.closest("svg"))
      .map((s) => {
        const r = s.getBoundingClientRect(), box = s.viewBox.baseVal;
        return {width: r.width, height: r.height, natural: box ? [box.width, box.height] : [0, 0],
                marks: s.querySelectorAll("path, use").length, visible: visible(s)};
      }),
    scripts: document.scripts.length,
    handlers: [...document.querySelectorAll("*")].flatMap((el) => [...el.attributes]
      .filter((a) => a.name.startsWith("on")).map((a) => el.tagName + " " + a.name)),
    text: document.body.innerText,
    links: [...document.querySelectorAll("a[href]")].map((a) => a.getAttribute("href")),
  };
})()"""


def _visit(html: Path, name: str, chromium: str) -> PageVisit:
    shot = ARTIFACTS / f"report-{name}.png"
    visit = open_page(html, PROBE, screenshot=shot, chromium=chromium)
    # Nothing went wrong while loading: no console errors, no failed or outside requests.
    assert visit.errors == [], visit.errors
    assert visit.failed == [], visit.failed
    assert visit.dialogs == []
    assert visit.requests == [html.resolve().as_uri()], visit.requests
    # The screenshot is a real full-page PNG.
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    assert width == 1100 and height > 1500
    return visit


def _check_readable(visit: PageVisit, run_dir: Path) -> None:
    page = visit.probe
    assert page["verdict"]["visible"]
    # The change's heading follows the decision; the others are fixed.
    sections = report_data(run_dir).sections
    assert [h["text"] for h in page["headings"]] == [heading for _, heading in sections]
    assert all(h["visible"] for h in page["headings"]), page["headings"]
    assert [h["section"] for h in page["headings"]] == [anchor for anchor, _ in SECTIONS]
    for image in page["images"]:
        assert image["width"] > 0 and image["height"] > 0, image
    for fig in page["figures"]:
        assert fig["visible"] and fig["width"] > 50 and fig["height"] > 50, fig
        assert fig["natural"][0] > 0 and fig["natural"][1] > 0 and fig["marks"] > 10, fig
    assert page["scripts"] == 0 and page["handlers"] == []
    anchors = {a for a, _ in SECTIONS} | {"verdict"}
    assert all(link[1:] in anchors for link in page["links"]), page["links"]


def test_complete_report_reads_in_a_browser(small_run, chromium):
    run = json.loads((small_run / "report.json").read_text())
    visit = _visit(small_run / "report.html", "complete", chromium)
    _check_readable(visit, small_run)
    page = visit.probe
    verdict = page["verdict"]["text"]
    ver = run["verification"]
    before = sum(r["metric"] for r in ver["baseline"]["runs"]) / len(ver["baseline"]["runs"])
    after = sum(r["metric"] for r in ver["recommended"]["runs"]) / len(ver["recommended"]["runs"])
    # The verdict box says what is wrong and what the change measured, with the numbers.
    assert run["diagnosis"]["verdict"]["name"].replace("_", " ") in verdict.lower()
    assert f"{before * 100:.1f} %" in verdict and f"{after * 100:.1f} %" in verdict
    assert f"{ver['metric']['mean_diff'] * 100:+.2f} points" in verdict
    assert "calibration error (ECE)" in verdict
    # Every figure of a complete classification run is drawn: learning curves, gap, diagnostic
    # run, optimization history, importances, slices, seed points (2), paired differences,
    # reliability diagram, entropy.
    n_slices = len(run["tuning"]["space"]["params"])
    assert len(page["figures"]) >= 10 + n_slices, len(page["figures"])
    assert "PED-ANOVA" in page["text"]
    assert "MC dropout, T = 20" in page["text"]
    assert "optuna-dashboard sqlite:" in page["text"]
    if run["recommendation"]["decision"] == "adopted":
        assert "torch.optim.AdamW(" in page["text"]
    else:  # the change tried is folded away: not something to paste
        assert "torch.optim.AdamW(" not in page["text"]
        assert "The change tried, in code for a plain PyTorch loop (not adopted)" in page["text"]


def test_regression_report_reads_in_a_browser(regression_run, chromium):
    visit = _visit(regression_run / "report.html", "regression", chromium)
    _check_readable(visit, regression_run)
    text = visit.probe["text"]
    run = json.loads((regression_run / "report.json").read_text())
    verdict = visit.probe["verdict"]["text"]
    before = sum(r["loss"] for r in run["verification"]["baseline"]["runs"]) / 2
    assert f"test loss {before:.4f} → " in verdict
    assert "accuracy" not in verdict and "ECE" not in verdict
    assert "Calibration and predictive entropy apply to classification" in text


@pytest.mark.parametrize("name", ["after-diagnosis", "after-tuning"])
def test_partial_report_reads_in_a_browser(partial_runs, chromium, name):
    visit = _visit(partial_runs[name] / "report.html", f"partial-{name}", chromium)
    _check_readable(visit, partial_runs[name])
    text = visit.probe["text"]
    assert "This report is partial: Interrupted during" in text
    assert "Verification did not run" in text
    if name == "after-diagnosis":
        assert "Tuning did not run" in text
    else:
        assert "A candidate from tuning, not verified" in text
        assert "Tuning did not run" not in text


def test_hostile_strings_stay_text_in_a_browser(hostile_run, chromium):
    visit = _visit(hostile_run / "report.html", "hostile", chromium)
    _check_readable(visit, hostile_run)
    text = visit.probe["text"]
    # Each injected string is shown as the literal text it is.
    for where in HOSTILE:
        assert f'<script>alert("{where}")' in text, where
    assert payload("command") in text  # quotes, markup and the ampersand, all as typed
