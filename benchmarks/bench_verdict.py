"""The verdict's error rates: A/A false verdicts on small cases, and the power on MNIST-1D.

**A/A.** For each case, the user's setup is trained on a pool of independent seeds (``--pool``,
each run measured on the test split, per sample too). An A/A run draws two disjoint sets of
``--max-seeds`` seeds from the pool, one per arm (the null must change the seeds of one arm:
with shared seeds both arms train identically and every difference is zero), pairs them in
draw order, and replays sequential verification on the per-seed differences
(:func:`regadvisor.verification.sequential.replay`, the decisions verification takes, with the
held-out set's per-sample noise of the seeds so far). Any "improves" or "worse" is a false
verdict. The runs of one A/A draw are independent; draws share pool members, so the rate's
spread is larger than a binomial one, and the fully disjoint count is given beside it.

**Power.** On MNIST-1D (``mnist1d_mlp``) the user's setup and one candidate (the recommendation
``regadvisor advise`` finds at ``--seed 2``, :data:`MNIST1D_CANDIDATE`) are trained on the same
``--power-pool`` seeds (common random numbers: same initialisation, same batches); replays of
random seed orders give the share of "improves" and the seeds and epochs spent. The power that
counts is that of the real ``regadvisor advise`` runs (docs/benchmarks.md); this replay compares
the procedures (:data:`PROCEDURES`).

    python benchmarks/bench_verdict.py [--cases logreg_wide wine_mlp_good ...] [--pool 30]
                                       [--draws 400] [--max-seeds 10] [--power-pool 40]
    python benchmarks/bench_verdict.py --advise 0 1 2 3 4
    python benchmarks/bench_verdict.py --max-seeds 6 --caps 6 7 8 10   # power at other caps
    python benchmarks/bench_verdict.py --caps 6 8 10 --sweep 0 0.05 0.1 0.2  # futility stop

Results go to ``benchmarks/results/verdict.json``; the real ``advise`` runs (``--advise``: one
at a time, each in a fresh process with one thread) to ``benchmarks/results/verdict_advise.json``.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._cases import load_case, score  # noqa: E402
from benchmarks._common import Clock, write_result  # noqa: E402

#: Small, fast cases of the suite, two halves, both tasks (regression judged by its loss).
AA_CASES = ("logreg_wide", "wine_mlp_good", "diabetes_linear", "digits_overregularized",
            "linnerud_mlp", "mnist1d_mlp")
#: The procedures compared: (boundary, share of the 5 % for a false "improves", held-out noise
#: from the samples × seeds table or from the seed-averaged differences). The first is
#: verification's; ``pocock_even_averaged`` is what it was before the split and the two-way
#: held-out noise.
PROCEDURES = {"pocock": ("pocock", 0.04, "two_way"),
              "pocock_even": ("pocock", 0.025, "two_way"),
              "pocock_even_averaged": ("pocock", 0.025, "averaged"),
              "obrien-fleming": ("obrien-fleming", 0.04, "two_way")}
BOUNDARIES = tuple(PROCEDURES)
#: The recommendation ``regadvisor advise benchmarks/cases/mnist1d_mlp.py --seed 2`` finds
#: (its report.json's ``tuning.best_config``): the power replays use it as a real candidate.
MNIST1D_CANDIDATE = {"weight_decay": 0.041440250264032384, "decoupled": True,
                     "exempt": "bias_and_norm", "dropout": 0.16161398847001401,
                     "inject_dropout": True, "dropout_layers": ["2", "4"],
                     "label_smoothing": 0.05042862292407623, "patience_epochs": 11,
                     "monitor": "val_metric"}


def pool(case: str, config_fn, seeds: list[int]) -> dict:
    """Each seed's test figures of one configuration (``score`` of the case harness)."""
    from regadvisor.experiment import baseline_config

    exp = load_case(case)
    config = config_fn(baseline_config(exp))
    out = score(exp, config, seeds)
    key = "sample_correct" if exp.higher_is_better else "sample_loss"
    return {"metric": exp.metric, "higher": exp.higher_is_better, "values": out["metric"],
            "samples": np.array(out[key], dtype=float), "epochs": out["epochs"],
            "loss": out["loss"]}


