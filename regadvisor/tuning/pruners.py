"""Successive halving where the early look predicts: the ``asha`` pruner.

A trial is stopped at a rung only when two things hold:

* successive halving says so (:class:`optuna.pruners.SuccessiveHalvingPruner`: its figure at
  the rung is not among the best ``1/reduction_factor`` of the trials that reached the rung);
* in this study the rung ranks trials as their full runs do: over the trials that ran to the
  end, the Spearman correlation between the figure at the rung and the trial's result is at
  least ``min_correlation``, measured on at least ``min_trials`` of them.

The second condition is what a first rung cannot promise on its own: a strongly regularized
configuration learns slowly and trails at an early rung that it would have won at the end
(``benchmarks/bench_fidelity.py`` measured rank correlations from −0.78 to +0.98 between cases
at a third of the epochs). The study itself says which kind it is, from the trials it has run.
"""

from __future__ import annotations

import math

import optuna
from optuna.pruners import BasePruner, SuccessiveHalvingPruner
from optuna.trial import FrozenTrial, TrialState

__all__ = ["CheckedHalvingPruner", "spearman"]


def _ranks(values: list[float]) -> list[float]:
    order = sorted(range(len(values)), key=values.__getitem__)
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        for k in range(i, j + 1):
            ranks[order[k]] = (i + j) / 2
        i = j + 1
    return ranks


def spearman(a: list[float], b: list[float]) -> float | None:
    """Spearman's rank correlation (ties share their mean rank); None with fewer than 3 pairs
    or a constant side."""
    if len(a) < 3 or len(a) != len(b):
        return None
    ra, rb = _ranks(a), _ranks(b)
    ma, mb = sum(ra) / len(ra), sum(rb) / len(rb)
    num = sum((x - ma) * (y - mb) for x, y in zip(ra, rb, strict=True))
    den = math.sqrt(sum((x - ma) ** 2 for x in ra) * sum((y - mb) ** 2 for y in rb))
    return num / den if den else None


class CheckedHalvingPruner(BasePruner):
    """Successive halving that prunes only once the study shows its rungs predict.

    Args:
        min_resource: The first rung, in epochs.
        reduction_factor: 1 in this many trials goes on at each rung.
        min_trials: Finished trials needed before a rung's correlation is trusted.
        min_correlation: The least Spearman correlation, over the finished trials, between
            the figure at the rung and the result, for the rung to prune.
    """

    def __init__(self, min_resource: int, reduction_factor: int = 2, min_trials: int = 4,
                 min_correlation: float = 0.5) -> None:
        self._inner = SuccessiveHalvingPruner(min_resource=min_resource,
                                              reduction_factor=reduction_factor,
                                              min_early_stopping_rate=0)
        self._min_trials = min_trials
        self._min_correlation = min_correlation

    def prune(self, study: optuna.Study, trial: FrozenTrial) -> bool:
        if not self._inner.prune(study, trial):
            return False
        step = trial.last_step
        assert step is not None  # the inner pruner prunes nothing that has not reported
        finished = [t for t in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
                    if t.value is not None and math.isfinite(t.value)
                    and step in t.intermediate_values
                    and math.isfinite(t.intermediate_values[step])]
        if len(finished) < self._min_trials:
            return False
        rho = spearman([t.intermediate_values[step] for t in finished],
                       [t.value for t in finished])
        return rho is not None and rho >= self._min_correlation
