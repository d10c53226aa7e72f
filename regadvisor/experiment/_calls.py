"""Calling the user's functions: an exception becomes an ExperimentError that names the call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from regadvisor.errors import ExperimentError

__all__ = ["call", "first_line", "kind"]


def kind(obj: Any) -> str:
    """What ``obj`` is, for a message: ``"None"`` or ``"a TypeName"``."""
    if obj is None:
        return "None"
    return f"a {type(obj).__name__}"


def first_line(e: BaseException) -> str:
    """The first line of an exception's message (its type's name when it has none)."""
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def call(fn: Callable, where: str, what: str, *args: Any) -> Any:
    """``fn(*args)``, with an exception turned into an ExperimentError about ``what``."""
    try:
        return fn(*args)
    except KeyboardInterrupt:
        raise
    except Exception as e:
        raise ExperimentError(f"{where}: {what} raised {type(e).__name__}: {first_line(e)}. "
                              f"Fix {what.split('(')[0]}() and run again.") from None
