"""Plots for the report: matplotlib figures returned as inline SVG, figures always closed.

Each function takes parts of the RunResult (histories, trial records, calibrations) or plain
numbers and returns an SVG string
(``<svg …>…</svg>``), or ``None`` when there is nothing to draw. The SVG is made to sit inside
an HTML page: no XML prologue, metadata or comments, no namespace URLs, and element ids
prefixed per figure so that two figures in one page never share an id.
"""

from __future__ import annotations

import hashlib
import io
import math
import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from regadvisor import _format as fmt  # noqa: E402
from regadvisor._stats import finite  # noqa: E402

if TYPE_CHECKING:
    from regadvisor.training import History
    from regadvisor.tuning import TrialRecord
    from regadvisor.verification import Calibration, Uncertainty

__all__ = ["entropy_bars", "gap_curves", "importances", "learning_curves", "optimization_history",
           "paired_differences", "param_slice", "reliability_diagram", "seed_points", "to_svg"]

_BLUE, _ORANGE, _GREY, _GREEN, _RED = "#1f6fb2", "#d9711c", "#7f7f7f", "#2e8b57", "#c0392b"
#: Colours of the two verification arms, the same in every figure.
ARM_COLOURS = {"your setup": _GREY, "recommendation": _BLUE}
_RC = {"svg.hashsalt": "regadvisor", "font.size": 9, "axes.titlesize": 10,
       "figure.constrained_layout.use": True,
       "axes.spines.top": False, "axes.spines.right": False}


def _make_inline(svg: str) -> str:
    svg = svg[svg.index("<svg"):]
    svg = re.sub(r"<!--.*?-->", "", svg, flags=re.S)
    svg = re.sub(r'\s+xmlns(:xlink)?="[^"]*"', "", svg)
    svg = svg.replace("xlink:href=", "href=")
    prefix = "f" + hashlib.sha1(svg.encode()).hexdigest()[:6] + "-"
    svg = re.sub(r'\bid="', f'id="{prefix}', svg)
    svg = re.sub(r'href="#', f'href="#{prefix}', svg)
    svg = re.sub(r"url\(#", f"url(#{prefix}", svg)
    svg = re.sub(r"\n\s*", "\n", svg)
    return svg.replace("<svg ", '<svg role="img" ', 1)


def to_svg(fig) -> str:
    """Render and close the figure; return the ``<svg>`` element alone, ready to inline."""
    try:
        buf = io.StringIO()
        # A fixed salt and no date: the same data render to the same bytes.
        with matplotlib.rc_context({"svg.hashsalt": "regadvisor"}):
            fig.savefig(buf, format="svg",
                        metadata={"Date": None, "Creator": None, "Format": None, "Type": None})
    finally:
        plt.close(fig)
    return _make_inline(buf.getvalue())


def learning_curves(histories: Mapping[str, History], metric: str,
                    marks: dict[str, int] | None = None,
                    size: tuple[float, float] = (9.5, 3.3)) -> str | None:
    """Train (dashed) and validation (solid) loss and metric per epoch; one colour per run.

    Args:
        histories: ``label -> History``.
        metric: The metric's name (``accuracy`` or ``loss``).
        marks: ``label -> epoch`` to mark with a dotted line (the restored epoch).
        size: Figure size in inches.
    """
    if not histories:
        return None
    with matplotlib.rc_context(_RC):
        fig, axes = plt.subplots(1, 2, figsize=size)
        palette = [_GREY, _BLUE, _ORANGE]
        for (label, h), fallback in zip(histories.items(), palette, strict=False):
            colour = ARM_COLOURS.get(label, fallback)
            recs = h.records
            ep = [r.epoch for r in recs]
            for ax, key in ((axes[0], "loss"), (axes[1], "metric")):
                tr = [_nan(getattr(r, f"train_{key}")) for r in recs]
                va = [_nan(getattr(r, f"val_{key}")) for r in recs]
                ax.plot(ep, tr, color=colour, linestyle="--", linewidth=1.1,
                        label=f"{label}: train")
                ax.plot(ep, va, color=colour, linewidth=1.7, label=f"{label}: validation")
                mark = (marks or {}).get(label)
                if mark:
                    ax.axvline(mark, color=colour, linestyle=":", linewidth=1)
        axes[0].set_title("loss (log scale)")
        axes[1].set_title(metric if metric != "loss" else "loss (the metric)")
        for ax in axes:
            ax.set_xlabel("epoch")
            ax.grid(alpha=0.3)
        if _positive(histories):
            axes[0].set_yscale("log")
        else:
            axes[0].set_title("loss")
        axes[1].legend(fontsize=7, loc="best")
        return to_svg(fig)


