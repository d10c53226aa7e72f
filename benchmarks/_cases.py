"""The case-suite harness: regadvisor and its peers on every case, in one harness.

Every method trains through regadvisor's one loop (``regadvisor.training.train``) and is scored by
the same function (``regadvisor.verification.evaluate_model``) on the same test split, after its
choice is retrained on the same seeds as regadvisor's verification (``seed + 100·k``). Compute is
counted in training epochs, everything included.

Methods:

* ``regadvisor``: ``regadvisor advise`` with its defaults (the Python API with ``render=False``):
  diagnosis, rules, tuning, noise-aware winner, verification; its final choice (the
  recommendation, or the user's setup when verification kept it). Epochs: diagnosis, trials,
  re-runs and both verification arms.
* ``optuna``: the plain Optuna user. TPE (Optuna's defaults, seeded) over weight decay λ
  log-uniform in [1e-6, 1e-1] (decoupled: AdamW for Adam, the optimizer's own for SGD, on every
  parameter as ``optimizer(model.parameters(), weight_decay=λ)`` does, keeping only the
  user's own no-decay groups), dropout p in [0, 0.6] (the model's own dropout modules, or
  injected before the fully connected layers that read hidden units; not searched where there
  is neither), early-stopping patience 3 to 30 epochs on the validation loss with the best
  weights restored; every trial at the user's full length, no pruning; the objective is the
  validation loss at the restored weights; 40 trials; the best trial's configuration is the
  choice. Epochs: the trials plus the 3 retraining runs.
* ``random``: the same with Optuna's RandomSampler.
* ``baseline``: doing nothing: the user's setup as given.

Each is compared with ``baseline`` (paired over the seeds, with the test set's sampling noise, as
regadvisor's verification compares), and regadvisor with ``optuna``.
"""

from __future__ import annotations

import contextlib
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks.cases import case_path, load_manifest  # noqa: E402
from regadvisor._record import to_plain  # noqa: E402

#: Retraining seeds: regadvisor's verification uses seed + 100·k for k < 3.
N_SEEDS = 3
PEER_TRIALS = 40
PEER_SPACE = {"weight_decay": (1e-6, 1e-1), "dropout": (0.0, 0.6), "patience_epochs": (3, 30)}


def seeds_for(seed: int, n: int = N_SEEDS) -> list[int]:
    return [seed + 100 * k for k in range(n)]


def load_case(name: str):
    from regadvisor.experiment import load_experiment

    return load_experiment(str(case_path(name)))


# ---------------------------------------------------------------------------------------------
# Scoring a configuration on the test split
# ---------------------------------------------------------------------------------------------

def score(exp, config, seeds: list[int]) -> dict[str, Any]:
    """Train ``config`` on each seed at full length; test loss, metric, ECE and per-sample
    figures (for paired comparisons)."""
    from regadvisor.training import train
    from regadvisor.verification import evaluate_model

    loader = exp.test_loader or exp.val_loader
    out: dict[str, Any] = {"seeds": seeds, "metric": [], "loss": [], "ece": [], "epochs": [],
                           "sample_loss": [], "sample_correct": [], "val_metric": [],
                           "val_loss": []}
    for s in seeds:
        result = train(exp.model_factory, exp.train_loader_for(config), exp.val_loader,
                       config.replace(seed=s),
                       task=exp.task, loss_factory=exp.loss_factory, train_figures=False,
                       schedule=exp.schedule,
                       batch=exp.batch)
        h = result.history
        out["epochs"].append(h.epochs_run)
        best = h.restored or h.best  # what tuning would have seen of this run
        out["val_metric"].append(None if h.diverged or best is None else best.val_metric)
        out["val_loss"].append(None if h.diverged or best is None else best.val_loss)
        if h.diverged:
            out["metric"].append(0.0 if exp.higher_is_better else math.inf)
            out["loss"].append(math.inf)
            out["ece"].append(None)
            out["sample_loss"].append(None)
            out["sample_correct"].append(None)
            continue
        held = evaluate_model(result.model, loader, exp.task, "cpu", exp.loss_factory,
                              batch_fn=exp.batch)
        out["metric"].append(held.metric)
        out["loss"].append(held.loss)
        out["ece"].append(held.ece)
        out["sample_loss"].append(None if held.sample_loss is None else held.sample_loss.tolist())
        out["sample_correct"].append(None if held.sample_correct is None
                                     else held.sample_correct.double().tolist())
    return out


