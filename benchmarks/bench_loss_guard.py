"""The loss guard's threshold: candidates' validation loss against the user's, on the suite.

For each case (the calibration half by default) ``regadvisor advise`` runs with its defaults
but with the loss guard off (``tuning.loss_guard=inf``), so that the candidates are the ones an
unguarded search picks. For every completed trial and every re-run of a top trial, the ratio of
its validation loss (at the restored weights) to the user's own (the diagnosis' last-epoch
validation loss, the guard's reference) is recorded, with the winner's worst run and the
verification's test losses of both arms. ``docs/benchmarks.md`` (section 10) reads the result:
the threshold must sit above the ratios of ordinary winners and below those of blow-ups.

    python benchmarks/bench_loss_guard.py [--half calibration] [--cases a b] [--seeds 0]
                                          [--jobs 2] [--out loss_guard]
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._cases import load_case, manifest_by_name  # noqa: E402
from benchmarks._common import Clock, write_result  # noqa: E402
from benchmarks._search import run_pool  # noqa: E402
from benchmarks.cases import HALVES  # noqa: E402


def _ratio(loss, reference):
    if loss is None or reference is None or not reference > 0:
        return None
    return loss / reference if math.isfinite(loss) else math.inf


def run_case(name: str, seed: int) -> dict:
    """One unguarded ``advise`` run: every trial's and re-run's validation-loss ratio."""
    from regadvisor.errors import RegAdvisorError
    from regadvisor.pipeline import AdviseOptions, run_stages

    exp = load_case(name)
    try:
        with tempfile.TemporaryDirectory() as run_dir:
            result = run_stages(exp, Path(run_dir), AdviseOptions(
                seed=seed, render=False, tuning={"loss_guard": math.inf}))
    except RegAdvisorError as e:  # a case regadvisor refuses: recorded, the others still run
        return {"case": name, "seed": seed, "error": str(e)}
    reference = result.diagnosis.facts.get("val_loss_last")
    tuning, ver = result.tuning, result.verification
    trials = [_ratio(t.val_loss, reference) for t in tuning.trials if t.state == "COMPLETE"]
    reruns = [{"trial": r.trial_number, "winner": r.trial_number == tuning.best_trial,
               "ratios": [_ratio(v, reference) for v in r.val_losses]} for r in tuning.reruns]
    worst_winner = max((x for r in reruns if r["winner"] for x in r["ratios"] if x is not None),
                       default=None)
    test = {arm: [run.loss for run in getattr(ver, arm).runs]
            for arm in ("baseline", "recommended")} if ver is not None else {}
    return {"case": name, "seed": seed, "metric": exp.metric, "reference": reference,
            "trial_ratios": trials, "reruns": reruns, "winner_worst_ratio": worst_winner,
            "test_loss": test}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", choices=HALVES, default="calibration")
    parser.add_argument("--cases", nargs="+")
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="loss_guard")
    args = parser.parse_args()
    manifest = manifest_by_name()
    cases = args.cases or [c for c in manifest if manifest[c]["half"] == args.half]
    clock = Clock()
    results = run_pool([(run_case, c, s) for c in cases for s in args.seeds], args.jobs)
    path = write_result(args.out, {"cases": cases, "seeds": args.seeds, "results": results},
                        clock)
    print(f"{'case':32} {'seed':>4} {'trials: max ratio':>18} {'winner: worst':>14} "
          f"{'re-runs: max':>13} test loss (yours → rec., worst seed ratio)")
    for r in results:
        if "error" in r:
            print(f"{r['case']:32} {r['seed']:>4} refused: {r['error']}")
            continue
        finite = [x for x in r["trial_ratios"] if x is not None]
        rr = [x for c in r["reruns"] for x in c["ratios"] if x is not None]
        test = r["test_loss"]
        worst_test = max((b and rec / b) for b, rec in zip(test["baseline"], test["recommended"],
                                                            strict=True)) if test else None
        print(f"{r['case']:32} {r['seed']:>4} {max(finite, default=math.nan):18.3g} "
              f"{r['winner_worst_ratio'] or math.nan:14.3g} {max(rr, default=math.nan):13.3g} "
              f"{worst_test:.3g}")
    print(f"Saved {path}")


if __name__ == "__main__":
    main()
