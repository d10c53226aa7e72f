"""Calibration and predictive uncertainty of a trained classifier on held-out data.

Two measurements, both pooled over the verification seeds of one configuration:

- **Reliability**: the predictions are put in equal-width bins of confidence (the top softmax
  probability); per bin, the mean confidence against the accuracy. The expected calibration
  error (ECE) is the count-weighted mean of ``|accuracy − confidence|`` over the bins: 0 for a
  perfectly calibrated model, up to 1.
- **Predictive entropy** ``H = −Σ_c p̄_c · ln p̄_c`` (in nats, at most ``ln C`` for C classes) of
  the mean prediction ``p̄`` over T stochastic forward passes with the dropout modules active
  and everything else (BatchNorm included) in eval mode: Monte Carlo dropout. A model without
  dropout gives the same prediction every pass, so one pass is made and the entropy is that of
  its softmax. A useful uncertainty is higher on the wrong predictions than on the right ones.

**Temperature scaling** (Guo et al., 2017, "On Calibration of Modern Neural Networks"): one
scalar T > 0 divides the logits, ``softmax(z / T)``; it is fitted on the validation set by
minimizing the negative log-likelihood, and changes no prediction's class (accuracy stays),
only its confidence. T > 1 softens an over-confident model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from regadvisor.training.batch import BatchFn, forward, split_batch, to_device
from regadvisor.training.dropout import DROPOUT_TYPES

__all__ = ["MC_PASSES", "N_BINS", "Calibration", "PredictionBuffer", "Predictions",
           "ReliabilityBin", "TemperatureScaling", "Uncertainty", "calibration", "ece",
           "fit_temperature", "has_dropout", "mc_mean", "predict", "scaled", "uncertainty"]

#: Confidence bins of the reliability diagram and of the ECE.
N_BINS = 15
#: Stochastic forward passes of MC dropout.
MC_PASSES = 20


@dataclass
class ReliabilityBin:
    """One confidence bin ``(low, high]``: how many predictions, how confident, how right.

    ``confidence`` and ``accuracy`` are ``None`` for an empty bin.
    """

    low: float
    high: float
    count: int
    confidence: float | None
    accuracy: float | None


@dataclass
class Calibration:
    """Reliability-diagram data and the expected calibration error, pooled over seeds.

    Attributes:
        n_bins: Equal-width confidence bins on [0, 1].
        bins: One entry per bin, in order.
        ece: Expected calibration error of the pooled predictions (0 to 1); each seed's own
            ECE is in its ``SeedResult``.
        n_samples: Predictions pooled (held-out samples × seeds).
    """

    n_bins: int
    bins: list[ReliabilityBin]
    ece: float
    n_samples: int = 0

@dataclass
class TemperatureScaling:
    """One arm's temperature scaling: T fitted on the validation set for each seed's model, and
    the arm's expected calibration error on the held-out split before and after dividing its
    logits by that seed's T (pooled over the seeds, as :class:`Calibration` pools).

    Attributes:
        temperatures: T per seed, in the order of the seeds (T > 1 softens, T < 1 sharpens).
        ece_before, ece_after: ECE (0 to 1) without and with the scaling.
        fitted_on: ``"validation"``. When the held-out split is the validation set too (no test
            loader), ``ece_after`` is measured on the data T was fitted on.
    """

    temperatures: list[float]
    ece_before: float | None
    ece_after: float | None
    fitted_on: str = "validation"


@dataclass
class Uncertainty:
    """Predictive entropy on held-out data, pooled over seeds (entropies in nats).

    Attributes:
        mc_dropout: True when the model has active dropout and ``passes`` stochastic passes were
            averaged; False for one deterministic pass (no dropout).
        passes: Forward passes per sample (T).
        max_entropy: ``ln C``, the entropy of a uniform prediction over C classes.
        mean_entropy: Mean over all samples.
        entropy_correct, entropy_wrong: Mean over the samples whose averaged prediction is right,
            and wrong (``None`` when there are none).
        n_correct, n_wrong: How many of each.
        accuracy: Accuracy of the averaged prediction.
    """

    mc_dropout: bool
    passes: int
    max_entropy: float
    mean_entropy: float
    entropy_correct: float | None
    entropy_wrong: float | None
    n_correct: int
    n_wrong: int
    accuracy: float

@dataclass
class Predictions:
    """One model's predictions on held-out data: what calibration and uncertainty pool."""

    confidence: torch.Tensor   # (N,) top probability of the deterministic (eval-mode) pass
    correct: torch.Tensor      # (N,) bool, deterministic pass right
    entropy: torch.Tensor      # (N,) predictive entropy, nats (MC-dropout mean when mc_dropout)
    mc_correct: torch.Tensor   # (N,) bool, averaged prediction right
    mc_dropout: bool
    passes: int
    n_classes: int
    logits: torch.Tensor | None = None  # (N, C) of the deterministic pass, for temperature
    labels: torch.Tensor | None = None  # (N,) class indices


