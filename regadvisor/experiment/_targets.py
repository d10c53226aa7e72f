"""The loss, the task and the targets: what kind of problem the experiment is, and whether
its targets fit the model's outputs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from regadvisor.errors import ExperimentError
from regadvisor.experiment._calls import call, kind
from regadvisor.experiment._loaders import (
    SPLIT_NAMES,
    Loaders,
    all_targets,
    batch_subject,
    max_target,
    min_target,
)
from regadvisor.training.evaluation import SHORT_LABELS

__all__ = ["check_rows", "check_targets", "infer_task", "read_loss", "soft_labels"]

_CLASSIFICATION_LOSSES = (nn.CrossEntropyLoss, nn.NLLLoss, nn.BCEWithLogitsLoss, nn.BCELoss,
                          nn.MultiMarginLoss)
_REGRESSION_LOSSES = (nn.MSELoss, nn.L1Loss, nn.SmoothL1Loss, nn.HuberLoss, nn.GaussianNLLLoss,
                      nn.PoissonNLLLoss)


def read_loss(loss: Callable[[], nn.Module] | None, where: str) -> Any:
    """Call ``loss()`` once; None when no loss is given.

    Raises:
        ExperimentError: ``loss`` is not a function, fails, or returns nothing callable.
    """
    if loss is None:
        return None
    if not callable(loss):
        raise ExperimentError(f"{where}: 'loss' is {kind(loss)}, not a function. Define "
                              "loss() that returns a loss module, e.g. nn.CrossEntropyLoss().")
    loss_module = call(loss, where, "loss()")
    if not callable(loss_module):
        raise ExperimentError(f"{where}: loss() returned {kind(loss_module)}; return a loss "
                              "module such as nn.CrossEntropyLoss().")
    return loss_module


def soft_labels(targets: torch.Tensor, outputs: torch.Tensor) -> bool:
    """Targets of one probability per class (one-hot or soft labels), shaped like the logits."""
    return (targets.is_floating_point() and targets.ndim >= 2
            and tuple(targets.shape) == tuple(outputs.shape))


def infer_task(task: str | None, loss_module: Any, targets: torch.Tensor, where: str,
               notes: list[str], soft: bool = False) -> str:
    """The task as given (checked against the loss), or inferred from the loss or targets.

    Raises:
        ExperimentError: An unknown task, or a task, loss and targets that disagree.
    """
    if task is not None:
        if task not in ("classification", "regression"):
            raise ExperimentError(f"{where}: task must be 'classification' or 'regression'. "
                                  f"Got {task!r}.")
        if (task == "regression" and isinstance(loss_module, _CLASSIFICATION_LOSSES)):
            raise ExperimentError(
                f"{where}: task is 'regression' but loss() is "
                f"{type(loss_module).__name__}, a classification loss. Use nn.MSELoss() or set "
                "task = 'classification'.")
        return task
    if isinstance(loss_module, _CLASSIFICATION_LOSSES):
        if soft and isinstance(loss_module, nn.CrossEntropyLoss):
            notes.append("task inferred as classification from CrossEntropyLoss")
            return "classification"
        if targets.is_floating_point() and isinstance(loss_module,
                                                      (nn.CrossEntropyLoss, nn.NLLLoss)):
            raise ExperimentError(
                f"{where}: the targets are floating point ({targets.dtype}), as for regression, "
                f"but loss() is {type(loss_module).__name__}, a classification loss. Use "
                "nn.MSELoss() for regression, or integer class labels for classification.")
        notes.append(f"task inferred as classification from {type(loss_module).__name__}")
        return "classification"
    if isinstance(loss_module, _REGRESSION_LOSSES):
        notes.append(f"task inferred as regression from {type(loss_module).__name__}")
        return "regression"
    inferred = "regression" if targets.is_floating_point() else "classification"
    notes.append(f"task inferred as {inferred} from {targets.dtype} targets")
    return inferred


def check_rows(outputs: list[torch.Tensor], read: Loaders, where: str,
               batch_fn: Any = None) -> None:
    """One target per sample: the model's outputs on the first batch of each loader have as
    many rows as the batch has targets.

    Raises:
        ExperimentError: A first batch with more or fewer targets than samples.
    """
    for split, out, (_, y) in zip(SPLIT_NAMES, outputs, read.batches, strict=False):
        n_out = int(out.shape[0]) if out.ndim else 1
        n_targets = int(y.shape[0]) if y.ndim else 1
        if n_out != n_targets:
            fix = "batch()" if batch_fn is not None else "data() or its dataset"
            raise ExperimentError(
                f"{where}: {batch_subject(split, batch_fn)} gives {n_targets} targets for a "
                f"batch of {n_out} samples (the model returned {n_out} rows of outputs). Give "
                f"one target per sample: fix {fix}.")


def check_targets(task: str, soft: bool, outputs: torch.Tensor, read: Loaders, where: str,
                  notes: list[str]) -> tuple[int | None, float | None]:
    """Check the targets against the task and the model's outputs on the first batch.

    Returns:
        ``(n_classes, target_variance)``: the number of classes (classification) and the
        variance of the training targets (regression, where the dataset is in memory).

    Raises:
        ExperimentError: Soft labels that are not probabilities, float targets for
            classification, a class label the outputs cannot express, or regression outputs
            of another size than the targets.
    """
    targets = read.batches[0][1]
    if task == "classification" and soft:
        _check_soft_labels(targets, where)
        notes.append("soft labels: the targets are class probabilities; accuracy compares the "
                     "most probable class")
        return int(outputs.shape[-1]), None
    if task == "classification":
        if targets.dtype in SHORT_LABELS:
            notes.append(f"class labels are {targets.dtype}: trained as torch.long, the class "
                         "indices the classification losses take")
        return _check_class_labels(targets, outputs, read, where), None
    if not targets.is_floating_point():
        notes.append("integer regression targets are trained as float")
    if outputs.numel() != targets.numel():
        raise ExperimentError(
            f"{where}: for regression the model's output ({tuple(outputs.shape)}) must have "
            f"one value per target ({tuple(targets.shape)}).")
    train_targets = all_targets(read.loaders[0])
    variance = float(train_targets.float().var()) if train_targets is not None else None
    return None, variance


def _check_soft_labels(targets: torch.Tensor, where: str) -> None:
    if bool((targets < 0).any()) or not torch.allclose(
            targets.sum(-1), torch.ones_like(targets.sum(-1)), atol=1e-3):
        raise ExperimentError(
            f"{where}: the targets have one float per class, as soft labels, but a row is "
            "not a probability distribution (negative, or not summing to 1). Give class "
            "probabilities (e.g. one-hot rows), or integer class labels.")


def _check_class_labels(targets: torch.Tensor, outputs: torch.Tensor, read: Loaders,
                        where: str) -> int:
    """Integer labels within the model's classes, in every split; returns the class count."""
    if targets.is_floating_point():
        raise ExperimentError(
            f"{where}: the targets are floating point ({targets.dtype}) but the task is "
            "classification. Use integer class labels (torch.long), or set task = "
            "'regression' with a regression loss.")
    n_classes = int(outputs.shape[-1]) if outputs.ndim >= 2 else 1
    for split, loader, (_, y) in zip(SPLIT_NAMES, read.loaders, read.batches, strict=False):
        top = max_target(loader, y)
        low = min_target(loader, y)
        if top >= n_classes or low < 0:
            bad = top if top >= n_classes else low
            raise ExperimentError(
                f"{where}: the {split} targets include class {bad} but the model outputs "
                f"{n_classes} logits (classes 0..{n_classes - 1}). Give the last layer one "
                "output per class, or fix the labels.")
    return n_classes
