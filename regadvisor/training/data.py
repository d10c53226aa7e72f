"""The batches the training loop reads: through the user's DataLoader, or, for an in-memory
``TensorDataset``, held whole on the device (the fast path of :func:`~regadvisor.training.train`).
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Iterator
from typing import Any

import torch
from torch.utils.data import (
    BatchSampler,
    DataLoader,
    RandomSampler,
    SequentialSampler,
    Subset,
    TensorDataset,
)
from torch.utils.data._utils.collate import default_collate

from regadvisor.training.batch import BatchFn, nbytes, split_batch, take, to_device

__all__ = ["EVAL_BATCH", "HEAD_CACHE_BYTES", "HeadSample", "LoaderData", "is_tensor_loader",
           "restore_generators"]

#: Samples per forward pass when measuring held (device-resident) data in eval mode.
EVAL_BATCH = 256

#: The training sample of the eval-mode figures is held on the device when it takes at most this
#: many bytes (inputs and targets), instead of being read through the loader every epoch.
HEAD_CACHE_BYTES = 64 * 2**20


def is_tensor_loader(loader: Any) -> bool:
    """A DataLoader over an in-memory TensorDataset (inputs, then targets last) with the default
    sampler and collate."""
    return (
        isinstance(loader, DataLoader)
        and type(loader.dataset) is TensorDataset
        and len(loader.dataset.tensors) >= 2
        and loader.collate_fn is default_collate
        and type(loader.batch_sampler) is BatchSampler
        and (type(loader.sampler) is SequentialSampler
             or (type(loader.sampler) is RandomSampler and not loader.sampler.replacement
                 and loader.sampler._num_samples is None))
    )


#: The state each generator a training loader carries had when regadvisor first met it.
_FIRST_STATES: weakref.WeakKeyDictionary[torch.Generator, torch.Tensor] = (
    weakref.WeakKeyDictionary())


def restore_generators(loader: Any) -> None:
    """Put the generators the loader carries (its own and its sampler's) back to the state they
    had when regadvisor first met them, as a fresh process running the user's script would find
    them: every run then starts from the same order, instead of from wherever the previous run
    left it (one arm's order would depend on the other arm's run).
    """
    sampler = getattr(loader, "sampler", None)
    for generator in (getattr(loader, "generator", None), getattr(sampler, "generator", None)):
        if isinstance(generator, torch.Generator) and generator.device.type == "cpu":
            first = _FIRST_STATES.setdefault(generator, generator.get_state())
            generator.set_state(first)


class LoaderData:
    """Batches from a loader, either through the DataLoader or held whole on the device.

    Each batch is ``(inputs, targets)`` as :func:`~regadvisor.training.batch.split_batch` reads
    it (``batch_fn``: the experiment's ``batch(b)``); held data keep every input tensor of a
    TensorDataset (``(x_num, x_cat, y)`` gives the inputs ``(x_num, x_cat)``).
    """

    def __init__(self, loader: Any, device: torch.device, fast: bool,
                 batch_fn: BatchFn | None = None, restore: bool = False) -> None:
        self.loader = loader
        self.device = device
        self.fast = fast and batch_fn is None
        self.batch_fn = batch_fn
        self.batch_size = getattr(loader, "batch_size", None) or 1
        if self.fast:
            inputs, y = split_batch(loader.dataset.tensors)
            self.x = to_device(inputs, device)
            self.y = y.to(device, non_blocking=True)
            self.drop_last = loader.drop_last
            self.shuffles = type(loader.sampler) is RandomSampler
        if restore:
            restore_generators(loader)

    def steps_per_epoch(self) -> int:
        """Batches per epoch, or 0 when the loader does not say."""
        if self.fast:
            n = self.y.shape[0]
            return n // self.batch_size if self.drop_last else math.ceil(n / self.batch_size)
        try:
            return len(self.loader)
        except TypeError:
            return 0

    def batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """One pass in the loader's own order: shuffled exactly when (and as) it shuffles."""
        if not self.fast:
            for batch in self.loader:
                inputs, targets = split_batch(batch, self.batch_fn)
                yield (to_device(inputs, self.device),
                       targets.to(self.device, non_blocking=True))
            return
        # Draw exactly the random numbers a DataLoader iterator draws, in the same order: the
        # iterator's base seed, then (for a RandomSampler without a generator) the sampler's seed.
        torch.empty((), dtype=torch.int64).random_(generator=self.loader.generator)
        n = self.y.shape[0]
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
                yield take(self.x, slice(start, start + bs)), self.y[start:start + bs]
            else:
                idx = order[start:start + bs]
                yield take(self.x, idx), self.y.index_select(0, idx)

    def raw_batches(self) -> Iterator[tuple[Any, torch.Tensor]]:
        """One pass as :meth:`batches` makes it, each batch as the loader yields it (on the
        device), with its targets: what the experiment's ``training_step(model, batch)``
        receives. Held data give the list a DataLoader over the TensorDataset yields,
        ``[x, y]`` or ``[x_1, ..., x_k, y]``."""
        if self.fast:
            for inputs, targets in self.batches():
                yield [*(inputs if isinstance(inputs, tuple) else (inputs,)), targets], targets
            return
        for batch in self.loader:
            batch = to_device(batch, self.device)
            yield batch, split_batch(batch, self.batch_fn)[1]

    def eval_batches(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """All samples in order; held data go in chunks of :data:`EVAL_BATCH` samples."""
        if not self.fast:
            yield from self.batches()
            return
        # The DataLoader path iterates the loader here: draw its base seed too.
        torch.empty((), dtype=torch.int64).random_(generator=self.loader.generator)
        n = self.y.shape[0]
        for start in range(0, n, EVAL_BATCH):
            rows = slice(start, start + EVAL_BATCH)
            yield take(self.x, rows), self.y[rows]

    def head(self, k: int) -> HeadSample:
        """The first ``k`` samples, in order, batched like the loader."""
        return HeadSample(self, k)


class HeadSample:
    """The first ``k`` training samples in order, in chunks of :data:`EVAL_BATCH`.

    Read through the loader on the first epoch and then held on the device, so that a Dataset
    with random transforms is not read again every epoch (the figures are measured on that one
    draw). Samples larger than :data:`HEAD_CACHE_BYTES` in all are read again every epoch.
    """

    def __init__(self, data: LoaderData, k: int) -> None:
        self.data = data
        self.cache: list[tuple[torch.Tensor, torch.Tensor]] | None = None
        loader = data.loader
        if data.fast:
            self.loader = None
            self.k = min(k, data.y.shape[0])
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
                yield take(data.x, slice(start, end)), data.y[start:end]
            return
        if self.cache is not None:
            yield from self.cache
            return
        batches = []
        size = 0
        for inputs, targets in self._read():
            batches.append((inputs, targets))
            size += nbytes(inputs) + targets.numel() * targets.element_size()
            yield inputs, targets
        if size <= HEAD_CACHE_BYTES:
            self.cache = batches

    def _read(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        data = self.data
        if self.loader is not None:
            for batch in self.loader:
                inputs, targets = split_batch(batch, data.batch_fn)
                yield to_device(inputs, data.device), targets.to(data.device, non_blocking=True)
            return
        seen = 0
        for inputs, targets in data.batches():
            yield inputs, targets
            seen += targets.shape[0]
            if seen >= self.k:
                break
