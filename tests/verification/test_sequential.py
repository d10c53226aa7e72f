"""Sequential verification: the boundary's error rate, and seeds added while undecided."""

from __future__ import annotations

import math
import random
import time

import numpy as np
import pytest

from regadvisor._record import from_plain, to_plain
from regadvisor.experiment import baseline_config
from regadvisor.verification import verify
from regadvisor.verification.comparison import Z975, paired_comparison
from regadvisor.verification.results import Verification
from regadvisor.verification.sequential import (
    FUTILITY,
    StopReason,
    chance_to_improve,
    look_decision,
    nominal_levels,
    quantile,
    replay,
    side_levels,
)
from tests.tuning.conftest import tiny_experiment


def _null_error_rate(boundary: str, runs: int) -> float:
    """Share of A/A runs (per-seed differences N(0, 1), 3 to 10 seeds, looked at after every
    seed) whose interval excludes zero at some look."""
    rng = random.Random(7)
    errors = 0
    for _ in range(runs):
        diffs = [rng.gauss(0.0, 1.0) for _ in range(10)]
        c, reason, _ = replay(diffs, first=3, max_seeds=10, min_gain=0.0, boundary=boundary)
        errors += reason == StopReason.DECIDED
    return errors / runs


def test_the_boundary_keeps_the_a_a_error_rate_at_five_percent_over_all_looks():
    rate = _null_error_rate("pocock", 1500)
    # 1500 draws: the standard error of a 5 % rate is 0.56 points.
    assert rate <= 0.064
    assert rate >= 0.035  # not bought by never deciding
    assert _null_error_rate("obrien-fleming", 600) <= 0.068


def test_a_fixed_95_percent_interval_looked_at_after_every_seed_would_not():
    rng = random.Random(7)
    errors = 0
    for _ in range(1000):
        diffs = [rng.gauss(0.0, 1.0) for _ in range(10)]
        for n in range(3, 11):
            c, _, _ = replay(diffs[:n], first=n, max_seeds=n, min_gain=0.0)
            if c.verdict != "no clear difference":
                errors += 1
                break
    assert errors / 1000 > 0.12  # about 16 %: why the looks need a boundary


def test_a_real_gain_is_found_and_one_look_is_the_fixed_test():
    rng = random.Random(3)
    found = sum(replay([rng.gauss(1.5, 1.0) for _ in range(10)], first=3, max_seeds=10,
                       min_gain=0.0)[0].verdict == "improves" for _ in range(300))
    assert found / 300 > 0.9
    assert nominal_levels(3, 3) == [0.05]
    assert len(set(nominal_levels(3, 10))) == 1  # Pocock: one level at every look
    obf = nominal_levels(3, 10, boundary="obrien-fleming")
    assert obf == sorted(obf) and obf[-1] > nominal_levels(3, 10)[0]


@pytest.mark.parametrize(("verdict", "low", "high", "seeds", "reason"), [
    ("improves", 0.01, 0.05, 3, StopReason.DECIDED),
    ("worse", -0.05, -0.01, 3, StopReason.DECIDED),
    ("no clear difference", -0.02, 0.005, 3, StopReason.NO_GAIN),  # a 1-point gain ruled out
    ("no clear difference", -0.02, 0.03, 10, StopReason.CAP),
    ("no clear difference", -0.02, 0.03, 4, ""),  # undecided: add a seed
])
def test_look_decision(verdict, low, high, seeds, reason):
    stop, why, message = look_decision(verdict, low, high, True, seeds=seeds, max_seeds=10,
                                       min_gain=0.01)
    assert stop == bool(reason) and why == reason
    assert (str(seeds) in message) == stop


def test_lower_is_better_orientation_rules_out_a_loss_gain():
    # A loss metric: the interval of rec − base is [-0.001, 0.2], a gain (a lower loss) of at
    # most 0.001, below the 0.01 that matters.
    stop, why, _ = look_decision("no clear difference", -0.001, 0.2, False, seeds=3,
                                 max_seeds=10, min_gain=0.01, metric="loss")
    assert stop and why == StopReason.NO_GAIN


@pytest.fixture(scope="module")
def tiny():
    return tiny_experiment(epochs=6)


