"""Which parameters get weight decay.

Biases and every 1-D parameter (norm scales and shifts) never do under the guide's rule;
embedding tables and the parameters the user's own optimizer left undecayed can be exempted too.
Groups are built by parameter *name* (as in the user's model), so that a report can list them and
a code snippet can rebuild them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass

import torch
from torch import nn

__all__ = ["EXEMPT_CODE", "ParamSplit", "embedding_parameters", "is_bias", "is_exempt",
           "split_parameters"]

EMBEDDING_TYPES = (nn.Embedding, nn.EmbeddingBag)


def is_bias(name: str) -> bool:
    """A bias, by its name in ``named_parameters()``: ``bias`` (the model's own) or
    ``<module>.bias``."""
    return name == "bias" or name.endswith(".bias")


def is_exempt(name: str, param: torch.Tensor) -> bool:
    """The no-decay test: biases and 1-D parameters (norm scales and shifts) are exempt.

    Testing ``ndim`` rather than layer types also catches custom normalisation layers.
    """
    return param.ndim <= 1 or is_bias(name)


#: :func:`is_exempt` as the recommended code writes it, over ``name, p`` of
#: ``model.named_parameters()``.
EXEMPT_CODE = 'p.ndim <= 1 or name == "bias" or name.endswith(".bias")'


def embedding_parameters(model: nn.Module) -> set[str]:
    """Names of the embedding tables' parameters (``nn.Embedding``, ``nn.EmbeddingBag``)."""
    return {f"{name}.{pn}" if name else pn
            for name, module in model.named_modules() if isinstance(module, EMBEDDING_TYPES)
            for pn, _ in module.named_parameters(recurse=False)}


@dataclass(frozen=True)
class ParamSplit:
    """Trainable parameters split by the no-decay rule, by name (names kept for reports)."""

    decay: tuple[str, ...]
    no_decay: tuple[str, ...]


def split_parameters(
    model: nn.Module,
    exempt: bool = True,
    *,
    exempt_embeddings: bool = False,
    no_decay: Collection[str] = (),
    names: Mapping[int, str] | None = None,
) -> tuple[ParamSplit, list[dict]]:
    """Split the trainable parameters of ``model`` into a decay and a no-decay group.

    Args:
        model: The model.
        exempt: Exempt biases and 1-D parameters (:func:`is_exempt`); when False only the
            parameters named below are exempt.
        exempt_embeddings: Exempt the embedding tables as well.
        no_decay: Names of further parameters never decayed (the user's own no-decay groups).
        names: ``id(param) -> name`` to name the parameters by (the names of the user's model
            before regadvisor put dropout into it); default: the model's current names.

    Returns:
        The names of each group, and two param-group dicts (``{"params": [...], "names": [...],
        "decay": bool}``) with no weight decay set yet; groups with no parameters are left out.
    """
    embeddings = embedding_parameters(model) if exempt_embeddings else set()
    extra = set(no_decay)
    decay: list[tuple[str, nn.Parameter]] = []
    undecayed: list[tuple[str, nn.Parameter]] = []
    for current, param in model.named_parameters():
        if not param.requires_grad:
            continue
        name = names.get(id(param), current) if names is not None else current
        skip = (name in extra or current in embeddings
                or (exempt and is_exempt(name, param)))
        (undecayed if skip else decay).append((name, param))
    split = ParamSplit(tuple(n for n, _ in decay), tuple(n for n, _ in undecayed))
    groups = [
        {"params": [p for _, p in items], "names": [n for n, _ in items], "decay": is_decay}
        for items, is_decay in ((decay, True), (undecayed, False))
        if items
    ]
    return split, groups
