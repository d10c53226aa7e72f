"""What one training run is asked to do: :class:`RegConfig` and :class:`OptimizerSpec`."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Literal

import torch

from regadvisor._params import PARAMETER_TABLE
from regadvisor.errors import ConfigError

__all__ = ["ADAM_FAMILY", "SEED_STEP", "Exempt", "Monitor", "OptimizerSpec", "RegConfig",
           "optimizer_choice", "run_seed", "settings_tuples"]

#: The k-th training seed of a run with ``--seed s`` is ``s + SEED_STEP·k``: verification's seed k
#: of both arms, and the k-th re-run of a top trial (so that the winner's re-runs are
#: verification's runs of the recommendation).
SEED_STEP = 100


def run_seed(seed: int, k: int) -> int:
    """The k-th training seed of a run with ``seed`` (see :data:`SEED_STEP`)."""
    return seed + SEED_STEP * k


Monitor = Literal["val_loss", "val_metric"]
Exempt = Literal["none", "bias_and_norm"]

#: Optimizer arguments that are settings of the algorithm, kept when regadvisor rebuilds the
#: user's optimizer; everything else (foreach, fused, capturable, ...) is an implementation choice.
_ALGORITHM_KEYS = ("lr", "betas", "eps", "momentum", "dampening", "nesterov", "alpha", "amsgrad",
                   "centered", "lr_decay", "initial_accumulator_value", "rho", "momentum_decay")

#: Adaptive optimizers that have a decoupled weight decay: ``Adam`` becomes ``AdamW``, ``NAdam``
#: and ``RAdam`` take ``decoupled_weight_decay=True``. regadvisor never recommends their coupled
#: (L2) weight decay.
ADAM_FAMILY = ("Adam", "AdamW", "NAdam", "RAdam")


def optimizer_choice(name: str, kwargs: dict[str, Any],
                     decoupled: bool) -> tuple[str, dict[str, Any]]:
    """The optimizer class name and its algorithm settings for a weight decay mode.

    The one place that says how decoupled weight decay is spelled: ``Adam`` becomes ``AdamW``;
    ``NAdam`` and ``RAdam`` keep their class and get ``decoupled_weight_decay=True``; other
    optimizers keep their own weight decay (for SGD, weight decay and L2 are the same update).

    Args:
        name: The user's optimizer class name.
        kwargs: Its algorithm settings (``OptimizerSpec.kwargs``).
        decoupled: Whether weight decay is to be decoupled.

    Returns:
        ``(class name, settings)``.
    """
    kwargs = dict(kwargs)
    if name == "Adam" and decoupled:
        name = "AdamW"
    if name in ("NAdam", "RAdam") and decoupled:
        kwargs["decoupled_weight_decay"] = True
    elif name in ("AdamW", "Adam", "NAdam", "RAdam"):
        kwargs.pop("decoupled_weight_decay", None)
    return name, kwargs


@dataclass(frozen=True)
class OptimizerSpec:
    """The user's optimizer, read from the instance their ``optimizer(params)`` returned.

    Args:
        name: Class name, e.g. ``"Adam"``, ``"AdamW"``, ``"SGD"``.
        lr: Learning rate.
        weight_decay: The weight decay the user set (for ``Adam`` and ``SGD`` this is an L2 term
            added to the gradient; for ``AdamW`` it is decoupled).
        kwargs: The other algorithm settings (betas, momentum, ...), as plain values.
        decayed_params: Names of the parameters the user's optimizer decays (weight decay > 0).
        undecayed_params: Names of the parameters the user's optimizer deliberately leaves
            undecayed: those in groups with weight decay 0 while another group has some.
        module: Module that defines the class (``torch.optim`` for the built-in ones).
    """

    name: str = "Adam"
    lr: float = 1e-3
    weight_decay: float = 0.0
    kwargs: dict[str, Any] = field(default_factory=dict)
    decayed_params: tuple[str, ...] = ()
    undecayed_params: tuple[str, ...] = ()
    module: str = "torch.optim"

    def __post_init__(self) -> None:
        # A record read back from JSON holds lists where the optimizer had tuples (betas).
        object.__setattr__(self, "kwargs", settings_tuples(self.kwargs))

    @property
    def is_adaptive(self) -> bool:
        """Whether the optimizer divides by a second-moment estimate (Adam's family)."""
        return self.name in {"Adam", "AdamW", "NAdam", "RAdam", "Adamax", "RMSprop", "Adagrad",
                             "Adadelta"}

    @property
    def decoupled(self) -> bool:
        """Whether the user's weight decay is decoupled from the gradient (AdamW-style)."""
        return self.name == "AdamW" or bool(self.kwargs.get("decoupled_weight_decay", False))

    @classmethod
    def from_optimizer(
        cls, optimizer: torch.optim.Optimizer, names: dict[int, str] | None = None
    ) -> OptimizerSpec:
        """Read an optimizer instance.

        Args:
            optimizer: The instance the user's factory returned.
            names: ``id(param) -> name`` for the model the optimizer was built on, to list the
                decayed parameters by name.
        """
        defaults = dict(optimizer.defaults)
        kwargs = {k: _plain(defaults[k]) for k in _ALGORITHM_KEYS if k in defaults and k != "lr"}
        if defaults.get("decoupled_weight_decay") and type(optimizer).__name__ != "AdamW":
            kwargs["decoupled_weight_decay"] = True
        decayed: list[str] = []
        zero: list[str] = []
        wd_values: list[float] = []
        for group in optimizer.param_groups:
            wd = float(group.get("weight_decay", 0.0) or 0.0)
            wd_values.append(wd)
            if names:
                (decayed if wd > 0 else zero).extend(names.get(id(p), "?") for p in group["params"])
        lr = optimizer.param_groups[0].get("lr", defaults.get("lr", 1e-3))
        return cls(
            name=type(optimizer).__name__,
            lr=float(lr if not torch.is_tensor(lr) else lr.item()),
            weight_decay=max(wd_values) if wd_values else 0.0,
            kwargs=kwargs,
            decayed_params=tuple(decayed),
            undecayed_params=tuple(zero) if decayed else (),
            module=type(optimizer).__module__.rsplit(".", 1)[0]
            if type(optimizer).__module__.startswith("torch.optim")
            else type(optimizer).__module__,
        )

    def build_args(self, decoupled: bool) -> tuple[type[torch.optim.Optimizer], dict[str, Any]]:
        """The class to build and its algorithm settings (see :func:`optimizer_choice`)."""
        name, kwargs = optimizer_choice(self.name, self.kwargs, decoupled)
        if self.module.startswith("torch.optim") and hasattr(torch.optim, name):
            return getattr(torch.optim, name), kwargs
        import importlib

        return getattr(importlib.import_module(self.module), name), kwargs


def settings_tuples(kwargs: dict[str, Any]) -> dict[str, Any]:
    """Optimizer settings with list values as tuples, as torch's optimizers hold them."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in kwargs.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple):
        return tuple(_plain(v) for v in value)
    if torch.is_tensor(value):
        return value.item()
    return value


@dataclass(frozen=True)
class RegConfig:
    """The regularization of one training run.

    Args:
        weight_decay: Weight decay λ. With ``decoupled`` it is applied outside the adaptive step
            (AdamW: ``w ← w − η·λ·w``); otherwise it is the optimizer's own (L2 for Adam and SGD).
        decoupled: Use decoupled weight decay (Adam becomes AdamW). SGD ignores it: for SGD,
            weight decay and L2 give the same update.
        exempt: ``"bias_and_norm"`` puts biases and every 1-D parameter (norm scales and shifts)
            in a group with no decay; ``"none"`` decays every parameter (but those of
            ``no_decay``), as a plain ``optimizer(model.parameters(), weight_decay=λ)`` does.
        exempt_embeddings: Also leave the embedding tables undecayed.
        no_decay: Names of parameters never decayed, as named in the user's model: the ones the
            user's own optimizer leaves undecayed.
        l1: Strength of an L1 penalty ``l1 · Σ|w|`` on the weight matrices (not biases), added
            to the training loss.
        dropout: Set ``p`` of every existing dropout module to this value; ``None`` leaves them.
        inject_dropout: Where the model has no dropout, put ``Dropout(dropout)`` in front of each
            hidden fully connected layer.
        dropout_layers: The linear layers injected dropout goes in front of, by name (found
            from the order the user's forward pass runs its layers); empty: those that
            :func:`~regadvisor.training.dropout.dropout_targets` finds in the model.
        augment: The augmentation strength ``s`` in [0, 1] the training loader is built with,
            for experiments whose ``data(augment=s)`` exposes it; ``None``: the experiment's
            own loaders.
        label_smoothing: ε of label smoothing, classification only: the ε the training loss uses
            (the user's setup carries the ε of the user's own loss; 0 trains without).
        patience_epochs: Early-stopping patience in epochs (validation checks: one per epoch);
            ``None`` trains for ``max_epochs``.
        min_delta: The smallest change of the monitored figure that counts as an improvement.
        monitor: ``"val_metric"`` (the user's metric) or ``"val_loss"``.
        max_epochs: Epochs at most.
        seed: Seeds torch's RNG at the start: same seed, same device, same History.
        optimizer: The optimizer to build (the user's, read by the experiment loader).
        lr: Learning rate; ``None`` keeps the optimizer's.
    """

    weight_decay: float = 0.0
    decoupled: bool = True
    exempt: Exempt = "bias_and_norm"
    exempt_embeddings: bool = False
    no_decay: tuple[str, ...] = ()
    l1: float = 0.0
    dropout: float | None = None
    inject_dropout: bool = False
    dropout_layers: tuple[str, ...] = ()
    augment: float | None = None
    label_smoothing: float = 0.0
    patience_epochs: int | None = None
    min_delta: float = 0.0
    monitor: Monitor = "val_metric"
    max_epochs: int = 100
    seed: int = 0
    optimizer: OptimizerSpec = field(default_factory=OptimizerSpec)
    lr: float | None = None

    def __post_init__(self) -> None:
        # The searchable parameters are checked by their table's kind (None: not set).
        fields = type(self).__dataclass_fields__
        checks = [
            (fields[name].default is None if getattr(self, name) is None
             else p.admits(getattr(self, name)), name,
             p.expected + (" or None" if fields[name].default is None else ""))
            for name, p in PARAMETER_TABLE.items()
        ] + [
            (self.min_delta >= 0, "min_delta", "a number >= 0"),
            (self.max_epochs >= 1, "max_epochs", "an int >= 1"),
            (self.monitor in ("val_loss", "val_metric"), "monitor", "'val_loss' or 'val_metric'"),
            (self.exempt in ("none", "bias_and_norm"), "exempt", "'none' or 'bias_and_norm'"),
            (self.lr is None or self.lr > 0, "lr", "a number > 0"),
        ]
        for ok, name, expected in checks:
            if not ok:
                raise ConfigError(
                    f"The '{name}' setting of RegConfig must be {expected}. "
                    f"Got {getattr(self, name)!r} instead."
                )

    @property
    def learning_rate(self) -> float:
        return self.lr if self.lr is not None else self.optimizer.lr

    def replace(self, **changes: Any) -> RegConfig:
        """A copy with some settings changed."""
        return dataclasses.replace(self, **changes)

    def without_idle_patience(self) -> RegConfig:
        """The same config with early stopping off when its patience is at or beyond
        ``max_epochs``.

        Patience counts epochs without improvement after the best one, and the first epoch is
        always an improvement, so a patience of ``max_epochs`` or more can never stop the run:
        it is no early stopping, and is said, trained and coded as such (``None``: the run keeps
        its last weights, like one without early stopping).
        """
        if self.patience_epochs is not None and self.patience_epochs >= self.max_epochs:
            return self.replace(patience_epochs=None)
        return self

