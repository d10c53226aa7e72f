"""The Optuna study: objective, storage, seeded trials, pruning and the noise-aware winner.

This package is the only place that imports optuna. This module runs the trials; the
settings, the storage, the trials' configurations and the winner have their own modules
(:mod:`~regadvisor.tuning.settings`, :mod:`~regadvisor.tuning.storage`,
:mod:`~regadvisor.tuning.trials`, :mod:`~regadvisor.tuning.winner`), and their public names
are importable from here as well.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import optuna

from regadvisor._secrets import mask_url
from regadvisor.errors import ConfigError, RegAdvisorError, RunError
from regadvisor.experiment import Experiment
from regadvisor.training import (
    EpochCallback,
    History,
    RegConfig,
    StopReason,
    train,
    train_experiment,
)
from regadvisor.training.faults import USER_CODE_ERRORS, explain, fault_text
from regadvisor.tuning._records import TuningResult
from regadvisor.tuning.settings import (
    PRUNERS,
    TuneSettings,
    make_pruner,
    make_sampler,
    pruner_epochs,
    sampler_text,
)
from regadvisor.tuning.space import SearchSpace
from regadvisor.tuning.storage import (
    claim_study,
    default_study_name,
    disk_full,
    failed_during_tuning,
    open_storage,
    storage_fault,
    storage_url,
    stored_space,
    unusable_study,
)
from regadvisor.tuning.trials import (
    config_for,
    records,
    seeded_trials,
    trial_seed,
    tuning_base,
)
from regadvisor.tuning.winner import Keep, choose_winner, tie_notes

__all__ = [
    "PRUNERS",
    "TuneSettings",
    "config_for",
    "make_pruner",
    "mask_url",
    "open_study",
    "run_trials",
    "tune",
]

# Failed trials are recorded with their reason by regadvisor itself; Optuna need not log them.
optuna.logging.set_verbosity(logging.ERROR)
# Heartbeats and stale-trial retries are marked experimental in Optuna; they are what a killed
# worker needs, so their warnings are silenced here rather than shown to every user.
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)

#: Which process ran a trial (host and process id), recorded on every trial.
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"

#: Consecutive failed trials after which the run stops with the cause.
MAX_CONSECUTIVE_FAILURES = 5


def open_study(
    experiment: Experiment,
    space: SearchSpace,
    settings: TuneSettings,
    run_dir: Path,
    *,
    sampler_seed: int | None = None,
    storage: tuple[str, optuna.storages.BaseStorage] | None = None,
) -> optuna.Study:
    """Create the study or load it to resume; refuse one of another experiment or search space.
    ``storage``: its URL and storage when already opened (:func:`open_storage`).

    Raises:
        ConfigError: The study belongs to another experiment, or a SQLite file given as the
            storage is not an Optuna database.
        StorageError: The storage cannot be opened, or the study was made with another space.
    """
    url, opened = storage or open_storage(settings, run_dir)
    name = settings.study_name or default_study_name(experiment)
    direction = _direction(experiment, settings)
    sampler = make_sampler(settings.seed if sampler_seed is None else sampler_seed,
                           settings.startup_trials)
    try:
        study = optuna.create_study(storage=opened, study_name=name, direction=direction,
                                    sampler=sampler,
                                    pruner=make_pruner(
                                        settings.pruner, settings.min_resource,
                                        tuning_base(experiment, settings).max_epochs,
                                        settings.first_rung, settings.rung_correlation),
                                    load_if_exists=True)
    except Exception as e:
        raise unusable_study(name, url, e) from None
    claim_study(study, experiment, space, settings, name, url)
    return study


def _direction(experiment: Experiment, settings: TuneSettings) -> str:
    if settings.objective == "val_loss" or not experiment.higher_is_better:
        return "minimize"
    return "maximize"


def _suggest(trial: optuna.Trial, space: SearchSpace) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, rng in space.params.items():
        if rng.is_int:
            params[name] = trial.suggest_int(name, int(rng.low), int(rng.high), log=rng.log)
        else:
            params[name] = trial.suggest_float(name, rng.low, rng.high, log=rng.log)
    return params


def _enqueue_seeded(study: optuna.Study, experiment: Experiment, space: SearchSpace) -> None:
    """Queue :func:`seeded_trials` as the study's first trials."""
    for label, params in seeded_trials(experiment, space):
        study.enqueue_trial(params, user_attrs={"seeded": label}, skip_if_exists=True)


