"""How numbers and settings read in the report: plain text, used by the model and as Jinja filters.

Nothing here returns HTML; the template escapes whatever these functions return.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["SETTING_LABELS", "config_changes", "is_number", "metric_value", "num", "pct",
           "setting_label", "setting_value", "signed", "sig"]

#: Settings of a RegConfig as a reader names them, in the order the report lists them.
SETTING_LABELS = {
    "optimizer": "optimizer",
    "weight_decay": "weight decay λ",
    "decoupled": "weight decay applied",
    "exempt": "parameters decayed",
    "dropout": "dropout p",
    "inject_dropout": "dropout layers",
    "label_smoothing": "label smoothing ε",
    "l1": "L1 strength",
    "patience_epochs": "early stopping",
    "monitor": "early stopping watches",
    "max_epochs": "epochs at most",
    "lr": "learning rate",
}


def is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def num(v: Any, spec: str = ".4g") -> str:
    """A value for a table cell: ``n/a`` for missing or non-finite, yes/no for booleans."""
    if v is None:
        return "n/a"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return format(v, spec) if math.isfinite(v) else "n/a"
    return str(v)


def sig(v: Any, digits: int = 2) -> str:
    """``digits`` significant digits: 1.2317e-05 → ``1.2e-05``, 0.4669 → ``0.47``."""
    if not is_number(v):
        return num(v)
    return format(v, f".{digits}g")


def pct(v: Any, digits: int = 1) -> str:
    """A fraction as a percentage: 0.815 → ``81.5 %``."""
    return f"{v * 100:.{digits}f} %" if is_number(v) else "n/a"


def signed(v: Any, digits: int = 2) -> str:
    """With its sign, a real minus: ``+9.97``, ``−0.12``."""
    if not is_number(v):
        return "n/a"
    text = f"{v:+.{digits}f}"
    return text.replace("-", "−")


def metric_value(v: Any, metric: str) -> str:
    """The user's metric as a reader expects it: accuracy in %, a loss with 4 decimals."""
    if not is_number(v):
        return "n/a"
    return pct(v) if metric == "accuracy" else f"{v:.4f}"


def setting_label(key: str) -> str:
    return SETTING_LABELS.get(key, key.replace("_", " "))


def setting_value(v: Any, key: str, metric: str = "accuracy") -> str:
    """A RegConfig setting in words: ``AdamW``, ``off``, ``patience 26 epochs``, ``0.47``."""
    if v is None and key in ("decoupled", "exempt", "monitor"):
        return "—"
    if key == "decoupled":
        return "decoupled (AdamW-style)" if v else "as L2 in the gradient"
    if key == "exempt":
        return "weights only (biases, norms exempt)" if v == "bias_and_norm" else "all"
    if key == "inject_dropout":
        return "added before hidden linear layers" if v else "as in your model"
    if key == "patience_epochs":
        return "off (all epochs)" if v is None else f"patience {v} epochs"
    if key == "monitor":
        return {"val_loss": "validation loss",
                "val_metric": f"validation {metric}"}.get(str(v), str(v))
    if key == "dropout":
        return "as in your model" if v is None else ("off" if v == 0 else sig(v))
    if key in ("label_smoothing", "l1", "weight_decay"):
        return "off" if v in (None, 0, 0.0) else sig(v)
    if key == "lr":
        return sig(v, 3)
    return num(v)


def _optimizer_name(config: dict[str, Any]) -> str:
    opt = config.get("optimizer") or {}
    name = opt.get("name", "Adam")
    return "AdamW" if config.get("decoupled") and name == "Adam" else name


def config_changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The settings that differ between two RegConfig dicts, as rows ``setting/before/after``.

    Settings that change nothing are left out: ``decoupled`` without weight decay, dropout
    layers with ``p = 0``, the monitored figure without early stopping, the no-decay split
    without weight decay.
    """
    def effective(c: dict[str, Any]) -> dict[str, Any]:
        wd = c.get("weight_decay") or 0.0
        p = c.get("dropout")
        patience = c.get("patience_epochs")
        opt = c.get("optimizer") or {}
        return {
            "optimizer": _optimizer_name(c) if wd > 0 or opt.get("name") != "Adam"
            else opt.get("name", "Adam"),
            "weight_decay": wd,
            "decoupled": bool(c.get("decoupled")) if wd > 0 else None,
            "exempt": c.get("exempt") if wd > 0 else None,
            "dropout": None if p is None else p,
            "inject_dropout": bool(c.get("inject_dropout")) and bool(p),
            "label_smoothing": c.get("label_smoothing") or 0.0,
            "l1": c.get("l1") or 0.0,
            "patience_epochs": patience,
            "monitor": c.get("monitor") if patience is not None else None,
            "max_epochs": c.get("max_epochs"),
            "lr": c.get("lr") or opt.get("lr"),
        }

    b, a = effective(before), effective(after)
    rows = []
    # "decoupled" is left out: AdamW in the optimizer row says it, and SGD ignores it.
    for key in (k for k in SETTING_LABELS if k != "decoupled"):
        if b[key] == a[key] or (key == "dropout" and not b[key] and not a[key]):
            continue
        if key in ("exempt", "monitor") and a[key] is None:
            continue
        rows.append({"setting": key, "before": b[key], "after": a[key]})
    return rows
