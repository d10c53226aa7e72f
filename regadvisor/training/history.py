"""What one training run produced, epoch by epoch."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from regadvisor.training.early_stopping import StopReason

__all__ = ["EpochRecord", "History"]


@dataclass(frozen=True)
class EpochRecord:
    """One epoch.

    ``train_loss`` and ``train_metric`` are measured in eval mode (dropout off, BatchNorm on its
    running statistics) on a fixed sample of the training data after the epoch's updates, so that
    they compare with the validation figures (NaN in runs that skip them, such as tuning
    trials); ``step_loss`` is the mean training loss of the
    epoch's steps as the optimizer saw it (with dropout, label smoothing and the L1 term).
    ``epoch`` counts from 1.
    """

    epoch: int
    train_loss: float
    train_metric: float
    val_loss: float
    val_metric: float
    step_loss: float
    lr: float
    seconds: float


@dataclass
class History:
    """The learning curves of one run and how it ended.

    Attributes:
        records: One :class:`EpochRecord` per finished epoch.
        metric_name: ``"accuracy"`` or ``"loss"``.
        higher_is_better: Direction of the metric.
        best_epoch: The epoch with the best monitored validation figure (1-based; 0 when none).
        restored_epoch: The epoch whose weights the returned model holds: the best one with
            early stopping, the last one without.
        stop_reason: Why the run ended.
        stop_message: The same as a sentence with the numbers.
        diverged_at: ``(epoch, step)`` of the first non-finite loss, when it diverged.
        decay_params, no_decay_params: Parameter names in each optimizer group.
        dropout_changed, dropout_injected: Names of the dropout modules set and of the linear
            layers that got dropout in front of them.
        device: Where it ran; ``fast_path``: whether the data were held on the device.
        config: The :class:`RegConfig` as a dict.
        cut_short_fraction: When a time budget ended the last epoch before its loader did, the
            share of the epoch's steps it took (``None`` otherwise, or when the loader does not
            say its length): the last record's time is then that of part of an epoch.
    """

    records: list[EpochRecord] = field(default_factory=list)
    metric_name: str = "accuracy"
    higher_is_better: bool = True
    best_epoch: int = 0
    restored_epoch: int = 0
    stop_reason: StopReason = StopReason.MAX_EPOCHS
    stop_message: str = ""
    diverged_at: tuple[int, int] | None = None
    decay_params: tuple[str, ...] = ()
    no_decay_params: tuple[str, ...] = ()
    dropout_changed: tuple[str, ...] = ()
    dropout_injected: tuple[str, ...] = ()
    device: str = "cpu"
    fast_path: bool = False
    config: dict[str, Any] = field(default_factory=dict)
    cut_short_fraction: float | None = None

    @property
    def epochs_run(self) -> int:
        return len(self.records)

    @property
    def diverged(self) -> bool:
        return self.stop_reason == StopReason.DIVERGED

    @property
    def best(self) -> EpochRecord | None:
        """The record of the best epoch."""
        if not self.records or self.best_epoch < 1:
            return None
        return self.records[self.best_epoch - 1]

    @property
    def restored(self) -> EpochRecord | None:
        """The record of the epoch whose weights the trained model holds."""
        if not self.records or self.restored_epoch < 1:
            return None
        return self.records[self.restored_epoch - 1]

    @property
    def last(self) -> EpochRecord | None:
        return self.records[-1] if self.records else None

    def curves(self) -> list[tuple[float, ...]]:
        """The numbers of every epoch without the timings (for comparing two runs)."""
        return [(r.train_loss, r.train_metric, r.val_loss, r.val_metric, r.step_loss, r.lr)
                for r in self.records]

    def to_frame(self):
        """The records as a pandas DataFrame, one row per epoch."""
        import pandas as pd

        return pd.DataFrame([dataclasses.asdict(r) for r in self.records])