def gap_curves(histories: Mapping[str, History]) -> str | None:
    """The generalisation gap, validation loss − training loss, per epoch and run."""
    if not histories:
        return None
    with matplotlib.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(4.6, 3.1))
        for label, h in histories.items():
            recs = h.records
            gap = [_nan(r.val_loss) - _nan(r.train_loss) for r in recs]
            ax.plot([r.epoch for r in recs], gap, color=ARM_COLOURS.get(label, _ORANGE),
                    linewidth=1.7, label=label)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xlabel("epoch")
        ax.set_ylabel("validation − training loss")
        ax.set_title("generalisation gap")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        return to_svg(fig)


def optimization_history(trials: Sequence[TrialRecord], maximize: bool, objective: str,
                         best_trial: int | None = None) -> str | None:
    """Each completed trial's value, the best so far, pruned trials marked at the bottom."""
    done = [t for t in trials if t.value is not None]
    if not done:
        return None
    with matplotlib.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(4.6, 3.1))
        xs = [t.number for t in done]
        ys = [t.value for t in done]
        best, run = [], None
        for y in ys:
            run = y if run is None else (max(run, y) if maximize else min(run, y))
            best.append(run)
        ax.scatter(xs, ys, s=16, color=_BLUE, label="completed trial", zorder=3)
        ax.step(xs, best, where="post", color=_ORANGE, label="best so far")
        pruned = [t.number for t in trials if t.state == "PRUNED"]
        if pruned:
            low = min(ys)
            ax.scatter(pruned, [low] * len(pruned), marker="x", color=_GREY, s=16,
                       label="pruned (no value)")
        if best_trial is not None:
            chosen = [t for t in done if t.number == best_trial]
            if chosen:
                ax.scatter([best_trial], [chosen[0].value], s=80, facecolors="none",
                           edgecolors=_RED, linewidths=1.5, label="winner (after re-runs)",
                           zorder=4)
        ax.set_xlabel("trial")
        ax.set_ylabel(objective)
        ax.set_title("optimization history")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
        return to_svg(fig)


def importances(values: dict[str, float]) -> str | None:
    """Horizontal bars of the parameter importances (shares of 1), largest on top."""
    if not values:
        return None
    items = sorted(values.items(), key=lambda kv: kv[1])
    with matplotlib.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(4.6, 0.5 + 0.45 * len(items)))
        ax.barh([k for k, _ in items], [v for _, v in items], color=_BLUE)
        for i, (_, v) in enumerate(items):
            ax.text(v, i, " " + fmt.pct(v, 0), va="center", fontsize=8)
        ax.set_xlim(0, max(1.0, max(v for _, v in items) * 1.2))
        ax.set_xlabel("share of the objective's variation")
        ax.set_title("parameter importance")
        return to_svg(fig)


def param_slice(trials: Sequence[TrialRecord], param: str, log: bool,
                y_key: str = "val_loss", best_trial: int | None = None) -> str | None:
    """Validation loss (or another figure) of each completed trial against one parameter."""
    pts = [(t.params[param], getattr(t, y_key), t.number) for t in trials
           if t.state == "COMPLETE" and param in (t.params or {})
           and getattr(t, y_key) is not None]
    if len(pts) < 2:
        return None
    with matplotlib.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(3.3, 2.6))
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], s=18, color=_BLUE, zorder=3)
        for x, y, number in pts:
            if number == best_trial:
                ax.scatter([x], [y], s=80, facecolors="none", edgecolors=_RED, linewidths=1.5,
                           zorder=4, label="winner")
                ax.legend(fontsize=7)
        if log and all(p[0] > 0 for p in pts):
            ax.set_xscale("log")
        ax.set_xlabel(param)
        ax.set_ylabel(y_key.replace("val_", "validation ").replace("_", " "))
        ax.set_title(f"{y_key.replace('val_', 'validation ')} vs {param}")
        ax.grid(alpha=0.3)
        return to_svg(fig)


def seed_points(baseline: Sequence[float | None], recommended: Sequence[float | None],
                label: str, scale: float = 1.0,
                intervals: dict[str, tuple[float, float]] | None = None) -> str | None:
    """Each seed's value for both arms, their means, and each mean's 95 % interval.

    Args:
        baseline, recommended: One value per seed.
        label: The y-axis label.
        scale: Multiplies every value (100 for percentages).
        intervals: ``arm label -> (low, high)`` of the mean, already scaled.
    """
    b = [v * scale for v in finite(baseline)]
    r = [v * scale for v in finite(recommended)]
    if not b or not r:
        return None
    with matplotlib.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(3.2, 3.0))
        for i, (name, vals) in enumerate((("your setup", b), ("recommendation", r))):
            colour = ARM_COLOURS[name]
            ax.scatter([i - 0.12] * len(vals), vals, color=colour, s=24, zorder=3,
                       label="one seed" if i == 0 else None)
            mean = sum(vals) / len(vals)
            lo, hi = (intervals or {}).get(name, (mean, mean))
            if math.isfinite(lo) and math.isfinite(hi):
                ax.errorbar([i + 0.12], [mean], yerr=[[mean - lo], [hi - mean]], fmt="D",
                            color=colour, capsize=4, markersize=5, zorder=3,
                            label="mean, 95 % interval" if i == 0 else None)
        ax.set_xticks([0, 1], ["your setup", "recommendation"])
        ax.set_xlim(-0.5, 1.5)
        ax.set_ylabel(label)
        ax.grid(alpha=0.3, axis="y")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=2,
                  frameon=False)
        return to_svg(fig)


