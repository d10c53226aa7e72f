"""Verification: paired comparison and a real baseline-vs-recommendation run."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from regadvisor._record import from_plain, to_plain
from regadvisor.experiment import baseline_config
from regadvisor.verification import paired_comparison, verify
from tests.tuning.conftest import tiny_experiment


@pytest.mark.parametrize(("base", "rec", "higher", "verdict"), [
    ([0.80, 0.81, 0.79], [0.86, 0.88, 0.85], True, "improves"),
    ([0.80, 0.81, 0.79], [0.74, 0.75, 0.73], True, "worse"),
    ([0.80, 0.81, 0.79], [0.81, 0.79, 0.80], True, "no clear difference"),
    ([0.30, 0.31, 0.29], [0.20, 0.22, 0.21], False, "improves"),
    ([0.30, 0.31, 0.29], [0.40, 0.41, 0.39], False, "worse"),
])
def test_paired_comparison(base, rec, higher, verdict):
    c = paired_comparison("x", base, rec, higher)
    assert c.verdict == verdict
    assert c.ci_low <= c.mean_diff <= c.ci_high
    assert c.mean_diff == pytest.approx(sum(rec) / 3 - sum(base) / 3)


def test_interval_uses_student_t():
    c = paired_comparison("x", [0.0, 0.0, 0.0], [1.0, 2.0, 3.0], True)
    # mean 2, sd 1, n 3: half width t(0.975, 2) · 1/√3 = 4.303 / 1.732
    assert c.ci_high - c.mean_diff == pytest.approx(4.303 / math.sqrt(3), rel=1e-3)


def test_verify_trains_both_arms_over_seeds():
    exp = tiny_experiment(epochs=15)
    base = baseline_config(exp)
    rec = base.replace(weight_decay=1e-2, decoupled=True, exempt="bias_and_norm",
                       patience_epochs=4, monitor="val_metric")
    v = verify(exp, base, rec, seeds=2)
    assert v.split == "test" and len(v.seeds) == 2
    assert len(v.baseline.runs) == 2 and len(v.recommended.runs) == 2
    assert all(r.epochs_run == 15 for r in v.baseline.runs)  # the user's setup: all epochs
    assert all(r.stop_reason in ("early_stopped", "max_epochs") for r in v.recommended.runs)
    assert all(0 < r.metric <= 1 and r.ece is not None for r in v.baseline.runs)
    assert v.verdict in ("improves", "no clear difference", "worse")
    assert v.keep_baseline == (v.verdict != "improves") == v.decision.keeps_yours
    assert (v.to_decide is None) == (v.decision.value in ("adopted", "kept-yours-worse"))
    assert "On the test set over 2 seeds" in v.summary
    assert set(v.histories) == {"baseline", "recommended"}
    again = from_plain(type(v), to_plain(v))
    assert again.metric.mean_diff == v.metric.mean_diff


def test_the_held_out_sets_own_noise_widens_the_interval():
    # Four test samples, the recommendation gets one more right on every seed: the seeds agree
    # exactly, but one sample of four is no evidence.
    per_seed = paired_comparison("accuracy", [0.5, 0.5, 0.5], [0.75, 0.75, 0.75], True)
    assert per_seed.verdict == "improves"  # the seeds alone cannot see the test set's noise
    with_samples = paired_comparison("accuracy", [0.5, 0.5, 0.5], [0.75, 0.75, 0.75], True,
                                     sample_diffs=[0.0, 0.0, 0.0, 1.0])
    assert with_samples.verdict == "no clear difference"
    assert with_samples.sample_noise == pytest.approx(0.25)
    assert with_samples.ci_low < 0 < with_samples.ci_high
    # On a large test set the same per-seed gain stays clear.
    many = [0.0] * 750 + [1.0] * 250
    assert paired_comparison("accuracy", [0.5] * 3, [0.75] * 3, True,
                             sample_diffs=many).verdict == "improves"


def test_few_seeds_and_a_tiny_test_set_are_said():
    from torch import nn
    from torch.utils.data import DataLoader, TensorDataset

    from regadvisor.experiment import build_experiment

    g = torch.Generator().manual_seed(0)
    x = torch.randn(132, 6, generator=g)
    y = (x[:, 0] > 0).long()

    def data():
        return (DataLoader(TensorDataset(x[:64], y[:64]), batch_size=16, shuffle=True),
                DataLoader(TensorDataset(x[64:128], y[64:128]), batch_size=64),
                DataLoader(TensorDataset(x[128:], y[128:]), batch_size=4))

    exp = build_experiment(model=lambda: nn.Sequential(nn.Linear(6, 16), nn.ReLU(),
                                                       nn.Linear(16, 2)),
                           data=data, epochs=3)
    base = baseline_config(exp)
    v = verify(exp, base, base.replace(weight_decay=1e-2), seeds=2)
    assert any("Only 2 seeds" in w and "1 degree of freedom" in w for w in v.warnings)
    assert any("only 4 samples" in w and "25.0 points" in w for w in v.warnings)
    assert v.metric.sample_noise is not None


def test_summary_rounds_as_the_report_does():
    from regadvisor._format import difference

    assert difference(-0.0071, "loss") == "-0.0071"
    assert difference(0.0952, "accuracy") == "+9.52 points"


def _arm(name, losses, metrics, ece=None):
    from regadvisor.verification.verify import ArmResult, SeedResult

    arm = ArmResult(name, {})
    for i, (loss, metric) in enumerate(zip(losses, metrics, strict=True)):
        arm.runs.append(SeedResult(seed=100 * i, loss=loss, metric=metric, ece=ece,
                                   epochs_run=10, best_epoch=10, restored_epoch=10,
                                   stop_reason="max_epochs", stop_message="", seconds=1.0))
    return arm


def test_an_exploding_loss_and_a_worse_calibration_are_flagged():
    from regadvisor.verification.verify import _flags

    base = _arm("your setup", [2.6, 2.5, 2.7], [0.69, 0.70, 0.68], ece=0.09)
    rec = _arm("recommendation", [1.1, 27596.0, 37064.0], [0.93, 0.93, 0.92], ece=0.26)
    flags = _flags(base, rec, "test", "accuracy")
    assert flags[0].startswith("Loss: on seed 200") and "over-confident" in flags[0]
    assert flags[1].startswith("Calibration:") and "0.260 against 0.090" in flags[1]
    calm = _arm("recommendation", [2.0, 2.1, 2.2], [0.93, 0.93, 0.92], ece=0.10)
    assert _flags(base, calm, "test", "accuracy") == []


@pytest.mark.parametrize(("diffs", "loss_verdict", "decision"), [
    ([-0.01, -0.02, 0.005], "no clear difference", "tried-not-adopted"),
    ([0.01, 0.02, -0.005], "no clear difference", "tried-not-adopted"),  # higher, not measured
    ([0.0, 0.0, 0.0], "worse", "tried-not-adopted"),
    ([0.01, 0.02, -0.005], "improves", "loss-only"),
])
def test_the_users_setup_is_kept_unless_the_change_measured_better(diffs, loss_verdict, decision):
    from regadvisor.verification import decide

    metric = paired_comparison("accuracy", [0.8] * 3, [0.8 + d for d in diffs], True)
    assert metric.verdict == "no clear difference"
    got = decide(metric.verdict, loss_verdict, metric_is_loss=False)
    assert got.value == decision and got.keeps_yours


def test_the_held_out_noise_does_not_count_the_seed_to_seed_noise_twice():
    from regadvisor.verification.comparison import held_out_noise

    rng = np.random.default_rng(0)
    # 2000 samples, 10 seeds. Each sample's difference flips at random from seed to seed (a
    # sample near the decision boundary): noise the seeds' term already holds, and no true
    # difference between the samples.
    flips = rng.choice([-1.0, 0.0, 0.0, 1.0], size=(10, 2000))
    averaged = held_out_noise(flips.mean(axis=0))  # the seed-averaged list: counted twice
    two_way = held_out_noise(flips)
    assert averaged > 0.004  # √(0.5 / 10 / 2000)
    assert two_way < 0.3 * averaged
    # Samples that truly differ (the same difference on every seed) keep their full noise.
    fixed = np.tile(rng.choice([-1.0, 0.0, 0.0, 1.0], size=2000), (10, 1))
    assert held_out_noise(fixed) == pytest.approx(held_out_noise(fixed[0]), rel=1e-9)
    assert held_out_noise(fixed) == pytest.approx(np.std(fixed[0], ddof=1) / np.sqrt(2000))
