"""Rules: the regularization guide as YAML, checked at load time and evaluated on facts.

A rules file holds an ordered ``verdicts`` list (the first whose condition holds names what is
wrong) and ``rules`` (each fires when its condition holds, with advice, the reason, evidence and
actions). Conditions are readable expressions over the facts of
:mod:`regadvisor.diagnosis.facts`, evaluated without executing code; templates fill in
``{fact}`` or ``{fact:.3f}`` with the built-in ``format`` only. The bundled files live in the
top-level ``rules/`` folder; users add, override or disable rules with their own folders.

Example:
    >>> from regadvisor.rules import evaluate_rules, load_rules
    >>> result = evaluate_rules(load_rules(), facts)           # doctest: +SKIP
    >>> result.verdict.name, [f.rule_id for f in result.findings]  # doctest: +SKIP
"""

from __future__ import annotations

from regadvisor._params import PARAMETERS, check_range
from regadvisor.rules._conditions import (
    Condition,
    NumberExpression,
    compile_condition,
    compile_number,
)
from regadvisor.rules._engine import Evaluation, Finding, Verdict, evaluate_rules
from regadvisor.rules._loader import RuleSet, bundled_rules_dir, check_rules_dir, load_rules
from regadvisor.rules._names import VERDICT_NAMES
from regadvisor.rules._schema import (
    Actions,
    ConfigChanges,
    Rule,
    SearchRange,
    VerdictRule,
)
from regadvisor.rules._templates import Template, compile_template

__all__ = [
    "PARAMETERS",
    "VERDICT_NAMES",
    "Actions",
    "Condition",
    "ConfigChanges",
    "Evaluation",
    "Finding",
    "NumberExpression",
    "Rule",
    "RuleSet",
    "SearchRange",
    "Template",
    "Verdict",
    "VerdictRule",
    "bundled_rules_dir",
    "check_range",
    "check_rules_dir",
    "compile_condition",
    "compile_number",
    "compile_template",
    "evaluate_rules",
    "load_rules",
]
