"""``--budget``: does ``regadvisor advise`` finish within the cost the user set?

Runs the real command on an experiment whose full training takes about 30 s here
(``benchmarks/budget/mnist1d_wide.py``),

    regadvisor advise benchmarks/budget/mnist1d_wide.py --budget 20x --output DIR --quiet

and records the plan it printed, the planned total (20 × the full training the diagnosis
timed), the wall time of the command, the stage times and the verification. Target (issue: a
cost the user sets): the command ends within the budget give or take one trial, with a verified
recommendation.

    python benchmarks/bench_budget.py [--budget 20x] [--experiment PATH] [--out budget]
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

from benchmarks._common import Clock, loadavg, subprocess_env, write_result  # noqa: E402

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budget", default="20x")
    parser.add_argument("--experiment", default=str(HERE / "budget" / "mnist1d_wide.py"))
    parser.add_argument("--out", default="budget", help="result name (results/NAME.json)")
    args = parser.parse_args()
    clock = Clock()
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "run"
        cmd = ["regadvisor", "advise", args.experiment, "--budget", args.budget,
               "--output", str(out), "--quiet"]
        load_before = loadavg()
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, env=subprocess_env(), capture_output=True, text=True)
        wall = time.perf_counter() - t0
        report = json.loads((out / "report.json").read_text())
    plan = report.get("plan") or {}
    trial = 0.85 * plan.get("full_run_seconds", 0.0)
    within = wall <= plan.get("total_seconds", 0.0) + trial
    within_10 = wall <= 1.1 * plan.get("total_seconds", 0.0)
    row = {"command": "regadvisor advise benchmarks/budget/mnist1d_wide.py --budget "
                      f"{args.budget} --output DIR --quiet",
           "exit_code": proc.returncode, "wall_seconds": wall, "plan": plan,
           "stages": report.get("timings", {}),
           "trials": len((report.get("tuning") or {}).get("trials") or []),
           "verification": (report.get("recommendation") or {}).get("summary"),
           "within_budget_give_or_take_one_trial": within,
           "within_budget_plus_10_percent": within_10,
           "load_before": load_before, "load_after": loadavg(),
           # A budget below the smallest plan is refused after the diagnosis (exit 2).
           "refused": proc.stderr.strip().splitlines()[-1] if proc.returncode == 2 else None}
    if row["refused"]:
        print(f"refused after {wall:.1f} s (the diagnosis): {row['refused']}")
    else:
        print(plan.get("text"))
        print(f"wall {wall:.1f} s against a budget of {plan.get('total_seconds', 0):.1f} s "
              f"(one trial ≈ {trial:.1f} s): {'within' if within else 'OVER'}; "
              f"{row['trials']} trials; {row['verification']}")
    path = write_result(args.out, {"budget": args.budget, **row}, clock)
    print(f"wrote {path}")
    if proc.returncode:
        print(proc.stderr, file=sys.stderr)
        sys.exit(proc.returncode)


if __name__ == "__main__":
    main()
