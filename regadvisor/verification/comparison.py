"""The paired comparison of two arms on one figure: the mean difference over the seeds, its 95 %
interval and a three-way verdict."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = ["Z975", "Comparison", "format_difference", "paired_comparison", "t975"]

#: The two-sided 95 % normal quantile, for the held-out set's sampling noise.
Z975 = 1.959963984540054


def t975(df: int) -> float:
    """The 97.5 % quantile of Student's t with ``df`` degrees of freedom."""
    from scipy.stats import t

    return float(t.ppf(0.975, df))


def format_difference(value: float, metric: str) -> str:
    """A paired difference as the report and the terminal show it: accuracy in points with two
    decimals (``+9.52 points``), a loss with four (``-0.0071``)."""
    if not math.isfinite(value):
        return "n/a"
    if metric == "accuracy":
        return f"{value * 100:+.2f} points"
    return f"{value:+.4f}"


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


def paired_comparison(figure: str, baseline: list[float], recommended: list[float],
                      higher_is_better: bool,
                      sample_diffs: Sequence[float] | None = None,
                      level: float = 0.05) -> Comparison:
    """Mean paired difference with its interval and a three-way verdict.

    Args:
        figure: What is compared (for the record).
        baseline, recommended: The figure per seed, paired by seed.
        higher_is_better: Orientation of the figure.
        sample_diffs: Per held-out sample, the difference recommendation − baseline averaged
            over the seeds; its spread adds the held-out set's sampling noise to the interval.
        level: The two-sided error of the seeds' term (0.05: a 95 % interval). Sequential
            verification passes its look's nominal level
            (:func:`~regadvisor.verification.sequential.nominal_levels`), which makes the
            interval a repeated 95 % confidence interval over all its looks. The held-out
            set's term stays at 95 %: the looks all measure on the same set.
    """
    from regadvisor.verification.sequential import quantile

    diffs = [r - b for r, b in zip(recommended, baseline, strict=True)]
    finite = [d for d in diffs if math.isfinite(d)]
    if not finite:
        return Comparison(figure, higher_is_better, diffs, math.nan, math.nan, math.nan,
                          "no clear difference")
    mean = statistics.fmean(finite)
    if len(finite) >= 2:
        half = (quantile(level, len(finite) - 1) * statistics.stdev(finite)
                / math.sqrt(len(finite)))
    else:
        half = math.inf
    noise = None
    samples = [d for d in sample_diffs or () if math.isfinite(d)]
    if len(samples) >= 2 and len(samples) == len(sample_diffs or ()):
        noise = statistics.stdev(samples) / math.sqrt(len(samples))
        # The held-out set is one draw that every look shares: more looks give its sampling
        # error no further chances, so its term stays at 95 % whatever the look's level.
        half = math.sqrt(half ** 2 + (Z975 * noise) ** 2)
    low, high = mean - half, mean + half
    better_low, better_high = (low, high) if higher_is_better else (-high, -low)
    if better_low > 0:
        verdict = "improves"
    elif better_high < 0:
        verdict = "worse"
    else:
        verdict = "no clear difference"
    return Comparison(figure, higher_is_better, diffs, mean, low, high, verdict, noise)
