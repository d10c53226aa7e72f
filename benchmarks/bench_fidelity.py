"""Lower fidelity where it predicts: which early look at a trial ranks it as its full run does.

Collection: for each case of a half of the suite and each study seed, regadvisor's own study
(the diagnosis, the search space its findings open, the seeded recipe and TPE) with ``n`` trials
that are never pruned, each trained as a trial is; every epoch's validation objective is kept.

Analysis, on those curves (no training):

* **Rank correlation** (Spearman) between each trial's objective at its full length and its best
  value up to a fraction ``f`` of the user's epochs (what a pruner sees at a rung there), per
  study, for ``f`` in 1/9, 1/6, 1/3, 1/2.
* **Pruner replay**: each pruner of :func:`_pruners` is fed the recorded curves of the study's
  first ``--replay-trials`` (advise's study size) in the study's order, epoch by epoch, as Optuna
  feeds it during tuning (an in-memory study with that pruner; a trial it prunes stops there).
  Per study: the epochs it lets the trials train, and the validation objective of the trial it
  would pick against the best of all (regret; relative to the error, ``1 − accuracy`` or the
  loss). The sampler's own reaction to a pruned trial is not replayed: the trials are the
  unpruned study's.

The suite's advice with a chosen pruner is then measured by ``bench_cases.py --set pruner=...``.

    python benchmarks/bench_fidelity.py --half calibration [--trials 16] [--seeds 0 1] [--jobs 2]
    python benchmarks/bench_fidelity.py --from benchmarks/results/fidelity_calibration.json
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._cases import load_case, manifest_by_name  # noqa: E402
from benchmarks._common import Clock, write_result  # noqa: E402
from regadvisor.tuning.pruners import spearman  # noqa: E402

FRACTIONS = (1 / 9, 1 / 6, 1 / 3, 1 / 2)


def collect(case: str, seed: int, n_trials: int) -> dict[str, Any]:
    """One unpruned study of ``n_trials`` on ``case``: every trial's per-epoch curve."""
    import optuna

    from regadvisor.pipeline import diagnose
    from regadvisor.tuning import TuneSettings, build_space, tune
    from regadvisor.tuning.storage import default_study_name

    exp = load_case(case)
    diagnosis = diagnose(exp, seed=seed)
    space = build_space(diagnosis.findings, diagnosis.facts, {},
                        diagnosis.inspection.dropout_targets)
    settings = TuneSettings(n_trials=n_trials, pruner="none", winner="best", seed=seed,
                            report_every_epoch=True,
                            reference_loss=diagnosis.facts.get("val_loss_last"))
    with tempfile.TemporaryDirectory() as run_dir:
        tune(exp, space, settings, Path(run_dir))
        study = optuna.load_study(study_name=default_study_name(exp),
                                  storage=f"sqlite:///{run_dir}/study.db")
        trials = [{"number": t.number, "state": t.state.name, "value": t.value,
                   "params": t.params, "epochs_run": t.user_attrs.get("epochs_run"),
                   "curve": [t.intermediate_values[k] for k in sorted(t.intermediate_values)]}
                  for t in study.trials]
        direction = study.direction.name.lower()
    from regadvisor.experiment import baseline_config

    return {"case": case, "seed": seed, "direction": direction,
            "max_epochs": baseline_config(exp).max_epochs, "trials": trials}


# ---------------------------------------------------------------------------------------------
# Analysis
# ---------------------------------------------------------------------------------------------

def _finished(study: dict) -> list[dict]:
    return [t for t in study["trials"] if t["state"] == "COMPLETE" and t["curve"]
            and t["value"] is not None and math.isfinite(t["value"])]


def _best_so_far(curve: list[float], upto: int, maximize: bool) -> float:
    part = [v for v in curve[:max(1, upto)] if math.isfinite(v)]
    if not part:
        return -math.inf if maximize else math.inf
    return max(part) if maximize else min(part)


def correlations(study: dict) -> dict[str, float | None]:
    maximize = study["direction"] == "maximize"
    trials = _finished(study)
    final = [t["value"] for t in trials]
    out = {}
    for f in FRACTIONS:
        rung = max(1, round(f * study["max_epochs"]))
        early = [_best_so_far(t["curve"], rung, maximize) for t in trials]
        out[f"{f:.3f}"] = spearman(early, final)
    return out


def _pruners(max_epochs: int) -> dict[str, Any]:
    """The pruners compared: the default, the median pruner, successive halving (ASHA) and
    Hyperband with their first rung at a fraction of the user's epochs."""
    import optuna

    from regadvisor.tuning.settings import make_pruner

    def rung(f: float) -> int:
        return max(1, round(f * max_epochs))

    out: dict[str, Any] = {
        "none": lambda: optuna.pruners.NopPruner(),
        "patient": lambda: make_pruner("patient"),
        "median": lambda: make_pruner("median"),
    }
    from regadvisor.tuning.pruners import CheckedHalvingPruner

    for f, label in ((1 / 9, "1/9"), (1 / 6, "1/6"), (1 / 4, "1/4"), (1 / 3, "1/3")):
        for n in (3, 4, 5):
            for rho in (0.3, 0.5, 0.7):
                out[f"checked r={label} n={n} rho={rho}"] = (
                    lambda f=f, n=n, rho=rho: CheckedHalvingPruner(
                        rung(f), 2, min_trials=n, min_correlation=rho))
    for f, label in ((1 / 9, "1/9"), (1 / 6, "1/6"), (1 / 4, "1/4"), (1 / 3, "1/3"),
                     (1 / 2, "1/2")):
        for eta in (2, 3):
            out[f"asha r={label} eta={eta}"] = (
                lambda f=f, eta=eta: optuna.pruners.SuccessiveHalvingPruner(
                    min_resource=rung(f), reduction_factor=eta, min_early_stopping_rate=0))
        out[f"hyperband r={label}"] = (
            lambda f=f: optuna.pruners.HyperbandPruner(min_resource=rung(f),
                                                       max_resource=max_epochs,
                                                       reduction_factor=3))
        out[f"median warm-up {label}"] = (
            lambda f=f: optuna.pruners.MedianPruner(n_startup_trials=3,
                                                    n_warmup_steps=rung(f)))
    return out


