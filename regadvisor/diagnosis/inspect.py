"""Static inspection: what the model, optimizer and data are, without training."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from regadvisor.experiment import Experiment
from regadvisor.training.batch import input_tensors
from regadvisor.training.dropout import DROPOUT_TYPES, dropout_targets
from regadvisor.training.param_groups import embedding_parameters, is_bias, is_exempt

__all__ = ["Inspection", "LayerInfo", "inspect_experiment"]

_BATCHNORM = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.SyncBatchNorm)
_OTHER_NORM = (nn.LayerNorm, nn.GroupNorm, nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d,
               nn.LocalResponseNorm)
_ACTIVATIONS = (nn.ReLU, nn.LeakyReLU, nn.GELU, nn.SiLU, nn.Tanh, nn.Sigmoid, nn.ELU, nn.Softmax,
                nn.LogSoftmax, nn.PReLU, nn.Mish, nn.Hardswish, nn.SELU, nn.Softplus)
_SHAPE_ONLY = (nn.Identity, nn.Flatten, nn.Unflatten)
_POOL = (nn.MaxPool1d, nn.MaxPool2d, nn.MaxPool3d, nn.AvgPool1d, nn.AvgPool2d, nn.AvgPool3d,
         nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


@dataclass(frozen=True)
class LayerInfo:
    """One leaf module: its name, kind and trainable parameter count."""

    name: str
    kind: str
    type: str
    params: int
    detail: str = ""


@dataclass
class Inspection:
    """Static facts about an experiment (no training).

    ``decayed`` and ``not_decayed`` list the parameter names the user's optimizer does and does
    not apply weight decay to; ``recommended_decay`` and ``recommended_no_decay`` are the split
    regadvisor recommends (biases and 1-D parameters exempt). ``dropout_targets`` names the
    linear layers that injected dropout goes in front of (those that read hidden units, in the
    order the forward pass runs them).
    """

    layers: list[LayerInfo] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    decayed: list[str] = field(default_factory=list)
    not_decayed: list[str] = field(default_factory=list)
    recommended_decay: list[str] = field(default_factory=list)
    recommended_no_decay: list[str] = field(default_factory=list)
    dropout_targets: list[str] = field(default_factory=list)

#: A layer's kind by its type; the first entry that matches wins.
_KINDS: tuple[tuple[type | tuple[type, ...], str], ...] = (
    (nn.Linear, "linear"),
    (nn.modules.conv._ConvNd, "conv"),
    (_BATCHNORM, "batchnorm"),
    (_OTHER_NORM, "norm"),
    (DROPOUT_TYPES, "dropout"),
    ((nn.Embedding, nn.EmbeddingBag), "embedding"),
    (_ACTIVATIONS, "activation"),
    (_POOL, "pool"),
    (_SHAPE_ONLY, "shape"),
)


def _kind(module: nn.Module) -> str:
    return next((kind for types, kind in _KINDS if isinstance(module, types)), "other")


def _detail(module: nn.Module) -> str:
    if isinstance(module, nn.Linear):
        return f"{module.in_features}→{module.out_features}"
    if isinstance(module, nn.modules.conv._ConvNd):
        return f"{module.in_channels}→{module.out_channels}, kernel {tuple(module.kernel_size)}"
    if isinstance(module, DROPOUT_TYPES):
        return f"p={module.p:g}"
    if isinstance(module, _BATCHNORM):
        return f"{module.num_features} features"
    return ""


def inspect_experiment(experiment: Experiment) -> Inspection:
    """Inspect the model, the user's optimizer and the data of ``experiment``."""
    model = experiment.model_factory()
    leaves = [(name, m) for name, m in model.named_modules() if not list(m.children())]
    layers = [
        LayerInfo(name=name or type(m).__name__, kind=_kind(m), type=type(m).__name__,
                  params=sum(p.numel() for p in m.parameters(recurse=False) if p.requires_grad),
                  detail=_detail(m))
        for name, m in leaves
    ]
    kinds = [layer.kind for layer in layers]
    params = {n: p for n, p in model.named_parameters() if p.requires_grad}
    n_params = sum(p.numel() for p in params.values())
    embedding_params = embedding_parameters(model)

    spec = experiment.optimizer
    decayed = [n for n in spec.decayed_params if n in params]
    not_decayed = [n for n in params if n not in set(decayed)]
    rec_decay = [n for n, p in params.items() if not is_exempt(n, p)]
    rec_no_decay = [n for n, p in params.items() if is_exempt(n, p)]

    dropout_ps = [m.p for _, m in leaves if isinstance(m, DROPOUT_TYPES)]
    targets = dropout_targets(model, experiment.task, experiment.layer_order)
    n_train = experiment.n_train or 0
    facts: dict[str, Any] = {
        "model_class": experiment.model_class,
        "n_params": n_params,
        "n_params_decayed": sum(params[n].numel() for n in decayed),
        "params_per_sample": n_params / n_train if n_train else None,
        "n_linear": kinds.count("linear"),
        "n_dropout_targets": len(targets),
        "n_conv": kinds.count("conv"),
        "n_norm": kinds.count("batchnorm") + kinds.count("norm"),
        "n_dropout": kinds.count("dropout"),
        "dropout_p": max(dropout_ps, default=0.0),
        "input_dropout_p": _input_dropout(leaves),
        "has_batchnorm": "batchnorm" in kinds,
        "has_layernorm": "norm" in kinds,
        "has_dropout": any(p > 0 for p in dropout_ps),
        "has_conv": "conv" in kinds,
        "has_embedding": "embedding" in kinds,
        "dropout_before_batchnorm": _dropout_before_batchnorm(kinds),
        "is_linear": _is_linear(layers),
        "optimizer": spec.name,
        "optimizer_is_adaptive": spec.is_adaptive,
        "decoupled_weight_decay": spec.decoupled and spec.weight_decay > 0,
        "lr": spec.lr,
        "weight_decay": spec.weight_decay,
        "decays_biases": any(is_bias(n) for n in decayed),
        "decays_norms": any(is_exempt(n, params[n]) and not is_bias(n) for n in decayed),
        "decays_embeddings": any(n in embedding_params for n in decayed),
        "early_stopping": False,
        "has_training_step": experiment.training_step is not None,
        "label_smoothing": experiment.label_smoothing,
        "task": experiment.task,
        "metric": experiment.metric,
        "n_train": experiment.n_train,
        "n_val": experiment.n_val,
        "batch_size": experiment.batch_size,
        "batch_fraction": (experiment.batch_size / n_train
                           if n_train and experiment.batch_size else None),
        "n_classes": experiment.n_classes,
        "target_variance": experiment.target_variance,
        "has_augmentation": (_has_augmentation(experiment.train_loader)
                             or (experiment.augment or 0.0) > 0),
        "augment_exposed": experiment.augment is not None,
        "augment_strength": experiment.augment,
    }
    n_features = experiment.input_shape[0] if len(experiment.input_shape) == 1 else None
    facts["n_features"] = n_features
    facts["features_per_sample"] = n_features / n_train if n_features and n_train else None
    facts["max_feature_correlation"] = _max_correlation(experiment.train_loader, n_features)
    return Inspection(layers=layers, facts=facts, decayed=decayed, not_decayed=not_decayed,
                      recommended_decay=rec_decay, recommended_no_decay=rec_no_decay,
                      dropout_targets=targets)


