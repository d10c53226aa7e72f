"""Conditions: readable expressions over facts, checked at load time and evaluated without code.

A condition is parsed with :func:`ast.parse` and walked over a whitelist of node types (``and``,
``or``, ``not``, comparisons, ``+ - * /``, unary minus, fact names, constants, and a list of
constants after ``in``). The walk checks the types and builds a tree of small closures; nothing
is ever compiled to Python code or passed to ``eval``.

Evaluation: a comparison or an arithmetic involving a ``None`` fact value is false (a rule about
``n_classes`` never fires on a regression), except ``x == none`` / ``x != none``, which test for
it; a bool fact that is ``None`` counts as false under ``and``, ``or`` and ``not``; a division by
zero gives ``None``.
"""

from __future__ import annotations

import ast
import functools
import operator
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from regadvisor.rules._errors import ExpressionError, did_you_mean, shorten
from regadvisor.rules._names import KNOWN_VALUES, SCOPES

__all__ = ["MAX_CONDITION_CHARS", "MAX_DEPTH", "Condition", "NumberExpression",
           "compile_condition", "compile_number"]

MAX_CONDITION_CHARS = 2000
MAX_DEPTH = 50

NUMBER, BOOL, STR, NONE = "number", "bool", "str", "none"
_EXAMPLE = "; a condition compares facts with values, e.g. gap_ratio > 0.3 and optimizer == 'Adam'"
_CONSTANT_NAMES = {"true": True, "false": False, "none": None, "None": None}

_NOT_ALLOWED: dict[type, str] = {
    ast.Call: "a function call",
    ast.Attribute: "attribute access",
    ast.Subscript: "indexing",
    ast.Slice: "slicing",
    ast.Lambda: "a lambda",
    ast.ListComp: "a comprehension",
    ast.SetComp: "a comprehension",
    ast.DictComp: "a comprehension",
    ast.GeneratorExp: "a comprehension",
    ast.JoinedStr: "an f-string",
    ast.FormattedValue: "an f-string",
    ast.NamedExpr: "an assignment (:=)",
    ast.Starred: "a starred expression",
    ast.IfExp: "a conditional expression (x if c else y)",
    ast.Dict: "a dict",
    ast.Set: "a set",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield",
}
_ARITHMETIC: dict[type, tuple[str, Callable[[Any, Any], Any]]] = {
    ast.Add: ("+", operator.add),
    ast.Sub: ("-", operator.sub),
    ast.Mult: ("*", operator.mul),
    ast.Div: ("/", operator.truediv),
}
_OPERATOR_SYMBOLS: dict[type, str] = {
    ast.Pow: "**", ast.Mod: "%", ast.FloorDiv: "//", ast.MatMult: "@", ast.LShift: "<<",
    ast.RShift: ">>", ast.BitAnd: "&", ast.BitOr: "|", ast.BitXor: "^", ast.Invert: "~",
}
_ORDERING: dict[type, tuple[str, Callable[[Any, Any], bool]]] = {
    ast.Lt: ("<", operator.lt),
    ast.LtE: ("<=", operator.le),
    ast.Gt: (">", operator.gt),
    ast.GtE: (">=", operator.ge),
}
_EQUALITY: dict[type, tuple[str, Callable[[Any, Any], bool]]] = {
    ast.Eq: ("==", operator.eq),
    ast.NotEq: ("!=", operator.ne),
}

Evaluator = Callable[[Mapping[str, Any]], Any]


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
        return _truth(self._test(facts))


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
            if kind == NUMBER else _EXAMPLE)
    return Condition(text=text, facts=tuple(builder.seen), _test=fn)


def _parse(text: str, scope: str) -> tuple[_Builder, ast.Expression, str, Evaluator]:
    source = " ".join(text.splitlines()).strip()
    if not source:
        raise ExpressionError("the condition is empty", _EXAMPLE)
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
                              f"{e.msg}{where}", _EXAMPLE) from None
    except (ValueError, RecursionError, MemoryError, OverflowError) as e:
        raise ExpressionError(f"cannot read the condition '{shorten(source)}' "
                              f"({type(e).__name__})", _EXAMPLE) from None
    builder = _Builder(source, scope)
    try:
        kind, fn = builder.visit(tree.body, 0)
    except RecursionError:  # pragma: no cover - MAX_DEPTH keeps the walk shallow
        raise ExpressionError("the condition is nested too deeply", _EXAMPLE) from None
    return builder, tree, kind, fn