class _TooManyFailures(Exception):
    pass


def run_trials(
    experiment: Experiment,
    space: SearchSpace,
    settings: TuneSettings,
    study: optuna.Study,
    *,
    n_trials: int,
    on_trial: Callable[[optuna.Study, optuna.trial.FrozenTrial], None] | None = None,
    enqueue: bool = True,
    keep: Keep | None = None,
) -> str | None:
    """Run trials in this process until the study holds ``n_trials`` finished ones.

    With ``keep``, each trial trains with the study's seed itself (verification's first) and
    its finished run is handed to ``keep(trial_number, seed, history, model)``: for a study of
    one trial, whose run is chosen on nothing and so is verification's first run of the
    recommendation (see :func:`tune`).

    Returns:
        Why the run stopped early, or None.

    Raises:
        RunError: Several trials in a row failed (the message names the last cause).
        KeyboardInterrupt: Ctrl-C; every finished trial is already in the storage.
    """
    base = tuning_base(experiment, settings)
    if enqueue and not study.trials:
        _enqueue_seeded(study, experiment, space)
    objective = _objective(experiment, space, settings, base, keep)

    started = time.perf_counter()
    clock = {"last": started, "longest": 0.0}

    def stop(study: optuna.Study, frozen: optuna.trial.FrozenTrial) -> None:
        if _finished(study) >= n_trials:
            study.stop()
        # Under a time budget no trial starts that would end after it: the next one is
        # expected to take as long as the longest so far in this process (Optuna's timeout
        # only stops trials from starting once the time is up, so the last one would overrun
        # by a whole trial).
        now = time.perf_counter()
        clock["longest"] = max(clock["longest"], now - clock["last"])
        clock["last"] = now
        if (settings.timeout_seconds is not None
                and now - started + clock["longest"] > settings.timeout_seconds):
            study.stop()

    done = _finished(study)
    remaining = max(0, n_trials - done)
    if remaining == 0:
        return None
    try:
        study.optimize(objective, n_trials=remaining, timeout=settings.timeout_seconds,
                       catch=(RunError,), callbacks=[_failure_guard(on_trial), stop],
                       gc_after_trial=False)
    except _TooManyFailures as e:
        raise RunError(
            f"{MAX_CONSECUTIVE_FAILURES} trials in a row failed; the last with: {e}. Fix the "
            "cause (or narrow the search space) and run the same command again to resume."
        ) from None
    except (KeyboardInterrupt, RegAdvisorError):
        raise
    except Exception as e:
        fault = storage_fault(e)
        if fault is None:
            raise
        full = disk_full(settings.storage or "study.db", e)
        raise (full or failed_during_tuning(settings, fault)) from None
    if settings.timeout_seconds is not None and _finished(study) < n_trials:
        return f"the time budget of {settings.timeout_seconds:g} s ended the search"
    return None


def _objective(experiment: Experiment, space: SearchSpace, settings: TuneSettings,
               base: RegConfig, keep: Keep | None = None) -> Callable[[optuna.Trial], float]:
    """The objective: train the trial's configuration, report each epoch to the pruner, and
    record the run's figures (or why it failed) on the trial (with ``keep``: see
    :func:`run_trials`)."""
    device = settings.device
    seed = settings.seed if keep is not None else trial_seed(settings.seed)
    watched = None if settings.report_every_epoch else pruner_epochs(
        settings.pruner, base.max_epochs, settings.first_rung)

    def run(trial: optuna.Trial) -> float:
        params = _suggest(trial, space)
        config = config_for(base, space, params).replace(seed=seed)
        started = time.perf_counter()
        trial.set_user_attr("worker", WORKER_ID)
        trial.set_user_attr("seed", seed)
        try:
            result = train_experiment(experiment, config, trainer=train, device=device,
                                      callbacks=[_reporter(trial, settings, watched)],
                                      train_figures=False)
        except optuna.TrialPruned:
            raise
        except USER_CODE_ERRORS as e:  # sys.exit() too: it fails this trial, not the run
            raise _trial_error(trial, e, device) from None
        value = _record_history(trial, result.history, settings, started)
        if keep is not None:
            keep(trial.number, seed, result.history, result.model)
        return value

    def objective(trial: optuna.Trial) -> float:
        try:
            return run(trial)
        except KeyboardInterrupt:
            # Wherever the signal lands (sampling, training, recording): Optuna fails the
            # trial as it goes, marked so that it neither counts towards n_trials nor reads as
            # a failure of the configuration.
            trial.set_user_attr("error", INTERRUPTED)
            raise

    return objective


