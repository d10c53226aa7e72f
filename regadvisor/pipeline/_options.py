"""What an ``advise`` run is asked to do: its settings and its progress callbacks."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from regadvisor._record import to_plain
from regadvisor.tuning import defaults

if TYPE_CHECKING:
    from regadvisor.experiment import Experiment

__all__ = ["AdviseOptions", "Hooks"]


@dataclass
class AdviseOptions:
    """Settings of an ``advise`` run (flags of the CLI, arguments of the Python API).

    ``seeds`` is verification's first look and ``max_seeds`` its cap: seeds are added while
    the verdict is open (:mod:`regadvisor.verification.sequential`); ``max_seeds`` under
    ``seeds`` counts as ``seeds`` (one look).

    ``tuning`` holds further :class:`~regadvisor.tuning.TuneSettings` fields (``monitor``,
    ``min_delta``, ``min_resource``, ``top_k``, ``extra_seeds``) for experiments with the
    defaults; the benchmarks use it.

    ``until`` is the last stage: ``"report"`` (``advise``) or ``"tune"`` (the ``tune``
    command: diagnosis and tuning, no verification and no report). A run that stops after
    tuning is other settings than one that goes on: ``advise`` on a ``tune`` folder keeps the
    tune run as a revision and resumes its study (same space, same study).
    """

    diagnostic_epochs: int | None = None
    budget_seconds: float | None = None
    budget: str | None = None
    rules_dirs: Sequence[str | Path] = ()
    n_trials: int = defaults.N_TRIALS
    objective: str = "val_metric"
    pruner: str = defaults.PRUNER
    storage: str | None = None
    study_name: str | None = None
    seeds: int = 3
    max_seeds: int = 10  # regadvisor.verification.sequential.MAX_SEEDS (not imported here)
    seed: int = 0
    device: Any = "cpu"
    space_overrides: dict[str, Any] = field(default_factory=dict)
    command: str = ""
    render: bool = True
    tuning: dict[str, Any] = field(default_factory=dict)
    until: str = "report"
    heartbeat_seconds: int = 10  # a running trial's heartbeat (no effect on results)
    ruleset: Any = None  # the rules of ``rules_dirs`` when already loaded (a RuleSet)

    def __post_init__(self) -> None:
        from regadvisor._secrets import register

        if self.until not in ("tune", "report"):
            raise ValueError(f"until must be 'tune' or 'report', not {self.until!r}")
        register(self.storage)

    @property
    def verifies(self) -> bool:
        """Whether verification (and the report) follow the tuning."""
        return self.until != "tune"

    def key(self, experiment: Experiment) -> dict[str, Any]:
        """The settings that shape the results, comparable between runs (JSON-ready)."""
        from regadvisor._secrets import mask_url

        return to_plain({
            "n_trials": self.n_trials, "seeds": self.seeds, "max_seeds": self.max_seeds,
            "seed": self.seed,
            "objective": self.objective, "pruner": self.pruner,
            "diagnostic_epochs": self.diagnostic_epochs, "budget_seconds": self.budget_seconds,
            **({"budget": self.budget} if self.budget else {}),
            "rules": [_folder_digest(Path(d)) for d in self.rules_dirs],
            "space": {k: dataclasses.asdict(v) if dataclasses.is_dataclass(v) else v
                      for k, v in sorted(self.space_overrides.items())},
            "storage": mask_url(self.storage) if self.storage else None,
            "study_name": self.study_name, "device": str(self.device).split(":")[0],
            "tuning": dict(sorted(self.tuning.items())),
            **({} if self.verifies else {"until": self.until}),
            "experiment": experiment.fingerprint,
        })


@dataclass
class Hooks:
    """Progress callbacks of :func:`~regadvisor.pipeline.run_stages` (all optional)."""

    stage: Any = None          # stage(name) when a stage starts
    epoch: Any = None          # per-epoch callback of the diagnostic training
    trial: Any = None          # trial(study, frozen_trial)
    rerun: Any = None          # rerun(done, total)
    verify: Any = None         # verify(done, total)
    plan: Any = None           # plan(fields) when a --budget plan is made, before tuning:
    #                            the record's plan (``text``, ``n_trials``, ``seeds``, ...)
    search: Any = None         # search(diagnosis, space) when tuning starts
    start_workers: Any = None  # start_workers(url, study_name) -> processes: tune --workers


def _folder_digest(folder: Path) -> str:
    """A rules folder by its content: the same path with edited rules is other settings."""
    import hashlib

    h = hashlib.sha256()
    for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{folder}#{h.hexdigest()[:12]}"