# ---------------------------------------------------------------------------------------------
# The methods
# ---------------------------------------------------------------------------------------------

def run_baseline(name: str, seed: int) -> dict[str, Any]:
    from regadvisor.experiment import baseline_config

    exp = load_case(name)
    t0 = time.perf_counter()
    result = score(exp, baseline_config(exp), seeds_for(seed))
    return {"case": name, "method": "baseline", "seed": seed, "epochs": 0,
            "seconds": time.perf_counter() - t0, "test": result}


def run_regadvisor(name: str, seed: int, variant: dict[str, Any] | None = None,
                   label: str = "regadvisor") -> dict[str, Any]:
    """``advise`` with its defaults, or with the settings of ``variant`` (AdviseOptions fields,
    and TuneSettings fields under ``tuning``)."""
    from regadvisor.errors import ConfigError
    from regadvisor.experiment import ExperimentError, baseline_config
    from regadvisor.pipeline import AdviseOptions, run_stages

    exp = load_case(name)
    variant = dict(variant or {})
    t0 = time.perf_counter()
    spent: dict[str, int] = {}
    try:
        with tempfile.TemporaryDirectory() as run_dir:
            try:
                result = run_stages(exp, Path(run_dir),
                                    AdviseOptions(seed=seed, render=False, **variant))
            except ConfigError:
                record = Path(run_dir) / "report.json"
                if record.exists():  # a budget refused after the diagnosis: its epochs count
                    import json

                    diag = json.loads(record.read_text()).get("diagnosis") or {}
                    spent["diagnose"] = len((diag.get("history") or {}).get("records", []))
                raise
    except (ExperimentError, ConfigError) as e:
        if isinstance(e, ConfigError) and "cannot cover" not in str(e):
            raise
        # Refused (too few samples to judge a fit, or a --budget below the smallest plan): the
        # user gets no advice and keeps the setup, which is what is scored.
        return {"case": name, "method": label, "seed": seed, "variant": variant,
                "epochs": sum(spent.values()), "epochs_by_stage": spent,
                "seconds": time.perf_counter() - t0,
                "verdict": "refused", "findings": [], "kept_baseline": True,
                "verification": {"verdict": "refused", "warnings": [str(e)], "flags": []},
                "refused": str(e), "trials": 0, "pruned": 0,
                "chosen": to_plain(baseline_config(exp)), "candidate": None, "best_params": {},
                "test": score(exp, baseline_config(exp), seeds_for(seed))}
    seconds = time.perf_counter() - t0
    plain = to_plain(result)
    diag, tun, ver, rec = (plain["diagnosis"], plain["tuning"], plain["verification"],
                           plain["recommendation"])
    epochs = {
        "diagnose": len(diag["history"]["records"]),
        "trials": sum(t.get("epochs_run") or 0 for t in tun["trials"]),
        "reruns": sum(sum(r.get("epochs") or []) for r in tun["reruns"]),
        # A verification run reused from the diagnosis is counted once, under diagnose.
        "verify": sum(r["epochs_run"] for arm in ("baseline", "recommended")
                      for r in ver[arm]["runs"] if not r.get("reused")),
    }
    final = result.recommendation.config
    plan = plain.get("plan") or {}
    return {
        "case": name, "method": label, "seed": seed, "variant": variant,
        "epochs": sum(epochs.values()), "epochs_by_stage": epochs, "seconds": seconds,
        # Under a --budget: what it allowed (from the start of the run) and what it got.
        "budget_seconds": plan.get("total_seconds"),
        "within_budget": (seconds <= 1.1 * plan["total_seconds"]) if plan else None,
        "verdict": diag["verdict"]["name"],
        "findings": [f["rule_id"] for f in diag["findings"]],
        "kept_baseline": rec["kept_baseline"],
        "verification": {"verdict": ver["verdict"], "metric": ver["metric"],
                         "loss": ver["loss"], "warnings": ver.get("warnings") or [],
                         "flags": ver.get("flags") or []},
        "trials": len(tun["trials"]),
        "pruned": sum(t["state"] == "PRUNED" for t in tun["trials"]),
        "chosen": rec["config"], "candidate": tun["best_config"],
        "best_params": tun["best_params"],
        "test": score(exp, final, seeds_for(seed)),
    }


