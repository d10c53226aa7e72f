"""Retrain the baseline and the recommendation over K seeds and compare them on held-out data.

The comparison is paired: seed k trains both arms from the same initialisation seed, so the
per-seed differences remove much of the seed-to-seed noise. The 95 % interval of the mean
difference combines Student's t with K − 1 degrees of freedom over the seeds and the sampling
noise of the held-out set (from the per-sample differences), which no number of seeds shows.

For classification each arm also carries its calibration (reliability bins and ECE) and its
predictive entropy (MC dropout when the trained model has dropout), pooled over the seeds; see
:mod:`regadvisor.verification.calibration`.
"""

from __future__ import annotations

import dataclasses
import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from regadvisor.experiment import Experiment
from regadvisor.training import History, RegConfig, train
from regadvisor.training.loop import align_targets, class_labels
from regadvisor.verification.calibration import (
    MC_PASSES,
    Calibration,
    PredictionBuffer,
    Predictions,
    Uncertainty,
    calibration,
    ece,
    has_dropout,
    mc_mean,
    uncertainty,
)

__all__ = ["ArmResult", "Comparison", "HeldOut", "SeedResult", "Verification", "evaluate_model",
           "format_difference", "paired_comparison", "t975", "verify"]

#: The two-sided 95 % normal quantile, for the held-out set's sampling noise.
Z975 = 1.959963984540054


def t975(df: int) -> float:
    """The 97.5 % quantile of Student's t with ``df`` degrees of freedom."""
    from scipy.stats import t

    return float(t.ppf(0.975, df))


