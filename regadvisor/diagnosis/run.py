"""The diagnostic training: the user's setup as given, as long as the verdict needs.

It trains a short run first (20 % of the user's epochs, at least 10). When that cannot decide
(the curves still fall, or the gap still opens: the verdict rules say ``undecided``), the same run
goes on, up to the user's full length or the time budget, and stops as soon as the verdict is
settled. The verdict is thus about the user's real training, not its first fifth. When
verification follows (``to_end``), the run goes on to the user's full length after the verdict
settles, judged on the epochs it settled at: verification takes it as its first run of the
user's setup, so the short run costs nothing of its own.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from torch import nn

from regadvisor._stats import finite
from regadvisor.diagnosis.curves import curve_facts, rate_until
from regadvisor.diagnosis.facts import FACT_SPECS, Facts
from regadvisor.diagnosis.inspect import Inspection, inspect_experiment
from regadvisor.experiment import Experiment, baseline_config
from regadvisor.training import EpochCallback, History, StopReason, StopTraining, train_experiment
from regadvisor.training.stops import Budget

__all__ = ["DEFAULT_BUDGET_SECONDS", "DiagnosticRun", "default_diagnostic_epochs",
           "run_diagnostic"]

#: The short run trains this share of the user's training length ...
DIAGNOSTIC_FRACTION = 0.2
#: ... but at least this many epochs (curves need a few points to show a trend).
MIN_DIAGNOSTIC_EPOCHS = 10
#: Wall time the diagnostic training may take in all when the verdict needs more than the short
#: run (the short run itself always runs).
DEFAULT_BUDGET_SECONDS = 600.0

#: Decides on the facts so far whether the verdict is settled (the pipeline asks the rules).
Settled = Callable[[Facts], bool]


@dataclass
class DiagnosticRun:
    """What the diagnostic training and the inspection found.

    ``model`` holds the trained weights when the run went the user's whole length (verification
    reuses it as the first seed of the user's setup); ``None`` otherwise.
    """

    history: History
    inspection: Inspection
    facts: Facts
    seconds: float
    epochs_requested: int
    notes: list[str] = field(default_factory=list)
    model: nn.Module | None = None


def default_diagnostic_epochs(experiment: Experiment) -> int:
    """20 % of the user's training length, at least 10 epochs, at most the full length."""
    return min(experiment.epochs,
               max(MIN_DIAGNOSTIC_EPOCHS, math.ceil(DIAGNOSTIC_FRACTION * experiment.epochs)))


def _chance(experiment: Experiment) -> float | None:
    if experiment.task == "classification" and experiment.n_classes:
        return math.log(experiment.n_classes)
    return experiment.target_variance


def _facts(experiment: Experiment, inspection: Inspection, history: History,
           can_train_longer: bool) -> Facts:
    n_train = experiment.n_train or 0
    bs = experiment.batch_size or 1
    steps_per_epoch = math.ceil(n_train / bs) if n_train else 0
    facts = Facts({name: None for name in FACT_SPECS})
    facts.update(inspection.facts)
    lr = experiment.optimizer.lr
    rates = finite(r.lr for r in history.records)
    # What a rule reads as "the learning rate" is the scheduled one: the implied L2 of early
    # stopping sums the rate over the steps (the mean rate until the best epoch), and the fact
    # `lr` is the peak the schedule reached.
    lr = rate_until(rates, history.best_epoch, lr, experiment.schedule is not None)
    facts.update(curve_facts(history, _chance(experiment), steps_per_epoch, lr,
                             n_val=experiment.n_val))
    if experiment.schedule is not None and rates:
        facts["lr"] = max(rates)
    facts["has_lr_schedule"] = experiment.schedule is not None
    facts["user_epochs"] = experiment.epochs
    facts["diagnostic_fraction"] = history.epochs_run / experiment.epochs
    chance = facts.get("chance_loss")
    if chance and facts.get("gap_slope") is not None:
        left = max(experiment.epochs - history.epochs_run, 0)
        facts["gap_growth_to_end"] = facts["gap_slope"] * left / chance
    facts["can_train_longer"] = can_train_longer
    return facts


