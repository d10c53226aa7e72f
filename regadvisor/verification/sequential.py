"""Sequential verification: start with the seeds asked for, add seeds while the verdict is open.

The procedure is a group-sequential paired t-test with one look per seed. After each seed from
the K₀-th (``--seeds``) to the cap N (``--max-seeds``), the paired differences of the K seeds
so far give the interval

    mean ± √( (t(1 − αₖ/2; K − 1) · s/√K)² + (z(0.975) · σ_held)² )

(Student's t over the seeds, combined with the held-out set's sampling noise σ_held as in
:func:`~regadvisor.verification.comparison.paired_comparison`; that term keeps its 95 % level
because the held-out set is one draw that every look shares: the looks give its sampling error
no further chances), and verification stops

- **decided**: the interval excludes zero (``improves`` or ``worse``);
- **no gain**: the interval's better end lies below the smallest gain that matters
  (:data:`MIN_GAIN_POINTS` of accuracy, :data:`MIN_GAIN_RELATIVE` of the user's loss): more seeds
  might still tell a small difference, but not one worth acting on;
- **cap**: N seeds were trained and the interval still straddles zero (``no clear difference``);
- **budget**: a ``--budget`` has no time left for another seed of both arms.

The nominal levels αₖ are those of a Pocock-type boundary (the same αₖ at every look): chosen so
that, when the two arms do not differ and the per-seed differences are normal, the interval
excludes zero at *some* look with probability :data:`ALPHA` in all, however many looks are taken
(a fixed 95 % interval looked at after every seed would err in about 16 % of such runs at 10
seeds). The t statistic's null distribution does not depend on the spread of the differences, so
αₖ is found once by simulating that null (seeded, :data:`SIMULATIONS` draws) and holds for any
experiment; the held-out term only widens the interval, so the A/A error over seeds stays at or
under α. A run stopped before the cap (no gain,
budget) errs less, never more: the stops that do not decide (futility) do not spend α. A 95 %
interval is then a repeated confidence interval: all the intervals of a run cover the true
difference together with probability 95 %, so the one at the stopping look does too.

Why Pocock and not O'Brien-Fleming: with 3 seeds the t statistic has 2 degrees of freedom, so
even Pocock's first look needs a large effect (t(1 − α₁/2; 2) ≈ 9); O'Brien-Fleming's would need
an impossible one and rarely stops before the cap, while it gains little power at the cap. The
benchmark ``benchmarks/bench_verdict.py`` measures both on the case suite (docs/benchmarks.md).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from regadvisor.verification.comparison import Comparison

__all__ = ["ALPHA", "BOUNDARIES", "MAX_SEEDS", "MIN_GAIN_POINTS", "MIN_GAIN_RELATIVE",
           "SIMULATIONS", "Look", "Sequential", "StopReason", "look_decision", "nominal_levels",
           "quantile", "replay"]

#: The verdict's error rate over all looks (two-sided): "improves" or "worse" when the arms do
#: not differ, in at most this share of runs.
ALPHA = 0.05
#: The cap on the seeds (each arm) without ``--max-seeds``: on the case suite, undecided runs
#: whose differences favour one arm mostly decide by 8–10 seeds (docs/benchmarks.md).
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
#: Draws of the null that set the nominal levels (more for few looks, fewer for many).
SIMULATIONS = 100_000
#: Boundary shapes on the z scale of each look's two-sided p value: a constant (Pocock) or one
#: that falls as √(N/K) (O'Brien-Fleming).
BOUNDARIES = ("pocock", "obrien-fleming")


class StopReason:
    """Why verification stopped adding seeds (the values ``report.json`` records)."""

    DECIDED = "decided"
    NO_GAIN = "no_gain"
    CAP = "cap"
    BUDGET = "budget"


@dataclass
class Look:
    """The interval after ``seeds`` seeds, at that look's nominal level."""

    seeds: int
    mean_diff: float
    ci_low: float
    ci_high: float
    level: float


@dataclass
class Sequential:
    """How many seeds verification trained, and why it stopped there.

    Attributes:
        first_seeds: The seeds asked for (``--seeds``): the first look.
        max_seeds: The cap (``--max-seeds``).
        boundary: ``"pocock"`` or ``"obrien-fleming"``.
        alpha: The error rate over all looks.
        levels: The nominal two-sided level of each possible look, from ``first_seeds`` to
            ``max_seeds`` seeds.
        min_gain: The smallest gain that matters on the user's metric, in its units (a fraction
            for accuracy).
        looks: Each look taken, in order.
        stop: A :class:`StopReason` value.
        message: Why it stopped, in a sentence.
        epochs: Training epochs of every verification run (both arms, all seeds).
        added_epochs: Of those, the epochs of the seeds added after the first look.
    """

    first_seeds: int
    max_seeds: int
    boundary: str
    alpha: float
    levels: list[float]
    min_gain: float
    looks: list[Look] = field(default_factory=list)
    stop: str = StopReason.CAP
    message: str = ""
    epochs: int = 0
    added_epochs: int = 0


