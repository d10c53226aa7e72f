"""Eval-mode figures of a model: the mean loss and metric, and the target helpers they share with
the training step."""

from __future__ import annotations

import math
from collections.abc import Iterator

import torch
from torch import nn

from regadvisor.training.batch import forward

__all__ = ["align_targets", "class_labels", "evaluate"]


def class_labels(targets: torch.Tensor) -> torch.Tensor:
    """Class indices: the targets themselves, or the most probable class of soft labels (class
    probabilities of shape ``(N, C)``, which ``nn.CrossEntropyLoss`` accepts)."""
    if targets.is_floating_point() and targets.ndim > 1:
        return targets.argmax(dim=-1)
    return targets


def align_targets(targets: torch.Tensor, outputs: torch.Tensor,
                  classification: bool) -> torch.Tensor:
    """Regression targets of shape (N,) against outputs (N, 1): view them alike."""
    if not classification and targets.shape != outputs.shape \
            and targets.numel() == outputs.numel():
        return targets.view(outputs.shape).to(outputs.dtype)
    return targets


@torch.no_grad()
def evaluate(model: nn.Module, batches: Iterator, criterion: nn.Module, classification: bool,
             autocast) -> tuple[float, float]:
    """Mean loss and metric (accuracy, or the loss for regression) in eval mode."""
    model.eval()
    loss_sum = None
    correct = None
    n = 0
    for inputs, targets in batches:
        with autocast:
            outputs = forward(model, inputs)
        outputs = outputs.float()
        batch_loss = criterion(outputs, align_targets(targets, outputs, classification)).detach() \
            * targets.shape[0]
        loss_sum = batch_loss if loss_sum is None else loss_sum + batch_loss
        if classification:
            hits = (outputs.argmax(dim=-1) == class_labels(targets)).sum()
            correct = hits if correct is None else correct + hits
        n += targets.shape[0]
    if loss_sum is None:
        return math.nan, math.nan
    values = torch.stack([loss_sum.double(), (correct if correct is not None
                                               else loss_sum).double()]).tolist()
    loss = values[0] / n
    return loss, (values[1] / n if classification else loss)
