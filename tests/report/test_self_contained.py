"""The report is one file: nothing in it points outside itself."""

from __future__ import annotations

import re

import pytest

from tests.report._html import parse

#: Attributes that make a browser fetch or navigate.
URL_ATTRIBUTES = ("src", "href", "xlink:href", "action", "formaction", "data", "poster",
                  "srcset", "background", "manifest", "ping")


def _reports(request) -> list:
    runs = [request.getfixturevalue("small_run"), request.getfixturevalue("regression_run")]
    runs += list(request.getfixturevalue("partial_runs").values())
    return [r / "report.html" for r in runs]


@pytest.fixture
def reports(request):
    return _reports(request)


def test_no_http_reference_in_src_or_href(reports):
    for path in reports:
        page = parse(path.read_text(encoding="utf-8"))
        urls = [(e.tag, k, v) for e in page.elements for k, v in e.attrs.items()
                if k in URL_ATTRIBUTES and v]
        assert urls, path  # the navigation links are there, so the check looks at something
        outside = [u for u in urls if re.match(r"\s*(https?:)?//", u[2], re.I)]
        assert outside == [], (path, outside)
        # Every reference stays inside the page: an anchor or an SVG definition.
        assert all(v.startswith("#") for _, _, v in urls), (path, urls)


def test_nothing_is_loaded_from_outside(reports):
    for path in reports:
        text = path.read_text(encoding="utf-8")
        page = parse(text)
        for tag in ("script", "link", "iframe", "object", "embed", "img", "video", "audio",
                    "source", "base", "form"):
            assert page.tags(tag) == [], (path, tag)
        styles = "\n".join(page.styles)
        assert "@import" not in styles and not re.search(r"url\(\s*['\"]?(?!#)", styles), path
        # Not even a namespace URL: the inlined SVG carries none.
        assert "http://" not in text and "https://" not in text, path
        assert text.count("<svg") == text.count("</svg>") > 0
