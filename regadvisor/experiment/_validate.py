"""Checking the experiment contract, once, at the boundary."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from regadvisor.errors import ExperimentError
from regadvisor.experiment._types import Experiment
from regadvisor.training.config import OptimizerSpec

__all__ = ["build_experiment"]

_CLASSIFICATION_LOSSES = (nn.CrossEntropyLoss, nn.NLLLoss, nn.BCEWithLogitsLoss, nn.BCELoss,
                          nn.MultiMarginLoss)
_REGRESSION_LOSSES = (nn.MSELoss, nn.L1Loss, nn.SmoothL1Loss, nn.HuberLoss, nn.GaussianNLLLoss,
                      nn.PoissonNLLLoss)


def build_experiment(
    *,
    model: Callable[[], nn.Module],
    data: Callable[[], Any],
    optimizer: Callable[[Any], torch.optim.Optimizer] | None = None,
    loss: Callable[[], nn.Module] | None = None,
    task: str | None = None,
    epochs: int | None = None,
    metric: str | None = None,
    name: str = "experiment",
    source: str = "Python API",
    bundled: bool = False,
    device: str | torch.device = "cpu",
) -> Experiment:
    """Check the pieces of an experiment and read what later stages need.

    It calls ``model()`` twice (each call must build a fresh module), ``data()`` once, runs one
    training batch through the model, and builds the optimizer once to read its settings.

    Args:
        model: Returns a fresh, untrained ``nn.Module`` at each call.
        data: Returns ``(train_loader, val_loader)`` or ``(train, val, test)``.
        optimizer: ``optimizer(params)`` returns the user's optimizer; default Adam, lr 1e-3.
        loss: Returns the loss module; default by task.
        task: ``"classification"`` or ``"regression"``; inferred when None.
        epochs: The user's usual training length; default 100.
        metric: ``"accuracy"`` or ``"loss"``; default by task.
        name: Short name. source: Where it came from, for messages.
        bundled: Whether it is a bundled example.
        device: The device regadvisor will train on (a model on another one is refused).

    Raises:
        ExperimentError: Any part breaks the contract; the message names the part and the fix.
    """
    where = source
    notes: list[str] = []
    if not callable(model):
        raise ExperimentError(f"{where}: 'model' is {_kind(model)}, not a function. Define "
                              "model() that returns a fresh torch.nn.Module.")
    if not callable(data):
        raise ExperimentError(f"{where}: 'data' is {_kind(data)}, not a function. Define data() "
                              "that returns (train_loader, val_loader[, test_loader]).")

    first = _call(model, where, "model()")
    _check_module(first, where)
    second = _call(model, where, "model()")
    if second is first:
        raise ExperimentError(
            f"{where}: model() returned the same module object twice. Build and return a new "
            "module on every call (regadvisor trains many fresh copies).")
    _check_no_shared_parameters(first, second, where)
    n_trainable = sum(p.numel() for p in first.parameters() if p.requires_grad)
    if n_trainable == 0:
        raise ExperimentError(
            f"{where}: model() returned a {type(first).__name__} with no trainable parameters. "
            "Regularization needs parameters that train; check requires_grad.")
    target = torch.device(device)
    other = {str(p.device) for p in first.parameters()} - {"cpu", str(target)}
    if target.type == "cuda":
        other -= {"cuda", f"cuda:{target.index or 0}"}
    if other:
        raise ExperimentError(
            f"{where}: model() returned a model on {', '.join(sorted(other))}. Return it on the "
            f"CPU; regadvisor moves it to --device ({target}) itself.")

    loaders = _call(data, where, "data()")
    if not isinstance(loaders, (tuple, list)):
        raise ExperimentError(
            f"{where}: data() returned {_kind(loaders)}. Return a tuple (train_loader, "
            "val_loader) or (train_loader, val_loader, test_loader).")
    if len(loaders) not in (2, 3):
        raise ExperimentError(
            f"{where}: data() returned {len(loaders)} loader{'s' if len(loaders) != 1 else ''}. "
            "Return 2 (train, val) or 3 (train, val, test).")
    split_names = ("training", "validation", "test")
    batches = []
    for split, loader in zip(split_names, loaders, strict=False):
        _check_reiterable(loader, split, where)
        batches.append(_first_batch(loader, split, where))
    train_loader, val_loader = loaders[0], loaders[1]
    test_loader = loaders[2] if len(loaders) == 3 else None
    inputs, targets = batches[0]
    for split, (x, _) in zip(split_names, batches, strict=False):
        _check_finite(x, loaders[split_names.index(split)], split, where)

    loss_module = None
    if loss is not None:
        if not callable(loss):
            raise ExperimentError(f"{where}: 'loss' is {_kind(loss)}, not a function. Define "
                                  "loss() that returns a loss module, e.g. nn.CrossEntropyLoss().")
        loss_module = _call(loss, where, "loss()")
        if not callable(loss_module):
            raise ExperimentError(f"{where}: loss() returned {_kind(loss_module)}; return a loss "
                                  "module such as nn.CrossEntropyLoss().")

    first.eval()
    try:
        with torch.no_grad():
            outputs = first(inputs)
    except Exception as e:
        raise ExperimentError(
            f"{where}: the model rejected a training batch of inputs with shape "
            f"{tuple(inputs.shape)} ({type(e).__name__}: {_first_line(e)}). Make model() accept "
            "the batches data() yields.") from None
    if not torch.is_tensor(outputs):
        raise ExperimentError(f"{where}: the model returned {_kind(outputs)} for a batch; it must "
                              "return one tensor of predictions (logits for classification).")

    soft = _soft_labels(targets, outputs)
    task = _infer_task(task, loss_module, targets, where, notes, soft)
    n_classes = None
    target_variance = None
    if task == "classification" and soft:
        n_classes = int(outputs.shape[-1])
        if bool((targets < 0).any()) or not torch.allclose(
                targets.sum(-1), torch.ones_like(targets.sum(-1)), atol=1e-3):
            raise ExperimentError(
                f"{where}: the targets have one float per class, as soft labels, but a row is "
                "not a probability distribution (negative, or not summing to 1). Give class "
                "probabilities (e.g. one-hot rows), or integer class labels.")
        notes.append("soft labels: the targets are class probabilities; accuracy compares the "
                     "most probable class")
    elif task == "classification":
        if targets.is_floating_point():
            raise ExperimentError(
                f"{where}: the targets are floating point ({targets.dtype}) but the task is "
                "classification. Use integer class labels (torch.long), or set task = "
                "'regression' with a regression loss.")
        n_classes = int(outputs.shape[-1]) if outputs.ndim >= 2 else 1
        for split, loader, (_, y) in zip(split_names, loaders, batches, strict=False):
            top = _max_target(loader, y)
            low = _min_target(loader, y)
            if top >= n_classes or low < 0:
                bad = top if top >= n_classes else low
                raise ExperimentError(
                    f"{where}: the {split} targets include class {bad} but the model outputs "
                    f"{n_classes} logits (classes 0..{n_classes - 1}). Give the last layer one "
                    "output per class, or fix the labels.")
    else:
        if not targets.is_floating_point():
            notes.append("integer regression targets are trained as float")
        if outputs.numel() != targets.numel():
            raise ExperimentError(
                f"{where}: for regression the model's output ({tuple(outputs.shape)}) must have "
                f"one value per target ({tuple(targets.shape)}).")
        all_targets = _all_targets(train_loader)
        if all_targets is not None:
            target_variance = float(all_targets.float().var())

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

    spec = _read_optimizer(optimizer, first, where, notes)
    return Experiment(
        name=name,
        source=source,
        model_factory=model,
        train_loader=train_loader,
        val_loader=val_loader,
        test_loader=test_loader,
        optimizer=spec,
        loss_factory=loss,
        task=task,
        metric=metric,
        epochs=epochs,
        n_classes=n_classes,
        n_train=_len_dataset(train_loader),
        n_val=_len_dataset(val_loader),
        n_test=_len_dataset(test_loader) if test_loader is not None else None,
        batch_size=getattr(train_loader, "batch_size", None) or int(targets.shape[0]),
        input_shape=tuple(inputs.shape[1:]),
        model_class=type(first).__name__,
        target_variance=target_variance,
        label_smoothing=float(getattr(loss_module, "label_smoothing", 0.0) or 0.0),
        bundled=bundled,
        notes=tuple(notes),
        fingerprint=fingerprint(first, loaders, spec, loss_module, task, metric, epochs),
    )


def _kind(obj: Any) -> str:
    if obj is None:
        return "None"
    return f"a {type(obj).__name__}"


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def _call(fn: Callable, where: str, what: str, *args: Any) -> Any:
    try:
        return fn(*args)
    except KeyboardInterrupt:
        raise
    except Exception as e:
        raise ExperimentError(f"{where}: {what} raised {type(e).__name__}: {_first_line(e)}. "
                              f"Fix {what.split('(')[0]}() and run again.") from None


def _check_module(obj: Any, where: str) -> None:
    if not isinstance(obj, nn.Module):
        raise ExperimentError(
            f"{where}: model() returned {_kind(obj)}, not a torch.nn.Module. Return a fresh "
            "module, e.g. nn.Sequential(...).")


def _check_no_shared_parameters(first: nn.Module, second: nn.Module, where: str) -> None:
    """Two calls of model() must not hand out the same parameter tensors (a backbone defined
    once at module level would keep training across every trial and seed)."""
    def storages(model: nn.Module) -> dict[int, str]:
        out = {}
        for name, p in model.named_parameters():
            if p.numel() and p.device.type != "meta":
                out[p.untyped_storage().data_ptr()] = name
        return out

    ids = {id(p) for p in second.parameters()}
    shared = [name for name, p in first.named_parameters() if id(p) in ids]
    if not shared:
        a, b = storages(first), storages(second)
        shared = [a[ptr] for ptr in a.keys() & b.keys()]
    if shared:
        raise ExperimentError(
            f"{where}: two calls of model() return models that share {len(shared)} parameter "
            f"tensor{'s' if len(shared) != 1 else ''} (e.g. {shared[0]!r}), as when layers are "
            "defined once at module level: every trial and seed would keep training the same "
            "weights. Build the layers inside model(), or return copy.deepcopy of a module "
            "defined once.")


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
            f"{_kind(loader)}, which is its own iterator); regadvisor reads every loader once "
            "per epoch of every run. Return a torch.utils.data.DataLoader (or any object whose "
            "iter() starts over).")


def _first_batch(loader: Any, split: str, where: str) -> tuple[torch.Tensor, torch.Tensor]:
    if torch.is_tensor(loader) or not hasattr(loader, "__iter__"):
        raise ExperimentError(
            f"{where}: data() returned {_kind(loader)} as the {split} loader. Return "
            "torch.utils.data.DataLoader objects (or other iterables of (inputs, targets)).")
    try:
        batch = next(iter(loader))
    except StopIteration:
        raise ExperimentError(
            f"{where}: the {split} loader from data() yields no batches. Check that its "
            "dataset is not empty (and drop_last with a batch larger than the data).") from None
    except Exception as e:
        raise ExperimentError(f"{where}: reading the first {split} batch raised "
                              f"{type(e).__name__}: {_first_line(e)}.") from None
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        got = f"a {type(batch).__name__}" + (f" of {len(batch)} items"
                                             if isinstance(batch, (tuple, list)) else "")
        raise ExperimentError(
            f"{where}: the {split} loader yields {got}; each batch must be a pair "
            "(inputs, targets).")
    x, y = batch
    if not torch.is_tensor(x) or not torch.is_tensor(y):
        raise ExperimentError(
            f"{where}: the {split} batches must be (inputs, targets) tensors; got "
            f"({type(x).__name__}, {type(y).__name__}).")
    return x, y


def _tensors(loader: Any) -> tuple[torch.Tensor, ...] | None:
    dataset = getattr(loader, "dataset", None)
    return getattr(dataset, "tensors", None) if dataset is not None else None


def _check_finite(x: torch.Tensor, loader: Any, split: str, where: str) -> None:
    tensors = _tensors(loader)
    checked = tensors[0] if tensors else x
    if checked.is_floating_point() and not bool(torch.isfinite(checked).all()):
        n_bad = int((~torch.isfinite(checked)).sum())
        raise ExperimentError(
            f"{where}: the {split} inputs contain {n_bad} NaN or infinite value"
            f"{'s' if n_bad != 1 else ''}. Clean or impute them before training.")


def _all_targets(loader: Any) -> torch.Tensor | None:
    tensors = _tensors(loader)
    return tensors[1] if tensors and len(tensors) >= 2 else None


def _max_target(loader: Any, y: torch.Tensor) -> int:
    t = _all_targets(loader)
    return int((t if t is not None else y).max())


def _min_target(loader: Any, y: torch.Tensor) -> int:
    t = _all_targets(loader)
    return int((t if t is not None else y).min())


def _len_dataset(loader: Any) -> int | None:
    try:
        return len(loader.dataset)
    except Exception:
        return None


def _soft_labels(targets: torch.Tensor, outputs: torch.Tensor) -> bool:
    """Targets of one probability per class (one-hot or soft labels), shaped like the logits."""
    return (targets.is_floating_point() and targets.ndim >= 2
            and tuple(targets.shape) == tuple(outputs.shape))


def _infer_task(task: str | None, loss_module: Any, targets: torch.Tensor, where: str,
                notes: list[str], soft: bool = False) -> str:
    if task is not None:
        if task not in ("classification", "regression"):
            raise ExperimentError(f"{where}: task must be 'classification' or 'regression'. "
                                  f"Got {task!r}.")
        if (task == "regression" and isinstance(loss_module, _CLASSIFICATION_LOSSES)):
            raise ExperimentError(
                f"{where}: task is 'regression' but loss() is "
                f"{type(loss_module).__name__}, a classification loss. Use nn.MSELoss() or set "
                "task = 'classification'.")
        return task
    if isinstance(loss_module, _CLASSIFICATION_LOSSES):
        if soft and isinstance(loss_module, nn.CrossEntropyLoss):
            notes.append("task inferred as classification from CrossEntropyLoss")
            return "classification"
        if targets.is_floating_point() and isinstance(loss_module,
                                                      (nn.CrossEntropyLoss, nn.NLLLoss)):
            raise ExperimentError(
                f"{where}: the targets are floating point ({targets.dtype}), as for regression, "
                f"but loss() is {type(loss_module).__name__}, a classification loss. Use "
                "nn.MSELoss() for regression, or integer class labels for classification.")
        notes.append(f"task inferred as classification from {type(loss_module).__name__}")
        return "classification"
    if isinstance(loss_module, _REGRESSION_LOSSES):
        notes.append(f"task inferred as regression from {type(loss_module).__name__}")
        return "regression"
    inferred = "regression" if targets.is_floating_point() else "classification"
    notes.append(f"task inferred as {inferred} from {targets.dtype} targets")
    return inferred


def _read_optimizer(optimizer: Callable | None, model: nn.Module, where: str,
                    notes: list[str]) -> OptimizerSpec:
    if optimizer is None:
        notes.append("no optimizer() given: the baseline uses Adam, lr 1e-3")
        return OptimizerSpec()
    if not callable(optimizer):
        raise ExperimentError(f"{where}: 'optimizer' is {_kind(optimizer)}, not a function. "
                              "Define optimizer(params) that returns a torch.optim optimizer.")
    instance = _call(optimizer, where, "optimizer(params)", list(model.parameters()))
    if not isinstance(instance, torch.optim.Optimizer):
        raise ExperimentError(
            f"{where}: optimizer(params) returned {_kind(instance)}, not a "
            "torch.optim.Optimizer. Return e.g. torch.optim.Adam(params, lr=1e-3).")
    names = {id(p): n for n, p in model.named_parameters()}
    spec = OptimizerSpec.from_optimizer(instance, names)
    if not (spec.lr > 0) or not math.isfinite(spec.lr):
        raise ExperimentError(
            f"{where}: optimizer(params) has learning rate {spec.lr:g}; it must be a positive "
            "number, e.g. 1e-3.")
    if any(len(g["params"]) == 0 for g in instance.param_groups):
        raise ExperimentError(f"{where}: optimizer(params) has an empty param group.")
    return spec


def _tensor_digest(h, tensor: torch.Tensor, limit: int = 1 << 22) -> None:
    """Feed a tensor's shape, dtype and values (a strided sample of at most ``limit`` of them)
    into the hash ``h``."""
    t = tensor.detach().cpu().contiguous().reshape(-1)
    if t.numel() > limit:
        t = t[:: t.numel() // limit + 1]
    h.update(f"{tuple(tensor.shape)}{tensor.dtype}".encode())
    h.update(t.numpy().tobytes() if t.dtype != torch.bfloat16 else t.float().numpy().tobytes())


def fingerprint(model: nn.Module, loaders: Any, spec: OptimizerSpec, loss_module: Any, task: str,
                metric: str, epochs: int) -> str:
    """The identity of an experiment, from its content and contract.

    It covers the model's parameter and buffer names, shapes and dtypes, the data (the tensors
    of in-memory datasets; otherwise each dataset's type and size and the first batch of the
    loaders that do not shuffle), the optimizer's settings, the loss, the task, the metric and
    the epochs. The file's name, path or comments do not enter it.
    """
    import hashlib
    import json

    h = hashlib.sha256()
    h.update(json.dumps({
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
        h.update(f"{type(loader).__name__}/{type(dataset).__name__}/{_len_dataset(loader)}/"
                 f"{getattr(loader, 'batch_size', None)}".encode())
        if tensors:
            for tensor in tensors:
                _tensor_digest(h, tensor)
        elif isinstance(getattr(loader, "sampler", None),
                        torch.utils.data.SequentialSampler):
            for item in next(iter(loader)):
                if torch.is_tensor(item):
                    _tensor_digest(h, item)
    return h.hexdigest()[:16]
