"""Setting and injecting dropout."""

from __future__ import annotations

from collections.abc import Sequence

from torch import nn

__all__ = ["DROPOUT_TYPES", "WEIGHT_LAYERS", "dropout_targets", "inject_dropout", "set_dropout"]

DROPOUT_TYPES = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)
#: Layers with a weight matrix or kernel: what counts as "reading" inputs or hidden units.
WEIGHT_LAYERS = (nn.Linear, nn.modules.conv._ConvNd)


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


def dropout_targets(model: nn.Module, task: str = "classification",
                    order: Sequence[str] = ()) -> list[str]:
    """The fully connected layers that injected dropout goes in front of.

    A linear layer qualifies when it reads hidden units: another linear or convolutional layer
    runs before it, so the layer that reads the raw inputs is left alone. For regression the
    output layer (the last linear layer to run) is left alone too: dropout in front of a
    regression output changes the variance of the prediction between training and inference.

    Args:
        model: The model.
        task: ``"classification"`` or ``"regression"``.
        order: The weight layers' names in the order the forward pass ran them (see
            ``Experiment.layer_order``); layers that did not run are left alone. Without it the
            order in which the model registered its layers stands in for it.
    """
    modules = dict(model.named_modules())
    names = [n for n in order if isinstance(modules.get(n), WEIGHT_LAYERS)] if order else [
        n for n, m in modules.items() if isinstance(m, WEIGHT_LAYERS)]
    linear = [n for n in names if isinstance(modules[n], nn.Linear)]
    targets = [n for n in linear if n != names[0]]
    if task == "regression" and linear:
        targets = [n for n in targets if n != linear[-1]]
    return targets


def inject_dropout(model: nn.Module, p: float, task: str = "classification",
                   layers: Sequence[str] = ()) -> list[str]:
    """Put ``nn.Dropout(p)`` in front of each of ``layers`` (default: :func:`dropout_targets`).

    Each such ``nn.Linear`` is replaced, in its parent, by ``nn.Sequential(nn.Dropout(p),
    linear)``; its parameters are kept (the same objects; their names gain a ``.1``).

    Returns:
        The names of the linear layers that now have dropout in front of them.
    """
    modules = dict(model.named_modules())
    targets = ([n for n in layers if isinstance(modules.get(n), nn.Linear)] if layers
               else dropout_targets(model, task))
    for name in targets:
        parent_name, _, child = name.rpartition(".")
        parent = model.get_submodule(parent_name) if parent_name else model
        setattr(parent, child, nn.Sequential(nn.Dropout(p), getattr(parent, child)))
    return targets
