"""The one training loop: a :class:`RegConfig` in, a :class:`History` and the best weights out.

Diagnosis, tuning and verification all train through :func:`train`.
"""

from __future__ import annotations

import copy
import inspect
import math
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
)
from torch.utils.data._utils.collate import default_collate

from regadvisor.errors import ConfigError
from regadvisor.training.config import RegConfig
from regadvisor.training.early_stopping import EarlyStopping, StopReason, StopTraining
from regadvisor.training.history import EpochRecord, History
from regadvisor.training.placement import apply_regularization

__all__ = ["EpochCallback", "TrainResult", "align_targets", "class_labels", "train"]

#: Called after every epoch with the new record and the history so far. Raising
#: :class:`StopTraining` ends the run as a normal stop; any other exception (tuning raises
#: ``optuna.TrialPruned``) propagates out of :func:`train`.
EpochCallback = Callable[[EpochRecord, History], None]

#: Samples per forward pass when measuring held (device-resident) data in eval mode.
EVAL_BATCH = 256

#: The training sample of the eval-mode figures is held on the device when it takes at most this
#: many bytes (inputs and targets), instead of being read through the loader every epoch.
HEAD_CACHE_BYTES = 64 * 2**20


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
    """
    device = torch.device(device)
    classification = task == "classification"
    _seed_everything(config.seed)

    model = model_factory()
    placed, groups = apply_regularization(model, config, task)
    model.to(device)
    optimizer = _build_optimizer(groups, config, device)
    l1_params = [p for g in groups if g["decay"] for p in g["params"] if p.ndim >= 2] \
        if config.l1 > 0 else []

    criterion, eval_criterion = _losses(loss_factory, classification, config.label_smoothing)
    criterion.to(device)
    eval_criterion.to(device)

    use_fast = fast_path and _is_tensor_loader(train_loader) and _is_tensor_loader(val_loader)
    train_data = _Data(train_loader, device, use_fast)
    val_data = _Data(val_loader, device, use_fast)
    train_eval = train_data.head(train_eval_samples) if train_figures else None

    stopper = EarlyStopping(
        patience_epochs=config.patience_epochs,
        min_delta=config.min_delta,
        monitor=config.monitor,
        higher_is_better=classification,
    )
    history = History(
        metric_name="accuracy" if classification else "loss",
        higher_is_better=classification,
        decay_params=placed.decay,
        no_decay_params=placed.no_decay,
        dropout_changed=placed.dropout_changed,
        dropout_injected=placed.dropout_injected,
        device=str(device),
        fast_path=use_fast,
        config=config.to_dict(),
    )
    autocast = (torch.autocast(device_type="cuda", dtype=torch.bfloat16)
                if amp and device.type == "cuda" else nullcontext())
    best_state = _copy_state(model)
    started = time.perf_counter()
    lr = config.learning_rate
    steps_per_epoch = train_data.steps_per_epoch()
    # Per-step losses stay on the device; they are read once per epoch (no host sync per step).
    step_losses = torch.empty(max(steps_per_epoch, 1), dtype=torch.float32, device=device)

    for epoch in range(1, config.max_epochs + 1):
        t0 = time.perf_counter()
        model.train()
        sizes: list[int] = []
        cut_short = False
        for inputs, targets in train_data.batches():
            with autocast:
                outputs = model(inputs)
                loss = criterion(outputs.float(), align_targets(targets, outputs, classification))
            if l1_params:
                loss = loss + config.l1 * sum(p.abs().sum() for p in l1_params)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if len(sizes) == step_losses.shape[0]:  # a loader whose length we could not know
                step_losses = torch.cat([step_losses, torch.empty_like(step_losses)])
            step_losses[len(sizes)] = loss.detach()
            sizes.append(targets.shape[0])
            # The budget holds within an epoch too (a loader that never ends one would
            # otherwise run forever); a clock read per step costs no device synchronisation.
            if max_seconds is not None and time.perf_counter() - started >= max_seconds:
                cut_short = True
                break
        n_seen = sum(sizes)
        # One host synchronisation per epoch: the size-weighted step loss and the first bad step.
        losses = step_losses[:len(sizes)].double()
        weights = torch.tensor(sizes, dtype=torch.float64).to(device, non_blocking=True)
        bad = ~torch.isfinite(losses)
        first_bad_t = torch.where(bad.any(), bad.double().argmax(), torch.tensor(
            -1.0, dtype=torch.float64, device=device))
        step_loss_total, bad_step = torch.stack([(losses * weights).sum(), first_bad_t]).tolist() \
            if sizes else (math.nan, -1.0)
        if train_eval is not None:
            train_loss, train_metric = _evaluate(model, train_eval, eval_criterion,
                                                 classification, autocast)
        else:
            train_loss = train_metric = math.nan
        val_loss, val_metric = _evaluate(model, val_data.eval_batches(), eval_criterion,
                                         classification, autocast)
        record = EpochRecord(
            epoch=epoch,
            train_loss=train_loss,
            train_metric=train_metric,
            val_loss=val_loss,
            val_metric=val_metric,
            step_loss=step_loss_total / max(n_seen, 1),
            lr=lr,
            seconds=time.perf_counter() - t0,
        )
        history.records.append(record)

        if bad_step >= 0 or not math.isfinite(val_loss) or (
                train_eval is not None and not math.isfinite(train_loss)):
            step_in_epoch = int(bad_step) + 1 if bad_step >= 0 else len(sizes)
            history.diverged_at = (epoch, max(step_in_epoch, 1))
            history.stop_reason = StopReason.DIVERGED
            where = "training" if bad_step >= 0 else "validation"
            history.stop_message = (
                f"The {where} loss became {'NaN or infinite'} at epoch {epoch}, step "
                f"{history.diverged_at[1]}: the run diverged (learning rate {lr:g} may be too "
                "high)."
            )
            break

        improved, should_stop, reason = stopper.update(epoch, val_loss, val_metric)
        if improved:
            history.best_epoch = epoch
            best_state = _copy_state(model)
        try:
            for callback in callbacks:
                callback(record, history)
        except StopTraining as stop:
            history.stop_reason = StopReason.STOPPED
            history.stop_message = str(stop) or f"Stopped after epoch {epoch}."
            break
        if should_stop:
            history.stop_reason = StopReason.EARLY_STOPPED
            history.stop_message = reason
            break
        if max_seconds is not None and time.perf_counter() - started >= max_seconds:
            history.stop_reason = StopReason.BUDGET
            history.stop_message = (
                f"Stopped during epoch {epoch}, after {len(sizes)} steps: the time budget of "
                f"{max_seconds:g} s ran out before the training loader ended the epoch (a "
                "loader that never ends one does that; give a finite one)." if cut_short else
                f"Stopped after epoch {epoch}: the time budget of {max_seconds:g} s was spent.")
            break
    else:
        history.stop_message = f"Trained for all {config.max_epochs} epochs."

    if config.patience_epochs is not None or history.diverged:
        model.load_state_dict(best_state)
        history.restored_epoch = history.best_epoch
        if history.best_epoch:
            best = history.records[history.best_epoch - 1]
            history.stop_message += (
                f" Restored the weights of epoch {history.best_epoch} (validation loss "
                f"{best.val_loss:.4f}, {history.metric_name} {best.val_metric:.4f})."
            )
    else:
        history.restored_epoch = history.epochs_run
        history.stop_message += " Kept the weights of the last epoch (no early stopping)."
    return TrainResult(history=history, model=model)


def _seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed % 2**32)
    random.seed(seed)


def _copy_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


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


def class_labels(targets: torch.Tensor) -> torch.Tensor:
    """Class indices: the targets themselves, or the most probable class of soft labels (class
    probabilities of shape ``(N, C)``, which ``nn.CrossEntropyLoss`` accepts)."""
    if targets.is_floating_point() and targets.ndim > 1:
        return targets.argmax(dim=-1)
    return targets


def align_targets(targets: torch.Tensor, outputs: torch.Tensor,
                  classification: bool) -> torch.Tensor:
    """Regression targets of shape (N,) against outputs (N, 1): view them alike."""
    if not classification and targets.shape != outputs.shape \
            and targets.numel() == outputs.numel():
        return targets.view(outputs.shape).to(outputs.dtype)
    return targets


@torch.no_grad()
def _evaluate(model: nn.Module, batches: Iterator, criterion: nn.Module, classification: bool,
              autocast) -> tuple[float, float]:
    """Mean loss and metric (accuracy, or the loss for regression) in eval mode."""
    model.eval()
    loss_sum = None
    correct = None
    n = 0
    for inputs, targets in batches:
        with autocast:
            outputs = model(inputs)
        outputs = outputs.float()
        batch_loss = criterion(outputs, align_targets(targets, outputs, classification)).detach() \
            * targets.shape[0]
        loss_sum = batch_loss if loss_sum is None else loss_sum + batch_loss
        if classification:
            hits = (outputs.argmax(dim=-1) == class_labels(targets)).sum()
            correct = hits if correct is None else correct + hits
        n += targets.shape[0]
    if loss_sum is None:
        return math.nan, math.nan
    values = torch.stack([loss_sum.double(), (correct if correct is not None
                                               else loss_sum).double()]).tolist()
    loss = values[0] / n
    return loss, (values[1] / n if classification else loss)


def _is_tensor_loader(loader: Any) -> bool:
    """A DataLoader over an in-memory TensorDataset with the default sampler and collate."""
    return (
        isinstance(loader, DataLoader)
        and type(loader.dataset) is TensorDataset
        and len(loader.dataset.tensors) == 2
        and loader.collate_fn is default_collate
        and type(loader.batch_sampler) is BatchSampler
        and (type(loader.sampler) is SequentialSampler
             or (type(loader.sampler) is RandomSampler and not loader.sampler.replacement
                 and loader.sampler._num_samples is None))
    )


class _Data:
    """Batches from a loader, either through the DataLoader or held whole on the device."""

    def __init__(self, loader: Any, device: torch.device, fast: bool) -> None:
        self.loader = loader
        self.device = device
        self.fast = fast
        self.batch_size = getattr(loader, "batch_size", None) or 1
        if fast:
            x, y = loader.dataset.tensors
            self.x = x.to(device, non_blocking=True)
            self.y = y.to(device, non_blocking=True)
            self.drop_last = loader.drop_last
            self.shuffles = type(loader.sampler) is RandomSampler

    def steps_per_epoch(self) -> int:
        """Batches per epoch, or 0 when the loader does not say."""
        if self.fast:
            n = self.x.shape[0]
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        try:
            return len(self.loader)
        except TypeError:
            return 0

    def batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """One pass in the loader's own order: shuffled exactly when (and as) it shuffles."""
        if not self.fast:
            for batch in self.loader:
                inputs, targets = batch[0], batch[1]
                yield (inputs.to(self.device, non_blocking=True),
                       targets.to(self.device, non_blocking=True))
            return
        # Draw exactly the random numbers a DataLoader iterator draws, in the same order: the
        # iterator's base seed, then (for a RandomSampler without a generator) the sampler's seed.
        torch.empty((), dtype=torch.int64).random_(generator=self.loader.generator)
        n = self.x.shape[0]
        order = None
        if self.shuffles:
            generator = self.loader.sampler.generator
            if generator is None:
                seed = int(torch.empty((), dtype=torch.int64).random_().item())
                generator = torch.Generator()
                generator.manual_seed(seed)
            order = torch.randperm(n, generator=generator).to(self.device, non_blocking=True)
            if self.loader.sampler.generator is not None:
                # A RandomSampler consumed to the end calls randperm a second time (for the
                # num_samples % n remainder); with the user's generator that call advances it.
                torch.randperm(n, generator=generator)
        bs = self.batch_size
        stop = n - n % bs if self.drop_last else n
        for start in range(0, stop, bs):
            if order is None:
                yield self.x[start:start + bs], self.y[start:start + bs]
            else:
                idx = order[start:start + bs]
                yield self.x.index_select(0, idx), self.y.index_select(0, idx)

    def eval_batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """All samples in order; held data go in chunks of :data:`EVAL_BATCH` samples."""
        if not self.fast:
            yield from self.batches()
            return
        # The DataLoader path iterates the loader here: draw its base seed too.
        torch.empty((), dtype=torch.int64).random_(generator=self.loader.generator)
        n = self.x.shape[0]
        for start in range(0, n, EVAL_BATCH):
            yield self.x[start:start + EVAL_BATCH], self.y[start:start + EVAL_BATCH]

    def head(self, k: int) -> _Head:
        """The first ``k`` samples, in order, batched like the loader."""
        return _Head(self, k)


