"""What a flavour of the recommended code is written from: one :class:`CodeContext`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from regadvisor.report.code._common import ScheduleInfo

if TYPE_CHECKING:
    from regadvisor.diagnosis.inspect import LayerInfo
    from regadvisor.training import Placement, RegConfig

__all__ = ["CodeContext"]


@dataclass(frozen=True)
class CodeContext:
    """The recommendation as report.json holds it, and what the code needs about the user's
    setup.

    Attributes:
        config: The recommended RegConfig.
        placement: Where that configuration puts weight decay and dropout in the user's model:
            the code rebuilds exactly it.
        layers: The inspection's layers (for the shapes named in comments).
        task: ``classification`` or ``regression``.
        metric: The user's metric (``accuracy`` or ``loss``).
        model_class: The model's class name, for the comments.
        schedule: The user's learning-rate schedule, or None.
        baseline: The user's own configuration (a setting it already has needs no code), or
            None.
        inputs: How a batch's inputs reach the model, in the experiment record's words
            (``"2 tensors, called as model(*inputs)"``, ``", read from each batch by
            batch(b)"`` appended when the experiment defines ``batch``).
        outputs: What the model returns and where its logits are read, in the experiment
            record's words (``"one tensor, the logits"``, ``"a SequenceClassifierOutput, whose
            'logits' are read"``, ``"a tuple of 2, whose first element is the logits"``).
        training_step: The experiment defines ``training_step(model, batch)``: its loss trains.
        clip_grad: The experiment defines ``clip_grad(model)``, called between the backward
            pass and the optimizer step.
    """

    config: RegConfig
    placement: Placement
    layers: Sequence[LayerInfo] = ()
    task: str = "classification"
    metric: str = "accuracy"
    model_class: str = "model"
    schedule: ScheduleInfo | None = None
    baseline: RegConfig | None = None
    inputs: str = ""
    outputs: str = ""
    training_step: bool = False
    clip_grad: bool = False

    @property
    def classification(self) -> bool:
        return self.task == "classification"

    @property
    def decays(self) -> bool:
        return float(self.config.weight_decay) > 0

    @property
    def changes_training(self) -> bool:
        """The learning rate or the number of epochs differs from the user's."""
        if self.baseline is None:
            return False
        return any(getattr(self.config, k) != getattr(self.baseline, k)
                   for k in ("lr", "max_epochs"))

    @property
    def batch_fn(self) -> bool:
        """The experiment reads its batches with ``batch(b)``."""
        return "batch(b)" in self.inputs

    @property
    def input_call(self) -> str:
        """``dict`` (``model(**inputs)``), ``tuple`` (``model(*inputs)``) or ``tensor``."""
        if "model(**inputs)" in self.inputs:
            return "dict"
        if "model(*inputs)" in self.inputs:
            return "tuple"
        return "tensor"

    @property
    def logits_read(self) -> str:
        """Where the logits are in what the model returns: ``tensor`` (the output itself),
        ``logits`` (its ``"logits"`` entry) or ``first`` (its first element)."""
        if "'logits'" in self.outputs:
            return "logits"
        if "first element" in self.outputs:
            return "first"
        return "tensor"

    @property
    def dict_batch(self) -> bool:
        """The loader yields dicts whose ``labels`` are the targets (no ``batch(b)``)."""
        return self.input_call == "dict" and not self.batch_fn

    @property
    def keep_undecayed(self) -> list[str]:
        """Parameters exempt from decay (and from L1) that the bias-and-1-D rule does not
        exempt: embedding tables, and those the user's own optimizer leaves undecayed."""
        return list(self.placement.no_decay_extra)

    @property
    def keep_why(self) -> str:
        """Why those parameters are undecayed, for a comment."""
        own = set(self.config.no_decay)
        keep = self.keep_undecayed
        parts = []
        if any(n not in own for n in keep):
            parts.append("embedding tables")
        if any(n in own for n in keep):
            parts.append("undecayed in your own optimizer")
        return " and ".join(parts)
