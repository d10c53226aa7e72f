"""How a training run ends: divergence, the time budget, and the weights the returned model keeps.

Every stop, whoever decides it (the loop's last epoch, early stopping, a callback, the budget, a
divergence), is written into the History by :func:`end_run`, its reason and a sentence with the
numbers; the early-stopping decision itself lives in :mod:`regadvisor.training.early_stopping`.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING

import torch
from torch import nn

from regadvisor.training.config import RegConfig
from regadvisor.training.early_stopping import StopReason
from regadvisor.training.history import EpochRecord, History

if TYPE_CHECKING:
    from regadvisor.training.steps import EpochSteps

__all__ = ["Budget", "end_run", "keep_weights", "mark_divergence"]


def end_run(history: History, reason: StopReason, message: str) -> None:
    """Write why the run ended into ``history``: the one place a stop is recorded."""
    history.stop_reason = reason
    history.stop_message = message


class Budget:
    """The wall time a run may take, counted from this object's creation.

    Args:
        max_seconds: The budget in seconds, or ``None`` for none.
    """

    def __init__(self, max_seconds: float | None) -> None:
        self.max_seconds = max_seconds
        self.started = time.perf_counter()

    def elapsed(self) -> float:
        """Seconds since the budget started counting."""
        return time.perf_counter() - self.started

    def spent(self) -> bool:
        """Whether the budget has run out (always False without one): a clock read, no device
        synchronisation."""
        return self.max_seconds is not None and self.elapsed() >= self.max_seconds

    def stop(self, history: History, epoch: int, steps: EpochSteps,
             steps_per_epoch: int | None = None) -> None:
        """Record in ``history`` that the budget ended the run at ``epoch`` (and, when the epoch
        was cut short and its length is known, the share of it that ran)."""
        if steps.cut_short and steps_per_epoch and steps.n_steps < steps_per_epoch:
            history.cut_short_fraction = steps.n_steps / steps_per_epoch
        end_run(history, StopReason.BUDGET, (
            f"Stopped during epoch {epoch}, after {steps.n_steps} steps: the time budget of "
            f"{self.max_seconds:g} s ran out before the training loader ended the epoch (a "
            "loader that never ends one does that; give a finite one)." if steps.cut_short else
            f"Stopped after epoch {epoch}: the time budget of {self.max_seconds:g} s was spent."))


def mark_divergence(history: History, record: EpochRecord, steps: EpochSteps,
                    train_measured: bool) -> bool:
    """Record in ``history`` that the run diverged, if a loss of ``record`` or of a step of its
    epoch was not finite, and say whether it did.

    Args:
        history: The run's History.
        record: The epoch just measured.
        steps: What that epoch's steps did.
        train_measured: Whether the eval-mode training figures were measured (a NaN
            ``train_loss`` only means divergence then).
    """
    if steps.bad_step >= 0 or not math.isfinite(record.val_loss) or (
            train_measured and not math.isfinite(record.train_loss)):
        epoch = record.epoch
        step_in_epoch = int(steps.bad_step) + 1 if steps.bad_step >= 0 else steps.n_steps
        history.diverged_at = (epoch, max(step_in_epoch, 1))
        where = "training" if steps.bad_step >= 0 else "validation"
        end_run(history, StopReason.DIVERGED, (
            f"The {where} loss became NaN or infinite at epoch {epoch}, step "
            f"{history.diverged_at[1]}: the run diverged (learning rate {record.lr:g} may be too "
            "high)."))
        return True
    return False


def keep_weights(model: nn.Module, history: History, best_state: dict[str, torch.Tensor],
                 config: RegConfig) -> None:
    """Load the weights the run returns and say which in ``history``.

    With early stopping, and after a divergence, the model gets ``best_state`` (the best
    epoch's weights, or the initial ones when no epoch improved); otherwise it keeps the last
    epoch's, as a plain training script does.
    """
    if config.patience_epochs is not None or history.diverged:
        model.load_state_dict(best_state)
        history.restored_epoch = history.best_epoch
        if history.best_epoch:
            best = history.records[history.best_epoch - 1]
            history.stop_message += (
                f" Restored the weights of epoch {history.best_epoch} (validation loss "
                f"{best.val_loss:.4f}, {history.metric_name} {best.val_metric:.4f})."
            )
    else:
        history.restored_epoch = history.epochs_run
        history.stop_message += " Kept the weights of the last epoch (no early stopping)."