def paired_differences(diffs: Sequence[float | None], mean: float | None, low: float | None,
                       high: float | None, label: str) -> str | None:
    """Per-seed differences (recommendation − yours), their mean and 95 % interval, and zero."""
    d = finite(diffs)
    if not d or mean is None or not math.isfinite(mean):
        return None
    with matplotlib.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(3.4, 2.6))
        ax.axvline(0, color="black", linewidth=0.8)
        ax.scatter(d, [0.0] * len(d), color=_BLUE, s=24, zorder=3, label="one seed")
        if low is not None and high is not None and math.isfinite(low) and math.isfinite(high):
            ax.errorbar([mean], [0.5], xerr=[[mean - low], [high - mean]], fmt="D",
                        color=_ORANGE, capsize=5, zorder=3, label="mean, 95 % interval")
        else:
            ax.scatter([mean], [0.5], marker="D", color=_ORANGE, label="mean")
        ax.set_ylim(-0.6, 1.1)
        ax.set_yticks([])
        ax.set_xlabel(label)
        ax.set_title("paired difference per seed")
        ax.grid(alpha=0.3, axis="x")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.22), ncol=2,
                  frameon=False)
        return to_svg(fig)


def reliability_diagram(arms: Mapping[str, Calibration | None]) -> str | None:
    """Accuracy against confidence per bin, one panel per arm, with the diagonal.

    Args:
        arms: ``label -> Calibration`` (``bins`` with ``low/high/count/confidence/accuracy``
            and ``ece``); arms without calibration are left out.
    """
    arms = {k: v for k, v in arms.items() if v and v.bins}
    if not arms:
        return None
    with matplotlib.rc_context(_RC):
        fig, axes = plt.subplots(1, len(arms), figsize=(4.3 * len(arms), 3.5), squeeze=False)
        for ax, (label, cal) in zip(axes[0], arms.items(), strict=True):
            colour = ARM_COLOURS.get(label, _BLUE)
            full = [b for b in cal.bins if b.count]
            width = full[0].high - full[0].low if full else 0.05
            ax.bar([b.low for b in full], [b.accuracy for b in full], width=width,
                   align="edge", color=colour, alpha=0.75, edgecolor="white",
                   label="accuracy in the bin")
            ax.scatter([b.confidence for b in full], [b.accuracy for b in full], s=10,
                       color="black", zorder=3, label="at the bin's mean confidence")
            ax.plot([0, 1], [0, 1], color=_RED, linestyle="--", linewidth=1,
                    label="perfect calibration")
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1)
            ax.set_aspect("equal")
            ax.set_xlabel("confidence (top softmax probability)")
            ax.set_ylabel("accuracy")
            ax.set_title(f"{label}: ECE {cal.ece:.3f}")
            ax.grid(alpha=0.3)
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=3, fontsize=7,
                   frameon=False)
        return to_svg(fig)


def entropy_bars(arms: Mapping[str, Uncertainty | None]) -> str | None:
    """Mean predictive entropy on right and on wrong predictions, per arm.

    Args:
        arms: ``label -> Uncertainty``; arms without it are left out.
    """
    arms = {k: v for k, v in arms.items() if v}
    if not arms:
        return None
    with matplotlib.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(4.2, 3.4))
        groups = ("right", "wrong")
        width = 0.8 / len(arms)
        for i, (label, u) in enumerate(arms.items()):
            values = [u.entropy_correct, u.entropy_wrong]
            xs = [g + (i - (len(arms) - 1) / 2) * width for g in range(len(groups))]
            how = f"MC dropout, T={u.passes}" if u.mc_dropout else "one pass"
            ax.bar(xs, [_nan(v) for v in values], width=width * 0.95,
                   color=ARM_COLOURS.get(label, _BLUE), label=f"{label} ({how})")
        top = max((u.max_entropy for u in arms.values() if fmt.is_number(u.max_entropy)),
                  default=0)
        if top:
            ax.axhline(top, color=_RED, linestyle="--", linewidth=1, label="uniform guess (ln C)")
        ax.set_xticks(range(len(groups)), [f"{g} predictions" for g in groups])
        ax.set_ylabel("mean predictive entropy (nats)")
        ax.set_title("uncertainty on the held-out set")
        ax.grid(alpha=0.3, axis="y")
        ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=1,
                  frameon=False)
        return to_svg(fig)


def _nan(v: float | None) -> float:
    return math.nan if v is None else float(v)


def _positive(histories: Mapping[str, History]) -> bool:
    """Every finite training and validation loss is above zero (a log scale can show them)."""
    return all(v > 0 for h in histories.values() for r in h.records
               for v in finite((r.train_loss, r.val_loss)))