def format_difference(value: float, metric: str) -> str:
    """A paired difference as the report and the terminal show it: accuracy in points with two
    decimals (``+9.52 points``), a loss with four (``-0.0071``)."""
    if not math.isfinite(value):
        return "n/a"
    if metric == "accuracy":
        return f"{value * 100:+.2f} points"
    return f"{value:+.4f}"


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

    The interval has two sources of noise: the training seeds (Student's t over the per-seed
    differences) and the held-out set itself (both arms are measured on the same samples, so
    the seeds cannot show how much a different held-out set would change the difference; its
    standard error comes from the per-sample differences). ``verdict`` is ``improves``,
    ``no clear difference`` or ``worse`` (orientation taken from ``higher_is_better``).

    Attributes:
        sample_noise: Standard error of the mean difference from the held-out samples (``None``
            when the per-sample figures are not known).
    """

    figure: str
    higher_is_better: bool
    diffs: list[float]
    mean_diff: float
    ci_low: float
    ci_high: float
    verdict: str
    sample_noise: float | None = None


def paired_comparison(figure: str, baseline: list[float], recommended: list[float],
                      higher_is_better: bool,
                      sample_diffs: Sequence[float] | None = None) -> Comparison:
    """Mean paired difference with its 95 % interval and a three-way verdict.

    Args:
        figure: What is compared (for the record).
        baseline, recommended: The figure per seed, paired by seed.
        higher_is_better: Orientation of the figure.
        sample_diffs: Per held-out sample, the difference recommendation − baseline averaged
            over the seeds; its spread adds the held-out set's sampling noise to the interval.
    """
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
    noise = None
    samples = [d for d in sample_diffs or () if math.isfinite(d)]
    if len(samples) >= 2 and len(samples) == len(sample_diffs or ()):
        noise = statistics.stdev(samples) / math.sqrt(len(samples))
        half = math.sqrt(half ** 2 + (Z975 * noise) ** 2)
    low, high = mean - half, mean + half
    better_low, better_high = (low, high) if higher_is_better else (-high, -low)
    if better_low > 0:
        verdict = "improves"
    elif better_high < 0:
        verdict = "worse"
    else:
        verdict = "no clear difference"
    return Comparison(figure, higher_is_better, diffs, mean, low, high, verdict, noise)


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
        warnings: What makes the comparison less certain than its interval suggests (few
            seeds, a small held-out set), in sentences.
        flags: What the recommendation made worse beside the metric, in sentences for the
            verdict box: a held-out loss far above the user's on some seed (over-confident
            predictions), a worse calibration.
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
    warnings: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
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


@dataclass
class HeldOut:
    """One trained model measured on held-out data, in one pass.

    Attributes:
        loss: Mean loss (no label smoothing).
        metric: Accuracy for classification, the loss for regression.
        ece: Expected calibration error (classification).
        sample_loss: Per-sample loss, shape ``(N,)`` (``None`` when the loss module cannot give
            one).
        sample_correct: Per-sample correctness, shape ``(N,)`` (classification).
        predictions: Confidence, correctness and predictive entropy (classification).
    """

    loss: float
    metric: float
    ece: float | None
    sample_loss: torch.Tensor | None
    sample_correct: torch.Tensor | None
    predictions: Predictions | None


def _criterion(loss_factory: Callable[[], nn.Module] | None,
               classification: bool) -> tuple[nn.Module, bool]:
    """The evaluation loss with per-sample results where the module allows it."""
    criterion = loss_factory() if loss_factory is not None else (
        nn.CrossEntropyLoss() if classification else nn.MSELoss())
    if isinstance(criterion, nn.CrossEntropyLoss):
        criterion.label_smoothing = 0.0
    per_sample = isinstance(getattr(criterion, "reduction", None), str)
    if per_sample:
        criterion.reduction = "none"
    return criterion, per_sample


@torch.no_grad()
def evaluate_model(model: nn.Module, loader: Any, task: str, device: Any,
                   loss_factory: Callable[[], nn.Module] | None = None, *,
                   mc_passes: int = 1, seed: int = 0) -> HeldOut:
    """Loss, metric, calibration and per-sample figures of a trained model, in one pass.

    For classification each batch also gets ``mc_passes`` stochastic passes with only the
    dropout modules active (MC dropout; see :mod:`regadvisor.verification.calibration`), drawn
    from a fork of the random state seeded with ``seed``.
    """
    classification = task == "classification"
    device = torch.device(device)
    criterion, per_sample = _criterion(loss_factory, classification)
    criterion.to(device)
    modes = {m: m.training for m in model.modules()}
    model.eval()
    losses, hits = [], []
    loss_sum, total = 0.0, 0
    buffer = PredictionBuffer()
    try:
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            for inputs, targets in loader:
                inputs, targets = inputs.to(device), targets.to(device)
                out = model(inputs).float()
                value = criterion(out, align_targets(targets, out, classification))
                if per_sample:
                    value = value.reshape(targets.shape[0], -1).mean(1) if value.ndim else \
                        value.expand(targets.shape[0])
                    losses.append(value.double().cpu())
                else:
                    loss_sum += float(value) * len(targets)
                total += len(targets)
                if classification:
                    probs = out.softmax(-1)
                    hits.append((probs.argmax(-1) == class_labels(targets)).cpu())
                    buffer.add(probs, mc_mean(model, inputs, probs, mc_passes), targets)
    finally:
        for m, training in modes.items():
            m.train(training)
    sample_loss = torch.cat(losses) if losses else None
    loss = float(sample_loss.mean()) if sample_loss is not None and sample_loss.numel() else (
        loss_sum / max(total, 1))
    if not classification:
        return HeldOut(loss, loss, None, sample_loss, None, None)
    correct = torch.cat(hits) if hits else torch.empty(0, dtype=torch.bool)
    predictions = buffer.result(has_dropout(model) and mc_passes > 1, mc_passes)
    return HeldOut(loss, float(correct.double().mean()) if correct.numel() else math.nan,
                   ece(predictions), sample_loss, correct, predictions)


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
    reuse: dict[int, tuple[History, nn.Module]] | None = None,
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
        reuse: ``seed -> (History, model)`` of runs of the baseline already trained at full
            length with that seed (the diagnosis'); they are measured instead of trained again.
    """
    import time

    started = time.perf_counter()
    loader = experiment.test_loader or experiment.val_loader
    split = "test" if experiment.test_loader is not None else "validation"
    seed_list = [seed + 100 * k for k in range(seeds)]
    arms = {"baseline": ArmResult("your setup", baseline.to_dict()),
            "recommended": ArmResult("recommendation", recommended.to_dict())}
    histories: dict[str, dict] = {}
    held: dict[str, list[HeldOut | None]] = {"baseline": [], "recommended": []}
    total, done = 2 * seeds, 0
    for s in seed_list:
        for key, config in (("baseline", baseline), ("recommended", recommended)):
            t0 = time.perf_counter()
            if key == "baseline" and s in (reuse or {}):
                h, model = reuse[s]
            else:
                result = train(experiment.model_factory, experiment.train_loader,
                               experiment.val_loader, config.replace(seed=s),
                               task=experiment.task, loss_factory=experiment.loss_factory,
                               device=device,
                               # Only the first seed's curves are kept (and plotted).
                               train_figures=key not in histories)
                h, model = result.history, result.model
            if h.diverged:
                worst = 0.0 if experiment.higher_is_better else math.inf
                measured = None
                loss, metric, seed_ece = math.inf, worst, None
            else:
                measured = evaluate_model(model, loader, experiment.task, device,
                                          experiment.loss_factory, mc_passes=mc_passes, seed=s)
                loss, metric, seed_ece = measured.loss, measured.metric, measured.ece
            held[key].append(measured)
            arms[key].runs.append(SeedResult(
                seed=s, loss=loss, metric=metric, ece=seed_ece, epochs_run=h.epochs_run,
                best_epoch=h.best_epoch, restored_epoch=h.restored_epoch,
                stop_reason=h.stop_reason.value, stop_message=h.stop_message,
                seconds=time.perf_counter() - t0))
            if key not in histories:
                histories[key] = h.to_dict()
            done += 1
            if on_run is not None:
                on_run(done, total)
    for key, arm in arms.items():
        preds = [m.predictions for m in held[key] if m is not None and m.predictions is not None]
        arm.calibration = calibration(preds)
        arm.uncertainty = uncertainty(preds)
    higher = experiment.higher_is_better
    base, rec = arms["baseline"], arms["recommended"]
    per_sample = {"loss": _sample_diffs(held, "sample_loss"),
                  "accuracy": _sample_diffs(held, "sample_correct")}
    metric_cmp = paired_comparison(experiment.metric, base.values("metric"),
                                   rec.values("metric"), higher, per_sample[experiment.metric])
    loss_cmp = paired_comparison("loss", base.values("loss"), rec.values("loss"), False,
                                 per_sample["loss"])
    verdict = metric_cmp.verdict
    keep = _keep_baseline(metric_cmp, loss_cmp)
    n_held = next((len(m.sample_loss) for arm in held.values() for m in arm
                   if m is not None and m.sample_loss is not None), None)
    summary = _summary(experiment.metric, split, seeds, base, rec, metric_cmp, loss_cmp, keep)
    return Verification(split=split, seeds=seed_list, metric_name=experiment.metric,
                        baseline=base, recommended=rec, metric=metric_cmp, loss=loss_cmp,
                        verdict=verdict, keep_baseline=keep, summary=summary,
                        warnings=_warnings(seeds, split, n_held, experiment.metric),
                        flags=_flags(base, rec, split, experiment.metric),
                        histories=histories, seconds=time.perf_counter() - started)


