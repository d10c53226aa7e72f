"""Diagnosis on the case suite: verdict and top findings against the labels, and their cost.

For every case of ``benchmarks/cases`` (``cases.yaml`` holds its expected verdict and the
findings a correct diagnosis ranks near the top), ``regadvisor.pipeline.diagnose`` runs with its
defaults. Printed per case: the verdict against the expected one, whether the expected findings
are near the top (all of them among the first ``len(expected) + 2`` findings), the epochs the
verdict rests on (and their share of the user's full run), and the seconds. The calibration,
held-out, fresh and blind halves (see benchmarks/cases/README.md) are summarized apart.
Targets: every verdict and top finding right on every half; the diagnosis at most the user's
full run, and at most 20 % of it wherever the verdict is settled by then.

    python benchmarks/bench_diagnosis.py [--threads 1] [--half HALF] [--seeds 0 1 2] [--quick]

``HALF`` is one of calibration, held_out, fresh, blind. ``--seeds``: the training seeds of the
diagnostic run (default 0, the one the labels' full runs used); with others the rows are per
case and seed, and the result goes to ``diagnosis_seeds.json``: how robust each verdict is to
the seed of the user's training.

``--quick`` runs the first two cases of each half.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import Clock, write_result  # noqa: E402
from benchmarks.cases import HALVES, case_path, load_manifest  # noqa: E402
from regadvisor.diagnosis.run import default_diagnostic_epochs  # noqa: E402
from regadvisor.experiment import load_experiment  # noqa: E402
from regadvisor.pipeline import diagnose  # noqa: E402
from regadvisor.rules import load_rules  # noqa: E402


def findings_ok(found: list[str], expected: list[str]) -> bool:
    """Every expected finding among the first ``len(expected) + 2`` findings."""
    top = found[:len(expected) + 2]
    return all(rule in top for rule in expected)


def diagnose_case(case: dict, ruleset, seed: int = 0) -> dict:
    exp = load_experiment(str(case_path(case["name"])))
    t0 = time.perf_counter()
    result = diagnose(exp, ruleset=ruleset, seed=seed)
    seconds = time.perf_counter() - t0
    found = [f.rule_id for f in result.findings]
    epochs = result.history.epochs_run
    short = default_diagnostic_epochs(exp)
    return {
        "case": case["name"], "half": case["half"], "seed": seed,
        "expected_verdict": case["expected_verdict"], "verdict": result.verdict.name,
        "verdict_ok": result.verdict.name == case["expected_verdict"],
        "expected_findings": case["expected_findings"], "findings": found[:6],
        "findings_ok": findings_ok(found, case["expected_findings"]),
        "epochs": epochs, "user_epochs": exp.epochs, "short_run_epochs": short,
        "fraction": epochs / exp.epochs, "settled_in_short_run": epochs <= short,
        "seconds": seconds, "notes": result.notes,
    }


def summarize(rows: list[dict]) -> dict:
    n = len(rows)
    return {
        "cases": n,
        "verdicts_right": sum(r["verdict_ok"] for r in rows),
        "findings_right": sum(r["findings_ok"] for r in rows),
        "max_fraction": max(r["fraction"] for r in rows),
        "settled_in_short_run": sum(r["settled_in_short_run"] for r in rows),
        "diagnostic_epochs": sum(r["epochs"] for r in rows),
        "full_run_epochs": sum(r["user_epochs"] for r in rows),
        "seconds": sum(r["seconds"] for r in rows),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--half", choices=HALVES)
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    clock = Clock()
    ruleset = load_rules()
    cases = load_manifest()
    if args.half:
        cases = [c for c in cases if c["half"] == args.half]
    if args.quick:
        cases = [c for half in HALVES for c in [c for c in cases if c["half"] == half][:2]]
    rows = []
    for case, seed in [(c, s) for c in cases for s in args.seeds]:
        row = diagnose_case(case, ruleset, seed)
        rows.append(row)
        print(f"{row['case']:27s} {row['half']:11s} "
              f"{'' if args.seeds == [0] else f'seed {seed} '}{row['verdict']:13s} "
              f"{'ok ' if row['verdict_ok'] else 'BAD'} (expected {row['expected_verdict']}) "
              f"findings {'ok ' if row['findings_ok'] else 'BAD'} {','.join(row['findings'][:3])}"
              f"  {row['epochs']}/{row['user_epochs']} epochs ({row['fraction']:.0%}), "
              f"{row['seconds']:.1f} s", flush=True)
    summary = {half: summarize([r for r in rows if r["half"] == half])
               for half in HALVES if any(r["half"] == half for r in rows)}
    for half, s in summary.items():
        print(f"{half}: verdicts {s['verdicts_right']}/{s['cases']}, findings "
              f"{s['findings_right']}/{s['cases']}, settled in the short run "
              f"{s['settled_in_short_run']}/{s['cases']}, epochs at most "
              f"{s['max_fraction']:.0%} of the full run, {s['seconds']:.1f} s in all")
    ok = all(r["verdict_ok"] and r["findings_ok"] and r["fraction"] <= 1 for r in rows) and all(
        r["fraction"] <= 0.2 or not r["settled_in_short_run"] or r["epochs"] <= 10
        for r in rows)
    name = "diagnosis" if args.seeds == [0] else "diagnosis_seeds"
    path = write_result(name + ("_quick" if args.quick else ""),
                        {"threads": args.threads, "seeds": args.seeds, "summary": summary,
                         "targets_met": ok,
                         "rows": rows}, clock)
    print(f"targets met: {ok}; wrote {path}")
    if not math.isfinite(sum(r["seconds"] for r in rows)):  # pragma: no cover
        sys.exit(1)


if __name__ == "__main__":
    main()
