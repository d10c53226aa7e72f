"""The case suite: regadvisor against doing nothing, random search and the plain Optuna user.

For every case of ``benchmarks/cases`` (or the ones named), each method runs in the same harness
(``benchmarks/_cases.py``): its choice is retrained on the seeds of regadvisor's verification and
scored on the same test split; compute is counted in training epochs. The table gives, per case,
the test metric of the user's setup and the paired difference (95 % interval) of every method
from it, regadvisor's verdict and its verification's word, regadvisor against the Optuna user,
and the epochs each spent; each half of the suite is summarized apart.

    python benchmarks/bench_cases.py [--half HALF] [--cases a b] [--seeds 0 1]
                                     [--jobs 2] [--quick] [--reuse benchmarks/results/cases.json]

``--quick`` runs two cases of each half with 8 trials for every method (a smoke test of the
harness, not a measurement). ``--reuse FILE`` takes the baseline and peer results of an earlier
run instead of recomputing them (regadvisor always runs). Results go to
``benchmarks/results/cases.json`` (``cases_quick.json`` with ``--quick``).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._cases import (  # noqa: E402
    case_rows,
    manifest_by_name,
    mean,
    run_baseline,
    run_peer,
    run_regadvisor,
)
from benchmarks._common import Clock, write_result  # noqa: E402
from benchmarks._search import run_pool  # noqa: E402
from benchmarks.cases import HALVES  # noqa: E402

QUICK_CASES = ("wine_mlp_good", "logreg_wide", "linnerud_mlp", "diabetes_linear")
QUICK_TRIALS = 8
PEERS = ("baseline", "optuna", "random")


def tasks_for(cases: list[str], seeds: list[int], methods: list[str], quick: bool,
              variant: dict) -> list[tuple]:
    out = []
    for case in cases:
        for seed in seeds:
            for method in methods:
                if method == "baseline":
                    out.append((run_baseline, case, seed))
                elif method in ("optuna", "random"):
                    out.append((run_peer, case, seed, method, QUICK_TRIALS if quick else 40))
                else:
                    v = dict(variant)
                    if quick:
                        v.setdefault("n_trials", QUICK_TRIALS)
                    out.append((run_regadvisor, case, seed, v))
    return out


def parse_settings(items: list[str]) -> dict:
    """``["n_trials=40", "tuning.monitor=val_loss"]`` → AdviseOptions keyword arguments."""
    import yaml

    out: dict = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--set {item!r}: write KEY=VALUE")
        parsed = yaml.safe_load(value)
        if key.startswith("tuning."):
            out.setdefault("tuning", {})[key.removeprefix("tuning.")] = parsed
        else:
            out[key] = parsed
    return out


def summarize(rows: list[dict], half: str) -> dict:
    """The figures the issue's targets name, for one half."""
    rows = [r for r in rows if r["half"] == half]
    if not rows:
        return {}
    out: dict = {"cases": len({r["case"] for r in rows})}
    for method in ("regadvisor", "optuna", "random"):
        have = [r["methods"][method] for r in rows if method in r["methods"]]
        if not have:
            continue
        out[method] = {
            "mean_relative_gain": mean([m["relative_gain"] for m in have]),
            "mean_gain_points": mean([m["vs_baseline"]["gain"] * 100 for r, m in
                                      zip(rows, have, strict=False)
                                      if r["metric"] == "accuracy"]),
            "improves": sum(m["vs_baseline"]["verdict"] == "improves" for m in have),
            "worse": sum(m["vs_baseline"]["verdict"] == "worse" for m in have),
            "epochs": sum(m["epochs"] for m in have),
        }
    ra = [r for r in rows if "regadvisor" in r["methods"] and "optuna" in r["methods"]]
    if ra:
        out["regadvisor_vs_optuna"] = {
            "significantly_worse": [r["case"] for r in ra
                                    if r["methods"]["regadvisor"]["vs_optuna"]["verdict"]
                                    == "worse"],
            "significantly_better": [r["case"] for r in ra
                                     if r["methods"]["regadvisor"]["vs_optuna"]["verdict"]
                                     == "improves"],
            # Where the Optuna user's choice measurably improves on the user's setup, does
            # regadvisor's own verification say "improves"?
            "missed_improvements": [
                r["case"] for r in ra
                if r["methods"]["optuna"]["vs_baseline"]["verdict"] == "improves"
                and r["methods"]["regadvisor"].get("verification", {}).get("verdict")
                != "improves"],
            # regadvisor's own verdicts: how many say "improves", and any that say so where
            # the Optuna user's choice measurably beats regadvisor's.
            "verified_improves": [r["case"] for r in ra
                                  if r["methods"]["regadvisor"].get("verification", {})
                                  .get("verdict") == "improves"],
            "improves_where_optuna_better": [
                r["case"] for r in ra
                if r["methods"]["regadvisor"].get("verification", {}).get("verdict")
                == "improves" and r["methods"]["regadvisor"]["vs_optuna"]["verdict"] == "worse"],
            "epochs_within_peer": [r["case"] for r in ra
                                   if r["methods"]["regadvisor"]["epochs"]
                                   <= r["methods"]["optuna"]["epochs"]],
        }
    reg = [r for r in rows if "regadvisor" in r["methods"]]
    out["verdicts_right"] = sum(r["methods"]["regadvisor"].get("verdict")
                                == r["expected_verdict"] for r in reg)
    out["worse_than_user"] = [r["case"] for r in reg
                              if r["methods"]["regadvisor"]["vs_baseline"]["verdict"] == "worse"]
    # A test loss above 1.5x the user's on some seed, or an ECE worse by more than 0.05, that the
    # verdict box does not mention (regadvisor's own flags, read from its verification).
    out["unflagged"] = [f"{r['case']}: {what}" for r in reg for what in _unflagged(r)]
    return out


