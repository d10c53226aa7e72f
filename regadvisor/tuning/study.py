"""The Optuna study: objective, storage, seeded trials, pruning and the noise-aware winner.

This package is the only place that imports optuna.
"""

from __future__ import annotations

import logging
import math
import os
import socket
import statistics
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from regadvisor._secrets import mask_url, register
from regadvisor.errors import ConfigError, RegAdvisorError, RunError, StorageError
from regadvisor.experiment import Experiment, baseline_config
from regadvisor.training import RegConfig, StopReason, train
from regadvisor.training.faults import explain
from regadvisor.tuning import defaults
from regadvisor.tuning._records import Rerun, TrialRecord, TuningResult
from regadvisor.tuning.space import SearchSpace

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

PRUNERS = ("median", "patient", "hyperband", "none")

#: Which process ran a trial (host and process id), recorded on every trial.
WORKER_ID = f"{socket.gethostname()}:{os.getpid()}"

#: Consecutive failed trials after which the run stops with the cause.
MAX_CONSECUTIVE_FAILURES = 5


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
        winner: ``"rerun"`` (the top trials re-run over extra seeds, the best mean wins) or
            ``"best"`` (the best single trial; no re-runs).
        reference_loss: The user's own validation loss (the diagnosis'); a candidate whose
            validation loss exceeds ``loss_guard`` times it is ranked after every other one (its
            predictions have become over-confident, whatever its metric).
        seed: Seeds the sampler (same seed, same trials in one worker) and the training runs.
        pruner: One of :data:`PRUNERS`.
        top_k: Top trials re-run over extra seeds to choose the winner.
        extra_seeds: Extra training seeds per top trial.
        storage: Optuna storage URL; None for the SQLite file in the run folder.
        study_name: Study name; None for ``regadvisor-<experiment>``.
        device: Where to train. threads: torch threads in this process (None: leave).
        timeout_seconds: Stop starting new trials after this wall time.
        heartbeat_seconds: A running trial records a heartbeat this often; one silent for 3×
            as long (a killed worker) is failed and retried once.
    """

    n_trials: int = defaults.N_TRIALS
    objective: str = "val_metric"
    monitor: str | None = None
    min_delta: float = 0.0
    min_resource: int = 5
    winner: str = defaults.WINNER
    reference_loss: float | None = None
    loss_guard: float = 1.5
    seed: int = 0
    pruner: str = defaults.PRUNER
    top_k: int = 3
    extra_seeds: int = 2
    storage: str | None = None
    study_name: str | None = None
    device: Any = "cpu"
    timeout_seconds: float | None = None
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
        if self.winner not in ("rerun", "best"):
            raise ConfigError(f"winner must be 'rerun' or 'best'. Got {self.winner!r}.")
        if self.pruner not in PRUNERS:
            raise ConfigError(f"--pruner must be one of {', '.join(PRUNERS)}. Got "
                              f"{self.pruner!r}.")
        if self.heartbeat_seconds < 1:
            raise ConfigError(f"--heartbeat must be at least 1 second. Got "
                              f"{self.heartbeat_seconds}.")
        if self.top_k < 1 or self.extra_seeds < 0:
            raise ConfigError("top_k must be >= 1 and extra_seeds >= 0.")


#: The sampler's settings, passed explicitly (not through Optuna's defaults, which changed in
#: Optuna 5) and named in the report as they are.
SAMPLER_SETTINGS = {"n_startup_trials": 8, "multivariate": True, "constant_liar": True}


def make_sampler(seed: int) -> optuna.samplers.TPESampler:
    """TPE with :data:`SAMPLER_SETTINGS`: multivariate (it models the parameters jointly) and
    with the constant liar (parallel workers do not all sample the same point)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        return optuna.samplers.TPESampler(seed=seed, **SAMPLER_SETTINGS)


def sampler_text(seed: int) -> str:
    """How the report names the sampler that ran."""
    return (f"TPESampler(seed={seed}, "
            + ", ".join(f"{k}={v}" for k, v in SAMPLER_SETTINGS.items()) + ")")


def make_pruner(name: str, min_resource: int = 5) -> optuna.pruners.BasePruner:
    """The pruner for ``--pruner``.

    ``hyperband`` (the default; Optuna's Hyperband, trials of at least 5 epochs, a third kept at
    each rung) spent 31–40 % fewer trial epochs than ``median`` at the same quality in
    ``benchmarks/bench_pruners.py``; ``median`` waits 10 epochs and 5 trials before pruning.
    """
    if name == "median":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=10)
    if name == "patient":
        return optuna.pruners.PatientPruner(
            optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=10), patience=5)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(min_resource=min_resource, reduction_factor=3)
    return optuna.pruners.NopPruner()


