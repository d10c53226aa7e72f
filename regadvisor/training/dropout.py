"""Setting and injecting dropout."""

from __future__ import annotations

from torch import nn

__all__ = ["DROPOUT_TYPES", "NORM_TYPES", "inject_dropout", "set_dropout"]

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


def inject_dropout(model: nn.Module, p: float) -> list[str]:
    """Put ``nn.Dropout(p)`` in front of every hidden fully connected layer of ``model``.

    A fully connected layer is *hidden* when a linear or convolutional layer is registered before
    it, so the layer that reads the raw inputs is left alone. Each such ``nn.Linear`` is replaced,
    in its parent, by ``nn.Sequential(nn.Dropout(p), linear)``; its parameters are kept (their
    names gain a ``.1``).

    Returns:
        The names of the linear layers that now have dropout in front of them.
    """
    targets: list[tuple[nn.Module, str, str]] = []
    seen_weight_layer = False
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear):
            if seen_weight_layer:
                parent_name, _, child = name.rpartition(".")
                parent = model.get_submodule(parent_name) if parent_name else model
                targets.append((parent, child, name))
            seen_weight_layer = True
        elif isinstance(module, nn.modules.conv._ConvNd):
            seen_weight_layer = True
    for parent, child, _ in targets:
        linear = getattr(parent, child)
        setattr(parent, child, nn.Sequential(nn.Dropout(p), linear))
    return [name for _, _, name in targets]