def peer_config(exp, params: dict[str, Any]):
    """The plain Optuna user's configuration (module docstring)."""
    from regadvisor.experiment import baseline_config

    changes = {"weight_decay": float(params["weight_decay"]), "decoupled": True,
               "exempt": "none", "patience_epochs": int(params["patience_epochs"]),
               "monitor": "val_loss"}
    if "dropout" in params:
        changes.update(dropout=float(params["dropout"]), inject_dropout=True)
    return baseline_config(exp).replace(**changes)


def can_drop(exp) -> bool:
    """Whether the plain user has somewhere to put dropout."""
    from regadvisor.training.dropout import DROPOUT_TYPES, dropout_targets

    model = exp.model_factory()
    return (any(isinstance(m, DROPOUT_TYPES) for m in model.modules())
            or bool(dropout_targets(model, exp.task)))


def run_peer(name: str, seed: int, method: str = "optuna",
             n_trials: int = PEER_TRIALS) -> dict[str, Any]:
    import optuna

    from regadvisor.training import train

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    exp = load_case(name)
    droppable = can_drop(exp)
    # TPE's first 10 trials are random draws from its seed: random search draws from another
    # seed, so that the two do not share them.
    sampler = (optuna.samplers.TPESampler(seed=seed) if method == "optuna"
               else optuna.samplers.RandomSampler(seed=seed + 1000))
    study = optuna.create_study(direction="minimize", sampler=sampler)
    t0 = time.perf_counter()
    epochs = 0
    for _ in range(n_trials):
        trial = study.ask()
        low, high = PEER_SPACE["weight_decay"]
        params = {"weight_decay": trial.suggest_float("weight_decay", low, high, log=True),
                  "patience_epochs": trial.suggest_int("patience_epochs",
                                                       *PEER_SPACE["patience_epochs"])}
        if droppable:
            params["dropout"] = trial.suggest_float("dropout", *PEER_SPACE["dropout"])
        config = peer_config(exp, params).replace(seed=seed)
        h = train(exp.model_factory, exp.train_loader_for(config), exp.val_loader, config,
                  task=exp.task,
                  loss_factory=exp.loss_factory, train_figures=False,
                  schedule=exp.schedule,
                  batch=exp.batch).history
        epochs += h.epochs_run
        best = h.restored or h.best
        if h.diverged or best is None or not math.isfinite(best.val_loss):
            study.tell(trial, state=optuna.trial.TrialState.FAIL)
        else:
            study.tell(trial, best.val_loss)
    done = [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]
    chosen = peer_config(exp, study.best_params) if done else peer_config(
        exp, {"weight_decay": 1e-6, "patience_epochs": 30})
    test = score(exp, chosen, seeds_for(seed))
    return {"case": name, "method": method, "seed": seed, "trials": n_trials,
            "epochs": epochs + sum(test["epochs"]), "seconds": time.perf_counter() - t0,
            "best_params": study.best_params if done else {}, "chosen": to_plain(chosen),
            "test": test}


# ---------------------------------------------------------------------------------------------
# Comparisons
# ---------------------------------------------------------------------------------------------

