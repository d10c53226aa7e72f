"""``tune --workers N``: the extra worker processes on this machine.

Each worker runs the ``tune`` command again, with the options the user gave, as a worker of the
study the first process opened: same storage, same study, its own rank.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["option_args", "start_workers", "worker_command"]


def option_args(options: Mapping[str, Any]) -> list[str]:
    """Command-line arguments that give ``tune`` these option values again.

    Args:
        options: Each flag (``"--n-trials"``) with its parsed value: None leaves the flag out,
            a bool flag is given when true, a list repeats the flag per item, a tuple follows
            the flag with its items.
    """
    args: list[str] = []
    for flag, value in options.items():
        if value is None or value is False:
            continue
        if value is True:
            args.append(flag)
        elif isinstance(value, list):
            for item in value:
                args += [flag, str(item)]
        elif isinstance(value, tuple):
            args += [flag, *(str(item) for item in value)]
        else:
            args += [flag, str(value)]
    return args


def worker_command(experiment: str | None, args: list[str], url: str, study_name: str,
                   threads: int, run_dir: Path, rank: int) -> list[str]:
    """The ``tune`` command of worker ``rank``.

    It gives the user's EXPERIMENT and options (``args``, from :func:`option_args`), the study
    ``study_name`` in the storage ``url``, the first process's run folder, ``threads`` torch
    threads and ``--quiet``. The experiment comes last, after ``--``, so that no name is read
    as an option.
    """
    return [sys.executable, "-m", "regadvisor", "tune", *args, "--storage", url,
            "--study-name", study_name, "--threads", str(threads), "--output", str(run_dir),
            "--quiet", "--worker-rank", str(rank),
            *(["--", experiment] if experiment is not None else [])]


def start_workers(workers: int, experiment: str | None, args: list[str], threads: int,
                  run_dir: Path) -> Callable[[str, str], list[subprocess.Popen]]:
    """What ``tune`` calls once its study exists, with the storage URL and the study's name:
    it starts workers 1 .. ``workers - 1`` (none when ``workers`` is 1), their stdout
    discarded."""
    def start(url: str, study_name: str) -> list[subprocess.Popen]:
        if workers <= 1:
            return []
        return [subprocess.Popen(worker_command(experiment, args, url, study_name, threads,
                                                run_dir, rank),
                                 stdout=subprocess.DEVNULL)
                for rank in range(1, workers)]

    return start
