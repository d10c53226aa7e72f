"""The bundled rules on hand-built fact tables: each fires, and stays silent on its near miss."""

from __future__ import annotations

import pytest

from regadvisor.diagnosis.facts import FACT_SPECS, Facts
from regadvisor.pipeline import judge
from regadvisor.rules import load_rules


@pytest.fixture(scope="module")
def ruleset():
    return load_rules()


def facts(**overrides) -> Facts:
    """A well-behaved classification run (good fit) with a plain Adam MLP; then overrides."""
    f = Facts({name: None for name in FACT_SPECS})
    f.update(
        train_loss=0.15, val_loss=0.18, train_loss_last=0.15, val_loss_last=0.18,
        train_metric=0.96, val_metric=0.95, train_metric_last=0.96, val_metric_last=0.95,
        val_metric_best=0.95, gap=0.03, gap_last=0.03, gap_ratio=0.17, metric_gap=0.01,
        chance_loss=2.30, train_loss_vs_chance=0.065, val_loss_vs_chance=0.078,
        val_loss_noise=0.005, gap_over_noise=6.0, val_loss_rise=0.0, val_loss_rise_over_noise=0.0,
        epochs_since_best=0, epochs_since_best_metric=0, epochs_run=20, best_epoch=20,
        best_epoch_fraction=1.0, train_loss_slope=0.005, val_loss_slope=0.001,
        seconds_per_epoch=0.02, diverged=False, n_params=50_000, n_params_decayed=0,
        params_per_sample=50.0,
        n_linear=3, n_dropout_targets=2, n_conv=0, n_norm=0, n_dropout=0, dropout_p=0.0,
        has_batchnorm=False,
        has_layernorm=False, has_dropout=False, has_conv=False, has_embedding=False,
        dropout_before_batchnorm=False, is_linear=False, model_class="Sequential",
        optimizer="Adam", lr=1e-3, weight_decay=0.0, label_smoothing=0.0, implied_l2=None,
        optimizer_is_adaptive=True, decoupled_weight_decay=False, decays_biases=False,
        decays_norms=False, decays_embeddings=False, early_stopping=False, n_train=1000,
        n_val=300, batch_size=32, batch_fraction=0.032, n_classes=10, n_features=64,
        features_per_sample=0.064, max_feature_correlation=0.5, target_variance=None,
        has_augmentation=False, task="classification", metric="accuracy",
        can_train_longer=False, user_epochs=100, diagnostic_fraction=0.2, input_dropout_p=0.0,
        val_loss_rise_ratio=0.0,
    )
    f.update(overrides)
    if "gap_vs_chance" not in overrides:  # derived as the diagnosis derives it
        f["gap_vs_chance"] = f["gap_last"] / f["chance_loss"] if f["chance_loss"] else None
    return f


# The guide's exercise: 99 % train, 72 % validation accuracy, no regularization.
EXERCISE = dict(train_metric_last=0.99, val_metric_last=0.72, metric_gap=0.27, train_loss_last=0.04,
                val_loss_last=1.1, val_loss=0.9, gap_last=1.06, gap_ratio=0.96, gap_over_noise=80.0,
                val_loss_rise=0.2, val_loss_rise_over_noise=9.0,
                val_loss_rise_ratio=0.22,
                epochs_since_best=12, best_epoch=8, best_epoch_fraction=0.4,
                train_loss_vs_chance=0.017, train_loss_slope=0.2,
                val_loss_slope=-0.02, implied_l2=12.5)


def test_guide_exercise_overfitting_in_the_guides_order(ruleset):
    verdict, findings = judge(ruleset, facts(**EXERCISE))
    assert verdict.name == "overfitting"
    ids = [f.rule_id for f in findings]
    remedies = [i for i in ids if i in ("add-weight-decay", "add-dropout-fc", "add-early-stopping")]
    assert remedies == ["add-weight-decay", "add-dropout-fc", "add-early-stopping"]
    assert ids[:3] == remedies
    assert "AdamW" in findings[0].title
    assert findings[0].evidence["gap_ratio"] == pytest.approx(0.96)


