"""Facts read off the learning curves of the diagnostic training.

The facts are measurements only: every threshold that turns them into a verdict or a finding
(how far above its noise a rise counts, how many epochs make a trend) is in the rules' YAML.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from typing import Any

import numpy as np

from regadvisor.training.history import History

__all__ = ["curve_facts", "implied_l2", "rate_until"]


def implied_l2(rate_steps: float | None) -> float | None:
    """Early stopping's implied L2 strength: 1/(η·t) for ``t`` steps at the rate η, and under a
    schedule 1/(the sum of the rate over the steps); ``rate_steps`` is that product or sum up
    to the best epoch. None when it is not positive (no rate, no step)."""
    return 1.0 / rate_steps if rate_steps and rate_steps > 0 else None


def rate_until(rates: Sequence[float], best_epoch: int, lr: float, scheduled: bool) -> float:
    """The rate η of early stopping's implied L2 (:func:`implied_l2` of η × the steps until
    the best epoch): under a schedule the mean of each epoch's rate (``rates``) up to the best
    epoch, so that η × steps is the sum of the rate over them; else the optimizer's ``lr``."""
    if not scheduled or not rates:
        return lr
    until = rates[:max(best_epoch, 1)]
    return sum(until) / len(until)

#: The last third of the epochs (at least 3) is where noise and slopes are measured. These say
#: which epochs a measurement reads, not what its value means, so they are not thresholds and
#: stay here rather than in the rules.
_TAIL_FRACTION = 1 / 3
_MIN_TAIL = 3
#: How often an epoch at chance may pass for one that learned, over all the epochs together.
_CHANCE_FALSE_ALARM = 0.05


def _tail(values: list[float]) -> list[float]:
    n = max(_MIN_TAIL, math.ceil(len(values) * _TAIL_FRACTION))
    return values[-n:]


def _learned(records: list[Any], higher: bool, chance_loss: float | None,
             n_val: int | None) -> tuple[float | None, list[Any]]:
    """The accuracy of a uniform guess and the epochs where the model had learned.

    Classification: the validation accuracy is above chance, exp(−chance_loss) = 1/K, by more
    than the sampling noise of an accuracy of chance on ``n_val`` samples: z standard errors,
    with z the one-sided normal quantile that holds the chance of any epoch at chance passing
    to 5 % over all the epochs (Bonferroni: 2.9 for 30 epochs). A statistical margin, not a
    tuned threshold. Regression: the validation loss is below the constant predictor's.
    Without a chance level every epoch counts.
    """
    if not chance_loss:  # no chance level to compare with: every epoch counts
        return None, records
    if higher:
        chance = math.exp(-chance_loss)
        z = statistics.NormalDist().inv_cdf(1 - _CHANCE_FALSE_ALARM / max(len(records), 1))
        margin = z * math.sqrt(chance * (1 - chance) / n_val) if n_val else 0.0
        return chance, [r for r in records if r.val_metric > chance + margin]
    return None, [r for r in records if r.val_loss < chance_loss]


