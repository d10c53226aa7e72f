"""The paired comparison of two arms on one figure: the mean difference over the seeds, its 95 %
interval and a three-way verdict."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from regadvisor._stats import finite

__all__ = ["Z975", "Comparison", "held_out_noise",
           "mean_interval", "paired_comparison", "t975"]

#: The two-sided 95 % normal quantile, for the held-out set's sampling noise.
Z975 = 1.959963984540054


def t975(df: int) -> float:
    """The 97.5 % quantile of Student's t with ``df`` degrees of freedom."""
    from scipy.stats import t

    return float(t.ppf(0.975, df))


def mean_interval(values: Sequence[float | None]) -> tuple[float, float]:
    """The 95 % t interval of the mean of the finite ``values`` (the mean twice with one value;
    NaN twice with none): one arm's seeds, as the report plots them."""
    vals = finite(values)
    if not vals:
        return math.nan, math.nan
    mean = statistics.fmean(vals)
    if len(vals) < 2:
        return mean, mean
    half = t975(len(vals) - 1) * statistics.stdev(vals) / math.sqrt(len(vals))
    return mean - half, mean + half


@dataclass
class Comparison:
    """Paired difference recommendation − baseline on one figure, with its 95 % interval.

    The interval has two sources of noise: the training seeds (Student's t over the per-seed
    differences) and the held-out set itself (both arms are measured on the same samples, so
    the seeds cannot show how much a different held-out set would change the difference; its
    standard error comes from the per-sample differences). ``verdict`` is ``improves``,
    ``no clear difference`` or ``worse`` (orientation taken from ``higher_is_better``).

    Attributes:
        sample_noise: Standard error of the mean difference from the held-out samples (``None``
            when the per-sample figures are not known).
    """

    figure: str
    higher_is_better: bool
    diffs: list[float]
    mean_diff: float
    ci_low: float
    ci_high: float
    verdict: str
    sample_noise: float | None = None


def held_out_noise(sample_diffs: Sequence[float] | Sequence[Sequence[float]]) -> float | None:
    """The held-out set's sampling noise: the standard error of the mean difference that another
    draw of the held-out samples would bring, which no number of seeds shows.

    Given one row per seed (``K × n``: each held-out sample's difference recommendation −
    baseline on each seed), it is the two-way estimate

        σ_held² = ( Var_i(d̄ᵢ) − MS_resid / K ) / n

    where d̄ᵢ is sample i's difference averaged over the seeds and MS_resid the residual mean
    square of the samples × seeds table. The spread of the d̄ᵢ holds two things: how much the
    samples truly differ (what another held-out set would change) and, divided by K, how much
    a sample's difference changes from seed to seed; the second is already in the seeds' term
    of the interval (each seed's mean difference carries it), so it is taken out here rather
    than counted twice. Given a flat list (differences already averaged over the seeds), it is
    their standard error, which counts that seed noise a second time: the wider, conservative
    figure. ``None`` with fewer than two samples or a non-finite one.
    """
    import numpy as np

    d = np.asarray(sample_diffs, dtype=float)
    if d.size == 0 or not np.isfinite(d).all():
        return None
    if d.ndim == 1:
        d = d[None, :]
    k, n = d.shape
    if n < 2:
        return None
    means = d.mean(axis=0)
    var = float(means.var(ddof=1))
    if k >= 2:
        resid = d - means[None, :] - d.mean(axis=1, keepdims=True) + d.mean()
        var = max(var - float((resid ** 2).sum()) / ((n - 1) * (k - 1)) / k, 0.0)
    return math.sqrt(var / n)


def paired_comparison(figure: str, baseline: list[float], recommended: list[float],
                      higher_is_better: bool,
                      sample_diffs: Sequence[float] | Sequence[Sequence[float]] | None = None,
                      level: float = 0.05,
                      errors: Sequence[float] | None = None) -> Comparison:
    """Mean paired difference with its interval and a three-way verdict.

    Args:
        figure: What is compared (for the record).
        baseline, recommended: The figure per seed, paired by seed.
        higher_is_better: Orientation of the figure.
        sample_diffs: Per held-out sample, the difference recommendation − baseline: one row per
            seed, or one list already averaged over the seeds; it adds the held-out set's
            sampling noise (:func:`held_out_noise`) to the interval.
        level: The two-sided error of the seeds' term (0.05: a 95 % interval), split evenly.
        errors: Instead of ``level``, the one-sided errors ``[improves, worse]`` of the
            interval's two ends: the end whose passing zero says "improves" and the one that
            says "worse". Sequential verification passes its look's nominal errors
            (:func:`~regadvisor.verification.sequential.side_levels`), which makes the interval
            a repeated 95 % confidence interval over all its looks. The held-out set's term
            stays at 95 %: the looks all measure on the same set.
    """
    from regadvisor.verification.sequential import quantile

    up, down = (level / 2, level / 2) if errors is None else (errors[0], errors[1])
    # In the figure's own direction: the lower end says "improves" when higher is better.
    low_error, high_error = (up, down) if higher_is_better else (down, up)
    diffs = [r - b for r, b in zip(recommended, baseline, strict=True)]
    kept = finite(diffs)
    if not kept:
        return Comparison(figure, higher_is_better, diffs, math.nan, math.nan, math.nan,
                          "no clear difference")
    mean = statistics.fmean(kept)
    n = len(kept)
    if n >= 2:
        se = statistics.stdev(kept) / math.sqrt(n)
        below, above = (quantile(2 * low_error, n - 1) * se,
                        quantile(2 * high_error, n - 1) * se)
    else:
        below = above = math.inf
    noise = held_out_noise(sample_diffs) if sample_diffs is not None else None
    if noise is not None:
        # The held-out set is one draw that every look shares: more looks give its sampling
        # error no further chances, so its term stays at 95 % whatever the look's level.
        below, above = math.hypot(below, Z975 * noise), math.hypot(above, Z975 * noise)
    low, high = mean - below, mean + above
    better_low, better_high = (low, high) if higher_is_better else (-high, -low)
    if better_low > 0:
        verdict = "improves"
    elif better_high < 0:
        verdict = "worse"
    else:
        verdict = "no clear difference"
    return Comparison(figure, higher_is_better, diffs, mean, low, high, verdict, noise)
