"""Search quality at equal compute: regadvisor's tuning against grid, random search and plain TPE.

On each problem and study seed, regadvisor's tuning runs first (diagnosis, rule-shaped space, the
guide's recipe as first trial, Hyperband pruner, noise-aware winner, all at its defaults) and its
training epochs are counted; grid, random search and plain Optuna TPE then get exactly that many
epochs on the same problem and seed (see ``benchmarks/_search.py`` for each method). Each method's
chosen configuration is retrained at full length on 3 fresh seeds and scored on the clean test
split; "baseline" is the user's setup as given. regadvisor's best single trial (what it would
choose without its noise-aware re-runs) is retrained on the same seeds too, to show what the re-
runs buy. Also reported: the epochs each method needed before its best-so-far validation figure
came within 2 % of its final best, and within 2 % of a common reference (the median final best of
all searches on that problem).

    python benchmarks/bench_search.py [--problems digits_noisy diabetes] [--seeds 3]
                                      [--n-trials 30] [--jobs 2] [--quick]

``--quick``: 12 trials per regadvisor study (so a smaller budget for every method).
Studies run in ``--jobs`` processes of one thread each.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks import _search as S  # noqa: E402
from benchmarks._common import Clock, mean_sd, write_result  # noqa: E402

METHODS = ("regadvisor", "grid", "random", "tpe")


def summarize(problem: str, runs: list[dict], baseline: dict) -> dict:
    searches = [r for r in runs if r["problem"] == problem]
    maximize = searches[0]["direction"] == "maximize"
    finals = [S.final_best(r) for r in searches if S.final_best(r) is not None]
    reference = statistics.median(finals)
    out = {"problem": problem, "direction": searches[0]["direction"],
           "metric": baseline["test"]["metric_name"], "reference_val": reference,
           "methods": {}}
    for method in METHODS:
        rs = [r for r in searches if r["method"] == method]
        if not rs:
            continue
        tests = [v for r in rs for v in r["test"]["metric"]]
        per_seed = [statistics.fmean(r["test"]["metric"]) for r in rs]
        m, sd = mean_sd(tests)
        own = [S.epochs_to_within(r) for r in rs]
        common = [S.epochs_to_within(r, reference) for r in rs]
        out["methods"][method] = {
            "test_mean": m, "test_sd": sd,
            "test_sd_between_studies": mean_sd(per_seed)[1],
            "test_per_study": per_seed,
            "total_epochs": [r["total_epochs"] for r in rs],
            "trials": [len(r["trials"]) for r in rs],
            "final_best_val": [S.final_best(r) for r in rs],
            "epochs_to_2pct_own": own,
            "epochs_to_2pct_own_median": _median(own),
            "epochs_to_2pct_reference": common,
            "epochs_to_2pct_reference_median": _median(common),
            "chosen": [r["chosen_params"] for r in rs],
        }
    b_m, b_sd = mean_sd(baseline["test"]["metric"])
    out["methods"]["baseline"] = {"test_mean": b_m, "test_sd": b_sd, "total_epochs": [0],
                                  "trials": [0], "chosen": [{}]}
    ra = out["methods"]["regadvisor"]
    others = [k for k in ("grid", "random", "tpe") if k in out["methods"]]
    better = (lambda a, b: a >= b) if maximize else (lambda a, b: a <= b)
    out["paired_vs_regadvisor"] = {k: paired(searches, k, maximize) for k in others}
    singles = [r for r in searches if r["method"] == "regadvisor" and r.get("test_single_best")]
    if singles:
        # regadvisor's own best single trial (what it would pick without the noise-aware
        # re-runs), retrained on the same seeds: what the re-runs buy.
        m, sd = mean_sd([v for r in singles for v in r["test_single_best"]["metric"]])
        out["regadvisor_without_reruns"] = {
            "test_mean": m, "test_sd": sd,
            "same_choice": sum(r["single_best_params"] == r["chosen_params"] for r in singles),
            "studies": len(singles),
            "epochs_saved": [r["rerun_epochs"] for r in singles],
            "chosen": [r["single_best_params"] for r in singles],
            "paired_gain_of_reruns": paired(
                [{"method": "regadvisor", "seed": r["seed"], "test": r["test"]} for r in singles]
                + [{"method": "single", "seed": r["seed"], "test": r["test_single_best"]}
                   for r in singles], "single", maximize),
        }
    for method, v in out["methods"].items():
        if method == "baseline":
            continue
        rs = [r for r in searches if r["method"] == method]
        v["epochs_to_reference_by_tolerance"] = {
            str(tol): _median([S.epochs_to_within(r, reference, tol) for r in rs])
            for tol in TOLERANCES}
    out["target"] = {
        "at_least_as_good_as": {k: better(ra["test_mean"], out["methods"][k]["test_mean"])
                                for k in others},
        "not_significantly_worse_than": {k: not out["paired_vs_regadvisor"][k]["worse"]
                                         for k in others},
        "half_the_epochs_of_random_own": _half(ra["epochs_to_2pct_own_median"],
                                               out["methods"].get("random", {}).get(
                                                   "epochs_to_2pct_own_median")),
        "half_the_epochs_of_random_reference": _half(
            ra["epochs_to_2pct_reference_median"],
            out["methods"].get("random", {}).get("epochs_to_2pct_reference_median")),
    }
    return out


TOLERANCES = (0.02, 0.01, 0.005)


def paired(searches: list[dict], other: str, maximize: bool) -> dict:
    """regadvisor − other on the test figure, paired by study seed and retrain seed.

    Positive ``gain`` means regadvisor is better (the sign follows the direction). ``worse``:
    the 95 % t interval of the mean gain lies below 0.
    """
    from regadvisor.verification.verify import t975

    ra = {r["seed"]: r["test"]["metric"] for r in searches if r["method"] == "regadvisor"}
    ot = {r["seed"]: r["test"]["metric"] for r in searches if r["method"] == other}
    sign = 1 if maximize else -1
    gains = [sign * (a - b) for s in sorted(ra) if s in ot
             for a, b in zip(ra[s], ot[s], strict=True)]
    if len(gains) < 2:
        return {"gains": gains, "mean": None, "ci": None, "worse": False}
    m, sd = statistics.fmean(gains), statistics.stdev(gains)
    half = t975(len(gains) - 1) * sd / len(gains) ** 0.5
    return {"gains": gains, "mean": m, "ci": [m - half, m + half], "worse": m + half < 0,
            "better": m - half > 0}


def _median(values):
    vals = [v for v in values if v is not None]
    if len(vals) < len(values) / 2 or not vals:
        return None  # most searches never got there
    # a search that never got there counts as "more than its budget": sort it last
    filled = sorted(v if v is not None else float("inf") for v in values)
    mid = statistics.median(filled)
    return mid if mid != float("inf") else None


def _half(ra, rnd):
    if ra is None or rnd is None:
        return None
    return ra <= 0.5 * rnd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", nargs="+", default=["digits_noisy", "diabetes"])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--n-trials", type=int, default=30)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true", help="12 trials per regadvisor study")
    parser.add_argument("--summarize-only", action="store_true",
                        help="recompute the summaries of results/search.json (no training)")
    args = parser.parse_args()
    if args.summarize_only:
        resummarize()
        return
    if args.quick:
        args.n_trials = min(args.n_trials, 12)
    clock = Clock()
    seeds = list(range(args.seeds))
    print(f"phase 1: regadvisor ({args.n_trials} trials) and baselines", flush=True)
    tasks = [(S.task_regadvisor, p, s, args.n_trials, "hyperband", True)
             for p in args.problems for s in seeds]
    tasks += [(S.task_baseline, p) for p in args.problems]
    phase1 = S.run_pool(tasks, args.jobs, log=lambda m: print(m, flush=True))
    ra_runs = [r for r in phase1 if r["method"] == "regadvisor"]
    baselines = {r["problem"]: r for r in phase1 if r["method"] == "baseline"}
    budgets = {(r["problem"], r["seed"]): r["total_epochs"] for r in ra_runs}
    print("phase 2: grid, random, TPE at regadvisor's epochs: "
          + ", ".join(f"{p}/{s}: {b}" for (p, s), b in budgets.items()), flush=True)
    tasks = [(S.task_plain, p, m, s, budgets[(p, s)])
             for p in args.problems for m in ("grid", "random", "tpe") for s in seeds]
    phase2 = S.run_pool(tasks, args.jobs, log=lambda m: print(m, flush=True))
    runs = ra_runs + phase2
    summaries = [summarize(p, runs, baselines[p]) for p in args.problems]
    for s in summaries:
        print(f"\n{s['problem']} (test {s['metric']}, retrained on 3 fresh seeds per study):")
        for k, v in s["methods"].items():
            print(f"  {k:10s} {v['test_mean']:.4f} ± {v['test_sd']:.4f}   epochs "
                  f"{statistics.fmean(v['total_epochs']):7.0f}   to 2 % of own best: "
                  f"{v.get('epochs_to_2pct_own', '-')}   of reference: "
                  f"{v.get('epochs_to_2pct_reference', '-')}")
        print(f"  targets: {s['target']}")
    path = write_result("search", {
        "quick": args.quick, "n_trials": args.n_trials, "seeds": seeds,
        "retrain_seeds": list(S.RETRAIN_SEEDS), "jobs": args.jobs, "threads_per_job": 1,
        "summaries": summaries, "runs": runs, "baselines": list(baselines.values()),
    }, clock)
    print(f"wrote {path}")


def resummarize() -> None:
    import json

    from benchmarks._common import RESULTS

    path = RESULTS / "search.json"
    data = json.loads(path.read_text())
    baselines = {b["problem"]: b for b in data["baselines"]}
    data["summaries"] = [summarize(p, data["runs"], baselines[p]) for p in baselines]
    path.write_text(json.dumps(data, indent=2) + "\n")
    for s in data["summaries"]:
        print(s["problem"], s["target"], {k: (v["mean"], v["ci"])
                                          for k, v in s["paired_vs_regadvisor"].items()})


if __name__ == "__main__":
    main()
