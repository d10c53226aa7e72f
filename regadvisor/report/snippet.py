"""Copy-paste code for the recommended configuration, written for the user's own model.

The code is plain text built from the recommended RegConfig (as saved in report.json) and its
placement in the user's model (the parameter names of the decay and no-decay groups, the dropout
modules set or the layers that get dropout in front), the same placement regadvisor's training
loop applied. It repeats what that loop did, in the few lines a user adds to their own script.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["CodePart", "code_parts", "full_code"]

#: Optimizer arguments left out of the snippet when they hold torch's default.
_DEFAULTS = {"betas": [0.9, 0.999], "eps": 1e-8, "amsgrad": False, "momentum": 0, "dampening": 0,
             "nesterov": False, "maximize": False, "capturable": False, "differentiable": False,
             "foreach": None, "fused": None, "decoupled_weight_decay": False}
_MAX_NAMES = 8


@dataclass(frozen=True)
class CodePart:
    """One piece of the recommended change as code.

    Attributes:
        key: ``dropout``, ``optimizer``, ``augment``, ``loss``, ``l1`` or ``early_stopping``.
        title: What the piece does, in words.
        imports: Import lines the body needs.
        body: Python source.
        settings: The RegConfig settings the piece implements.
    """

    key: str
    title: str
    imports: tuple[str, ...]
    body: str
    settings: tuple[str, ...]

    @property
    def code(self) -> str:
        """The piece on its own: its imports, a blank line, its body."""
        return "\n".join(self.imports) + "\n\n" + self.body if self.imports else self.body


def full_code(parts: Sequence[CodePart]) -> str:
    """All pieces as one script fragment: the imports once, then each body in order."""
    imports = sorted({i for p in parts for i in p.imports},
                     key=lambda line: (line.startswith("from "), line))
    return "\n".join(imports) + "\n\n" + "\n\n".join(p.body for p in parts)


def _g(v: float) -> str:
    """A tuned float with two significant digits, as a valid Python literal (0.4669 → 0.47).

    The seed-to-seed noise of tuning is far larger than the third digit.
    """
    return repr(float(format(v, ".2g")))


def _one_line(text: str) -> str:
    """User text for a ``#`` comment: a line break would turn the rest into code."""
    return " ".join(str(text).split())


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(_one_line(n) for n in names[:_MAX_NAMES])
    if len(names) > _MAX_NAMES:
        shown += f", … ({len(names) - _MAX_NAMES} more)"
    return shown or "none"


def _optimizer_part(config: dict[str, Any], placement: dict[str, Any],
                    model_class: str, schedule: str | None = None) -> CodePart | None:
    wd = config.get("weight_decay") or 0.0
    if wd <= 0:
        return None
    opt = config.get("optimizer") or {}
    name = placement.get("optimizer") or opt.get("name", "Adam")
    module = opt.get("module") or "torch.optim"
    cls = f"torch.optim.{name}" if module.startswith("torch.optim") else f"{module}.{name}"
    lr = config.get("lr") or opt.get("lr", 1e-3)
    kwargs = placement.get("optimizer_kwargs") or {}
    extra = [f"{k}={v!r}" for k, v in kwargs.items() if _DEFAULTS.get(k, object()) != v]
    args = ", ".join([f"lr={float(lr)!r}", *extra])
    decay = list(placement.get("decay") or [])
    no_decay = list(placement.get("no_decay") or [])
    keep = list(placement.get("no_decay_extra") or [])
    by_rule = config.get("exempt") == "bias_and_norm"
    if not no_decay:
        body = f"optimizer = {cls}(model.parameters(), {args}, weight_decay={_g(wd)})"
        return CodePart("optimizer", f"{name} with weight decay {_g(wd)} on every parameter",
                        ("import torch",), body + _schedule_line(schedule),
                        ("optimizer", "weight_decay", "exempt"))
    test = " or ".join(([_RULE] if by_rule else []) + (["name in keep_undecayed"] if keep else []))
    lines = []
    if by_rule:
        lines.append("# Weight decay on the weight matrices only; biases and 1-D parameters (norm "
                     "scales")
        lines.append("# and shifts) are exempt" + (", and so are the parameters named in "
                                                   "keep_undecayed." if keep else "."))
    else:
        lines.append("# Weight decay on every parameter but those named in keep_undecayed.")
    lines += [
        f"# For your {_one_line(model_class)} (names as in your model, before any dropout is "
        "added):",
        f"#   decayed:     {_names(decay)}",
        f"#   not decayed: {_names(no_decay)}",
    ]
    if keep:
        names = "{" + ", ".join(repr(_one_line(n)) for n in keep) + "}"
        lines.append(f"keep_undecayed = {names}  # {_keep_why(config, keep)}")
    lines += [
        "decay, no_decay = [], []",
        "for name, p in model.named_parameters():",
        "    if p.requires_grad:",
        f"        (no_decay if {test} else decay).append(p)",
        f"optimizer = {cls}(",
        f'    [{{"params": decay, "weight_decay": {_g(wd)}}},',
        '     {"params": no_decay, "weight_decay": 0.0}],',
        f"    {args},",
        ")" + _schedule_line(schedule),
    ]
    title = (f"{name} with weight decay {_g(wd)} on the weights, none on "
             + ("biases and norms" if by_rule else "the parameters you exempt"))
    return CodePart("optimizer", title, ("import torch",), "\n".join(lines),
                    ("optimizer", "weight_decay", "exempt"))


