"""The identity of an experiment: what its results depend on, in two parts.

The **tuning** part covers what the diagnosis and every trial depend on: the model (its
structure as ``repr`` shows it, its parameters' and buffers' names, shapes, dtypes and whether
they train, and its initial weights, built under a fixed seed), a sample of the training and
validation data, the optimizer's settings, the loss, the learning-rate schedule, the task, the
metric, the epochs, the augmentation strength, and the user's own code
(:mod:`regadvisor.experiment._source`). The **test** part covers the test loader alone, which
only verification reads: a run folder or a study whose tuning part matches is the same
experiment, and one whose test part alone differs keeps its tuning and verifies again.

Data are sampled by index, never by iterating a shuffled loader: a ``TensorDataset`` whole
(its tensors, a strided sample of the largest), another map-style dataset through
``dataset[i]`` for its first :data:`SAMPLE_FIRST` items and a strided sample of the rest
(:data:`SAMPLE_ITEMS` in all), an ``IterableDataset`` by its first :data:`SAMPLE_ITEMS` items,
and any other iterable by its first batch. The model is built and the data read under a fixed
seed (torch, NumPy and ``random``; one thread), so random augmentations and lazy layers read
the same in every process; the global random state is restored afterwards. The data sample is
read twice: a value that differs between the two reads (an augmentation drawing from a
generator of its own) counts by its type and shape only, the rest of the item (its label) in
full.

Both parts are the same in every process on the same versions of Python and torch (no object
addresses, no hash randomization). Comments, docstrings, formatting and the file's name and
path do not enter them.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import torch
from torch import nn

from regadvisor.experiment._loaders import len_dataset
from regadvisor.experiment._source import source_digest
from regadvisor.training.config import OptimizerSpec

if TYPE_CHECKING:
    from regadvisor.experiment._types import Experiment

__all__ = ["SAMPLE_FIRST", "SAMPLE_ITEMS", "Identity", "fixed_seed", "identity",
           "identity_change"]

#: Items read from each map-style dataset: the first :data:`SAMPLE_FIRST`, the rest strided.
SAMPLE_ITEMS = 64
SAMPLE_FIRST = 16

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")


@dataclass(frozen=True)
class Identity:
    """The two parts of an experiment's identity (16 hex digits each).

    Attributes:
        tuning: What the diagnosis and the tuning depend on (everything but the test loader).
        test: The test loader (empty when there is none).
    """

    tuning: str
    test: str


def identity(*, model: nn.Module, loaders: Any, spec: OptimizerSpec, loss_module: Any,
             task: str, metric: str, epochs: int, schedule: Any = None,
             augment: float | None = None,
             functions: Mapping[str, Callable[..., Any] | None] | None = None,
             hooks: tuple[str, ...] = ()) -> Identity:
    """The identity of an experiment (see the module docstring).

    Args:
        model: The first model ``model()`` built, under :func:`fixed_seed`.
        loaders: ``(train, val)`` or ``(train, val, test)``.
        spec, loss_module, task, metric, epochs, schedule, augment: The rest of the contract
            as read from the experiment.
        functions: The experiment's functions by name (``model``, ``data``, ``optimizer``,
            ...): where its code lives.
        hooks: The names of the training hooks the experiment defines (``training_step``,
            ``clip_grad``), which change what trains.
    """
    functions = dict(functions or {})
    h = hashlib.sha256()
    _feed_json(h, {
        "schedule": [schedule.name, schedule.interval] if schedule is not None else None,
        "model": _model_facts(model),
        "optimizer": [spec.name, spec.lr, spec.weight_decay, sorted(spec.kwargs.items()),
                      list(spec.decayed_params)],
        "loss": _loss_facts(loss_module),
        "task": task, "metric": metric, "epochs": epochs, "augment": augment,
        **({"hooks": list(hooks)} if hooks else {}),
    })
    for tensor in model.state_dict().values():
        _tensor_digest(h, tensor, limit=1 << 16)
    if loss_module is not None:
        for tensor in loss_module.state_dict().values():
            _tensor_digest(h, tensor)
    tuned = list(loaders[:2])  # the test loader's classes are no part of what tuning runs
    for loader in tuned:
        _loader_digest(h, loader)
    datasets = [d for loader in tuned for d in _datasets(getattr(loader, "dataset", None))]
    h.update(source_digest(functions.values(), [*model.modules(), loss_module, *tuned,
                                                *datasets], data=functions.get("data")).encode())
    test = ""
    if len(loaders) == 3:
        t = hashlib.sha256()
        _loader_digest(t, loaders[2])
        test = t.hexdigest()[:16]
    return Identity(tuning=h.hexdigest()[:16], test=test)


def identity_change(stored: Mapping[str, Any] | None, experiment: Experiment) -> str | None:
    """How ``experiment`` differs from the one a record was made for.

    Args:
        stored: The record's experiment summary (:meth:`Experiment.summary`), or None.

    Returns:
        None for the same experiment (or a record that names none), ``"test"`` when only the
        test loader differs, ``"experiment"`` for another experiment.
    """
    owner = (stored or {}).get("fingerprint")
    if not owner:
        return None
    if owner != experiment.fingerprint:
        return "experiment"
    if (stored or {}).get("test_fingerprint", "") != experiment.test_fingerprint:
        return "test"
    return None


@contextlib.contextmanager
def fixed_seed(seed: int = 0) -> Iterator[None]:
    """Run a block under a fixed seed (torch, NumPy, ``random``) on one thread, then restore
    the random states and the thread count as they were."""
    import random

    py_state, np_state = random.getstate(), np.random.get_state()
    cuda = ([torch.cuda.current_device()]
            if torch.cuda.is_available() and torch.cuda.is_initialized() else [])
    threads = torch.get_num_threads()
    with torch.random.fork_rng(devices=cuda):
        torch.manual_seed(seed)
        random.seed(seed)
        np.random.seed(seed)
        torch.set_num_threads(1)
        try:
            yield
        finally:
            torch.set_num_threads(threads)
            random.setstate(py_state)
            np.random.set_state(np_state)


def _feed_json(h: Any, value: Any) -> None:
    """Feed plain values into the hash, with any object address masked."""
    h.update(_ADDRESS.sub("0x?", json.dumps(value, default=str, sort_keys=True)).encode())


def _model_facts(model: nn.Module) -> list[Any]:
    """The model's structure: its repr (object addresses masked), its parameters and buffers."""
    return [_ADDRESS.sub("0x?", repr(model)),
            [(n, list(p.shape), str(p.dtype), p.requires_grad)
             for n, p in model.named_parameters()],
            [(n, list(b.shape), str(b.dtype)) for n, b in model.named_buffers()]]