def _storage(url: str, heartbeat_seconds: int = 10) -> optuna.storages.BaseStorage:
    """Open the RDB storage; a worker racing another to create the tables tries again."""
    if url.startswith("sqlite"):
        engine_kwargs: dict[str, Any] = {"connect_args": {"timeout": 60}}
    elif url.startswith("postgresql"):
        engine_kwargs = {"connect_args": {"connect_timeout": 10}, "pool_pre_ping": True}
    else:
        engine_kwargs = {}
    for attempt in range(6):
        try:
            return optuna.storages.RDBStorage(
                url,
                engine_kwargs=engine_kwargs,
                heartbeat_interval=heartbeat_seconds,
                grace_period=3 * heartbeat_seconds,
                heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(
                    max_retry=1),
            )
        except Exception as e:  # malformed URL, missing driver, unreachable server, races
            text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            racing = "already exists" in text or "duplicate key" in text
            if racing and attempt < 5:
                time.sleep(0.5 + attempt)
                continue
            raise StorageError(
                f"Cannot open the study storage {mask_url(url)}: {mask_url(text)}. Check the URL "
                "(e.g. sqlite:///study.db or postgresql://user:password@host/db) and that the "
                "database server is running.") from None
    raise AssertionError("unreachable")  # pragma: no cover


def open_study(
    experiment: Experiment,
    space: SearchSpace,
    settings: TuneSettings,
    run_dir: Path,
    *,
    sampler_seed: int | None = None,
) -> optuna.Study:
    """Create the study or load it to resume; refuse one of another experiment or search space.

    Raises:
        ConfigError: The study belongs to another experiment, or a SQLite file given as the
            storage is not an Optuna database.
        StorageError: The storage cannot be opened, or the study was made with another space.
    """
    if settings.storage is None:
        run_dir.mkdir(parents=True, exist_ok=True)
    url = storage_url(settings, run_dir)
    _check_sqlite_file(url)
    storage = _storage(url, settings.heartbeat_seconds)
    name = settings.study_name or f"regadvisor-{experiment.name}"
    direction = _direction(experiment, settings)
    sampler = make_sampler(settings.seed if sampler_seed is None else sampler_seed)
    try:
        study = optuna.create_study(storage=storage, study_name=name, direction=direction,
                                    sampler=sampler,
                                    pruner=make_pruner(settings.pruner,
                                                       settings.min_resource),
                                    load_if_exists=True)
    except ValueError as e:
        raise StorageError(f"Study {name!r} in {mask_url(url)} cannot be used: {e}. Pass a new "
                           "--study-name to start fresh.") from None
    except Exception as e:
        text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise StorageError(f"Cannot open study {name!r} in {mask_url(url)}: {mask_url(text)}.") \
            from None
    owner = study.user_attrs.get("experiment")
    if owner is None:
        study.set_user_attr("experiment", experiment.fingerprint)
        study.set_user_attr("experiment_name", experiment.name)
    elif experiment.fingerprint and owner != experiment.fingerprint:
        raise ConfigError(
            f"Study {name!r} in {mask_url(url)} belongs to another experiment "
            f"({study.user_attrs.get('experiment_name', '?')}, identity {owner}; this one is "
            f"{experiment.name}, identity {experiment.fingerprint}): resuming it would mix the "
            "two. Pass a new --output folder (or --study-name) for this experiment.")
    signature = space.signature()
    stored = study.user_attrs.get("space")
    if stored is None:
        study.set_user_attr("space", signature)
        study.set_user_attr("space_full", space.to_dict())
        study.set_user_attr("objective", settings.objective)
    elif stored != signature or study.user_attrs.get("objective") != settings.objective:
        raise StorageError(
            f"Study {name!r} in {mask_url(url)} was created with another search space or "
            f"objective ({_describe(stored)}; now {_describe(signature)}). Pass a new "
            "--study-name (or a new --output folder) to start fresh, or the same ranges and "
            "objective to resume it.")
    return study