def curve_facts(history: History, chance_loss: float | None, steps_per_epoch: int,
                lr: float, n_val: int | None = None) -> dict[str, Any]:
    """Facts from a History of the user's setup trained as given.

    Args:
        history: The diagnostic run.
        chance_loss: Loss of the constant predictor (log K, or the target variance).
        steps_per_epoch: Optimizer steps per epoch (for the implied L2 strength).
        lr: Learning rate η.
        n_val: Validation samples (for the sampling noise of an accuracy at chance).
    """
    facts: dict[str, Any] = {"diverged": history.diverged, "epochs_run": history.epochs_run}
    records = [r for r in history.records
               if math.isfinite(r.val_loss) and math.isfinite(r.train_loss)]
    if not records:
        return facts
    val = [r.val_loss for r in records]
    trn = [r.train_loss for r in records]
    vm = [r.val_metric for r in records]
    higher = history.higher_is_better
    i_best = int(np.argmin(val))
    best, last = records[i_best], records[-1]
    best_metric_i = int(np.argmax(vm) if higher else np.argmin(vm))

    tail_val = _tail(val)
    diffs = np.diff(tail_val)
    noise = float(np.std(diffs) / math.sqrt(2)) if len(diffs) >= 2 else 0.0
    noise = max(noise, 1e-12)  # a floor against dividing by zero, not a threshold
    gap_last = last.val_loss - last.train_loss
    rise = last.val_loss - best.val_loss
    epochs_since_best = last.epoch - best.epoch

    tail_train = [max(v, 1e-12) for v in _tail(trn)]
    if len(tail_train) >= 2:
        slope = float(np.polyfit(np.arange(len(tail_train)), np.log(tail_train), 1)[0])
    else:
        slope = 0.0
    train_slope = -slope
    tail_v = [max(v, 1e-12) for v in tail_val]
    val_slope = -float(np.polyfit(np.arange(len(tail_v)), np.log(tail_v), 1)[0]) \
        if len(tail_v) >= 2 else 0.0

    # How fast the train-validation gap opens: its least-squares slope per epoch over the tail.
    tail_gap = [r.val_loss - r.train_loss for r in _tail(records)]
    gap_slope = float(np.polyfit(np.arange(len(tail_gap)), tail_gap, 1)[0]) \
        if len(tail_gap) >= 2 else 0.0

    chance_metric, learned = _learned(records, higher, chance_loss, n_val)
    best_learned = min(learned, key=lambda r: r.val_loss) if learned else None

    facts.update({
        "chance_metric": chance_metric,
        "left_chance": best_learned is not None,
        "best_learned_epoch": best_learned.epoch if best_learned else None,
        "val_loss_rise_learned": last.val_loss - best_learned.val_loss if best_learned else None,
        "train_loss": best.train_loss,
        "val_loss": best.val_loss,
        "train_loss_last": last.train_loss,
        "val_loss_last": last.val_loss,
        "train_metric": best.train_metric,
        "val_metric": best.val_metric,
        "train_metric_last": last.train_metric,
        "val_metric_last": last.val_metric,
        "val_metric_best": vm[best_metric_i],
        "gap": best.val_loss - best.train_loss,
        "gap_last": gap_last,
        "gap_ratio": gap_last / last.val_loss if last.val_loss > 0 else None,
        "gap_vs_chance": gap_last / chance_loss if chance_loss else None,
        "metric_gap": (last.train_metric - last.val_metric) if higher else None,
        "chance_loss": chance_loss,
        "train_loss_vs_chance": last.train_loss / chance_loss if chance_loss else None,
        "val_loss_vs_chance": best.val_loss / chance_loss if chance_loss else None,
        "val_loss_noise": noise,
        "gap_over_noise": gap_last / noise,
        "val_loss_rise": rise,
        "val_loss_rise_over_noise": rise / noise,
        "val_loss_rise_ratio": rise / best.val_loss if best.val_loss > 0 else None,
        "epochs_since_best": epochs_since_best,
        "epochs_since_best_metric": last.epoch - records[best_metric_i].epoch,
        "best_epoch": best.epoch,
        "best_epoch_fraction": best.epoch / last.epoch,
        "train_loss_slope": train_slope,
        "val_loss_slope": val_slope,
        "gap_slope": gap_slope,
        "seconds_per_epoch": seconds_per_epoch(history),
        "implied_l2": implied_l2(lr * best.epoch * steps_per_epoch) if lr > 0 else None,
    })
    return facts


def seconds_per_epoch(history: History) -> float:
    """The median wall time of one epoch: a last epoch that a time budget cut short counts only
    when it is the only one, scaled up to a whole epoch by the share of its steps that ran (the
    plan's every cost rests on this figure: a part of an epoch is not an epoch)."""
    records = history.records
    fraction = history.cut_short_fraction
    whole = [r.seconds for r in (records[:-1] if fraction else records)]
    if whole:
        return statistics.median(whole)
    return records[-1].seconds / fraction if fraction else records[-1].seconds
