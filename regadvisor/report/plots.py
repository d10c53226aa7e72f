"""Plots for the report: matplotlib figures returned as inline SVG, figures always closed.

Each function takes plain data (lists and dicts from the RunResult) and returns an SVG string
(``<svg …>…</svg>``), or ``None`` when there is nothing to draw.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["learning_curves", "optimization_history", "param_slice", "seed_points", "to_svg"]

_BLUE, _ORANGE, _GREY = "#1f6fb2", "#d9711c", "#888888"


def to_svg(fig) -> str:
    """Render and close the figure; return the ``<svg>`` element alone."""
    try:
        buf = io.StringIO()
        # A fixed salt and no date: the same data render to the same bytes.
        with matplotlib.rc_context({"svg.hashsalt": "regadvisor"}):
            fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    finally:
        plt.close(fig)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def learning_curves(histories: dict[str, dict[str, Any]], metric: str) -> str | None:
    """Train and validation loss and metric per epoch, one colour per run, shared axes."""
    if not histories:
        return None
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    colours = [_GREY, _BLUE, _ORANGE]
    for (label, h), colour in zip(histories.items(), colours, strict=False):
        recs = h.get("records", [])
        ep = [r["epoch"] for r in recs]
        for ax, key in ((axes[0], "loss"), (axes[1], "metric")):
            tr = [r[f"train_{key}"] for r in recs]
            va = [r[f"val_{key}"] for r in recs]
            ax.plot(ep, tr, color=colour, linestyle="--", linewidth=1.2, label=f"{label}: train")
            ax.plot(ep, va, color=colour, linewidth=1.6, label=f"{label}: validation")
    axes[0].set_title("loss")
    axes[1].set_title(metric if metric != "loss" else "loss (metric)")
    for ax in axes:
        ax.set_xlabel("epoch")
        ax.grid(alpha=0.3)
    axes[0].set_yscale("log")
    axes[1].legend(fontsize=7, loc="best")
    return to_svg(fig)


def optimization_history(trials: Sequence[dict[str, Any]], maximize: bool,
                         objective: str) -> str | None:
    """Each trial's value and the best so far."""
    done = [t for t in trials if t.get("value") is not None]
    if not done:
        return None
    fig, ax = plt.subplots(figsize=(4.5, 3.2))
    xs = [t["number"] for t in done]
    ys = [t["value"] for t in done]
    best, run = [], None
    for y in ys:
        run = y if run is None else (max(run, y) if maximize else min(run, y))
        best.append(run)
    ax.scatter(xs, ys, s=14, color=_BLUE, label="trial")
    ax.step(xs, best, where="post", color=_ORANGE, label="best so far")
    pruned = [t for t in trials if t.get("state") == "PRUNED"]
    if pruned:
        ax.scatter([t["number"] for t in pruned], [min(ys)] * len(pruned), marker="x",
                   color=_GREY, s=14, label="pruned")
    ax.set_xlabel("trial")
    ax.set_ylabel(objective)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return to_svg(fig)


def param_slice(trials: Sequence[dict[str, Any]], param: str, log: bool,
                y_key: str = "val_loss") -> str | None:
    """Validation loss (or another figure) of each finished trial against one parameter."""
    pts = [(t["params"][param], t[y_key]) for t in trials
           if t.get("state") == "COMPLETE" and param in (t.get("params") or {})
           and t.get(y_key) is not None]
    if len(pts) < 2:
        return None
    fig, ax = plt.subplots(figsize=(4.2, 3.0))
    ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=16, color=_BLUE)
    if log and all(p[0] > 0 for p in pts):
        ax.set_xscale("log")
    ax.set_xlabel(param)
    ax.set_ylabel(y_key.replace("_", " "))
    ax.grid(alpha=0.3)
    return to_svg(fig)


def seed_points(baseline: Sequence[float], recommended: Sequence[float], label: str,
                scale: float = 1.0) -> str | None:
    """Per-seed values of both arms with their means."""
    b = [v * scale for v in baseline if v is not None and math.isfinite(v)]
    r = [v * scale for v in recommended if v is not None and math.isfinite(v)]
    if not b or not r:
        return None
    fig, ax = plt.subplots(figsize=(4.0, 3.0))
    for i, (vals, colour) in enumerate(((b, _GREY), (r, _BLUE))):
        ax.scatter([i] * len(vals), vals, color=colour, s=22, zorder=3)
        mean = sum(vals) / len(vals)
        ax.hlines(mean, i - 0.2, i + 0.2, color=colour, linewidth=2)
    ax.set_xticks([0, 1], ["your setup", "recommendation"])
    ax.set_xlim(-0.6, 1.6)
    ax.set_ylabel(label)
    ax.grid(alpha=0.3, axis="y")
    return to_svg(fig)
