"""The user's learning-rate schedule, rebuilt on every optimizer regadvisor makes.

An experiment may define ``scheduler(optimizer)`` returning a torch learning-rate scheduler
built on that optimizer, and ``scheduler_interval`` (``"epoch"``, the default, or ``"step"``, as
Lightning's ``interval``). Training calls the factory on the optimizer it builds (AdamW with its
param groups, say) and steps the scheduler after every optimizer step or after every epoch's
validation; ``ReduceLROnPlateau`` is stepped with the validation loss.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import torch

from regadvisor.errors import ExperimentError

__all__ = ["INTERVALS", "Schedule", "step_after_epoch", "step_failure"]

Interval = Literal["epoch", "step"]
#: When a scheduler steps: after each epoch's validation, or after each optimizer step.
INTERVALS = ("epoch", "step")


@dataclass(frozen=True)
class Schedule:
    """A learning-rate schedule: the user's factory, when it steps and the scheduler's class.

    Attributes:
        factory: ``scheduler(optimizer)`` from the experiment.
        interval: ``"epoch"`` or ``"step"``.
        name: The scheduler's class name (``OneCycleLR``), for the report.
    """

    factory: Callable[[torch.optim.Optimizer], Any]
    interval: Interval = "epoch"
    name: str = ""

    def build(self, optimizer: torch.optim.Optimizer) -> Any:
        """The scheduler on ``optimizer``."""
        return self.factory(optimizer)

    def describe(self) -> str:
        """``OneCycleLR, stepped every batch`` or ``CosineAnnealingLR, stepped every epoch``."""
        return f"{self.name}, stepped every {'batch' if self.interval == 'step' else 'epoch'}"


def step_after_epoch(scheduler: Any, val_loss: float) -> None:
    """Step an epoch-interval scheduler (``ReduceLROnPlateau`` reads the validation loss)."""
    if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
        scheduler.step(val_loss)
    else:
        scheduler.step()


def step_failure(error: Exception, schedule: Schedule, epoch: int,
                 max_epochs: int) -> ExperimentError:
    """The error for a scheduler whose ``step()`` raised ``error`` during ``epoch`` (OneCycleLR
    planned for fewer steps than the run takes, say): what raised, when, and the fix."""
    text = str(error).strip().splitlines()
    detail = text[0].rstrip(".") if text else type(error).__name__
    when = ("after every batch (scheduler_interval = 'step')" if schedule.interval == "step"
            else "after every epoch")
    return ExperimentError(
        f"scheduler.step() raised {type(error).__name__} at epoch {epoch}: {detail}. Fix "
        f"scheduler(): regadvisor steps it {when} for up to {max_epochs} epochs in this run, "
        "and it must last that long.")
