"""The recommended change as code that runs in the user's own script, one flavour per stack.

The code is plain text built from the recommended RegConfig (as the record holds it) and its
placement in the user's model (the parameter names of the decay and no-decay groups, the dropout
modules set or the layers that get dropout in front), the same placement regadvisor's training
loop applied. Each flavour is written for one way of training and uses that stack's own knobs:

- ``torch``: a plain PyTorch loop (``make_optimizer(model)``, ``fit(model, ...)``, the user's
  schedule stepped as theirs steps);
- ``transformers``: ``transformers.Trainer`` (``TrainingArguments(weight_decay=…,
  label_smoothing_factor=…)``, ``EarlyStoppingCallback``, dropout through the model's config);
- ``lightning``: a LightningModule fitted by Lightning's ``Trainer`` (its
  ``configure_optimizers`` on the param groups, ``EarlyStopping`` and ``ModelCheckpoint``,
  dropout in the module).

A flavour is one function ``CodeContext -> list[CodePart]`` in :data:`STACKS`; each begins with a
``header`` comment naming what it expects from the user's script.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from regadvisor.report.code._common import CodePart, ScheduleInfo, full_code, schedule_info
from regadvisor.report.code._context import CodeContext
from regadvisor.report.code._lightning import lightning_trainer
from regadvisor.report.code._temperature import temperature_part
from regadvisor.report.code._torch import torch_loop
from regadvisor.report.code._transformers import transformers_trainer

if TYPE_CHECKING:
    from regadvisor.diagnosis.inspect import LayerInfo
    from regadvisor.training import Placement, RegConfig

__all__ = ["STACKS", "CodeContext", "CodePart", "ScheduleInfo", "code_parts", "full_code",
           "schedule_info", "stacks_for"]

#: Flavour name → the function that writes it, with the stack's name for the report.
STACKS: dict[str, tuple[str, Callable[[CodeContext], list[CodePart]]]] = {
    "torch": ("plain PyTorch loop", torch_loop),
    "transformers": ("transformers.Trainer", transformers_trainer),
    "lightning": ("Lightning Trainer", lightning_trainer),
}


def stacks_for(experiment: dict[str, Any]) -> list[str]:
    """The flavours a report shows for an experiment record, the user's own stack first: a
    ``transformers`` model gets the Trainer flavour and the plain loop, a LightningModule the
    Lightning flavour and the plain loop, any other model the plain loop."""
    if (experiment.get("lightning") or {}).get("module"):
        return ["lightning", "torch"]
    if str(experiment.get("model_module") or "").startswith("transformers"):
        return ["transformers", "torch"]
    return ["torch"]


def code_parts(config: RegConfig | Mapping[str, Any], placement: Placement | Mapping[str, Any], *,
               layers: Sequence[LayerInfo] = (), task: str = "classification",
               metric: str = "accuracy", model_class: str = "model",
               schedule: ScheduleInfo | None = None,
               baseline: RegConfig | Mapping[str, Any] | None = None,
               inputs: str = "", outputs: str = "", training_step: bool = False,
               clip_grad: bool = False, stack: str = "torch",
               temperature: bool = False) -> list[CodePart]:
    """The recommended configuration as code for one stack, in the order a script defines it.

    Args:
        config: The recommended RegConfig (or its dict, as report.json holds it).
        placement: Where that configuration puts weight decay and dropout in the user's model
            (a :class:`regadvisor.training.Placement`, or its dict): the code rebuilds exactly
            it.
        layers: The inspection's layers (for the shapes named in comments).
        task: ``classification`` or ``regression``.
        metric: The user's metric (``accuracy`` or ``loss``).
        model_class: The model's class name, for the comments.
        schedule: The user's learning-rate schedule (see :func:`schedule_info`), stepped in the
            code as the user's training steps it; None without one.
        baseline: The user's own configuration (or its dict): a setting it already has (the
            augmentation strength of their ``data()``) needs no code.
        inputs: How a batch's inputs reach the model, as the experiment record says.
        outputs: What the model returns and where its logits are read, as the experiment
            record says.
        training_step: The experiment trains through its own ``training_step(model, batch)``.
        clip_grad: The experiment clips gradients with its own ``clip_grad(model)``.
        stack: A key of :data:`STACKS`.
        temperature: The verification advises temperature scaling: a ``temperature`` part
            follows the others (see :mod:`regadvisor.report.code._temperature`).

    Returns:
        The pieces, a ``header`` first; empty when the configuration changes nothing.

    Raises:
        ValueError: ``stack`` is not a key of :data:`STACKS`.
    """
    if stack not in STACKS:
        raise ValueError(f"The 'stack' parameter of code_parts must be one of "
                         f"{', '.join(map(repr, STACKS))}. Got {stack!r} instead.")
    ctx = CodeContext(config=_typed("RegConfig", config),
                      placement=_typed("Placement", placement), layers=tuple(layers), task=task,
                      metric=metric, model_class=model_class, schedule=schedule,
                      baseline=None if baseline is None else _typed("RegConfig", baseline),
                      inputs=inputs, outputs=outputs,
                      training_step=training_step, clip_grad=clip_grad)
    parts = STACKS[stack][1](ctx)
    if parts and temperature and ctx.classification:
        parts.append(temperature_part(ctx, stack))
    return parts


def _typed(name: str, value: Any) -> Any:
    """A RegConfig or Placement given as its dict (as report.json holds it) rebuilt as one."""
    if not isinstance(value, Mapping):
        return value
    from regadvisor._record import from_plain
    from regadvisor.training import Placement, RegConfig

    return from_plain({"RegConfig": RegConfig, "Placement": Placement}[name], value)
