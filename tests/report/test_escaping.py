"""Every user-provided string reaches the page as text, never as markup.

The hostile run (see ``conftest.hostile_run``) puts ``<script>``, an ``<img onerror>``, both
quotes and an ampersand into the model's class name, the experiment's folder and file name, a
user rule file (title, advice, why, guide section, snippet, verdict reason), the command line
and the study name, and runs the real ``advise`` on it.
"""

from __future__ import annotations

import html
import json

from tests.report._html import parse
from tests.report.conftest import HOSTILE, payload, report_data


def test_every_injected_string_appears_escaped(hostile_run):
    page = (hostile_run / "report.html").read_text(encoding="utf-8")
    run = json.loads((hostile_run / "report.json").read_text())
    # The strings really went through the pipeline into report.json...
    assert payload("model") == run["experiment"]["model_class"]
    assert payload("path") in run["experiment"]["source"]
    assert run["diagnosis"]["findings"][0]["title"] == payload("title")
    assert run["diagnosis"]["verdict"]["reason"] == payload("verdict")
    assert run["command"] == payload("command")
    assert run["tuning"]["study_name"] == payload("study")
    # ... and came out escaped: markup and both quotes as entities, the ampersand doubled.
    for where in HOSTILE:
        raw = f'<script>alert("{where}")</script>' if where != "name" else \
            f'<script>alert("{where}")<script>'
        assert raw not in page, where
        assert html.escape(raw, quote=True).replace("&quot;", "&#34;") in page, where
    assert "<img src=x" not in page
    assert "onerror=&#39;alert(1)&#39;&gt;&amp;amp;" in page


def test_no_executable_markup_in_the_page(hostile_run):
    page = parse((hostile_run / "report.html").read_text(encoding="utf-8"))
    assert page.tags("script") == []
    assert page.tags("img") == []  # the report has no images of its own; these would be injected
    handlers = [(e.tag, a) for e in page.elements for a in e.attrs if a.startswith("on")]
    assert handlers == []
    urls = [v for e in page.elements for k, v in e.attrs.items()
            if k in ("href", "src", "action", "formaction") and v]
    assert not [u for u in urls if u.strip().lower().startswith(("javascript:", "data:text"))]
    # The payload survives as text: a reader sees exactly what was typed.
    text = "".join(page.text)
    for where in ("model", "title", "advice", "why", "source", "verdict", "command", "study"):
        assert payload(where) in text, where


def test_the_code_snippet_keeps_user_text_in_comments(hostile_run):
    """The class name goes into a ``#`` comment of the generated code, on one line."""
    page = parse((hostile_run / "report.html").read_text(encoding="utf-8"))
    code = "".join(page.text)
    line = next(x for x in code.splitlines() if "For your" in x)
    assert line.lstrip().startswith("# ") and payload("model") in line
    # Wherever the class name appears (the header names `model` by it too), it is in a comment.
    emitted = report_data(hostile_run).change.code
    lines = [x for x in emitted.splitlines() if payload("model") in x]
    assert len(lines) >= 2 and all(x.lstrip().startswith("#") for x in lines)
