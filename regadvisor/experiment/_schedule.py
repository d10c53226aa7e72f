"""Checking the experiment's learning-rate schedule: ``scheduler(optimizer)`` and its interval."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from regadvisor.errors import ExperimentError
from regadvisor.experiment._calls import call, kind
from regadvisor.training.schedule import INTERVALS, Schedule

__all__ = ["read_schedule"]


def read_schedule(scheduler: Callable | None, interval: Any, optimizer: Callable | None,
                  model: nn.Module, where: str) -> Schedule | None:
    """Build the user's scheduler once, on a fresh optimizer of ``model``, and read it.

    Args:
        scheduler: ``scheduler(optimizer)`` from the experiment, or None.
        interval: ``scheduler_interval``: ``"epoch"`` (the default) or ``"step"``.
        optimizer: The experiment's ``optimizer(params)`` (None: Adam, lr 1e-3).
        model: A fresh model to build the optimizer on.
        where: The experiment, for messages.

    Raises:
        ExperimentError: ``scheduler`` is not a function, fails, returns no scheduler or one of
            another optimizer, or the interval is not ``"epoch"`` or ``"step"``.
    """
    if scheduler is None:
        if interval is not None:
            raise ExperimentError(f"{where}: scheduler_interval is set but no scheduler is "
                                  "defined. Define scheduler(optimizer) that returns a "
                                  "torch.optim.lr_scheduler scheduler, or remove "
                                  "scheduler_interval.")
        return None
    if not callable(scheduler):
        raise ExperimentError(f"{where}: 'scheduler' is {kind(scheduler)}, not a function. "
                              "Define scheduler(optimizer) that returns a "
                              "torch.optim.lr_scheduler scheduler built on that optimizer.")
    interval = "epoch" if interval is None else interval
    if interval not in INTERVALS:
        raise ExperimentError(f"{where}: scheduler_interval is {interval!r}; use 'epoch' (step "
                              "after each epoch's validation) or 'step' (after each optimizer "
                              "step).")
    params = list(model.parameters())
    opt = (call(optimizer, where, "optimizer(params)", params) if optimizer is not None
           else torch.optim.Adam(params, lr=1e-3))
    instance = call(scheduler, where, "scheduler(optimizer)", opt)
    plateau = torch.optim.lr_scheduler.ReduceLROnPlateau
    if not isinstance(instance, (torch.optim.lr_scheduler.LRScheduler, plateau)):
        raise ExperimentError(f"{where}: scheduler(optimizer) returned {kind(instance)}; it must "
                              "return a torch.optim.lr_scheduler scheduler (OneCycleLR, "
                              "CosineAnnealingLR, ...) built on the optimizer it is given.")
    if getattr(instance, "optimizer", None) is not opt:
        raise ExperimentError(f"{where}: scheduler(optimizer) returned a scheduler of another "
                              "optimizer. Build it on the optimizer it is given: regadvisor "
                              "passes each optimizer it builds (AdamW with param groups, say).")
    return Schedule(factory=scheduler, interval=interval, name=type(instance).__name__)