def _unflagged(row: dict) -> list[str]:
    ours, base = row["methods"]["regadvisor"], row["methods"].get("baseline")
    if base is None or ours.get("kept_baseline"):
        return []
    flags = " ".join(ours.get("verification", {}).get("flags") or [])
    out = []
    ratios = [r / b for b, r in zip(base.get("test_losses") or [], ours.get("test_losses") or [],
                                    strict=False) if b and math.isfinite(b) and b > 0]
    if row["metric"] == "accuracy" and ratios and max(ratios) > 1.5 and "Loss:" not in flags:
        out.append(f"test loss {max(ratios):.1f}x the user's on a seed")
    if (math.isfinite(ours.get("ece", math.nan)) and math.isfinite(base.get("ece", math.nan))
            and ours["ece"] - base["ece"] > 0.05 and "Calibration:" not in flags):
        out.append(f"ECE {base['ece']:.3f} -> {ours['ece']:.3f}")
    return out


def _fmt_metric(v: float, metric: str) -> str:
    if not math.isfinite(v):
        return "n/a"
    return f"{v * 100:.1f}" if metric == "accuracy" else f"{v:.4f}"


def _fmt_diff(c: dict, metric: str) -> str:
    scale, digits = (100, 1) if metric == "accuracy" else (1, 3)

    def f(x):
        return "n/a" if not math.isfinite(x) else f"{x * scale:+.{digits}f}"

    mark = {"improves": "▲", "worse": "▼"}.get(c["verdict"], "")
    return f"{f(c['mean_diff'])} [{f(c['ci_low'])}, {f(c['ci_high'])}]{mark}"