_RULE = 'p.ndim <= 1 or name.endswith(".bias")'


def _schedule_line(schedule: str | None) -> str:
    """The user's learning-rate schedule rebuilt on the new optimizer (nothing without one)."""
    if not schedule:
        return ""
    return ("\n# Your learning-rate schedule, rebuilt on this optimizer and stepped as before "
            f"({_one_line(schedule)}):\nlr_scheduler = scheduler(optimizer)")


def _keep_why(config: dict[str, Any], keep: Sequence[str]) -> str:
    own = set(config.get("no_decay") or [])
    parts = []
    if any(n not in own for n in keep):
        parts.append("embedding tables")
    if any(n in own for n in keep):
        parts.append("undecayed in your own optimizer")
    return " and ".join(parts)


def _dropout_part(config: dict[str, Any], placement: dict[str, Any],
                  layers: Sequence[dict[str, Any]]) -> CodePart | None:
    p = config.get("dropout")
    if p is None:
        return None
    changed = list(placement.get("dropout_changed") or [])
    injected = list(placement.get("dropout_injected") or [])
    if changed:
        code = "\n".join([
            f"# Your dropout modules ({_names(changed)}) with p = {_g(p)}:",
            f"for name in {changed!r}:",
            f"    model.get_submodule(name).p = {_g(p)}",
        ])
        return CodePart("dropout", f"dropout p = {_g(p)} in your dropout modules", (), code,
                        ("dropout",))
    if not injected or not p:
        return None
    shapes = {x["name"]: x.get("detail", "") for x in layers}
    where = _one_line(", ".join(f"{n} ({shapes[n]})" if shapes.get(n) else n for n in injected))
    code = "\n".join([
        f"# nn.Dropout({_g(p)}) in front of the fully connected layers that read hidden units: "
        f"{where}.",
        "# In your model's definition, or after building it (and its optimizer: the parameters",
        "# stay the same objects):",
        f"for name in {injected!r}:",
        '    parent, _, child = name.rpartition(".")',
        "    owner = model.get_submodule(parent) if parent else model",
        f"    setattr(owner, child, nn.Sequential(nn.Dropout({_g(p)}), getattr(owner, child)))",
    ])
    return CodePart("dropout", f"dropout p = {_g(p)} before {len(injected)} linear layer"
                    f"{'s' if len(injected) != 1 else ''}", ("from torch import nn",), code,
                    ("dropout",))


def _loss_part(config: dict[str, Any]) -> CodePart | None:
    eps = config.get("label_smoothing") or 0.0
    if eps <= 0:
        return None
    code = "\n".join([
        f"criterion = nn.CrossEntropyLoss(label_smoothing={_g(eps)})  # for training",
        "eval_criterion = nn.CrossEntropyLoss()  # report validation/test loss without it",
    ])
    return CodePart("loss", f"label smoothing ε = {_g(eps)}", ("from torch import nn",), code,
                    ("label_smoothing",))


