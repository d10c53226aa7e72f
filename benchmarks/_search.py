"""Search methods at equal compute, shared by ``bench_search.py`` and ``bench_pruners.py``.

Every method trains through regadvisor's one loop (``regadvisor.training.train``), so an epoch
costs the same whoever asks for it, and compute is counted in training epochs: every epoch any
method trains (regadvisor's diagnostic training, its trials and its noise-aware re-runs
included) is counted by a callback on the loop.

Methods:

* ``regadvisor``: what ``regadvisor tune`` does: diagnose, build the rule-shaped space, TPE with
  the guide's recipe as its first trial, the pruner (Hyperband by default), and the noise-aware
  winner (top 3 trials re-run over 2 extra seeds).
* ``grid``: the guide's grid, λ ∈ {1e-5, 1e-4, 1e-3, 1e-2, 1e-1} × dropout p ∈ {0, 0.1, 0.2,
  0.3, 0.5}, fixed patience 10, AdamW with biases and norms exempt (the guide's recipe); the
  25 points in an order shuffled by the study seed, so that a budget cut removes random points.
* ``random``: uniform random search (sampler seed = study seed + 1000, so that its draws differ
  from TPE's 10 random start-up trials) over the default space without rules: λ log-uniform in
  [1e-6, 1e-1], p in [0, 0.6] (where the model has dropout or hidden fully connected layers),
  patience 3 to 30 epochs, AdamW with biases and norms exempt.
* ``tpe``: plain Optuna (``TPESampler(seed)``, its defaults, no pruner) over that same space.
* ``baseline``: doing nothing: the user's setup as given (no search, no epochs).

Each of grid, random and TPE gets the total epochs regadvisor spent on the same problem and study
seed; the trial that crosses the budget is cut at it (its best epoch so far counts). A plain
method picks its best single run; regadvisor its noise-aware winner. Each chosen configuration is
then retrained at full length on fresh seeds and scored on the clean test split.
"""

from __future__ import annotations

import contextlib
import math
import random
import tempfile
import time
from pathlib import Path
from typing import Any

import torch

from regadvisor._record import from_plain, to_plain

RETRAIN_SEEDS = (9001, 9002, 9003)
GRID_WD = (1e-5, 1e-4, 1e-3, 1e-2, 1e-1)
GRID_DROPOUT = (0.0, 0.1, 0.2, 0.3, 0.5)
GRID_PATIENCE = 10