def replay(study: dict, make, first: int | None = None) -> dict[str, Any]:
    """Feed the curves of the study's ``first`` trials to a fresh pruner in the study's
    order."""
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    maximize = study["direction"] == "maximize"
    sim = optuna.create_study(direction=study["direction"], pruner=make(),
                              sampler=optuna.samplers.RandomSampler(0))
    epochs = 0
    kept: list[dict] = []
    trials = _finished(study)[:first]
    for t in trials:
        trial = sim.ask()
        pruned = False
        for step, value in enumerate(t["curve"], start=1):
            trial.report(value, step)
            if trial.should_prune():
                epochs += step
                sim.tell(trial, state=optuna.trial.TrialState.PRUNED)
                pruned = True
                break
        if not pruned:
            epochs += t["epochs_run"] or len(t["curve"])
            sim.tell(trial, t["value"])
            kept.append(t)
    best = (max if maximize else min)(t["value"] for t in trials)
    chosen = (max if maximize else min)(t["value"] for t in kept)
    if maximize:  # a metric in [0, 1]: the error is 1 - metric
        regret = (best - chosen) / max(1e-12, 1 - best)
    else:
        regret = (chosen - best) / max(1e-12, abs(best))
    return {"epochs": epochs, "completed": len(kept), "regret": regret,
            "found_best": chosen == best}


def analyse(studies: list[dict], first: int | None = None) -> dict[str, Any]:
    full = {f"{s['case']}/{s['seed']}": sum(t["epochs_run"] or len(t["curve"])
                                            for t in _finished(s)[:first]) for s in studies}
    corr = {f"{s['case']}/{s['seed']}": correlations(s) for s in studies}
    pruners: dict[str, dict[str, Any]] = {}
    for s in studies:
        key = f"{s['case']}/{s['seed']}"
        for name, make in _pruners(s["max_epochs"]).items():
            pruners.setdefault(name, {})[key] = replay(s, make, first)
    summary = {}
    for name, per in pruners.items():
        summary[name] = {
            "epochs_share": sum(r["epochs"] for r in per.values()) / sum(full.values()),
            "mean_regret": statistics.fmean(r["regret"] for r in per.values()),
            "worst_regret": max(r["regret"] for r in per.values()),
            "found_best": sum(r["found_best"] for r in per.values()),
            "studies": len(per),
        }
    mean_corr = {}
    for f in FRACTIONS:
        vals = [c[f"{f:.3f}"] for c in corr.values() if c[f"{f:.3f}"] is not None]
        mean_corr[f"{f:.3f}"] = {"mean": statistics.fmean(vals), "min": min(vals),
                                 "studies": len(vals)}
    return {"replayed_trials": first, "correlation": corr, "mean_correlation": mean_corr,
            "pruners": pruners, "summary": summary, "full_epochs": full}


def print_analysis(a: dict[str, Any]) -> None:
    print("\nSpearman rank correlation of the best value up to f of the epochs with the full run")
    for f, c in a["mean_correlation"].items():
        print(f"  f={float(f):.3f}: mean {c['mean']:+.2f}, lowest {c['min']:+.2f} "
              f"({c['studies']} studies)")
    print("\npruner replay: share of the unpruned epochs, mean and worst relative regret, "
          "studies where it kept the best trial")
    for name, s in sorted(a["summary"].items(), key=lambda kv: kv[1]["epochs_share"]):
        print(f"  {name:26s} {s['epochs_share']:6.1%} {s['mean_regret']:+7.2%} "
              f"{s['worst_regret']:+7.2%}  {s['found_best']}/{s['studies']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--half", default="calibration")
    parser.add_argument("--cases", nargs="+")
    parser.add_argument("--trials", type=int, default=16)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--replay-trials", type=int, default=10,
                        help="the pruners are replayed on each study's first N trials "
                             "(advise's default study size)")
    parser.add_argument("--from", dest="source", help="analyse earlier curves, train nothing")
    args = parser.parse_args()
    clock = Clock()
    if args.source:
        payload = json.loads(Path(args.source).read_text())
        studies = payload["studies"]
        name = Path(args.source).stem
    else:
        from benchmarks._search import run_pool

        manifest = manifest_by_name()
        cases = args.cases or [c for c, m in manifest.items() if m["half"] == args.half]
        tasks = [(collect, c, s, args.trials) for c in cases for s in args.seeds]
        print(f"{len(tasks)} studies of {args.trials} unpruned trials, {args.jobs} processes",
              flush=True)
        studies = run_pool(tasks, args.jobs, threads=1)
        name = f"fidelity_{args.half if not args.cases else 'cases'}"
        payload = {"half": args.half, "trials": args.trials, "seeds": args.seeds,
                   "studies": studies}
    analysis = analyse(studies, args.replay_trials)
    print_analysis(analysis)
    payload = {**payload, "analysis": analysis}
    path = write_result(name, payload, clock)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