def min_gain(metric: str, base_values: list[float]) -> float:
    """Verification's smallest gain that matters (its ``_min_gain``) for these baseline runs."""
    from regadvisor.verification.sequential import MIN_GAIN_POINTS, MIN_GAIN_RELATIVE

    if metric == "accuracy":
        return MIN_GAIN_POINTS
    return MIN_GAIN_RELATIVE * abs(statistics.fmean(base_values))


def replay_pair(a: dict, b: dict, ia: list[int], ib: list[int], first: int, cap: int,
                procedure: str, futility: float | None = None,
                futility_from: int | None = None) -> tuple[str, str, int]:
    """Sequential verification on arm ``b`` (pool rows ``ib``) against arm ``a`` (rows ``ia``),
    paired in order: ``(verdict, stop reason, seeds)``."""
    from regadvisor.verification.sequential import FUTILITY, FUTILITY_FROM, replay

    diffs = [b["values"][j] - a["values"][i] for i, j in zip(ia, ib, strict=True)]
    per_seed = b["samples"][ib] - a["samples"][ia]
    boundary, alpha_improves, held = PROCEDURES[procedure]

    def samples(n: int) -> np.ndarray:
        return per_seed[:n] if held == "two_way" else per_seed[:n].mean(axis=0)

    c, reason, n = replay(diffs, first=first, max_seeds=cap, boundary=boundary,
                          alpha_improves=alpha_improves,
                          min_gain=min_gain(a["metric"], [a["values"][i] for i in ia[:first]]),
                          higher_is_better=a["higher"], sample_diffs=samples,
                          futility=FUTILITY if futility is None else futility,
                          futility_from=FUTILITY_FROM if futility_from is None
                          else futility_from)
    return c.verdict, reason, n


def sweep(caps: list[int], futilities: list[float], first: int, draws: int,
          pairs: dict[str, tuple[dict, dict, bool]], starts: list[int] | None = None) -> dict:
    """Verification (Pocock, 4 %/1 %) at each cap × futility threshold, on the same seed orders:
    per pool pair, the share of "improves" (A/A: false; MNIST-1D's candidate: power), the mean
    seeds per arm and the mean epochs of both arms. ``pairs``: name → (user's setup, other arm,
    whether the arms share seeds (paired pools) or take disjoint ones (A/A))."""
    out: dict = {}
    for name, (a, b, shared) in pairs.items():
        n_pool = len(a["values"])
        rng = random.Random(2)
        top = max(caps)
        orders = []
        for _ in range(draws):
            if shared:
                o = rng.sample(range(n_pool), top)
                orders.append((o, o))
            else:
                idx = rng.sample(range(n_pool), 2 * top)
                orders.append((idx[:top], idx[top:]))
        rows = {}
        for cap, fut, start in itertools.product(caps, futilities, starts or [None]):
            runs = [replay_pair(a, b, ia[:cap], ib[:cap], first, cap, "pocock", fut, start)
                    for ia, ib in orders]
            epochs = [sum(a["epochs"][i] + b["epochs"][j]
                          for i, j in zip(ia[:n], ib[:n], strict=True))
                      for (ia, ib), (_, _, n) in zip(orders, runs, strict=True)]
            stops: dict = {}
            for _, reason, _ in runs:
                stops[reason] = stops.get(reason, 0) + 1
            row = {"cap": cap, "futility": fut, "futility_from": start,
                   "improves": sum(v == "improves" for v, _, _ in runs) / draws,
                   "worse": sum(v == "worse" for v, _, _ in runs) / draws,
                   "mean_seeds": statistics.fmean(n for _, _, n in runs),
                   "mean_epochs": statistics.fmean(epochs), "stops": stops}
            rows[f"cap{cap}_f{fut:g}" + (f"_from{start}" if start else "")] = row
            print(f"{name:24s} cap {cap:2d} futility {fut:<5g} from {start} improves "
                  f"{row['improves']:.3f} worse {row['worse']:.3f} seeds "
                  f"{row['mean_seeds']:.2f} epochs {row['mean_epochs']:.0f} {stops}",
                  flush=True)
        out[name] = rows
    return out


