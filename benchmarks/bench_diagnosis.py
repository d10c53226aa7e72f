"""Diagnosis: verdict and top-finding accuracy over the labelled scenarios, and its cost.

For every scenario of ``regadvisor.examples.scenarios.SCENARIOS`` (an experiment whose right
verdict and top finding are known), ``regadvisor.pipeline.diagnose`` runs with its defaults.
Reported per scenario: the verdict and top finding against the expected ones, the diagnostic
training's epochs as a fraction of the full run (the experiment's ``epochs``), and its wall time.
Target: every verdict right, at no more than 20 % of the full run's epochs.

    python benchmarks/bench_diagnosis.py [--threads 2] [--quick]

``--quick`` runs the same scenarios (the diagnosis has no smaller form).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import Clock, write_result  # noqa: E402
from regadvisor.examples.scenarios import SCENARIOS  # noqa: E402
from regadvisor.experiment import build_experiment  # noqa: E402
from regadvisor.pipeline import diagnose  # noqa: E402
from regadvisor.rules import load_rules  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    clock = Clock()
    ruleset = load_rules()
    rows = []
    for scenario in SCENARIOS:
        pieces = {k: v for k, v in scenario.build().items() if v is not None}
        exp = build_experiment(**pieces, name=scenario.name, source=f"scenario {scenario.name}")
        t0 = time.perf_counter()
        result = diagnose(exp, ruleset=ruleset)
        seconds = time.perf_counter() - t0
        top = result.findings[0].rule_id if result.findings else None
        epochs = result.history.epochs_run
        row = {
            "scenario": scenario.name, "description": scenario.description,
            "expected_verdict": scenario.verdict, "verdict": result.verdict.name,
            "verdict_ok": result.verdict.name == scenario.verdict,
            "expected_top_finding": scenario.top_finding, "top_finding": top,
            "top_finding_ok": top == scenario.top_finding,
            "diagnostic_epochs": epochs, "epochs_requested": result.epochs_requested,
            "full_run_epochs": exp.epochs, "fraction": epochs / exp.epochs,
            "seconds": seconds,
        }
        rows.append(row)
        print(f"{scenario.name:26s} verdict {row['verdict']:14s} "
              f"{'ok ' if row['verdict_ok'] else 'BAD'}  top {top!s:30s} "
              f"{'ok ' if row['top_finding_ok'] else 'BAD'}  {epochs}/{exp.epochs} epochs "
              f"({row['fraction']:.0%}), {seconds:.1f} s", flush=True)
    n = len(rows)
    summary = {
        "scenarios": n,
        "verdicts_right": sum(r["verdict_ok"] for r in rows),
        "top_findings_right": sum(r["top_finding_ok"] for r in rows),
        "max_fraction": max(r["fraction"] for r in rows),
        "mean_fraction": sum(r["fraction"] for r in rows) / n,
        "total_diagnostic_epochs": sum(r["diagnostic_epochs"] for r in rows),
        "total_full_run_epochs": sum(r["full_run_epochs"] for r in rows),
    }
    summary["target_met"] = summary["verdicts_right"] == n and summary["max_fraction"] <= 0.2
    print(f"verdicts {summary['verdicts_right']}/{n}, top findings "
          f"{summary['top_findings_right']}/{n}, diagnostic epochs at most "
          f"{summary['max_fraction']:.0%} of the full run")
    path = write_result("diagnosis", {"threads": args.threads,
                                      "summary": summary, "rows": rows}, clock)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
