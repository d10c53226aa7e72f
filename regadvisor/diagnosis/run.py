"""The diagnostic training: the user's setup as given, for a short budget."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from regadvisor.diagnosis.curves import curve_facts
from regadvisor.diagnosis.facts import FACT_SPECS, Facts
from regadvisor.diagnosis.inspect import Inspection, inspect_experiment
from regadvisor.experiment import Experiment, baseline_config
from regadvisor.training import EpochCallback, History, train

__all__ = ["DiagnosticRun", "default_diagnostic_epochs", "run_diagnostic"]

#: The diagnostic training runs this share of the user's training length ...
DIAGNOSTIC_FRACTION = 0.2
#: ... but at least this many epochs (curves need a few points to show a trend).
MIN_DIAGNOSTIC_EPOCHS = 10


@dataclass
class DiagnosticRun:
    """What the diagnostic training and the inspection found."""

    history: History
    inspection: Inspection
    facts: Facts
    seconds: float
    epochs_requested: int
    notes: list[str] = field(default_factory=list)


def default_diagnostic_epochs(experiment: Experiment) -> int:
    """20 % of the user's training length, at least 10 epochs, at most the full length."""
    return min(experiment.epochs,
               max(MIN_DIAGNOSTIC_EPOCHS, math.ceil(DIAGNOSTIC_FRACTION * experiment.epochs)))


def run_diagnostic(
    experiment: Experiment,
    *,
    epochs: int | None = None,
    budget_seconds: float | None = None,
    device: Any = "cpu",
    seed: int = 0,
    callbacks: Sequence[EpochCallback] = (),
) -> DiagnosticRun:
    """Inspect the experiment and train its baseline briefly; return every fact.

    Args:
        experiment: The loaded experiment.
        epochs: Diagnostic epochs (default :func:`default_diagnostic_epochs`).
        budget_seconds: Stop after the epoch that passes this wall time.
        device: Where to train.
        seed: Training seed.
        callbacks: Per-epoch callbacks (progress display).
    """
    started = time.perf_counter()
    epochs = epochs or default_diagnostic_epochs(experiment)
    inspection = inspect_experiment(experiment)
    config = baseline_config(experiment, seed=seed, max_epochs=epochs)
    result = train(experiment.model_factory, experiment.train_loader, experiment.val_loader,
                   config, task=experiment.task, loss_factory=experiment.loss_factory,
                   device=device, callbacks=callbacks, max_seconds=budget_seconds)
    history = result.history
    n_train = experiment.n_train or 0
    bs = experiment.batch_size or 1
    steps_per_epoch = math.ceil(n_train / bs) if n_train else 0
    if experiment.task == "classification" and experiment.n_classes:
        chance = math.log(experiment.n_classes)
    else:
        chance = experiment.target_variance
    facts = Facts({name: None for name in FACT_SPECS})
    facts.update(inspection.facts)
    facts.update(curve_facts(history, chance, steps_per_epoch, experiment.optimizer.lr))
    notes = []
    if facts.get("has_augmentation"):
        gap = facts.get("gap_last")
        shown = f" (here {gap:+.4f})" if isinstance(gap, float) and math.isfinite(gap) else ""
        notes.append("The training loader applies random transforms, so the training figures are "
                     "measured on augmented samples: the training loss reads higher than on the "
                     f"clean data and the train–validation gap{shown} understates overfitting.")
    if history.epochs_run < epochs and not history.diverged:
        notes.append(f"The time budget ended the diagnostic training after {history.epochs_run} "
                     f"of {epochs} epochs.")
    return DiagnosticRun(history=history, inspection=inspection, facts=facts,
                         seconds=time.perf_counter() - started, epochs_requested=epochs,
                         notes=notes)
