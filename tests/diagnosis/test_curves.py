"""The overfitting evidence cites an epoch where the model had learned, never one at chance."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn, optim

from regadvisor.diagnosis.curves import curve_facts
from regadvisor.examples._data import digits_splits, loaders
from regadvisor.experiment import build_experiment
from regadvisor.pipeline import diagnose, judge
from regadvisor.rules import load_rules
from regadvisor.training.history import EpochRecord, History
from tests.diagnosis.test_rules_table import facts


def _history(val_metric: list[float], val_loss: list[float]) -> History:
    n = len(val_loss)
    train_loss = np.geomspace(2.28, 0.05, n)
    records = [EpochRecord(epoch=i + 1, train_loss=float(train_loss[i]),
                           train_metric=min(0.1 + 0.07 * i, 0.99), val_loss=val_loss[i],
                           val_metric=val_metric[i], step_loss=float(train_loss[i]), lr=1e-3,
                           seconds=0.1) for i in range(n)]
    return History(records=records, best_epoch=1, restored_epoch=n)


def test_an_epoch_at_chance_is_not_cited_as_the_validation_losss_lowest():
    # As a BatchNorm ResNet did: its validation loss was lowest at epoch 1, at 7 % accuracy
    # (chance: 10 %); then it learned, over-confidently, and its validation loss climbed.
    val_metric = [0.07, 0.12, 0.30, 0.42, 0.50, 0.55] + [0.58] * 9
    val_loss = [2.25, 2.31, 2.40, 2.45, 2.60, 2.80] + [3.0 + 0.05 * i for i in range(9)]
    history = _history(val_metric, val_loss)
    got = curve_facts(history, math.log(10), steps_per_epoch=10, lr=1e-3, n_val=300)
    assert got["best_epoch"] == 1 and got["chance_metric"] == pytest.approx(0.1)
    # 12 % on 300 samples is within chance's noise (10 % + 2.7 · 1.7 % over 15 epochs); 30 %
    # is not.
    assert got["left_chance"] and got["best_learned_epoch"] == 3
    assert got["val_loss_rise_learned"] == val_loss[-1] - val_loss[2]
    verdict, _ = judge(load_rules(), facts(**got))
    assert verdict.name == "overfitting"
    assert "epoch 3" in verdict.reason and "epoch 1" not in verdict.reason
    assert f"{val_loss[-1] - val_loss[2]:.4f} above its lowest once the model had left chance" \
        in verdict.reason
    assert verdict.evidence["best_learned_epoch"] == 3 and "best_epoch" not in verdict.evidence


def _memorizer(shuffle_labels: bool):
    """A wide MLP on 200 digits; with the training labels shuffled it can only memorize."""
    def data():
        splits = digits_splits(n_train=200, n_val=300)
        if shuffle_labels:
            x, y = splits[0]
            splits[0] = (x, np.random.default_rng(0).permutation(y))
        return loaders(splits, batch_size=20, classification=True)

    return build_experiment(
        model=lambda: nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 10)),
        data=data, optimizer=lambda p: optim.Adam(p, lr=3e-3), epochs=30, name="memorizer")


def test_a_model_that_never_left_chance_is_said_to_have_never_left_it():
    torch.set_num_threads(1)
    result = diagnose(_memorizer(shuffle_labels=True), epochs=30)
    f = result.facts
    assert f["val_metric_best"] < 0.2 and not f["left_chance"]
    assert f["best_learned_epoch"] is None
    assert result.verdict.name == "overfitting"
    assert "never did clearly better than chance" in result.verdict.reason
    assert "epoch" not in result.verdict.reason


def test_a_model_that_learned_cites_its_best_learned_epoch():
    torch.set_num_threads(1)
    result = diagnose(_memorizer(shuffle_labels=False), epochs=30)
    f = result.facts
    assert f["left_chance"] and f["best_learned_epoch"] >= 1
    records = result.history.records
    assert records[f["best_learned_epoch"] - 1].val_metric > f["chance_metric"]
    if result.verdict.name == "overfitting":
        assert f"at epoch {f['best_learned_epoch']}." in result.verdict.reason


def test_both_overfitting_verdicts_hold_the_same_condition_but_for_chance():
    entries = [v for v in load_rules().verdicts if v.verdict == "overfitting"]
    assert len(entries) == 2
    learned, never = (" ".join(e.when.split()) for e in entries)
    assert learned.endswith(" and left_chance") and never.endswith(" and not left_chance")
    assert learned.removesuffix(" and left_chance") == never.removesuffix(" and not left_chance")
