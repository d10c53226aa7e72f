"""Lightning as written: a ``LightningModule`` and a ``LightningDataModule`` read into the contract.

An experiment whose ``model()`` returns a ``LightningModule`` trains through the module's own
hooks, called from regadvisor's loop as Lightning's automatic optimization calls them:

- ``configure_optimizers()`` gives the optimizer (its class and hyperparameters become the
  experiment's optimizer, its param groups with weight decay 0 the parameters it leaves
  undecayed) and the schedule with its ``interval``, ``frequency`` and ``monitor`` (read by
  Lightning's own parser, so every form Lightning accepts is accepted). Each optimizer
  regadvisor builds (AdamW with the decay and no-decay groups, say) gets the scheduler
  ``configure_optimizers()`` built, moved onto it before its first step (:func:`transplant`);
- ``training_step(batch, batch_idx)`` gives the loss of each batch (a tensor, or the ``loss``
  of the dict it returns): it is the experiment's ``training_step``, so what regadvisor adds
  composes with it as with any user step (weight decay groups, dropout in the module, L1 added
  to the returned loss, early stopping; label smoothing cannot enter the user's loss);
- ``forward`` gives the logits the validation and test figures are measured on, and
  ``validation_step`` runs once at load (what it logs is recorded).

An experiment whose ``data()`` returns a ``LightningDataModule`` gets its loaders as Lightning's
``Trainer.fit`` and ``Trainer.test`` get them: ``prepare_data()``, ``setup("fit")``, the
training and validation loaders, then ``setup("test")`` and the test loader where the data
module defines one.

Why regadvisor's loop and not Lightning's ``Trainer``: on the digits MLP of
``tests/assets/stacks/lightning_digits.py`` (64-256-256-10, 300 training samples in batches of
20, one CPU thread), ``Trainer.fit`` took 50.7 ms an epoch (no logger, progress bar or
checkpoints) and regadvisor's loop 17.6 ms, eval-mode training figures included (24.9 ms through
the DataLoader): the loop is about 3× faster, and it already holds the early stopping with
restored weights, pruning, the per-epoch History and one host synchronisation per epoch that
every stage reads. The module's hooks run unchanged; while regadvisor trains a module it is
attached to a :class:`StandInTrainer` that answers what hooks commonly read from
``self.trainer`` (``current_epoch``, ``global_step``, ``max_epochs``,
``estimated_stepping_batches``, ``datamodule``, ...) and its ``self.log``/``self.log_dict``
calls are recorded instead of going to a logger.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import torch
from torch import nn

from regadvisor.errors import ExperimentError
from regadvisor.experiment._calls import call, first_line, kind
from regadvisor.training.schedule import Schedule

__all__ = ["LightningSource", "StandInTrainer", "is_datamodule", "is_lightning_module",
           "transplant"]

#: The packages a LightningModule's base class comes from (``lightning`` and the older
#: ``pytorch_lightning``); a class is recognised by its bases, without importing either.
_PACKAGES = ("lightning.pytorch", "pytorch_lightning")

#: Per-param-group lists a torch scheduler keeps, resized when it moves onto an optimizer with
#: another number of groups.
_PER_GROUP = ("base_lrs", "_last_lr", "lr_lambdas", "min_lrs", "max_lrs", "base_momentums",
              "max_momentums")
#: Param group entries a scheduler sets (at construction, its first step) that are copied onto
#: the new optimizer's groups even where the new group has them.
_SCHEDULED = ("lr", "initial_lr", "betas", "momentum")


def _lightning_base(obj: Any, name: str) -> type | None:
    for cls in type(obj).__mro__:
        if cls.__name__ == name and cls.__module__.startswith(_PACKAGES):
            return cls
    return None


def is_lightning_module(obj: Any) -> bool:
    """Whether ``obj`` is a ``LightningModule`` (of ``lightning`` or ``pytorch_lightning``)."""
    return isinstance(obj, nn.Module) and _lightning_base(obj, "LightningModule") is not None


def is_datamodule(obj: Any) -> bool:
    """Whether ``obj`` is a ``LightningDataModule``."""
    return _lightning_base(obj, "LightningDataModule") is not None


def _overrides(obj: Any, base_name: str, method: str) -> bool:
    base = _lightning_base(obj, base_name)
    return base is not None and getattr(type(obj), method, None) is not getattr(base, method, None)


# ---------------------------------------------------------------------------------------------
# What a module's hooks read while regadvisor trains it
# ---------------------------------------------------------------------------------------------

@dataclass
class _Shared:
    """What every stand-in trainer of one experiment reads: the training length and batches per
    epoch (set once the loaders are read) and the data module ``data()`` returned."""

    max_epochs: int = 100
    steps_per_epoch: int = 0
    datamodule: Any = None


class StandInTrainer:
    """What a LightningModule's hooks commonly read from ``self.trainer``, while regadvisor's
    loop trains the module.

    ``current_epoch``, ``global_step`` and the ``batch_idx`` passed to ``training_step`` count
    the training batches the module has seen (an epoch is the training loader's length);
    ``max_epochs`` is the experiment's ``epochs`` and ``estimated_stepping_batches`` that many
    epochs of batches, as Lightning computes it without gradient accumulation. ``self.log``
    and ``self.log_dict`` write into :attr:`callback_metrics` (the last value of each key,
    detached; nothing is read back to the host).
    """

    is_global_zero = True
    global_rank = local_rank = node_rank = 0
    world_size = num_devices = num_nodes = 1
    logger = None
    sanity_checking = False
    fast_dev_run = False
    accumulate_grad_batches = 1
    max_steps = -1
    should_stop = False

    def __init__(self, module: nn.Module, shared: _Shared) -> None:
        self._shared = shared
        self.lightning_module = module
        self.loggers: list[Any] = []
        self.callback_metrics: dict[str, Any] = {}
        self.batches_seen = 0
        self.training = True

    @property
    def logged_metrics(self) -> dict[str, Any]:
        return self.callback_metrics

    @property
    def progress_bar_metrics(self) -> dict[str, Any]:
        return self.callback_metrics

    @property
    def max_epochs(self) -> int:
        return self._shared.max_epochs

    @property
    def num_training_batches(self) -> int:
        return self._shared.steps_per_epoch

    @property
    def estimated_stepping_batches(self) -> int:
        return self._shared.max_epochs * max(self._shared.steps_per_epoch, 1)

    @property
    def datamodule(self) -> Any:
        return self._shared.datamodule

    @property
    def current_epoch(self) -> int:
        steps = self._shared.steps_per_epoch
        return self.batches_seen // steps if steps else 0

    @property
    def global_step(self) -> int:
        return self.batches_seen

    def batch_index(self) -> int:
        """The ``batch_idx`` of the training batch the module is given now (the batches seen
        before it, counted within the epoch)."""
        steps = self._shared.steps_per_epoch
        return self.batches_seen % steps if steps else self.batches_seen

    def log(self, name: str, value: Any, *args: Any, **kwargs: Any) -> None:
        self.callback_metrics[name] = value.detach() if torch.is_tensor(value) else value

    def log_dict(self, dictionary: Mapping[str, Any], *args: Any, **kwargs: Any) -> None:
        for name, value in dictionary.items():
            self.log(name, value)


def _attach(module: nn.Module, shared: _Shared) -> nn.Module:
    """Attach a stand-in trainer to ``module`` (and its LightningModule children) and record
    its ``self.log`` calls there."""
    stand_in = StandInTrainer(module, shared)
    module.trainer = stand_in  # the setter attaches the module's LightningModule children too
    for sub in module.modules():
        if is_lightning_module(sub):
            sub.log = stand_in.log
            sub.log_dict = stand_in.log_dict
    return module


# ---------------------------------------------------------------------------------------------
# The schedule configure_optimizers builds, on every optimizer regadvisor builds
# ---------------------------------------------------------------------------------------------

def transplant(scheduler: Any, source: torch.optim.Optimizer,
               target: torch.optim.Optimizer) -> Any:
    """``scheduler`` (built on ``source``, not stepped by training yet) moved onto ``target``.

    The scheduler is copied with its optimizer replaced by ``target``; what it set in
    ``source``'s param groups (``initial_lr``, the first rate, OneCycle's ``max_lr``, ...) is
    set in ``target``'s, group by group when both have as many groups, else from ``source``'s
    first group in every group of ``target`` (its per-group lists are resized the same way), as
    regadvisor's optimizer trains every group at the first group's rate.
    """
    same = len(source.param_groups) == len(target.param_groups)
    # The hook a scheduler puts on its optimizer's step (to warn of a step before the
    # optimizer's): a throwaway scheduler puts it on ``target``; its rates are overwritten below.
    torch.optim.lr_scheduler.LambdaLR(target, lambda _: 1.0)
    for i, group in enumerate(target.param_groups):
        src = source.param_groups[i if same else 0]
        for key, value in src.items():
            if key != "params" and (key not in group or key in _SCHEDULED):
                group[key] = copy.copy(value)
    moved = copy.deepcopy(scheduler, {id(source): target})
    if not same:
        _resize(moved, len(target.param_groups))
    return moved


def _resize(scheduler: Any, n_groups: int) -> None:
    for name in _PER_GROUP:
        values = getattr(scheduler, name, None)
        if isinstance(values, list) and values:
            setattr(scheduler, name, [copy.copy(values[0]) for _ in range(n_groups)])
    for inner in getattr(scheduler, "_schedulers", None) or ():
        _resize(inner, n_groups)


class _EveryN(torch.optim.lr_scheduler.LRScheduler):
    """A scheduler stepped as Lightning steps one whose ``frequency`` is above 1: when the
    number of the batch within its epoch (``interval`` "step", ``period`` batches an epoch) or
    of the epoch, counted from 1, is a multiple of ``frequency``."""

    def __init__(self, scheduler: Any, frequency: int, period: int = 0) -> None:
        # No base __init__: the wrapped scheduler has taken its first step already.
        self.scheduler, self.frequency, self.period, self.calls = scheduler, frequency, period, 0
        self.optimizer = scheduler.optimizer

    def step(self, *args: Any) -> None:  # type: ignore[override]
        index = self.calls % self.period if self.period else self.calls
        self.calls += 1
        if (index + 1) % self.frequency == 0:
            self.scheduler.step(*args)

    def get_last_lr(self) -> list[float]:
        return self.scheduler.get_last_lr()


@dataclass(frozen=True)
class _Configured:
    """What ``configure_optimizers()`` returned, read as Lightning reads it."""

    optimizer: torch.optim.Optimizer
    scheduler: Any = None
    interval: str = "epoch"
    frequency: int = 1
    monitor: str | None = None


# ---------------------------------------------------------------------------------------------
# The experiment's pieces from a LightningModule and a LightningDataModule
# ---------------------------------------------------------------------------------------------

@dataclass
class LightningSource:
    """The model and data functions of an experiment, read as Lightning reads them.

    :attr:`model` and :attr:`data` replace the experiment's ``model`` and ``data``: the first
    attaches a :class:`StandInTrainer` to each ``LightningModule`` it returns, the second
    turns a ``LightningDataModule`` into its loaders. Other modules and loaders pass through
    unchanged. Once :meth:`read` has seen the first model and the loaders, the module's hooks
    give the ``optimizer``, ``schedule`` and ``training_step`` of the contract.
    """

    user_model: Callable[[], nn.Module]
    user_data: Callable[..., Any]
    where: str
    shared: _Shared = field(default_factory=_Shared)
    datamodule: bool = False
    logged: tuple[str, ...] = ()

    def model(self) -> nn.Module:
        module = self.user_model()
        return _attach(module, self.shared) if is_lightning_module(module) else module

    @property
    def data(self) -> Callable[..., Any]:
        @functools.wraps(self.user_data)
        def data(*args: Any, **kwargs: Any) -> Any:
            out = self.user_data(*args, **kwargs)
            if not is_datamodule(out):
                return out
            self.datamodule = True
            self.shared.datamodule = out
            return self._loaders(out)
        return data

    def _loaders(self, dm: Any) -> tuple[Any, ...]:
        name = type(dm).__name__
        for hook in ("train_dataloader", "val_dataloader"):
            if not _overrides(dm, "LightningDataModule", hook):
                raise ExperimentError(
                    f"{self.where}: data() returned the LightningDataModule {name}, which "
                    f"defines no {hook}(). regadvisor trains on its training loader and "
                    "judges every epoch on its validation loader: define train_dataloader() "
                    "and val_dataloader().")
        call(dm.prepare_data, self.where, f"{name}.prepare_data()")
        call(dm.setup, self.where, f"{name}.setup('fit')", "fit")
        loaders = [call(dm.train_dataloader, self.where, f"{name}.train_dataloader()"),
                   call(dm.val_dataloader, self.where, f"{name}.val_dataloader()")]
        if _overrides(dm, "LightningDataModule", "test_dataloader"):
            call(dm.setup, self.where, f"{name}.setup('test')", "test")
            loaders.append(call(dm.test_dataloader, self.where, f"{name}.test_dataloader()"))
        return tuple(loaders)

    # -----------------------------------------------------------------------------------------

    def read(self, first: nn.Module, epochs: int | None, steps_per_epoch: int,
             val_batch: Any) -> _Pieces:
        """Check the LightningModule ``first`` and read its optimizer, schedule and step.

        Args:
            first: The first model ``model()`` built (a stand-in trainer attached).
            epochs: The experiment's ``epochs`` (None: the default, 100).
            steps_per_epoch: Batches per epoch of the training loader (0 when unknown).
            val_batch: The first validation batch, as the loader yields it.

        Raises:
            ExperimentError: The module defines no ``forward`` or ``training_step``, uses
                manual optimization, or its ``configure_optimizers`` returns what regadvisor
                cannot train with (several optimizers or schedulers, a ``ReduceLROnPlateau``
                stepped less than every epoch or watching a figure that should rise).
        """
        self.shared.max_epochs = epochs or 100
        self.shared.steps_per_epoch = steps_per_epoch
        self.check_hooks(first)
        configured = self._configure(first)
        self.logged = self._validation_keys(first, val_batch)
        schedule = None
        if configured.scheduler is not None:
            schedule = Schedule(factory=self._schedule_factory(first), interval=configured.interval,
                                name=type(configured.scheduler).__name__)
        spec_optimizer = functools.partial(self._optimizer, first)
        return _Pieces(optimizer=spec_optimizer, schedule=schedule, training_step=_lightning_step,
                       monitor=configured.monitor)

    def check_hooks(self, first: nn.Module) -> None:
        """The hooks regadvisor's loop needs: ``forward`` (the logits), ``training_step`` (the
        loss) and automatic optimization (regadvisor steps the optimizer).

        Raises:
            ExperimentError: One is missing, or the module optimizes manually.
        """
        name = type(first).__name__
        for hook, why in (("forward", "the validation and test figures are measured on the "
                           "logits model(inputs) returns; define forward(self, x) that returns "
                           "them (training_step may call self(x))"),
                          ("training_step", "it gives the loss of each training batch")):
            if not _overrides(first, "LightningModule", hook):
                raise ExperimentError(f"{self.where}: the LightningModule {name} defines no "
                                      f"{hook}(): {why}.")
        if not getattr(first, "automatic_optimization", True):
            raise ExperimentError(
                f"{self.where}: the LightningModule {name} sets automatic_optimization = False. "
                "regadvisor makes the optimizer step itself (with its weight decay groups), as "
                "Lightning's automatic optimization does: return the loss from training_step "
                "and let the optimizer step outside it.")

    def _configure(self, module: nn.Module) -> _Configured:
        """``module.configure_optimizers()``, read with Lightning's own parser."""
        from lightning.pytorch.core.optimizer import (
            _configure_optimizers,
            _configure_schedulers_automatic_opt,
        )

        name = type(module).__name__
        what = f"{name}.configure_optimizers()"
        conf = call(module.configure_optimizers, self.where, what)
        try:
            optimizers, schedulers, monitor = _configure_optimizers(conf)
            configs = _configure_schedulers_automatic_opt(schedulers, monitor)
        except Exception as e:  # Lightning's MisconfigurationException: its own sentence
            raise ExperimentError(f"{self.where}: {what} returned {kind(conf)} that Lightning "
                                  f"does not accept: {first_line(e)}") from None
        if len(optimizers) != 1 or not isinstance(optimizers[0], torch.optim.Optimizer):
            raise ExperimentError(
                f"{self.where}: {what} returned {len(optimizers)} optimizers; regadvisor tunes "
                "one torch.optim optimizer (Lightning's automatic optimization also takes one). "
                "Return one optimizer, with its lr_scheduler if any.")
        if len(configs) > 1:
            raise ExperimentError(f"{self.where}: {what} returned {len(configs)} learning-rate "
                                  "schedulers; regadvisor steps one. Return one (chain them with "
                                  "torch.optim.lr_scheduler.SequentialLR or ChainedScheduler).")
        optimizer = optimizers[0]
        if not configs:
            return _Configured(optimizer)
        config = configs[0]
        plateau = isinstance(config.scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau)
        if plateau and (config.frequency != 1 or config.interval != "epoch"
                        or config.scheduler.mode != "min"):
            raise ExperimentError(
                f"{self.where}: {what} returns a ReduceLROnPlateau with interval "
                f"{config.interval!r}, frequency {config.frequency} and mode "
                f"{config.scheduler.mode!r}; regadvisor steps it after each epoch with the "
                "validation loss (mode 'min'). Use interval 'epoch', frequency 1 and a monitor "
                "on the validation loss.")
        if getattr(config.scheduler, "optimizer", None) is not optimizer:
            raise ExperimentError(f"{self.where}: {what} returns a scheduler built on another "
                                  "optimizer than the one it returns.")
        return _Configured(optimizer, config.scheduler, config.interval, config.frequency,
                           config.monitor)

    def _optimizer(self, module: nn.Module, params: Any = None) -> torch.optim.Optimizer:
        """The optimizer ``configure_optimizers()`` builds on ``module`` (``params`` are that
        module's parameters, as the contract's ``optimizer(params)`` receives them), with the
        rates it was built with: a scheduler's first step (a warm-up from 0) is not its rate."""
        optimizer = self._configure(module).optimizer
        for group in optimizer.param_groups:
            group["lr"] = group.get("initial_lr", group["lr"])
        return optimizer

    def _schedule_factory(self, module: nn.Module) -> Callable[[torch.optim.Optimizer], Any]:
        def scheduler(optimizer: torch.optim.Optimizer) -> Any:
            configured = self._configure(module)
            moved = transplant(configured.scheduler, configured.optimizer, optimizer)
            if configured.frequency == 1:
                return moved
            period = self.shared.steps_per_epoch if configured.interval == "step" else 0
            return _EveryN(moved, configured.frequency, period)
        return scheduler

    def _validation_keys(self, module: nn.Module, batch: Any) -> tuple[str, ...]:
        """Run ``validation_step`` once on the first validation batch; the keys it logs."""
        if not _overrides(module, "LightningModule", "validation_step"):
            return ()
        stand_in = module._trainer
        before = set(stand_in.callback_metrics)
        module.eval()
        try:
            with torch.no_grad():
                call(module.validation_step, self.where,
                     f"{type(module).__name__}.validation_step(batch, batch_idx)", batch, 0)
        finally:
            module.train()
        return tuple(k for k in stand_in.callback_metrics if k not in before)


@dataclass(frozen=True)
class _Pieces:
    """The contract's pieces a LightningModule gives."""

    optimizer: Callable[[Any], torch.optim.Optimizer]
    schedule: Schedule | None
    training_step: Callable[[nn.Module, Any], Any]
    monitor: str | None = None


def _lightning_step(model: nn.Module, batch: Any) -> Any:
    """The loss of one batch: the module's ``training_step(batch, batch_idx)``, or the ``loss``
    of the dict it returns."""
    stand_in = getattr(model, "_trainer", None)
    counted = isinstance(stand_in, StandInTrainer)
    out = model.training_step(batch, stand_in.batch_index() if counted else 0)
    if counted:
        stand_in.batches_seen += 1
    return out.get("loss") if isinstance(out, Mapping) else out
