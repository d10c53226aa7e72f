"""Checking the experiment contract, once, at the boundary.

:func:`build_experiment` runs the checks in order: the model factory (:mod:`._model`), the
loaders (:mod:`._loaders`), the loss, task and targets (:mod:`._targets`), the settings, and the
optimizer; then it reads the experiment's identity (:mod:`._fingerprint`). The model is built and
run on its first batch under a fixed seed, so that its initial weights are part of that identity.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from regadvisor.errors import ExperimentError
from regadvisor.experiment._calls import call, kind
from regadvisor.experiment._fingerprint import fixed_seed, identity
from regadvisor.experiment._lightning import LightningSource, is_lightning_module
from regadvisor.experiment._loaders import len_dataset, read_augment, read_loaders
from regadvisor.experiment._model import check_model, read_optimizer, run_batches
from regadvisor.experiment._schedule import read_schedule
from regadvisor.experiment._step import check_step, trains_with
from regadvisor.experiment._targets import (
    check_rows,
    check_targets,
    infer_task,
    read_loss,
    soft_labels,
)
from regadvisor.experiment._types import Experiment
from regadvisor.training.batch import input_form, input_tensors

__all__ = ["MIN_SAMPLES", "build_experiment", "check_sample_counts"]

#: The fewest training and validation samples a fit is judged on. With fewer, one validation
#: sample moves accuracy by more than 10 points, and the gap between the training and the
#: validation figures is noise, not a verdict. (A small test set is measured, with a caution:
#: verification's interval includes its sampling noise.)
MIN_SAMPLES = 10


def build_experiment(
    *,
    model: Callable[[], nn.Module],
    data: Callable[[], Any],
    optimizer: Callable[[Any], torch.optim.Optimizer] | None = None,
    loss: Callable[[], nn.Module] | None = None,
    scheduler: Callable[[Any], Any] | None = None,
    scheduler_interval: str | None = None,
    batch: Callable[[Any], Any] | None = None,
    training_step: Callable[[nn.Module, Any], Any] | None = None,
    clip_grad: Callable[[nn.Module], Any] | None = None,
    task: str | None = None,
    epochs: int | None = None,
    metric: str | None = None,
    name: str = "experiment",
    source: str = "Python API",
    bundled: bool = False,
    device: str | torch.device = "cpu",
) -> Experiment:
    """Check the pieces of an experiment and read what later stages need.

    It calls ``model()`` twice (each call must build a fresh module), ``data()`` once, runs the
    first batch of every loader through the model, and builds the optimizer once to read its
    settings.

    Args:
        model: Returns a fresh, untrained ``nn.Module`` at each call.
        data: Returns ``(train_loader, val_loader)`` or ``(train, val, test)``; a ``data`` that
            takes ``augment`` exposes its augmentation strength (its default is the user's).
        optimizer: ``optimizer(params)`` returns the user's optimizer; default Adam, lr 1e-3.
        loss: Returns the loss module; default by task.
        scheduler, scheduler_interval: ``scheduler(optimizer)`` returns a learning-rate
            scheduler built on that optimizer, stepped per ``"epoch"`` (default) or ``"step"``.
        batch: ``batch(b) -> (inputs, targets)`` for other batches (see
            :mod:`regadvisor.training.batch`).
        training_step: ``training_step(model, batch) -> loss``, the loss of one training batch
            as the loader yields it: every stage trains on it (label smoothing cannot be
            applied then); the validation and test figures stay the task's loss on the
            model's logits.
        clip_grad: ``clip_grad(model)``, called after each backward pass and before the
            optimizer step.
        task, epochs, metric: ``"classification"`` or ``"regression"`` (inferred when None);
            the user's training length (default 100); ``"accuracy"`` or ``"loss"`` (by task).
        name, source, bundled: Short name; where it came from; whether it is bundled.
        device: The device regadvisor will train on (a model on another one is refused).

    Raises:
        ExperimentError: Any part breaks the contract; the message names the part and the fix.
    """
    where = source
    notes: list[str] = []
    _check_functions(model, data, where, batch)
    augment = read_augment(data, where)
    lightning = LightningSource(model, data, where)
    with fixed_seed():
        first = check_model(lightning.model, where, device)
    if is_lightning_module(first):
        lightning.check_hooks(first)
    read = read_loaders(lightning.data, where, batch)
    loss_module = read_loss(loss, where)
    inputs, targets = read.batches[0]
    with fixed_seed():  # lazy layers take their weights now
        split_outputs, layer_order, returns = run_batches(first, read.batches, where)
    check_rows(split_outputs, read, where, batch)
    outputs = split_outputs[0]
    soft = soft_labels(targets, outputs)
    task = infer_task(task, loss_module, targets, where, notes, soft)
    n_classes, target_variance = check_targets(task, soft, outputs, read, where, notes)
    epochs, metric = _check_settings(epochs, metric, task, where, notes)
    hooks = None
    if is_lightning_module(first):
        hooks = lightning.read(first, epochs if isinstance(epochs, int) else None,
                               _steps_per_epoch(read.loaders[0]), next(iter(read.loaders[1])))
        model = lightning.model
        training_step = training_step or hooks.training_step
        notes.append(f"LightningModule {type(first).__name__}: its training_step trains, "
                     "its configure_optimizers gives the optimizer"
                     + (" and the schedule" if hooks.schedule is not None else "")
                     + ("" if optimizer is None else " (replaced by your optimizer())"))
    if lightning.datamodule:
        data = lightning.data
        notes.append("LightningDataModule: prepare_data(), setup('fit') and its training and "
                     "validation loaders" + (", setup('test') and its test loader"
                                             if len(read.loaders) == 3 else "")
                     + ", as Trainer.fit and Trainer.test call them")
    if hooks is not None and optimizer is None and scheduler is None:
        optimizer = hooks.optimizer
        spec = read_optimizer(optimizer, first, where, notes)
        schedule = hooks.schedule
        if schedule is not None:
            call(schedule.build, where, f"{type(first).__name__}.configure_optimizers() (its "
                 "scheduler on regadvisor's optimizer)", optimizer(None))
    else:
        spec = read_optimizer(optimizer, first, where, notes)
        schedule = read_schedule(scheduler, scheduler_interval, optimizer, first, where)
    check_step(training_step, clip_grad, first, read.loaders[0], where, batch)
    if hooks is not None:
        notes.append("label smoothing cannot be applied inside the loss your training_step "
                     "computes, so it is not searched; regadvisor adds weight decay (the "
                     "optimizer configure_optimizers returns, rebuilt with param groups), "
                     "dropout in the module, L1 (to the loss training_step returns) and early "
                     "stopping")
    elif training_step is not None:
        notes.append("training_step(model, batch) trains: regadvisor adds weight decay, "
                     "dropout, L1 (to the loss it returns) and early stopping; it cannot smooth "
                     "the labels inside your own loss, so label smoothing is not searched")
    ident = identity(model=first, loaders=read.loaders, spec=spec, loss_module=loss_module,
                     task=task, metric=metric, epochs=epochs, schedule=schedule, augment=augment,
                     functions={"model": model, "data": data, "optimizer": optimizer,
                                "loss": loss, "scheduler": scheduler, "batch": batch,
                                "training_step": training_step, "clip_grad": clip_grad},
                     hooks=tuple(name for name, hook in (("training_step", training_step),
                                                         ("clip_grad", clip_grad)) if hook))
    return Experiment(
        name=name, source=source, model_factory=model,
        **_loader_fields(read.loaders, int(targets.shape[0])),
        optimizer=spec,
        loss_factory=loss,
        task=task, metric=metric, epochs=epochs,
        n_classes=n_classes,
        input_shape=tuple(input_tensors(inputs)[0].shape[1:]),
        layer_order=layer_order,
        schedule=schedule,
        batch=batch,
        inputs=input_form(inputs, batch is not None),
        outputs=returns,
        training_step=training_step,
        clip_grad=clip_grad,
        trains_with=trains_with(training_step, loss_module, task,
                                batch is None and isinstance(inputs, dict),
                                step_name=(f"{type(first).__name__}.training_step(batch, "
                                           "batch_idx)" if hooks is not None else None)),
        augment=augment,
        data_factory=data if augment is not None else None,
        lightning=_lightning_record(first, hooks, lightning),
        model_class=type(first).__name__,
        model_module=type(first).__module__,
        target_variance=target_variance,
        label_smoothing=(0.0 if training_step is not None
                         else float(getattr(loss_module, "label_smoothing", 0.0) or 0.0)),
        bundled=bundled,
        notes=tuple(notes),
        fingerprint=ident.tuning,
        test_fingerprint=ident.test,
    )


def _steps_per_epoch(loader: Any) -> int:
    try:
        return len(loader)
    except TypeError:
        return 0


def _lightning_record(first: nn.Module, hooks: Any, lightning: LightningSource
                      ) -> dict[str, Any] | None:
    """What the experiment record says of a Lightning experiment (None for another)."""
    if hooks is None and not lightning.datamodule:
        return None
    return {"module": type(first).__name__ if hooks is not None else None,
            "datamodule": lightning.datamodule,
            "validation_logs": list(lightning.logged),
            "monitor": hooks.monitor if hooks is not None else None}


def _loader_fields(loaders: tuple[Any, ...], first_batch: int) -> dict[str, Any]:
    """The loaders and what they tell: split sizes and the training batch size."""
    train_loader, val_loader = loaders[0], loaders[1]
    test_loader = loaders[2] if len(loaders) == 3 else None
    return {"train_loader": train_loader, "val_loader": val_loader, "test_loader": test_loader,
            "n_train": len_dataset(train_loader), "n_val": len_dataset(val_loader),
            "n_test": len_dataset(test_loader) if test_loader is not None else None,
            "batch_size": getattr(train_loader, "batch_size", None) or first_batch}


def _check_functions(model: Any, data: Any, where: str, batch: Any = None) -> None:
    """``model``, ``data`` (and ``batch``, if given) must be functions (checked before any is
    called)."""
    if batch is not None and not callable(batch):
        raise ExperimentError(f"{where}: 'batch' is {kind(batch)}, not a function. Define "
                              "batch(b) that returns (inputs, targets) from one batch.")
    if not callable(model):
        raise ExperimentError(f"{where}: 'model' is {kind(model)}, not a function. Define "
                              "model() that returns a fresh torch.nn.Module.")
    if not callable(data):
        raise ExperimentError(f"{where}: 'data' is {kind(data)}, not a function. Define data() "
                              "that returns (train_loader, val_loader[, test_loader]).")


def _check_settings(epochs: Any, metric: Any, task: str, where: str,
                    notes: list[str]) -> tuple[int, str]:
    """The epochs and metric, with their defaults; returns ``(epochs, metric)``.

    Raises:
        ExperimentError: Epochs that are not a whole number >= 1, an unknown metric, or
            accuracy for a regression.
    """
    if epochs is None:
        epochs = 100
        notes.append("epochs not given: the baseline trains for 100 epochs")
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ExperimentError(f"{where}: epochs must be a whole number >= 1. Got {epochs!r}.")
    if metric is None:
        metric = "accuracy" if task == "classification" else "loss"
    if metric not in ("accuracy", "loss"):
        raise ExperimentError(f"{where}: metric must be 'accuracy' or 'loss'. Got {metric!r}.")
    if metric == "accuracy" and task != "classification":
        raise ExperimentError(f"{where}: metric 'accuracy' needs a classification task; use "
                              "metric = 'loss' for regression.")
    return epochs, metric


def check_sample_counts(experiment: Experiment) -> None:
    """Refuse data too small to judge a fit on: fewer than :data:`MIN_SAMPLES` training or
    validation samples (where the loaders tell their size). ``train`` trains any size; the
    diagnosis, tuning and verification call this before they train.

    Raises:
        ExperimentError: Too few samples; the message gives both counts and the minimum.
    """
    n_train, n_val = experiment.n_train, experiment.n_val
    if all(n is None or n >= MIN_SAMPLES for n in (n_train, n_val)):
        return
    shown = ["an unknown number of" if n is None else str(n) for n in (n_train, n_val)]
    raise ExperimentError(
        f"{experiment.source}: the training loader holds {shown[0]} sample"
        f"{'s' if n_train != 1 else ''} and the validation loader {shown[1]}; judging a fit "
        f"needs at least {MIN_SAMPLES} in each (with fewer, one validation sample moves "
        f"accuracy by over {100 // MIN_SAMPLES} points and the gap between training and "
        "validation is noise). Give data() more samples.")
