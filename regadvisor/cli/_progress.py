"""Progress display for training: a bar on stderr and a per-epoch table on stdout.

When stderr is not a terminal (a log file, a CI job, ``nohup``), the bar becomes plain lines: one
when a task starts, then at most one every :data:`LINE_INTERVAL` seconds per task, and one when
it completes, so a long run still shows that it is alive.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from regadvisor._format import metric_value
from regadvisor.cli._common import console, err_console

if TYPE_CHECKING:
    from regadvisor.training.history import EpochRecord, History

__all__ = ["EpochTable", "LineProgress", "progress_bar"]

#: Seconds between two progress lines of one task when stderr is not a terminal.
LINE_INTERVAL = 30.0


class LineProgress:
    """The subset of :class:`rich.progress.Progress` the commands use, printed as plain lines."""

    def __init__(self, interval: float = LINE_INTERVAL) -> None:
        self.interval = interval
        self.tasks: dict[int, dict[str, Any]] = {}

    def add_task(self, description: str, total: float | None = None, **fields: Any) -> int:
        tid = len(self.tasks)
        self.tasks[tid] = {"description": description.strip(), "total": total, "completed": 0,
                           "status": fields.get("status", ""), "printed": None}
        return tid

    def update(self, tid: int, *, completed: float | None = None, advance: float | None = None,
               total: float | None = None, visible: bool | None = None, **fields: Any) -> None:
        task = self.tasks[tid]
        if total is not None:
            task["total"] = total
        if advance is not None:
            task["completed"] += advance
        if completed is not None:
            task["completed"] = completed
        if "status" in fields:
            task["status"] = fields["status"]
        done = task["total"] is not None and task["completed"] >= task["total"]
        now = time.monotonic()
        if task["printed"] is None or done or now - task["printed"] >= self.interval:
            if done and task.get("finished"):
                return
            task["printed"], task["finished"] = now, done
            total_text = f"/{task['total']:g}" if task["total"] is not None else ""
            status = f"  {task['status']}" if task["status"] else ""
            err_console.print(f"[{time.strftime('%H:%M:%S')}] {task['description']} "
                              f"{task['completed']:g}{total_text}{status}", markup=False,
                              highlight=False)


@contextmanager
def progress_bar(quiet: bool) -> Iterator[Progress | LineProgress | None]:
    """A transient progress bar on stderr (plain lines when stderr is not a terminal), or None
    when quiet."""
    if quiet:
        yield None
        return
    if not err_console.is_terminal:
        yield LineProgress()
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
        self.metric_name = metric_name
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
        return metric_value(v, self.metric_name, digits=2)

    def __call__(self, record: EpochRecord, history: History) -> None:
        if not self.show:
            return
        if not self.header_done:
            console.print(self.header(), markup=False)
            self.header_done = True
        console.print(self.row(record, history.best_epoch == record.epoch), markup=False)
