"""The error of a condition or template, before it knows which field of which rule it is in."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

from regadvisor.errors import RulesError


class ExpressionError(RulesError, ValueError):
    """A condition or a template that cannot be accepted.

    It is a :class:`~regadvisor.errors.RulesError` (so a caller outside the loader sees the usual
    one-line error) and a ``ValueError`` (so pydantic validators report it as a validation error).

    Args:
        problem: What is wrong, e.g. ``unknown fact 'gap_ration'``.
        hint: How to fix it, starting with its separator, e.g. `` (did you mean 'gap_ratio'?)``.
    """

    def __init__(self, problem: str, hint: str = "") -> None:
        super().__init__(f"{problem}{hint}")
        self.problem = problem
        self.hint = hint

    def located(self, field: str) -> str:
        """The message with the field named: ``unknown fact 'x' in 'when' (did you mean ...)``."""
        return f"{self.problem} in '{field}'{self.hint}"


def did_you_mean(name: str, candidates: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest candidate, or an empty string."""
    close = difflib.get_close_matches(name, list(candidates), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def shorten(text: str, limit: int = 60) -> str:
    """``text`` cut to ``limit`` characters with an ellipsis, on one line."""
    text = " ".join(str(text).split())
    text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def yaml_repr(value: Any) -> str:
    """A value as a YAML reader would call it, short: ``true``, ``'text'``, ``a list``."""
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"'{shorten(value, 40)}'"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return shorten(repr(value), 40)