def _reporter(trial: optuna.Trial, settings: TuneSettings,
              watched: frozenset[int] | None = None) -> EpochCallback:
    """The epoch callback that reports the objective to the pruner and stops a pruned trial:
    at every epoch, or only at the epochs in ``watched`` (the pruner decides nothing at the
    others; each report is a write to the storage)."""

    def report(record, history):
        if watched is not None and record.epoch not in watched:
            return
        value = record.val_metric if settings.objective == "val_metric" else record.val_loss
        trial.report(value, record.epoch)
        if trial.should_prune():
            trial.set_user_attr("pruned_at", record.epoch)
            trial.set_user_attr("epochs_run", record.epoch)
            raise optuna.TrialPruned(f"pruned at epoch {record.epoch}")

    return report


def _trial_error(trial: optuna.Trial, error: BaseException, device: Any) -> RegAdvisorError:
    """Record why the experiment's code failed on the trial and return the error to raise: the
    explained mistake (the same in every trial, so tuning stops) or a RunError (this trial)."""
    mistake = explain(error, device)
    if mistake is not None:  # the same in every trial: stop tuning and say so
        trial.set_user_attr("error", mistake.message)
        return mistake
    message = fault_text(error)
    trial.set_user_attr("error", message)
    return RunError(message)


def _record_history(trial: optuna.Trial, h: History, settings: TuneSettings,
                    started: float) -> float:
    """Record a finished run's figures on the trial and return its objective value.

    Raises:
        RunError: The run diverged.
    """
    trial.set_user_attr("epochs_run", h.epochs_run)
    trial.set_user_attr("best_epoch", h.best_epoch)
    trial.set_user_attr("stop_reason", h.stop_reason.value)
    trial.set_user_attr("seconds", time.perf_counter() - started)
    if h.stop_reason is StopReason.DIVERGED:
        trial.set_user_attr("error", h.stop_message)
        raise RunError(h.stop_message)
    best = h.restored or h.best
    trial.set_user_attr("val_loss", best.val_loss)
    trial.set_user_attr("val_metric", best.val_metric)
    return best.val_metric if settings.objective == "val_metric" else best.val_loss


def _failure_guard(
    on_trial: Callable[[optuna.Study, optuna.trial.FrozenTrial], None] | None,
) -> Callable[[optuna.Study, optuna.trial.FrozenTrial], None]:
    """The after-trial callback: counts consecutive failures (stopping the run at
    :data:`MAX_CONSECUTIVE_FAILURES`) and passes each finished trial to ``on_trial``."""
    failures: list[str] = []

    def after(study: optuna.Study, frozen: optuna.trial.FrozenTrial) -> None:
        if frozen.state == optuna.trial.TrialState.FAIL:
            failures.append(frozen.user_attrs.get("error", "unknown error"))
            if len(failures) >= MAX_CONSECUTIVE_FAILURES:
                raise _TooManyFailures(failures[-1])
        elif frozen.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED):
            failures.clear()
        if on_trial is not None:
            on_trial(study, frozen)

    return after


#: The error recorded on a trial that Ctrl-C (or SIGTERM) stopped.
INTERRUPTED = "interrupted (Ctrl-C or a stop signal) before it finished"


def _finished(study: optuna.Study) -> int:
    """Trials that count towards ``n_trials``: complete, pruned, and failed by their own
    configuration or code (not the ones an interruption stopped)."""
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED,
              optuna.trial.TrialState.FAIL)
    return sum(1 for t in study.get_trials(deepcopy=False, states=states)
               if t.user_attrs.get("error") != INTERRUPTED)


