"""Which parameters get weight decay: biases and every 1-D parameter do not."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["ParamSplit", "is_exempt", "split_parameters"]


def is_exempt(name: str, param: torch.Tensor) -> bool:
    """The no-decay test: biases and 1-D parameters (norm scales and shifts) are exempt.

    Testing ``ndim`` rather than layer types also catches custom normalisation layers.
    """
    return param.ndim <= 1 or name.endswith(".bias") or name == "bias"


@dataclass(frozen=True)
class ParamSplit:
    """Trainable parameters split by the no-decay rule, by name (names kept for reports)."""

    decay: tuple[str, ...]
    no_decay: tuple[str, ...]

    @property
    def n_decay(self) -> int:
        return len(self.decay)


def split_parameters(model: nn.Module, exempt: bool = True) -> tuple[ParamSplit, list[dict]]:
    """Split the trainable parameters of ``model`` into a decay and a no-decay group.

    Args:
        model: The model.
        exempt: When False every trainable parameter goes to the decay group.

    Returns:
        The names of each group, and two param-group dicts (``{"params": [...], "names": [...]}``)
        with no weight decay set yet; groups with no parameters are left out.
    """
    decay: list[tuple[str, nn.Parameter]] = []
    no_decay: list[tuple[str, nn.Parameter]] = []
    for name, param in model.named_parameters():
        if not param.requires_grad:
            continue
        (no_decay if exempt and is_exempt(name, param) else decay).append((name, param))
    split = ParamSplit(tuple(n for n, _ in decay), tuple(n for n, _ in no_decay))
    groups = [
        {"params": [p for _, p in items], "names": [n for n, _ in items], "decay": is_decay}
        for items, is_decay in ((decay, True), (no_decay, False))
        if items
    ]
    return split, groups
