"""Checking the user's model factory and optimizer, and the model on one batch."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from regadvisor.errors import ExperimentError
from regadvisor.experiment._calls import call, first_line, kind, raised
from regadvisor.experiment._loaders import SPLIT_NAMES
from regadvisor.training.batch import (
    OutputShapeError,
    call_model,
    describe_inputs,
    logits,
    output_form,
    output_width,
)
from regadvisor.training.config import OptimizerSpec

__all__ = ["check_model", "read_optimizer", "run_batch", "run_batches"]


def check_model(model: Callable[[], nn.Module], where: str,
                device: str | torch.device) -> nn.Module:
    """Call ``model()`` twice and check what it returns; returns the first module.

    Each call must build a fresh module with parameters of its own, some of them trainable,
    on the CPU or on ``device``.

    Raises:
        ExperimentError: The factory breaks the contract; the message names the fix.
    """
    first = call(model, where, "model()")
    _check_module(first, where)
    second = call(model, where, "model()")
    if second is first:
        raise ExperimentError(
            f"{where}: model() returned the same module object twice. Build and return a new "
            "module on every call (regadvisor trains many fresh copies).")
    _check_no_shared_parameters(first, second, where)
    n_trainable = sum(p.numel() for p in first.parameters() if p.requires_grad)
    if n_trainable == 0:
        raise ExperimentError(
            f"{where}: model() returned a {type(first).__name__} with no trainable parameters. "
            "Regularization needs parameters that train; check requires_grad.")
    _check_device(first, where, device)
    return first


def _check_module(obj: Any, where: str) -> None:
    if not isinstance(obj, nn.Module):
        raise ExperimentError(
            f"{where}: model() returned {kind(obj)}, not a torch.nn.Module. Return a fresh "
            "module, e.g. nn.Sequential(...).")


def _check_no_shared_parameters(first: nn.Module, second: nn.Module, where: str) -> None:
    """Two calls of model() must not hand out the same parameter tensors (a backbone defined
    once at module level would keep training across every trial and seed)."""
    def storages(model: nn.Module) -> dict[int, str]:
        out = {}
        for name, p in model.named_parameters():
            if p.numel() and p.device.type != "meta":
                out[p.untyped_storage().data_ptr()] = name
        return out

    ids = {id(p) for p in second.parameters()}
    shared = [name for name, p in first.named_parameters() if id(p) in ids]
    if not shared:
        a, b = storages(first), storages(second)
        shared = [a[ptr] for ptr in a.keys() & b.keys()]
    if shared:
        raise ExperimentError(
            f"{where}: two calls of model() return models that share {len(shared)} parameter "
            f"tensor{'s' if len(shared) != 1 else ''} (e.g. {shared[0]!r}), as when layers are "
            "defined once at module level: every trial and seed would keep training the same "
            "weights. Build the layers inside model(), or return copy.deepcopy of a module "
            "defined once.")


def _check_device(model: nn.Module, where: str, device: str | torch.device) -> None:
    """The model must come on the CPU (or already on the device regadvisor trains on)."""
    target = torch.device(device)
    other = {str(p.device) for p in model.parameters()} - {"cpu", str(target)}
    if target.type == "cuda":
        other -= {"cuda", f"cuda:{target.index or 0}"}
    if other:
        raise ExperimentError(
            f"{where}: model() returned a model on {', '.join(sorted(other))}. Return it on the "
            f"CPU; regadvisor moves it to --device ({target}) itself.")


def run_batches(model: nn.Module, batches: list[tuple[Any, torch.Tensor]],
                where: str) -> tuple[list[torch.Tensor], tuple[str, ...], str]:
    """The model's logits on the first batch of every loader (training, validation, test), so
    that a loader the model cannot read is found before any training, with the layer order and
    the output form of the training batch (see :func:`run_batch`).

    Raises:
        ExperimentError: The model fails on a batch, returns no logits, or returns outputs of
            another width for one loader than for the training loader.
    """
    outputs: list[torch.Tensor] = []
    layer_order: tuple[str, ...] = ()
    returns = ""
    for split, (inputs, _) in zip(SPLIT_NAMES, batches, strict=False):
        out, order, form = run_batch(model, inputs, where, split)
        if not outputs:
            layer_order, returns = order, form
        elif output_width(out) != output_width(outputs[0]):
            raise ExperimentError(
                f"{where}: the model returns {output_width(out)} values per sample for the "
                f"first {split} batch but {output_width(outputs[0])} for the first training "
                "batch. forward() must return the same number of outputs (one per class) for "
                "every batch; make model() accept the batches data() yields.")
        outputs.append(out)
    return outputs, layer_order, returns


def run_batch(model: nn.Module, inputs: Any, where: str,
              split: str = "training") -> tuple[torch.Tensor, tuple[str, ...], str]:
    """The model's logits on one batch of inputs (in eval mode, without gradients), the
    names of its linear and convolutional layers in the order the forward pass ran them, and
    what the model returns in words (:func:`~regadvisor.training.batch.output_form`).

    The logits are read from what the model returns as
    :func:`~regadvisor.training.batch.logits` reads them (a tensor, the ``logits`` of a
    ``ModelOutput`` or dict, the first element of a tuple).

    The order is what :func:`~regadvisor.training.dropout.dropout_targets` reads to tell the
    layer that reads the raw inputs and the output layer apart from the hidden ones: the order
    in which ``__init__`` registered the layers need not be the order ``forward`` calls them.

    Raises:
        ExperimentError: The model fails on the batch (of ``split``, for the message) or
            returns no logits.
    """
    from regadvisor.training.dropout import WEIGHT_LAYERS

    order: list[str] = []
    hooks = [module.register_forward_pre_hook(
                 lambda _m, _a, name=name: order.append(name) if name not in order else None)
             for name, module in model.named_modules() if isinstance(module, WEIGHT_LAYERS)]
    model.eval()
    try:
        with torch.no_grad():
            outputs = call_model(model, inputs)
    except SystemExit as e:
        raise ExperimentError(f"{where}: the model's forward() on the first {split} batch "
                              f"{raised(e)}. Fix the model and run again.") from None
    except Exception as e:
        raise ExperimentError(
            f"{where}: the model rejected a {split} batch of inputs {describe_inputs(inputs)} "
            f"({type(e).__name__}: {first_line(e)}). Make model() accept the batches data() "
            "yields.") from None
    finally:
        for hook in hooks:
            hook.remove()
    try:
        return logits(outputs), tuple(order), output_form(outputs)
    except OutputShapeError as e:
        raise ExperimentError(f"{where}: on a {split} batch the model {e}.") from None


def read_optimizer(optimizer: Callable | None, model: nn.Module, where: str,
                   notes: list[str]) -> OptimizerSpec:
    """Build the user's optimizer once on ``model``'s parameters and read its settings.

    Raises:
        ExperimentError: ``optimizer`` is not a function, returns no optimizer, or has a
            learning rate that is not a positive number or an empty param group.
    """
    if optimizer is None:
        notes.append("no optimizer() given: the baseline uses Adam, lr 1e-3")
        return OptimizerSpec()
    if not callable(optimizer):
        raise ExperimentError(f"{where}: 'optimizer' is {kind(optimizer)}, not a function. "
                              "Define optimizer(params) that returns a torch.optim optimizer.")
    instance = call(optimizer, where, "optimizer(params)", list(model.parameters()))
    if not isinstance(instance, torch.optim.Optimizer):
        raise ExperimentError(
            f"{where}: optimizer(params) returned {kind(instance)}, not a "
            "torch.optim.Optimizer. Return e.g. torch.optim.Adam(params, lr=1e-3).")
    names = {id(p): n for n, p in model.named_parameters()}
    spec = OptimizerSpec.from_optimizer(instance, names)
    if not (spec.lr > 0) or not math.isfinite(spec.lr):
        raise ExperimentError(
            f"{where}: optimizer(params) has learning rate {spec.lr:g}; it must be a positive "
            "number, e.g. 1e-3.")
    if any(len(g["params"]) == 0 for g in instance.param_groups):
        raise ExperimentError(f"{where}: optimizer(params) has an empty param group.")
    return spec
