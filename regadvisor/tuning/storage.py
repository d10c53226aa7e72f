"""Where a study lives: its storage URL, the checks before Optuna touches a database, the
study's identity (experiment and search space), and storage faults as :class:`StorageError`."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import optuna

from regadvisor._io import no_space
from regadvisor._record import from_plain, to_plain
from regadvisor._secrets import mask_url, scrub
from regadvisor.errors import ConfigError, DiskFullError, StorageError
from regadvisor.experiment import Experiment
from regadvisor.tuning.settings import TuneSettings
from regadvisor.tuning.space import SearchSpace

__all__ = [
    "claim_study",
    "default_study_name",
    "disk_full",
    "failed_during_tuning",
    "open_storage",
    "storage_fault",
    "storage_url",
    "stored_space",
    "study_for_space",
    "unusable_study",
]


def storage_url(settings: TuneSettings, run_dir: Path) -> str:
    """``--storage``, or the SQLite file ``study.db`` in the run folder."""
    return settings.storage or f"sqlite:///{(run_dir / 'study.db').resolve()}"


def open_storage(settings: TuneSettings,
                 run_dir: Path) -> tuple[str, optuna.storages.BaseStorage]:
    """The storage URL and the storage behind it, after the checks that keep Optuna out of a
    database that is not its own.

    Raises:
        ConfigError: A SQLite file given as the storage is not an Optuna database.
        StorageError: The storage cannot be opened.
    """
    if settings.storage is None:
        run_dir.mkdir(parents=True, exist_ok=True)
    url = storage_url(settings, run_dir)
    _check_sqlite_file(url)
    return url, _storage(url, settings.heartbeat_seconds)


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
            storage = optuna.storages.RDBStorage(
                url,
                engine_kwargs=engine_kwargs,
                heartbeat_interval=heartbeat_seconds,
                grace_period=3 * heartbeat_seconds,
                **_retry_once(),
            )
            if url.startswith("sqlite"):
                _serialize_sqlite(storage)
            return storage
        except Exception as e:  # malformed URL, missing driver, unreachable server, races
            text = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            # Two workers creating the same tables at once: SQLite and PostgreSQL say so in
            # different words; the loser retries and finds the tables made.
            racing = any(w in text for w in ("already exists", "duplicate key",
                                             "UNIQUE constraint failed", "database is locked"))
            if racing and attempt < 5:
                time.sleep(0.5 + attempt)
                continue
            full = disk_full(url, e)
            if full is not None:
                raise full from None
            raise StorageError(
                f"Cannot open the study storage {mask_url(url)}: {scrub(text)}. Check the URL "
                "(e.g. sqlite:///study.db or postgresql://user:password@host/db) and that the "
                "database server is running.") from None
    raise AssertionError("unreachable")  # pragma: no cover


def _serialize_sqlite(storage: optuna.storages.RDBStorage) -> None:
    """Make every SQLite transaction take the write lock when it begins (``BEGIN IMMEDIATE``).

    Python's ``sqlite3`` starts a transaction only at the first write, so the read that finds a
    queued trial and the write that claims it are not one transaction: two workers on one SQLite
    file could both claim the same queued trial (the user's setup, or a killed worker's retried
    trial), train it twice, and the slower one fail with "Cannot tell a COMPLETE trial". Readers
    wait on the lock like writers do (the connection's 60-s timeout); a transaction is short.
    """
    from sqlalchemy import event

    engine = storage.engine

    @event.listens_for(engine, "connect")
    def _autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy issues BEGIN itself, below

    @event.listens_for(engine, "begin")
    def _begin_immediate(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    engine.dispose()  # connections opened before the listeners would not have them


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


def _retry_once() -> dict:
    """``RDBStorage`` keyword: fail a trial whose worker went silent and retry it once (Optuna 5
    renamed the callback and its keyword; the behaviour is the same)."""
    retry = getattr(optuna.storages, "RetryHeartbeatStaleTrialCallback", None)
    if retry is not None:
        return {"heartbeat_stale_trial_callback": retry(max_retry=1)}
    return {"failed_trial_callback": optuna.storages.RetryFailedTrialCallback(max_retry=1)}


def disk_full(url: str, error: BaseException) -> DiskFullError | None:
    """The error for a storage whose disk (or quota) filled up, or ``None`` when ``error`` says
    something else."""
    reason = no_space(error)
    if reason is None:
        return None
    return DiskFullError(f"in the study storage {mask_url(url)}", reason,
                         "Every finished trial is kept in it: free space there and run the same "
                         "command to resume.")


def unusable_study(name: str, url: str, error: Exception) -> StorageError | DiskFullError:
    """The error for a study that Optuna could not create or load from the storage."""
    full = disk_full(url, error)
    if full is not None:
        return full
    if isinstance(error, ValueError):
        return StorageError(f"Study {name!r} in {mask_url(url)} cannot be used: {error}. Pass a "
                            "new --study-name to start fresh.")
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return StorageError(f"Cannot open study {name!r} in {mask_url(url)}: {scrub(text)}.")


def claim_study(study: optuna.Study, experiment: Experiment, space: SearchSpace,
                settings: TuneSettings, name: str, url: str) -> None:
    """Mark a new study with this experiment and search space; refuse to resume one of another.

    The study's user attributes hold the experiment's identity as far as tuning goes
    (``experiment``, with ``experiment_name``): the test loader, which tuning never reads, may
    differ.

    Raises:
        ConfigError: The study belongs to another experiment.
        StorageError: The study was made with another search space or objective.
    """
    _claim_experiment(study, experiment, name, url)
    _claim_space(study, space, settings, name, url)


def _claim_experiment(study: optuna.Study, experiment: Experiment, name: str, url: str) -> None:
    owner = study.user_attrs.get("experiment")
    if owner is None:
        study.set_user_attr("experiment", experiment.fingerprint)
        study.set_user_attr("experiment_name", experiment.name)
    elif experiment.fingerprint and owner != experiment.fingerprint:
        raise ConfigError(
            f"Study {name!r} in {mask_url(url)} belongs to another experiment "
            f"({study.user_attrs.get('experiment_name', '?')}, identity {owner}; this one is "
            f"{experiment.name}, identity {experiment.fingerprint}): resuming it would mix the "
            "two. Pass another --study-name for this experiment (or, with the default study, "
            "a new --output folder).")


def _claim_space(study: optuna.Study, space: SearchSpace, settings: TuneSettings, name: str,
                 url: str) -> None:
    signature = space.signature()
    stored = study.user_attrs.get("space")
    if stored is None:
        # "space" last: it marks the study as claimed, and a worker that sees it (each
        # attribute is committed on its own) must find the objective and the full space too.
        study.set_user_attr("objective", settings.objective)
        study.set_user_attr("space_full", to_plain(space))
        study.set_user_attr("space", signature)
    elif not _takes(study.user_attrs, space, settings):
        raise StorageError(
            f"Study {name!r} in {mask_url(url)} was created with another search space or "
            f"objective ({_describe(stored)}; now {_describe(signature)}). Pass a new "
            "--study-name (or a new --output folder) to start fresh, or the same ranges and "
            "objective to resume it.")


def _takes(attrs: dict[str, Any], space: SearchSpace, settings: TuneSettings) -> bool:
    """Whether a study with these user attributes is new or was made with this search space
    and objective (then it takes this run's trials)."""
    stored = attrs.get("space")
    return stored is None or (stored == space.signature()
                              and attrs.get("objective") == settings.objective)


def default_study_name(experiment: Experiment) -> str:
    """The study name when none is given: ``regadvisor-<experiment>``."""
    return f"regadvisor-{experiment.name}"


def study_for_space(experiment: Experiment, space: SearchSpace, settings: TuneSettings,
                    opened: tuple[str, optuna.storages.BaseStorage]) -> str:
    """The study of the run folder's own ``study.db`` (``opened``: its URL and storage, from
    :func:`open_storage`) that takes this search space and objective: the default one when it
    is new or was made with them, else the first of ``<default>-2``, ``<default>-3``, ... that
    is (new or made with them).

    Raises:
        StorageError: The storage cannot be read.
    """
    url, storage = opened
    try:
        studies = {s.study_name: s.user_attrs for s in storage.get_all_studies()}
    except Exception as e:
        raise unusable_study(default_study_name(experiment), url, e) from None
    base = default_study_name(experiment)
    name, n = base, 1
    while name in studies and not _takes(studies[name], space, settings):
        n += 1
        name = f"{base}-{n}"
    return name


def _describe(signature: dict[str, Any]) -> str:
    return ", ".join(f"{k} [{v[0]:g}, {v[1]:g}]" for k, v in signature.items())


def stored_space(url: str, study_name: str, heartbeat_seconds: int) -> SearchSpace:
    """The search space stored with an existing study (what a worker process tunes over).

    Raises:
        StorageError: The storage cannot be opened or holds no study of that name.
    """
    storage = _storage(url, heartbeat_seconds)
    try:
        summary = optuna.load_study(study_name=study_name, storage=storage)
    except KeyError:
        raise StorageError(f"No study named {study_name!r} in {mask_url(url)}.") from None
    return from_plain(SearchSpace, summary.user_attrs["space_full"])


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
            return f"{type(current).__name__}: {scrub(text[0]) if text else ''}"
        current = current.__cause__ or current.__context__
    if isinstance(error, UnboundLocalError) and "updated_state" in str(error):
        return "it stopped answering while a trial was being recorded"
    return None


def failed_during_tuning(settings: TuneSettings, fault: str) -> StorageError:
    """The error for a storage that failed while trials ran (``fault`` from
    :func:`storage_fault`); every finished trial is kept in it."""
    return StorageError(
        f"The study storage {mask_url(settings.storage or 'study.db')} failed during "
        f"tuning ({fault}). Every finished trial is kept in it; once it answers again, run "
        "the same command to resume.")