def _sample_diffs(a: dict[str, Any], b: dict[str, Any], key: str) -> list[float] | None:
    """Per test sample: b − a, averaged over the seeds (None when unknown)."""
    rows_a, rows_b = a[key], b[key]
    if any(r is None for r in rows_a + rows_b):
        return None
    n = len(rows_a[0])
    return [statistics.fmean(rb[i] - ra[i] for ra, rb in zip(rows_a, rows_b, strict=True))
            for i in range(n)]


def compare(a: dict[str, Any], b: dict[str, Any], metric: str) -> dict[str, Any]:
    """``b`` against ``a`` on the user's metric, paired over seeds, as verification compares."""
    from regadvisor.verification import paired_comparison

    higher = metric == "accuracy"
    key = "sample_correct" if higher else "sample_loss"
    # Stored results keep 6 decimals: compare every arm at that precision, so that a fresh run
    # and a stored one of the same figures do not differ in the 8th decimal "significantly".
    c = paired_comparison(metric, _rounded(a["metric"]), _rounded(b["metric"]), higher,
                          _sample_diffs(a, b, key))
    gain = c.mean_diff if higher else -c.mean_diff
    return {"mean_diff": c.mean_diff, "ci_low": c.ci_low, "ci_high": c.ci_high,
            "verdict": c.verdict, "gain": gain}


def _rounded(values: list[float]) -> list[float]:
    return [round(v, 6) if math.isfinite(v) else v for v in values]


def relative_gain(base: dict[str, Any], other: dict[str, Any], metric: str) -> float:
    """The relative reduction of the test error: 1 − accuracy for classification, the loss
    (MSE) for regression. Unit-free, so cases can be averaged."""
    def err(arm):
        vals = [v for v in arm["metric"] if math.isfinite(v)]
        if not vals:
            return math.inf
        m = statistics.fmean(vals)
        return 1 - m if metric == "accuracy" else m

    e0, e1 = err(base), err(other)
    return (e0 - e1) / e0 if e0 > 0 and math.isfinite(e0) and math.isfinite(e1) else math.nan


def mean(values: list[float]) -> float:
    vals = [v for v in values if v is not None and math.isfinite(v)]
    return statistics.fmean(vals) if vals else math.nan


def case_rows(results: list[dict[str, Any]], manifest: dict[str, dict]) -> list[dict[str, Any]]:
    """One row per (case, seed): every method against the baseline, regadvisor against optuna."""
    by = {}
    for r in results:
        by.setdefault((r["case"], r["seed"]), {})[r["method"]] = r
    rows = []
    for (case, seed), methods in sorted(by.items()):
        info = manifest[case]
        metric = info["metric"]
        base = methods.get("baseline")
        row = {"case": case, "seed": seed, "half": info["half"], "metric": metric,
               "expected_verdict": info["expected_verdict"], "methods": {}}
        for name, r in methods.items():
            entry = {"mean": mean(r["test"]["metric"]), "epochs": r.get("epochs", 0),
                     "test_loss": mean(r["test"]["loss"]), "test_losses": r["test"]["loss"],
                     "ece": mean([e for e in r["test"]["ece"] if e is not None])}
            if base is not None and name != "baseline":
                entry["vs_baseline"] = compare(base["test"], r["test"], metric)
                entry["relative_gain"] = relative_gain(base["test"], r["test"], metric)
            for key in ("verdict", "kept_baseline", "verification", "findings", "pruned",
                        "trials"):
                if key in r:
                    entry[key] = r[key]
            row["methods"][name] = entry
        for name in methods:
            if name.startswith("regadvisor") and "optuna" in methods:
                row["methods"][name]["vs_optuna"] = compare(methods["optuna"]["test"],
                                                            methods[name]["test"], metric)
        rows.append(row)
    return rows


def manifest_by_name() -> dict[str, dict]:
    return {c["name"]: c for c in load_manifest()}


@contextlib.contextmanager
def threads(n: int):
    old = torch.get_num_threads()
    torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(old)