def run_diagnostic(
    experiment: Experiment,
    *,
    epochs: int | None = None,
    budget_seconds: float | None = None,
    device: Any = "cpu",
    seed: int = 0,
    settled: Settled | None = None,
    callbacks: Sequence[EpochCallback] = (),
    to_end: bool = False,
) -> DiagnosticRun:
    """Inspect the experiment and train its setup as long as the verdict needs.

    Args:
        experiment: The loaded experiment.
        epochs: Train exactly this many epochs and judge them (default: the short run, then on
            while ``settled`` says no, up to the experiment's epochs).
        budget_seconds: Wall time of the diagnostic training in all; it ends the run after the
            epoch that passes it. Default: :data:`DEFAULT_BUDGET_SECONDS`, which bounds only how
            long the diagnosis goes on after the short run.
        device: Where to train.
        seed: Training seed.
        settled: Whether the facts so far settle the verdict; checked after every epoch from the
            end of the short run on. None: the short run only.
        callbacks: Per-epoch callbacks (progress display).
        to_end: Once the verdict settles, train on to the experiment's full length (the facts
            stay those of the epoch it settled at): verification, which trains the user's
            setup at full length with the same seed anyway, takes the run as its first. Not
            when a ``budget_seconds`` would end the run before its last epoch (at the pace so
            far), nor with ``epochs``.
    """
    budget = DEFAULT_BUDGET_SECONDS if budget_seconds is None else budget_seconds
    clock = Budget(budget)
    short = epochs or default_diagnostic_epochs(experiment)
    longest = epochs or (experiment.epochs if settled is not None or to_end else short)
    to_end = to_end and not epochs
    inspection = inspect_experiment(experiment)
    config = baseline_config(experiment, seed=seed, max_epochs=longest)

    settled_at: list[int] = []
    judged: list[Facts] = []  # with to_end: the facts of the epoch the verdict settled at

    def check(record, history: History) -> None:
        n = history.epochs_run
        if settled is None or n < short or n >= longest or judged:
            return
        if clock.spent():
            raise StopTraining(f"The diagnosis' time budget of {budget:g} s was spent after "
                               f"epoch {n}.", reason=StopReason.BUDGET)
        facts = _facts(experiment, inspection, history, can_train_longer=True)
        if settled(facts):
            settled_at.append(n)
            if to_end and (budget_seconds is None
                           or clock.elapsed() * experiment.epochs / n <= budget_seconds):
                judged.append(facts)
                return
            raise StopTraining(f"The verdict settled after epoch {n}.")

    # A budget the user set bounds the whole diagnostic training; the default one only how long
    # it goes on after the short run.
    # A loader that does not say its length may never end an epoch: the budget then holds
    # within the epoch as well.
    guard = budget_seconds if budget_seconds is not None else (
        budget if _length(experiment.train_loader) is None else None)
    result = train_experiment(experiment, config, device=device,
                              callbacks=[*callbacks, check], max_seconds=guard)
    history = result.history
    full = (history.epochs_run == experiment.epochs
            and history.stop_reason is StopReason.MAX_EPOCHS)
    if judged:
        # The verdict settled before the end and the run went on for verification: the facts
        # are those the verdict settled on.
        facts = judged[0]
        notes = _notes(facts, history, experiment, short, budget, judged_at=settled_at[0],
                       went_on=full)
    else:
        # Stopped because the verdict settled: it could have trained longer, and needed not.
        facts = _facts(experiment, inspection, history, can_train_longer=bool(settled_at))
        notes = _notes(facts, history, experiment, short, budget)
    return DiagnosticRun(history=history, inspection=inspection, facts=facts,
                         seconds=clock.elapsed(), epochs_requested=longest,
                         notes=notes, model=result.model if full else None)


def _length(loader: Any) -> int | None:
    try:
        return len(loader)
    except TypeError:
        return None


def _notes(facts: Facts, history: History, experiment: Experiment, short: int,
           budget: float, *, judged_at: int | None = None, went_on: bool = False) -> list[str]:
    notes = []
    n, total = judged_at or history.epochs_run, experiment.epochs
    if judged_at is not None:
        notes.append(
            (f"The verdict rests on the first {n} of your {total} epochs"
             if n <= short else f"The short run of {short} epochs could not decide, so the "
             f"diagnosis trained on; the verdict settled after {n} of your {total} epochs")
            + (f". The run then went on to epoch {total}: verification takes it as its first run "
               "of your setup." if went_on else
               f". The run went on for verification but stopped after epoch "
               f"{history.epochs_run}; verification trains that seed again."))
    elif history.diverged:
        pass
    elif history.stop_reason is StopReason.BUDGET:
        notes.append(f"The time budget of {budget:g} s ended the diagnostic training after {n} "
                     f"of your {total} epochs; the verdict rests on those.")
    elif n >= total:
        notes.append(f"The verdict rests on your whole training: all {total} epochs.")
    elif n > short:
        notes.append(f"The short run of {short} epochs could not decide, so the diagnosis "
                     f"trained on; the verdict settled after {n} of your {total} epochs.")
    else:
        notes.append(f"The verdict rests on the first {n} of your {total} epochs.")
    if facts.get("has_augmentation"):
        gap = facts.get("gap_last")
        shown = f" (here {gap:+.4f})" if isinstance(gap, float) and math.isfinite(gap) else ""
        notes.append("The training loader applies random transforms, so the training figures are "
                     "measured on augmented samples: the training loss reads higher than on the "
                     f"clean data and the train–validation gap{shown} understates overfitting.")
    return notes