def fixed(a: dict, b: dict, ia: list[int], ib: list[int], n: int) -> str:
    """The verdict of one look at ``n`` seeds with a plain 95 % interval (even split)."""
    return replay_pair(a, b, ia[:n], ib[:n], n, n, "pocock_even")[0]


def aa(cases: list[str], n_pool: int, draws: int, first: int, cap: int) -> dict:
    """The A/A false-verdict rates per case and in all."""
    out: dict = {"cases": {}, "pool": n_pool, "draws_per_case": draws}
    rng = random.Random(0)
    for case in cases:
        clock = Clock()
        p = pool(case, lambda c: c, [1000 + 100 * k for k in range(n_pool)])
        trained = clock.fields()
        rows: dict = {b: {"false": 0, "improves": 0, "worse": 0, "seeds": [], "stops": {}}
                      for b in BOUNDARIES}
        rows["fixed_3"] = {"false": 0}
        rows["naive_repeated_95"] = {"false": 0}
        disjoint = {"false": 0, "runs": 0}
        for _ in range(draws):
            idx = rng.sample(range(n_pool), 2 * cap)
            ia, ib = idx[:cap], idx[cap:]
            for boundary in BOUNDARIES:
                verdict, reason, n = replay_pair(p, p, ia, ib, first, cap, boundary)
                row = rows[boundary]
                row["false"] += verdict != "no clear difference"
                row["improves"] += verdict == "improves"
                row["worse"] += verdict == "worse"
                row["seeds"].append(n)
                row["stops"][reason] = row["stops"].get(reason, 0) + 1
            rows["fixed_3"]["false"] += fixed(p, p, ia, ib, first) != "no clear difference"
            rows["naive_repeated_95"]["false"] += any(
                fixed(p, p, ia, ib, n) != "no clear difference" for n in range(first, cap + 1))
        # Fully independent A/A runs: disjoint slices of the pool, in seed order.
        for start in range(0, n_pool - 2 * cap + 1, 2 * cap):
            ia = list(range(start, start + cap))
            ib = list(range(start + cap, start + 2 * cap))
            disjoint["runs"] += 1
            disjoint["false"] += replay_pair(p, p, ia, ib, first, cap,
                                             "pocock")[0] != "no clear difference"
        for boundary in BOUNDARIES:
            row = rows[boundary]
            row["mean_seeds"] = statistics.fmean(row.pop("seeds"))
        for row in rows.values():
            row["rate"] = row["false"] / draws
        out["cases"][case] = {"metric": p["metric"], "rates": rows, "disjoint": disjoint,
                              "epochs_per_run": statistics.fmean(p["epochs"]),
                              "seconds": trained}
        print(f"{case:24s} {p['metric']:8s} false verdicts: pocock {rows['pocock']['rate']:.3f}"
              f" (improves {rows['pocock']['improves']}, worse {rows['pocock']['worse']}, mean "
              f"seeds {rows['pocock']['mean_seeds']:.1f}), even split "
              f"{rows['pocock_even']['rate']:.3f}, even split with seed-averaged held-out noise "
              f"{rows['pocock_even_averaged']['rate']:.3f}, o'brien-fleming "
              f"{rows['obrien-fleming']['rate']:.3f}, one look at {first} "
              f"{rows['fixed_3']['rate']:.3f}, a 95 % interval after every seed "
              f"{rows['naive_repeated_95']['rate']:.3f}", flush=True)
    total = len(cases) * draws
    out["overall"] = {name: sum(c["rates"][name]["false"] for c in out["cases"].values()) / total
                      for name in (*BOUNDARIES, "fixed_3", "naive_repeated_95")}
    out["overall"]["runs"] = total
    for side in ("improves", "worse"):
        out["overall"][f"pocock_{side}"] = sum(c["rates"]["pocock"][side]
                                               for c in out["cases"].values()) / total
    out["overall"]["disjoint"] = {
        "runs": sum(c["disjoint"]["runs"] for c in out["cases"].values()),
        "false": sum(c["disjoint"]["false"] for c in out["cases"].values())}
    return out


