"""A trained model measured on held-out data in one pass: loss, metric, calibration and the
per-sample figures the paired comparison needs."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from regadvisor.training.batch import BatchFn, forward, split_batch, to_device
from regadvisor.training.evaluation import align_targets, class_labels
from regadvisor.verification.calibration import (
    PredictionBuffer,
    Predictions,
    ece,
    has_dropout,
    mc_mean,
)

__all__ = ["HeldOut", "evaluate_model"]


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
        temperature: T fitted on the validation set for this model, once measured.
        scaled: ``predictions`` with the logits divided by ``temperature``.
    """

    loss: float
    metric: float
    ece: float | None
    sample_loss: torch.Tensor | None
    sample_correct: torch.Tensor | None
    predictions: Predictions | None
    temperature: float | None = None
    scaled: Predictions | None = None


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
                   mc_passes: int = 1, seed: int = 0, batch_fn: BatchFn | None = None) -> HeldOut:
    """Loss, metric, calibration and per-sample figures of a trained model, in one pass.

    For classification each batch also gets ``mc_passes`` stochastic passes with only the
    dropout modules active (MC dropout; see :mod:`regadvisor.verification.calibration`), drawn
    from a fork of the random state seeded with ``seed``. ``batch_fn`` is the experiment's
    ``batch(b)`` (see :mod:`regadvisor.training.batch`).
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
            for batch in loader:
                inputs, targets = split_batch(batch, batch_fn)
                inputs, targets = to_device(inputs, device), targets.to(device)
                out = forward(model, inputs).float()
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
                    buffer.add(probs, mc_mean(model, inputs, probs, mc_passes), targets, out)
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