class EpochCounter:
    """An epoch callback that counts every epoch trained."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, record, history) -> None:
        self.n += 1


@contextlib.contextmanager
def counting(counter: EpochCounter):
    """Route the diagnosis' and the tuner's calls of ``train`` through the counter."""
    import regadvisor.diagnosis.run as diag_run
    import regadvisor.tuning.study as study_mod

    original = study_mod.train

    def counted(*args, callbacks=(), **kwargs):
        return original(*args, callbacks=[counter, *callbacks], **kwargs)

    study_mod.train = counted
    diag_run.train = counted
    try:
        yield
    finally:
        study_mod.train = original
        diag_run.train = original


def optuna_pruner(name: str, *args, **kwargs):
    """The pruners compared: regadvisor's four and Optuna's default median (no warm-up)."""
    import optuna

    from regadvisor.tuning.study import make_pruner

    if name == "median_no_warmup":
        return optuna.pruners.MedianPruner()  # Optuna's defaults: 5 startup trials, no warm-up
    if name == "median_warmup20":
        return optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=20)
    return make_pruner(name, *args, **kwargs)


@contextlib.contextmanager
def pruner_override(name: str):
    """Make ``TuneSettings(pruner="median")`` build the named pruner instead."""
    import regadvisor.tuning.study as study_mod

    original = study_mod.make_pruner
    study_mod.make_pruner = lambda _name, *args, **kwargs: optuna_pruner(name, *args, **kwargs)
    try:
        yield
    finally:
        study_mod.make_pruner = original


def _init_worker(threads: int) -> None:
    torch.set_num_threads(threads)
    import warnings

    warnings.filterwarnings("ignore")


def _objective(exp) -> str:
    return "val_metric" if exp.higher_is_better else "val_loss"


def _value(history, objective: str) -> float | None:
    best = history.restored or history.best
    if history.diverged or best is None:
        return None
    return best.val_metric if objective == "val_metric" else best.val_loss


def run_regadvisor(name: str, seed: int, n_trials: int, pruner: str = "hyperband") -> dict:
    """regadvisor's tuning as ``regadvisor tune`` runs it; every epoch counted."""
    from regadvisor.experiment import load_experiment
    from regadvisor.pipeline import diagnose
    from regadvisor.tuning import TuneSettings, build_space, tune

    exp = load_experiment(name)
    counter = EpochCounter()
    started = time.perf_counter()
    override = pruner_override(pruner) if pruner not in ("median", "patient", "hyperband",
                                                          "none") else contextlib.nullcontext()
    with counting(counter), override, tempfile.TemporaryDirectory() as run_dir:
        diagnosis = diagnose(exp, seed=seed)
        diag_epochs = counter.n
        space = build_space(diagnosis.findings, diagnosis.facts,
                            dropout_layers=diagnosis.inspection.dropout_targets)
        settings = TuneSettings(n_trials=n_trials, seed=seed,
                                pruner=pruner if pruner in ("median", "patient", "hyperband",
                                                            "none") else "median")
        result = tune(exp, space, settings, Path(run_dir))
    trials = [{"number": t.number, "state": t.state, "params": t.params,
               "epochs": t.epochs_run or 0, "value": t.value, "seeded": t.seeded}
              for t in sorted(result.trials, key=lambda t: t.number)]
    # The best single trial, as a plain search would pick it (no noise-aware re-runs).
    from regadvisor.tuning.study import config_for, tuning_base

    complete = [t for t in trials if t["state"] == "COMPLETE" and t["value"] is not None]
    single = ((max if result.direction == "maximize" else min)(complete, key=lambda t: t["value"])
              if complete else None)
    single_config = (to_plain(config_for(tuning_base(exp, settings), space, single["params"]))
                     if single else {})
    trial_epochs = sum(t["epochs"] for t in trials)
    return {
        "problem": name, "method": "regadvisor", "pruner": pruner, "seed": seed,
        "n_trials": n_trials, "direction": result.direction,
        "diagnosis_epochs": diag_epochs, "trial_epochs": trial_epochs,
        "rerun_epochs": counter.n - diag_epochs - trial_epochs,
        "total_epochs": counter.n, "offset_epochs": diag_epochs,
        "trials": trials,
        "pruned": sum(t["state"] == "PRUNED" for t in trials),
        "reruns": [{"trial": r.trial_number, "values": r.values, "mean": r.mean}
                   for r in result.reruns],
        "chosen_params": result.best_params, "chosen_config": to_plain(result.best_config) or {},
        "single_best_trial": single["number"] if single else None,
        "single_best_params": single["params"] if single else {},
        "single_best_config": single_config,
        "verdict": diagnosis.verdict.name,
        "space": {k: [v.low, v.high, v.log] for k, v in space.params.items()},
        "search_seconds": time.perf_counter() - started,
    }


def _can_drop(exp) -> bool:
    from torch import nn

    model = exp.model_factory()
    n_linear = sum(isinstance(m, nn.Linear) for m in model.modules())
    has_dropout = any(isinstance(m, nn.modules.dropout._DropoutNd) for m in model.modules())
    return has_dropout or n_linear >= 2


def _plain_config(exp, seed: int, params: dict[str, Any]):
    """The user's setup with AdamW (biases and norms exempt) and the searched values."""
    from regadvisor.experiment import baseline_config

    cfg = baseline_config(exp, seed=seed).replace(decoupled=True, exempt="bias_and_norm")
    changes = {"weight_decay": float(params["weight_decay"]),
               "patience_epochs": int(params["patience_epochs"])}
    if "dropout" in params:
        changes["dropout"] = float(params["dropout"])
        changes["inject_dropout"] = True
    return cfg.replace(**changes)


