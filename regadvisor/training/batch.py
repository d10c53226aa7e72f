"""Batches of any shape: what the model is called with, and what the loss compares against.

A loader's batch is read as ``(inputs, targets)``:

- a pair ``(x, y)``: the model is called as ``model(x)``;
- a longer tuple ``(x_num, x_cat, ..., y)``: every element but the last is an input, and the
  model is called as ``model(x_num, x_cat, ...)``;
- a dict (or any mapping, such as a Hugging Face ``BatchEncoding``) that holds its targets under
  ``labels``, as Hugging Face collators make it: the targets are ``labels`` and the rest of the
  dict is the inputs, passed as keywords (``model(input_ids=..., attention_mask=...)``); the
  model does not receive the labels, so the loss regadvisor computes on its logits is the one
  that trains;
- anything else goes through the experiment's ``batch(b) -> (inputs, targets)``, whose
  ``inputs`` may be a tensor (``model(inputs)``), a tuple (``model(*inputs)``) or a dict
  (``model(**inputs)``). An experiment that defines ``batch`` has every batch read through it.

The targets are one tensor. Inputs are moved to the device as a whole structure.

What the model returns is read by :func:`logits`: a tensor is the logits (or the predictions of
a regression); a ``ModelOutput`` or a dict gives its ``logits`` entry; a tuple or list gives its
first element (a model that returns ``(logits, features)``, or a Hugging Face model called with
``return_dict=False``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

import torch
from torch import nn

from regadvisor.errors import ExperimentError

__all__ = ["LABELS", "BatchFn", "BatchShapeError", "OutputCheck", "OutputShapeError",
           "apply_to_tensors", "call_model", "describe_inputs", "forward", "input_form",
           "input_tensors", "logits", "nbytes", "output_form", "output_width", "split_batch",
           "take", "to_device"]

#: The key of a dict batch that holds the targets, as Hugging Face collators name it.
LABELS = "labels"

#: The experiment's ``batch(b) -> (inputs, targets)``.
BatchFn = Callable[[Any], tuple[Any, torch.Tensor]]


class BatchShapeError(TypeError):
    """A batch that is not ``(inputs, targets)`` in any of the accepted forms."""


class OutputShapeError(TypeError):
    """A model output that holds no logits in any of the accepted forms."""


def split_batch(batch: Any, batch_fn: BatchFn | None = None) -> tuple[Any, torch.Tensor]:
    """``(inputs, targets)`` of one batch (see the module docstring).

    Raises:
        BatchShapeError: The batch (or what ``batch_fn`` returned) has no accepted form.
    """
    if batch_fn is not None:
        batch = batch_fn(batch)
        if not isinstance(batch, (tuple, list)) or len(batch) != 2:
            raise BatchShapeError(f"returned {_what(batch)}; batch(b) must return a pair "
                                  "(inputs, targets)")
        inputs, targets = batch
    elif isinstance(batch, Mapping):
        if LABELS not in batch:
            raise BatchShapeError(
                f"yields {_what(batch)} with no '{LABELS}' key (keys: "
                f"{', '.join(map(str, batch))}); a dict batch holds its targets under "
                f"'{LABELS}', as Hugging Face collators do, or define batch(b) that returns "
                "(inputs, targets) from it")
        inputs = {k: v for k, v in batch.items() if k != LABELS}
        targets = batch[LABELS]
    elif isinstance(batch, (tuple, list)) and len(batch) >= 2:
        inputs = batch[0] if len(batch) == 2 else tuple(batch[:-1])
        targets = batch[-1]
    else:
        raise BatchShapeError(f"yields {_what(batch)}; each batch must be (inputs, targets), "
                              "(input_1, ..., input_k, targets), a dict with its targets under "
                              f"'{LABELS}', or define batch(b) that returns (inputs, targets) "
                              "from it")
    if isinstance(inputs, Mapping) and not isinstance(inputs, dict):
        inputs = dict(inputs)  # a BatchEncoding, say: read and moved as a plain dict
    if not torch.is_tensor(targets):
        raise BatchShapeError(f"gives targets of type {type(targets).__name__}; the targets "
                              "must be one tensor")
    bad = [type(t).__name__ for t in _leaves(inputs) if not torch.is_tensor(t)]
    if bad or not list(_leaves(inputs)):
        keys = ([k for k, v in inputs.items() if not torch.is_tensor(v)]
                if isinstance(inputs, dict) else [])
        where = f" (key '{keys[0]}')" if keys else ""
        raise BatchShapeError(f"gives inputs of type {bad[0] if bad else type(inputs).__name__}"
                              f"{where}; inputs must be a tensor, a tuple of tensors or a dict "
                              "of tensors" + (" (drop the other columns in the collator, or "
                                              "define batch(b))" if keys and batch_fn is None
                                              else ""))
    return inputs, targets


def _what(obj: Any) -> str:
    if isinstance(obj, (tuple, list)):
        return f"a {type(obj).__name__} of {len(obj)} item{'s' if len(obj) != 1 else ''}"
    return f"a {type(obj).__name__}"


def _leaves(inputs: Any) -> Iterator[Any]:
    if isinstance(inputs, dict):
        yield from inputs.values()
    elif isinstance(inputs, (tuple, list)):
        yield from inputs
    else:
        yield inputs


def input_tensors(inputs: Any) -> list[torch.Tensor]:
    """The tensors of an input structure, in order."""
    return [t for t in _leaves(inputs) if torch.is_tensor(t)]


def call_model(model: nn.Module, inputs: Any) -> Any:
    """Call the model on one batch of inputs: ``model(x)``, ``model(*x)`` or ``model(**x)``;
    returns what the model returns."""
    if isinstance(inputs, dict):
        return model(**inputs)
    if isinstance(inputs, (tuple, list)):
        return model(*inputs)
    return model(inputs)


def logits(outputs: Any) -> torch.Tensor:
    """The logits (or regression predictions) in what a model returned: a tensor as it is, the
    ``logits`` entry of a ``ModelOutput`` or dict, the first element of a tuple or list.

    Raises:
        OutputShapeError: None of these holds a tensor.
    """
    if torch.is_tensor(outputs):
        return outputs
    if isinstance(outputs, Mapping):
        found = outputs.get("logits")
        if torch.is_tensor(found):
            return found
        keys = ", ".join(map(str, outputs)) or "none"
        raise OutputShapeError(
            f"returned {_what(outputs)} with no 'logits' tensor (keys: {keys}); return the "
            "logits, a dict or ModelOutput with a 'logits' entry, or a tuple whose first "
            "element is the logits")
    if isinstance(outputs, (tuple, list)) and outputs and torch.is_tensor(outputs[0]):
        return outputs[0]
    first = (f" whose first element is {_what(outputs[0])}"
             if isinstance(outputs, (tuple, list)) and outputs else "")
    raise OutputShapeError(
        f"returned {_what(outputs)}{first}; return one tensor of predictions (logits for "
        "classification), a dict or ModelOutput with a 'logits' entry, or a tuple whose first "
        "element is the logits")


def forward(model: nn.Module, inputs: Any) -> torch.Tensor:
    """The model's logits on one batch of inputs (see :func:`call_model` and :func:`logits`)."""
    return logits(call_model(model, inputs))


