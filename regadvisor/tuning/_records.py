"""Plain records of a tuning run (no Optuna objects), for JSON, CSV and the report."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from regadvisor.training.config import RegConfig
from regadvisor.tuning.space import SearchSpace

__all__ = ["Rerun", "TrialRecord", "TuningResult", "trial_counts", "trial_counts_text"]


@dataclass
class TrialRecord:
    """One Optuna trial: its state, parameters and the figures of its training run."""

    number: int
    state: str
    params: dict[str, Any]
    value: float | None
    val_loss: float | None = None
    val_metric: float | None = None
    epochs_run: int | None = None
    best_epoch: int | None = None
    pruned_at: int | None = None
    stop_reason: str | None = None
    error: str | None = None
    seeded: str | None = None
    seconds: float | None = None
    worker: str | None = None


@dataclass
class Rerun:
    """A top trial re-run over extra seeds: the noise-aware winner is the best mean.

    ``epochs`` counts the epochs of each re-run; ``val_loss`` is the mean of the finite
    validation losses (at the restored weights) over the trial and its re-runs, and
    ``val_losses`` each run's own (in the order of ``seeds``; infinite for a run that failed
    or diverged, ``None`` where unknown); ``errors`` says which re-runs the experiment's code
    failed (they count as the worst value). ``blown_up`` says why the candidate's validation
    loss disqualifies it (a run whose loss is non-finite or far above the user's), or is
    ``None``.
    """

    trial_number: int
    params: dict[str, Any]
    seeds: list[int]
    values: list[float]
    mean: float
    std: float
    epochs: list[int] = field(default_factory=list)
    val_loss: float | None = None
    errors: list[str] = field(default_factory=list)
    val_losses: list[float | None] = field(default_factory=list)
    blown_up: str | None = None


@dataclass
class TuningResult:
    """The outcome of a tuning run.

    Attributes:
        study_name, storage: Where the study lives (passwords masked).
        direction: ``"maximize"`` or ``"minimize"``; objective: ``"val_metric"`` or
            ``"val_loss"``.
        space: The search space.
        trials: Every trial of the study.
        reruns: The top trials re-run over extra seeds.
        best_params: Parameters of the winner; best_config: its RegConfig (None without one).
        best_trial: Number of the winning trial.
        seconds: Wall time.
        sampler, pruner: What drove the search, as text.
        stopped_early: Why the run ended before its trials were done, if it did.
        notes: What the reader should know about the search, in sentences (e.g. tied trials).
    """

    study_name: str
    storage: str
    direction: str
    objective: str
    space: SearchSpace
    trials: list[TrialRecord] = field(default_factory=list)
    reruns: list[Rerun] = field(default_factory=list)
    best_params: dict[str, Any] = field(default_factory=dict)
    best_config: RegConfig | None = None
    best_trial: int | None = None
    seconds: float = 0.0
    sampler: str = ""
    pruner: str = ""
    stopped_early: str | None = None
    notes: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The trials by state (see :func:`trial_counts`)."""
        return trial_counts(self.trials)


def trial_counts(trials: Iterable[TrialRecord | Mapping[str, Any]]) -> dict[str, int]:
    """How many trials ended in each state, in the order the states first occur.

    Args:
        trials: Records, or their dicts as report.json holds them.

    Returns:
        ``state -> count``, the state in lower case (``complete``, ``pruned``, ``fail``, ...).
    """
    out: dict[str, int] = {}
    for t in trials:
        state = (t["state"] if isinstance(t, Mapping) else t.state).lower()
        out[state] = out.get(state, 0) + 1
    return out


def trial_counts_text(trials: Iterable[TrialRecord | Mapping[str, Any]]) -> str:
    """The counts in words: ``"12 complete, 3 pruned"`` (empty without trials)."""
    return ", ".join(f"{n} {state}" for state, n in trial_counts(trials).items())
