"""Read a report the way a browser's parser does (stdlib ``html.parser``), for static checks."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Element:
    tag: str
    attrs: dict[str, str | None]


@dataclass
class Page:
    elements: list[Element] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)   # <style> contents and style attributes

    def tags(self, name: str) -> list[Element]:
        return [e for e in self.elements if e.tag == name]


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.page = Page()
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        element = Element(tag, dict(attrs))
        self.page.elements.append(element)
        if element.attrs.get("style"):
            self.page.styles.append(element.attrs["style"])
        self._in_style = tag == "style"

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        self._in_style = False

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        (self.page.styles if self._in_style else self.page.text).append(data)


def parse(html: str) -> Page:
    parser = _Parser()
    parser.feed(html)
    parser.close()
    return parser.page
