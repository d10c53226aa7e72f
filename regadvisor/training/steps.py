"""The optimization steps of one epoch, read back by the host once per epoch."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch

from regadvisor.training.batch import forward
from regadvisor.training.evaluation import align_targets
from regadvisor.training.prepare import Run
from regadvisor.training.stops import Budget

__all__ = ["EpochSteps", "StepLoop"]


@dataclass(frozen=True)
class EpochSteps:
    """What the steps of one epoch did, as read in the epoch's one host synchronisation.

    Attributes:
        n_steps: Optimizer steps taken.
        n_seen: Training samples those steps saw.
        loss_total: Sum of the step losses, each weighted by its batch size (NaN without steps).
        bad_step: 0-based index of the first step whose loss was not finite, or -1.0 (a float,
            as the device returned it).
        cut_short: The time budget ended the epoch before the loader did.
        lr_mean: The learning rate of the first parameter group, averaged over the epoch's
            steps (it moves within the epoch under a per-step schedule).
    """

    n_steps: int
    n_seen: int
    loss_total: float
    bad_step: float
    cut_short: bool
    lr_mean: float = math.nan

    @property
    def step_loss(self) -> float:
        """The mean step loss per sample."""
        return self.loss_total / max(self.n_seen, 1)


class StepLoop:
    """Runs the epochs' optimization steps of one run.

    Per-step losses stay on the device in a buffer sized for one epoch (it doubles when a loader
    whose length could not be known gives more batches); they are read once per epoch, so a
    step costs no host synchronisation.
    """

    def __init__(self, run: Run, steps_per_epoch: int) -> None:
        self.run = run
        self.step_losses = torch.empty(max(steps_per_epoch, 1), dtype=torch.float32,
                                       device=run.device)
        self.lr_sum = 0.0

    def epoch(self, budget: Budget) -> EpochSteps:
        """One pass over the training data in train mode, ended early by ``budget``.

        With the experiment's ``training_step`` each step gets the batch as the loader yields
        it (on the device); otherwise ``(inputs, targets)`` as
        :func:`~regadvisor.training.batch.split_batch` reads it.
        """
        self.run.model.train()
        sizes: list[int] = []
        cut_short = False
        self.lr_sum = 0.0
        data = self.run.train_data
        for batch, targets in (data.raw_batches() if self.run.training_step is not None
                               else data.batches()):
            self._step(batch, targets, len(sizes))
            sizes.append(targets.shape[0])
            # The budget holds within an epoch too (a loader that never ends one would
            # otherwise run forever); a clock read per step costs no device synchronisation.
            if budget.spent():
                cut_short = True
                break
        return self._read(sizes, cut_short)

    def _step(self, batch: Any, targets: torch.Tensor, index: int) -> None:
        """One optimizer step; its loss goes to slot ``index`` of the buffer, on the device.

        The loss is the experiment's ``training_step(model, batch)`` when it has one (``batch``
        is then the loader's batch), else the training criterion on the model's logits for the
        inputs ``batch``. L1 adds to either; the experiment's ``clip_grad(model)`` runs between
        the backward pass and the optimizer step.
        """
        run = self.run
        with run.autocast:
            if run.training_step is not None:
                loss = run.training_step(run.model, batch)
            else:
                outputs = forward(run.model, batch)
                run.check_outputs(outputs, index, run.epoch, "training")
                loss = run.criterion(outputs.float(),
                                     align_targets(targets, outputs, run.classification))
        if run.l1_params:
            loss = loss + run.config.l1 * sum(p.abs().sum() for p in run.l1_params)
        run.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if run.clip_grad is not None:
            run.clip_grad(run.model)
        # A Python float unless the optimizer holds its rate as a tensor (then it is read once).
        self.lr_sum += float(run.optimizer.param_groups[0]["lr"])
        run.optimizer.step()
        if run.step_scheduler:
            run.scheduler_step()
        if index == self.step_losses.shape[0]:  # a loader whose length we could not know
            self.step_losses = torch.cat([self.step_losses, torch.empty_like(self.step_losses)])
        self.step_losses[index] = loss.detach()

    def _read(self, sizes: list[int], cut_short: bool) -> EpochSteps:
        """One host synchronisation per epoch: the size-weighted step loss and the first bad
        step."""
        device = self.run.device
        n_seen = sum(sizes)
        losses = self.step_losses[:len(sizes)].double()
        weights = torch.tensor(sizes, dtype=torch.float64).to(device, non_blocking=True)
        bad = ~torch.isfinite(losses)
        first_bad_t = torch.where(bad.any(), bad.double().argmax(), torch.tensor(
            -1.0, dtype=torch.float64, device=device))
        step_loss_total, bad_step = torch.stack([(losses * weights).sum(), first_bad_t]).tolist() \
            if sizes else (math.nan, -1.0)
        return EpochSteps(n_steps=len(sizes), n_seen=n_seen, loss_total=step_loss_total,
                          bad_step=bad_step, cut_short=cut_short,
                          lr_mean=self.lr_sum / len(sizes) if sizes else math.nan)