def _augment_part(config: dict[str, Any], baseline: dict[str, Any] | None) -> CodePart | None:
    s = config.get("augment")
    if s is None or (baseline is not None and baseline.get("augment") == s):
        return None  # the strength the user's data() already has: nothing to change
    code = (f"# Your data() with augmentation strength {_g(s)} for training (keep your "
            "validation and test loaders):\n"
            f"train_loader = data(augment={_g(s)})[0]")
    return CodePart("augment", f"augmentation strength {_g(s)}", (), code, ("augment",))


def _l1_part(config: dict[str, Any]) -> CodePart | None:
    l1 = config.get("l1") or 0.0
    if l1 <= 0:
        return None
    code = "\n".join([
        "# L1 on the weight matrices (not biases), added to the training loss at every step:",
        "#     loss = criterion(model(x), y) + l1_penalty(model)",
        f"l1 = {_g(l1)}",
        "",
        "",
        "def l1_penalty(model):",
        "    return l1 * sum(p.abs().sum() for p in model.parameters() if p.ndim >= 2)",
    ])
    return CodePart("l1", f"L1 penalty {_g(l1)}", (), code, ("l1",))


def _early_stopping_part(config: dict[str, Any], metric: str) -> CodePart | None:
    patience = config.get("patience_epochs")
    if patience is None:
        return None
    on_loss = config.get("monitor") == "val_loss" or metric == "loss"
    figure = "validation loss" if on_loss else f"validation {metric}"
    better = "score < best" if on_loss else "score > best"
    delta = config.get("min_delta") or 0.0
    if delta:
        better = f"score < best - {_g(delta)}" if on_loss else f"score > best + {_g(delta)}"
    epochs = config.get("max_epochs", 100)
    code = "\n".join([
        f"# Early stopping on the {figure}: stop after {patience} epochs without improvement",
        "# and keep the best epoch's weights.",
        "best, best_state, waited = None, None, 0",
        f"for epoch in range({epochs}):",
        "    train_one_epoch(model, optimizer, criterion)  # your training epoch",
        f"    score = evaluate(model, val_loader)  # {figure} "
        f"({'lower' if on_loss else 'higher'} is better)",
        f"    if best is None or {better}:",
        "        best, best_state, waited = score, copy.deepcopy(model.state_dict()), 0",
        "    else:",
        "        waited += 1",
        f"        if waited >= {patience}:",
        "            break",
        "model.load_state_dict(best_state)",
    ])
    return CodePart("early_stopping", f"early stopping on the {figure}, patience {patience} "
                    "epochs", ("import copy",), code, ("patience_epochs", "monitor", "min_delta"))


def code_parts(config: dict[str, Any], placement: dict[str, Any], *,
               layers: Sequence[dict[str, Any]] = (), metric: str = "accuracy",
               model_class: str = "model", schedule: str | None = None,
               baseline: dict[str, Any] | None = None) -> list[CodePart]:
    """The recommended configuration as code, in the order a script applies it.

    Args:
        config: The recommended RegConfig as a dict.
        placement: Where that configuration puts weight decay and dropout in the user's model
            (:class:`regadvisor.training.Placement` as a dict): the code rebuilds exactly it.
        layers: The inspection's layers (for the shapes named in comments).
        metric: The user's metric (``accuracy`` or ``loss``).
        model_class: The model's class name, for the comments.
        schedule: The user's learning-rate schedule in words (``OneCycleLR, stepped every
            batch``), rebuilt on the new optimizer in the code; None without one.
        baseline: The user's own configuration as a dict: a setting it already has (the
            augmentation strength of their ``data()``) needs no code.

    Returns:
        The pieces that apply: optimizer (built on the parameter names of the user's model),
        dropout, loss, L1, early stopping.
    """
    parts = [_optimizer_part(config, placement, model_class, schedule),
             _dropout_part(config, placement, layers),
             _augment_part(config, baseline), _loss_part(config), _l1_part(config),
             _early_stopping_part(config, metric)]
    return [p for p in parts if p is not None]