def test_high_loss_with_strong_regularization_is_underfitting(ruleset):
    verdict, findings = judge(ruleset, facts(
        train_loss_last=1.45, val_loss_last=1.48, train_loss_vs_chance=0.63,
        val_loss_vs_chance=0.64, gap_ratio=0.02, metric_gap=0.02, train_metric_last=0.7,
        val_metric_last=0.68, train_loss_slope=-0.005, weight_decay=30.0, optimizer="AdamW",
        decoupled_weight_decay=True, dropout_p=0.6, has_dropout=True, best_epoch_fraction=0.7,
        val_loss_slope=-0.01))
    assert verdict.name == "underfitting"
    assert findings[0].rule_id == "reduce-regularization"
    assert "Lower them" in findings[0].advice


# rule id -> (overrides that make it fire, further overrides that make it a near miss)
TABLE = {
    "adam-l2-to-adamw": ({"weight_decay": 1e-4}, {"optimizer": "AdamW",
                                                  "decoupled_weight_decay": True}),
    "exempt-biases-and-norms": ({"weight_decay": 1e-4, "decays_biases": True},
                                {"decays_biases": False}),
    "exempt-embeddings": ({"has_embedding": True, "weight_decay": 1e-4,
                           "decays_embeddings": True}, {"has_embedding": False}),
    "add-weight-decay": (EXERCISE, {"weight_decay": 1e-3}),
    # Adam's coupled L2 is left to adam-l2-to-adamw: its λ is on another scale.
    "stronger-weight-decay": ({**EXERCISE, "weight_decay": 1e-3, "optimizer": "AdamW",
                               "decoupled_weight_decay": True},
                              {"optimizer": "Adam", "decoupled_weight_decay": False}),
    "model-size-needs-more-regularization": ({**EXERCISE, "params_per_sample": 1000.0},
                                             {"params_per_sample": 50.0}),
    "add-dropout-fc": (EXERCISE, {"has_dropout": True, "dropout_p": 0.2}),
    "tune-dropout": ({**EXERCISE, "has_dropout": True, "dropout_p": 0.2},
                     {"has_dropout": False, "dropout_p": 0.0}),
    "dropout-before-batchnorm": ({"dropout_before_batchnorm": True, "has_batchnorm": True},
                                 {"dropout_before_batchnorm": False}),
    "batchnorm-prefers-weight-decay": ({**EXERCISE, "has_batchnorm": True, "has_dropout": True},
                                       {"has_batchnorm": False}),
    "mc-dropout-available": ({"has_dropout": True, "dropout_p": 0.2}, {"has_dropout": False}),
    "add-early-stopping": (EXERCISE, {"early_stopping": True}),
    "early-stopping-safety-net": ({}, {"early_stopping": True}),
    "monitor-metric-not-loss": ({**EXERCISE, "val_metric_last": 0.96},
                                {"val_metric_last": 0.94}),
    "early-stopping-implied-l2": (EXERCISE, {"val_loss_rise_over_noise": 1.5}),
    "data-augmentation": (EXERCISE, {"has_augmentation": True}),
    "tune-augmentation": ({**EXERCISE, "augment_exposed": True, "augment_strength": 0.0},
                          {"augment_exposed": False, "augment_strength": None}),
    "more-data-or-smaller-model": ({**EXERCISE, "params_per_sample": 50.0},
                                   {"params_per_sample": 5.0, "n_train": 5000}),
    "large-batch-overfitting": ({**EXERCISE, "batch_fraction": 0.5}, {"batch_fraction": 0.1}),
    "combine-orthogonal-regularizers": ({**EXERCISE, "weight_decay": 1e-2, "has_dropout": True,
                                         "dropout_p": 0.3}, {"has_dropout": False}),
    "reduce-regularization": ({"train_loss_vs_chance": 0.6, "gap_ratio": 0.02,
                               "train_loss_slope": -0.001, "weight_decay": 1.0,
                               "best_epoch_fraction": 0.6, "val_loss_slope": -0.002},
                              {"weight_decay": 0.0}),
    "more-capacity": ({"train_loss_vs_chance": 0.8, "gap_ratio": 0.02, "train_loss_slope": -0.001,
                       "best_epoch_fraction": 0.6, "val_loss_slope": -0.002},
                      {"weight_decay": 1e-2}),
    "train-longer": ({"train_loss_vs_chance": 0.9, "val_loss_slope": 0.01, "gap_ratio": 0.01},
                     {"val_loss_slope": -0.01}),
    "lower-learning-rate": ({"diverged": True}, {"diverged": False}),
    "label-smoothing": ({**EXERCISE, "n_classes": 10}, {"n_classes": 3}),
    "l1-for-sparse-linear": ({**EXERCISE, "is_linear": True, "features_per_sample": 2.5,
                              "n_linear": 1, "n_dropout_targets": 0,
                              "task": "regression", "metric_gap": None},
                             {"features_per_sample": 0.1}),
    "elastic-net-correlated": ({"is_linear": True, "max_feature_correlation": 0.95},
                               {"max_feature_correlation": 0.3}),
    # Settings outside the guide's ranges fire whatever the verdict (here a good fit).
    "weight-decay-above-range": ({"weight_decay": 5.0, "optimizer": "AdamW",
                                  "decoupled_weight_decay": True}, {"weight_decay": 0.5}),
    # Ten times the top of the L2 range, as users write it: SGD(weight_decay=0.1).
    "weight-decay-above-range:sgd": ({"weight_decay": 0.1, "optimizer": "SGD",
                                      "optimizer_is_adaptive": False},
                                     {"weight_decay": 0.05}),
    "dropout-above-range": ({"dropout_p": 0.8, "has_dropout": True}, {"dropout_p": 0.5}),
    "input-dropout-high": ({"input_dropout_p": 0.5, "dropout_p": 0.5, "has_dropout": True},
                           {"input_dropout_p": 0.2}),
    "label-smoothing-above-range": ({"label_smoothing": 0.3}, {"label_smoothing": 0.1}),
    "stacked-regularizers": ({"dropout_p": 0.6, "has_dropout": True, "label_smoothing": 0.1},
                             {"label_smoothing": 0.05}),
}


