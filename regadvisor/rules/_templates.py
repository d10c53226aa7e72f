"""Templates: advice, reasons and verdict sentences with ``{fact}`` and ``{fact:.3f}`` in them.

A template is cut into literal text and placeholders by one regular expression, each placeholder
is checked at load time (a known fact, a format from a short list), and a value is rendered with
the built-in :func:`format` in the house style (:func:`regadvisor._format.formatted`: ``:.1%``
writes ``45.6 %``). ``str.format`` is never called on a template, so ``{x.__class__}``
or ``{0}`` cannot reach anything: they are load errors.

Rendering: ``None`` is ``n/a``; a bool is ``yes`` / ``no``; a float without a format is shown
with 4 significant digits (``:.4g``); ``{{`` and ``}}`` are literal braces.
"""

from __future__ import annotations

import functools
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from regadvisor._format import formatted
from regadvisor.rules._errors import ExpressionError, did_you_mean, shorten
from regadvisor.rules._names import SCOPES, is_bool

__all__ = ["MAX_TEMPLATE_CHARS", "Template", "compile_template"]

MAX_TEMPLATE_CHARS = 10_000

_TOKEN = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
_PLACEHOLDER = re.compile(r"(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?::(?P<spec>.*))?", re.DOTALL)
_SPEC = re.compile(
    r"(?:(?P<fill>[^{}\n])?(?P<align>[<>^=]))?(?P<sign>[-+ ]?)(?P<zero>0?)(?P<width>\d{0,2})"
    r"(?P<grouping>[,_]?)(?:\.(?P<precision>\d{1,2}))?(?P<type>[efgd%]?)")
_HOW = "; write {fact} or {fact:.3f} with a fact name, and {{ or }} for a literal brace"
_FORMATS = "; use a format such as :.3f, :.1%, :.2e, :g or :d"


@dataclass(frozen=True)
class Template:
    """A checked template.

    Attributes:
        text: The template as written.
        parts: Literal text (``str``) and placeholders (``(fact, format spec)``), in order.
        facts: The facts it names, in order of first appearance.
    """

    text: str
    parts: tuple[str | tuple[str, str], ...]
    facts: tuple[str, ...]

    def render(self, facts: Mapping[str, Any]) -> str:
        """The text with each placeholder replaced by its fact's value (missing: ``n/a``)."""
        out = []
        for part in self.parts:
            out.append(part if isinstance(part, str) else render_value(facts.get(part[0]),
                                                                      part[1]))
        return "".join(out)


def compile_template(text: str, scope: str = "rule") -> Template:
    """Check a template and cut it into parts.

    Args:
        text: The template, e.g. ``"Validation loss {val_loss:.3f} is high."``.
        scope: ``"rule"`` (the facts and ``verdict``) or ``"verdict"`` (the facts only).

    Returns:
        The :class:`Template` (cached by text and scope).

    Raises:
        ExpressionError: (a ``RulesError``) for a placeholder that is not ``{fact}`` or
            ``{fact:format}``, an unknown fact, a format that does not fit the fact, or a lone
            brace.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"a template must be text, got {type(text).__name__}")
    return _compile(text, scope)


@functools.lru_cache(maxsize=4096)
def _compile(text: str, scope: str) -> Template:
    if len(text) > MAX_TEMPLATE_CHARS:
        raise ExpressionError(f"the text is too long ({len(text)} characters, at most "
                              f"{MAX_TEMPLATE_CHARS})")
    names = SCOPES[scope]
    parts: list[str | tuple[str, str]] = []
    seen: list[str] = []
    pos = 0
    for match in _TOKEN.finditer(text):
        literal = text[pos:match.start()]
        token = match.group(0)
        pos = match.end()
        if token in ("{{", "}}"):
            literal += token[0]
        elif token in ("{", "}"):
            raise ExpressionError(f"a lone '{token}' at character {match.start() + 1}", _HOW)
        if literal:
            if parts and isinstance(parts[-1], str):
                parts[-1] += literal
            else:
                parts.append(literal)
        if match.group(1) is None:
            continue
        name, spec = _placeholder(match.group(1), names)
        parts.append((name, spec))
        if name not in seen:
            seen.append(name)
    if text[pos:]:
        if parts and isinstance(parts[-1], str):
            parts[-1] += text[pos:]
        else:
            parts.append(text[pos:])
    return Template(text=text, parts=tuple(parts), facts=tuple(seen))


def _placeholder(content: str, names: Mapping[str, str]) -> tuple[str, str]:
    shown = "{" + shorten(content, 40) + "}"
    match = _PLACEHOLDER.fullmatch(content)
    if match is None:
        raise ExpressionError(f"the placeholder '{shown}' is not allowed", _HOW)
    name, spec = match.group("name"), match.group("spec") or ""
    if name.startswith("__"):
        raise ExpressionError(f"the placeholder '{shown}' is not allowed", _HOW)
    if name not in names:
        raise ExpressionError(f"unknown fact '{name}'", did_you_mean(name, names))
    parsed = _SPEC.fullmatch(spec)
    if parsed is None:
        raise ExpressionError(f"the format ':{shorten(spec, 20)}' in '{shown}' is not allowed",
                              _FORMATS)
    kind = names[name]
    numeric = [k for k in ("sign", "zero", "grouping", "precision", "type") if parsed.group(k)]
    if kind != "number" and (numeric or parsed.group("align") == "="):
        raise ExpressionError(
            f"the format ':{spec}' in '{shown}' needs a number, but '{name}' is a {kind} fact",
            "; a text or yes/no value takes only a width and an alignment, e.g. {optimizer:>8}")
    if parsed.group("type") == "d" and parsed.group("precision"):
        raise ExpressionError(f"the format ':{spec}' in '{shown}' gives a precision to an "
                              "integer", "; use :d for a whole number or :.2f for decimals")
    return name, spec


def render_value(value: Any, spec: str = "") -> str:
    """One value as text: ``n/a`` for ``None``, ``yes``/``no`` for a bool, else ``format``.

    Args:
        value: The fact's value.
        spec: A format spec already checked by :func:`compile_template` (may be empty).
    """
    if value is None:
        return "n/a"
    if is_bool(value):
        value = "yes" if value else "no"
    if isinstance(value, str):
        try:
            return format(value, spec)
        except ValueError:
            return value
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return str(number)
    try:
        if spec.endswith("d"):
            return format(round(number), spec)
        if not spec:
            if isinstance(value, float) or not number.is_integer():
                return format(number, ".4g")
            return str(value)
        return formatted(value, spec)
    except (TypeError, ValueError):
        return str(value)
