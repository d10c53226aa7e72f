"""The tuning defaults that shape the advice, in one place.

Each was chosen by measurement on the calibration half of the case suite
(``benchmarks/cases``, ``python benchmarks/bench_cases.py --half calibration --set ...``) and
confirmed on its held-out half; ``docs/benchmarks.md`` gives the runs and what each bought.
"""

from __future__ import annotations

__all__ = ["N_TRIALS", "PRUNER", "WINNER"]

#: Trials in a study.
N_TRIALS = 30
#: The pruner (one of :data:`regadvisor.tuning.study.PRUNERS`).
PRUNER = "hyperband"
#: How the winner is chosen: ``"rerun"`` (top trials re-run over extra seeds) or ``"best"``.
WINNER = "rerun"
