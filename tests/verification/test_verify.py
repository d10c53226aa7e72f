"""Verification: paired comparison and a real baseline-vs-recommendation run."""

from __future__ import annotations

import math

import pytest

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
    assert v.keep_baseline == (v.verdict == "worse")
    assert "On the test set over 2 seeds" in v.summary
    assert set(v.histories) == {"baseline", "recommended"}
    again = type(v).from_dict(v.to_dict())
    assert again.metric.mean_diff == v.metric.mean_diff