def apply_to_tensors(data: Any, fn: Callable[[torch.Tensor], Any]) -> Any:
    """``data`` with ``fn`` applied to every tensor in it: the one walker of batch structures
    (Lightning's ``apply_to_collection``). Mappings (returned as dicts), lists and tuples are
    walked at any depth; anything else is kept as it is."""
    if torch.is_tensor(data):
        return fn(data)
    if isinstance(data, Mapping):
        return {k: apply_to_tensors(v, fn) for k, v in data.items()}
    if isinstance(data, list):
        return [apply_to_tensors(v, fn) for v in data]
    if isinstance(data, tuple):
        return tuple(apply_to_tensors(v, fn) for v in data)
    return data


def to_device(data: Any, device: torch.device) -> Any:
    """A batch, or its inputs, with every tensor in it on ``device``."""
    return apply_to_tensors(data, lambda t: t.to(device, non_blocking=True))


def output_width(outputs: torch.Tensor) -> int:
    """Values per sample of a batch's outputs: the last dimension (one logit per class), or 1
    for outputs of shape ``(N,)`` (one value per sample, whatever the batch size)."""
    return int(outputs.shape[-1]) if outputs.ndim >= 2 else 1


class OutputCheck:
    """The model's outputs, checked on every batch of a run: one tensor, as wide as on the first
    batch. A ``forward()`` that changes the number of outputs mid-run (3 logits, then 5) would
    otherwise go on training, its labels still in range, and be judged as if nothing happened.

    The check reads tensor metadata only (no device synchronisation).
    """

    def __init__(self) -> None:
        self.width: int | None = None

    def __call__(self, outputs: Any, index: int, epoch: int, split: str) -> None:
        """Check the outputs of ``split`` batch ``index`` (0-based) of ``epoch``.

        Raises:
            ExperimentError: The outputs are not one tensor, or not as wide as before.
        """
        if not torch.is_tensor(outputs):
            raise ExperimentError(
                f"The model returned a {type(outputs).__name__} at epoch {epoch}, {split} batch "
                f"{index + 1}; it must return one tensor of predictions for every batch (logits "
                "for classification). Fix forward().")
        width = output_width(outputs)
        if width == self.width:
            return
        if self.width is None:
            self.width = width
            return
        raise ExperimentError(
            f"The model's output changed width at epoch {epoch}, {split} batch {index + 1}: "
            f"{width} values per sample, after {self.width} on every earlier batch. forward() "
            "must return the same number of outputs (one per class) for every batch; fix the "
            "model.")