def power(n_pool: int, draws: int, first: int, cap: int,
          caps: list[int] | None = None) -> dict:
    """MNIST-1D: the user's setup against :data:`MNIST1D_CANDIDATE`, paired by seed; with
    ``caps``, verification's power at each of those caps too (same pool, same seed orders)."""
    seeds = [100 * k for k in range(n_pool)]
    base = pool("mnist1d_mlp", lambda c: c, seeds)
    rec = pool("mnist1d_mlp", lambda c: c.replace(**MNIST1D_CANDIDATE), seeds)
    by_cap = {}
    for other in caps or []:
        rng = random.Random(1)
        runs = [replay_pair(base, rec, order, order, first, other, "pocock")
                for order in (rng.sample(range(n_pool), other) for _ in range(draws))]
        by_cap[str(other)] = {"power": sum(v == "improves" for v, _, _ in runs) / draws,
                              "mean_seeds": statistics.fmean(n for _, _, n in runs)}
        print(f"mnist1d power at a cap of {other}: {by_cap[str(other)]}", flush=True)
    diffs = [r - b for r, b in zip(rec["values"], base["values"], strict=True)]
    rng = random.Random(1)
    out: dict = {"pool": n_pool, "candidate": MNIST1D_CANDIDATE, "draws": draws,
                 "diffs_points": [round(100 * d, 2) for d in diffs], "boundaries": {},
                 "caps": by_cap}
    for boundary in (*BOUNDARIES, "fixed_3"):
        improves, seeds_used, epochs, stops = 0, [], [], {}
        for _ in range(draws):
            order = rng.sample(range(n_pool), cap)
            if boundary == "fixed_3":
                verdict, reason, n = replay_pair(base, rec, order[:first], order[:first], first,
                                                 first, "pocock_even")
            else:
                verdict, reason, n = replay_pair(base, rec, order, order, first, cap, boundary)
            improves += verdict == "improves"
            seeds_used.append(n)
            epochs.append(sum(base["epochs"][i] + rec["epochs"][i] for i in order[:n]))
            stops[reason] = stops.get(reason, 0) + 1
        out["boundaries"][boundary] = {
            "power": improves / draws, "mean_seeds": statistics.fmean(seeds_used),
            "mean_epochs": statistics.fmean(epochs), "stops": stops}
        print(f"mnist1d power {boundary:15s} {improves / draws:.3f}, mean seeds "
              f"{statistics.fmean(seeds_used):.1f}, mean epochs {statistics.fmean(epochs):.0f}",
              flush=True)
    return out


