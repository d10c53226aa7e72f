"""End to end: ``regadvisor advise`` wall time per stage on each bundled example.

Runs the real command with its default settings (25 trials, the patient median pruner,
3 verification seeds, the CPU's default thread count) in a fresh output folder,

    regadvisor advise EXAMPLE --output DIR --quiet

(also with ``OMP_NUM_THREADS=1``, one torch thread, for ``digits_noisy``, interleaved) and reads
the per-stage timings (diagnose, tune, verify, report) from the ``report.json`` it
writes, with the command's wall time (Python start-up and imports included); medians over
``--repeats`` rounds (each round runs every example once). Target: under 3 minutes for
``digits_noisy`` on a 2-core CPU.

    python benchmarks/bench_end_to_end.py [--examples ...] [--repeats 3] [--quick]

``--quick`` runs only ``digits_noisy``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import Clock, loadavg, median, subprocess_env, write_result  # noqa: E402

EXAMPLES = ["digits_noisy", "digits_mlp", "digits_cnn", "diabetes", "sparse_linear"]
TARGET_SECONDS = {"digits_noisy": 180.0}


def run_once(example: str, tmp: Path, threads: int | None = None) -> dict:
    out = tmp / f"{example}-{time.monotonic_ns()}"
    cmd = ["regadvisor", "advise", example, "--output", str(out), "--quiet"]
    load_before = loadavg()
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=subprocess_env(threads), stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    report = json.loads((out / "report.json").read_text())
    tuning = report.get("tuning") or {}
    trials = tuning.get("trials") or []
    verification = report.get("verification") or {}
    prefix = f"OMP_NUM_THREADS={threads} " if threads else ""
    return {
        "example": example, "threads": threads or "default",
        "command": prefix + " ".join(cmd[:3] + ["--output", "DIR", "--quiet"]),
        "wall_seconds": wall, "stages": report.get("timings", {}),
        "status": report.get("status"),
        "verdict": ((report.get("diagnosis") or {}).get("verdict") or {}).get("name"),
        "trials": len(trials),
        "pruned": sum(t.get("state") == "PRUNED" for t in trials),
        "trial_epochs": sum(t.get("epochs_run") or 0 for t in trials),
        "diagnostic_epochs": len(((report.get("diagnosis") or {}).get("history") or {})
                                 .get("records", [])),
        "verification": verification.get("summary"),
        "kept_baseline": (report.get("recommendation") or {}).get("kept_baseline"),
        "load_before": load_before, "load_after": loadavg(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", nargs="+", default=EXAMPLES)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="digits_noisy only")
    parser.add_argument("--single-thread-also", nargs="*", default=["digits_noisy"],
                        help="examples also run with OMP_NUM_THREADS=1 (one torch thread), "
                             "interleaved with the default run")
    args = parser.parse_args()
    if args.quick:
        args.examples = ["digits_noisy"]
    clock = Clock()
    runs = []
    with tempfile.TemporaryDirectory() as d:
        for r in range(args.repeats):
            for example in args.examples:
                for threads in [None] + ([1] if example in args.single_thread_also else []):
                    run = run_once(example, Path(d), threads)
                    run["repeat"] = r
                    runs.append(run)
                    print(f"{example:14s} threads {run['threads']!s:8s} "
                          f"{run['wall_seconds']:6.1f} s  ("
                          + ", ".join(f"{k} {v:.1f} s" for k, v in run["stages"].items())
                          + f"); {run['trials']} trials, {run['pruned']} pruned; load "
                          f"{run['load_before'][:1]}→{run['load_after'][:1]}", flush=True)
    rows = []
    for example, threads in dict.fromkeys((x["example"], x["threads"]) for x in runs):
        sel = [x for x in runs if x["example"] == example and x["threads"] == threads]
        stages = {k: median([x["stages"].get(k, 0.0) for x in sel]) for k in sel[0]["stages"]}
        row = {"example": example, "threads": threads,
               "wall_seconds": median([x["wall_seconds"] for x in sel]),
               "stages": stages, "runs": len(sel), "command": sel[0]["command"],
               "verdict": sel[0]["verdict"], "verification": sel[0]["verification"]}
        if example in TARGET_SECONDS and threads == "default":
            row["target_seconds"] = TARGET_SECONDS[example]
            row["target_met"] = row["wall_seconds"] < TARGET_SECONDS[example]
        rows.append(row)
    path = write_result("end_to_end", {"repeats": args.repeats, "rows": rows, "runs": runs},
                        clock)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
