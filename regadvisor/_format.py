"""How numbers and settings read, wherever regadvisor writes them: the terminal, the record's
sentences and the report (its model, and the template's Jinja filters). Plain text: nothing here
returns HTML; the template escapes whatever these functions return.
"""

from __future__ import annotations

import math
from typing import Any

__all__ = ["SETTING_LABELS", "config_changes", "difference", "formatted", "is_number",
           "metric_value", "num", "pct", "points", "setting_label", "setting_value", "signed",
           "sig"]

#: Settings of a RegConfig as a reader names them, in the order the report lists them.
SETTING_LABELS = {
    "optimizer": "optimizer",
    "weight_decay": "weight decay λ",
    "exempt": "parameters decayed",
    "dropout": "dropout",
    "label_smoothing": "label smoothing ε",
    "augment": "augmentation strength",
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


def pct(v: Any, digits: int | None = 1) -> str:
    """A fraction as a percentage: 0.815 → ``81.5 %`` (``digits`` None: as few as it needs,
    0.05 → ``5 %``)."""
    if not is_number(v):
        return "n/a"
    return f"{v * 100:{'g' if digits is None else f'.{digits}f'}} %"


def points(v: float, spec: str = ".2f") -> str:
    """A difference of two accuracies in percentage points: 0.0952 → ``9.52 points``
    (``spec`` formats the number of points: ``+.2f`` gives ``+9.52 points``)."""
    text = format(v * 100, spec)
    return f"{text} point{'' if text == '1' else 's'}"


def difference(v: float, metric: str) -> str:
    """A paired difference as the report and the terminal show it: accuracy in points with two
    decimals (``+9.52 points``), a loss with four (``-0.0071``)."""
    if not math.isfinite(v):
        return "n/a"
    return points(v, "+.2f") if metric == "accuracy" else f"{v:+.4f}"


def formatted(v: Any, spec: str) -> str:
    """``format(v, spec)`` as regadvisor writes numbers: a percentage (``:.1%``) with a space
    before its sign, as :func:`pct` writes it (``45.6 %``)."""
    text = format(v, spec)
    return text[:-1] + " %" if spec.endswith("%") else text


def signed(v: Any, digits: int = 2) -> str:
    """With its sign, a real minus: ``+9.97``, ``−0.12``."""
    if not is_number(v):
        return "n/a"
    text = f"{v:+.{digits}f}"
    return text.replace("-", "−")


def metric_value(v: Any, metric: str, digits: int = 1) -> str:
    """The user's metric as a reader expects it: accuracy in % (``digits`` decimals), a loss
    with 4 decimals."""
    if not is_number(v):
        return "n/a"
    return pct(v, digits) if metric == "accuracy" else f"{v:.4f}"


def setting_label(key: str) -> str:
    return SETTING_LABELS.get(key, key.replace("_", " "))


def _names(names: list[str], limit: int = 4) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", … ({len(names) - limit} more)" if len(names) > limit else "")


def _decay_split(v: dict[str, Any]) -> str:
    """``{"exempt", "embeddings", "kept"}`` in words (``kept``: exempt as in the user's setup)."""
    kept = list(v.get("kept") or [])
    if v.get("exempt") == "bias_and_norm":
        what = "biases, norms" + (", embeddings" if v.get("embeddings") else "")
        text = f"weights only ({what} exempt"
        return text + (f"; also exempt as in your setup: {_names(kept)})" if kept else ")")
    if v.get("embeddings"):
        kept = ["embeddings", *kept]
    return f"all but {_names(kept)}" if kept else "every parameter"


def _dropout(v: dict[str, Any] | None) -> str:
    """``{"p", "where", "layers"}`` in words."""
    if not v:
        return "none"
    p, layers = v.get("p"), list(v.get("layers") or [])
    if not p:
        return "off"
    if v.get("where") == "injected":
        return (f"p {sig(p)}, added before {len(layers)} linear "
                f"layer{'s' if len(layers) != 1 else ''} ({_names(layers)})")
    low = v.get("p_low")
    shown = f"{sig(low)}–{sig(p)}" if low is not None and low != p else sig(p)
    return (f"p {shown} in your {len(layers)} dropout module{'s' if len(layers) != 1 else ''} "
            f"({_names(layers)})")