def _keep_baseline(metric: Comparison, loss: Comparison) -> bool:
    """Keep the user's setup when the recommendation measured worse on the user's metric: worse
    by the interval, or lower in the mean (a change that did not measure better is not pushed),
    or equal on the metric and worse on the loss."""
    if metric.verdict == "worse" or not math.isfinite(metric.mean_diff):
        return metric.verdict == "worse"
    gain = metric.mean_diff if metric.higher_is_better else -metric.mean_diff
    return gain < 0 or (gain == 0 and loss.verdict == "worse")


#: The recommendation's held-out loss above this multiple of the user's (on the mean or on one
#: seed) is flagged: its predictions have become over-confident where they are wrong.
LOSS_FLAG_RATIO = 1.5
#: A worse expected calibration error by more than this is flagged.
ECE_FLAG = 0.05


def _flags(base: ArmResult, rec: ArmResult, split: str, metric: str) -> list[str]:
    """What the recommendation made worse beside the metric, for the verdict box."""
    out = []
    if metric == "accuracy":
        worst = None
        for b, r in zip(base.runs, rec.runs, strict=True):
            if math.isfinite(b.loss) and b.loss > 0:
                ratio = r.loss / b.loss if math.isfinite(r.loss) else math.inf
                if worst is None or ratio > worst[0]:
                    worst = (ratio, b, r)
        if worst is not None and worst[0] > LOSS_FLAG_RATIO:
            ratio, b, r = worst
            times = "an infinite multiple" if not math.isfinite(ratio) else f"{ratio:.1f}×"
            out.append(f"Loss: on seed {r.seed} the recommendation's {split} loss is {times} your "
                       f"setup's ({r.loss:.4g} against {b.loss:.4g}; means "
                       f"{rec.mean('loss'):.4g} against {base.mean('loss'):.4g}): it is "
                       "over-confident where it is wrong, even where its accuracy is higher.")
    before, after = _pooled_ece(base), _pooled_ece(rec)
    if before is not None and after is not None and after - before > ECE_FLAG:
        out.append(f"Calibration: the recommendation's expected calibration error on the {split} "
                   f"set is {after:.3f} against {before:.3f} for your setup "
                   f"(+{after - before:.3f}): its confidence is a worse guide to how often it is "
                   "right.")
    return out