def table(rows: list[dict]) -> list[str]:
    """Markdown: one row per case and seed."""
    lines = ["| case | verdict (expected) | user's setup | regadvisor | its verification | "
             "Optuna user | random search | regadvisor − Optuna | epochs: regadvisor / Optuna "
             "/ random |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        m, metric = r["methods"], r["metric"]
        reg, opt, rnd = m.get("regadvisor"), m.get("optuna"), m.get("random")
        base = m.get("baseline")
        verdict = (reg or {}).get("verdict", "–")
        ver = (reg or {}).get("verification", {})
        said = ver.get("verdict", "–") + (" (kept yours)" if (reg or {}).get("kept_baseline")
                                          else "")
        if ver.get("flags"):
            said += "; " + "; ".join(f.split(":")[0] for f in ver["flags"])
        seed = "" if r["seed"] == 0 else f" (seed {r['seed']})"
        lines.append(
            f"| {r['case']}{seed} | {verdict} "
            f"({r['expected_verdict']}) | "
            f"{_fmt_metric(base['mean'], metric) if base else '–'} | "
            + " | ".join([
                _fmt_diff(reg["vs_baseline"], metric) if reg else "–", said,
                _fmt_diff(opt["vs_baseline"], metric) if opt else "–",
                _fmt_diff(rnd["vs_baseline"], metric) if rnd else "–",
                _fmt_diff(reg["vs_optuna"], metric) if reg and "vs_optuna" in reg else "–",
                " / ".join(str(x["epochs"]) if x else "–" for x in (reg, opt, rnd)),
            ]) + " |")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=HALVES)
    parser.add_argument("--cases", nargs="+")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--methods", nargs="+", default=["regadvisor", *PEERS])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--reuse", type=Path, help="take baseline and peer results from here")
    parser.add_argument("--rescore", type=Path, help="train nothing: score the results of this "
                                                     "earlier output again (its runs as they "
                                                     "were) and write the tables")
    parser.add_argument("--out", default=None, help="result name (default cases or cases_quick)")
    parser.add_argument("--set", nargs="+", default=[], metavar="KEY=VALUE",
                        help="a regadvisor setting to try instead of its default: an advise "
                             "option (n_trials=40, objective=val_loss, pruner=none) or a tuning "
                             "setting (tuning.monitor=val_loss, tuning.winner=best)")
    args = parser.parse_args()
    variant = parse_settings(args.set)

    manifest = manifest_by_name()
    cases = args.cases or ([c for c in QUICK_CASES] if args.quick else list(manifest))
    if args.half:
        cases = [c for c in cases if manifest[c]["half"] == args.half]
    methods = list(args.methods)
    reused = []
    if args.reuse:
        old = json.loads(args.reuse.read_text())["results"]
        reused = [r for r in old if r["method"] in PEERS and r["case"] in cases
                  and r["seed"] in args.seeds]
        have = {(r["case"], r["seed"], r["method"]) for r in reused}
        missing = [(c, s, m) for c in cases for s in args.seeds for m in PEERS
                   if m in methods and (c, s, m) not in have]
        methods = [m for m in methods if m not in PEERS]
        extra = [t for c, s, m in missing for t in tasks_for([c], [s], [m], args.quick, {})]
    else:
        extra = []
    clock = Clock()
    tasks = tasks_for(cases, args.seeds, methods, args.quick, variant) + extra
    if not args.rescore:
        print(f"{len(tasks)} runs on {len(cases)} cases, {args.jobs} processes of 1 thread",
              flush=True)
    if args.rescore:
        earlier = json.loads(args.rescore.read_text())
        results, cases, variant = earlier["results"], earlier["cases"], earlier.get("variant", {})
        variant = {**variant, "rescored": {k: earlier.get(k) for k in (
            "command", "machine", "load_start", "load_end", "seconds")}}
    else:
        results = reused + run_pool(tasks, args.jobs, threads=1)
    rows = case_rows(results, manifest)
    summary = {half: summarize(rows, half) for half in HALVES}
    for half in HALVES:
        half_rows = [r for r in rows if r["half"] == half]
        if half_rows:
            print(f"\n{half}\n" + "\n".join(table(half_rows)))
            print(json.dumps(summary[half], indent=1))
    name = args.out or ("cases_quick" if args.quick else "cases")
    path = write_result(name, {"cases": cases, "seeds": args.seeds, "quick": args.quick,
                               "variant": variant,
                               "summary": summary, "rows": rows, "results": results}, clock)
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