def _check_sqlite_file(url: str) -> None:
    """A SQLite file given as the storage must be empty, new or an Optuna database: Optuna would
    silently add its tables to any other database."""
    if not url.startswith("sqlite:///"):
        return
    path = Path(url.removeprefix("sqlite:///"))
    if not path.is_file() or path.stat().st_size == 0:
        return
    import sqlite3

    try:
        with open(path, "rb") as f:
            header = f.read(16)
        if header != b"SQLite format 3\x00":
            raise ConfigError(f"{path} is not a SQLite database. Pass --storage with a new file "
                              "or an Optuna study database (or leave it out: the run folder "
                              "gets its own study.db).")
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            tables = {row[0] for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.Error as e:
        raise ConfigError(f"{path} cannot be read as a SQLite database ({e}). Pass --storage "
                          "with a new file or an Optuna study database.") from None
    if tables and not {"studies", "trials"} <= tables:
        shown = ", ".join(sorted(tables)[:4])
        raise ConfigError(f"{path} is a SQLite database of something else (tables {shown}), "
                          "not an Optuna study database: regadvisor will not add its tables to "
                          "it. Pass --storage with a new file, or leave it out.")


def _describe(signature: dict[str, Any]) -> str:
    return ", ".join(f"{k} [{v[0]:g}, {v[1]:g}]" for k, v in signature.items())


def _direction(experiment: Experiment, settings: TuneSettings) -> str:
    if settings.objective == "val_loss" or not experiment.higher_is_better:
        return "minimize"
    return "maximize"


def config_for(base: RegConfig, space: SearchSpace, params: dict[str, Any]) -> RegConfig:
    """The RegConfig of a trial: the user's setup, the findings' fixed changes, the params."""
    changes = dict(space.base)
    changes.update(params)
    if "dropout" in params and "inject_dropout" not in changes:
        changes["inject_dropout"] = True
    if "patience_epochs" in changes and changes["patience_epochs"] is not None:
        changes["patience_epochs"] = int(changes["patience_epochs"])
    allowed = {f for f in RegConfig.__dataclass_fields__}
    return base.replace(**{k: v for k, v in changes.items() if k in allowed})


def tuning_base(experiment: Experiment, settings: TuneSettings) -> RegConfig:
    """The user's setup at full length, monitored by the tuning objective."""
    cfg = baseline_config(experiment, seed=settings.seed)
    return cfg.replace(monitor=settings.monitor or settings.objective,
                       min_delta=settings.min_delta)


def _suggest(trial: optuna.Trial, space: SearchSpace) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, rng in space.params.items():
        if rng.is_int:
            params[name] = trial.suggest_int(name, int(rng.low), int(rng.high), log=rng.log)
        else:
            params[name] = trial.suggest_float(name, rng.low, rng.high, log=rng.log)
    return params


def seeded_trials(experiment: Experiment, space: SearchSpace) -> list[tuple[str, dict]]:
    """The guide's default recipe, clipped into the space: the study's first trial.

    The user's own setup is not a trial: the diagnostic run has already trained it, and
    verification measures the winner against it over several seeds.
    """
    spec = experiment.optimizer
    recipe = {"weight_decay": 1e-2 if spec.is_adaptive or spec.name == "AdamW" else 5e-4,
              "dropout": 0.2, "patience_epochs": 10, "label_smoothing": 0.0, "l1": 1e-4}
    params = {}
    for name, rng in space.params.items():
        v = recipe.get(name)
        params[name] = rng.high if v is None else rng.clip(v)
    return [("guide recipe", params)]


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
) -> str | None:
    """Run trials in this process until the study holds ``n_trials`` finished ones.

    Returns:
        Why the run stopped early, or None.

    Raises:
        RunError: Several trials in a row failed (the message names the last cause).
        KeyboardInterrupt: Ctrl-C; every finished trial is already in the storage.
    """
    base = tuning_base(experiment, settings)
    device = settings.device
    if enqueue and not study.trials:
        for label, params in seeded_trials(experiment, space):
            study.enqueue_trial(params, user_attrs={"seeded": label}, skip_if_exists=True)
    failures: list[str] = []

    def objective(trial: optuna.Trial) -> float:
        params = _suggest(trial, space)
        config = config_for(base, space, params).replace(seed=settings.seed)
        started = time.perf_counter()
        trial.set_user_attr("worker", WORKER_ID)

        def report(record, history):
            value = record.val_metric if settings.objective == "val_metric" else record.val_loss
            trial.report(value, record.epoch)
            if trial.should_prune():
                trial.set_user_attr("pruned_at", record.epoch)
                trial.set_user_attr("epochs_run", record.epoch)
                raise optuna.TrialPruned(f"pruned at epoch {record.epoch}")

        try:
            result = train(experiment.model_factory, experiment.train_loader,
                           experiment.val_loader, config, task=experiment.task,
                           loss_factory=experiment.loss_factory, device=device,
                           callbacks=[report], train_figures=False)
        except optuna.TrialPruned:
            raise
        except KeyboardInterrupt:
            # Failed by Optuna as it goes; marked so that it neither counts towards n_trials
            # nor reads as a failure of the configuration.
            trial.set_user_attr("error", INTERRUPTED)
            raise
        except Exception as e:
            mistake = explain(e, device)
            if mistake is not None:  # the same in every trial: stop tuning and say so
                trial.set_user_attr("error", mistake.message)
                raise mistake from None
            message = f"{type(e).__name__} from the experiment's code: {e}"
            trial.set_user_attr("error", message)
            raise RunError(message) from None
        h = result.history
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

    def after(study: optuna.Study, frozen: optuna.trial.FrozenTrial) -> None:
        if frozen.state == optuna.trial.TrialState.FAIL:
            failures.append(frozen.user_attrs.get("error", "unknown error"))
            if len(failures) >= MAX_CONSECUTIVE_FAILURES:
                raise _TooManyFailures(failures[-1])
        elif frozen.state in (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED):
            failures.clear()
        if on_trial is not None:
            on_trial(study, frozen)

    def stop(study: optuna.Study, frozen: optuna.trial.FrozenTrial) -> None:
        if _finished(study) >= n_trials:
            study.stop()

    done = _finished(study)
    remaining = max(0, n_trials - done)
    if remaining == 0:
        return None
    try:
        study.optimize(objective, n_trials=remaining, timeout=settings.timeout_seconds,
                       catch=(RunError,), callbacks=[after, stop], gc_after_trial=False)
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
        raise StorageError(
            f"The study storage {mask_url(settings.storage or 'study.db')} failed during "
            f"tuning ({fault}). Every finished trial is kept in it; once it answers again, run "
            "the same command to resume.") from None
    if settings.timeout_seconds is not None and _finished(study) < n_trials:
        return f"the time budget of {settings.timeout_seconds:g} s ended the search"
    return None