def test_every_bundled_rule_is_in_the_table(ruleset):
    assert {r.id for r in ruleset.rules} == {key.split(":")[0] for key in TABLE}


@pytest.mark.parametrize("rule_id", sorted(TABLE))
def test_rule_fires_and_stays_silent_on_its_near_miss(ruleset, rule_id):
    """A key ``id:variant`` is a further case of rule ``id``."""
    fire, miss = TABLE[rule_id]
    rule_id = rule_id.split(":")[0]
    _, findings = judge(ruleset, facts(**fire))
    fired = {f.rule_id: f for f in findings}
    assert rule_id in fired, f"{rule_id} did not fire"
    assert fired[rule_id].evidence, "a finding carries the observed values that fired it"
    _, findings = judge(ruleset, facts(**{**fire, **miss}))
    assert rule_id not in {f.rule_id for f in findings}, f"{rule_id} fired on its near miss"


@pytest.mark.parametrize(("overrides", "verdict"), [
    ({"diverged": True}, "diverging"),
    ({"val_loss_vs_chance": 50.0}, "diverging"),
    ({"train_loss_vs_chance": 0.9, "val_loss_slope": 0.01, "gap_ratio": 0.01}, "not_converged"),
    ({"train_loss_vs_chance": 0.9, "val_loss_slope": 0.001, "gap_ratio": 0.01}, "underfitting"),
    # The same curves while the diagnosis can still train on: not decided yet.
    ({"train_loss_vs_chance": 0.9, "val_loss_slope": 0.01, "gap_ratio": 0.01,
      "can_train_longer": True}, "undecided"),
    ({"can_train_longer": True, "train_loss_slope": 0.05}, "undecided"),
    ({"can_train_longer": True}, "good_fit"),  # flat curves settle it
    (dict(EXERCISE, can_train_longer=True), "overfitting"),  # so does a clear overfit
    # High loss on both sets from over-regularization seen on sight: dropout 0.8, λ = 5.
    ({"train_loss_vs_chance": 0.15, "gap_ratio": 0.02, "train_loss_slope": 0.001,
      "dropout_p": 0.8, "weight_decay": 5.0, "decoupled_weight_decay": True}, "underfitting"),
    # The same loss level with nothing regularizing the model: the data's noise, a good fit.
    ({"train_loss_vs_chance": 0.45, "gap_ratio": 0.02, "train_loss_slope": 0.001},
     "good_fit"),
    # A moderate gap while the validation loss still improves is not overfitting.
    ({"metric_gap": 0.06, "gap_ratio": 0.7, "epochs_since_best": 0}, "good_fit"),
    ({"metric_gap": 0.06, "gap_ratio": 0.7, "epochs_since_best": 6, "gap_last": 0.5},
     "overfitting"),
    # A memorizer of noisy labels: the validation loss has a high floor, so gap_ratio stays
    # under 0.5; a 13-point metric gap with a gap of 0.3 of chance, the loss turned: overfitting.
    ({"metric_gap": 0.13, "gap_ratio": 0.35, "gap_last": 0.7, "epochs_since_best": 35,
      "val_loss_rise_ratio": 0.02}, "overfitting"),
    ({"metric_gap": 0.13, "gap_ratio": 0.35, "gap_last": 0.7, "epochs_since_best": 2,
      "val_loss_rise_ratio": 0.02}, "good_fit"),
    # The same ratios on losses near zero (a near-perfect fit): a gap of 0.02 nats against 2.3
    # for a constant prediction is no gap to act on.
    ({"metric_gap": 0.06, "gap_ratio": 0.85, "epochs_since_best": 6, "gap_last": 0.02,
      "val_loss_rise_over_noise": 5.0, "val_loss_rise_ratio": 0.2}, "good_fit"),
    ({"train_loss_vs_chance": 0.6, "gap_ratio": 0.02, "train_loss_slope": -0.001,
      "best_epoch_fraction": 0.6, "val_loss_slope": -0.002, "weight_decay": 0.01},
     "underfitting"),
    (EXERCISE, "overfitting"),
    ({"task": "regression", "metric_gap": None, "gap_ratio": 0.8, "gap_over_noise": 50.0,
      "gap_last": 0.8}, "overfitting"),
    ({}, "good_fit"),
])
def test_verdicts(ruleset, overrides, verdict):
    assert judge(ruleset, facts(**overrides))[0].name == verdict