class _Head:
    """The first ``k`` training samples in order, in chunks of :data:`EVAL_BATCH`.

    Read through the loader on the first epoch and then held on the device, so that a Dataset
    with random transforms is not read again every epoch (the figures are measured on that one
    draw). Samples larger than :data:`HEAD_CACHE_BYTES` in all are read again every epoch.
    """

    def __init__(self, data: _Data, k: int) -> None:
        self.data = data
        self.cache: list[tuple[torch.Tensor, torch.Tensor]] | None = None
        loader = data.loader
        if data.fast:
            self.loader = None
            self.k = min(k, data.x.shape[0])
        else:
            dataset = getattr(loader, "dataset", None)
            if dataset is not None and hasattr(dataset, "__len__") and hasattr(
                    dataset, "__getitem__"):
                subset = Subset(dataset, range(min(k, len(dataset))))
                # A generator of its own: the loader draws its seed from it, not from the global
                # RNG, so measuring the figures (or not) leaves the training run unchanged (a
                # Dataset whose transforms draw from the global RNG still draws for the sample).
                self.loader = DataLoader(subset, batch_size=EVAL_BATCH,
                                         collate_fn=loader.collate_fn,
                                         generator=torch.Generator())
            else:
                self.loader = None
            self.k = k

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        data = self.data
        if data.fast:
            for start in range(0, self.k, EVAL_BATCH):
                end = min(start + EVAL_BATCH, self.k)
                yield data.x[start:end], data.y[start:end]
            return
        if self.cache is not None:
            yield from self.cache
            return
        batches = []
        size = 0
        for inputs, targets in self._read():
            batches.append((inputs, targets))
            size += inputs.numel() * inputs.element_size() \
                + targets.numel() * targets.element_size()
            yield inputs, targets
        if size <= HEAD_CACHE_BYTES:
            self.cache = batches

    def _read(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        data = self.data
        if self.loader is not None:
            for batch in self.loader:
                yield (batch[0].to(data.device, non_blocking=True),
                       batch[1].to(data.device, non_blocking=True))
            return
        seen = 0
        for inputs, targets in data.batches():
            yield inputs, targets
            seen += targets.shape[0]
            if seen >= self.k:
                break
