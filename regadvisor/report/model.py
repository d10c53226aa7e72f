"""ReportData: everything the report shows, built from a RunResult dict, with no HTML in it."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from regadvisor.report import plots

__all__ = ["ReportData", "build_report_data"]


@dataclass
class ReportData:
    """The report's content, section by section (plain values and inline SVG strings)."""

    title: str
    status: str
    verdict: dict[str, Any]
    headline: str
    diff: list[dict[str, Any]]
    kept_baseline: bool
    findings: list[dict[str, Any]]
    experiment: dict[str, Any]
    inspection: dict[str, Any]
    curves_svg: str | None
    diagnosis_curves_svg: str | None
    tuning: dict[str, Any] | None
    verification: dict[str, Any] | None
    early_stopping: dict[str, Any] | None
    reproducibility: dict[str, Any]
    notes: list[str] = field(default_factory=list)


def _metric_fmt(metric: str, v: Any) -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return "n/a"
    return f"{v:.1%}" if metric == "accuracy" else f"{v:.4f}"


def build_report_data(run: dict[str, Any]) -> ReportData:
    """Collect what the report shows from a RunResult dict (as saved in report.json)."""
    exp = run.get("experiment") or {}
    metric = exp.get("metric", "accuracy")
    diag = run.get("diagnosis") or {}
    verdict = diag.get("verdict") or {"name": "unknown", "reason": "No diagnosis finished.",
                                      "evidence": {}}
    rec = run.get("recommendation") or {}
    ver = run.get("verification")
    headline = verdict.get("reason", "")
    if rec.get("summary"):
        headline = rec["summary"]

    histories = {}
    if ver:
        for key, label in (("baseline", "your setup"), ("recommended", "recommendation")):
            if key in ver.get("histories", {}):
                histories[label] = ver["histories"][key]
    diag_curves = None
    if diag.get("history"):
        diag_curves = plots.learning_curves({"diagnostic run": diag["history"]}, metric)

    tuning = None
    tun = run.get("tuning")
    if tun:
        maximize = tun.get("direction") == "maximize"
        space = tun.get("space", {}).get("params", {})
        slices = []
        for name, rng in space.items():
            svg = plots.param_slice(tun["trials"], name, rng.get("log", False))
            if svg:
                slices.append({"param": name, "svg": svg})
        counts: dict[str, int] = {}
        for t in tun["trials"]:
            counts[t["state"]] = counts.get(t["state"], 0) + 1
        tuning = {
            "history_svg": plots.optimization_history(tun["trials"], maximize,
                                                      tun.get("objective", "")),
            "slices": slices,
            "trials": tun["trials"],
            "space": space,
            "base": tun.get("space", {}).get("base", {}),
            "reasons": tun.get("space", {}).get("reasons", {}),
            "reruns": tun.get("reruns", []),
            "best_trial": tun.get("best_trial"),
            "best_params": tun.get("best_params", {}),
            "counts": counts,
            "study_name": tun.get("study_name"),
            "storage": tun.get("storage"),
            "objective": tun.get("objective"),
            "direction": tun.get("direction"),
            "sampler": tun.get("sampler"),
            "pruner": tun.get("pruner"),
            "seconds": tun.get("seconds"),
        }

    verification = None
    early = None
    if ver:
        scale = 100 if metric == "accuracy" else 1
        base_m = [r["metric"] for r in ver["baseline"]["runs"]]
        rec_m = [r["metric"] for r in ver["recommended"]["runs"]]
        rows = []
        for arm_key in ("baseline", "recommended"):
            arm = ver[arm_key]
            for r in arm["runs"]:
                rows.append({"arm": arm["name"], "seed": r["seed"],
                             "metric": _metric_fmt(metric, r["metric"]),
                             "loss": f"{r['loss']:.4f}" if r["loss"] is not None else "n/a",
                             "ece": f"{r['ece']:.3f}" if r.get("ece") is not None else "n/a",
                             "epochs": r["epochs_run"], "stop": r["stop_reason"]})
        verification = {
            "summary": ver["summary"], "verdict": ver["verdict"], "split": ver["split"],
            "seeds": ver["seeds"], "rows": rows, "metric": ver["metric"], "loss": ver["loss"],
            "points_svg": plots.seed_points(base_m, rec_m,
                                            f"{ver['split']} {metric}" + (" (%)" if scale == 100
                                                                          else ""), scale),
            "loss_points_svg": plots.seed_points([r["loss"] for r in ver["baseline"]["runs"]],
                                                 [r["loss"] for r in ver["recommended"]["runs"]],
                                                 f"{ver['split']} loss"),
            "scale": scale,
            "ece": {"baseline": _mean([r.get("ece") for r in ver["baseline"]["runs"]]),
                    "recommended": _mean([r.get("ece") for r in ver["recommended"]["runs"]])},
        }
        first = ver["recommended"]["runs"][0] if ver["recommended"]["runs"] else None
        config = ver["recommended"]["config"]
        if first and config.get("patience_epochs"):
            lr = config.get("lr") or config["optimizer"]["lr"]
            facts = diag.get("facts", {})
            n_train, bs = facts.get("n_train") or 0, facts.get("batch_size") or 1
            steps = first["best_epoch"] * math.ceil(n_train / bs) if n_train else None
            early = {"best_epoch": first["best_epoch"], "epochs_run": first["epochs_run"],
                     "patience": config["patience_epochs"], "monitor": config["monitor"],
                     "stop_message": first["stop_message"], "lr": lr, "steps": steps,
                     "implied_l2": 1.0 / (lr * steps) if steps else None}

    insp = diag.get("inspection") or {}
    repro = {
        "command": run.get("command", ""), "versions": run.get("versions", {}),
        "device": run.get("device", ""), "seed": run.get("seed"),
        # The report's own rendering time is in report.json; it cannot be in the page it times.
        "timings": {k: v for k, v in run.get("timings", {}).items() if k != "report"},
        "verification_seeds": (ver or {}).get("seeds", []),
        "storage": (tun or {}).get("storage"), "study_name": (tun or {}).get("study_name"),
    }
    notes = list(diag.get("notes", []))
    if run.get("status") != "complete":
        notes.insert(0, "This report is partial: " + (run.get("error") or "the run did not "
                                                      "finish") + ".")
    return ReportData(
        title=f"regadvisor report: {exp.get('name', 'experiment')}",
        status=run.get("status", "partial"),
        verdict=verdict,
        headline=headline,
        diff=rec.get("diff", []),
        kept_baseline=bool(rec.get("kept_baseline")),
        findings=diag.get("findings", []),
        experiment=exp,
        inspection=insp,
        curves_svg=plots.learning_curves(histories, metric) if histories else None,
        diagnosis_curves_svg=diag_curves,
        tuning=tuning,
        verification=verification,
        early_stopping=early,
        reproducibility=repro,
        notes=notes,
    )


def _mean(values: list[Any]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None
