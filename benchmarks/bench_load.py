"""The bundled example on a busy machine: ``regadvisor advise`` with and without two CPU hogs.

A shared machine is rarely quiet. This script runs the real command on the bundled example,

    regadvisor advise digits_noisy --output DIR --quiet

with one intra-op thread per core (``--threads <cores>``, torch's own default) and with one
thread (``--threads 1``, regadvisor's default since this measurement),
each on a quiet machine and under an artificial load of two busy processes (pure-Python spin
loops, one per core of a 2-core machine, started before the run and killed after it). Rounds
interleave the four settings, so slow drifts of the machine hit them alike. Printed and
recorded: the wall time of each run, the load average before and after, and per thread setting
the median loaded / quiet ratio. Target (issue: a cost the user sets): the bundled example under
two busy processes within 3x its quiet time.

    python benchmarks/bench_load.py [--repeats 1] [--hogs 2] [--example digits_noisy]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import Clock, loadavg, median, subprocess_env, write_result  # noqa: E402

HOG = "while True:\n    pass\n"
TARGET_RATIO = 3.0


def run_once(example: str, out: Path, threads: int | None, hogs: int) -> dict:
    """One ``advise`` run, with ``hogs`` busy processes running for its whole length."""
    busy = [subprocess.Popen([sys.executable, "-c", HOG]) for _ in range(hogs)]
    try:
        if busy:
            time.sleep(2.0)  # let the hogs take the cores before the run starts
        load_before = loadavg()
        t0 = time.perf_counter()
        n = threads or os.cpu_count() or 1
        subprocess.run(["regadvisor", "advise", example, "--output", str(out), "--quiet",
                        "--threads", str(n)],
                       check=True, env=subprocess_env(), stdout=subprocess.DEVNULL)
        wall = time.perf_counter() - t0
        load_after = loadavg()
    finally:
        for p in busy:
            p.kill()
            p.wait()
    report = json.loads((out / "report.json").read_text())
    return {"threads": threads or "default", "hogs": hogs, "wall_seconds": wall,
            "stages": report.get("timings", {}), "load_before": load_before,
            "load_after": load_after,
            "verification": (report.get("recommendation") or {}).get("summary")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--example", default="digits_noisy")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--hogs", type=int, default=2)
    args = parser.parse_args()
    clock = Clock()
    runs = []
    with tempfile.TemporaryDirectory() as d:
        for r in range(args.repeats):
            for threads in (None, 1):
                for hogs in (0, args.hogs):
                    out = Path(d) / f"{r}-{threads}-{hogs}"
                    run = run_once(args.example, out, threads, hogs)
                    run["repeat"] = r
                    runs.append(run)
                    print(f"threads {run['threads']!s:8s} busy processes {hogs}: "
                          f"{run['wall_seconds']:6.1f} s (load {run['load_before'][0]:.2f} → "
                          f"{run['load_after'][0]:.2f})", flush=True)
    summary = {}
    for threads in ("default", 1):
        quiet = median([x["wall_seconds"] for x in runs
                        if x["threads"] == threads and x["hogs"] == 0])
        loaded = median([x["wall_seconds"] for x in runs
                         if x["threads"] == threads and x["hogs"] == args.hogs])
        summary[str(threads)] = {"quiet_seconds": quiet, "loaded_seconds": loaded,
                                 "ratio": loaded / quiet,
                                 "within_target": loaded / quiet <= TARGET_RATIO}
        print(f"threads {threads!s:8s} quiet {quiet:6.1f} s, under {args.hogs} busy processes "
              f"{loaded:6.1f} s: {loaded / quiet:.2f}x (target {TARGET_RATIO:.0f}x)")
    command = f"python benchmarks/bench_load.py --example {args.example} --hogs {args.hogs}"
    path = write_result("load", {"command": command, "example": args.example,
                                 "hogs": args.hogs, "repeats": args.repeats,
                                 "summary": summary, "runs": runs}, clock)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