def nominal_levels(first: int, last: int, *, alpha: float = ALPHA,
                   boundary: str = "pocock") -> list[float]:
    """The two-sided nominal level of each look from ``first`` to ``last`` seeds.

    With one look (``first == last``) it is ``alpha`` itself: the fixed-sample test.

    Args:
        first: Seeds at the first look (at least 2).
        last: Seeds at the last look (the cap).
        alpha: The error rate over all looks.
        boundary: One of :data:`BOUNDARIES`.

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
    return list(_levels(first, last, alpha, boundary))


@functools.lru_cache(maxsize=64)
def _levels(first: int, last: int, alpha: float, boundary: str) -> tuple[float, ...]:
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
    tstat = np.abs(mean) / np.sqrt(np.maximum(var, 1e-300) / n)
    # Each look's two-sided p value on the z scale, over the boundary's shape: the run errs when
    # the largest of these passes the constant c.
    z = norm.isf(t.sf(tstat, looks - 1))
    c = float(np.quantile((z / shape).max(axis=1), 1 - alpha))
    return tuple(float(2 * norm.sf(c * w)) for w in shape)


def replay(diffs: Sequence[float], *, first: int, max_seeds: int, min_gain: float,
           higher_is_better: bool = True, boundary: str = "pocock",
           sample_diffs: Sequence[float] | Callable[[int], Sequence[float]] | None = None,
           ) -> tuple[Comparison, str, int]:
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
        sample_diffs: Per held-out sample differences, or a function of the seeds ``K`` at a
            look that gives them (each sample's difference averaged over the first ``K``
            seeds, as verification computes them).

    Returns:
        The comparison at the stopping look, the :class:`StopReason` value and the seeds used.
    """
    from regadvisor.verification.comparison import paired_comparison

    cap = min(max_seeds, len(diffs))
    levels = nominal_levels(first, max_seeds, boundary=boundary)
    for n in range(first, cap + 1):
        samples = sample_diffs(n) if callable(sample_diffs) else sample_diffs
        c = paired_comparison("x", [0.0] * n, list(diffs[:n]), higher_is_better, samples,
                              level=levels[n - first])
        stop, reason, _ = look_decision(c.verdict, c.ci_low, c.ci_high, higher_is_better,
                                        seeds=n, max_seeds=cap, min_gain=min_gain)
        if stop:
            return c, reason, n
    raise ValueError(f"replay needs at least first={first} differences, got {len(diffs)}.")


@functools.lru_cache(maxsize=4096)
def quantile(level: float, df: int | None = None) -> float:
    """The two-sided ``level``'s critical value: of Student's t with ``df`` degrees of freedom,
    or of the normal (``df`` None)."""
    from scipy.stats import norm, t

    return float(norm.isf(level / 2) if df is None else t.isf(level / 2, df))


def look_decision(verdict: str, low: float, high: float, higher_is_better: bool, *,
                  seeds: int, max_seeds: int, min_gain: float, metric: str = "accuracy",
                  time_for_another: bool = True) -> tuple[bool, str, str]:
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
    """
    better_high = high if higher_is_better else -low
    if verdict != "no clear difference":
        return True, StopReason.DECIDED, (
            f"Decided after {seeds} of up to {max_seeds} seeds: the interval excludes zero.")
    if math.isfinite(better_high) and better_high < min_gain:
        return True, StopReason.NO_GAIN, (
            f"Stopped after {seeds} of up to {max_seeds} seeds: the interval rules out a gain "
            f"that matters (the smallest counted is {_gain_text(min_gain, metric)}).")
    if seeds >= max_seeds:
        return True, StopReason.CAP, (
            f"Stopped at the cap of {max_seeds} seeds (--max-seeds) without a decision.")
    if not time_for_another:
        return True, StopReason.BUDGET, (
            f"Stopped after {seeds} of up to {max_seeds} seeds: the --budget leaves no time "
            "for another seed of both configurations.")
    return False, "", ""


def _gain_text(min_gain: float, metric: str) -> str:
    if metric == "accuracy":
        return f"{min_gain * 100:.3g} point{'s' if min_gain != 0.01 else ''} of accuracy"
    return f"{min_gain:.4g} of {metric}"
