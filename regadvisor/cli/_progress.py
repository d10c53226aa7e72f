"""Progress display for training: a bar on stderr and a per-epoch table on stdout."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from regadvisor.cli._common import console, err_console
from regadvisor.training.history import EpochRecord, History

__all__ = ["EpochTable", "progress_bar"]


@contextmanager
def progress_bar(quiet: bool) -> Iterator[Progress | None]:
    """A transient progress bar on stderr, or None when quiet."""
    if quiet:
        yield None
        return
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeRemainingColumn(),
        console=err_console,
        transient=True,
    )
    with progress:
        yield progress


class EpochTable:
    """Prints one row per epoch as training goes (an epoch callback)."""

    def __init__(self, metric_name: str, show: bool = True) -> None:
        self.metric = "acc" if metric_name == "accuracy" else "mse" if metric_name == "loss" \
            else metric_name
        self.show = show
        self.header_done = False

    def header(self) -> str:
        m = self.metric
        return (f"{'epoch':>5}  {'train loss':>10}  {'train ' + m:>10}  {'val loss':>10}  "
                f"{'val ' + m:>10}  {'time':>7}")

    def row(self, r: EpochRecord, best: bool) -> str:
        mark = " *" if best else ""
        return (f"{r.epoch:>5}  {r.train_loss:>10.4f}  {self._m(r.train_metric):>10}  "
                f"{r.val_loss:>10.4f}  {self._m(r.val_metric):>10}  {r.seconds * 1000:>5.0f}ms"
                f"{mark}")

    def _m(self, v: float) -> str:
        return f"{v:.2%}" if self.metric == "acc" else f"{v:.4f}"

    def __call__(self, record: EpochRecord, history: History) -> None:
        if not self.show:
            return
        if not self.header_done:
            console.print(self.header())
            self.header_done = True
        console.print(self.row(record, history.best_epoch == record.epoch))