def run_plain(name: str, method: str, seed: int, budget: int) -> dict:
    """Grid, random search or plain TPE until ``budget`` training epochs are spent."""
    import optuna

    from regadvisor.experiment import load_experiment
    from regadvisor.training import train

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    exp = load_experiment(name)
    objective = _objective(exp)
    maximize = objective == "val_metric"
    droppable = _can_drop(exp)
    started = time.perf_counter()

    if method == "grid":
        points = [{"weight_decay": wd, "patience_epochs": GRID_PATIENCE,
                   **({"dropout": p} if droppable else {})}
                  for wd in GRID_WD for p in (GRID_DROPOUT if droppable else (0.0,))]
        random.Random(seed).shuffle(points)
        source = iter(points)
        study = None
    else:
        # TPE's first 10 trials are random draws from its seed: random search draws from
        # another seed so that the two methods do not share their first 10 trials.
        sampler = (optuna.samplers.TPESampler(seed=seed) if method == "tpe"
                   else optuna.samplers.RandomSampler(seed=seed + 1000))
        study = optuna.create_study(direction="maximize" if maximize else "minimize",
                                    sampler=sampler)
        source = None

    used = 0
    trials = []
    while used < budget:
        if study is None:
            params = next(source, None)
            if params is None:
                break
            trial = None
        else:
            trial = study.ask()
            params = {"weight_decay": trial.suggest_float("weight_decay", 1e-6, 1e-1, log=True),
                      "patience_epochs": trial.suggest_int("patience_epochs", 3, 30)}
            if droppable:
                params["dropout"] = trial.suggest_float("dropout", 0.0, 0.6)
        config = _plain_config(exp, seed, params)
        cut = budget - used < config.max_epochs
        config = config.replace(max_epochs=min(config.max_epochs, budget - used))
        history = train(exp.model_factory, exp.train_loader_for(config), exp.val_loader, config,
                        task=exp.task, loss_factory=exp.loss_factory,
                        schedule=exp.schedule,
                        batch=exp.batch).history
        used += history.epochs_run
        value = _value(history, objective)
        if trial is not None:
            if value is None:
                study.tell(trial, state=optuna.trial.TrialState.FAIL)
            else:
                study.tell(trial, value)
        trials.append({"number": len(trials), "state": "COMPLETE" if value is not None
                       else "FAIL", "params": params, "epochs": history.epochs_run,
                       "value": value, "cut_at_budget": cut})
    done = [t for t in trials if t["value"] is not None]
    best = (max if maximize else min)(done, key=lambda t: t["value"]) if done else None
    chosen = to_plain(_plain_config(exp, seed, best["params"])) if best else {}
    return {
        "problem": name, "method": method, "seed": seed, "budget": budget,
        "direction": "maximize" if maximize else "minimize",
        "total_epochs": used, "trial_epochs": used, "offset_epochs": 0,
        "trials": trials, "chosen_params": best["params"] if best else {},
        "chosen_config": chosen, "search_seconds": time.perf_counter() - started,
    }


def retrain_on_test(name: str, config: dict | None, seeds=RETRAIN_SEEDS) -> dict:
    """Train ``config`` (None: the user's setup) at full length on fresh seeds; test figures."""
    from regadvisor.experiment import baseline_config, load_experiment
    from regadvisor.training import RegConfig, train
    from regadvisor.verification import evaluate_model

    exp = load_experiment(name)
    base = from_plain(RegConfig, config) if config else baseline_config(exp)
    loader = exp.test_loader or exp.val_loader
    out = {"seeds": list(seeds), "metric": [], "loss": [], "epochs": []}
    for s in seeds:
        result = train(exp.model_factory, exp.train_loader_for(base), exp.val_loader,
                       base.replace(seed=s),
                       task=exp.task, loss_factory=exp.loss_factory, schedule=exp.schedule,
                       batch=exp.batch)
        if result.history.diverged:
            loss, metric = math.inf, (0.0 if exp.higher_is_better else math.inf)
        else:
            held = evaluate_model(result.model, loader, exp.task, "cpu", exp.loss_factory,
                                  batch_fn=exp.batch)
            loss, metric = held.loss, held.metric
        out["metric"].append(metric)
        out["loss"].append(loss)
        out["epochs"].append(result.history.epochs_run)
    out["metric_name"] = exp.metric
    return out