def test_undecided_verification_adds_seeds_up_to_the_cap(tiny):
    base = baseline_config(tiny)
    rec = base.replace(weight_decay=1e-4)  # a change too small to tell apart
    progress = []
    v = verify(tiny, base, rec, seeds=2, max_seeds=4, min_gain=0.0, futility=0.0,
               on_run=lambda done, total: progress.append((done, total)))
    assert v.verdict == "no clear difference"
    assert v.seeds == [0, 100, 200, 300]
    assert len(v.baseline.runs) == len(v.recommended.runs) == 4
    seq = v.sequential
    assert seq.stop == StopReason.CAP and seq.first_seeds == 2 and seq.max_seeds == 4
    assert [look.seeds for look in seq.looks] == [2, 3, 4]
    assert seq.epochs == 8 * 6 and seq.added_epochs == 4 * 6
    assert progress[-1] == (8, 8) and progress[3] == (4, 4)  # the total grows seed by seed
    assert "cap of 4 seeds" in v.summary and "cost 24 training epochs" in v.summary
    back = from_plain(Verification, to_plain(v))
    assert back.sequential.looks[-1].seeds == 4 and back.sequential.stop == "cap"


def test_verification_stops_when_a_gain_that_matters_is_ruled_out(tiny):
    base = baseline_config(tiny)
    v = verify(tiny, base, base, seeds=3, max_seeds=6, futility=0.0)
    # The same setup on both arms: identical runs (same seed, same initialisation, same data
    # order), a zero-width interval at zero, and no gain of a point possible. (The futility
    # stop, off here, would end it at 2 seeds: see the test after the next.)
    assert v.metric.diffs == [0.0, 0.0, 0.0]
    assert v.sequential.stop == StopReason.NO_GAIN and len(v.seeds) == 3
    assert "rules out a gain that matters" in v.summary


def test_verification_stops_when_decided(tiny):
    base = baseline_config(tiny).replace(lr=1e-5)  # barely learns in 6 epochs
    v = verify(tiny, base, base.replace(lr=3e-3), seeds=3, max_seeds=6)
    assert v.verdict == "improves"
    assert v.sequential.stop == StopReason.DECIDED
    assert len(v.seeds) == v.sequential.looks[-1].seeds < 6


def test_no_seed_is_added_past_the_deadline(tiny):
    base = baseline_config(tiny)
    v = verify(tiny, base, base.replace(weight_decay=1e-4), seeds=2, max_seeds=6, min_gain=0.0,
               futility=0.0, deadline=time.perf_counter())
    assert v.seeds == [0, 100]
    assert v.sequential.stop == StopReason.BUDGET and "--budget" in v.summary


def _null_errors_by_side(runs: int) -> tuple[float, float]:
    """Shares of A/A runs (N(0, 1) differences, 3 to 10 seeds) that end "improves" and
    "worse"."""
    rng = random.Random(11)
    up = down = 0
    for _ in range(runs):
        diffs = [rng.gauss(0.0, 1.0) for _ in range(10)]
        verdict = replay(diffs, first=3, max_seeds=10, min_gain=0.0)[0].verdict
        up += verdict == "improves"
        down += verdict == "worse"
    return up / runs, down / runs


def test_the_error_rate_is_split_four_to_one_towards_the_verdict_that_changes_the_setup():
    from regadvisor.verification.sequential import ALPHA, ALPHA_IMPROVES, ALPHA_WORSE

    assert ALPHA_IMPROVES + ALPHA_WORSE == pytest.approx(ALPHA)
    improves, worse = _null_errors_by_side(2000)
    # 2000 draws: standard errors 0.44 and 0.22 points.
    assert 0.028 <= improves <= 0.053
    assert worse <= 0.019
    assert improves > 2 * worse
    first = side_levels(3, 10)[0]
    assert first[0] > 4 * first[1]  # the "improves" end takes the larger nominal error
    assert side_levels(3, 3) == [[pytest.approx(0.04), pytest.approx(0.01)]]
    # A loss (lower is better): the end that says "improves" is the upper one.
    c = paired_comparison("loss", [1.0] * 5, [0.9, 0.92, 0.88, 0.91, 0.9], False,
                          errors=[0.04, 0.01])
    even = paired_comparison("loss", [1.0] * 5, [0.9, 0.92, 0.88, 0.91, 0.9], False)
    assert c.ci_high < even.ci_high and c.ci_low < even.ci_low