def wait_for_running(study: optuna.Study, timeout_seconds: float = 600.0) -> None:
    """Wait until no trial is running (other workers finishing theirs; stale ones are failed)."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        optuna.storages.fail_stale_trials(study)
        running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
        if not running:
            return
        time.sleep(1.0)


def tune(
    experiment: Experiment,
    space: SearchSpace,
    settings: TuneSettings,
    run_dir: Path,
    *,
    on_trial: Callable[[optuna.Study, optuna.trial.FrozenTrial], None] | None = None,
    on_rerun: Callable[[int, int], None] | None = None,
    start_workers: Callable[[str, str], Sequence[Any]] | None = None,
    keep: Keep | None = None,
    storage: tuple[str, optuna.storages.BaseStorage] | None = None,
) -> TuningResult:
    """Run the study, choose the noise-aware winner, and return plain records.

    Args:
        experiment, space, settings, run_dir: What to tune, over what, how, and where the
            default SQLite study lives.
        on_trial, on_rerun: Progress callbacks.
        start_workers: Called with the storage URL and study name once the study exists (and
            its seeded trials are queued); returns worker processes to wait for.
        keep: Given each finished re-run of the top trials (see
            :func:`~regadvisor.tuning.winner.choose_winner`), and the trial's run of a new
            study of one trial (``n_trials`` 1), which trains with the study's seed.
        storage: The storage already opened (:func:`~regadvisor.tuning.storage.open_storage`
            with these settings); opened here when ``None``.
    """
    started = time.perf_counter()
    study = open_study(experiment, space, settings, run_dir, storage=storage)
    # One trial in a new study, in this process: its run is chosen on nothing (no other trial
    # to beat), so it trains with verification's first seed and serves as its first run of the
    # recommendation. Among several trials the winner's own run was chosen for its validation
    # figure, and trials train with a seed verification never uses (see trial_seed).
    alone = settings.n_trials == 1 and not study.trials and start_workers is None
    if not study.trials:
        _enqueue_seeded(study, experiment, space)
    url = storage_url(settings, run_dir)
    workers = list(start_workers(url, study.study_name)) if start_workers else []
    try:
        stopped = run_trials(experiment, space, settings, study, n_trials=settings.n_trials,
                             on_trial=on_trial, enqueue=False,
                             keep=keep if alone else None)
    except BaseException:
        for w in workers:
            w.terminate()
        raise
    for w in workers:
        w.wait()
    wait_for_running(study)
    # The re-runs train with this module's ``train``, as the trials do, so that replacing
    # ``study.train`` (to count epochs, say) reaches both.
    reruns, winner, guard_notes = choose_winner(experiment, space, settings, study,
                                                on_rerun=on_rerun, trainer=train, keep=keep)
    base = tuning_base(experiment, settings)
    best_config = config_for(base, space, winner.params) if winner else None
    trials = records(study)
    return TuningResult(
        study_name=study.study_name,
        storage=mask_url(url),
        direction=study.direction.name.lower(),
        objective=settings.objective,
        space=space,
        trials=trials,
        reruns=reruns,
        best_params=dict(winner.params) if winner else {},
        best_config=best_config,
        best_trial=winner.number if winner else None,
        seconds=time.perf_counter() - started,
        sampler=sampler_text(settings.seed, settings.startup_trials),
        pruner=settings.pruner,
        stopped_early=stopped,
        notes=tie_notes(trials, study.direction == optuna.study.StudyDirection.MAXIMIZE,
                        settings) + guard_notes,
    )


def run_worker(experiment: Experiment, settings: TuneSettings, run_dir: Path,
               rank: int) -> None:
    """A worker process: load the study (and its search space) and run trials until done."""
    if settings.study_name is None:
        raise ConfigError("A worker needs --study-name (and --storage) of an existing study.")
    url = storage_url(settings, run_dir)
    space = stored_space(url, settings.study_name, settings.heartbeat_seconds)
    study = open_study(experiment, space, settings, run_dir, sampler_seed=settings.seed + rank)
    run_trials(experiment, space, settings, study, n_trials=settings.n_trials, enqueue=False)
