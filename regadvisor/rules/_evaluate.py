"""Evaluating a checked condition: the small closures that the builder of :mod:`._builder`
assembles into a tree, and what they make of missing values.

A comparison or an arithmetic involving a ``None`` fact value is false (a rule about
``n_classes`` never fires on a regression), except ``x == none`` / ``x != none``, which test for
it; a bool fact that is ``None`` counts as false under ``and``, ``or`` and ``not``; a division by
zero gives ``None``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from typing import Any

__all__ = ["Evaluator", "Test", "all_of", "any_of", "arithmetic", "both", "chain", "constant",
           "fact", "member", "negated", "negation", "none_test", "truth"]

#: Evaluates a (sub)expression on the facts.
Evaluator = Callable[[Mapping[str, Any]], Any]
#: The test of one link ``a op b`` of a comparison chain, on the values of its two sides.
Test = Callable[[Any, Any], bool]


def truth(value: Any) -> bool:
    """A value as true or false: ``None`` is false."""
    return value is not None and bool(value)


def constant(value: Any) -> Evaluator:
    """A constant of the condition (a number, a string, true, false or none)."""
    return lambda facts: value


def fact(name: str) -> Evaluator:
    """A fact's value; a missing fact is ``None``."""
    return lambda facts: facts.get(name)


def all_of(parts: Sequence[Evaluator]) -> Evaluator:
    """``and``: whether every part is true."""
    return lambda facts: all(truth(p(facts)) for p in parts)


def any_of(parts: Sequence[Evaluator]) -> Evaluator:
    """``or``: whether any part is true."""
    return lambda facts: any(truth(p(facts)) for p in parts)


def negation(fn: Evaluator) -> Evaluator:
    """``not``: a ``None`` operand counts as false, so ``not`` of it is true."""
    return lambda facts: not truth(fn(facts))


def negated(fn: Evaluator) -> Evaluator:
    """Unary minus; ``None`` stays ``None``."""
    def negative(facts: Mapping[str, Any]) -> Any:
        value = fn(facts)
        return None if value is None else operator.neg(value)

    return negative


def arithmetic(op: Callable[[Any, Any], Any], left: Evaluator, right: Evaluator) -> Evaluator:
    """``left op right``: ``None`` when a side is ``None`` or the result is undefined."""
    def evaluate(facts: Mapping[str, Any]) -> Any:
        a = left(facts)
        if a is None:
            return None
        b = right(facts)
        if b is None:
            return None
        try:
            return op(a, b)
        except ArithmeticError:  # x / 0, or a float overflow: undefined
            return None

    return evaluate


def chain(tests: Sequence[Test], evaluators: Sequence[Evaluator | None]) -> Evaluator:
    """A comparison chain ``a op1 b op2 c``: whether every link holds (evaluated left to right,
    stopping at the first that fails). An evaluator is None for a list, whose test holds it."""
    def compare(facts: Mapping[str, Any]) -> bool:
        first = evaluators[0]
        a = first(facts) if first is not None else None
        for test, fn in zip(tests, evaluators[1:], strict=True):
            b = fn(facts) if fn is not None else None  # a list: its test holds its values
            if not test(a, b):
                return False
            a = b
        return True

    return compare


def member(values: Sequence[Any], inside: bool) -> Test:
    """``a in values`` (or ``not in`` when ``inside`` is false); false when ``a`` is ``None``."""
    held = frozenset(values)
    if inside:
        return lambda a, b: a is not None and a in held
    return lambda a, b: a is not None and a not in held


def none_test(symbol: str) -> Test:
    """``== none`` / ``!= none``: whether the sides are both missing, or not."""
    if symbol == "==":
        return lambda a, b: a is None and b is None
    return lambda a, b: (a is None) != (b is None)


def both(fn: Callable[[Any, Any], bool]) -> Test:
    """A comparison that is false when either side is ``None``."""
    return lambda a, b: a is not None and b is not None and bool(fn(a, b))