#: The error recorded on a trial that Ctrl-C (or SIGTERM) stopped.
INTERRUPTED = "interrupted (Ctrl-C or a stop signal) before it finished"


def _finished(study: optuna.Study) -> int:
    """Trials that count towards ``n_trials``: complete, pruned, and failed by their own
    configuration or code (not the ones an interruption stopped)."""
    states = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED,
              optuna.trial.TrialState.FAIL)
    return sum(1 for t in study.get_trials(deepcopy=False, states=states)
               if t.user_attrs.get("error") != INTERRUPTED)


def storage_fault(error: BaseException) -> str | None:
    """A sentence for an error that comes from the storage (its connection dropped, the file
    was damaged), looking through the chain of causes; ``None`` for any other error.

    Optuna's own bookkeeping can fail with ``UnboundLocalError`` ('updated_state') when the
    storage dies while a trial is being told; the original error is in its context.
    """
    seen = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        module = type(current).__module__
        if module.startswith(("sqlalchemy", "psycopg", "sqlite3")):
            text = str(current).strip().splitlines()
            return f"{type(current).__name__}: {mask_url(text[0]) if text else ''}"
        current = current.__cause__ or current.__context__
    if isinstance(error, UnboundLocalError) and "updated_state" in str(error):
        return "it stopped answering while a trial was being recorded"
    return None


def records(study: optuna.Study) -> list[TrialRecord]:
    """Every trial as a plain record."""
    out = []
    for t in study.get_trials(deepcopy=False):
        a = t.user_attrs
        out.append(TrialRecord(
            number=t.number, state=t.state.name, params=dict(t.params),
            value=_finite(t.value) if t.state == optuna.trial.TrialState.COMPLETE else None,
            val_loss=_finite(a.get("val_loss")), val_metric=_finite(a.get("val_metric")),
            epochs_run=a.get("epochs_run"), best_epoch=a.get("best_epoch"),
            pruned_at=a.get("pruned_at"), stop_reason=a.get("stop_reason"),
            error=a.get("error"), seeded=a.get("seeded"), seconds=a.get("seconds"),
            worker=a.get("worker")))
    return out