def _input_dropout(leaves: list[tuple[str, nn.Module]]) -> float:
    """p of the dropout applied before any linear or convolutional layer (in module order)."""
    for _, module in leaves:
        if isinstance(module, DROPOUT_TYPES):
            return float(module.p)
        if isinstance(module, (nn.Linear, nn.modules.conv._ConvNd, nn.Embedding,
                               nn.EmbeddingBag)):
            return 0.0
    return 0.0


def _dropout_before_batchnorm(kinds: list[str]) -> bool:
    significant = [k for k in kinds if k not in ("activation", "shape")]
    return any(a == "dropout" and b == "batchnorm" for a, b in zip(significant, significant[1:],
                                                                   strict=False))


def _is_linear(layers: list[LayerInfo]) -> bool:
    with_params = [layer for layer in layers if layer.params > 0]
    nonlinear = [layer for layer in layers if layer.kind in ("activation", "pool", "other")]
    return len(with_params) == 1 and with_params[0].kind == "linear" and not nonlinear


def _has_augmentation(loader: Any) -> bool:
    dataset = getattr(loader, "dataset", None)
    if dataset is None or isinstance(dataset, torch.utils.data.TensorDataset):
        return False
    try:
        a, b = dataset[0], dataset[0]
    except Exception:
        return False
    return any(xa.shape == xb.shape and not torch.equal(xa, xb)
               for xa, xb in zip(input_tensors(a), input_tensors(b), strict=False))


def _max_correlation(loader: Any, n_features: int | None) -> float | None:
    if not n_features or n_features > 2000 or n_features < 2:
        return None
    tensors = getattr(getattr(loader, "dataset", None), "tensors", None)
    if not tensors:
        return None
    x = tensors[0].detach().double().cpu().numpy()
    if x.shape[0] < 3:
        return None
    x = x - x.mean(0)
    std = x.std(0)
    keep = std > 0
    if keep.sum() < 2:
        return None
    z = x[:, keep] / std[keep]
    corr = (z.T @ z) / z.shape[0]
    np.fill_diagonal(corr, 0.0)
    value = float(np.abs(corr).max())
    return value if math.isfinite(value) else None