def test_a_run_reused_from_the_diagnosis_is_recorded_as_such_and_counted_once(tiny):
    from regadvisor.training import train_experiment

    base = baseline_config(tiny)
    done = train_experiment(tiny, base.replace(seed=0), train_figures=False)
    v = verify(tiny, base, base.replace(weight_decay=1e-3), seeds=2, max_seeds=2,
               reuse={0: (done.history, done.model)})
    first, second = v.baseline.runs
    assert first.reused == "diagnosis" and second.reused is None
    assert all(r.reused is None for r in v.recommended.runs)
    # Its epochs were spent by the diagnosis: verification trained three runs, not four.
    assert v.sequential.epochs == 3 * 6
    assert from_plain(Verification, to_plain(v)).baseline.runs[0].reused == "diagnosis"


def test_the_winners_reruns_are_the_recommendations_runs_with_their_seeds(tiny):
    """A re-run kept from tuning (same configuration, same seed) is measured, not trained
    again: its figures are those of the run verification would train, its epochs counted once."""
    from regadvisor.training import train_experiment

    base = baseline_config(tiny)
    rec = base.replace(weight_decay=1e-3)
    kept = train_experiment(tiny, rec.replace(seed=100), train_figures=False)
    fresh = verify(tiny, base, rec, seeds=2, max_seeds=2)
    v = verify(tiny, base, rec, seeds=2, max_seeds=2,
               reuse_recommended={100: (kept.history, kept.model)})
    assert [r.reused for r in v.recommended.runs] == [None, "tuning"]
    assert all(r.reused is None for r in v.baseline.runs)
    again, reused = fresh.recommended.runs[1], v.recommended.runs[1]
    assert (reused.metric, reused.epochs_run) == (again.metric, again.epochs_run)
    assert reused.loss == pytest.approx(again.loss)
    assert v.sequential.epochs == fresh.sequential.epochs - again.epochs_run


def test_the_chance_to_improve_is_the_predictive_power_of_the_seeds_to_come():
    # Against a simulation of what the formula says: the true gain drawn around the mean so far
    # (flat prior), the seeds to come drawn around it, the cap's interval at the cap's level.
    diffs, noise, cap, error = [0.021, 0.004, 0.012], 0.004, 8, 0.02
    got = chance_to_improve(diffs, noise, max_seeds=cap, error=error)
    rng = np.random.default_rng(0)
    k, m, s = len(diffs), np.mean(diffs), np.std(diffs, ddof=1)
    theta = rng.normal(m, s / np.sqrt(k), 200_000)
    final = (k * m + (cap - k) * rng.normal(theta, s / np.sqrt(cap - k))) / cap
    half = np.hypot(quantile(2 * error, cap - 1) * s / np.sqrt(cap), Z975 * noise)
    assert got == pytest.approx(np.mean(final > half), abs=0.005)
    assert 0.05 < got < 0.95  # a case where the seeds to come decide
    # The loss is oriented: a lower loss is the gain.
    assert chance_to_improve([-d for d in diffs], noise, max_seeds=cap, error=error,
                             higher_is_better=False) == pytest.approx(got)
    # A held-out set too small for the gain: no number of seeds shows it.
    assert chance_to_improve(diffs, 0.02, max_seeds=cap, error=error) < 0.01
    # Nothing to predict at the cap, or from a single seed.
    assert math.isnan(chance_to_improve(diffs, noise, max_seeds=3, error=error))
    assert math.isnan(chance_to_improve([0.02], noise, max_seeds=cap, error=error))


@pytest.mark.parametrize("chance, reason", [(0.03, StopReason.FUTILE), (0.5, ""),
                                            (math.nan, "")])
def test_a_look_stops_when_the_cap_could_not_show_an_improvement(chance, reason):
    stop, why, message = look_decision("no clear difference", -0.02, 0.05, True, seeds=3,
                                       max_seeds=8, min_gain=0.01, chance=chance)
    assert (stop, why) == (bool(reason), reason)
    if reason:
        assert "8 seeds would show an improvement with a chance of 3 %" in message
    # A decided look is decided whatever the chance, and futility 0 never stops.
    assert look_decision("improves", 0.01, 0.05, True, seeds=3, max_seeds=8, min_gain=0.01,
                         chance=0.0)[1] == StopReason.DECIDED
    assert not look_decision("no clear difference", -0.02, 0.05, True, seeds=3, max_seeds=8,
                             min_gain=0.01, chance=0.0, futility=0.0)[0]


