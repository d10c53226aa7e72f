"""What verification decides: the one decision every surface (terminal, report, report.json)
words its advice by, and what more seeds would cost to decide a comparison that did not.

Only a measured gain on the user's metric is a recommendation. A comparison whose interval
straddles zero keeps the user's setup and shows the change as tried, not adopted; one where the
loss measured better while the metric did not is a gain in loss only, and is said as such.
"""

from __future__ import annotations

import enum
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from regadvisor._format import difference, pct
from regadvisor._stats import finite
from regadvisor.verification.comparison import Z975

__all__ = ["Decision", "SeedsToDecide", "decide", "seeds_to_decide"]


class Decision(enum.Enum):
    """What regadvisor does with the tuned change after verification.

    ``ADOPTED``: it measured better on the user's metric (the interval excludes zero): it is the
    recommendation. ``TRIED_NOT_ADOPTED``: no clear difference: the user's setup stays and the
    change is shown as tried. ``KEPT_YOURS_WORSE``: it measured worse: the user's setup stays.
    ``LOSS_ONLY``: no clear difference on the metric, but the held-out loss measured better:
    the user's setup stays for the metric, and the gain in loss is reported as such.
    """

    ADOPTED = "adopted"
    TRIED_NOT_ADOPTED = "tried-not-adopted"
    KEPT_YOURS_WORSE = "kept-yours-worse"
    LOSS_ONLY = "loss-only"

    @property
    def keeps_yours(self) -> bool:
        """The user's setup stays (everything but ``ADOPTED``)."""
        return self is not Decision.ADOPTED

    @property
    def label(self) -> str:
        """How the terminal and the report title the change: only an adopted change is
        "Recommended"."""
        return _LABELS[self]


_LABELS = {
    Decision.ADOPTED: "Recommended change",
    Decision.TRIED_NOT_ADOPTED: "Tried, not adopted",
    Decision.KEPT_YOURS_WORSE: "Tried, measured worse: your setup stays",
    Decision.LOSS_ONLY: "Tried: a gain in loss only",
}


def decide(metric_verdict: str, loss_verdict: str, metric_is_loss: bool) -> Decision:
    """The decision from the paired verdicts on the user's metric and on the loss.

    Args:
        metric_verdict: ``improves``, ``no clear difference`` or ``worse`` on the user's metric.
        loss_verdict: The same on the held-out loss.
        metric_is_loss: The user's metric is the loss itself (regression): no loss-only gain.
    """
    if metric_verdict == "improves":
        return Decision.ADOPTED
    if metric_verdict == "worse":
        return Decision.KEPT_YOURS_WORSE
    if not metric_is_loss and loss_verdict == "improves":
        return Decision.LOSS_ONLY
    return Decision.TRIED_NOT_ADOPTED


#: The power the seed estimate plans for: a real difference of the observed size is resolved
#: (its interval excludes zero) in 80 % of repetitions, the usual planning figure.
POWER = 0.80
#: Beyond this many seeds the estimate says "more than" instead of a number.
MAX_SEEDS = 10_000


@dataclass
class SeedsToDecide:
    """What deciding an undecided comparison would take, under stated assumptions.

    Attributes:
        seeds: Seeds in all (both arms train each) for a paired t-test at 95 % to resolve a
            difference of the observed size with 80 % power, assuming the per-seed differences
            keep the spread they showed and the held-out set's own noise stays as measured;
            ``None`` when no number of seeds would (see ``text``).
        extra_seeds: ``seeds`` minus the seeds already run (``None`` with ``seeds``).
        epochs: Training epochs those extra seeds cost, both arms together (at the epochs per
            seed pair these runs took).
        seconds: The same in seconds on this machine (at the median seconds per epoch of these
            runs).
        text: The estimate as a sentence, with its assumptions.
    """

    seeds: int | None
    extra_seeds: int | None
    epochs: int | None
    seconds: float | None
    text: str


def _t(q: float, df: int) -> float:
    from scipy.stats import t

    return float(t.ppf(q, df))


