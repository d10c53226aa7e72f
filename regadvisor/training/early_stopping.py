"""Early stopping: the decision apart from its side effect, and the reason for every stop."""

from __future__ import annotations

import enum
import math
from dataclasses import dataclass

__all__ = ["EarlyStopping", "StopReason", "StopTraining"]


class StopReason(str, enum.Enum):
    """Why a training run ended."""

    MAX_EPOCHS = "max_epochs"
    EARLY_STOPPED = "early_stopped"
    DIVERGED = "diverged"
    BUDGET = "budget"
    PRUNED = "pruned"
    STOPPED = "stopped"


class StopTraining(Exception):
    """Raised by an epoch callback to end a run after the current epoch, as a normal stop.

    The run ends with ``reason`` (:attr:`StopReason.STOPPED` unless the callback says why, as
    the diagnosis does when its time budget is spent) and the exception's message as its stop
    message; the weights are those of the last epoch (or the restored best, with early
    stopping). Any other exception from a callback propagates out of ``train``.
    """

    def __init__(self, message: str = "", reason: StopReason = StopReason.STOPPED) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass
class EarlyStopping:
    """Patience on a monitored validation figure, with ``min_delta``.

    Patience counts validation checks, and regadvisor validates once per epoch, so it is a number
    of epochs. When the monitored figure is the metric, an epoch whose metric equals the best and
    whose validation loss is lower also counts as an improvement: on small validation sets
    accuracy moves in coarse steps, and the loss breaks its ties.

    Args:
        patience_epochs: Epochs without improvement before stopping; ``None`` never stops.
        min_delta: The smallest change that counts as an improvement.
        monitor: ``"val_loss"`` or ``"val_metric"``.
        higher_is_better: Direction of the metric (``True`` for accuracy).
    """

    patience_epochs: int | None
    min_delta: float = 0.0
    monitor: str = "val_loss"
    higher_is_better: bool = False
    best_epoch: int = -1
    best_value: float = math.nan
    best_loss: float = math.inf
    wait: int = 0

    def _score(self, val_loss: float, val_metric: float) -> float:
        """The monitored figure, oriented so that lower is better."""
        if self.monitor == "val_loss":
            return val_loss
        return -val_metric if self.higher_is_better else val_metric

    def update(self, epoch: int, val_loss: float, val_metric: float) -> tuple[bool, bool, str]:
        """Take one epoch's validation figures.

        Returns:
            ``(improved, should_stop, reason)``; ``reason`` is a sentence when stopping.
        """
        score = self._score(val_loss, val_metric)
        best = self.best_value
        improved = (
            self.best_epoch < 0
            or score < best - self.min_delta
            or (self.monitor == "val_metric" and abs(score - best) <= self.min_delta
                and score <= best and val_loss < self.best_loss)
        )
        if improved:
            self.best_epoch, self.best_value, self.best_loss, self.wait = epoch, score, val_loss, 0
            return True, False, ""
        self.wait += 1
        if self.patience_epochs is not None and self.wait >= self.patience_epochs:
            shown = -self.best_value if (self.monitor == "val_metric" and self.higher_is_better) \
                else self.best_value
            return False, True, (
                f"Validation {'loss' if self.monitor == 'val_loss' else 'metric'} did not improve "
                f"by more than {self.min_delta:g} in the last {self.wait} epochs; best "
                f"{shown:.4f} at epoch {self.best_epoch}."
            )
        return False, False, ""
