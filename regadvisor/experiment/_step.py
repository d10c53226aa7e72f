"""Checking the user's own training step and gradient clipping, and saying which loss trains."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from regadvisor.errors import ExperimentError
from regadvisor.experiment._calls import call, first_line, kind

__all__ = ["check_step", "trains_with"]


def check_step(training_step: Callable[[nn.Module, Any], Any] | None,
               clip_grad: Callable[[nn.Module], Any] | None, model: nn.Module,
               train_loader: Any, where: str, batch_fn: Callable[[Any], Any] | None = None) -> None:
    """Run ``training_step`` (and ``clip_grad``) once on the first training batch.

    The step runs in train mode on ``model`` (a model built for the checks, not one that
    trains), its loss is backpropagated, and ``clip_grad(model)`` is called on the gradients,
    as every optimizer step does it. Without a ``training_step`` the gradients ``clip_grad``
    meets are those of the summed logits of the batch (read through ``batch_fn``).

    Raises:
        ExperimentError: One is not a function, raises, or the step returns other than one
            scalar tensor that carries a gradient.
    """
    for name, fn, signature, what in (
            ("training_step", training_step, "training_step(model, batch)",
             "returns the loss of one training batch"),
            ("clip_grad", clip_grad, "clip_grad(model)",
             "clips the gradients, e.g. torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)")):
        if fn is not None and not callable(fn):
            raise ExperimentError(f"{where}: '{name}' is {kind(fn)}, not a function. Define "
                                  f"{signature} that {what}.")
    if training_step is None and clip_grad is None:
        return
    try:
        batch = next(iter(train_loader))
    except Exception as e:  # the loaders were read once already: this is the user's loader
        raise ExperimentError(f"{where}: reading the first training batch raised "
                              f"{type(e).__name__}: {first_line(e)}.") from None
    model.train()
    try:
        if training_step is not None:
            loss = call(training_step, where, "training_step(model, batch)", model, batch)
            _check_loss(loss, where)
            call(loss.backward, where, "training_step(model, batch) (its loss's backward pass)")
        else:
            from regadvisor.training.batch import forward, split_batch

            inputs, _ = split_batch(batch, batch_fn)
            forward(model, inputs).float().sum().backward()
        if clip_grad is not None:
            call(clip_grad, where, "clip_grad(model)", model)
    finally:
        model.zero_grad(set_to_none=True)
        model.eval()


def _check_loss(loss: Any, where: str) -> None:
    if not torch.is_tensor(loss) or loss.numel() != 1:
        shown = (f"a tensor of shape {tuple(loss.shape)}" if torch.is_tensor(loss)
                 else kind(loss))
        raise ExperimentError(
            f"{where}: training_step(model, batch) returned {shown}; it must return the loss of "
            "the batch, one scalar tensor (e.g. F.cross_entropy(logits, y) + 0.1 * aux).")
    if not loss.requires_grad:
        raise ExperimentError(
            f"{where}: training_step(model, batch) returned a loss that carries no gradient "
            "(computed under torch.no_grad(), detached, or made from .item()). Return the loss "
            "tensor itself: regadvisor calls backward() and the optimizer step.")


def trains_with(training_step: Any, loss_module: Any, task: str, labels_in_dict: bool,
                step_name: str | None = None) -> str:
    """The loss that trains, in words, for the report.

    Args:
        training_step: The user's ``training_step``, or None.
        loss_module: What ``loss()`` returned, or None for the task's default.
        task: ``"classification"`` or ``"regression"``.
        labels_in_dict: The batches are dicts whose ``labels`` are the targets.
        step_name: How the step is called, when it is not ``training_step(model, batch)`` (a
            LightningModule's ``Net.training_step(batch, batch_idx)``).
    """
    name = (type(loss_module).__name__ if loss_module is not None
            else "CrossEntropyLoss" if task == "classification" else "MSELoss")
    if training_step is not None:
        step = step_name or "training_step(model, batch)"
        return (f"the loss your {step} returns (plus the L1 term where one is searched); the "
                f"validation and test figures are {name} on the model's logits against the "
                "batch's targets")
    text = f"{name} on the model's logits against the batch's targets"
    if labels_in_dict:
        text += (" (each batch's 'labels' are the targets and are kept out of the model's call, "
                 "so a model's own loss is not computed: regadvisor's loss trains, and can take "
                 "label smoothing)")
    return text
