"""Copy-paste code for the recommended configuration, written for the user's own model.

The code is plain text built from the recommended RegConfig (as saved in report.json) and the
static inspection of the model: the parameter names of the decay and no-decay groups, the
layers that get dropout, the tuned numbers. It repeats what regadvisor's training loop did, in
the few lines a user adds to their own script.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["CodePart", "code_parts", "full_code", "hidden_linear_layers"]

#: Optimizer arguments left out of the snippet when they hold torch's default.
_DEFAULTS = {"betas": [0.9, 0.999], "eps": 1e-8, "amsgrad": False, "momentum": 0, "dampening": 0,
             "nesterov": False, "maximize": False, "capturable": False, "differentiable": False,
             "foreach": None, "fused": None, "decoupled_weight_decay": False}
_MAX_NAMES = 8


@dataclass(frozen=True)
class CodePart:
    """One piece of the recommended change as code.

    Attributes:
        key: ``dropout``, ``optimizer``, ``loss``, ``l1`` or ``early_stopping``.
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


def hidden_linear_layers(layers: Sequence[dict[str, Any]]) -> list[str]:
    """The fully connected layers that regadvisor puts dropout in front of.

    A linear layer is *hidden* when a linear or convolutional layer comes before it (the rule of
    ``regadvisor.training.inject_dropout``), in the inspection's layer order.
    """
    out, seen = [], False
    for layer in layers:
        if layer.get("kind") == "linear":
            if seen:
                out.append(layer["name"])
            seen = True
        elif layer.get("kind") == "conv":
            seen = True
    return out


def _optimizer_part(config: dict[str, Any], inspection: dict[str, Any],
                    model_class: str) -> CodePart | None:
    opt = config.get("optimizer") or {}
    name = opt.get("name", "Adam")
    wd = config.get("weight_decay") or 0.0
    if config.get("decoupled") and name == "Adam" and wd > 0:
        name = "AdamW"
    module = opt.get("module") or "torch.optim"
    cls = f"torch.optim.{name}" if module.startswith("torch.optim") else f"{module}.{name}"
    lr = config.get("lr") or opt.get("lr", 1e-3)
    extra = [f"{k}={v!r}" for k, v in (opt.get("kwargs") or {}).items()
             if _DEFAULTS.get(k, object()) != v and k != "decoupled_weight_decay"]
    args = ", ".join([f"lr={float(lr)!r}", *extra])
    lines: list[str] = []
    if wd > 0 and config.get("exempt") == "bias_and_norm":
        decay = list(inspection.get("recommended_decay") or [])
        no_decay = list(inspection.get("recommended_no_decay") or [])
        before = " (before dropout is added)" if config.get("inject_dropout") else ""
        lines += [
            "# Weight decay on the weight matrices only; biases and 1-D parameters (norm scales",
            f"# and shifts) are exempt. For your {_one_line(model_class)}{before}:",
            f"#   decayed:     {_names(decay)}",
            f"#   not decayed: {_names(no_decay)}",
            "decay, no_decay = [], []",
            "for name, p in model.named_parameters():",
            "    if p.requires_grad:",
            '        (no_decay if p.ndim <= 1 or name.endswith(".bias") else decay).append(p)',
            f"optimizer = {cls}(",
            f'    [{{"params": decay, "weight_decay": {_g(wd)}}},',
            '     {"params": no_decay, "weight_decay": 0.0}],',
            f"    {args},",
            ")",
        ]
        title = f"{name} with weight decay {_g(wd)} on the weights, none on biases and norms"
    elif wd > 0:
        lines += [f"optimizer = {cls}(model.parameters(), {args}, weight_decay={_g(wd)})"]
        title = f"{name} with weight decay {_g(wd)} on every parameter"
    else:
        return None
    return CodePart("optimizer", title, ("import torch",), "\n".join(lines),
                    ("optimizer", "weight_decay", "decoupled", "exempt"))


def _dropout_part(config: dict[str, Any], layers: Sequence[dict[str, Any]],
                  injected: Sequence[str] | None, changed: Sequence[str] | None) -> CodePart | None:
    p = config.get("dropout")
    if not p:
        return None
    existing = list(changed) if changed else [x["name"] for x in layers
                                              if x.get("kind") == "dropout"]
    if existing:
        code = "\n".join([
            f"# Your dropout layers ({_names(existing)}) with p = {_g(p)}:",
            "for m in model.modules():",
            "    if isinstance(m, (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d)):",
            f"        m.p = {_g(p)}",
        ])
        return CodePart("dropout", f"dropout p = {_g(p)} in your dropout layers",
                        ("from torch import nn",), code, ("dropout", "inject_dropout"))
    if not config.get("inject_dropout"):
        return None
    targets = list(injected) if injected else hidden_linear_layers(layers)
    if not targets:
        return None
    shapes = {x["name"]: x.get("detail", "") for x in layers}
    where = _one_line(", ".join(f"{n} ({shapes[n]})" if shapes.get(n) else n for n in targets))
    code = "\n".join([
        f"# nn.Dropout({_g(p)}) in front of each hidden fully connected layer: {where}.",
        "# In your model's definition, or after building it:",
        f"for name in {targets!r}:",
        '    parent, _, child = name.rpartition(".")',
        "    owner = model.get_submodule(parent) if parent else model",
        f"    setattr(owner, child, nn.Sequential(nn.Dropout({_g(p)}), getattr(owner, child)))",
    ])
    return CodePart("dropout", f"dropout p = {_g(p)} before the hidden linear layers",
                    ("from torch import nn",), code, ("dropout", "inject_dropout"))


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


def code_parts(config: dict[str, Any], inspection: dict[str, Any], *, metric: str = "accuracy",
               model_class: str = "model", injected: Sequence[str] | None = None,
               changed: Sequence[str] | None = None) -> list[CodePart]:
    """The recommended configuration as code, in the order a script applies it.

    Args:
        config: The recommended RegConfig as a dict.
        inspection: The static inspection (``Inspection.to_dict()``): layers and parameter names.
        metric: The user's metric (``accuracy`` or ``loss``).
        model_class: The model's class name, for the comments.
        injected, changed: The layers that got dropout in front of them and the dropout modules
            whose ``p`` was set, as the training run recorded them (default: from the layers).

    Returns:
        The pieces that apply: dropout, optimizer, loss, L1, early stopping.
    """
    layers = inspection.get("layers") or []
    parts = [_dropout_part(config, layers, injected, changed),
             _optimizer_part(config, inspection, model_class),
             _loss_part(config), _l1_part(config), _early_stopping_part(config, metric)]
    return [p for p in parts if p is not None]