def has_dropout(model: nn.Module) -> bool:
    """Whether ``model`` holds a dropout module with ``p > 0``."""
    return any(isinstance(m, DROPOUT_TYPES) and m.p > 0 for m in model.modules())


def _entropy(probs: torch.Tensor) -> torch.Tensor:
    return -(probs * probs.clamp_min(1e-12).log()).sum(-1)


class PredictionBuffer:
    """Per-batch predictions collected into one :class:`Predictions`."""

    def __init__(self) -> None:
        self.confs: list[torch.Tensor] = []
        self.hits: list[torch.Tensor] = []
        self.ents: list[torch.Tensor] = []
        self.mc_hits: list[torch.Tensor] = []
        self.logits: list[torch.Tensor] = []
        self.labels: list[torch.Tensor] = []
        self.n_classes = 0

    def add(self, probs: torch.Tensor, mean: torch.Tensor, targets: torch.Tensor,
            logits: torch.Tensor | None = None) -> None:
        """One batch: the eval-mode probabilities and the (MC-averaged) mean prediction, and
        the logits the probabilities came from (kept for temperature scaling)."""
        from regadvisor.training.loop import class_labels

        targets = class_labels(targets)
        if logits is not None:
            self.logits.append(logits.detach().float().cpu())
            self.labels.append(targets.cpu())
        self.n_classes = probs.shape[-1]
        conf, pred = probs.max(-1)
        self.confs.append(conf.cpu())
        self.hits.append((pred == targets).cpu())
        self.ents.append(_entropy(mean).cpu())
        self.mc_hits.append((mean.argmax(-1) == targets).cpu())

    def result(self, stochastic: bool, passes: int) -> Predictions:
        empty = torch.empty(0)
        return Predictions(
            confidence=torch.cat(self.confs) if self.confs else empty,
            correct=torch.cat(self.hits) if self.hits else empty.bool(),
            entropy=torch.cat(self.ents) if self.ents else empty,
            mc_correct=torch.cat(self.mc_hits) if self.mc_hits else empty.bool(),
            mc_dropout=stochastic,
            passes=passes if stochastic else 1,
            n_classes=self.n_classes,
            logits=torch.cat(self.logits) if self.logits else None,
            labels=torch.cat(self.labels) if self.labels else None,
        )


def mc_mean(model: nn.Module, inputs: Any, probs: torch.Tensor, passes: int) -> torch.Tensor:
    """The mean softmax of ``passes`` forward passes with only the dropout modules active.

    ``probs`` (the eval-mode prediction) is returned as it is when the model has no active
    dropout or ``passes`` is 1. The modules' modes are left as they were found.
    """
    if passes <= 1 or not has_dropout(model):
        return probs
    modes = {m: m.training for m in model.modules()}
    try:
        for m in model.modules():
            if isinstance(m, DROPOUT_TYPES):
                m.train()
        return torch.stack([forward(model, inputs).float().softmax(-1)
                            for _ in range(passes)]).mean(0)
    finally:
        for m, training in modes.items():
            m.train(training)


@torch.no_grad()
def predict(model: nn.Module, loader: Any, device: Any, passes: int = MC_PASSES,
            seed: int = 0, batch_fn: BatchFn | None = None) -> Predictions:
    """Eval-mode predictions, plus MC-dropout predictions when the model has dropout.

    Only the dropout modules are put in training mode for the stochastic passes; BatchNorm and
    everything else stay in eval mode, so no running statistics change. The modes are restored
    afterwards and the global random state is left as it was (the passes draw from a fork of it
    seeded with ``seed``).

    Args:
        model: A trained classifier returning logits of shape ``(N, C)``.
        loader: Held-out batches ``(inputs, targets)``.
        device: Where the model is.
        passes: T, stochastic passes per batch when the model has dropout.
        seed: Seed of the dropout masks.
        batch_fn: The experiment's ``batch(b)`` (see :mod:`regadvisor.training.batch`).
    """
    if passes < 1:
        raise ValueError(f"The number of MC-dropout passes must be >= 1, but got passes={passes}.")
    device = torch.device(device)
    stochastic = has_dropout(model) and passes > 1
    modes = {m: m.training for m in model.modules()}
    buffer = PredictionBuffer()
    try:
        with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
            torch.manual_seed(seed)
            model.eval()
            for batch in loader:
                inputs, targets = split_batch(batch, batch_fn)
                inputs, targets = to_device(inputs, device), targets.to(device)
                logits = forward(model, inputs).float()
                probs = logits.softmax(-1)
                buffer.add(probs, mc_mean(model, inputs, probs, passes), targets, logits)
    finally:
        for m, training in modes.items():
            m.train(training)
    return buffer.result(stochastic, passes)


