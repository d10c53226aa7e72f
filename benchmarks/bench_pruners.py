"""Pruner choice: regadvisor's tuning with each pruner, on the search benchmark's problems.

Pruners: ``hyperband`` (regadvisor's default: ``min_resource=5, reduction_factor=3``),
``median`` (5 start-up trials, 10-epoch warm-up; the default before this benchmark chose
Hyperband),
``median_no_warmup`` (Optuna's ``MedianPruner()`` defaults: 5 start-up trials, no warm-up),
``patient`` (the median pruner with warm-up behind ``PatientPruner(patience=5)``) and
``none``. Everything else is regadvisor's tuning as
``regadvisor tune`` runs it (diagnosis, rule-shaped space, seeded trials, noise-aware winner).
For each: the clean test figure of the chosen configuration retrained on 3 fresh seeds
(mean ± sd over studies × seeds), the training epochs spent (trials, and in all), the share of
trials pruned, and the best validation figure the study saw.

    python benchmarks/bench_pruners.py [--problems digits_noisy diabetes] [--seeds 3]
                                       [--n-trials 30] [--jobs 2] [--quick]

``--quick``: 2 study seeds of 12 trials.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _search as S  # noqa: E402
from benchmarks._common import Clock, mean_sd, write_result  # noqa: E402

PRUNERS = ("hyperband", "median", "median_no_warmup", "patient", "none")
DEFAULT = "hyperband"


def summarize(problem: str, runs: list[dict]) -> dict:
    rows = {}
    for pruner in PRUNERS:
        rs = [r for r in runs if r["problem"] == problem and r["pruner"] == pruner]
        if not rs:
            continue
        m, sd = mean_sd([v for r in rs for v in r["test"]["metric"]])
        n_trials = sum(len(r["trials"]) for r in rs)
        rows[pruner] = {
            "test_mean": m, "test_sd": sd,
            "test_per_study": [statistics.fmean(r["test"]["metric"]) for r in rs],
            "trial_epochs_mean": statistics.fmean(r["trial_epochs"] for r in rs),
            "total_epochs_mean": statistics.fmean(r["total_epochs"] for r in rs),
            "pruned_share": sum(r["pruned"] for r in rs) / max(n_trials, 1),
            "final_best_val": [S.final_best(r) for r in rs],
            "chosen": [r["chosen_params"] for r in rs],
        }
    maximize = bool(runs) and runs[0]["direction"] == "maximize"
    for pruner, row in rows.items():
        if pruner != DEFAULT:
            row["paired_gain_vs_default"] = _paired(runs, pruner, maximize)
    return {"problem": problem, "direction": runs[0]["direction"] if runs else None,
            "metric": next((r["test"]["metric_name"] for r in runs
                            if r["problem"] == problem), None),
            "pruners": rows}


def _paired(runs: list[dict], pruner: str, maximize: bool) -> dict:
    """pruner − the default on the test figure (positive: the pruner better), paired by study
    seed and retrain seed, with a 95 % t interval."""
    from regadvisor.verification.verify import t975

    base = {r["seed"]: r["test"]["metric"] for r in runs if r["pruner"] == DEFAULT}
    other = {r["seed"]: r["test"]["metric"] for r in runs if r["pruner"] == pruner}
    sign = 1 if maximize else -1
    gains = [sign * (a - b) for seed in sorted(base) if seed in other
             for a, b in zip(other[seed], base[seed], strict=True)]
    if len(gains) < 2:
        return {"mean": None, "ci": None}
    m, sd = statistics.fmean(gains), statistics.stdev(gains)
    half = t975(len(gains) - 1) * sd / len(gains) ** 0.5
    return {"mean": m, "ci": [m - half, m + half]}


def resummarize() -> None:
    import json

    from benchmarks._common import RESULTS

    path = RESULTS / "pruners.json"
    data = json.loads(path.read_text())
    problems = list(dict.fromkeys(r["problem"] for r in data["runs"]))
    data["summaries"] = [summarize(p, [r for r in data["runs"] if r["problem"] == p])
                         for p in problems]
    path.write_text(json.dumps(data, indent=2) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=["digits_noisy", "diabetes"])
    parser.add_argument("--pruners", nargs="+", default=list(PRUNERS), choices=PRUNERS)
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-trials", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="2 seeds of 12 trials")
    parser.add_argument("--summarize-only", action="store_true",
                        help="recompute the summaries of results/pruners.json (no training)")
    args = parser.parse_args()
    if args.summarize_only:
        resummarize()
        return
    if args.quick:
        args.seeds, args.n_trials = min(args.seeds, 2), min(args.n_trials, 12)
    clock = Clock()
    seeds = list(range(args.seeds))
    # Interleaved: every pruner's study for one (problem, seed) before the next seed.
    tasks = [(S.task_regadvisor, p, s, args.n_trials, pruner)
             for p in args.problems for s in seeds for pruner in args.pruners]
    runs = S.run_pool(tasks, args.jobs, log=lambda m: print(m, flush=True))
    summaries = [summarize(p, [r for r in runs if r["problem"] == p]) for p in args.problems]
    for s in summaries:
        print(f"\n{s['problem']} (test {s['metric']}):")
        for k, v in s["pruners"].items():
            print(f"  {k:17s} {v['test_mean']:.4f} ± {v['test_sd']:.4f}   trial epochs "
                  f"{v['trial_epochs_mean']:6.0f}   total {v['total_epochs_mean']:6.0f}   "
                  f"pruned {v['pruned_share']:.0%}")
    path = write_result("pruners", {
        "quick": args.quick, "n_trials": args.n_trials, "seeds": seeds,
        "retrain_seeds": list(S.RETRAIN_SEEDS), "jobs": args.jobs, "threads_per_job": 1,
        "summaries": summaries, "runs": runs,
    }, clock)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
