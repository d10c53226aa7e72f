"""Everything a training run is made of, built from a :class:`RegConfig` before its first epoch:
the seeded model with its regularization in place, the optimizer, the losses, the data and an
empty History."""

from __future__ import annotations

import copy
import inspect
import random
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from regadvisor._record import to_plain
from regadvisor.errors import ConfigError
from regadvisor.training.batch import BatchFn, OutputCheck
from regadvisor.training.config import RegConfig
from regadvisor.training.data import HeadSample, LoaderData, is_tensor_loader
from regadvisor.training.early_stopping import EarlyStopping
from regadvisor.training.history import History
from regadvisor.training.placement import Placement, apply_regularization
from regadvisor.training.schedule import Schedule, step_after_epoch, step_failure

__all__ = ["ClipGrad", "Run", "TrainingStep", "copy_state", "prepare_run"]

#: The experiment's ``training_step(model, batch) -> loss``: the loss of one training batch (as
#: the loader yields it, on the device), one scalar tensor that regadvisor backpropagates.
TrainingStep = Callable[[nn.Module, Any], torch.Tensor]

#: The experiment's ``clip_grad(model)``: called after the backward pass and before the
#: optimizer step (``torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)``, say).
ClipGrad = Callable[[nn.Module], Any]


@dataclass
class Run:
    """One run of :func:`~regadvisor.training.train`, set up and ready for its first epoch.

    Attributes:
        l1_params: The weight matrices the L1 penalty applies to (empty without one).
        criterion: The training loss (with label smoothing); ``eval_criterion`` the one the
            figures are measured with (without).
        train_eval: The training sample of the eval-mode figures (``None`` when they are not
            measured).
        autocast: The context every forward pass runs in (bf16 autocast, or nothing).
        scheduler: The user's learning-rate scheduler rebuilt on ``optimizer`` (``None``
            without a schedule); ``schedule`` says when it steps.
        training_step: The experiment's own loss of a training batch (``None``: ``criterion``
            on the model's logits); ``clip_grad`` its gradient clipping (``None``: none).
        epoch: The epoch in progress (1-based; 0 before the first).
        check_outputs: Checks the model's outputs on every batch (see
            :class:`~regadvisor.training.batch.OutputCheck`).
    """

    config: RegConfig
    device: torch.device
    classification: bool
    model: nn.Module
    optimizer: torch.optim.Optimizer
    l1_params: list[nn.Parameter]
    criterion: nn.Module
    eval_criterion: nn.Module
    train_data: LoaderData
    val_data: LoaderData
    train_eval: HeadSample | None
    stopper: EarlyStopping
    history: History
    autocast: AbstractContextManager
    scheduler: Any = None
    schedule: Schedule | None = None
    training_step: TrainingStep | None = None
    clip_grad: ClipGrad | None = None
    epoch: int = 0
    check_outputs: OutputCheck = field(default_factory=OutputCheck)

    @property
    def step_scheduler(self) -> bool:
        """The scheduler steps after every optimizer step (``scheduler_interval = "step"``)."""
        return self.scheduler is not None and self.schedule.interval == "step"

    def scheduler_step(self, val_loss: float | None = None) -> None:
        """Step the scheduler: after an optimizer step, or after the epoch's validation with
        its loss (``val_loss``, which ``ReduceLROnPlateau`` reads).

        Raises:
            ExperimentError: The user's scheduler raised (with the epoch and the fix).
        """
        try:
            if val_loss is None:
                self.scheduler.step()
            else:
                step_after_epoch(self.scheduler, val_loss)
        except Exception as e:
            raise step_failure(e, self.schedule, self.epoch, self.config.max_epochs) from e


