"""Workers: trials per minute with 1 and 2 local worker processes (SQLite, and PostgreSQL).

Each run is the real command line,

    regadvisor tune EXP --workers N --n-trials K --pruner none --storage URL --study-name NAME

(one worker gets all CPU threads, two workers one thread each: the CLI's default split). The
trial phase is timed from the study itself: from the first trial's start to the last trial's end,
as Optuna recorded them; the diagnosis before it and the noise-aware re-runs after it run in one
process whatever ``--workers`` says, so the command's wall time is reported too. Trials differ in
length (patience is searched), so epochs per minute is reported beside trials per minute.
``--pruner none`` keeps the trials comparable between runs. With the environment variable
``REGADVISOR_TEST_POSTGRES_URL`` set (``. .ci/postgres.sh`` starts a server and sets it), the same
runs use PostgreSQL storage. Runs are interleaved (1, 2, 1, 2, ...) and medians reported.
Also recorded: the milliseconds per epoch inside a trial (how fast one process trains while the
others run) and the utilization (the share of the trial phase each process spent inside a trial).
Target: at least 1.7× the trials per minute with 2 workers on 2 cores.

    python benchmarks/bench_workers.py [--experiment digits_noisy] [--n-trials 30]
                                       [--repeats 2] [--quick]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import Clock, median, subprocess_env, write_result  # noqa: E402


def trial_phase(url: str, study_name: str) -> dict:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.load_study(study_name=study_name, storage=url)
    done = [t for t in study.get_trials(deepcopy=False)
            if t.datetime_start is not None and t.datetime_complete is not None]
    start = min(t.datetime_start for t in done)
    end = max(t.datetime_complete for t in done)
    seconds = (end - start).total_seconds()
    epochs = sum(int(t.user_attrs.get("epochs_run") or 0) for t in done)
    workers = {t.user_attrs.get("worker") for t in done}
    busy = sum((t.datetime_complete - t.datetime_start).total_seconds() for t in done)
    return {"trials": len(done), "trial_phase_seconds": seconds, "epochs": epochs,
            "trials_per_minute": 60 * len(done) / seconds,
            "epochs_per_minute": 60 * epochs / seconds,
            "processes_that_ran_trials": len(workers),
            # how fast one process trains while the others run, and how much of the phase
            # each process spent inside a trial (start-up and the last trial's tail are not)
            "ms_per_epoch_in_trials": 1000 * busy / max(epochs, 1),
            "utilization": busy / (len(workers) * seconds)}


def run_once(experiment: str, workers: int, n_trials: int, storage: str, tmp: Path,
             threads: int | None = None) -> dict:
    name = f"bench-{uuid.uuid4().hex[:10]}"
    if storage == "sqlite":
        url = f"sqlite:///{tmp / (name + '.db')}"
    else:
        url = os.environ["REGADVISOR_TEST_POSTGRES_URL"]
    cmd = ["regadvisor", "tune", experiment, "--workers", str(workers), "--n-trials",
           str(n_trials), "--pruner", "none", "--storage", url, "--study-name", name,
           "--output", str(tmp / name), "--quiet", "--device", "cpu"]
    if threads is not None:
        cmd += ["--threads", str(threads)]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, env=subprocess_env(), stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    out = trial_phase(url, name)
    out.update({"workers": workers, "threads": threads or max(1, (os.cpu_count() or 1)
                                                              // workers),
                "storage": storage, "command_seconds": wall,
                "command": " ".join(c if c != url or storage == "sqlite" else "$POSTGRES_URL"
                                    for c in cmd)})
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--experiment", default="digits_noisy")
    parser.add_argument("--n-trials", type=int, default=30)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="1 repeat of 8 trials")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.n_trials = 1, 8
    storages = ["sqlite"]
    if os.environ.get("REGADVISOR_TEST_POSTGRES_URL"):
        storages.append("postgresql")
    else:
        print("REGADVISOR_TEST_POSTGRES_URL is not set: PostgreSQL rows are left out "
              "(. .ci/postgres.sh starts a server and sets it).")
    # (workers, threads): the CLI's split, plus one single-thread worker as a reference.
    arms = [(1, None), (2, None), (1, 1)]
    clock = Clock()
    runs = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for r in range(args.repeats):
            for storage in storages:
                for workers, threads in arms:
                    if storage != "sqlite" and threads == 1 and workers == 1:
                        continue
                    run = run_once(args.experiment, workers, args.n_trials, storage, tmp,
                                   threads)
                    run["repeat"] = r
                    runs.append(run)
                    print(f"{storage:10s} {workers} worker(s) × {run['threads']} thread(s): "
                          f"{run['trials_per_minute']:.1f} trials/min, "
                          f"{run['epochs_per_minute']:.0f} epochs/min (trial phase "
                          f"{run['trial_phase_seconds']:.1f} s, command "
                          f"{run['command_seconds']:.1f} s, {run['ms_per_epoch_in_trials']:.1f} "
                          f"ms/epoch in a trial, utilization {run['utilization']:.0%})",
                          flush=True)
    rows = []
    for storage in storages:
        by = {}
        for workers, threads in arms:
            sel = [x for x in runs if x["storage"] == storage and x["workers"] == workers
                   and (threads is None or x["threads"] == threads)
                   and (threads is not None or x["threads"] == max(1, (os.cpu_count() or 1)
                                                                   // workers))]
            if not sel:
                continue
            key = f"{workers}x{sel[0]['threads']}"
            by[key] = {
                "workers": workers, "threads": sel[0]["threads"],
                "trials_per_minute": median([x["trials_per_minute"] for x in sel]),
                "epochs_per_minute": median([x["epochs_per_minute"] for x in sel]),
                "trial_phase_seconds": median([x["trial_phase_seconds"] for x in sel]),
                "ms_per_epoch_in_trials": median([x["ms_per_epoch_in_trials"] for x in sel]),
                "utilization": median([x["utilization"] for x in sel]),
                "command_seconds": median([x["command_seconds"] for x in sel]),
                "runs": len(sel), "command": sel[0]["command"],
            }
        one = by.get(f"1x{max(1, (os.cpu_count() or 1))}")
        two = by.get("2x1") if (os.cpu_count() or 1) >= 2 else None
        row = {"storage": storage, "arms": by}
        if one and two:
            row["speedup_trials"] = two["trials_per_minute"] / one["trials_per_minute"]
            row["speedup_epochs"] = two["epochs_per_minute"] / one["epochs_per_minute"]
            row["target_met"] = row["speedup_trials"] >= 1.7
            print(f"{storage}: 2 workers / 1 worker = {row['speedup_trials']:.2f}x trials/min, "
                  f"{row['speedup_epochs']:.2f}x epochs/min")
        rows.append(row)
    path = write_result("workers", {"experiment": args.experiment, "n_trials": args.n_trials,
                                    "repeats": args.repeats,
                                    "rows": rows, "runs": runs}, clock)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