def _pooled_ece(arm: ArmResult) -> float | None:
    if arm.calibration is not None:
        return arm.calibration.ece
    values = [r.ece for r in arm.runs if r.ece is not None]
    return statistics.fmean(values) if values else None


def _sample_diffs(held: dict[str, list[HeldOut | None]], field_name: str) -> list[float] | None:
    """Per held-out sample: recommendation − baseline, averaged over the seeds (``None`` when a
    run diverged or the figure has no per-sample values)."""
    pairs = list(zip(held["baseline"], held["recommended"], strict=True))
    values = [(getattr(b, field_name, None), getattr(r, field_name, None)) for b, r in pairs]
    if not values or any(b is None or r is None or b.shape != r.shape for b, r in values):
        return None
    diffs = torch.stack([r.double() - b.double() for b, r in values]).mean(0)
    return diffs.tolist() if bool(torch.isfinite(diffs).all()) else None


#: Held-out sets smaller than this get a warning: each sample moves accuracy by over a point.
SMALL_HELD_OUT = 100


def _warnings(seeds: int, split: str, n_held: int | None, metric: str) -> list[str]:
    out = []
    if seeds < 3:
        out.append(f"Only {seeds} seeds: the interval rests on {seeds - 1} degree"
                   f"{'s' if seeds != 2 else ''} of freedom (t = {t975(seeds - 1):.1f}), so it "
                   "is wide and one unusual seed decides the verdict. Use --seeds 3 or more.")
    if n_held is not None and n_held < SMALL_HELD_OUT:
        step = (f": one sample moves {metric} by {100 / n_held:.1f} points"
                if metric == "accuracy" else "")
        out.append(f"The {split} set has only {n_held} samples{step}. The interval includes its "
                   f"sampling noise, but a larger {split} set would say more.")
    return out


def _fmt(metric: str, v: float) -> str:
    return f"{v:.1%}" if metric == "accuracy" else f"{v:.4f}"


def _summary(metric: str, split: str, seeds: int, base: ArmResult, rec: ArmResult,
             m: Comparison, loss: Comparison, keep: bool) -> str:
    text = (f"On the {split} set over {seeds} seeds, {metric} went from "
            f"{_fmt(metric, base.mean('metric'))} to {_fmt(metric, rec.mean('metric'))} "
            f"(paired difference {format_difference(m.mean_diff, metric)}, 95 % interval "
            f"[{format_difference(m.ci_low, metric).replace(' points', '')}, "
            f"{format_difference(m.ci_high, metric).replace(' points', '')}]): {m.verdict}.")
    if metric == "accuracy":
        text += (f" {split.capitalize()} loss went from {base.mean('loss'):.4f} to "
                 f"{rec.mean('loss'):.4f} ({loss.verdict}).")
    if keep:
        how = "worse than" if m.verdict == "worse" else "no better than"
        text += f" The recommendation measured {how} your setup, so regadvisor keeps your setup."
    return text
