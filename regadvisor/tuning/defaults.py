"""The tuning defaults that shape the advice, in one place.

Each was chosen by measurement on the calibration half of the case suite
(``benchmarks/cases``, ``python benchmarks/bench_cases.py --half calibration --set ...``) and
confirmed on its held-out half; ``docs/benchmarks.md`` gives the runs and what each bought.
"""

from __future__ import annotations

__all__ = ["LOSS_GUARD", "N_TRIALS", "PRUNER", "WINNER"]

#: Trials in a study. 25 found the same configurations as 30 on the calibration half (mean relative
#: error reduction 0.374 against 0.376) with 10 % fewer epochs.
N_TRIALS = 25
#: The pruner (one of :data:`regadvisor.tuning.study.PRUNERS`). ``patient`` (the median pruner
#: after a 10-epoch warm-up, with 5 epochs' patience) against Hyperband on the calibration half:
#: mean relative error reduction 0.376 against 0.335; Hyperband pruned 60-75 % of trials, among
#: them the strongly regularized ones that win on MNIST-1D (66.4 % against 63.1 % test accuracy).
PRUNER = "patient"
#: How the winner is chosen: ``"rerun"`` (top trials re-run over extra seeds) or ``"best"``.
WINNER = "rerun"
#: A candidate with a run whose validation loss exceeds this multiple of the user's own (or is
#: not finite) does not win over a runner-up within the seed noise that has none. On the
#: calibration half (10 cases × 2 seeds, the guard off: 404 completed trials and 180 re-runs of
#: 60 top candidates) the largest ratio of an ordinary run was 2.44 (and 2.03 on a winner's
#: worst run, tokens_transformer); the blow-up this guards against was four orders of magnitude
#: above the user's. 5 leaves twice the largest ordinary ratio (docs/benchmarks.md, section 10).
LOSS_GUARD = 5.0
