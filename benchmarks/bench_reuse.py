"""Runs that serve twice: the A/A error rate when the winner's runs from tuning are also
verification's runs of the recommendation.

Tuning picks its winner on the validation data; verification measures it on the test data. A
run of the winner that tuning trained with one of verification's seeds is the run verification
would train (same configuration, same seed), so measuring it instead of training it again costs
nothing but can bias the verdict: the run was chosen because its validation figure was good, and
a seed that is lucky on the validation set may be lucky on the test set too.

The replay, for each case: the user's setup is trained on a pool of seeds (each run's validation
figure at its restored weights, and its test figures, per sample too). Every "trial" and
"re-run" is a draw from that pool (the A/A null: every candidate is the user's setup), chosen as
tuning chooses: ``--trials`` trials, the top ``--top-k`` by the validation figure, each re-run on
``--extra-seeds`` more seeds, the best mean wins. Verification then compares the winner against
fresh draws of the user's setup, sequentially, as :mod:`benchmarks.bench_verdict` replays it.
Three ways to fill the recommendation's arm:

* ``fresh``: every run drawn anew (no run from tuning: no selection bias at all);
* ``trial``: seed 0 is the winning trial's run, the rest fresh: what verification measured
  while the trials trained with its first seed (it trained that run again and got the same
  figures);
* ``trial+reruns``: seed 0 the trial's run, seeds 1 to ``extra_seeds`` the winner's re-runs
  (they train with verification's seeds), the rest fresh.

Any "improves" is a false verdict. ``advise`` now trains the trials with ``seed + 50``, which
verification never uses, and reuses the re-runs of the best trial alone, which are not chosen
among: with ``--top-k 1`` (the default here) that is ``fresh``.

    python benchmarks/bench_reuse.py [--cases ...] [--pool 48] [--draws 400]

Results go to ``benchmarks/results/reuse.json``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._cases import load_case, score  # noqa: E402
from benchmarks._common import Clock, write_result  # noqa: E402
from benchmarks.bench_verdict import AA_CASES, replay_pair  # noqa: E402

WAYS = ("fresh", "trial", "trial+reruns")


def pool(case: str, seeds: list[int]) -> dict:
    """The user's setup on each seed: validation and test figures."""
    from regadvisor.experiment import baseline_config

    exp = load_case(case)
    out = score(exp, baseline_config(exp), seeds)
    key = "sample_correct" if exp.higher_is_better else "sample_loss"
    return {"metric": exp.metric, "higher": exp.higher_is_better, "values": out["metric"],
            "samples": np.array(out[key], dtype=float), "epochs": out["epochs"],
            "val": out["val_metric"], "val_loss": out["val_loss"]}


def choose(p: dict, rng: random.Random, free: list[int], trials: int, top_k: int,
           extra: int) -> tuple[int, list[int]]:
    """Tuning on pool draws: the winning trial's row and its re-runs' rows (taken from
    ``free``)."""
    sign = -1.0 if p["higher"] else 1.0

    def key(i: int) -> tuple[float, float]:
        return (sign * p["val"][i], p["val_loss"][i])

    drawn = [free.pop() for _ in range(trials)]
    top = sorted(drawn, key=key)[:top_k]
    runs = {t: [free.pop() for _ in range(extra)] for t in top}
    winner = min(top, key=lambda t: (sign * statistics.fmean(p["val"][i]
                                                             for i in [t, *runs[t]]),
                                     statistics.fmean(p["val_loss"][i] for i in [t, *runs[t]])))
    return winner, runs[winner]


def replay_case(p: dict, draws: int, trials: int, top_k: int, extra: int, first: int,
                cap: int, seed: int) -> dict:
    rng = random.Random(seed)
    n = len(p["values"])
    rows = {w: {"improves": 0, "worse": 0, "seeds": []} for w in WAYS}
    for _ in range(draws):
        free = list(range(n))
        rng.shuffle(free)
        winner, reruns = choose(p, rng, free, trials, top_k, extra)
        fresh_rec = [free.pop() for _ in range(cap)]
        base = [free.pop() for _ in range(cap)]
        arms = {"fresh": fresh_rec,
                "trial": [winner, *fresh_rec[1:]],
                "trial+reruns": [winner, *reruns, *fresh_rec[1 + len(reruns):]]}
        for way, rec in arms.items():
            verdict, _, used = replay_pair(p, p, base, rec[:cap], first, cap, "pocock")
            rows[way]["improves"] += verdict == "improves"
            rows[way]["worse"] += verdict == "worse"
            rows[way]["seeds"].append(used)
    for row in rows.values():
        row["mean_seeds"] = statistics.fmean(row.pop("seeds"))
        row["rate_improves"] = row["improves"] / draws
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", nargs="*", default=list(AA_CASES))
    parser.add_argument("--pool", type=int, default=48)
    parser.add_argument("--draws", type=int, default=400)
    parser.add_argument("--trials", type=int, default=12)
    parser.add_argument("--top-k", type=int, default=2)
    parser.add_argument("--extra-seeds", type=int, default=2)
    parser.add_argument("--first", type=int, default=3)
    parser.add_argument("--max-seeds", type=int, default=10)
    args = parser.parse_args()
    need = args.trials + args.top_k * args.extra_seeds + 2 * args.max_seeds
    if args.pool < need:
        raise SystemExit(f"--pool {args.pool}: a draw takes {need} runs")
    clock = Clock()
    out: dict = {"cases": {}}
    for k, case in enumerate(args.cases):
        p = pool(case, [2000 + 100 * i for i in range(args.pool)])
        val = [v for v in p["val"] if v is not None]
        rows = replay_case(p, args.draws, args.trials, args.top_k, args.extra_seeds,
                           args.first, args.max_seeds, seed=k)
        corr = float(np.corrcoef(val, p["values"][:len(val)])[0, 1]) if len(val) > 2 else None
        out["cases"][case] = {"metric": p["metric"], "rows": rows, "val_test_correlation": corr}
        print(f"{case:24s} corr(val, test) {corr:+.2f}  false improves: "
              + ", ".join(f"{w} {rows[w]['rate_improves']:.3f}" for w in WAYS), flush=True)
    total = len(args.cases) * args.draws
    out["overall"] = {w: sum(c["rows"][w]["improves"] for c in out["cases"].values()) / total
                      for w in WAYS}
    out["overall"]["runs"] = total
    out["settings"] = vars(args)
    print(f"overall false improves: {out['overall']}")
    print(f"written: {write_result('reuse', out, clock)}")


if __name__ == "__main__":
    main()