def setting_value(v: Any, key: str, metric: str = "accuracy") -> str:
    """A RegConfig setting in words: ``AdamW``, ``off``, ``patience 26 epochs``, ``0.47``."""
    if key == "exempt":
        return "—" if v is None else _decay_split(v) if isinstance(v, dict) else (
            "weights only (biases, norms exempt)" if v == "bias_and_norm" else "every parameter")
    if key == "dropout":
        return _dropout(v) if isinstance(v, dict) or v is None else (
            "off" if v == 0 else f"p {sig(v)}")
    if v is None and key == "monitor":
        return "—"
    if key == "patience_epochs":
        return "off (all epochs)" if v is None else f"patience {v} epochs"
    if key == "monitor":
        return {"val_loss": "validation loss",
                "val_metric": f"validation {metric}"}.get(str(v), str(v))
    if key == "augment":
        return "—" if v is None else ("none (s = 0)" if v == 0 else f"s = {sig(v)}")
    if key in ("label_smoothing", "l1", "weight_decay"):
        return "off" if v in (None, 0, 0.0) else sig(v)
    if key == "lr":
        return sig(v, 3)
    return num(v)


def _optimizer_name(config: dict[str, Any]) -> str:
    from regadvisor.training.config import optimizer_choice

    opt = config.get("optimizer") or {}
    name, kwargs = optimizer_choice(opt.get("name", "Adam"), opt.get("kwargs") or {},
                                    bool(config.get("decoupled")))
    return name + (" (decoupled weight decay)" if kwargs.get("decoupled_weight_decay") else "")


def _dropout_value(config: dict[str, Any], placement: dict[str, Any] | None) -> dict | None:
    """Where dropout is and with which p, from the placement (or the config alone)."""
    if placement is None:
        p = config.get("dropout")
        if p is None:
            return None
        return {"p": p, "where": "injected" if config.get("inject_dropout") else "modules",
                "layers": []}
    injected = list(placement.get("dropout_injected") or [])
    changed = list(placement.get("dropout_changed") or [])
    if injected:
        return {"p": config.get("dropout"), "where": "injected", "layers": injected}
    if changed:
        return {"p": config.get("dropout"), "where": "modules", "layers": changed}
    own = placement.get("model_dropout") or {}
    if not own:
        return None
    return {"p": max(own.values()), "p_low": min(own.values()), "where": "modules",
            "layers": list(own)}


def _same_split(before: dict[str, Any] | None, after: dict[str, Any] | None) -> bool:
    """Two descriptions of the decayed parameters that decay the very same ones."""
    return (before is not None and after is not None and "decayed" in before
            and "decayed" in after and before["decayed"] == after["decayed"])


def config_changes(before: dict[str, Any], after: dict[str, Any],
                   before_placement: dict[str, Any] | None = None,
                   after_placement: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """The settings that differ between two RegConfig dicts, as rows ``setting/before/after``.

    With the placements of both (:class:`regadvisor.training.Placement` as dicts) the rows say
    exactly which parameters are decayed and where dropout is, as the training run applied them.
    Settings that change nothing are left out: the no-decay split without weight decay, the
    monitored figure without early stopping.
    """
    def effective(c: dict[str, Any], placement: dict[str, Any] | None) -> dict[str, Any]:
        wd = c.get("weight_decay") or 0.0
        patience = c.get("patience_epochs")
        opt = c.get("optimizer") or {}
        split = None
        if wd > 0:
            own = list(c.get("no_decay") or [])
            if placement is not None:  # only those the bias-and-norm rule does not cover
                own = [n for n in placement.get("no_decay_extra") or [] if n in set(own)]
            split = {"exempt": c.get("exempt"), "embeddings": bool(c.get("exempt_embeddings")),
                     "kept": own}
            if placement is not None:
                split["decayed"] = list(placement.get("decay") or [])
        return {
            "optimizer": _optimizer_name(c) if wd > 0 else opt.get("name", "Adam"),
            "weight_decay": wd,
            "exempt": split,
            "dropout": _dropout_value(c, placement),
            "label_smoothing": c.get("label_smoothing") or 0.0,
            "augment": c.get("augment"),
            "l1": c.get("l1") or 0.0,
            "patience_epochs": patience,
            "monitor": c.get("monitor") if patience is not None else None,
            "max_epochs": c.get("max_epochs"),
            "lr": c.get("lr") or opt.get("lr"),
        }

    b, a = effective(before, before_placement), effective(after, after_placement)
    rows = []
    for key in SETTING_LABELS:
        if b[key] == a[key] or (key == "exempt" and _same_split(b[key], a[key])):
            continue
        if key == "dropout" and not (b[key] or {}).get("p") and not (a[key] or {}).get("p"):
            continue
        if key in ("exempt", "monitor") and a[key] is None:
            continue
        rows.append({"setting": key, "before": b[key], "after": a[key]})
    return rows
