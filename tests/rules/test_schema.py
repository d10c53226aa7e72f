"""The schema: every key checked, one readable line naming the file, the rule and the field."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from regadvisor.errors import RulesError
from regadvisor.rules import Actions, Rule, VerdictRule, check_rules_dir
from tests.rules.conftest import a_rule, a_verdict


def test_a_valid_rule_loads_with_its_defaults(rules_dir):
    ruleset = check_rules_dir(rules_dir({"rules": [a_rule()]}))
    (rule,) = ruleset.rules
    assert rule.id == "a-rule" and rule.enabled and rule.snippet is None
    assert rule.evidence_facts == ("gap_ratio",)  # default: the facts named in `when`
    assert rule.actions.to_dict() == {"set": {}, "search": {}, "tune": [], "increase": [],
                                      "decrease": []}


def test_actions_are_parsed(rules_dir):
    actions = {
        "set": {"weight_decay": 0, "decoupled": True, "exempt": "none", "l1": 1.0e-5,
                "dropout": 0.5, "inject_dropout": False, "label_smoothing": 0.1,
                "patience_epochs": 10, "min_delta": 0.001, "monitor": "val_metric"},
        "search": {"weight_decay": {"low": 1.0e-4, "high": 0.1, "log": True},
                   "dropout": {"low": 0.0, "high": 0.6},
                   "patience_epochs": {"low": 5, "high": 30},
                   "label_smoothing": {"low": 0.0, "high": 0.2},
                   # YAML 1.1 reads an unquoted 1e-6 as text: accepted as the number
                   "l1": {"low": "1e-6", "high": "1e-3", "log": True}},
        "tune": ["weight_decay", "dropout", "patience_epochs", "label_smoothing", "l1"],
    }
    (rule,) = check_rules_dir(rules_dir({"rules": [a_rule(actions=actions)]})).rules
    out = rule.actions.to_dict()
    assert out["set"] == actions["set"]
    assert out["search"]["l1"] == {"low": 1e-6, "high": 1e-3, "log": True}
    assert out["search"]["dropout"] == {"low": 0.0, "high": 0.6, "log": False}
    assert out["tune"] == actions["tune"]
    assert Actions.model_validate(out) == rule.actions


@pytest.mark.parametrize(("changes", "message"), [
    ({"title": None}, "rule 'a-rule': 'title' is required (every rule needs id, title, when, "
                      "priority, advice, why and source)"),
    ({"source": None}, "rule 'a-rule': 'source' is required"),
    ({"id": None}, "rule #1: 'id' is required"),
    ({"id": "Adam_L2"}, "rule 'Adam_L2': 'id' must be lowercase letters, digits and single "
                        "hyphens"),
    ({"id": 12}, "rule #1: 'id' must be text, got 12"),
    ({"wen": "gap > 0"}, "rule 'a-rule': unknown key 'wen' (did you mean 'when'?); the keys are "
                         "id, title, when"),
    ({"priority": 150}, "rule 'a-rule', priority: should be less than or equal to 100, got 150"),
    ({"priority": -1}, "priority: should be greater than or equal to 0, got -1"),
    ({"priority": "high"}, "priority: should be a valid integer, got 'high'"),
    ({"priority": 9.5}, "priority: should be a valid integer, got 9.5"),
    ({"priority": True}, "priority: should be a valid integer, got true"),
    ({"title": 12}, "title: should be a valid string, got 12 (put the value in quotes)"),
    ({"title": ""}, "title: should have at least 1 character"),
    ({"when": True}, "when: should be a valid string, got true (put the value in quotes)"),
    ({"enabled": "no"}, "enabled: should be a valid boolean, got 'no'"),
    ({"evidence": "gap"}, "evidence: should be a list, got 'gap'"),
    ({"evidence": ["gap", "gapp_ratio"]}, "unknown fact 'gapp_ratio' in 'evidence' (did you "
                                          "mean 'gap_ratio'?)"),
    ({"when": "gap_ration > 0.3"}, "rule 'a-rule': unknown fact 'gap_ration' in 'when' (did you "
                                   "mean 'gap_ratio'?)"),
    ({"when": "optimizer > 0"}, "rule 'a-rule': wrong type: '>' compares numbers, but "
                                "'optimizer' is a str fact in 'when'"),
    ({"advice": "{x.__class__}"}, "rule 'a-rule': the placeholder '{x.__class__}' is not "
                                  "allowed in 'advice'"),
    ({"why": "{0}"}, "the placeholder '{0}' is not allowed in 'why'"),
    ({"advice": "{gapp}"}, "unknown fact 'gapp' in 'advice' (did you mean 'gap'?)"),
    ({"actions": {"sett": {}}}, "rule 'a-rule', actions: unknown key 'sett' (did you mean "
                                "'set'?); the keys are set, search, tune, increase and decrease"),
    ({"actions": {"set": {"weight_decay": -1}}},
     "actions.set.weight_decay: should be greater than or equal to 0, got -1"),
    ({"actions": {"set": {"weight_decay": True}}},
     "actions.set.weight_decay: should be a number, got true"),
    ({"actions": {"set": {"weight_decay": "lots"}}},
     "actions.set.weight_decay: should be a number, got 'lots'"),
    ({"actions": {"set": {"weight_decay": math.inf}}}, "should be a finite number, got inf"),
    ({"actions": {"set": {"dropout": 1.0}}}, "actions.set.dropout: should be less than 1"),
    ({"actions": {"set": {"label_smoothing": -0.1}}}, "actions.set.label_smoothing: should be "
                                                      "greater than or equal to 0"),
    ({"actions": {"set": {"patience_epochs": 0}}}, "actions.set.patience_epochs: should be "
                                                   "greater than or equal to 1"),
    ({"actions": {"set": {"patience_epochs": 2.5}}}, "actions.set.patience_epochs: should be a "
                                                     "valid integer"),
    ({"actions": {"set": {"decoupled": "yes"}}}, "actions.set.decoupled: should be a valid "
                                                 "boolean"),
    ({"actions": {"set": {"exempt": "biases"}}}, "actions.set.exempt: should be 'none' or "
                                                 "'bias_and_norm', got 'biases'"),
    ({"actions": {"set": {"monitor": "val_acc"}}}, "actions.set.monitor: should be 'val_loss' or "
                                                   "'val_metric'"),
    ({"actions": {"set": {"momentum": 0.9}}}, "actions.set: unknown key 'momentum'; the keys are "
                                              "weight_decay, decoupled"),
    ({"actions": {"search": {"wd": {"low": 0.1, "high": 1}}}},
     "unknown parameter 'wd' in 'search'; the parameters are weight_decay, dropout"),
    ({"actions": {"search": {"weight_decays": {"low": 0.1, "high": 1}}}},
     "unknown parameter 'weight_decays' in 'search' (did you mean 'weight_decay'?)"),
    ({"actions": {"tune": ["dropuot"]}}, "unknown parameter 'dropuot' in 'tune' (did you mean "
                                         "'dropout'?)"),
    ({"actions": {"search": {"weight_decay": {"low": 0.1, "high": 0.01}}}},
     "rule 'a-rule', actions.search: The range of weight_decay must have low < high. Got "
     "low=0.1, high=0.01."),
    ({"actions": {"search": {"weight_decay": {"low": 0.1, "high": 0.1}}}},
     "must have low < high"),
    ({"actions": {"search": {"weight_decay": {"low": 0, "high": 0.1, "log": True}}}},
     "actions.search: The range of weight_decay is on a log scale, so low must be > 0. Got "
     "low=0."),
    ({"actions": {"search": {"weight_decay": {"low": -1, "high": 0.1}}}},
     "rule 'a-rule', actions.search: The range of weight_decay cannot be negative. Got "
     "[-1, 0.1]."),
    ({"actions": {"search": {"dropout": {"low": 0.1, "high": 1.5}}}},
     "rule 'a-rule', actions.search: The range of dropout must stay within [0, 1). Got "
     "[0.1, 1.5]."),
    ({"actions": {"search": {"patience_epochs": {"low": 2.5, "high": 10}}}},
     "rule 'a-rule', actions.search: The range of patience_epochs must be whole epochs >= 1. "
     "Got [2.5, 10]."),
    ({"actions": {"search": {"patience_epochs": {"low": 0, "high": 10}}}},
     "The range of patience_epochs must be whole epochs >= 1. Got [0, 10]."),
    # A bound left out is the parameter's default (dropout: high 0.6), checked as any other.
    ({"actions": {"search": {"dropout": {"low": 0.7}}}},
     "The range of dropout must have low < high. Got low=0.7, high=0.6."),
    ({"actions": {"search": {"dropout": {"low": 0.1, "high": 0.5, "step": 0.1}}}},
     "actions.search.dropout: unknown key 'step'; the keys are low, high and log"),
])
def test_rule_errors_are_one_readable_line(rules_dir, changes, message):
    folder = rules_dir({"rules": [a_rule(**changes)]})
    with pytest.raises(RulesError) as info:
        check_rules_dir(folder)
    text = str(info.value)
    assert text.startswith(str(folder / "rules.yaml")) or text.startswith("rules.yaml")
    assert message in text
    assert "\n" not in text and "Traceback" not in text
    assert info.value.exit_code == 2


def test_more_problems_are_counted(rules_dir):
    with pytest.raises(RulesError, match=r"\(and 2 more problems in this entry\)"):
        check_rules_dir(rules_dir({"rules": [a_rule(title=None, why=None, source=None)]}))


@pytest.mark.parametrize(("changes", "message"), [
    ({"verdict": "overfit"}, "verdict #1 (overfit), verdict: should be 'diverging', "
                             "'not_converged', 'overfitting', 'underfitting', 'good_fit' or "
                             "'undecided', got "
                             "'overfit'"),
    ({"reason": None}, "verdict #1 (overfitting): 'reason' is required (every verdict needs "
                       "verdict, when and reason)"),
    ({"when": "verdict == 'good_fit'"}, "a verdict's condition cannot use the verdict itself"),
    ({"reason": "{verdict}"}, "unknown fact 'verdict' in 'reason'"),
    ({"priority": 3}, "verdict #1 (overfitting): unknown key 'priority'"),
    ({"evidence": ["gapratio"]}, "unknown fact 'gapratio' in 'evidence' (did you mean"),
])
def test_verdict_errors(rules_dir, changes, message):
    with pytest.raises(RulesError) as info:
        check_rules_dir(rules_dir({"verdicts": [a_verdict(**changes)]}))
    assert message in str(info.value)


def test_models_validate_on_their_own():
    rule = Rule.model_validate(a_rule())
    assert rule.condition.holds({"gap_ratio": 0.5})
    with pytest.raises(ValidationError, match="unknown fact 'gapp' in 'when'"):
        Rule.model_validate(a_rule(when="gapp > 1"))
    with pytest.raises(ValidationError):
        Rule.model_validate(a_rule(extra_key=1))
    with pytest.raises(ValidationError, match="must have low < high"):
        Actions.model_validate({"search": {"weight_decay": {"low": 1, "high": 0}}})
    verdict = VerdictRule.model_validate(a_verdict())
    assert verdict.evidence_facts == ("gap_ratio",)
    with pytest.raises(ValidationError):  # frozen
        rule.priority = 3  # type: ignore[misc]
