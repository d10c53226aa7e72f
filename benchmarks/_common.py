"""Helpers shared by the benchmark scripts: machine facts, load average and writing results."""

from __future__ import annotations

import datetime
import json
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

from regadvisor._record import to_plain

RESULTS = Path(__file__).resolve().parent / "results"
ROOT = Path(__file__).resolve().parents[1]


def _version(module: str) -> str | None:
    try:
        return __import__(module).__version__
    except ImportError:  # e.g. a GPU machine with torch only
        return None


def git_state() -> dict:
    """The commit the benchmark ran on, and whether the package had uncommitted changes."""
    import subprocess

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True,
                                 timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    dirty = git("status", "--porcelain", "--", "regadvisor", "rules")
    return {"commit": git("rev-parse", "--short", "HEAD"),
            "package_dirty": None if dirty is None else bool(dirty)}


def machine() -> dict:
    import torch

    return {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "optuna": _version("optuna"),
        "regadvisor": _version("regadvisor"),
        **git_state(),
        "cpu_count": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
        "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def loadavg() -> list[float]:
    """The 1, 5 and 15 minute load averages (other jobs on the machine show up here)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:  # pragma: no cover - not on Linux
        return []


def command() -> str:
    """The command line that ran this script, with the script's path relative to the repo."""
    args = list(sys.argv)
    if args:
        try:
            args[0] = str(Path(args[0]).resolve().relative_to(ROOT))
        except ValueError:
            pass
    return " ".join(["python", *args])


class Clock:
    """Started with a benchmark run: its load average and time at the start."""

    def __init__(self) -> None:
        self.load_start = loadavg()
        self.started = time.perf_counter()

    def fields(self) -> dict:
        """``load_start``, ``load_end`` and ``seconds`` of the run so far."""
        return {"load_start": self.load_start, "load_end": loadavg(),
                "seconds": time.perf_counter() - self.started}


def write_result(name: str, payload: dict, clock: Clock | None = None) -> Path:
    """Write ``results/<name>.json``: command, machine, the clock's fields, then ``payload``."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "command": command(), "machine": machine(),
               **(clock.fields() if clock else {}), **payload}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(to_plain(payload), indent=2) + "\n")
    return path


def median(values):
    return statistics.median(values)


def mean_sd(values) -> tuple[float, float]:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    if not vals:
        return math.nan, math.nan
    return statistics.fmean(vals), (statistics.stdev(vals) if len(vals) > 1 else 0.0)


def subprocess_env(threads: int | None = None) -> dict:
    """The environment for a child Python: the repository importable, optional thread cap."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    if threads is not None:
        env["OMP_NUM_THREADS"] = str(threads)
    return env