def _loss_facts(loss_module: Any) -> list[Any] | None:
    """The loss's class and its plain settings (reduction, ignore_index, label_smoothing...)."""
    if loss_module is None:
        return None
    settings = {k: v for k, v in sorted(vars(loss_module).items())
                if not k.startswith("_") and isinstance(v, (bool, int, float, str, type(None)))}
    return [type(loss_module).__qualname__, settings]


def _tensor_digest(h: Any, tensor: torch.Tensor, limit: int = 1 << 22) -> None:
    """Feed a tensor's shape, dtype and values (a strided sample of at most ``limit`` of them)
    into the hash ``h``."""
    h.update(f"{tuple(tensor.shape)}{tensor.dtype}".encode())
    h.update(_tensor_values(tensor, limit))


def _tensor_values(tensor: torch.Tensor, limit: int = 1 << 22) -> bytes:
    """A tensor's values (a strided sample of at most ``limit`` of them) as bytes."""
    if isinstance(tensor, nn.parameter.UninitializedTensorMixin):  # a lazy layer never run
        return b"uninitialized"
    t = tensor.detach()
    if t.layout != torch.strided:
        t = t.to_dense()
    t = t.cpu().contiguous().reshape(-1)
    if t.numel() > limit:
        t = t[:: t.numel() // limit + 1]
    try:
        return t.numpy().tobytes()
    except (TypeError, RuntimeError):  # dtypes NumPy lacks (bfloat16, float8, ...)
        return t.to(torch.float64).numpy().tobytes()


def _datasets(dataset: Any, seen: set[int] | None = None) -> list[Any]:
    """A dataset and those it wraps (``Subset.dataset``, ``ConcatDataset.datasets``)."""
    seen = set() if seen is None else seen
    if dataset is None or id(dataset) in seen:
        return []
    seen.add(id(dataset))
    inner = [getattr(dataset, "dataset", None), *(getattr(dataset, "datasets", None) or [])]
    return [dataset, *(d for i in inner for d in _datasets(i, seen))]


def _loader_digest(h: Any, loader: Any) -> None:
    """Feed a loader's settings and a deterministic sample of its data into ``h``.

    The sample is read twice, each time under the same fixed seed: a value that differs
    between the two reads (an augmentation drawing from a generator of its own, unseeded)
    counts by its type and shape only, so that it does not change the identity from one run
    to the next.
    """
    dataset = getattr(loader, "dataset", None)
    sampler = getattr(loader, "batch_sampler", None)
    collate = getattr(loader, "collate_fn", None)
    _feed_json(h, [type(loader).__qualname__, type(dataset).__qualname__, len_dataset(loader),
                   getattr(loader, "batch_size", None), getattr(loader, "drop_last", None),
                   type(getattr(loader, "sampler", None)).__qualname__,
                   type(sampler).__qualname__ if sampler is not None else None,
                   getattr(collate, "__qualname__", type(collate).__qualname__)])
    tensors = getattr(dataset, "tensors", None)
    if isinstance(tensors, tuple) and all(torch.is_tensor(t) for t in tensors):
        for tensor in tensors:
            _tensor_digest(h, tensor)
        return
    first, second = _read_sample(loader, dataset), _read_sample(loader, dataset)
    for a, b in itertools.zip_longest(first, second, fillvalue=()):
        if [kind for kind, _ in a] != [kind for kind, _ in b]:
            h.update(b"varies")
            continue
        for (kind, value), (_, again) in zip(a, b, strict=True):
            h.update(kind.encode())
            h.update(value if value == again else b"varies")


def _read_sample(loader: Any, dataset: Any) -> list[list[tuple[str, bytes]]]:
    """The sampled items, each as its leaves ``(kind, digest of the value)``, read under
    :func:`fixed_seed`."""
    items: list[list[tuple[str, bytes]]] = []
    with fixed_seed():
        try:
            for item in _sample(loader, dataset):
                items.append(list(_leaves(item)))
        except Exception as e:  # the user's data fails: training will say so, with its cause
            items.append([(f"raised {type(e).__qualname__}", b"")])
    return items


def _sample(loader: Any, dataset: Any) -> Iterator[Any]:
    """The items a loader's identity reads (see the module docstring)."""
    if dataset is None:
        yield next(iter(loader), None)
    elif isinstance(dataset, torch.utils.data.IterableDataset) or len_dataset(loader) is None:
        yield from itertools.islice(iter(dataset), SAMPLE_ITEMS)
    else:
        for i in _indices(len(dataset)):
            yield dataset[i]


def _indices(n: int) -> list[int]:
    """The first :data:`SAMPLE_FIRST` indices and a strided sample of the rest, the last one
    included: :data:`SAMPLE_ITEMS` in all (every index of a smaller dataset)."""
    if n <= SAMPLE_ITEMS:
        return list(range(n))
    k = SAMPLE_ITEMS - SAMPLE_FIRST
    strided = {SAMPLE_FIRST + (n - 1 - SAMPLE_FIRST) * i // (k - 1) for i in range(k)}
    return [*range(SAMPLE_FIRST), *sorted(strided)]


def _leaves(item: Any, depth: int = 0) -> Iterator[tuple[str, bytes]]:
    """One data item (tensors, arrays, numbers, strings and containers of them) as its leaves:
    ``(kind, digest of the value)``, the kind naming the type and shape."""
    if torch.is_tensor(item):
        yield f"tensor{tuple(item.shape)}{item.dtype}", _digest(_tensor_values(item))
    elif isinstance(item, np.ndarray) and item.dtype != object:
        yield f"array{item.shape}{item.dtype}", _digest(np.ascontiguousarray(item).tobytes())
    elif isinstance(item, (bool, int, float, complex, str, bytes, type(None), np.generic)):
        yield type(item).__name__, _digest(repr(item).encode())
    elif depth > 8:
        yield type(item).__qualname__, b""
    elif isinstance(item, Mapping):
        yield f"map{len(item)}", b""
        for key in sorted(item, key=str):
            yield from _leaves(key, depth + 1)
            yield from _leaves(item[key], depth + 1)
    elif isinstance(item, (list, tuple, np.ndarray)):
        yield f"seq{len(item)}", b""
        for part in item:
            yield from _leaves(part, depth + 1)
    elif hasattr(item, "__array__"):  # PIL images and other array-likes
        yield from _leaves(np.asarray(item), depth + 1)
    else:
        yield type(item).__qualname__, b""


def _digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()
