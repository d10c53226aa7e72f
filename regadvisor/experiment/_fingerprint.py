"""The identity of an experiment, from its content and contract."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from regadvisor.experiment._loaders import len_dataset
from regadvisor.training.config import OptimizerSpec

__all__ = ["fingerprint"]


def _tensor_digest(h, tensor: torch.Tensor, limit: int = 1 << 22) -> None:
    """Feed a tensor's shape, dtype and values (a strided sample of at most ``limit`` of them)
    into the hash ``h``."""
    t = tensor.detach().cpu().contiguous().reshape(-1)
    if t.numel() > limit:
        t = t[:: t.numel() // limit + 1]
    h.update(f"{tuple(tensor.shape)}{tensor.dtype}".encode())
    h.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.float().numpy().tobytes())


def fingerprint(model: nn.Module, loaders: Any, spec: OptimizerSpec, loss_module: Any, task: str,
                metric: str, epochs: int, schedule: Any = None, *,
                hooks: tuple[str, ...] = ()) -> str:
    """The identity of an experiment, from its content and contract.

    It covers the model's parameter and buffer names, shapes and dtypes, the data (the tensors
    of in-memory datasets; otherwise each dataset's type and size and the first batch of the
    loaders that do not shuffle), the optimizer's settings, the loss, the task, the metric,
    the epochs, the learning-rate schedule (its class and interval), if any, and ``hooks``: the
    names of the training hooks the experiment defines (``training_step``, ``clip_grad``), which
    change what trains. The file's name, path or comments do not enter it.
    """
    import hashlib
    import json

    h = hashlib.sha256()
    extra = {"schedule": [schedule.name, schedule.interval]} if schedule is not None else {}
    if hooks:
        extra["hooks"] = list(hooks)
    h.update(json.dumps({
        **extra,
        "model": [type(model).__name__]
        + [(n, list(p.shape), str(p.dtype)) for n, p in model.named_parameters()]
        + [(n, list(b.shape), str(b.dtype)) for n, b in model.named_buffers()],
        "optimizer": [spec.name, spec.lr, spec.weight_decay, sorted(spec.kwargs.items()),
                      list(spec.decayed_params)],
        "loss": [type(loss_module).__name__ if loss_module is not None else None,
                 getattr(loss_module, "label_smoothing", None)],
        "task": task, "metric": metric, "epochs": epochs,
    }, default=str).encode())
    for loader in loaders:
        dataset = getattr(loader, "dataset", None)
        tensors = getattr(dataset, "tensors", None)
        h.update(f"{type(loader).__name__}/{type(dataset).__name__}/{len_dataset(loader)}/"
                 f"{getattr(loader, 'batch_size', None)}".encode())
        if tensors:
            for tensor in tensors:
                _tensor_digest(h, tensor)
        elif isinstance(getattr(loader, "sampler", None),
                        torch.utils.data.SequentialSampler):
            batch = next(iter(loader))
            for item in (batch.values() if isinstance(batch, dict) else batch):
                if torch.is_tensor(item):
                    _tensor_digest(h, item)
    return h.hexdigest()[:16]