def prepare_run(
    model_factory: Callable[[], nn.Module],
    train_loader: Any,
    val_loader: Any,
    config: RegConfig,
    *,
    task: str,
    loss_factory: Callable[[], nn.Module] | None,
    device: str | torch.device,
    amp: bool,
    train_eval_samples: int,
    train_figures: bool,
    fast_path: bool,
    schedule: Schedule | None = None,
    batch_fn: BatchFn | None = None,
    training_step: TrainingStep | None = None,
    clip_grad: ClipGrad | None = None,
) -> Run:
    """Seed the run, build its model, optimizer, losses and data, in that order.

    The arguments are those of :func:`~regadvisor.training.train`. Torch, NumPy and ``random``
    are seeded with ``config.seed`` before the model is built, so the model's initial weights
    and every later draw follow from the seed.

    Raises:
        ConfigError: Label smoothing asked of a loss that cannot take it: a loss other than
            ``nn.CrossEntropyLoss``, or the experiment's own ``training_step``.
    """
    if training_step is not None and config.label_smoothing > 0:
        raise ConfigError("Label smoothing cannot be applied inside the experiment's own "
                          "training_step (regadvisor does not compute that loss). Leave label "
                          "smoothing at 0, or smooth the labels in training_step yourself.")
    device = torch.device(device)
    classification = task == "classification"
    _seed_everything(config.seed)

    model = model_factory()
    placed, groups = apply_regularization(model, config, task)
    model.to(device)
    optimizer = _build_optimizer(groups, config, device)
    scheduler = schedule.build(optimizer) if schedule is not None else None
    l1_params = [p for g in groups if g["decay"] for p in g["params"] if p.ndim >= 2] \
        if config.l1 > 0 else []

    criterion, eval_criterion = _losses(loss_factory, classification, config.label_smoothing)
    criterion.to(device)
    eval_criterion.to(device)

    use_fast = (fast_path and batch_fn is None and is_tensor_loader(train_loader)
                and is_tensor_loader(val_loader))
    train_data = LoaderData(train_loader, device, use_fast, batch_fn, restore=True)
    val_data = LoaderData(val_loader, device, use_fast, batch_fn, restore=True)
    return Run(
        config=config, device=device, classification=classification, model=model,
        optimizer=optimizer, l1_params=l1_params, criterion=criterion,
        eval_criterion=eval_criterion, train_data=train_data, val_data=val_data,
        train_eval=train_data.head(train_eval_samples) if train_figures else None,
        stopper=EarlyStopping(
            patience_epochs=config.patience_epochs,
            min_delta=config.min_delta,
            monitor=config.monitor,
            higher_is_better=classification,
        ),
        history=_empty_history(placed, config, classification, device, use_fast),
        autocast=(torch.autocast(device_type="cuda", dtype=torch.bfloat16)
                  if amp and device.type == "cuda" else nullcontext()),
        scheduler=scheduler, schedule=schedule,
        training_step=training_step, clip_grad=clip_grad,
    )


def copy_state(model: nn.Module) -> dict[str, torch.Tensor]:
    """A copy of the model's weights and buffers that later steps leave unchanged."""
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


def _build_optimizer(groups: list[dict], config: RegConfig,
                     device: torch.device) -> torch.optim.Optimizer:
    spec = config.optimizer
    cls, kwargs = spec.build_args(config.decoupled)
    params = inspect.signature(cls.__init__).parameters
    if "weight_decay" not in params and config.weight_decay > 0:
        raise ConfigError(f"The optimizer {spec.name} takes no weight_decay; use Adam, AdamW or "
                          "SGD to tune weight decay.")
    torch_groups = [
        {"params": g["params"], **({"weight_decay": config.weight_decay if g["decay"] else 0.0}
                                   if "weight_decay" in params else {})}
        for g in groups
    ]
    if (cls.__module__.startswith("torch.optim") and "fused" in params
            and device.type in ("cpu", "cuda")
            and all(p.is_floating_point() for g in groups for p in g["params"])):
        kwargs["fused"] = True
    elif "foreach" in params and device.type == "cuda":
        kwargs["foreach"] = True
    return cls(torch_groups, lr=config.learning_rate, **kwargs)


def _losses(loss_factory: Callable[[], nn.Module] | None, classification: bool,
            label_smoothing: float) -> tuple[nn.Module, nn.Module]:
    """The training loss (with label smoothing) and the evaluation loss (without)."""
    base = loss_factory() if loss_factory is not None else (
        nn.CrossEntropyLoss() if classification else nn.MSELoss())
    if isinstance(base, nn.CrossEntropyLoss):
        train_loss = copy.deepcopy(base)
        eval_loss = copy.deepcopy(base)
        eval_loss.label_smoothing = 0.0
        train_loss.label_smoothing = label_smoothing
        return train_loss, eval_loss
    if label_smoothing > 0:
        raise ConfigError(f"Label smoothing needs nn.CrossEntropyLoss; the experiment's loss is "
                          f"{type(base).__name__}. Leave label smoothing at 0.")
    return base, base


def _empty_history(placed: Placement, config: RegConfig, classification: bool,
                   device: torch.device, fast_path: bool) -> History:
    """The History of a run before its first epoch: what was regularized, where, and how."""
    return History(
        metric_name="accuracy" if classification else "loss",
        higher_is_better=classification,
        decay_params=placed.decay,
        no_decay_params=placed.no_decay,
        dropout_changed=placed.dropout_changed,
        dropout_injected=placed.dropout_injected,
        device=str(device),
        fast_path=fast_path,
        config=to_plain(config),
    )