def _resolvable(n: int, sd: float, noise: float, gain: float) -> bool:
    """Whether ``n`` seeds resolve ``gain`` at 95 % with the planned power."""
    se = math.sqrt(sd ** 2 / n + noise ** 2)
    return (_t(0.975, n - 1) + _t(POWER, n - 1)) * se <= gain


def _fewest_seeds(low: int, sd: float, noise: float, gain: float) -> int | None:
    """The fewest seeds from ``low`` on that resolve ``gain`` (None: more than MAX_SEEDS); the
    requirement only eases as seeds are added, so doubling then bisecting finds it."""
    high = low
    while not _resolvable(high, sd, noise, gain):
        if high >= MAX_SEEDS:
            return None
        low, high = high + 1, min(2 * high, MAX_SEEDS)
    while low < high:
        mid = (low + high) // 2
        if _resolvable(mid, sd, noise, gain):
            high = mid
        else:
            low = mid + 1
    return high


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def seeds_to_decide(diffs: Sequence[float], sample_noise: float | None, metric: str,
                    split: str, pair_epochs: Sequence[int],
                    seconds_per_epoch: float | None) -> SeedsToDecide:
    """How many seeds a paired t-test would need to resolve a difference of the observed size.

    The smallest n with (t₀.₉₇₅ + t₀.₈₀, n − 1 degrees of freedom) · √(sd²/n + noise²) ≤ |mean|:
    the per-seed differences keep their observed standard deviation ``sd``, the held-out set's
    noise (``sample_noise``, which more seeds do not shrink) stays as measured, and the true
    difference is the observed mean.

    Args:
        diffs: Per seed, recommendation − baseline on the user's metric.
        sample_noise: Standard error of the mean difference from the held-out samples, or None.
        metric: The user's metric (for the wording of the difference).
        split: ``test`` or ``validation``.
        pair_epochs: Per seed, the epochs both arms trained together.
        seconds_per_epoch: Wall time of one training epoch here (None: unknown).
    """
    kept = finite(diffs)
    k = len(kept)
    if k < 2:
        return SeedsToDecide(None, None, None, None,
                             "With fewer than 2 seeds the seed-to-seed spread is unknown, so "
                             "what deciding it would take cannot be estimated.")
    mean, sd = statistics.fmean(kept), statistics.stdev(kept)
    gain = abs(mean)
    size = difference(gain, metric).lstrip("+")
    noise = sample_noise or 0.0
    if gain == 0:
        return SeedsToDecide(None, None, None, None,
                             "Both setups measured the same on average: no number of seeds "
                             "would show a gain.")
    if (Z975 + _t(POWER, MAX_SEEDS)) * noise >= gain:
        return SeedsToDecide(None, None, None, None,
                             f"More seeds alone would not decide it: the {split} set's own "
                             f"sampling noise (standard error "
                             f"{difference(noise, metric).lstrip('+')}) is too large "
                             f"against a difference of {size}; a larger {split} set would.")
    assumption = (f"a paired t-test at 95 % with {pct(POWER, 0)} power to resolve a "
                  f"difference of the observed size ({size}), assuming the per-seed differences "
                  f"keep their spread (standard deviation "
                  f"{difference(sd, metric).lstrip('+')})")
    n = _fewest_seeds(k + 1, sd, noise, gain)
    if n is None:
        return SeedsToDecide(None, None, None, None,
                             f"Deciding it would take more than {MAX_SEEDS:,} seeds "
                             f"({assumption}).")
    extra = n - k
    per_pair = statistics.fmean(pair_epochs) if pair_epochs else 0.0
    epochs = round(extra * per_pair) if per_pair else None
    seconds = epochs * seconds_per_epoch if epochs and seconds_per_epoch else None
    cost = f"{extra} more seed{'s' if extra != 1 else ''}"
    if epochs:
        cost += f", about {epochs:,} training epochs of both setups together"
    if seconds:
        cost += f" (about {_duration(seconds)} here)"
    return SeedsToDecide(n, extra, epochs, seconds,
                         f"Deciding it would take about {n} seeds in all: {cost}; for "
                         f"{assumption}.")
