"""What the tuning stage costs beyond its trainings: the plan's ``TUNING_SECONDS``.

For small cases of the suite, ``tune`` (a new study in a temporary folder whose SQLite file is
already made, as advise makes it before its plan) with 1 trial
and no re-run, 1 trial and 1 re-run, and 3 trials; the stage's wall time less the seconds its
trials recorded (with a re-run, that re-run's training is in the figure too). The first call of
a process also pays for warming up the libraries; it is run once before the measurement.

    python benchmarks/bench_fixed_costs.py [--cases wine_mlp_good linreg_wide ...]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._cases import load_case  # noqa: E402
from benchmarks._common import Clock, write_result  # noqa: E402

CASES = ("wine_mlp_good", "linreg_wide", "fresh_bc_logreg_good", "breast_cancer_small")
SHAPES = ((1, 0), (1, 1), (3, 0))


def overhead(exp, space, n_trials: int, extra_seeds: int) -> dict:
    from regadvisor.tuning import TuneSettings, tune
    from regadvisor.tuning.storage import open_storage

    settings = TuneSettings(n_trials=n_trials, extra_seeds=extra_seeds, top_k=1)
    with tempfile.TemporaryDirectory() as run_dir:
        # advise opens the run folder's storage (creating study.db) before its plan reads the
        # clock: that first opening is spent before the plan, so it is not measured here.
        open_storage(settings, Path(run_dir))
        t0 = time.perf_counter()
        result = tune(exp, space, settings, Path(run_dir))
        wall = time.perf_counter() - t0
    trials = sum(t.seconds or 0.0 for t in result.trials)
    return {"n_trials": n_trials, "extra_seeds": extra_seeds, "stage_seconds": wall,
            "trial_seconds": trials, "overhead_seconds": wall - trials}


def main() -> None:
    from regadvisor.pipeline import diagnose
    from regadvisor.tuning import build_space

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="+", default=list(CASES))
    args = parser.parse_args()
    clock = Clock()
    rows = []
    for i, case in enumerate(args.cases):
        exp = load_case(case)
        diagnosis = diagnose(exp)
        space = build_space(diagnosis.findings, diagnosis.facts, {},
                            diagnosis.inspection.dropout_targets)
        if i == 0:
            overhead(exp, space, 1, 0)  # warm-up, not measured
        for n, extra in SHAPES:
            row = {"case": case, **overhead(exp, space, n, extra)}
            rows.append(row)
            print(f"{case:24s} {n} trial(s), {extra} re-run: stage {row['stage_seconds']:.3f} s, "
                  f"trials {row['trial_seconds']:.3f} s, beyond them "
                  f"{row['overhead_seconds']:.3f} s", flush=True)
    pure = [r["overhead_seconds"] for r in rows if r["extra_seeds"] == 0]
    summary = {"median_without_reruns": statistics.median(pure), "max_without_reruns": max(pure),
               "min_without_reruns": min(pure)}
    print(summary)
    path = write_result("fixed_costs", {"rows": rows, "summary": summary}, clock)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