def advise_runs(seeds: list[int]) -> dict:
    """``regadvisor advise benchmarks/cases/mnist1d_mlp.py --seed S``, one at a time, each in a
    fresh process with one thread: the verdict, the seeds verification trained and why it
    stopped, and the epochs of every stage."""
    import json
    import subprocess
    import tempfile

    from benchmarks._common import loadavg, subprocess_env

    case = ROOT / "benchmarks" / "cases" / "mnist1d_mlp.py"
    runs = []
    for seed in seeds:
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "run"
            cmd = [sys.executable, "-m", "regadvisor", "advise", str(case), "--seed", str(seed),
                   "--output", str(out), "--quiet"]
            load = loadavg()
            clock = Clock()
            done = subprocess.run(cmd, env=subprocess_env(threads=1), capture_output=True,
                                  text=True, check=False)
            seconds = clock.fields()["seconds"]
            if done.returncode != 0:
                raise SystemExit(f"advise --seed {seed} failed: {done.stderr.strip()}")
            r = json.loads((out / "report.json").read_text())
        v, t = r["verification"], r["tuning"]
        seq = v.get("sequential") or {}
        runs.append({
            "seed": seed, "verdict": v["verdict"], "kept_baseline": v["keep_baseline"],
            "before": statistics.fmean(x["metric"] for x in v["baseline"]["runs"]),
            "after": statistics.fmean(x["metric"] for x in v["recommended"]["runs"]),
            "diffs_points": [round(100 * d, 2) for d in v["metric"]["diffs"]],
            "ci_points": [100 * v["metric"]["ci_low"], 100 * v["metric"]["ci_high"]],
            "seeds": len(v["seeds"]), "stop": seq.get("stop"),
            "best_params": t["best_params"],
            "epochs": {"diagnose": len(r["diagnosis"]["history"]["records"]),
                       "trials": sum(x.get("epochs_run") or 0 for x in t["trials"]),
                       "reruns": sum(sum(x.get("epochs") or []) for x in t["reruns"]),
                       "verify": seq.get("epochs"), "verify_added": seq.get("added_epochs")},
            "seconds": seconds, "load_start": load, "summary": v["summary"]})
        print(f"advise --seed {seed}: {v['verdict']} after {len(v['seeds'])} seeds "
              f"({seq.get('stop')}), {seconds:.0f} s", flush=True)
    return {"command": "OMP_NUM_THREADS=1 regadvisor advise benchmarks/cases/mnist1d_mlp.py "
                       "--seed S --quiet", "runs": runs,
            "improves": sum(x["verdict"] == "improves" for x in runs)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="*", default=list(AA_CASES))
    parser.add_argument("--pool", type=int, default=30)
    parser.add_argument("--draws", type=int, default=400)
    parser.add_argument("--first", type=int, default=3)
    parser.add_argument("--max-seeds", type=int, default=10)
    parser.add_argument("--power-pool", type=int, default=40)
    parser.add_argument("--skip-power", action="store_true")
    parser.add_argument("--caps", type=int, nargs="*", default=[],
                        help="Also the power replay (Pocock) at each of these caps.")
    parser.add_argument("--advise", type=int, nargs="+", metavar="SEED",
                        help="Instead: the real advise runs on MNIST-1D at these seeds "
                        "(results/verdict_advise.json).")
    parser.add_argument("--sweep", type=float, nargs="*", metavar="FUTILITY",
                        help="Instead: verification at each --caps × these futility thresholds "
                        "on the A/A pools of --cases and the MNIST-1D power pool "
                        "(results/verdict_sweep.json).")
    parser.add_argument("--futility-from", type=int, nargs="*", default=[],
                        help="With --sweep: also each of these first seeds of the futility "
                        "stop (2: a look after 2 seeds, before the first look).")
    args = parser.parse_args()
    clock = Clock()
    if args.sweep is not None:
        pairs = {}
        for case in args.cases:
            p = pool(case, lambda c: c, [1000 + 100 * k for k in range(args.pool)])
            pairs[f"aa_{case}"] = (p, p, False)
        if not args.skip_power:
            seeds = [100 * k for k in range(args.power_pool)]
            pairs["power_mnist1d"] = (
                pool("mnist1d_mlp", lambda c: c, seeds),
                pool("mnist1d_mlp", lambda c: c.replace(**MNIST1D_CANDIDATE), seeds), True)
        payload = {"sweep": sweep(args.caps or [args.max_seeds], args.sweep or [0.0],
                                  args.first, args.draws, pairs, args.futility_from),
                   "settings": vars(args)}
        path = write_result("verdict_sweep_from" if args.futility_from else "verdict_sweep",
                            payload, clock)
        print(f"written: {path}")
        return
    if args.advise:
        path = write_result("verdict_advise", advise_runs(args.advise), clock)
        print(f"written: {path}")
        return
    payload = {"aa": aa(args.cases, args.pool, args.draws, args.first, args.max_seeds)}
    print(f"A/A overall: {payload['aa']['overall']}", flush=True)
    if not args.skip_power:
        payload["power"] = power(args.power_pool, 4 * args.draws, args.first, args.max_seeds,
                                 args.caps)
    payload["settings"] = vars(args)
    path = write_result("verdict", payload, clock)
    print(f"written: {path}")


if __name__ == "__main__":
    main()
