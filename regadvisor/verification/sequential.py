"""Sequential verification: start with the seeds asked for, add seeds while the verdict is open.

The procedure is a group-sequential paired t-test with one look per seed. After each seed from
the K₀-th (``--seeds``) to the cap N (``--max-seeds``), the paired differences of the K seeds
so far give the interval

    [mean − √( (t(1 − aₖ; K − 1) · s/√K)² + (z(0.975) · σ_held)² ),
     mean + √( (t(1 − bₖ; K − 1) · s/√K)² + (z(0.975) · σ_held)² )]

(Student's t over the seeds, combined with the held-out set's sampling noise σ_held as in
:func:`~regadvisor.verification.comparison.paired_comparison`; that term keeps its 95 % level
because the held-out set is one draw that every look shares: the looks give its sampling error
no further chances), where aₖ is the look's nominal error on the side that says "improves" and bₖ
on the side that says "worse". Verification stops

- **decided**: the interval excludes zero (``improves`` or ``worse``);
- **no gain**: the interval's better end lies below the smallest gain that matters
  (:data:`MIN_GAIN_POINTS` of accuracy, :data:`MIN_GAIN_RELATIVE` of the user's loss): more seeds
  might still tell a small difference, but not one worth acting on;
- **futile**: the gain measured so far, were it the truth, would not show at the cap: the
  chance that the cap's interval says "improves" (predictive power, :func:`chance_to_improve`)
  is under :data:`FUTILITY`; this stop may already act after :data:`FUTILITY_FROM` seeds,
  before the first look, while that interval straddles zero;
- **cap**: N seeds were trained and the interval still straddles zero (``no clear difference``);
- **budget**: a ``--budget`` has no time left for another seed of both arms.

The error rate :data:`ALPHA` (5 %) is split between the two sides: :data:`ALPHA_IMPROVES` (4 %)
for a false "improves" and :data:`ALPHA_WORSE` (1 %) for a false "worse". Only "improves" changes
what the user does (regadvisor recommends the change); "worse" and "no clear difference" both
keep the user's setup, so the side that decides an action gets most of the error rate, and the
two together stay at 5 %. Each side's nominal errors aₖ (bₖ) are those of a one-sided Pocock-type
boundary (the same at every look): chosen so that, when the two arms do not differ and the
per-seed differences are normal, the interval's end on that side passes zero at *some* look with
probability ALPHA_IMPROVES (ALPHA_WORSE) in all, however many looks are taken (a fixed 95 %
interval looked at after every seed would err in about 16 % of such runs at 10 seeds). The t
statistic's null distribution does not depend on the spread of the differences, so the levels
are found once by simulating that null (seeded, :data:`SIMULATIONS` draws) and hold for any
experiment; the held-out term only widens the interval, so the A/A error over seeds stays at or
under ALPHA. A run stopped before the cap (no gain, futile, budget) errs less, never more: the
stops that do not decide (futility) do not spend α. The interval is then a repeated confidence
interval: all the intervals of a run cover the true difference together with probability 95 %,
so the one at the stopping look does too.

The choice was measured (``benchmarks/bench_verdict.py``, docs/benchmarks.md): on MNIST-1D
pools of the recommendations its searches find, the 4 %/1 % split finds a real gain of about 2
points in 61 % and 90 % of runs against 46 % and 82 % with an even split, at an A/A error of
2.7 % against 1.3 %. Why Pocock and not O'Brien-Fleming: with 3 seeds the t statistic has 2
degrees of freedom, so even Pocock's first look needs a large effect (t ≈ 9 at the even split);
O'Brien-Fleming's would need an impossible one, so a large gain that Pocock decides at 3 seeds
takes O'Brien-Fleming 5 or more: the few points of power it adds at the cap cost seeds on every
clear case.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from regadvisor._format import pct, points
from regadvisor._stats import finite

if TYPE_CHECKING:
    from regadvisor.verification.comparison import Comparison

__all__ = ["ALPHA", "ALPHA_IMPROVES", "ALPHA_WORSE", "BOUNDARIES", "FUTILITY", "FUTILITY_FROM",
           "MAX_SEEDS", "MIN_GAIN_POINTS", "MIN_GAIN_RELATIVE", "SIMULATIONS", "Look",
           "Sequential", "StopReason", "chance_to_improve", "futility_start", "look_decision",
           "nominal_levels", "quantile", "replay", "side_levels"]

#: The verdict's error rate over all looks (two-sided): "improves" or "worse" when the arms do
#: not differ, in at most this share of runs.
ALPHA = 0.05
#: Of :data:`ALPHA`, the share for a false "improves" (the verdict that changes the user's setup)
#: and for a false "worse" (the user's setup is kept either way): one-sided errors over all looks.
ALPHA_IMPROVES = 0.04
ALPHA_WORSE = round(ALPHA - ALPHA_IMPROVES, 12)
#: The cap on the seeds (each arm) without ``--max-seeds``. With the futility stop
#: (:data:`FUTILITY`) a comparison that cannot reach "improves" ends at its first looks, so the
#: cap only bounds the promising ones: on the calibration half's A/A pools
#: (``python benchmarks/bench_verdict.py --caps 6 8 10 --sweep 0 0.05 0.1 0.2 0.3``,
#: benchmarks/results/verdict_sweep.json) a cap of 10 with the stop trains 3.6 to 3.8 seeds
#: per arm against 5.8 to 5.9 at a cap of 6 without it, and on MNIST-1D's real candidate it
#: says "improves" in 55.5 % of runs (6.3 seeds) against 34.7 % (5.5 seeds).
MAX_SEEDS = 10
#: The smallest accuracy gain that matters (a fraction: 0.01 is one point). Below this, a
#: candidate is not worth a change of the user's setup, and verification stops adding seeds
#: once the interval rules out a gain this large. On the case suite's calibration half
#: (benchmarks/results/cases.json) every gain regadvisor or the plain Optuna user measured was
#: either at least 3.6 points (mnist1d_mlp +3.9, tokens_transformer +3.6) or at most 0.34 points
#: (the well-regularized digits_cnn_good): one point lies between the two.
MIN_GAIN_POINTS = 0.01
#: The smallest loss gain that matters, relative to the user's mean held-out loss (metric "loss").
#: On the calibration half the measured loss gains were at least 14 % (friedman1_small_mlp) or
#: at most 0.1 % (diabetes_linear).
MIN_GAIN_RELATIVE = 0.02
#: Verification stops adding seeds when the chance that the cap's interval says "improves",
#: were the gain measured so far the true one, falls under this share (see
#: :func:`chance_to_improve`). Both other verdicts keep the user's setup, so a run that cannot
#: reach "improves" buys nothing with more seeds; the stop never says "improves", so it spends
#: none of the error rate. Chosen on the calibration half (verdict_sweep.json, cap 10): 0.05,
#: 0.1, 0.2 and 0.3 train 4.0, 3.7, 3.5 and 3.3 seeds per A/A run (mean of its four cases,
#: against 9.4 without the stop) and find MNIST-1D's real gain in 59.3, 55.5, 50.0 and 43.5 %
#: of runs (60.3 % without): 0.1 keeps all but 5 points of the power at 39 % of the cost.
FUTILITY = 0.1
#: The futility stop may act from this many seeds, before the first look that can decide
#: (``--seeds``, 3): two seeds' differences already tell, in most runs, whether the cap could
#: show an improvement, and a run that cannot stops one seed of both arms sooner. The look
#: decides nothing else (the interval at 2 seeds, at the first look's nominal errors, says
#: neither "improves" nor "worse"; when it excludes zero verification goes on to the first
#: look), so it spends none of the error rate. Chosen on the calibration half
#: (``python benchmarks/bench_verdict.py --cases logreg_wide diabetes_linear
#: digits_overregularized mnist1d_mlp --caps 10 --sweep 0.1 --futility-from 2 3``,
#: benchmarks/results/verdict_sweep_from.json): A/A runs train 3.0 seeds instead of 3.7 (mean of
#: the four cases) and say "improves" in 2.5 % instead of 2.8 %; MNIST-1D's real gain is found
#: in 53.2 % of runs instead of 55.5 %. On the calibration half of the suite the same
#: recommendations and verdicts at 7,234 epochs instead of 7,394; held-out: the same at 7,017
#: instead of 7,267.
FUTILITY_FROM = 2
#: Draws of the null that set the nominal levels (more for few looks, fewer for many).
SIMULATIONS = 100_000
#: Boundary shapes on the z scale of each look's two-sided p value: a constant (Pocock) or one
#: that falls as √(N/K) (O'Brien-Fleming).
BOUNDARIES = ("pocock", "obrien-fleming")


class StopReason:
    """Why verification stopped adding seeds (the values ``report.json`` records)."""

    DECIDED = "decided"
    NO_GAIN = "no_gain"
    FUTILE = "futile"
    CAP = "cap"
    BUDGET = "budget"


@dataclass
class Look:
    """The interval after ``seeds`` seeds, at that look's nominal errors.

    Attributes:
        error_improves, error_worse: The look's one-sided nominal errors of the interval's end
            that says "improves" and of the end that says "worse".
        chance: The chance that the cap's interval would say "improves" at the difference
            measured so far (:func:`chance_to_improve`; ``None`` at the cap).
        decides: False for a futility look before the first look (:data:`FUTILITY_FROM`): it
            could stop for futility only; its interval is at the first look's errors.
    """

    seeds: int
    mean_diff: float
    ci_low: float
    ci_high: float
    error_improves: float
    error_worse: float
    chance: float | None = None
    decides: bool = True


@dataclass
class Sequential:
    """How many seeds verification trained, and why it stopped there.

    Attributes:
        first_seeds: The seeds asked for (``--seeds``): the first look.
        max_seeds: The cap (``--max-seeds``).
        boundary: ``"pocock"`` or ``"obrien-fleming"``.
        alpha: The error rate over all looks (both sides).
        alpha_improves, alpha_worse: Its split: a false "improves", a false "worse".
        levels: Each possible look's one-sided nominal errors ``[improves, worse]``, from
            ``first_seeds`` to ``max_seeds`` seeds.
        min_gain: The smallest gain that matters on the user's metric, in its units (a fraction
            for accuracy).
        futility: The futility stop's threshold (:data:`FUTILITY`).
        futility_from: The seeds from which the futility stop may act (:data:`FUTILITY_FROM`;
            from ``first_seeds`` when the cap is the first look).
        budget_cap: The cap is the most seeds a ``--budget`` could pay for (below
            ``--max-seeds``).
        looks: Each look taken, in order.
        stop: A :class:`StopReason` value.
        message: Why it stopped, in a sentence.
        epochs: Training epochs verification spent (both arms, all seeds; a run reused from
            the diagnosis or from tuning was paid for there and is not counted again).
        added_epochs: Of those, the epochs of the seeds added after the first look.
        reused: Runs verification measured without training them, by the stage that trained
            them (``"diagnosis"``: your setup at full length; ``"tuning"``: the winner's
            re-runs, which train with verification's seeds).
    """

    first_seeds: int
    max_seeds: int
    boundary: str
    alpha: float
    alpha_improves: float
    alpha_worse: float
    levels: list[list[float]]
    min_gain: float
    futility: float = FUTILITY
    futility_from: int = FUTILITY_FROM
    budget_cap: bool = False
    looks: list[Look] = field(default_factory=list)
    stop: str = StopReason.CAP
    message: str = ""
    epochs: int = 0
    added_epochs: int = 0
    reused: dict[str, int] = field(default_factory=dict)


def nominal_levels(first: int, last: int, *, alpha: float = ALPHA,
                   boundary: str = "pocock", one_sided: bool = False) -> list[float]:
    """The nominal error of each look from ``first`` to ``last`` seeds: two-sided (the interval
    excludes zero on either side at some look with probability ``alpha``) or one-sided (its end
    on one side passes zero at some look with probability ``alpha``).

    With one look (``first == last``) it is ``alpha`` itself: the fixed-sample test.

    Args:
        first: Seeds at the first look (at least 2).
        last: Seeds at the last look (the cap).
        alpha: The error rate over all looks.
        boundary: One of :data:`BOUNDARIES`.
        one_sided: One side's error instead of both sides'.

    Raises:
        ValueError: ``first`` under 2, ``last`` under ``first``, or an unknown boundary.
    """
    if first < 2:
        raise ValueError(f"A look needs at least 2 seeds, but got first={first}.")
    if last < first:
        raise ValueError(f"The cap cannot be below the first look, but got first={first}, "
                         f"last={last}.")
    if boundary not in BOUNDARIES:
        raise ValueError(f"Unknown boundary {boundary!r}: one of {', '.join(BOUNDARIES)}.")
    return list(_levels(first, last, alpha, boundary, one_sided))


def side_levels(first: int, last: int, *, boundary: str = "pocock",
                alpha_improves: float = ALPHA_IMPROVES,
                alpha_worse: float = ALPHA_WORSE) -> list[list[float]]:
    """Each look's one-sided nominal errors ``[improves, worse]`` from ``first`` to ``last``
    seeds: the error rate split as :data:`ALPHA_IMPROVES` and :data:`ALPHA_WORSE`."""
    up = nominal_levels(first, last, alpha=alpha_improves, boundary=boundary, one_sided=True)
    down = nominal_levels(first, last, alpha=alpha_worse, boundary=boundary, one_sided=True)
    return [[a, b] for a, b in zip(up, down, strict=True)]


@functools.lru_cache(maxsize=64)
def _levels(first: int, last: int, alpha: float, boundary: str,
            one_sided: bool = False) -> tuple[float, ...]:
    import numpy as np
    from scipy.stats import norm, t

    if first == last:
        return (alpha,)
    looks = np.arange(first, last + 1)
    shape = np.ones(len(looks)) if boundary == "pocock" else np.sqrt(last / looks)
    n_sims = max(20_000, SIMULATIONS * 10 // last)
    rng = np.random.default_rng(20240607)
    d = rng.standard_normal((n_sims, last))
    csum, csq = np.cumsum(d, axis=1), np.cumsum(d * d, axis=1)
    n = looks.astype(float)
    mean = csum[:, looks - 1] / n
    var = (csq[:, looks - 1] - n * mean * mean) / (n - 1)
    tstat = mean / np.sqrt(np.maximum(var, 1e-300) / n)
    # Each look's p value (one-sided: signed; two-sided: of |t|) on the z scale, over the
    # boundary's shape: the run errs when the largest of these passes the constant c.
    z = norm.isf(t.sf(tstat if one_sided else np.abs(tstat), looks - 1))
    c = float(np.quantile((z / shape).max(axis=1), 1 - alpha))
    sides = 1 if one_sided else 2
    return tuple(float(sides * norm.sf(c * w)) for w in shape)


def chance_to_improve(diffs: Sequence[float], noise: float | None, *, max_seeds: int,
                      error: float, higher_is_better: bool = True) -> float:
    """The chance that the interval at the cap says "improves", were the gain measured so far
    the true one: the predictive power of the seeds still to come.

    With ``K`` per-seed differences of mean ``m`` (in the better direction) and spread ``s``,
    the cap's ``N``-seed mean is predicted as normal around ``m`` with variance
    ``s² (N − K) / (N K)`` (the seeds to come, and the uncertainty of ``m`` itself: a flat
    prior), and it says "improves" when it passes the cap's half-width
    ``√((t(1 − a_N; N − 1) · s/√N)² + (z(0.975) · σ_held)²)``. The held-out term does not
    shrink with seeds: a gain under ``z(0.975) · σ_held`` cannot be shown by any number of them.

    Args:
        diffs: Per-seed differences recommendation − baseline so far.
        noise: The held-out set's sampling noise σ_held (``None``: not known, counted as 0).
        max_seeds: The cap ``N``.
        error: The cap's one-sided nominal error on the side that says "improves" (``a_N``).
        higher_is_better: Orientation.

    Returns:
        A probability; 1 or 0 when the differences do not spread (the prediction is certain),
        NaN with fewer than 2 finite differences or none to come.
    """
    from regadvisor.verification.comparison import Z975

    kept = [d if higher_is_better else -d for d in finite(diffs)]
    k = len(kept)
    if k < 2 or k >= max_seeds:
        return math.nan
    mean = sum(kept) / k
    spread = math.sqrt(sum((d - mean) ** 2 for d in kept) / (k - 1))
    half = math.hypot(quantile(2 * error, max_seeds - 1) * spread / math.sqrt(max_seeds),
                      Z975 * (noise or 0.0))
    sd = spread * math.sqrt((max_seeds - k) / (max_seeds * k))
    if sd <= 0:
        return 1.0 if mean > half else 0.0
    return 0.5 * (1 + math.erf((mean - half) / (sd * math.sqrt(2))))


def replay(diffs: Sequence[float], *, first: int, max_seeds: int, min_gain: float,
           higher_is_better: bool = True, boundary: str = "pocock",
           sample_diffs: Any = None, alpha_improves: float = ALPHA_IMPROVES,
           futility: float = FUTILITY,
           futility_from: int = FUTILITY_FROM) -> tuple[Comparison, str, int]:
    """The sequential procedure on per-seed differences already measured, seed by seed.

    What :func:`~regadvisor.verification.verify` decides while it trains, replayed on a list:
    the benchmarks measure the procedure's error rates with it on pools of trained runs.

    Args:
        diffs: Per-seed differences recommendation − baseline, in seed order (at least
            ``max_seeds`` of them, or as many as there are: the last is then the cap).
        first, max_seeds: The first look and the cap.
        min_gain: The smallest gain that matters.
        higher_is_better: Orientation.
        boundary: One of :data:`BOUNDARIES`.
        alpha_improves: The share of :data:`ALPHA` for a false "improves" (the benchmarks
            compare splits; verification uses :data:`ALPHA_IMPROVES`).
        sample_diffs: Per held-out sample differences, or a function of the seeds ``K`` at a
            look that gives them (one row per seed of the first ``K``, as verification
            measures them; see :func:`~regadvisor.verification.comparison.held_out_noise`).
        futility: The futility stop's threshold (0: none; verification uses :data:`FUTILITY`).
        futility_from: The seeds from which the futility stop may act
            (:func:`futility_start`).

    Returns:
        The comparison at the stopping look, the :class:`StopReason` value and the seeds used.
    """
    from regadvisor.verification.comparison import paired_comparison

    cap = min(max_seeds, len(diffs))
    levels = side_levels(first, max_seeds, boundary=boundary, alpha_improves=alpha_improves,
                         alpha_worse=round(ALPHA - alpha_improves, 12))
    start = futility_start(first, max_seeds, futility, futility_from)
    for n in range(start, cap + 1):
        samples = sample_diffs(n) if callable(sample_diffs) else sample_diffs
        c = paired_comparison("x", [0.0] * n, list(diffs[:n]), higher_is_better, samples,
                              errors=levels[max(n - first, 0)])
        chance = chance_to_improve(c.diffs, c.sample_noise, max_seeds=max_seeds,
                                   error=levels[-1][0], higher_is_better=higher_is_better)
        stop, reason, _ = look_decision(c.verdict, c.ci_low, c.ci_high, higher_is_better,
                                        seeds=n, max_seeds=cap, min_gain=min_gain,
                                        chance=chance, futility=futility,
                                        decides=n >= first)
        if stop:
            return c, reason, n
    raise ValueError(f"replay needs at least first={first} differences, got {len(diffs)}.")


def futility_start(first: int, max_seeds: int, futility: float = FUTILITY,
                   futility_from: int = FUTILITY_FROM) -> int:
    """The seeds at verification's first look, counting the futility looks before it: from
    ``futility_from`` (at least 2: the chance needs a spread) when seeds may be added and the
    futility stop is on, else ``first`` (``--max-seeds`` equal to ``--seeds`` asks for exactly
    that many)."""
    if max_seeds <= first or not futility:
        return first
    return min(first, max(2, futility_from))


@functools.lru_cache(maxsize=4096)
def quantile(level: float, df: int | None = None) -> float:
    """The two-sided ``level``'s critical value: of Student's t with ``df`` degrees of freedom,
    or of the normal (``df`` None)."""
    from scipy.stats import norm, t

    return float(norm.isf(level / 2) if df is None else t.isf(level / 2, df))


def look_decision(verdict: str, low: float, high: float, higher_is_better: bool, *,
                  seeds: int, max_seeds: int, min_gain: float, metric: str = "accuracy",
                  time_for_another: bool = True, chance: float = math.nan,
                  futility: float = FUTILITY, budget_cap: bool = False,
                  decides: bool = True) -> tuple[bool, str, str]:
    """Whether to stop after ``seeds`` seeds: ``(should_stop, reason, message)``.

    Args:
        verdict: The look's verdict (``improves``, ``worse``, ``no clear difference``).
        low, high: The look's interval of recommendation − baseline.
        higher_is_better: Orientation of the figure.
        seeds: Seeds trained so far.
        max_seeds: The cap.
        min_gain: The smallest gain that matters, in the figure's units.
        metric: The figure's name (how the gain is written).
        time_for_another: False when a ``--budget`` leaves no time for another seed.
        chance: The chance that the cap's interval says "improves" (:func:`chance_to_improve`;
            NaN: not known, no futility stop).
        futility: Stop when ``chance`` is under this (:data:`FUTILITY`; 0: never).
        budget_cap: The cap is what a ``--budget`` could pay for (the message says so).
        decides: False at a futility look before the first look: it stops only for
            futility, and only while the interval straddles zero.
    """
    better_high = high if higher_is_better else -low
    if not decides:
        if verdict == "no clear difference" and chance < futility:
            return True, StopReason.FUTILE, _futile_message(seeds, max_seeds, chance)
        return False, "", ""
    if verdict != "no clear difference":
        return True, StopReason.DECIDED, (
            f"Decided after {seeds} of up to {max_seeds} seeds: the interval excludes zero.")
    if math.isfinite(better_high) and better_high < min_gain:
        return True, StopReason.NO_GAIN, (
            f"Stopped after {seeds} of up to {max_seeds} seeds: the interval rules out a gain "
            f"that matters (the smallest counted is {_gain_text(min_gain, metric)}).")
    if seeds >= max_seeds:
        return True, StopReason.CAP, (
            f"Stopped at the cap of {max_seeds} seeds ("
            + ("as many as the --budget could pay for" if budget_cap else "--max-seeds")
            + ") without a decision.")
    if chance < futility:
        return True, StopReason.FUTILE, _futile_message(seeds, max_seeds, chance)
    if not time_for_another:
        return True, StopReason.BUDGET, (
            f"Stopped after {seeds} of up to {max_seeds} seeds: the --budget leaves no time "
            "for another seed of both configurations.")
    return False, "", ""


def _futile_message(seeds: int, max_seeds: int, chance: float) -> str:
    return (f"Stopped after {seeds} of up to {max_seeds} seeds: at the difference measured so "
            f"far, {max_seeds} seeds would show an improvement with a chance of "
            f"{_percent(chance)}.")


def _percent(p: float) -> str:
    """A small probability as the stop's message writes it."""
    return "under 1 %" if p < 0.01 else pct(p, 0)


def _gain_text(min_gain: float, metric: str) -> str:
    if metric == "accuracy":
        return f"{points(min_gain, '.3g')} of accuracy"
    return f"{min_gain:.4g} of {metric}"
