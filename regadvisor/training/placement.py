"""Where a :class:`RegConfig` puts its regularization in one model: the one source of truth.

The training loop applies a configuration through :func:`apply_regularization`; the report's
table, its code and its "in the recommendation" badges read the same :class:`Placement`, computed
by :func:`placement` on a fresh model without training. Names are those of the user's model
(before any dropout was put into it).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn

from regadvisor.training.config import RegConfig, settings_tuples
from regadvisor.training.dropout import DROPOUT_TYPES, inject_dropout, set_dropout
from regadvisor.training.param_groups import is_exempt, split_parameters

__all__ = ["Placement", "apply_regularization", "placement"]


@dataclass(frozen=True)
class Placement:
    """The regularization of one configuration as applied to one model.

    Attributes:
        decay, no_decay: Trainable parameter names in the decayed and the undecayed group.
        no_decay_extra: The names in ``no_decay`` that the bias-and-1-D rule does not exempt:
            embedding tables and the parameters the user's own optimizer leaves undecayed.
        weight_decay: λ of the decayed group (0: nothing is decayed).
        optimizer: The class name of the optimizer built (e.g. ``AdamW``), and
            ``optimizer_kwargs`` its algorithm settings (``decoupled_weight_decay`` included).
        dropout_p: p of every dropout module after the configuration was applied, by module name
            (an injected module is named after the layer it precedes, ``<layer>.0``).
        dropout_changed: The model's own dropout modules whose p was set.
        dropout_injected: The linear layers that got dropout in front of them.
        model_dropout: p of the model's own dropout modules before any change.
    """

    decay: tuple[str, ...] = ()
    no_decay: tuple[str, ...] = ()
    no_decay_extra: tuple[str, ...] = ()
    weight_decay: float = 0.0
    optimizer: str = ""
    optimizer_kwargs: dict[str, Any] = dataclasses.field(default_factory=dict)
    dropout_p: dict[str, float] = dataclasses.field(default_factory=dict)
    dropout_changed: tuple[str, ...] = ()
    dropout_injected: tuple[str, ...] = ()
    model_dropout: dict[str, float] = dataclasses.field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "optimizer_kwargs", settings_tuples(self.optimizer_kwargs))

    @property
    def decayed(self) -> tuple[str, ...]:
        """The parameters that really get weight decay (none when λ is 0)."""
        return self.decay if self.weight_decay > 0 else ()

def _dropout_ps(model: nn.Module) -> dict[str, float]:
    return {name: float(m.p) for name, m in model.named_modules() if isinstance(m, DROPOUT_TYPES)}


def apply_regularization(model: nn.Module, config: RegConfig,
                         task: str = "classification") -> tuple[Placement, list[dict]]:
    """Put ``config``'s dropout into ``model`` (in place) and split its parameters for decay.

    Dropout: with ``config.dropout`` set, every dropout module of the model gets that p; a model
    without dropout modules gets ``nn.Dropout(p)`` in front of ``config.dropout_layers`` (by
    default the layers of :func:`~regadvisor.training.dropout.dropout_targets`) when
    ``config.inject_dropout`` is set.

    Returns:
        The placement, and the param groups for the optimizer (see
        :func:`~regadvisor.training.param_groups.split_parameters`).
    """
    names = {id(p): n for n, p in model.named_parameters()}
    by_rule = ({n for n, p in model.named_parameters() if is_exempt(n, p)}
               if config.exempt == "bias_and_norm" else set())
    before = _dropout_ps(model)
    changed: list[str] = []
    injected: list[str] = []
    if config.dropout is not None:
        changed = set_dropout(model, config.dropout)
        if config.inject_dropout and not changed and config.dropout > 0:
            injected = inject_dropout(model, config.dropout, task, config.dropout_layers)
    split, groups = split_parameters(model, exempt=config.exempt == "bias_and_norm",
                                     exempt_embeddings=config.exempt_embeddings,
                                     no_decay=config.no_decay, names=names)
    cls, kwargs = config.optimizer.build_args(config.decoupled)
    return Placement(
        decay=split.decay, no_decay=split.no_decay,
        no_decay_extra=tuple(n for n in split.no_decay if n not in by_rule),
        weight_decay=float(config.weight_decay),
        optimizer=cls.__name__, optimizer_kwargs=kwargs,
        dropout_p=_dropout_ps(model), dropout_changed=tuple(changed),
        dropout_injected=tuple(injected), model_dropout=before,
    ), groups


def placement(model_factory: Callable[[], nn.Module], config: RegConfig,
              task: str = "classification") -> Placement:
    """The placement of ``config`` in a fresh model from ``model_factory`` (no training).

    The model is built as a training run with ``config.seed`` builds it; the caller's random
    state is left as it was.
    """
    import torch

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(config.seed)
        return apply_regularization(model_factory(), config, task)[0]