def _truth(value: Any) -> bool:
    return value is not None and bool(value)


class _Builder:
    """Walks the whitelisted AST, checks kinds, and builds evaluator closures."""

    def __init__(self, source: str, scope: str) -> None:
        self.source = source
        self.scope_name = scope
        self.scope = SCOPES[scope]
        self.seen: list[str] = []

    # --- helpers -------------------------------------------------------------------------------

    def source_of(self, node: ast.AST) -> str:
        segment = ast.get_source_segment(self.source, node)
        return segment if segment is not None else ast.unparse(node)

    def describe(self, node: ast.AST, kind: str) -> str:
        src = shorten(self.source_of(node), 40)
        if isinstance(node, ast.Name) and node.id in self.scope:
            return f"'{src}' is a {kind} fact"
        if kind == NONE:
            return f"{src} stands for a missing value"
        if isinstance(node, ast.Constant):
            return f"{src} is a {kind}"
        return f"'{src}' is a {kind}"

    def _reject(self, node: ast.AST, what: str) -> ExpressionError:
        return ExpressionError(f"{what} ('{shorten(self.source_of(node), 40)}') is not allowed",
                               _EXAMPLE)

    # --- the walk ------------------------------------------------------------------------------

    def visit(self, node: ast.AST, depth: int) -> tuple[str, Evaluator]:
        if depth > MAX_DEPTH:
            raise ExpressionError(f"the condition is nested too deeply (more than {MAX_DEPTH} "
                                  "levels)", "; simplify it")
        if isinstance(node, ast.BoolOp):
            return self._bool_op(node, depth)
        if isinstance(node, ast.UnaryOp):
            return self._unary(node, depth)
        if isinstance(node, ast.BinOp):
            return self._bin_op(node, depth)
        if isinstance(node, ast.Compare):
            return self._compare(node, depth)
        if isinstance(node, ast.Name):
            return self._name(node)
        if isinstance(node, ast.Constant):
            value = self._constant(node)
            return _kind_of(value), lambda facts: value
        if isinstance(node, (ast.List, ast.Tuple)):
            raise ExpressionError(
                f"a list ('{shorten(self.source_of(node), 40)}') is allowed only after 'in' or "
                "'not in'", "; e.g. optimizer in ('Adam', 'AdamW')")
        raise self._reject(node, _NOT_ALLOWED.get(type(node), f"a {type(node).__name__} node"))

    def _name(self, node: ast.Name) -> tuple[str, Evaluator]:
        name = node.id
        if name in _CONSTANT_NAMES:
            value = _CONSTANT_NAMES[name]
            return _kind_of(value), lambda facts: value
        if name.startswith("__"):
            raise ExpressionError(f"the name '{name}' is not allowed",
                                  "; a condition may name only facts")
        if name not in self.scope:
            if name == "verdict" and self.scope_name == "verdict":
                raise ExpressionError("unknown fact 'verdict'",
                                      "; a verdict's condition cannot use the verdict itself")
            hint = did_you_mean(name, self.scope)
            raise ExpressionError(
                f"unknown fact '{name}'",
                hint or " (the facts are listed in regadvisor/diagnosis/facts.py)")
        if name not in self.seen:
            self.seen.append(name)
        return self.scope[name], lambda facts: facts.get(name)

    def _constant(self, node: ast.Constant) -> Any:
        value = node.value
        if value is None or isinstance(value, (bool, int, float, str)):
            return value
        raise ExpressionError(f"the value {shorten(self.source_of(node), 40)} is not allowed",
                              "; use numbers, strings, true, false or none")

    def _bool_op(self, node: ast.BoolOp, depth: int) -> tuple[str, Evaluator]:
        word = "and" if isinstance(node.op, ast.And) else "or"
        parts = []
        for value in node.values:
            kind, fn = self.visit(value, depth + 1)
            if kind != BOOL:
                raise ExpressionError(f"wrong type: '{word}' joins true/false values, but "
                                      f"{self.describe(value, kind)}", _EXAMPLE)
            parts.append(fn)
        if word == "and":
            return BOOL, lambda facts: all(_truth(p(facts)) for p in parts)
        return BOOL, lambda facts: any(_truth(p(facts)) for p in parts)

    def _unary(self, node: ast.UnaryOp, depth: int) -> tuple[str, Evaluator]:
        if type(node.op) in _OPERATOR_SYMBOLS:
            raise ExpressionError(f"the operator '{_OPERATOR_SYMBOLS[type(node.op)]}' is not "
                                  "allowed", "; use 'not' for a negation")
        kind, fn = self.visit(node.operand, depth + 1)
        if isinstance(node.op, ast.Not):
            if kind != BOOL:
                raise ExpressionError("wrong type: 'not' takes a true/false value, but "
                                      f"{self.describe(node.operand, kind)}", _EXAMPLE)
            return BOOL, lambda facts: not _truth(fn(facts))
        if kind != NUMBER:
            raise ExpressionError("wrong type: a sign takes a number, but "
                                  f"{self.describe(node.operand, kind)}", _EXAMPLE)
        if isinstance(node.op, ast.USub):
            return NUMBER, lambda facts: _none_or(fn(facts), operator.neg)
        return NUMBER, fn

    def _bin_op(self, node: ast.BinOp, depth: int) -> tuple[str, Evaluator]:
        if type(node.op) not in _ARITHMETIC:
            symbol = _OPERATOR_SYMBOLS.get(type(node.op), type(node.op).__name__)
            hint = ("; use 'and' / 'or' to join conditions" if symbol in ("&", "|")
                    else "; use +, -, * or /")
            raise ExpressionError(f"the operator '{symbol}' is not allowed", hint)
        symbol, op = _ARITHMETIC[type(node.op)]
        fns = []
        for side in (node.left, node.right):
            kind, fn = self.visit(side, depth + 1)
            if kind != NUMBER:
                raise ExpressionError(f"wrong type: '{symbol}' takes numbers, but "
                                      f"{self.describe(side, kind)}", _EXAMPLE)
            fns.append(fn)
        left, right = fns

        def arithmetic(facts: Mapping[str, Any]) -> Any:
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

        return NUMBER, arithmetic

    def _compare(self, node: ast.Compare, depth: int) -> tuple[str, Evaluator]:
        operands = [node.left, *node.comparators]
        last = len(operands) - 1
        typed: list[tuple[str, Evaluator] | tuple[str, tuple[Any, ...]]] = []
        for i, operand in enumerate(operands):
            is_list = isinstance(operand, (ast.List, ast.Tuple))
            if is_list and i > 0 and isinstance(node.ops[i - 1], (ast.In, ast.NotIn)) and i < last:
                raise ExpressionError(f"a list ('{shorten(self.source_of(operand), 40)}') is "
                                      "allowed only at the end of a comparison after 'in'",
                                      _EXAMPLE)
            if is_list and i > 0 and isinstance(node.ops[i - 1], (ast.In, ast.NotIn)):
                typed.append(("list", self._list(operand)))
            else:
                typed.append(self.visit(operand, depth + 1))
        tests = [self._pair(op, operands[i], typed[i], operands[i + 1], typed[i + 1])
                 for i, op in enumerate(node.ops)]
        evaluators: list[Evaluator | None] = [t[1] if t[0] != "list" else None for t in typed]

        def compare(facts: Mapping[str, Any]) -> bool:
            first = evaluators[0]
            a = first(facts) if first is not None else None
            for test, fn in zip(tests, evaluators[1:], strict=True):
                b = fn(facts) if fn is not None else None  # a list: its test holds its values
                if not test(a, b):
                    return False
                a = b
            return True

        return BOOL, compare

    def _list(self, node: ast.List | ast.Tuple) -> tuple[Any, ...]:
        values = []
        for element in node.elts:
            if isinstance(element, ast.Name) and element.id in ("true", "false"):
                values.append(_CONSTANT_NAMES[element.id])
            elif (isinstance(element, ast.UnaryOp) and isinstance(element.op, ast.USub)
                  and isinstance(element.operand, ast.Constant)
                  and _kind_of(element.operand.value) == NUMBER):
                values.append(-element.operand.value)
            elif isinstance(element, ast.Constant) and _kind_of(element.value) in (NUMBER, STR,
                                                                                    BOOL):
                values.append(element.value)
            else:
                raise ExpressionError(
                    f"the list after 'in' may hold only numbers, strings, true or false, not "
                    f"'{shorten(self.source_of(element), 40)}'",
                    "; e.g. optimizer in ('Adam', 'AdamW'), and use 'x == none' to test for "
                    "a missing value")
        return tuple(values)

    def _pair(self, op: ast.cmpop, left: ast.AST, lt: tuple[str, Any], right: ast.AST,
              rt: tuple[str, Any]) -> Callable[[Any, Any], bool]:
        """The test of one ``left op right`` link (a list on the right is held by the test)."""
        lkind, rkind = lt[0], rt[0]
        if isinstance(op, (ast.Is, ast.IsNot)):
            raise ExpressionError("'is' is not allowed", "; use == or != (e.g. n_classes == none)")
        if isinstance(op, (ast.In, ast.NotIn)):
            word = "in" if isinstance(op, ast.In) else "not in"
            if rkind != "list":
                raise ExpressionError(f"'{word}' needs a list on its right, not "
                                      f"'{shorten(self.source_of(right), 40)}'",
                                      "; e.g. optimizer in ('Adam', 'AdamW')")
            values: tuple[Any, ...] = rt[1]
            for value in values:
                if _kind_of(value) != lkind:
                    raise ExpressionError(
                        f"wrong type: {self.describe(left, lkind)} but the list after '{word}' "
                        f"holds {value!r}", "; the list must hold values of the same type")
            self._check_known_values(left, values)
            inside = frozenset(values)
            if word == "in":
                return lambda a, b: a is not None and a in inside
            return lambda a, b: a is not None and a not in inside
        if rkind == "list":  # pragma: no cover - a list is only built after in / not in
            raise ExpressionError("a list is allowed only after 'in' or 'not in'", _EXAMPLE)
        if isinstance(op, tuple(_EQUALITY)):
            symbol, fn = _EQUALITY[type(op)]
            if NONE in (lkind, rkind):
                if symbol == "==":
                    return lambda a, b: a is None and b is None
                return lambda a, b: (a is None) != (b is None)
            if lkind != rkind:
                raise self._mismatch(symbol, left, lkind, right, rkind)
            self._check_known_values(left, _constants(right))
            self._check_known_values(right, _constants(left))
            return _both(fn)
        symbol, fn = _ORDERING[type(op)]
        for side, kind in ((left, lkind), (right, rkind)):
            if kind != NUMBER:
                raise ExpressionError(
                    f"wrong type: '{symbol}' compares numbers, but {self.describe(side, kind)}",
                    "; strings and true/false support only ==, !=, in and not in"
                    if kind != NONE else "; use == none or != none to test for a missing value")
        return _both(fn)

    def _mismatch(self, symbol: str, left: ast.AST, lkind: str, right: ast.AST,
                  rkind: str) -> ExpressionError:
        example = {STR: "optimizer == 'Adam'", BOOL: "has_dropout == false",
                   NUMBER: "n_classes == 2"}
        sides = (f"{self.describe(left, lkind)} and {self.describe(right, rkind)}")
        kind = lkind if isinstance(left, ast.Name) else rkind
        return ExpressionError(f"wrong type: '{symbol}' compares values of one type, but {sides}",
                               f"; compare a {kind} with a {kind}, e.g. {example[kind]}")

    def _check_known_values(self, node: ast.AST, values: tuple[Any, ...]) -> None:
        if not isinstance(node, ast.Name) or node.id not in KNOWN_VALUES:
            return
        known = KNOWN_VALUES[node.id]
        for value in values:
            if isinstance(value, str) and value not in known:
                hint = did_you_mean(value, known)
                raise ExpressionError(
                    f"'{node.id}' is never '{value}'",
                    hint or f" (its values: {', '.join(repr(k) for k in known)})")


def _constants(node: ast.AST) -> tuple[Any, ...]:
    return (node.value,) if isinstance(node, ast.Constant) else ()


def _kind_of(value: Any) -> str:
    if value is None:
        return NONE
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, str):
        return STR
    return NUMBER


def _none_or(value: Any, fn: Callable[[Any], Any]) -> Any:
    return None if value is None else fn(value)


def _both(fn: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return lambda a, b: a is not None and b is not None and bool(fn(a, b))
