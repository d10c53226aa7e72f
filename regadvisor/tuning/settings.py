"""How to tune: the settings of a run, and the sampler and pruner they name."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import optuna

from regadvisor._secrets import register
from regadvisor.errors import ConfigError
from regadvisor.tuning import defaults
from regadvisor.tuning.pruners import CheckedHalvingPruner

__all__ = [
    "PRUNERS",
    "SAMPLER_SETTINGS",
    "TuneSettings",
    "make_pruner",
    "make_sampler",
    "sampler_text",
]

PRUNERS = ("asha", "patient", "median", "hyperband", "none")


@dataclass(frozen=True)
class TuneSettings:
    """How to tune.

    Attributes:
        n_trials: Trials in the study in all (a resumed study counts the ones it has).
        objective: ``"val_metric"`` (the user's metric) or ``"val_loss"``.
        monitor: What early stopping watches in the trials (``"val_metric"`` or ``"val_loss"``);
            None: the objective.
        min_delta: The smallest change of the monitored figure that early stopping counts as an
            improvement.
        min_resource: Epochs every trial trains before Hyperband may prune it.
        first_rung: The ``asha`` pruner's first rung, as a share of the user's epochs.
        rung_correlation: The least rank correlation between the figure at a rung and the
            result, over the study's finished trials, for the ``asha`` pruner to prune there.
        winner: ``"rerun"`` (the top trials re-run over extra seeds, the best mean wins) or
            ``"best"`` (the best single trial; no re-runs).
        reference_loss: The user's own validation loss (the diagnosis' last epoch).
        loss_guard: A candidate with a run (the trial or a re-run) whose validation loss is
            above ``loss_guard`` times ``reference_loss``, or not finite, has a blown-up loss
            (its predictions over-confident where they are wrong, whatever its metric): it does
            not win over a runner-up within the seed noise that has none, and a single trial
            with one ranks after the others for the re-runs (see
            :func:`regadvisor.tuning.winner.select`).
        seed: Seeds the sampler (same seed, same trials in one worker) and the training runs.
        startup_trials: Random trials before TPE models the results (the guide's recipe, the
            study's first trial, is one of them).
        pruner: One of :data:`PRUNERS`.
        report_every_epoch: Every trial reports every epoch's figure (kept on the trial as its
            intermediate values), not only the epochs the pruner reads (:func:`pruner_epochs`):
            for a study of the learning curves themselves (benchmarks/bench_fidelity.py).
        top_k: Top trials re-run over extra seeds to choose the winner.
        extra_seeds: Extra training seeds per top trial.
        storage: Optuna storage URL; None for the SQLite file in the run folder.
        study_name: Study name; None for ``regadvisor-<experiment>``.
        device: Where to train. threads: torch threads in this process (None: leave).
        timeout_seconds: Stop starting new trials after this wall time.
        rerun_seconds: The wall time the winner's re-runs may take (a ``--budget`` plan's
            share): a re-run that would end after it is not started, and the candidates keep
            the runs they have. ``None``: every re-run.
        heartbeat_seconds: A running trial records a heartbeat this often; one silent for 3×
            as long (a killed worker) is failed and retried once.
    """

    n_trials: int = defaults.N_TRIALS
    objective: str = "val_metric"
    monitor: str | None = None
    min_delta: float = 0.0
    min_resource: int = 5
    first_rung: float = defaults.ASHA_FIRST_RUNG
    rung_correlation: float = defaults.ASHA_MIN_CORRELATION
    winner: str = defaults.WINNER
    reference_loss: float | None = None
    loss_guard: float = defaults.LOSS_GUARD
    seed: int = 0
    startup_trials: int = defaults.STARTUP_TRIALS
    pruner: str = defaults.PRUNER
    report_every_epoch: bool = False
    top_k: int = defaults.TOP_K
    extra_seeds: int = defaults.EXTRA_SEEDS
    storage: str | None = None
    study_name: str | None = None
    device: Any = "cpu"
    timeout_seconds: float | None = None
    rerun_seconds: float | None = None
    heartbeat_seconds: int = 10

    def __post_init__(self) -> None:
        register(self.storage)
        if self.n_trials < 1:
            raise ConfigError(f"--n-trials must be at least 1. Got {self.n_trials}.")
        if self.objective not in ("val_metric", "val_loss"):
            raise ConfigError(f"--objective must be 'metric' or 'loss'. Got {self.objective!r}.")
        if self.monitor not in (None, "val_metric", "val_loss"):
            raise ConfigError(f"monitor must be 'val_metric' or 'val_loss'. Got {self.monitor!r}.")
        if self.min_delta < 0 or self.min_resource < 1:
            raise ConfigError("min_delta must be >= 0 and min_resource >= 1.")
        if not 0 < self.first_rung <= 1:
            raise ConfigError(f"first_rung must be in (0, 1]. Got {self.first_rung}.")
        if self.winner not in ("rerun", "best"):
            raise ConfigError(f"winner must be 'rerun' or 'best'. Got {self.winner!r}.")
        if self.pruner not in PRUNERS:
            raise ConfigError(f"--pruner must be one of {', '.join(PRUNERS)}. Got "
                              f"{self.pruner!r}.")
        if self.heartbeat_seconds < 1:
            raise ConfigError(f"--heartbeat must be at least 1 second. Got "
                              f"{self.heartbeat_seconds}.")
        if self.startup_trials < 1:
            raise ConfigError(f"startup_trials must be at least 1. Got {self.startup_trials}.")
        if self.top_k < 1 or self.extra_seeds < 0:
            raise ConfigError("top_k must be >= 1 and extra_seeds >= 0.")


#: The sampler's settings, passed explicitly (not through Optuna's defaults, which changed in
#: Optuna 5) and named in the report as they are; ``n_startup_trials`` comes from
#: :attr:`TuneSettings.startup_trials`.
SAMPLER_SETTINGS = {"multivariate": True, "constant_liar": True}


def make_sampler(seed: int, startup_trials: int = defaults.STARTUP_TRIALS
                 ) -> optuna.samplers.TPESampler:
    """TPE with :data:`SAMPLER_SETTINGS`: multivariate (it models the parameters jointly) and
    with the constant liar (parallel workers do not all sample the same point), after
    ``startup_trials`` random ones."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup_trials,
                                          **SAMPLER_SETTINGS)