GUIDE_SECTIONS = [
    "L2 Regularization (Weight Decay)", "L1 Regularization (Sparsity)", "Elastic Net", "Dropout",
    "Early Stopping", "Early Stopping as Implicit Regularization",
    "Data Augmentation as Implicit Regularization",
    "Batch Normalization as Implicit Regularization",
    "Weight Decay vs L2 Regularization in Adaptive Optimizers",
    "Dropout as Approximate Bayesian Inference", "Practical Guidelines for Regularization Strength",
    "Comparison Table of Regularization Methods", "How to Choose", "Common Confusions",
]


def test_every_technique_section_of_the_guide_has_a_rule(ruleset):
    import pathlib

    guide = pathlib.Path(__file__).resolve().parents[3] / "shared" / "guide" / \
        "regularization-in-practice.txt"
    if guide.exists():
        text = guide.read_text(encoding="utf-8")
        assert all(section in text for section in GUIDE_SECTIONS)
    sources = {r.source for r in ruleset.rules}
    assert set(GUIDE_SECTIONS) <= sources, set(GUIDE_SECTIONS) - sources


@pytest.mark.parametrize(("rise_over_noise", "epochs_since_best", "fires"), [
    (2.01, 3, True), (2.0, 3, False), (9.0, 2, False),
])
def test_a_rising_validation_loss_is_decided_in_the_rules(ruleset, rise_over_noise,
                                                          epochs_since_best, fires):
    """Rising: more than twice its noise above its minimum, the minimum at least 3 epochs old."""
    _, findings = judge(ruleset, facts(**{**EXERCISE, "val_loss_rise_over_noise": rise_over_noise,
                                          "epochs_since_best": epochs_since_best}))
    assert ("early-stopping-implied-l2" in {f.rule_id for f in findings}) is fires