def _bins(confidence: torch.Tensor, correct: torch.Tensor,
          n_bins: int) -> tuple[list[ReliabilityBin], float]:
    edges = torch.linspace(0, 1, n_bins + 1, dtype=torch.float64).tolist()
    conf = confidence.double()
    hit = correct.double()
    n = conf.numel()
    bins, ece = [], 0.0
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        mask = (conf > lo) & (conf <= hi)
        count = int(mask.sum())
        if count:
            c, a = float(conf[mask].mean()), float(hit[mask].mean())
            ece += count / n * abs(a - c)
            bins.append(ReliabilityBin(lo, hi, count, c, a))
        else:
            bins.append(ReliabilityBin(lo, hi, 0, None, None))
    return bins, ece


def ece(predictions: Predictions, n_bins: int = N_BINS) -> float | None:
    """The expected calibration error of one model's predictions (``None`` without any)."""
    if not predictions.confidence.numel():
        return None
    return _bins(predictions.confidence, predictions.correct, n_bins)[1]


def calibration(predictions: Sequence[Predictions], n_bins: int = N_BINS) -> Calibration | None:
    """Pool the seeds' predictions into reliability bins and an ECE.

    Returns:
        ``None`` when there are no predictions.
    """
    preds = [p for p in predictions if p.confidence.numel()]
    if not preds:
        return None
    bins, ece = _bins(torch.cat([p.confidence for p in preds]),
                      torch.cat([p.correct for p in preds]), n_bins)
    return Calibration(n_bins=n_bins, bins=bins, ece=ece,
                       n_samples=sum(p.confidence.numel() for p in preds))


def uncertainty(predictions: Sequence[Predictions]) -> Uncertainty | None:
    """Pool the seeds' predictive entropies; ``None`` when there are no predictions."""
    preds = [p for p in predictions if p.entropy.numel()]
    if not preds:
        return None
    ent = torch.cat([p.entropy for p in preds]).double()
    ok = torch.cat([p.mc_correct for p in preds])

    def mean(t: torch.Tensor) -> float | None:
        return float(t.mean()) if t.numel() else None

    return Uncertainty(
        mc_dropout=all(p.mc_dropout for p in preds),
        passes=min(p.passes for p in preds),
        max_entropy=math.log(max(preds[0].n_classes, 1)),
        mean_entropy=float(ent.mean()),
        entropy_correct=mean(ent[ok]),
        entropy_wrong=mean(ent[~ok]),
        n_correct=int(ok.sum()),
        n_wrong=int((~ok).sum()),
        accuracy=float(ok.double().mean()),
    )


#: The range searched for T (the optimum of a sane model lies far inside it).
T_RANGE = (0.05, 20.0)


@torch.no_grad()
def fit_temperature(logits: torch.Tensor, labels: torch.Tensor) -> float:
    """The temperature T that minimizes the mean negative log-likelihood of
    ``softmax(logits / T)`` on ``labels``: temperature scaling, fitted on validation data.

    The NLL is convex in 1/T, so a golden-section search over log T in :data:`T_RANGE` finds
    the optimum (to about 1e-6 relative) without a step size to tune.

    Args:
        logits: ``(N, C)`` logits of a trained classifier (eval mode).
        labels: ``(N,)`` class indices.

    Returns:
        T > 0; 1.0 when there is nothing to fit (no samples).
    """
    if not logits.numel():
        return 1.0
    z = logits.double()
    y = labels.long()

    def nll(log_t: float) -> float:
        return float(torch.nn.functional.cross_entropy(z / math.exp(log_t), y))

    lo, hi = math.log(T_RANGE[0]), math.log(T_RANGE[1])
    ratio = (math.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = nll(a), nll(b)
    for _ in range(60):
        if fa <= fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = nll(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = nll(b)
    return math.exp((lo + hi) / 2)


def scaled(predictions: Predictions, temperature: float) -> Predictions | None:
    """The predictions with their logits divided by ``temperature``: the confidences change,
    the predicted classes (and so ``correct``) do not. ``None`` without logits."""
    if predictions.logits is None or predictions.labels is None:
        return None
    probs = (predictions.logits.double() / temperature).softmax(-1)
    confidence, pred = probs.max(-1)
    return Predictions(confidence=confidence.float(), correct=pred == predictions.labels,
                       entropy=_entropy(probs).float(), mc_correct=pred == predictions.labels,
                       mc_dropout=False, passes=1, n_classes=predictions.n_classes,
                       logits=predictions.logits / temperature, labels=predictions.labels)