def sampler_text(seed: int, startup_trials: int = defaults.STARTUP_TRIALS) -> str:
    """How the report names the sampler that ran."""
    return (f"TPESampler(seed={seed}, n_startup_trials={startup_trials}, "
            + ", ".join(f"{k}={v}" for k, v in SAMPLER_SETTINGS.items()) + ")")


def _first_rung(max_epochs: int, first_rung: float) -> int:
    """The ``asha`` pruner's first rung in epochs."""
    return max(1, round(first_rung * max_epochs))


def pruner_epochs(name: str, max_epochs: int,
                  first_rung: float = defaults.ASHA_FIRST_RUNG) -> frozenset[int] | None:
    """The epochs at which the pruner ``name`` can decide anything, so the only ones a trial
    reports (each report is a write to the study's storage, about 10 ms with SQLite: on a
    model whose epoch takes milliseconds, reporting every epoch doubled a trial's time).
    ``None``: every epoch (the median pruners and Hyperband look at each). The trials and the
    pruner's decisions are the same either way: ``asha`` reads a trial's figure at its rungs
    only, and the sampler reads a pruned trial's last report, which is the one at the rung that
    pruned it."""
    if name == "none":
        return frozenset()
    if name != "asha":
        return None
    rung, epochs = _first_rung(max_epochs, first_rung), set()
    while rung <= max_epochs:
        epochs.add(rung)
        rung *= defaults.ASHA_REDUCTION
    return frozenset(epochs)


def make_pruner(name: str, min_resource: int = 5, max_epochs: int | None = None,
                first_rung: float = defaults.ASHA_FIRST_RUNG,
                rung_correlation: float = defaults.ASHA_MIN_CORRELATION,
                ) -> optuna.pruners.BasePruner:
    """The pruner for ``--pruner``.

    ``asha`` (the default, :data:`regadvisor.tuning.defaults.PRUNER`): successive halving from
    a first rung at ``first_rung`` of the user's epochs (``max_epochs``), the better half of the
    trials that reach a rung going on, that prunes at a rung only once the study's finished
    trials show that rung ranks them as their full runs do (rank correlation at least
    ``rung_correlation``; :class:`~regadvisor.tuning.pruners.CheckedHalvingPruner`). A strongly
    regularized trial learns slowly and can trail early and win at the end; on such a study the
    rungs do not prune. ``patient``: the median pruner, which waits 10 epochs and 5 trials, and
    then prunes a trial only after 5 epochs in a row below the median. ``hyperband`` (trials of
    at least ``min_resource`` epochs, a third kept at each rung) pruned the strongly regularized
    trials that win on the case suite (``docs/benchmarks.md``, section 8).
    """
    if name == "asha":
        if max_epochs is None:  # its rungs are shares of the user's epochs
            raise ValueError("the asha pruner needs max_epochs (the user's epochs)")
        return CheckedHalvingPruner(_first_rung(max_epochs, first_rung),
                                    defaults.ASHA_REDUCTION,
                                    min_trials=defaults.ASHA_MIN_TRIALS,
                                    min_correlation=rung_correlation)
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=10)
    if name == "patient":
        return optuna.pruners.PatientPruner(
            optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=10), patience=5)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=min_resource, reduction_factor=3)
    return optuna.pruners.NopPruner()
