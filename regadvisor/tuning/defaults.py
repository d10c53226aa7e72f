"""The tuning defaults that shape the advice, in one place.

Each was chosen by measurement on the calibration half of the case suite
(``benchmarks/cases``, ``python benchmarks/bench_cases.py --half calibration --set ...``) and
confirmed on its held-out half; ``docs/benchmarks.md`` gives the runs and what each bought.
"""

from __future__ import annotations

__all__ = ["ASHA_FIRST_RUNG", "ASHA_MIN_CORRELATION", "ASHA_MIN_TRIALS", "ASHA_REDUCTION",
           "EXTRA_SEEDS", "LOSS_GUARD", "N_TRIALS", "PRUNER", "STARTUP_TRIALS", "TOP_K", "WINNER"]

#: Trials in a study. On the calibration half (``benchmarks/results/calib/cal_reuse_*.json``;
#: the winner's re-runs reused by verification, its cap at 6 seeds), 10 trials with the best one
#: re-run kept the mean relative error reduction of 25 trials with the top 3 re-run (0.331
#: against 0.345; the Optuna user 0.260) at 8,905 training epochs in all against 19,069 (the
#: Optuna user 18,492); 12 trials: 0.337 at 9,614.
N_TRIALS = 10
#: Random trials before TPE models the results (the guide's recipe is the first). 4 instead of 8,
#: with 10 trials: 0.314 on the calibration half (MNIST-1D lost its verified gain).
STARTUP_TRIALS = 8
#: Top trials re-run over :data:`EXTRA_SEEDS` more seeds to choose the winner. The re-runs train
#: with verification's seeds, so the winner's serve as its runs of the recommendation and only a
#: runner-up's are spent on the choice: the top 2 cost 775 more epochs on the calibration half
#: than the best alone (10,389 against 9,614 with 12 trials) for a lower mean (0.331 against
#: 0.337). With the best alone the re-runs are not chosen on (``benchmarks/bench_reuse.py``).
TOP_K = 1
#: Re-runs of each top trial: verification's seeds 1 and 2 of the recommendation.
EXTRA_SEEDS = 2
#: The pruner (one of :data:`regadvisor.tuning.settings.PRUNERS`). ``asha``: successive halving
#: that prunes at a rung only where the study's finished trials show the rung ranks as the full
#: run does (:class:`regadvisor.tuning.pruners.CheckedHalvingPruner`). On the calibration half
#: (``benchmarks/results/calib/cal_checked_r6.json`` against ``cases.json``) it gave the same
#: recommendation on every case as ``patient`` (mean relative error reduction 0.334) at 7,394
#: training epochs in all against 8,070; plain successive halving (no check) at 6,833 lost
#: MNIST-1D CNN's strongly regularized winner (0.327). ``patient`` (the median pruner after a
#: 10-epoch warm-up, 5 epochs' patience) had replaced Hyperband, which pruned that kind of
#: winner on MNIST-1D (0.376 against 0.335 with 25 trials).
PRUNER = "asha"
#: The ``asha`` pruner: its first rung, as a share of the user's epochs; the share of trials
#: kept at each rung (1 in ``ASHA_REDUCTION``); the finished trials it needs before it trusts a
#: rung; and the least rank correlation, over them, between the figure at the rung and the
#: result for the rung to prune. Chosen on the calibration half's 20 unpruned studies of 16
#: trials (``python benchmarks/bench_fidelity.py --half calibration``, the first 10 trials of
#: each replayed through each pruner): the best value up to 1/9, 1/6, 1/3 and 1/2 of the epochs
#: ranks trials as their full runs do with a mean Spearman correlation of 0.37, 0.39, 0.61 and
#: 0.81 (lowest -0.78, -0.78, -0.25, -0.10). Successive halving alone from 1/3 of the epochs
#: trained 73 % of the unpruned epochs and missed the best trial in 2 of 20 studies (mean
#: regret 0.24 % of the validation error, worst 2.6 %); from 1/6, 54 % and 8 of 20 (worst
#: 178 %). With the check (4 trials, 0.5) from 1/6: 82 % of the epochs, the best trial missed
#: in 1 study, by 0.6 % of its error; the patient pruner 96 %, none missed.
ASHA_FIRST_RUNG = 1 / 6
ASHA_REDUCTION = 2
ASHA_MIN_TRIALS = 4
ASHA_MIN_CORRELATION = 0.5
#: How the winner is chosen: ``"rerun"`` (top trials re-run over extra seeds) or ``"best"``.
WINNER = "rerun"
#: A candidate with a run whose validation loss exceeds this multiple of the user's own (or is
#: not finite) does not win over a runner-up within the seed noise that has none. On the
#: calibration half (10 cases × 2 seeds, the guard off: 404 completed trials and 180 re-runs of
#: 60 top candidates) the largest ratio of an ordinary run was 2.44 (and 2.03 on a winner's
#: worst run, tokens_transformer); the blow-up this guards against was four orders of magnitude
#: above the user's. 5 leaves twice the largest ordinary ratio (docs/benchmarks.md, section 10).
LOSS_GUARD = 5.0
