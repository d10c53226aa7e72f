"""The run record: a RunResult saved as ``report.json``, resumed or kept as a revision."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from regadvisor._io import replace_nonfinite
from regadvisor.errors import ConfigError

if TYPE_CHECKING:
    from regadvisor.experiment import Experiment
    from regadvisor.pipeline._options import AdviseOptions

__all__ = ["RECORD_FILES", "RUN_SCHEMA_VERSION", "RunResult", "archive", "previous_run",
           "replace_nonfinite", "start_record", "versions", "write_outputs", "write_trials_csv"]

RUN_SCHEMA_VERSION = 1


@dataclass
class RunResult:
    """Everything one ``advise`` run produced; saved as ``report.json``, the report's only source.

    ``status`` is ``complete`` or ``partial`` (interrupted or failed); ``finished_stages`` says
    which stages finished. ``settings`` are the settings that shape the results (a re-run with
    other settings starts a new revision; the earlier record is kept under ``revisions/``, listed
    in ``revisions``). ``placements`` holds, for the user's setup (``baseline``) and the
    tuned candidate (``recommended``), the config and where it puts weight decay and dropout in
    the user's model: the one source of the report's change table, code and badges.
    """

    command: str
    versions: dict[str, str]
    device: str
    seed: int
    experiment: dict[str, Any]
    status: str = "partial"
    finished_stages: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    diagnosis: dict[str, Any] | None = None
    space: dict[str, Any] | None = None
    tuning: dict[str, Any] | None = None
    placements: dict[str, Any] | None = None
    verification: dict[str, Any] | None = None
    recommendation: dict[str, Any] | None = None
    error: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    revisions: list[str] = field(default_factory=list)
    resumed: bool = False
    schema_version: int = RUN_SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        return replace_nonfinite(dataclasses.asdict(self))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunResult:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})


def versions() -> dict[str, str]:
    import platform

    import optuna
    import torch

    from regadvisor import __version__

    return {"python": platform.python_version(), "torch": torch.__version__,
            "optuna": optuna.__version__, "regadvisor": __version__}


def write_trials_csv(tuning: dict[str, Any], path: Path) -> None:
    """One row per trial, parameters as ``param_<name>`` columns."""
    import pandas as pd

    from regadvisor._io import atomic_write_text

    rows = []
    for t in tuning["trials"]:
        row = {k: v for k, v in t.items() if k != "params"}
        row.update({f"param_{k}": v for k, v in (t.get("params") or {}).items()})
        rows.append(row)
    atomic_write_text(path, pd.DataFrame(rows).to_csv(index=False))


def write_outputs(result: RunResult, run_dir: Path) -> None:
    """report.json, histories.csv and trials.csv, each written atomically."""
    import pandas as pd

    from regadvisor._io import atomic_write_text

    atomic_write_text(run_dir / "report.json", result.to_json())
    frames = []
    if result.diagnosis:
        h = pd.DataFrame(result.diagnosis["history"]["records"])
        h.insert(0, "run", "diagnosis")
        frames.append(h)
    if result.verification:
        for arm, hist in result.verification.get("histories", {}).items():
            h = pd.DataFrame(hist["records"])
            h.insert(0, "run", f"verification-{arm}")
            frames.append(h)
    if frames:
        atomic_write_text(run_dir / "histories.csv",
                          pd.concat(frames, ignore_index=True).to_csv(index=False))
    if result.tuning:
        write_trials_csv(result.tuning, run_dir / "trials.csv")


def previous_run(run_dir: Path) -> dict[str, Any] | None:
    """The record a run folder already holds (``report.json``), or None.

    A file that cannot be read as a record is moved aside (``report.json.unreadable-<n>``), not
    deleted, and the folder counts as empty.
    """
    path = run_dir / "report.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("schema_version") == RUN_SCHEMA_VERSION:
            return data
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        pass
    n = 1
    while (run_dir / f"report.json.unreadable-{n}").exists():
        n += 1
    path.rename(run_dir / f"report.json.unreadable-{n}")
    return None


#: The files of a run folder's record that a new revision keeps a copy of.
RECORD_FILES = ("report.json", "report.html", "histories.csv", "trials.csv")


def archive(run_dir: Path) -> str:
    """Copy the folder's record into ``revisions/<n>/`` (whole or not at all) and return it."""
    import os
    import shutil

    root = run_dir / "revisions"
    root.mkdir(exist_ok=True)
    n = 1
    while (root / str(n)).exists():
        n += 1
    tmp = root / f".{n}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    for name in RECORD_FILES:
        if (run_dir / name).is_file():
            shutil.copy2(run_dir / name, tmp / name)
    os.replace(tmp, root / str(n))
    return f"revisions/{n}"


def start_record(experiment: Experiment, run_dir: Path, options: AdviseOptions) -> RunResult:
    """The record this run continues: the folder's own (same experiment, same settings), or a
    new one (the folder's earlier record, if any, kept as a revision).

    Raises:
        ConfigError: The folder holds a run of another experiment.
    """
    key = options.key(experiment)
    previous = previous_run(run_dir)
    revisions: list[str] = []
    if previous is not None:
        owner = (previous.get("experiment") or {}).get("fingerprint")
        if owner and owner != experiment.fingerprint:
            name = (previous.get("experiment") or {}).get("name", "?")
            raise ConfigError(
                f"Run folder '{run_dir}' holds a run of another experiment ({name}, identity "
                f"{owner}; this one is {experiment.name}, identity {experiment.fingerprint}). "
                "Its results stay as they are: pass a new --output folder for this experiment.")
        revisions = list(previous.get("revisions") or [])
        if previous.get("settings") == key:
            result = RunResult.from_dict(previous)
            result.resumed = True
            result.command = options.command or result.command
            return result
        revisions.append(archive(run_dir))
    return RunResult(command=options.command, versions=versions(), device=str(options.device),
                     seed=options.seed, experiment=experiment.summary(), settings=key,
                     revisions=revisions)
