"""Setting and injecting dropout."""

from __future__ import annotations

from torch import nn

__all__ = ["DROPOUT_TYPES", "NORM_TYPES", "dropout_targets", "inject_dropout", "set_dropout"]

DROPOUT_TYPES = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)
NORM_TYPES = (nn.BatchNorm1d, nn.BatchNorm2d, nn.BatchNorm3d, nn.LayerNorm, nn.GroupNorm,
              nn.InstanceNorm1d, nn.InstanceNorm2d, nn.InstanceNorm3d)


def set_dropout(model: nn.Module, p: float) -> list[str]:
    """Set ``p`` on every dropout module of ``model``.

    Returns:
        The names of the modules that were changed.
    """
    changed = []
    for name, module in model.named_modules():
        if isinstance(module, DROPOUT_TYPES):
            module.p = p
            changed.append(name)
    return changed


def dropout_targets(model: nn.Module, task: str = "classification") -> list[str]:
    """The fully connected layers that injected dropout goes in front of.

    A linear layer qualifies when it reads hidden units: a linear or convolutional layer is
    registered before it, so the layer that reads the raw inputs is left alone. For regression
    the output layer (the last linear layer) is left alone too: dropout in front of a regression
    output changes the variance of the prediction between training and inference.
    """
    linear: list[str] = []
    seen_weight_layer = False
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            if seen_weight_layer:
                linear.append(name)
            seen_weight_layer = True
        elif isinstance(module, nn.modules.conv._ConvNd):
            seen_weight_layer = True
    if task == "regression" and linear:
        last = [name for name, m in model.named_modules() if isinstance(m, nn.Linear)][-1]
        linear = [name for name in linear if name != last]
    return linear


def inject_dropout(model: nn.Module, p: float, task: str = "classification") -> list[str]:
    """Put ``nn.Dropout(p)`` in front of each layer of :func:`dropout_targets`.

    Each such ``nn.Linear`` is replaced, in its parent, by ``nn.Sequential(nn.Dropout(p),
    linear)``; its parameters are kept (the same objects; their names gain a ``.1``).

    Returns:
        The names of the linear layers that now have dropout in front of them.
    """
    targets = dropout_targets(model, task)
    for name in targets:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, nn.Sequential(nn.Dropout(p), getattr(parent, child)))
    return targets
