"""Whose results a run folder holds: the experiment its records name, compared with this one."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from regadvisor.errors import ConfigError

if TYPE_CHECKING:
    from regadvisor.experiment import Experiment

__all__ = ["check_owner"]


def check_owner(run_dir: Path, experiment: Experiment,
                previous: dict[str, Any] | None = None) -> str | None:
    """Refuse a run folder whose results belong to another experiment.

    The folder's experiment is the one its ``report.json`` (``previous``, when already read)
    names, else its ``diagnosis.json`` (the folder of ``diagnose``).

    Returns:
        None (the same experiment, or a folder that names none) or ``"test"`` (the same one,
        with another test loader).

    Raises:
        ConfigError: The folder holds a run of another experiment.
    """
    from regadvisor.experiment import identity_change

    stored = _owner(run_dir, previous)
    change = identity_change(stored, experiment)
    if change == "experiment":
        older = ("; it was recorded by an earlier regadvisor, which computed identities "
                 "differently" if "test_fingerprint" not in stored else "")
        raise ConfigError(
            f"Run folder '{run_dir}' holds a run of another experiment ({stored.get('name', '?')}"
            f", identity {stored.get('fingerprint')}; this one is {experiment.name}, identity "
            f"{experiment.fingerprint}{older}). Its results stay as they are: pass a new "
            "--output folder for this experiment.")
    return change


def _owner(run_dir: Path, previous: dict[str, Any] | None) -> dict[str, Any] | None:
    """The experiment summary of the folder's record, or of its diagnosis."""
    records = [previous] if previous is not None else [_read(run_dir / "report.json")]
    for record in [*records, _read(run_dir / "diagnosis.json")]:
        stored = record.get("experiment") if isinstance(record, dict) else None
        if isinstance(stored, dict) and stored.get("fingerprint"):
            return stored
    return None


def _read(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
