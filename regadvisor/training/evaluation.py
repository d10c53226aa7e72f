"""Eval-mode figures of a model: the mean loss and metric, and the target helpers they share with
the training step."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import torch
from torch import nn

from regadvisor.training.batch import forward

__all__ = ["SHORT_LABELS", "align_targets", "class_labels", "evaluate"]


def class_labels(targets: torch.Tensor) -> torch.Tensor:
    """Class indices: the targets themselves, or the most probable class of soft labels (class
    probabilities of shape ``(N, C)``, which ``nn.CrossEntropyLoss`` accepts)."""
    if targets.is_floating_point() and targets.ndim > 1:
        return targets.argmax(dim=-1)
    return targets


#: Class labels of these types are cast to ``torch.long``, the class indices that
#: ``nn.CrossEntropyLoss`` and ``nn.NLLLoss`` take (int32 comes from NumPy on some systems,
#: bool from a comparison such as ``y > 0``).
SHORT_LABELS = (torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32)


def align_targets(targets: torch.Tensor, outputs: torch.Tensor,
                  classification: bool) -> torch.Tensor:
    """The targets as the loss takes them: class labels of a :data:`SHORT_LABELS` type (one per
    sample, against one logit per class) as ``torch.long``; regression targets of shape (N,)
    against outputs (N, 1) viewed alike."""
    if classification:
        if targets.dtype in SHORT_LABELS and targets.ndim == outputs.ndim - 1:
            return targets.long()
        return targets
    if targets.shape != outputs.shape and targets.numel() == outputs.numel():
        return targets.view(outputs.shape).to(outputs.dtype)
    return targets


@torch.no_grad()
def evaluate(model: nn.Module, batches: Iterator, criterion: nn.Module, classification: bool,
             autocast, check: Callable[[Any, int], None] | None = None) -> tuple[float, float]:
    """Mean loss and metric (accuracy, or the loss for regression) in eval mode.

    ``check(outputs, index)`` is called on the outputs of every batch (``index`` 0-based).
    """
    model.eval()
    loss_sum = None
    correct = None
    n = 0
    for index, (inputs, targets) in enumerate(batches):
        with autocast:
            outputs = forward(model, inputs)
        if check is not None:
            check(outputs, index)
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
