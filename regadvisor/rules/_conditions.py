"""Conditions: readable expressions over facts, checked at load time and evaluated without code.

A condition is parsed with :func:`ast.parse` and walked over a whitelist of node types (``and``,
``or``, ``not``, comparisons, ``+ - * /``, unary minus, fact names, constants, and a list of
constants after ``in``). The walk (:mod:`._builder`) checks the types and builds a tree of small
closures (:mod:`._evaluate`, which also says what a missing fact value does); nothing is ever
compiled to Python code or passed to ``eval``.
"""

from __future__ import annotations

import ast
import functools
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from regadvisor.rules._builder import BOOL, EXAMPLE, MAX_DEPTH, NUMBER, Builder
from regadvisor.rules._errors import ExpressionError, shorten
from regadvisor.rules._evaluate import Evaluator, truth

__all__ = ["MAX_CONDITION_CHARS", "MAX_DEPTH", "Condition", "NumberExpression",
           "compile_condition", "compile_number"]

MAX_CONDITION_CHARS = 2000


@dataclass(frozen=True)
class Condition:
    """A checked condition.

    Attributes:
        text: The condition as written.
        facts: The facts it names, in order of first appearance (the default evidence).
    """

    text: str
    facts: tuple[str, ...]
    _test: Evaluator = field(repr=False, compare=False)

    def holds(self, facts: Mapping[str, Any]) -> bool:
        """Whether the condition holds on ``facts`` (a missing fact counts as ``None``)."""
        return truth(self._test(facts))


def compile_condition(text: str, scope: str = "rule") -> Condition:
    """Parse and type-check a condition.

    Args:
        text: The condition, e.g. ``"gap_ratio > 0.3 and optimizer == 'Adam'"``.
        scope: ``"rule"`` (the facts and ``verdict``) or ``"verdict"`` (the facts only).

    Returns:
        The :class:`Condition`; the result is cached, so compiling the same text twice is cheap.

    Raises:
        ExpressionError: (a ``RulesError``) naming what is not allowed, an unknown fact (with a
            suggestion) or a wrong type.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"a condition must be text, got {type(text).__name__}")
    return _compile(text, scope)


@dataclass(frozen=True)
class NumberExpression:
    """A checked numeric expression over facts (e.g. a search bound ``weight_decay * 100``).

    Attributes:
        text: The expression as written.
        facts: The facts it names.
    """

    text: str
    facts: tuple[str, ...]
    _value: Evaluator = field(repr=False, compare=False)

    def value(self, facts: Mapping[str, Any]) -> float | None:
        """The number on ``facts``; ``None`` when a fact it needs is missing."""
        v = self._value(facts)
        return None if v is None else float(v)


def compile_number(text: str, scope: str = "rule") -> NumberExpression:
    """Parse and type-check a numeric expression (facts, numbers, ``+ - * /``).

    Raises:
        ExpressionError: As :func:`compile_condition`, or when the expression is not a number.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"an expression must be text, got {type(text).__name__}")
    return _compile_number(text, scope)


@functools.lru_cache(maxsize=1024)
def _compile_number(text: str, scope: str) -> NumberExpression:
    builder, tree, kind, fn = _parse(text, scope)
    if kind != NUMBER:
        raise ExpressionError(f"the expression must be a number, but "
                              f"{builder.describe(tree.body, kind)}",
                              "; e.g. weight_decay * 100")
    return NumberExpression(text=text, facts=tuple(builder.seen), _value=fn)


@functools.lru_cache(maxsize=4096)
def _compile(text: str, scope: str) -> Condition:
    builder, tree, kind, fn = _parse(text, scope)
    if kind != BOOL:
        raise ExpressionError(
            f"the condition must be true or false, but {builder.describe(tree.body, kind)}",
            f"; compare it, e.g. '{shorten(builder.source_of(tree.body), 30)} > 0'"
            if kind == NUMBER else EXAMPLE)
    return Condition(text=text, facts=tuple(builder.seen), _test=fn)


def _parse(text: str, scope: str) -> tuple[Builder, ast.Expression, str, Evaluator]:
    source = " ".join(text.splitlines()).strip()
    if not source:
        raise ExpressionError("the condition is empty", EXAMPLE)
    if len(source) > MAX_CONDITION_CHARS:
        raise ExpressionError(f"the condition is too long ({len(source)} characters, at most "
                              f"{MAX_CONDITION_CHARS})", "; split the rule in two")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            tree = ast.parse(source, mode="eval")
    except SyntaxError as e:
        where = f" at column {e.offset}" if e.offset else ""
        raise ExpressionError(f"cannot read the condition '{shorten(source)}': "
                              f"{e.msg}{where}", EXAMPLE) from None
    except (ValueError, RecursionError, MemoryError, OverflowError) as e:
        raise ExpressionError(f"cannot read the condition '{shorten(source)}' "
                              f"({type(e).__name__})", EXAMPLE) from None
    builder = Builder(source, scope)
    try:
        kind, fn = builder.visit(tree.body, 0)
    except RecursionError:  # pragma: no cover - MAX_DEPTH keeps the walk shallow
        raise ExpressionError("the condition is nested too deeply", EXAMPLE) from None
    return builder, tree, kind, fn