def task_regadvisor(name: str, seed: int, n_trials: int, pruner: str = "hyperband",
                    single_best: bool = False) -> dict:
    run = run_regadvisor(name, seed, n_trials, pruner)
    run["test"] = retrain_on_test(name, run["chosen_config"])
    if single_best and run["single_best_config"]:
        same = run["single_best_params"] == run["chosen_params"]
        run["test_single_best"] = (run["test"] if same
                                   else retrain_on_test(name, run["single_best_config"]))
    return run


def task_plain(name: str, method: str, seed: int, budget: int) -> dict:
    run = run_plain(name, method, seed, budget)
    run["test"] = retrain_on_test(name, run["chosen_config"] or None)
    return run


def task_baseline(name: str) -> dict:
    return {"problem": name, "method": "baseline", "seed": None, "total_epochs": 0,
            "trials": [], "chosen_params": {}, "test": retrain_on_test(name, None)}


# ---------------------------------------------------------------------------------------------
# Summaries
# ---------------------------------------------------------------------------------------------


def _within(value: float, target: float, maximize: bool, tol: float) -> bool:
    return value >= target - tol * abs(target) if maximize else value <= target + tol * abs(target)


def trajectory(run: dict) -> list[tuple[int, float]]:
    """(cumulative epochs, incumbent value) after each trial that gave a value."""
    maximize = run["direction"] == "maximize"
    used = run.get("offset_epochs", 0)
    best = None
    out = []
    for t in run["trials"]:
        used += t["epochs"]
        v = t["value"]
        if t["state"] == "COMPLETE" and v is not None and math.isfinite(v):
            if best is None or (v > best if maximize else v < best):
                best = v
            out.append((used, best))
    return out


def epochs_to_within(run: dict, target: float | None = None, tol: float = 0.02) -> int | None:
    """Epochs until the incumbent came within ``tol`` of ``target`` (default: its final best)."""
    traj = trajectory(run)
    if not traj:
        return None
    maximize = run["direction"] == "maximize"
    target = traj[-1][1] if target is None else target
    for used, best in traj:
        if _within(best, target, maximize, tol):
            return used
    return None


def final_best(run: dict) -> float | None:
    traj = trajectory(run)
    return traj[-1][1] if traj else None


def run_pool(tasks: list[tuple], jobs: int, threads: int = 1, log=print) -> list[dict]:
    """Run ``(function, *args)`` tasks in ``jobs`` spawned processes of ``threads`` threads."""
    import concurrent.futures
    import multiprocessing

    if jobs <= 1:
        _init_worker(threads)
        out = []
        for fn, *a in tasks:
            t0 = time.perf_counter()
            out.append(fn(*a))
            log(f"  {fn.__name__}{tuple(a)} done in {time.perf_counter() - t0:.0f} s")
        return out
    ctx = multiprocessing.get_context("spawn")
    results: list[Any] = [None] * len(tasks)
    with concurrent.futures.ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_init_worker,
                                                initargs=(threads,)) as pool:
        futures = {pool.submit(fn, *a): (i, fn.__name__, a) for i, (fn, *a) in enumerate(tasks)}
        started = time.perf_counter()
        for f in concurrent.futures.as_completed(futures):
            i, fname, a = futures[f]
            results[i] = f.result()
            log(f"  [{time.perf_counter() - started:5.0f} s] {fname}{tuple(a)} done")
    return results