def test_verification_stops_when_more_seeds_could_not_show_an_improvement(tiny):
    base = baseline_config(tiny)
    # A change too small to tell apart, with min_gain 0 so that only the futility stop ends it
    # before the cap: the run trains the first look's seeds and no more.
    v = verify(tiny, base, base.replace(weight_decay=1e-4), seeds=3, max_seeds=10, min_gain=0.0)
    seq = v.sequential
    assert seq.stop == StopReason.FUTILE and len(v.seeds) < 10
    assert seq.looks[-1].chance < seq.futility == FUTILITY
    assert "would show an improvement with a chance of" in v.summary
    again = verify(tiny, base, base.replace(weight_decay=1e-4), seeds=3, max_seeds=10,
                   min_gain=0.0, futility=0.0)
    assert again.sequential.stop == StopReason.CAP and len(again.seeds) == 10


def test_a_cap_the_budget_set_is_named_as_such(tiny):
    base = baseline_config(tiny)
    rec = base.replace(weight_decay=1e-4)
    one = verify(tiny, base, rec, seeds=2, max_seeds=2, budget_cap=True)
    assert "2 seeds, one look (the --budget left time for no more: no seed added)" in one.summary
    assert one.sequential.budget_cap
    capped = verify(tiny, base, rec, seeds=2, max_seeds=3, min_gain=0.0, futility=0.0,
                    budget_cap=True)
    assert capped.sequential.stop == StopReason.CAP
    assert "cap of 3 seeds (as many as the --budget could pay for)" in capped.summary


def test_the_futility_stop_may_act_after_two_seeds_and_decides_nothing_else(tiny):
    from regadvisor.verification.sequential import FUTILITY_FROM, futility_start

    assert FUTILITY_FROM == 2
    assert futility_start(3, 10) == 2 and futility_start(4, 10) == 2
    # --max-seeds equal to --seeds asks for exactly that many: no earlier look.
    assert futility_start(3, 3) == 3 and futility_start(2, 6) == 2
    base = baseline_config(tiny)
    v = verify(tiny, base, base, seeds=3, max_seeds=10)
    seq = v.sequential
    assert len(v.seeds) == 2 and seq.stop == StopReason.FUTILE
    assert [(look.seeds, look.decides) for look in seq.looks] == [(2, False)]
    assert v.verdict == "no clear difference"
    assert "Stopped after 2 of up to 10 seeds" in v.summary
    assert "before the first look at 3 seeds" in v.summary
    # Epochs: 2 seeds of both arms, none "added".
    assert seq.epochs == 4 * 6 and seq.added_epochs == 0
    fixed = verify(tiny, base, base, seeds=3, max_seeds=3)
    assert len(fixed.seeds) == 3 and [look.seeds for look in fixed.sequential.looks] == [3]
    # The early look stops only while the interval straddles zero: a clear difference at 2
    # seeds goes on to the first look, which decides it.
    assert look_decision("worse", -0.5, -0.1, True, seeds=2, max_seeds=10, min_gain=0.01,
                         chance=0.0, decides=False) == (False, "", "")
    assert look_decision("no clear difference", -0.5, 0.1, True, seeds=2, max_seeds=10,
                         min_gain=0.01, chance=0.3, decides=False) == (False, "", "")
    assert look_decision("no clear difference", -0.5, 0.1, True, seeds=2, max_seeds=10,
                         min_gain=0.01, chance=0.05, decides=False)[1] == StopReason.FUTILE


def test_the_early_futility_look_spends_none_of_the_error_rate():
    """On null differences, the runs that say "improves" with the look at 2 seeds are a subset
    of those that say it without: a stop that never says "improves" only removes chances."""
    rng = random.Random(5)
    with_look = without = 0
    for _ in range(1500):
        diffs = [rng.gauss(0.0, 1.0) for _ in range(10)]
        a = replay(diffs, first=3, max_seeds=10, min_gain=0.0)[0].verdict == "improves"
        b = replay(diffs, first=3, max_seeds=10, min_gain=0.0,
                   futility_from=3)[0].verdict == "improves"
        assert b or not a
        with_look += a
        without += b
    assert with_look <= without