def _finite(v: Any) -> float | None:
    if v is None:
        return None
    v = float(v)
    return v if math.isfinite(v) else None


def choose_winner(
    experiment: Experiment,
    space: SearchSpace,
    settings: TuneSettings,
    study: optuna.Study,
    on_rerun: Callable[[int, int], None] | None = None,
) -> tuple[list[Rerun], TrialRecord | None]:
    """Pick the winner among the completed trials (see :class:`TuneSettings` ``winner``).

    With ``"rerun"`` the top trials are re-run over extra seeds and the best mean wins (the
    noise-aware winner); with ``"best"`` the best single trial. Either way a candidate whose
    validation loss exceeds the loss guard is ranked after the others.
    """
    complete = [t for t in study.get_trials(deepcopy=False,
                                            states=(optuna.trial.TrialState.COMPLETE,))]
    if not complete:
        return [], None
    maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
    guard = (settings.loss_guard * settings.reference_loss
             if settings.reference_loss and math.isfinite(settings.reference_loss) else math.inf)

    def rank(value: float, val_loss: float | None) -> tuple:
        exploded = val_loss is not None and val_loss > guard
        oriented = (-value if maximize else value) if math.isfinite(value) else math.inf
        return (exploded, oriented, val_loss if val_loss is not None else math.inf)

    # Best value first; trials tied on it (coarse accuracy) ranked by their validation loss.
    complete.sort(key=lambda t: rank(t.value, t.user_attrs.get("val_loss")))
    # Distinct parameter sets only: enqueued trials can repeat a sampled one.
    top: list[optuna.trial.FrozenTrial] = []
    seen: set[tuple] = set()
    for t in complete:
        key = tuple(sorted(t.params.items()))
        if key not in seen:
            seen.add(key)
            top.append(t)
        if len(top) == settings.top_k:
            break
    if settings.winner == "best":
        best = top[0]
        return [], next(r for r in records(study) if r.number == best.number)
    base = tuning_base(experiment, settings)
    reruns = []
    total = len(top) * settings.extra_seeds
    done = 0
    for t in top:
        values = [float(t.value)]
        losses = [t.user_attrs.get("val_loss")]
        seeds = [settings.seed]
        epochs = []
        errors: list[str] = []
        for k in range(1, settings.extra_seeds + 1):
            seed = settings.seed + 1000 * k
            config = config_for(base, space, dict(t.params)).replace(seed=seed)
            try:
                h = train(experiment.model_factory, experiment.train_loader,
                          experiment.val_loader, config, task=experiment.task,
                          loss_factory=experiment.loss_factory, device=settings.device,
                          train_figures=False).history
            except Exception as e:  # the user's code: this re-run fails, as a trial would
                mistake = explain(e, settings.device)
                if mistake is not None:
                    raise mistake from None
                errors.append(f"seed {seed}: {type(e).__name__} from the experiment's code: {e}")
                h = None
            epochs.append(h.epochs_run if h is not None else 0)
            best = (h.restored or h.best) if h is not None else None
            if h is None or h.diverged or best is None:
                value, loss = (-math.inf if maximize else math.inf), math.inf
            else:
                value = best.val_metric if settings.objective == "val_metric" else best.val_loss
                loss = best.val_loss
            values.append(value)
            losses.append(loss)
            seeds.append(seed)
            done += 1
            if on_rerun is not None:
                on_rerun(done, total)
        finite = [v for v in values if math.isfinite(v)]
        mean = statistics.fmean(finite) if finite else math.nan
        std = statistics.stdev(finite) if len(finite) >= 2 else 0.0
        known = [v for v in losses if v is not None]
        known = [v for v in known if math.isfinite(v)]
        reruns.append(Rerun(t.number, dict(t.params), seeds, values, mean, std, epochs,
                            statistics.fmean(known) if known else None, errors))
    winner = min(reruns, key=lambda r: rank(r.mean, r.val_loss))
    record = next(r for r in records(study) if r.number == winner.trial_number)
    return reruns, record


def wait_for_running(study: optuna.Study, timeout_seconds: float = 600.0) -> None:
    """Wait until no trial is running (other workers finishing theirs; stale ones are failed)."""
    deadline = time.monotonic() + timeout_seconds
    while time.monotonic() < deadline:
        optuna.storages.fail_stale_trials(study)
        running = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.RUNNING,))
        if not running:
            return
        time.sleep(1.0)


