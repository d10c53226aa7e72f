"""The engine: hand-built facts → the expected verdict and ranked findings, with evidence."""

from __future__ import annotations

import json
import math

import pytest

from regadvisor._record import from_plain, to_plain
from regadvisor.rules import (
    Evaluation,
    Finding,
    RuleSet,
    Verdict,
    check_rules_dir,
    evaluate_rules,
    load_rules,
)
from regadvisor.rules._engine import GOOD_FIT_REASON
from tests.rules.conftest import ASSETS, a_rule

OVERFIT = {"gap_ratio": 0.6, "gap_over_noise": 5.0, "train_loss_last": 0.01,
           "val_loss_last": 0.9, "optimizer": "Adam", "weight_decay": 0.0, "n_classes": 10,
           "label_smoothing": 0.0, "diverged": False, "train_loss_vs_chance": 0.01}


@pytest.fixture(scope="module")
def base() -> RuleSet:
    return load_rules([ASSETS / "base"], include_bundled=False)


@pytest.mark.parametrize(("changes", "verdict", "fired"), [
    ({}, "overfitting", ["add-weight-decay", "multiclass-label-smoothing"]),
    ({"weight_decay": 1e-4}, "overfitting", ["adam-l2-to-adamw", "multiclass-label-smoothing"]),
    ({"n_classes": None}, "overfitting", ["add-weight-decay"]),  # regression: n_classes is None
    ({"n_classes": 2}, "overfitting", ["add-weight-decay"]),
    ({"gap_ratio": 0.1}, "good_fit", []),
    ({"gap_ratio": 0.1, "train_loss_vs_chance": 0.9}, "underfitting", []),
    ({"diverged": True}, "diverging", []),  # first in the list wins over overfitting
    ({"gap_over_noise": None}, "good_fit", []),
])
def test_verdict_and_findings_table(base, changes, verdict, fired):
    result = evaluate_rules(base, {**OVERFIT, **changes})
    assert result.verdict.name == verdict
    assert [f.rule_id for f in result.findings] == fired


def test_verdict_carries_reason_evidence_and_condition(base):
    verdict = evaluate_rules(base, OVERFIT).verdict
    assert verdict.reason == ("Validation loss 0.900 is far above training loss 0.010.")
    assert verdict.evidence == {"gap_ratio": 0.6, "gap_over_noise": 5.0,
                                "train_loss_last": 0.01, "val_loss_last": 0.9}
    assert verdict.condition == "gap_ratio > 0.3 and gap_over_noise > 3"


def test_no_verdict_rule_matching_gives_good_fit(base):
    verdict = evaluate_rules(base, {}).verdict
    assert verdict == Verdict("good_fit", GOOD_FIT_REASON, {}, "")


def test_finding_carries_everything(base):
    facts = {**OVERFIT, "weight_decay": 1e-4, "n_classes": None}
    (finding,) = evaluate_rules(base, facts).findings
    assert finding.rule_id == "adam-l2-to-adamw"
    assert finding.advice == "Switch to AdamW with weight decay 0.0001."
    assert finding.evidence == {"optimizer": "Adam", "weight_decay": 1e-4}
    assert finding.actions.set.decoupled is True
    assert finding.actions.search["weight_decay"].log is True
    assert finding.actions.tune == ("weight_decay",)
    assert finding.snippet == "optimizer = torch.optim.AdamW(groups, lr=1e-3)\n"
    assert finding.source == "Weight Decay vs L2 Regularization in Adaptive Optimizers"
    assert finding.condition == "optimizer == 'Adam' and weight_decay > 0"
    assert finding.file.endswith("base/10-rules.yaml")


def test_default_evidence_is_the_facts_of_the_condition_including_the_verdict(base):
    finding = evaluate_rules(base, OVERFIT).findings[0]
    assert finding.rule_id == "add-weight-decay"
    assert finding.evidence == {"verdict": "overfitting", "weight_decay": 0.0}


def test_findings_are_ranked_by_priority_then_load_order(rules_dir):
    rules = [a_rule(id="low", priority=10), a_rule(id="tie-first", priority=50),
             a_rule(id="high", priority=90), a_rule(id="tie-second", priority=50),
             a_rule(id="never", when="gap_ratio < 0", priority=100)]
    ruleset = check_rules_dir(rules_dir({"rules": rules}))
    findings = evaluate_rules(ruleset, {"gap_ratio": 0.5}).findings
    assert [(f.rule_id, f.priority) for f in findings] == [
        ("high", 90), ("tie-first", 50), ("tie-second", 50), ("low", 10)]


def test_user_override_changes_what_fires(base):
    ruleset = load_rules([ASSETS / "base", ASSETS / "user"], include_bundled=False)
    result = evaluate_rules(ruleset, {**OVERFIT, "has_dropout": False})
    assert result.verdict.name == "good_fit"
    assert result.verdict.reason == "Everything is fine by my own standards (gap ratio 0.60)."
    assert [f.rule_id for f in result.findings] == ["add-weight-decay", "my-dropout"]
    assert result.findings[0].advice == "My own advice: weight decay, now."


def test_a_given_verdict_fact_is_replaced_by_the_computed_one(base):
    result = evaluate_rules(base, {**OVERFIT, "verdict": "good_fit"})
    assert result.verdict.name == "overfitting"
    assert "add-weight-decay" in [f.rule_id for f in result.findings]


def test_wrong_kinds_of_fact_values_are_a_type_error(base):
    with pytest.raises(TypeError, match="fact 'gap_ratio' should be a number or None"):
        evaluate_rules(base, {"gap_ratio": "0.6"})
    with pytest.raises(TypeError, match="fact 'diverged' should be a bool"):
        evaluate_rules(base, {"diverged": 1})
    evaluate_rules(base, {"not_a_fact": object()})  # extra names are ignored


def test_round_trip_through_json(base):
    facts = {**OVERFIT, "val_loss_last": math.inf, "weight_decay": 1e-4}
    result = evaluate_rules(base, facts)
    text = json.dumps(to_plain(result), allow_nan=False)
    back = from_plain(Evaluation, json.loads(text))
    assert back.verdict.name == result.verdict.name
    assert back.findings == result.findings
    assert from_plain(Finding, to_plain(result.findings[0])) == result.findings[0]
    assert from_plain(Verdict, to_plain(result.verdict)).evidence["val_loss_last"] is None


def test_numpy_values_become_plain_json():
    np = pytest.importorskip("numpy")
    verdict = Verdict("overfitting", "r", {"a": np.float64(0.5), "b": np.int64(3),
                                           "c": np.bool_(True), "d": np.float32(np.nan)}, "c")
    assert to_plain(verdict)["evidence"] == {"a": 0.5, "b": 3, "c": True, "d": None}
    json.dumps(to_plain(verdict), allow_nan=False)
