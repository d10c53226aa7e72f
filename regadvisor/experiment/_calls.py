"""Calling the user's functions: an exception becomes an ExperimentError that names the call."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from regadvisor.errors import ExperimentError
from regadvisor.training.faults import USER_CODE_ERRORS, exit_call

__all__ = ["call", "first_line", "kind", "raised"]


def kind(obj: Any) -> str:
    """What ``obj`` is, for a message: ``"None"`` or ``"a TypeName"``."""
    if obj is None:
        return "None"
    return f"a {type(obj).__name__}"


def first_line(e: BaseException) -> str:
    """The first line of an exception's message (its type's name when it has none)."""
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def raised(e: BaseException) -> str:
    """What the user's code did, for a message: ``raised ValueError: bad input``, or ``called
    sys.exit(0); the experiment's functions must return, not end the process``."""
    if isinstance(e, SystemExit):
        return (f"called {exit_call(e)}; the experiment's functions must return, not end the "
                "process")
    return f"raised {type(e).__name__}: {first_line(e)}"


def call(fn: Callable, where: str, what: str, *args: Any) -> Any:
    """``fn(*args)``, with an exception (or ``sys.exit()``) turned into an ExperimentError about
    ``what``."""
    try:
        return fn(*args)
    except KeyboardInterrupt:
        raise
    except USER_CODE_ERRORS as e:
        raise ExperimentError(f"{where}: {what} {raised(e)}. Fix {what.split('(')[0]}() and run "
                              "again.") from None
