"""The walk over a condition's syntax tree: the whitelist of node types, the type checks, and
the evaluator it builds from the closures of :mod:`._evaluate`.

Every node of the tree gets a kind (number, bool, str or none) and an evaluator; a node outside
the whitelist, an unknown fact or a wrong type raises an ExpressionError that names it.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable
from typing import Any

from regadvisor.rules._errors import ExpressionError, did_you_mean, shorten
from regadvisor.rules._evaluate import (
    Evaluator,
    Test,
    all_of,
    any_of,
    arithmetic,
    both,
    chain,
    constant,
    fact,
    member,
    negated,
    negation,
    none_test,
)
from regadvisor.rules._names import KNOWN_VALUES, SCOPES

__all__ = ["BOOL", "EXAMPLE", "MAX_DEPTH", "NONE", "NUMBER", "STR", "Builder", "kind_of"]

MAX_DEPTH = 50

NUMBER, BOOL, STR, NONE = "number", "bool", "str", "none"
EXAMPLE = "; a condition compares facts with values, e.g. gap_ratio > 0.3 and optimizer == 'Adam'"
CONSTANT_NAMES = {"true": True, "false": False, "none": None, "None": None}

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


class Builder:
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
                               EXAMPLE)

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
            return kind_of(value), constant(value)
        if isinstance(node, (ast.List, ast.Tuple)):
            raise ExpressionError(
                f"a list ('{shorten(self.source_of(node), 40)}') is allowed only after 'in' or "
                "'not in'", "; e.g. optimizer in ('Adam', 'AdamW')")
        raise self._reject(node, _NOT_ALLOWED.get(type(node), f"a {type(node).__name__} node"))

    def _name(self, node: ast.Name) -> tuple[str, Evaluator]:
        name = node.id
        if name in CONSTANT_NAMES:
            value = CONSTANT_NAMES[name]
            return kind_of(value), constant(value)
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
        return self.scope[name], fact(name)

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
                                      f"{self.describe(value, kind)}", EXAMPLE)
            parts.append(fn)
        return BOOL, all_of(parts) if word == "and" else any_of(parts)

    def _unary(self, node: ast.UnaryOp, depth: int) -> tuple[str, Evaluator]:
        if type(node.op) in _OPERATOR_SYMBOLS:
            raise ExpressionError(f"the operator '{_OPERATOR_SYMBOLS[type(node.op)]}' is not "
                                  "allowed", "; use 'not' for a negation")
        kind, fn = self.visit(node.operand, depth + 1)
        if isinstance(node.op, ast.Not):
            if kind != BOOL:
                raise ExpressionError("wrong type: 'not' takes a true/false value, but "
                                      f"{self.describe(node.operand, kind)}", EXAMPLE)
            return BOOL, negation(fn)
        if kind != NUMBER:
            raise ExpressionError("wrong type: a sign takes a number, but "
                                  f"{self.describe(node.operand, kind)}", EXAMPLE)
        if isinstance(node.op, ast.USub):
            return NUMBER, negated(fn)
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
                                      f"{self.describe(side, kind)}", EXAMPLE)
            fns.append(fn)
        left, right = fns
        return NUMBER, arithmetic(op, left, right)

    def _compare(self, node: ast.Compare, depth: int) -> tuple[str, Evaluator]:
        operands = [node.left, *node.comparators]
        last = len(operands) - 1
        typed: list[tuple[str, Evaluator] | tuple[str, tuple[Any, ...]]] = []
        for i, operand in enumerate(operands):
            is_list = isinstance(operand, (ast.List, ast.Tuple))
            if is_list and i > 0 and isinstance(node.ops[i - 1], (ast.In, ast.NotIn)) and i < last:
                raise ExpressionError(f"a list ('{shorten(self.source_of(operand), 40)}') is "
                                      "allowed only at the end of a comparison after 'in'",
                                      EXAMPLE)
            if is_list and i > 0 and isinstance(node.ops[i - 1], (ast.In, ast.NotIn)):
                typed.append(("list", self._list(operand)))
            else:
                typed.append(self.visit(operand, depth + 1))
        tests = [self._pair(op, operands[i], typed[i], operands[i + 1], typed[i + 1])
                 for i, op in enumerate(node.ops)]
        evaluators: list[Evaluator | None] = [t[1] if t[0] != "list" else None for t in typed]
        return BOOL, chain(tests, evaluators)

    def _list(self, node: ast.List | ast.Tuple) -> tuple[Any, ...]:
        values = []
        for element in node.elts:
            if isinstance(element, ast.Name) and element.id in ("true", "false"):
                values.append(CONSTANT_NAMES[element.id])
            elif (isinstance(element, ast.UnaryOp) and isinstance(element.op, ast.USub)
                  and isinstance(element.operand, ast.Constant)
                  and kind_of(element.operand.value) == NUMBER):
                values.append(-element.operand.value)
            elif isinstance(element, ast.Constant) and kind_of(element.value) in (NUMBER, STR,
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
              rt: tuple[str, Any]) -> Test:
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
                if kind_of(value) != lkind:
                    raise ExpressionError(
                        f"wrong type: {self.describe(left, lkind)} but the list after '{word}' "
                        f"holds {value!r}", "; the list must hold values of the same type")
            self._check_known_values(left, values)
            return member(values, inside=word == "in")
        if rkind == "list":  # pragma: no cover - a list is only built after in / not in
            raise ExpressionError("a list is allowed only after 'in' or 'not in'", EXAMPLE)
        if isinstance(op, tuple(_EQUALITY)):
            symbol, fn = _EQUALITY[type(op)]
            if NONE in (lkind, rkind):
                return none_test(symbol)
            if lkind != rkind:
                raise self._mismatch(symbol, left, lkind, right, rkind)
            self._check_known_values(left, _constants(right))
            self._check_known_values(right, _constants(left))
            return both(fn)
        symbol, fn = _ORDERING[type(op)]
        for side, kind in ((left, lkind), (right, rkind)):
            if kind != NUMBER:
                raise ExpressionError(
                    f"wrong type: '{symbol}' compares numbers, but {self.describe(side, kind)}",
                    "; strings and true/false support only ==, !=, in and not in"
                    if kind != NONE else "; use == none or != none to test for a missing value")
        return both(fn)

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


def kind_of(value: Any) -> str:
    """The kind of a constant: number, bool, str or none."""
    if value is None:
        return NONE
    if isinstance(value, bool):
        return BOOL
    if isinstance(value, str):
        return STR
    return NUMBER
