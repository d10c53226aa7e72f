"""The search space follows the findings and records why each bound was chosen."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from regadvisor._record import to_plain
from regadvisor.errors import ConfigError
from regadvisor.pipeline import judge
from regadvisor.rules import Actions, load_rules
from regadvisor.tuning import DEFAULT_RANGES, ParamRange, build_space, load_space_file
from tests.diagnosis.test_rules_table import EXERCISE, facts


@pytest.fixture(scope="module")
def ruleset():
    return load_rules()


def _space(ruleset, **overrides):
    f = facts(**overrides)
    _, findings = judge(ruleset, f)
    return build_space(findings, f)


def test_overfitting_searches_more_regularization(ruleset):
    space = _space(ruleset, **EXERCISE)
    wd = space.params["weight_decay"]
    assert wd.log and wd.high > DEFAULT_RANGES["weight_decay"].high
    assert "add-weight-decay" in wd.reason
    assert set(space.params) >= {"weight_decay", "dropout", "patience_epochs"}
    assert space.base["decoupled"] is True and space.base["exempt"] == "bias_and_norm"
    assert space.base["inject_dropout"] is True
    assert "reasons" in to_plain(space) and space.reasons["decoupled"].startswith("rule ")


def test_underfitting_lets_regularization_reach_zero(ruleset):
    space = _space(ruleset, train_loss_vs_chance=0.6, gap_ratio=0.02, train_loss_slope=-0.001,
                   weight_decay=1.0, has_dropout=True, dropout_p=0.6, best_epoch_fraction=0.6,
                   val_loss_slope=-0.002, optimizer="AdamW", decoupled_weight_decay=True)
    # From the user's settings down to (practically) zero.
    assert space.params["weight_decay"].low <= 1e-7
    assert space.params["weight_decay"].high == 1.0
    assert space.params["dropout"].low == 0.0 and space.params["dropout"].high == 0.6


def test_linear_model_gets_l1_and_no_dropout(ruleset):
    space = _space(ruleset, **{**EXERCISE, "is_linear": True, "features_per_sample": 2.5,
                               "n_linear": 1, "n_dropout_targets": 0,
                              "task": "regression", "metric_gap": None})
    assert "l1" in space.params and "dropout" not in space.params


def test_overrides_win(ruleset):
    f = facts(**EXERCISE)
    _, findings = judge(ruleset, f)
    space = build_space(findings, f, {"weight_decay": ParamRange("weight_decay", 1e-4, 1e-3,
                                                                 True, "")})
    assert (space.params["weight_decay"].low, space.params["weight_decay"].high) == (1e-4, 1e-3)
    assert space.params["weight_decay"].reason == "set by the user"


@pytest.mark.parametrize(("args", "message"), [
    (("weight_decay", 1e-2, 1e-3, True), "must have low < high"),
    (("weight_decay", 0.0, 1e-1, True), "log scale, so low must be > 0"),
    (("dropout", 0.1, 1.0, False), r"must stay within \[0, 1\)"),
    (("patience_epochs", 0, 10, False), "whole epochs >= 1"),
    (("momentum", 0.1, 0.9, False), "Unknown search parameter"),
    (("l1", -0.1, 0.5, False), "cannot be negative"),
    (("dropout", -0.1, 0.5, False), r"must stay within \[0, 1\)"),
])
def test_bad_ranges(args, message):
    with pytest.raises(ConfigError, match=message):
        ParamRange(*args)


def test_space_file(tmp_path):
    path = tmp_path / "space.yaml"
    path.write_text("weight_decay: {low: 1.0e-5, high: 1.0e-1, log: true}\n"
                    "dropout: {low: 0.1, high: 0.4}\n")
    ranges = load_space_file(path)
    assert ranges["weight_decay"].log and ranges["dropout"].high == 0.4
    path.write_text("weight_decay: {low: 1.0e-1, high: 1.0e-5, log: true}\n")
    with pytest.raises(ConfigError, match="low < high"):
        load_space_file(path)
    path.write_text("weight_decay: [1, 2\n")
    with pytest.raises(ConfigError, match=r"space.yaml:\d+:\d+: malformed YAML"):
        load_space_file(path)
    with pytest.raises(ConfigError, match="does not exist"):
        load_space_file(tmp_path / "missing.yaml")


def test_a_range_is_checked_alike_everywhere(tmp_path):
    """A rule's range, a space file's and a ParamRange break the same rule in the same words."""
    message = re.escape("The range of dropout must stay within [0, 1). Got [0.1, 1.5].")
    with pytest.raises(ValidationError, match=message):
        Actions.model_validate({"search": {"dropout": {"low": 0.1, "high": 1.5}}})
    path = tmp_path / "space.yaml"
    path.write_text("dropout: {low: 0.1, high: 1.5}\n")
    with pytest.raises(ConfigError, match=message):
        load_space_file(path)
    with pytest.raises(ConfigError, match=message):
        ParamRange("dropout", 0.1, 1.5)


@pytest.mark.parametrize(("text", "message"), [
    ("- 1\n", "a search space file maps parameter names to {low, high, log}"),
    ("dropout: {low: 0.1}\n", "parameter 'dropout': give low and high"),
    ("dropout: 0.3\n", "parameter 'dropout': give low and high"),
    ("dropout: {low: 0.1, high: 0.5, step: 0.1, a: 1}\n",
     "parameter 'dropout': unknown key 'a'; use low, high and log."),
    ("dropout: {low: a, high: 0.5}\n", "parameter 'dropout': low and high must be numbers."),
])
def test_space_file_shape_errors(tmp_path, text, message):
    path = tmp_path / "space.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_space_file(path)