def take(inputs: Any, index: torch.Tensor | slice) -> Any:
    """Rows ``index`` (a slice or an index tensor) of every tensor of the structure."""
    if isinstance(index, slice):
        return apply_to_tensors(inputs, lambda t: t[index])
    return apply_to_tensors(inputs, lambda t: t.index_select(0, index))


def describe_inputs(inputs: Any) -> str:
    """The input structure in words: ``with shape (32, 64)``, ``(shapes (32, 8), (32, 3))``,
    ``{x: (32, 8), cat: (32, 3)}``."""
    def shape(t: Any) -> str:
        return str(tuple(t.shape)) if torch.is_tensor(t) else type(t).__name__

    if isinstance(inputs, dict):
        return "{" + ", ".join(f"{k}: {shape(v)}" for k, v in inputs.items()) + "}"
    if isinstance(inputs, (tuple, list)):
        return "(shapes " + ", ".join(shape(v) for v in inputs) + ")"
    return f"with shape {shape(inputs)}"


def input_form(inputs: Any, via_batch_fn: bool = False) -> str:
    """How a batch's inputs reach the model, in words (for the report)."""
    if isinstance(inputs, dict):
        text = f"a dict ({', '.join(map(str, inputs))}), called as model(**inputs)"
    elif isinstance(inputs, (tuple, list)):
        text = f"{len(inputs)} tensors, called as model(*inputs)"
    else:
        text = "one tensor, called as model(inputs)"
    return text + (", read from each batch by batch(b)" if via_batch_fn else "")


def output_form(outputs: Any) -> str:
    """What the model returns and where :func:`logits` found the logits in it, in words (for
    the report, and for the recommended code, which reads them the same way)."""
    if isinstance(outputs, Mapping):
        return f"a {type(outputs).__name__}, whose 'logits' are read"
    if isinstance(outputs, (tuple, list)):
        return f"a {type(outputs).__name__} of {len(outputs)}, whose first element is the logits"
    return "one tensor, the logits"


def nbytes(inputs: Any) -> int:
    """Bytes held by the structure's tensors."""
    return sum(t.numel() * t.element_size() for t in input_tensors(inputs))