def storage_url(settings: TuneSettings, run_dir: Path) -> str:
    return settings.storage or f"sqlite:///{(run_dir / 'study.db').resolve()}"


def tune(
    experiment: Experiment,
    space: SearchSpace,
    settings: TuneSettings,
    run_dir: Path,
    *,
    on_trial: Callable[[optuna.Study, optuna.trial.FrozenTrial], None] | None = None,
    on_rerun: Callable[[int, int], None] | None = None,
    start_workers: Callable[[str, str], Sequence[Any]] | None = None,
) -> TuningResult:
    """Run the study, choose the noise-aware winner, and return plain records.

    Args:
        experiment, space, settings, run_dir: What to tune, over what, how, and where the
            default SQLite study lives.
        on_trial, on_rerun: Progress callbacks.
        start_workers: Called with the storage URL and study name once the study exists (and
            its seeded trials are queued); returns worker processes to wait for.
    """
    started = time.perf_counter()
    study = open_study(experiment, space, settings, run_dir)
    if not study.trials:
        for label, params in seeded_trials(experiment, space):
            study.enqueue_trial(params, user_attrs={"seeded": label}, skip_if_exists=True)
    url = storage_url(settings, run_dir)
    workers = list(start_workers(url, study.study_name)) if start_workers else []
    try:
        stopped = run_trials(experiment, space, settings, study, n_trials=settings.n_trials,
                             on_trial=on_trial, enqueue=False)
    except BaseException:
        for w in workers:
            w.terminate()
        raise
    for w in workers:
        w.wait()
    wait_for_running(study)
    reruns, winner = choose_winner(experiment, space, settings, study, on_rerun=on_rerun)
    base = tuning_base(experiment, settings)
    best_config = (config_for(base, space, winner.params).to_dict() if winner else {})
    trials = records(study)
    return TuningResult(
        study_name=study.study_name,
        storage=mask_url(url),
        direction=study.direction.name.lower(),
        objective=settings.objective,
        space=space.to_dict(),
        trials=trials,
        reruns=reruns,
        best_params=dict(winner.params) if winner else {},
        best_config=best_config,
        best_trial=winner.number if winner else None,
        seconds=time.perf_counter() - started,
        sampler=sampler_text(settings.seed),
        pruner=settings.pruner,
        stopped_early=stopped,
        notes=_tie_notes(trials, study.direction == optuna.study.StudyDirection.MAXIMIZE,
                         settings),
    )


#: This many completed trials sharing the best value get a note in the report.
MIN_TIED = 3


def _tie_notes(trials: Sequence[TrialRecord], maximize: bool,
               settings: TuneSettings) -> list[str]:
    """A note when several trials tie at the best value: the objective cannot rank them."""
    values = [t.value for t in trials if t.state == "COMPLETE" and t.value is not None]
    if not values:
        return []
    best = max(values) if maximize else min(values)
    tied = sum(1 for v in values if math.isclose(v, best, rel_tol=1e-9, abs_tol=1e-12))
    if tied < MIN_TIED:
        return []
    figure = "validation metric" if settings.objective == "val_metric" else "validation loss"
    return [f"{tied} of {len(values)} completed trials tied at the best {figure} ({best:.4g}): "
            "the objective cannot tell them apart (a small validation set moves in coarse "
            f"steps). The winner was chosen among the top {settings.top_k} by their mean over "
            f"{settings.extra_seeds} extra training seeds, so it rests on those re-runs."]


def run_worker(experiment: Experiment, settings: TuneSettings, run_dir: Path,
               rank: int) -> None:
    """A worker process: load the study (and its search space) and run trials until done."""
    if settings.study_name is None:
        raise ConfigError("A worker needs --study-name (and --storage) of an existing study.")
    url = storage_url(settings, run_dir)
    storage = _storage(url, settings.heartbeat_seconds)
    try:
        summary = optuna.load_study(study_name=settings.study_name, storage=storage)
    except KeyError:
        raise StorageError(f"No study named {settings.study_name!r} in {mask_url(url)}.") \
            from None
    space = SearchSpace.from_dict(summary.user_attrs["space_full"])
    study = open_study(experiment, space, settings, run_dir, sampler_seed=settings.seed + rank)
    run_trials(experiment, space, settings, study, n_trials=settings.n_trials, enqueue=False)
