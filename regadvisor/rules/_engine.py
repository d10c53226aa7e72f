"""The engine: RuleSet × facts → a verdict and ranked findings, each with its evidence."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from regadvisor.rules._loader import RuleSet
from regadvisor.rules._names import RULE_SCOPE, is_bool, is_number
from regadvisor.rules._schema import Actions, Rule, VerdictRule

__all__ = ["GOOD_FIT_REASON", "Evaluation", "Finding", "Verdict", "evaluate_rules"]

GOOD_FIT_REASON = ("No verdict rule matched: the curves show no sign of divergence, of "
                   "over- or of underfitting, so the fit counts as good.")


@dataclass(frozen=True)
class Verdict:
    """What is wrong (or not), with the sentence and the observed values that say so.

    Attributes:
        name: ``diverging``, ``not_converged``, ``overfitting``, ``underfitting`` or
            ``good_fit``.
        reason: The verdict rule's reason, rendered with the facts.
        evidence: Fact name → observed value.
        condition: The condition that held (empty for the fallback ``good_fit``).
    """

    name: str
    reason: str
    evidence: dict[str, Any]
    condition: str


@dataclass(frozen=True)
class Finding:
    """A rule that fired: advice, its reason, the values that fired it, and what to change.

    Attributes:
        rule_id: The rule's id.
        title: The rule's title.
        priority: 0–100; findings are ranked by it, high first.
        advice: What to do, rendered with the facts.
        why: The guide's argument, rendered with the facts.
        evidence: Fact name → observed value.
        actions: Configuration changes, search ranges and parameters to tune.
        snippet: Example code, or ``None``.
        source: The guide's section.
        condition: The condition that held.
        file: The rules file that defined the rule.
    """

    rule_id: str
    title: str
    priority: int
    advice: str
    why: str
    evidence: dict[str, Any]
    actions: Actions
    snippet: str | None
    source: str
    condition: str
    file: str


@dataclass(frozen=True)
class Evaluation:
    """The verdict and the findings, ranked by priority (high first, ties in load order)."""

    verdict: Verdict
    findings: list[Finding]


def evaluate_rules(ruleset: RuleSet, facts: Mapping[str, Any]) -> Evaluation:
    """Judge the facts: the first verdict rule that holds, then every rule that fires.

    The verdict's name is given to the rules as the fact ``verdict`` (it replaces any value
    ``facts`` holds for it). A fact missing from ``facts`` counts as ``None``.

    Args:
        ruleset: From :func:`~regadvisor.rules.load_rules`.
        facts: Fact name → value (number, bool, str or ``None``).

    Returns:
        The :class:`Evaluation`.

    Raises:
        TypeError: A fact's value does not have its documented kind (a bug in the caller).
    """
    values = dict(facts)
    values.pop("verdict", None)
    _check_kinds(values)
    verdict = _verdict(ruleset.verdicts, values)
    values["verdict"] = verdict.name
    fired = [(i, rule) for i, rule in enumerate(ruleset.rules) if rule.condition.holds(values)]
    fired.sort(key=lambda pair: (-pair[1].priority, pair[0]))
    findings = [_finding(rule, values, ruleset.file_of(rule.id)) for _, rule in fired]
    return Evaluation(verdict=verdict, findings=findings)


def _evidence(names: tuple[str, ...], values: Mapping[str, Any]) -> dict[str, Any]:
    """The observed values of ``names``; when the metric is the loss (regression), the metric
    facts repeat the loss facts and are left out."""
    repeats = values.get("metric") == "loss"
    return {n: values.get(n) for n in names if not (repeats and "metric" in n)}


def _verdict(verdicts: tuple[VerdictRule, ...], values: Mapping[str, Any]) -> Verdict:
    for entry in verdicts:
        if entry.condition.holds(values):
            return Verdict(name=entry.verdict, reason=entry.reason_template.render(values),
                           evidence=_evidence(entry.evidence_facts, values),
                           condition=entry.when)
    return Verdict(name="good_fit", reason=GOOD_FIT_REASON, evidence={}, condition="")


def _finding(rule: Rule, values: Mapping[str, Any], file: str) -> Finding:
    return Finding(rule_id=rule.id, title=rule.title, priority=rule.priority,
                   advice=rule.advice_template.render(values),
                   why=rule.why_template.render(values),
                   evidence=_evidence(rule.evidence_facts, values),
                   actions=rule.actions, snippet=rule.snippet, source=rule.source,
                   condition=rule.when, file=file)


def _check_kinds(values: Mapping[str, Any]) -> None:
    for name, value in values.items():
        kind = RULE_SCOPE.get(name)
        if kind is None or value is None:
            continue
        ok = {"number": is_number, "bool": is_bool, "str": lambda v: isinstance(v, str)}[kind]
        if not ok(value):
            raise TypeError(f"fact '{name}' should be a {kind} or None, got {value!r} "
                            f"({type(value).__name__})")
