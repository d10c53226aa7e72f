"""The one training loop: a :class:`RegConfig` in, a :class:`History` and the best weights out.

Diagnosis, tuning and verification all train through :func:`train`.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from regadvisor.training.batch import BatchFn
from regadvisor.training.config import RegConfig
from regadvisor.training.early_stopping import StopReason, StopTraining
from regadvisor.training.evaluation import align_targets, class_labels, evaluate
from regadvisor.training.history import EpochRecord, History
from regadvisor.training.prepare import ClipGrad, Run, TrainingStep, copy_state, prepare_run
from regadvisor.training.schedule import Schedule
from regadvisor.training.steps import EpochSteps, StepLoop
from regadvisor.training.stops import Budget, end_run, keep_weights, mark_divergence

__all__ = ["EpochCallback", "TrainResult", "align_targets", "class_labels", "train"]

#: Called after every epoch with the new record and the history so far. Raising
#: :class:`StopTraining` ends the run as a normal stop; any other exception (tuning raises
#: ``optuna.TrialPruned``) propagates out of :func:`train`.
EpochCallback = Callable[[EpochRecord, History], None]


@dataclass
class TrainResult:
    """What :func:`train` returns: the History and the model holding the restored best weights."""

    history: History
    model: nn.Module


def train(
    model_factory: Callable[[], nn.Module],
    train_loader: Any,
    val_loader: Any,
    config: RegConfig,
    *,
    task: str = "classification",
    loss_factory: Callable[[], nn.Module] | None = None,
    device: str | torch.device = "cpu",
    amp: bool = False,
    callbacks: Sequence[EpochCallback] = (),
    max_seconds: float | None = None,
    train_eval_samples: int = 512,
    train_figures: bool = True,
    fast_path: bool = True,
    schedule: Schedule | None = None,
    batch: BatchFn | None = None,
    training_step: TrainingStep | None = None,
    clip_grad: ClipGrad | None = None,
) -> TrainResult:
    """Train a fresh model under ``config`` and return its History and best weights.

    The run seeds torch, NumPy and ``random`` with ``config.seed`` before it builds the model, so
    the same seed on the same device gives the same History. A non-finite training or validation
    loss ends the run as *diverged* (no exception). Early stopping restores the best weights;
    without it the run keeps the last epoch's weights, as a plain training script does (the best
    epoch is still recorded). A diverged run restores its last finite weights.

    Args:
        model_factory: Returns a fresh, untrained model at each call.
        train_loader: Training batches ``(inputs, targets)``.
        val_loader: Validation batches.
        config: The regularization and length of the run.
        task: ``"classification"`` (metric: accuracy) or ``"regression"`` (metric: the loss).
        loss_factory: Returns the loss module; default ``CrossEntropyLoss`` or ``MSELoss``.
        device: Where to train.
        amp: bf16 autocast (CUDA only; ignored elsewhere).
        callbacks: Called after each epoch (see :data:`EpochCallback`).
        max_seconds: Stop after the epoch that passes this wall time (reason ``budget``).
        train_eval_samples: How many training samples (the first ones, the same every epoch) the
            eval-mode training figures are measured on.
        train_figures: Measure those figures every epoch. Runs whose training figures nobody
            reads (tuning trials, the noise-aware re-runs, verification seeds that are not
            plotted) pass False: ``train_loss`` and ``train_metric`` are then NaN, and a
            non-finite step loss or validation loss still marks the run as diverged.
        fast_path: Hold in-memory ``TensorDataset`` data on the device and shuffle indices there
            instead of going through the DataLoader per batch. It draws the same random numbers
            as the DataLoader, so both paths give the same History.
        schedule: The user's learning-rate schedule, rebuilt on the optimizer this run builds
            and stepped per batch or per epoch as it says; each epoch's record holds the mean
            rate of its steps.
        batch: The experiment's ``batch(b) -> (inputs, targets)`` for batches that are not
            ``(inputs, targets)`` pairs (see :mod:`regadvisor.training.batch`); with it every
            batch goes through the loaders.
        training_step: The experiment's ``training_step(model, batch) -> loss``: every
            optimizer step minimizes the loss it returns for the batch as the training loader
            yields it (plus the L1 term of ``config``); label smoothing cannot be applied
            then. The validation figures still compare the model's logits with the batch's
            targets under the task's loss.
        clip_grad: The experiment's ``clip_grad(model)``, called after each backward pass and
            before the optimizer step.
    """
    run = prepare_run(model_factory, train_loader, val_loader, config, task=task,
                      loss_factory=loss_factory, device=device, amp=amp,
                      train_eval_samples=train_eval_samples, train_figures=train_figures,
                      fast_path=fast_path, schedule=schedule, batch_fn=batch,
                      training_step=training_step, clip_grad=clip_grad)
    best_state = _run_epochs(run, callbacks, max_seconds)
    keep_weights(run.model, run.history, best_state, config)
    return TrainResult(history=run.history, model=run.model)


def _run_epochs(run: Run, callbacks: Sequence[EpochCallback],
                max_seconds: float | None) -> dict[str, torch.Tensor]:
    """Train epoch by epoch until a stop, writing each epoch and the stop into the History.

    Returns:
        The weights of the best epoch (the initial weights when no epoch improved).
    """
    history = run.history
    best_state = copy_state(run.model)
    budget = Budget(max_seconds)
    lr = run.config.learning_rate
    steps_per_epoch = run.train_data.steps_per_epoch()
    steps = StepLoop(run, steps_per_epoch)

    for epoch in range(1, run.config.max_epochs + 1):
        t0 = time.perf_counter()
        run.epoch = epoch
        epoch_steps = steps.epoch(budget)
        scheduled = run.scheduler is not None and epoch_steps.n_steps
        record = _record_epoch(run, epoch, epoch_steps,
                               epoch_steps.lr_mean if scheduled else lr, t0)
        if mark_divergence(history, record, epoch_steps, run.train_eval is not None):
            break
        if run.scheduler is not None and not run.step_scheduler:
            run.scheduler_step(record.val_loss)

        improved, should_stop, reason = run.stopper.update(epoch, record.val_loss,
                                                           record.val_metric)
        if improved:
            history.best_epoch = epoch
            best_state = copy_state(run.model)
        if _stopped_by_callback(record, history, callbacks):
            break
        if should_stop:
            end_run(history, StopReason.EARLY_STOPPED, reason)
            break
        if budget.spent():
            budget.stop(history, epoch, epoch_steps, steps_per_epoch)
            break
    else:
        end_run(history, StopReason.MAX_EPOCHS,
                f"Trained for all {run.config.max_epochs} epochs.")
    return best_state


def _record_epoch(run: Run, epoch: int, steps: EpochSteps, lr: float,
                  t0: float) -> EpochRecord:
    """Measure the epoch's figures in eval mode and append its record to the History.

    ``t0`` is the ``time.perf_counter()`` reading at the start of the epoch.
    """
    if run.train_eval is not None:
        train_loss, train_metric = evaluate(
            run.model, run.train_eval, run.eval_criterion, run.classification, run.autocast,
            functools.partial(run.check_outputs, epoch=epoch, split="training (eval mode)"))
    else:
        train_loss = train_metric = math.nan
    val_loss, val_metric = evaluate(
        run.model, run.val_data.eval_batches(), run.eval_criterion, run.classification,
        run.autocast, functools.partial(run.check_outputs, epoch=epoch, split="validation"))
    record = EpochRecord(
        epoch=epoch,
        train_loss=train_loss,
        train_metric=train_metric,
        val_loss=val_loss,
        val_metric=val_metric,
        step_loss=steps.step_loss,
        lr=lr,
        seconds=time.perf_counter() - t0,
    )
    run.history.records.append(record)
    return record


def _stopped_by_callback(record: EpochRecord, history: History,
                         callbacks: Sequence[EpochCallback]) -> bool:
    """Call the callbacks in order; a :class:`StopTraining` from one ends the run (recorded in
    ``history``) and skips the rest."""
    try:
        for callback in callbacks:
            callback(record, history)
    except StopTraining as stop:
        end_run(history, stop.reason, str(stop) or f"Stopped after epoch {record.epoch}.")
        return True
    return False


def train_experiment(experiment: Any, config: RegConfig, *,
                     trainer: Callable[..., TrainResult] | None = None,
                     **kwargs: Any) -> TrainResult:
    """Train an experiment's setup under ``config``: its model, the training loader the config
    asks for (another augmentation strength builds another), its validation loader, task, loss,
    learning-rate schedule, batch hook, training step and gradient clipping.

    Args:
        experiment: A :class:`regadvisor.experiment.Experiment`.
        config: The regularization configuration.
        trainer: The function that trains (default :func:`train`); callers pass their own
            reference so that it can be replaced as one.
        **kwargs: Further :func:`train` arguments (``device``, ``callbacks``, ...).
    """
    return (trainer or train)(
        experiment.model_factory, experiment.train_loader_for(config), experiment.val_loader,
        config, task=experiment.task, loss_factory=experiment.loss_factory,
        schedule=experiment.schedule, batch=experiment.batch,
        training_step=experiment.training_step, clip_grad=experiment.clip_grad, **kwargs)
