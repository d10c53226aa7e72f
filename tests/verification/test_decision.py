"""The decision verification makes, and what more seeds would cost to decide it."""

from __future__ import annotations

import math
import statistics

import pytest

from regadvisor.verification import Decision, decide
from regadvisor.verification.comparison import t975
from regadvisor.verification.decision import POWER, _t, seeds_to_decide


@pytest.mark.parametrize(("metric", "loss", "metric_is_loss", "decision"), [
    ("improves", "worse", False, Decision.ADOPTED),
    ("improves", "improves", False, Decision.ADOPTED),
    ("worse", "improves", False, Decision.KEPT_YOURS_WORSE),
    ("no clear difference", "improves", False, Decision.LOSS_ONLY),
    ("no clear difference", "no clear difference", False, Decision.TRIED_NOT_ADOPTED),
    ("no clear difference", "worse", False, Decision.TRIED_NOT_ADOPTED),
    # The metric is the loss (regression): there is no gain "in loss only".
    ("no clear difference", "improves", True, Decision.TRIED_NOT_ADOPTED),
])
def test_only_a_measured_gain_on_the_metric_is_adopted(metric, loss, metric_is_loss, decision):
    got = decide(metric, loss, metric_is_loss)
    assert got is decision
    assert got.keeps_yours is (decision is not Decision.ADOPTED)
    assert (got.label == "Recommended change") is (decision is Decision.ADOPTED)


def _half_width(n: int, sd: float, noise: float) -> float:
    """What the planning formula asks of n seeds: (t.975 + t.80) · √(sd²/n + noise²)."""
    return (t975(n - 1) + _t(POWER, n - 1)) * math.sqrt(sd ** 2 / n + noise ** 2)


def test_the_seeds_needed_are_the_fewest_that_resolve_the_observed_difference():
    diffs = [0.108, 0.037, 0.058]  # MNIST-1D, three seeds: +10.8, +3.7, +5.8 points
    est = seeds_to_decide(diffs, 0.004, "accuracy", "test", [120, 118, 120], 0.5)
    mean, sd = statistics.fmean(diffs), statistics.stdev(diffs)
    assert est.seeds is not None and est.seeds > 3
    assert _half_width(est.seeds, sd, 0.004) <= mean < _half_width(est.seeds - 1, sd, 0.004)
    assert est.extra_seeds == est.seeds - 3
    assert est.epochs == round(est.extra_seeds * statistics.fmean([120, 118, 120]))
    assert est.seconds == pytest.approx(est.epochs * 0.5)
    assert f"about {est.seeds} seeds in all" in est.text
    assert "6.77 points" in est.text and "80 % power" in est.text  # the assumption is stated


def test_when_the_held_out_noise_alone_hides_the_difference_more_seeds_cannot_decide():
    est = seeds_to_decide([0.011, 0.009, 0.010], 0.02, "accuracy", "test", [20, 20, 20], None)
    assert est.seeds is None and est.epochs is None
    assert "More seeds alone would not decide it" in est.text and "larger test set" in est.text


def test_equal_arms_need_no_estimate():
    est = seeds_to_decide([0.0, 0.0, 0.0], 0.0, "loss", "validation", [10, 10, 10], 0.1)
    assert est.seeds is None and "no number of seeds" in est.text
