"""The report's sections below the headline, each built from its stage's part of the record.

Every builder takes the typed parts of a :class:`~regadvisor.pipeline.RunResult` (a
:class:`~regadvisor.pipeline.Diagnosis`, :class:`~regadvisor.tuning.TuningResult`,
:class:`~regadvisor.verification.Verification`) and returns a plain dict of values, sentences and
inline SVG (no HTML), or ``None`` when its stage left nothing to show.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from typing import TYPE_CHECKING, Any

from regadvisor import _format as fmt
from regadvisor._stats import finite
from regadvisor.diagnosis.curves import implied_l2, rate_until
from regadvisor.report import plots
from regadvisor.report.importance import param_importances
from regadvisor.verification.comparison import mean_interval

if TYPE_CHECKING:
    from regadvisor.pipeline import Diagnosis, RunResult
    from regadvisor.tuning import TuningResult
    from regadvisor.verification import Calibration, Verification

__all__ = ["calibration", "diagnosis", "early_stopping", "reproducibility", "tuning",
           "verification"]

_ARMS = (("baseline", "your setup"), ("recommended", "recommendation"))


def _mean(values: list[float | None]) -> float | None:
    vals = finite(values)
    return statistics.fmean(vals) if vals else None


def _judged_epochs(diag: Diagnosis) -> int | None:
    """The epochs the verdict rests on when the diagnostic run went on past them (for
    verification), else ``None``."""
    facts = diag.facts
    trained = len(diag.history.records)
    fraction, epochs = facts.get("diagnostic_fraction"), facts.get("user_epochs")
    if not fraction or not epochs:
        return None
    judged = round(fraction * epochs)
    return judged if 0 < judged < trained else None


def diagnosis(diag: Diagnosis | None, ver: Verification | None,
              metric: str) -> dict[str, Any] | None:
    """Learning curves of both arms, the gap over epochs, the diagnostic run, the inspection
    (``None`` without a diagnosis: the report then says why)."""
    if diag is None:
        return None
    histories, marks = {}, {}
    for key, label in _ARMS:
        h = ver.histories.get(key) if ver else None
        if h:
            histories[label] = h
            if h.restored_epoch and h.restored_epoch != len(h.records):
                marks[label] = h.restored_epoch
    diag_history = {"diagnostic run (your setup)": diag.history}
    return {
        "curves_svg": plots.learning_curves(histories, metric, marks) if histories else None,
        "gap_svg": plots.gap_curves(histories or diag_history),
        "diagnostic_svg": plots.learning_curves(diag_history, metric, size=(7.5, 2.7)),
        "diagnostic_epochs": len(diag.history.records),
        "judged_epochs": _judged_epochs(diag),
        "marks": marks,
        "inspection": diag.inspection,
        "facts": diag.inspection.facts,
    }


def tuning(tun: TuningResult, metric: str) -> dict[str, Any]:
    """Optimization history, importances, slices, the trials and the search space."""
    from regadvisor.tuning import trial_counts

    trials = tun.trials
    space = tun.space.params
    maximize = tun.direction == "maximize"
    best = tun.best_trial
    slices = []
    for name, rng in space.items():
        svg = plots.param_slice(trials, name, rng.log, best_trial=best)
        if svg:
            slices.append({"param": name, "svg": svg})
    counts = trial_counts(trials)
    imp = param_importances(trials, space, tun.direction) if space else None
    objective = tun.objective
    label = {"val_metric": f"validation {metric}", "val_loss": "validation loss"}.get(
        objective, objective)
    return {
        "history_svg": plots.optimization_history(trials, maximize, label, best),
        "importances": imp.values if imp else {},
        "importances_svg": plots.importances(imp.values) if imp else None,
        "importance_method": imp.evaluator if imp else None,
        "importance_trials": imp.n_trials if imp else 0,
        "slices": slices,
        "trials": trials,
        "space": space,
        "base": tun.space.base,
        "recipe": next((t.params or {} for t in trials if t.seeded == "guide recipe"), {}),
        "reasons": tun.space.reasons,
        "reruns": tun.reruns,
        "best_trial": best,
        "best_params": tun.best_params,
        "counts": counts,
        "objective": label,
        "direction": tun.direction,
        "sampler": tun.sampler,
        "pruner": tun.pruner,
        "seconds": tun.seconds,
        "stopped_early": tun.stopped_early,
        "notes": tun.notes,
    }


def verification(ver: Verification, metric: str) -> dict[str, Any]:
    """Per-seed points with means and intervals, the paired difference, the tables."""
    accuracy = metric == "accuracy"
    scale = 100.0 if accuracy else 1.0
    unit = " points" if accuracy else ""
    m, loss = ver.metric, ver.loss
    arms = {key: getattr(ver, key) for key, _ in _ARMS}
    values = {key: [r.metric for r in arm.runs] for key, arm in arms.items()}
    losses = {key: [r.loss for r in arm.runs] for key, arm in arms.items()}
    intervals = {label: tuple(v * scale for v in mean_interval(values[key]))
                 for key, label in _ARMS}
    axis = f"{ver.split} {metric}" + (" (%)" if accuracy else "")
    rows = [{"arm": label, **dataclasses.asdict(r)} for key, label in _ARMS
            for r in arms[key].runs]

    def diff(v: Any) -> str:
        return fmt.difference(v, metric).replace("-", "−") if fmt.is_number(v) else "n/a"

    return {
        "summary": ver.summary,
        "warnings": ver.warnings,
        "split": ver.split,
        "seeds": ver.seeds,
        "sequential": ver.sequential,
        "metric_name": metric,
        "verdict": ver.verdict,
        "keep_baseline": ver.keep_baseline,
        "before": fmt.metric_value(_mean(values["baseline"]), metric),
        "after": fmt.metric_value(_mean(values["recommended"]), metric),
        "loss_before": _mean(losses["baseline"]),
        "loss_after": _mean(losses["recommended"]),
        "ece_before": arms["baseline"].ece,
        "ece_after": arms["recommended"].ece,
        "diff_text": diff(m.mean_diff),
        "ci_text": f"{diff(m.ci_low)} to {diff(m.ci_high)}".replace(" points to", " to"),
        "metric": m,
        "loss": loss,
        "scale": scale,
        "unit": unit.strip(),
        "rows": rows,
        "points_svg": plots.seed_points(values["baseline"], values["recommended"], axis, scale,
                                        intervals),
        "diff_svg": plots.paired_differences(
            [d * scale for d in finite(m.diffs)],
            m.mean_diff * scale if fmt.is_number(m.mean_diff) else None,
            m.ci_low * scale if fmt.is_number(m.ci_low) else None,
            m.ci_high * scale if fmt.is_number(m.ci_high) else None,
            f"recommendation − your setup, {metric}" + (" (points)" if accuracy else "")),
        "loss_points_svg": plots.seed_points(
            losses["baseline"], losses["recommended"], f"{ver.split} loss",
            intervals={label: mean_interval(losses[key]) for key, label in _ARMS})
        if accuracy else None,
    }


def calibration(ver: Verification, task: str) -> dict[str, Any] | None:
    """ECE and reliability diagrams before and after; predictive entropy (MC dropout)."""
    if task != "classification":
        return None
    arms = {label: getattr(ver, key) for key, label in _ARMS}
    cals = {label: arm.calibration for label, arm in arms.items()}
    uncs = {label: arm.uncertainty for label, arm in arms.items()}
    ece = {label: arm.ece for label, arm in arms.items()}
    if all(v is None for v in ece.values()):
        return None
    first = next((c for c in cals.values() if c), None)
    before, after = ece["your setup"], ece["recommendation"]
    if before is not None and after is not None:
        b, a = round(before, 3), round(after, 3)  # as shown
        change = "lower (better calibrated)" if a < b else (
            "higher (worse calibrated)" if a > b else "unchanged")
        sentence = (f"Expected calibration error on the {ver.split} set: "
                    f"{before:.3f} for your setup, {after:.3f} for the recommendation: "
                    f"{change}.")
    else:
        sentence = "The expected calibration error could not be measured for both arms."
    leaning = [f"{label} is {_leaning(cal)}" for label, cal in cals.items() if _leaning(cal)]
    if leaning:
        text = "; the ".join(leaning)
        sentence += " " + ("The " + text if text.startswith("recommendation") else
                           text[0].upper() + text[1:]) + "."
    return {
        "sentence": sentence,
        "scaling": _scaling(ver),
        "ece": ece,
        "n_bins": first.n_bins if first else 15,
        "n_samples": first.n_samples if first else None,
        "reliability_svg": plots.reliability_diagram(cals),
        "has_bins": any(cals.values()),
        "uncertainty": {k: v for k, v in uncs.items() if v},
        "entropy_svg": plots.entropy_bars(uncs),
        "mc_dropout": any(v and v.mc_dropout for v in uncs.values()),
        "passes": max((v.passes for v in uncs.values() if v), default=0),
        "split": ver.split,
    }


def _scaling(ver: Verification) -> str:
    """Temperature scaling of both arms in one sentence: T fitted on the validation set per
    seed, and the held-out ECE before and after it (empty when not measured)."""
    parts = []
    for key, label in _ARMS:
        t = getattr(ver, key).temperature
        if t is None:
            continue
        temps, before, after = t.temperatures, t.ece_before, t.ece_after
        if not temps or before is None or after is None:
            continue
        low, high = f"{min(temps):.2f}", f"{max(temps):.2f}"
        parts.append(f"{label} T = {low if low == high else f'{low} to {high}'}, ECE "
                     f"{before:.3f} → {after:.3f}")
    if not parts:
        return ""
    text = ("With temperature scaling (the logits divided by a T fitted on the validation set "
            f"for each seed's model, measured on the {ver.split} set): " + "; ".join(parts)
            + ".")
    if ver.temperature_advised:
        text += " The advice includes it: the recommended change's code fits T after training."
    return text


def _leaning(cal: Calibration | None) -> str | None:
    """Over- or under-confident: the pooled mean confidence against the pooled accuracy."""
    if not cal or not cal.bins:
        return None
    full = [b for b in cal.bins if b.count]
    n = sum(b.count for b in full)
    if not n:
        return None
    gap = sum(b.count * (b.confidence - b.accuracy) for b in full) / n
    if abs(gap) < 0.02:
        return None
    if gap > 0:
        return f"over-confident (its confidence is {fmt.points(gap, '.0f')} above its accuracy)"
    return f"under-confident (its confidence is {fmt.points(-gap, '.0f')} below its accuracy)"


def early_stopping(ver: Verification, diag: Diagnosis | None,
                   metric: str) -> dict[str, Any] | None:
    """Best epoch, stop reason and the equivalent L2 strength λ ≈ 1/(η·t), per seed."""
    config = ver.recommended.config
    runs = ver.recommended.runs
    base_runs = ver.baseline.runs
    if not config.patience_epochs or not runs:
        return {"active": False, "baseline_best": [r.best_epoch for r in base_runs],
                "baseline_epochs": [r.epochs_run for r in base_runs]}
    lr = config.lr or config.optimizer.lr
    facts = diag.facts if diag else {}
    n_train, batch = facts.get("n_train"), facts.get("batch_size")
    steps_per_epoch = math.ceil(n_train / batch) if n_train and batch else None
    # Under a schedule the rate moves: the diagnosis' rate until the best epoch (the schedule
    # is the same on every seed; the first seed's record holds each epoch's mean rate).
    history = ver.histories.get("recommended")
    rates = finite([x.lr for x in history.records]) if history else []
    scheduled = bool(facts.get("has_lr_schedule"))
    rows = []
    for r in runs:
        steps = r.best_epoch * steps_per_epoch if steps_per_epoch else None
        rate = rate_until(rates, r.best_epoch, lr, scheduled)
        implied = implied_l2(rate * steps) if rate and steps else None
        rows.append({**dataclasses.asdict(r), "steps": steps, "implied_l2": implied})
    return {
        "active": True,
        "rows": rows,
        "first": rows[0],
        "patience": config.patience_epochs,
        "monitor": fmt.setting_value(config.monitor, "monitor", metric),
        "lr": lr,
        "steps_per_epoch": steps_per_epoch,
        "weight_decay": config.weight_decay or 0.0,
        "baseline_best": [r.best_epoch for r in base_runs],
        "baseline_epochs": [r.epochs_run for r in base_runs],
    }


def reproducibility(run: RunResult) -> dict[str, Any]:
    """Command, versions, device, seeds, timings, and where the study lives."""
    tun, ver = run.tuning, run.verification
    reruns = tun.reruns if tun else []
    return {
        "command": run.command or "",
        "versions": run.versions,
        "device": run.device,
        "seed": run.seed,
        "schema_version": run.schema_version,
        # The report's own rendering time is in report.json; it cannot be in the page it times.
        "timings": {k: v for k, v in run.timings.items() if k != "report"},
        "verification_seeds": ver.seeds if ver else [],
        # A re-run's seeds start with its trial's (the trials' seed), then its extra seeds.
        "trial_seeds": sorted({r.seeds[0] for r in reruns if r.seeds}),
        "rerun_seeds": sorted({s for r in reruns for s in r.seeds[1:]}),
        "storage": tun.storage if tun else None,
        "study_name": tun.study_name if tun else None,
        "status": run.status,
        # "report" is appended after the page is rendered: leave it out, like its timing.
        "finished_stages": [x for x in run.finished_stages if x != "report"],
    }
