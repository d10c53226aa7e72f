"""Checking the user's data function and loaders, and reading what the loaders hold."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple

import torch

from regadvisor.errors import ExperimentError
from regadvisor.experiment._calls import call, first_line, kind, raised
from regadvisor.training.batch import BatchFn, BatchShapeError, input_tensors, split_batch
from regadvisor.training.faults import USER_CODE_ERRORS

__all__ = ["SPLIT_NAMES", "Loaders", "all_targets", "batch_subject", "len_dataset", "max_target",
           "min_target", "read_augment", "read_loaders"]

SPLIT_NAMES = ("training", "validation", "test")


class Loaders(NamedTuple):
    """What ``data()`` returned, and the first batch of each of its loaders.

    Attributes:
        loaders: ``(train, val)`` or ``(train, val, test)``, as the user returned them.
        batches: The first ``(inputs, targets)`` batch of each loader, in the same order.
    """

    loaders: tuple[Any, ...] | list[Any]
    batches: list[tuple[Any, torch.Tensor]]


def read_loaders(data: Callable[[], Any], where: str, batch_fn: BatchFn | None = None) -> Loaders:
    """Call ``data()`` once, check its loaders and read the first batch of each.

    Args:
        data: The experiment's ``data()``.
        where: The experiment, for messages.
        batch_fn: The experiment's ``batch(b) -> (inputs, targets)``, if it defines one.

    Raises:
        ExperimentError: ``data()`` fails, returns other than 2 or 3 loaders, or a loader is
            read only once, yields no batch, a batch that is not ``(inputs, targets)`` in one
            of the accepted forms (:mod:`regadvisor.training.batch`), or inputs that are not
            finite.
    """
    loaders = call(data, where, "data()")
    if not isinstance(loaders, (tuple, list)):
        raise ExperimentError(
            f"{where}: data() returned {kind(loaders)}. Return a tuple (train_loader, "
            "val_loader) or (train_loader, val_loader, test_loader).")
    if len(loaders) not in (2, 3):
        raise ExperimentError(
            f"{where}: data() returned {len(loaders)} loader{'s' if len(loaders) != 1 else ''}. "
            "Return 2 (train, val) or 3 (train, val, test).")
    batches = []
    for split, loader in zip(SPLIT_NAMES, loaders, strict=False):
        _check_reiterable(loader, split, where)
        batches.append(_first_batch(loader, split, where, batch_fn))
    for split, (x, _) in zip(SPLIT_NAMES, batches, strict=False):
        _check_finite(x, loaders[SPLIT_NAMES.index(split)], split, where)
    return Loaders(loaders, batches)


def _check_reiterable(loader: Any, split: str, where: str) -> None:
    """A loader is read many times (every epoch of every run): an iterator or generator that
    can be read only once is refused."""
    try:
        single = iter(loader) is loader
    except TypeError:
        return  # not iterable at all: _first_batch says so
    if single:
        raise ExperimentError(
            f"{where}: the {split} loader from data() can be read only once (it is "
            f"{kind(loader)}, which is its own iterator); regadvisor reads every loader once "
            "per epoch of every run. Return a torch.utils.data.DataLoader (or any object whose "
            "iter() starts over).")


def _first_batch(loader: Any, split: str, where: str,
                 batch_fn: BatchFn | None) -> tuple[Any, torch.Tensor]:
    if torch.is_tensor(loader) or not hasattr(loader, "__iter__"):
        raise ExperimentError(
            f"{where}: data() returned {kind(loader)} as the {split} loader. Return "
            "torch.utils.data.DataLoader objects (or other iterables of (inputs, targets)).")
    try:
        batch = next(iter(loader))
    except StopIteration:
        raise ExperimentError(
            f"{where}: the {split} loader from data() yields no batches. Check that its "
            "dataset is not empty (and drop_last with a batch larger than the data).") from None
    except USER_CODE_ERRORS as e:
        raise ExperimentError(f"{where}: reading the first {split} batch {raised(e)}.") from None
    try:
        return split_batch(batch, batch_fn)
    except BatchShapeError as e:
        raise ExperimentError(f"{where}: {batch_subject(split, batch_fn)} {e}.") from None
    except SystemExit as e:
        raise ExperimentError(f"{where}: batch(b) on the first {split} batch {raised(e)}. Fix "
                              "batch() and run again.") from None
    except Exception as e:  # the user's batch(b) failed
        raise ExperimentError(f"{where}: batch(b) raised {type(e).__name__} on the first "
                              f"{split} batch: {first_line(e)}. Fix batch() and run "
                              "again.") from None


def batch_subject(split: str, batch_fn: BatchFn | None) -> str:
    """Where the first batch of ``split`` came from, for a message: ``batch(b) on the first
    training batch`` or ``the training loader``."""
    return f"batch(b) on the first {split} batch" if batch_fn is not None else f"the {split} loader"


def _tensors(loader: Any) -> tuple[torch.Tensor, ...] | None:
    dataset = getattr(loader, "dataset", None)
    return getattr(dataset, "tensors", None) if dataset is not None else None


def _check_finite(x: Any, loader: Any, split: str, where: str) -> None:
    tensors = _tensors(loader)
    for checked in (list(tensors[:-1]) if tensors else input_tensors(x)):
        if checked.is_floating_point() and not bool(torch.isfinite(checked).all()):
            n_bad = int((~torch.isfinite(checked)).sum())
            raise ExperimentError(
                f"{where}: the {split} inputs contain {n_bad} NaN or infinite value"
                f"{'s' if n_bad != 1 else ''}. Clean or impute them before training.")


def all_targets(loader: Any) -> torch.Tensor | None:
    """All the targets of an in-memory dataset (a TensorDataset's last tensor), else None."""
    tensors = _tensors(loader)
    return tensors[-1] if tensors and len(tensors) >= 2 else None


def max_target(loader: Any, y: torch.Tensor) -> int:
    """The largest target of the loader's dataset, or of its first batch ``y``."""
    t = all_targets(loader)
    return int((t if t is not None else y).max())


def min_target(loader: Any, y: torch.Tensor) -> int:
    """The smallest target of the loader's dataset, or of its first batch ``y``."""
    t = all_targets(loader)
    return int((t if t is not None else y).min())


def len_dataset(loader: Any) -> int | None:
    """The number of samples of the loader's dataset, or None where it does not tell."""
    try:
        return len(loader.dataset)
    except Exception:
        return None


def read_augment(data: Callable[..., Any], where: str) -> float | None:
    """The augmentation strength ``data(augment=s)`` trains with by default, or None when
    ``data`` takes no ``augment``.

    Raises:
        ExperimentError: ``augment`` has no default, or one that is not a number in [0, 1].
    """
    import inspect

    try:
        param = inspect.signature(data).parameters.get("augment")
    except (TypeError, ValueError):
        return None
    if param is None:
        return None
    default = param.default
    if (default is inspect.Parameter.empty or isinstance(default, bool)
            or not isinstance(default, (int, float)) or not 0 <= default <= 1):
        shown = "none" if default is inspect.Parameter.empty else repr(default)
        raise ExperimentError(
            f"{where}: data(augment=...) needs a default in [0, 1], the augmentation strength "
            f"you train with (e.g. def data(augment=0.0)); its default is {shown}.")
    return float(default)
