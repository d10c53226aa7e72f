"""Retrain the baseline and the recommendation over K seeds and compare them on held-out data.

The comparison is paired: seed k trains both arms from the same initialisation seed, so the
per-seed differences remove much of the seed-to-seed noise. The 95 % interval of the mean
difference uses Student's t with K − 1 degrees of freedom.

For classification each arm also carries its calibration (reliability bins and ECE) and its
predictive entropy (MC dropout when the trained model has dropout), pooled over the seeds; see
:mod:`regadvisor.verification.calibration`.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from regadvisor.experiment import Experiment
from regadvisor.training import History, RegConfig, train
from regadvisor.training.loop import _align
from regadvisor.verification.calibration import (
    MC_PASSES,
    N_BINS,
    Calibration,
    Predictions,
    Uncertainty,
    calibration,
    predict,
    uncertainty,
)

__all__ = ["ArmResult", "Comparison", "SeedResult", "Verification", "evaluate_model",
           "paired_comparison", "verify"]

# Two-sided 97.5 % quantiles of Student's t for 1..30 degrees of freedom.
_T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179,
         2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064,
         2.060, 2.056, 2.052, 2.048, 2.045, 2.042]


def t975(df: int) -> float:
    return _T975[df - 1] if df <= len(_T975) else 1.96


@dataclass
class SeedResult:
    """One training run of one arm, evaluated on the held-out split."""

    seed: int
    loss: float
    metric: float
    ece: float | None
    epochs_run: int
    best_epoch: int
    restored_epoch: int
    stop_reason: str
    stop_message: str
    seconds: float


@dataclass
class ArmResult:
    """One configuration over the seeds.

    ``calibration`` and ``uncertainty`` pool the held-out predictions of every seed that did not
    diverge (classification only; ``None`` otherwise).
    """

    name: str
    config: dict[str, Any]
    runs: list[SeedResult] = field(default_factory=list)
    calibration: Calibration | None = None
    uncertainty: Uncertainty | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ArmResult:
        d = dict(d)
        d["runs"] = [SeedResult(**r) for r in d["runs"]]
        if d.get("calibration") is not None:
            d["calibration"] = Calibration.from_dict(d["calibration"])
        if d.get("uncertainty") is not None:
            d["uncertainty"] = Uncertainty.from_dict(d["uncertainty"])
        return cls(**d)

    def values(self, key: str) -> list[float]:
        return [getattr(r, key) for r in self.runs]

    def mean(self, key: str) -> float:
        vals = [v for v in self.values(key) if v is not None and math.isfinite(v)]
        return statistics.fmean(vals) if vals else math.nan

    def std(self, key: str) -> float:
        vals = [v for v in self.values(key) if v is not None and math.isfinite(v)]
        return statistics.stdev(vals) if len(vals) >= 2 else 0.0


@dataclass
class Comparison:
    """Paired difference recommendation − baseline on one figure, with its 95 % interval.

    ``verdict`` is ``improves``, ``no clear difference`` or ``worse`` (orientation taken from
    ``higher_is_better``).
    """

    figure: str
    higher_is_better: bool
    diffs: list[float]
    mean_diff: float
    ci_low: float
    ci_high: float
    verdict: str


def paired_comparison(figure: str, baseline: list[float], recommended: list[float],
                      higher_is_better: bool) -> Comparison:
    """Mean paired difference with a t interval and a three-way verdict."""
    diffs = [r - b for r, b in zip(recommended, baseline, strict=True)]
    finite = [d for d in diffs if math.isfinite(d)]
    if not finite:
        return Comparison(figure, higher_is_better, diffs, math.nan, math.nan, math.nan,
                          "no clear difference")
    mean = statistics.fmean(finite)
    if len(finite) >= 2:
        half = t975(len(finite) - 1) * statistics.stdev(finite) / math.sqrt(len(finite))
    else:
        half = math.inf
    low, high = mean - half, mean + half
    better_low, better_high = (low, high) if higher_is_better else (-high, -low)
    if better_low > 0:
        verdict = "improves"
    elif better_high < 0:
        verdict = "worse"
    else:
        verdict = "no clear difference"
    return Comparison(figure, higher_is_better, diffs, mean, low, high, verdict)


@dataclass
class Verification:
    """Baseline against recommendation on held-out data.

    Attributes:
        split: ``"test"`` or ``"validation"`` (when the experiment has no test loader).
        seeds: The training seeds, shared by both arms.
        baseline, recommended: The two arms.
        metric, loss: Paired comparisons on the user's metric and on the loss.
        verdict: The verdict on the user's metric (for a loss metric, on the loss).
        keep_baseline: True when the recommendation measured worse: the baseline stays.
        summary: One sentence for the terminal and the report.
        histories: The first seed's learning curves of each arm.
    """

    split: str
    seeds: list[int]
    metric_name: str
    baseline: ArmResult
    recommended: ArmResult
    metric: Comparison
    loss: Comparison
    verdict: str
    keep_baseline: bool
    summary: str
    histories: dict[str, dict] = field(default_factory=dict)
    seconds: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Verification:
        d = dict(d)
        for arm in ("baseline", "recommended"):
            d[arm] = ArmResult.from_dict(d[arm])
        d["metric"] = Comparison(**d["metric"])
        d["loss"] = Comparison(**d["loss"])
        return cls(**d)


@torch.no_grad()
def evaluate_model(model: nn.Module, loader: Any, task: str, device: Any,
                   loss_factory: Callable[[], nn.Module] | None = None,
                   n_bins: int = N_BINS) -> tuple[float, float, float | None]:
    """Loss, metric (accuracy, or the loss for regression) and expected calibration error."""
    classification = task == "classification"
    criterion = loss_factory() if loss_factory is not None else (
        nn.CrossEntropyLoss() if classification else nn.MSELoss())
    if isinstance(criterion, nn.CrossEntropyLoss):
        criterion.label_smoothing = 0.0
    criterion.to(device)
    model.eval()
    total, loss_sum, correct = 0, 0.0, 0
    confidences, hits = [], []
    for inputs, targets in loader:
        inputs, targets = inputs.to(device), targets.to(device)
        out = model(inputs).float()
        loss_sum += float(criterion(out, _align(targets, out, classification))) * len(targets)
        total += len(targets)
        if classification:
            probs = out.softmax(-1)
            conf, pred = probs.max(-1)
            correct += int((pred == targets).sum())
            confidences.append(conf.cpu())
            hits.append((pred == targets).cpu())
    loss = loss_sum / max(total, 1)
    if not classification:
        return loss, loss, None
    conf = torch.cat(confidences)
    hit = torch.cat(hits).float()
    ece = 0.0
    edges = torch.linspace(0, 1, n_bins + 1)
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        mask = (conf > lo) & (conf <= hi)
        if mask.any():
            ece += float(mask.float().mean()) * abs(float(hit[mask].mean() - conf[mask].mean()))
    return loss, correct / max(total, 1), ece


def verify(
    experiment: Experiment,
    baseline: RegConfig,
    recommended: RegConfig,
    *,
    seeds: int = 3,
    seed: int = 0,
    device: Any = "cpu",
    on_run: Callable[[int, int], None] | None = None,
    mc_passes: int = MC_PASSES,
) -> Verification:
    """Train both configurations over ``seeds`` seeds at full length and compare them.

    The baseline is trained as the user trains it (their optimizer, no early stopping, the last
    epoch's weights); the recommendation with its early stopping. For classification, each arm's
    held-out predictions are pooled over the seeds into its calibration and uncertainty.

    Args:
        experiment: The loaded experiment.
        baseline: The user's setup.
        recommended: The configuration to check.
        seeds: Training seeds per arm (K); seed k is ``seed + 100·k`` for both arms.
        seed: The first seed.
        device: Where to train.
        on_run: Called as ``on_run(done, total)`` after each training run.
        mc_passes: T, stochastic forward passes of MC dropout for models with dropout.
    """
    import time

    started = time.perf_counter()
    loader = experiment.test_loader or experiment.val_loader
    split = "test" if experiment.test_loader is not None else "validation"
    seed_list = [seed + 100 * k for k in range(seeds)]
    arms = {"baseline": ArmResult("your setup", baseline.to_dict()),
            "recommended": ArmResult("recommendation", recommended.to_dict())}
    histories: dict[str, dict] = {}
    predictions: dict[str, list[Predictions]] = {"baseline": [], "recommended": []}
    classification = experiment.task == "classification"
    total, done = 2 * seeds, 0
    for s in seed_list:
        for key, config in (("baseline", baseline), ("recommended", recommended)):
            t0 = time.perf_counter()
            result = train(experiment.model_factory, experiment.train_loader,
                           experiment.val_loader, config.replace(seed=s), task=experiment.task,
                           loss_factory=experiment.loss_factory, device=device,
                           # Only the first seed's curves are kept (and plotted).
                           train_figures=key not in histories)
            h: History = result.history
            if h.diverged:
                worst = 0.0 if experiment.higher_is_better else math.inf
                loss, metric, ece = math.inf, worst, None
            else:
                loss, metric, ece = evaluate_model(result.model, loader, experiment.task, device,
                                                   experiment.loss_factory)
                if classification:
                    predictions[key].append(predict(result.model, loader, device,
                                                    passes=mc_passes, seed=s))
            arms[key].runs.append(SeedResult(
                seed=s, loss=loss, metric=metric, ece=ece, epochs_run=h.epochs_run,
                best_epoch=h.best_epoch, restored_epoch=h.restored_epoch,
                stop_reason=h.stop_reason.value, stop_message=h.stop_message,
                seconds=time.perf_counter() - t0))
            if key not in histories:
                histories[key] = h.to_dict()
            done += 1
            if on_run is not None:
                on_run(done, total)
    for key, arm in arms.items():
        arm.calibration = calibration(predictions[key])
        arm.uncertainty = uncertainty(predictions[key])
    higher = experiment.higher_is_better
    base, rec = arms["baseline"], arms["recommended"]
    metric_cmp = paired_comparison(experiment.metric, base.values("metric"),
                                   rec.values("metric"), higher)
    loss_cmp = paired_comparison("loss", base.values("loss"), rec.values("loss"), False)
    verdict = metric_cmp.verdict
    keep = verdict == "worse"
    summary = _summary(experiment.metric, split, seeds, base, rec, metric_cmp, loss_cmp, keep)
    return Verification(split=split, seeds=seed_list, metric_name=experiment.metric,
                        baseline=base, recommended=rec, metric=metric_cmp, loss=loss_cmp,
                        verdict=verdict, keep_baseline=keep, summary=summary,
                        histories=histories, seconds=time.perf_counter() - started)


def _fmt(metric: str, v: float) -> str:
    return f"{v:.1%}" if metric == "accuracy" else f"{v:.4f}"


def _summary(metric: str, split: str, seeds: int, base: ArmResult, rec: ArmResult,
             m: Comparison, loss: Comparison, keep: bool) -> str:
    unit = " points" if metric == "accuracy" else ""
    scale = 100 if metric == "accuracy" else 1
    text = (f"On the {split} set over {seeds} seeds, {metric} went from "
            f"{_fmt(metric, base.mean('metric'))} to {_fmt(metric, rec.mean('metric'))} "
            f"(paired difference {m.mean_diff * scale:+.2f}{unit}, 95 % interval "
            f"[{m.ci_low * scale:+.2f}, {m.ci_high * scale:+.2f}]): {m.verdict}.")
    if metric == "accuracy":
        text += (f" Test loss went from {base.mean('loss'):.4f} to {rec.mean('loss'):.4f} "
                 f"({loss.verdict}).")
    if keep:
        text += " The recommendation measured worse than your setup, so regadvisor keeps your " \
                "setup."
    return text
