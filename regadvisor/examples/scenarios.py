"""Labelled scenarios: experiments built from the bundled data whose right diagnosis is known.

The tests (``tests/diagnosis/test_scenarios.py``) and the diagnosis benchmark
(``benchmarks/bench_diagnosis.py``) both read :data:`SCENARIOS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from torch import nn, optim

from regadvisor.examples import diabetes, digits_noisy, sparse_linear
from regadvisor.examples._data import digits_splits, loaders

__all__ = ["SCENARIOS", "Scenario"]


@dataclass(frozen=True)
class Scenario:
    """An experiment with its expected verdict and top finding (a rule id)."""

    name: str
    description: str
    build: Callable[[], dict[str, Any]]
    verdict: str
    top_finding: str


def _wide_mlp(dropout: float = 0.0) -> nn.Module:
    layers: list[nn.Module] = [nn.Linear(64, 512), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers += [nn.Linear(512, 512), nn.ReLU()]
    if dropout:
        layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(512, 10))
    return nn.Sequential(*layers)


def _digits(**kw) -> Callable[[], tuple]:
    return lambda: loaders(digits_splits(**kw), batch_size=32, classification=True)


def _adam(**kw) -> Callable:
    return lambda params: optim.Adam(params, **kw)


def _overfit_small_split() -> dict[str, Any]:
    return {"model": _wide_mlp, "data": _digits(n_train=100), "optimizer": _adam(lr=1e-3),
            "epochs": 100}


def _underfit() -> dict[str, Any]:
    return {"model": lambda: _wide_mlp(dropout=0.6), "data": _digits(),
            "optimizer": lambda params: optim.AdamW(params, lr=1e-3, weight_decay=30.0),
            "epochs": 100}


def _good_fit() -> dict[str, Any]:
    def model():
        return nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))

    def optimizer(params):
        params = list(params)
        return optim.AdamW([{"params": [p for p in params if p.ndim > 1], "weight_decay": 1e-2},
                            {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0}],
                           lr=1e-3)

    return {"model": model, "data": _digits(n_train=1000, n_val=300), "optimizer": optimizer,
            "epochs": 100}


def _overregularized() -> dict[str, Any]:
    def model():
        return nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Dropout(0.8),
                             nn.Linear(256, 256), nn.ReLU(), nn.Dropout(0.8),
                             nn.Linear(256, 10))

    return {"model": model, "data": _digits(),
            "optimizer": lambda params: optim.AdamW(params, lr=1e-3, weight_decay=5.0),
            "epochs": 60}


def _not_converged() -> dict[str, Any]:
    return {"model": _wide_mlp, "data": _digits(),
            "optimizer": lambda params: optim.SGD(params, lr=0.005), "epochs": 100}


def _diverging() -> dict[str, Any]:
    return {"model": _wide_mlp, "data": _digits(), "optimizer": _adam(lr=5.0), "epochs": 100}


def _adam_l2() -> dict[str, Any]:
    return {"model": _wide_mlp, "data": _digits(label_noise=0.2),
            "optimizer": _adam(lr=1e-3, weight_decay=1e-4), "epochs": 100}


def _decayed_biases() -> dict[str, Any]:
    def model():
        return nn.Sequential(
            nn.Linear(64, 256), nn.BatchNorm1d(256), nn.ReLU(),
            nn.Linear(256, 256), nn.BatchNorm1d(256), nn.ReLU(),
            nn.Linear(256, 10))

    return {"model": model, "data": _digits(label_noise=0.2),
            "optimizer": lambda params: optim.SGD(params, lr=0.05, momentum=0.9,
                                                  weight_decay=5e-4),
            "epochs": 100}


def _dropout_before_bn() -> dict[str, Any]:
    def model():
        return nn.Sequential(
            nn.Linear(64, 256), nn.ReLU(), nn.Dropout(0.3), nn.BatchNorm1d(256),
            nn.Linear(256, 256), nn.ReLU(), nn.Dropout(0.3), nn.BatchNorm1d(256),
            nn.Linear(256, 10))

    return {"model": model, "data": _digits(label_noise=0.2), "optimizer": _adam(lr=1e-3),
            "epochs": 100}


def _module(m) -> Callable[[], dict[str, Any]]:
    def build() -> dict[str, Any]:
        return {"model": m.model, "data": m.data, "optimizer": m.optimizer,
                "loss": getattr(m, "loss", None), "task": m.task, "epochs": m.epochs,
                "metric": m.metric}

    return build


SCENARIOS: list[Scenario] = [
    Scenario("overfit_small_split", "Clean digits, 100 training samples, wide MLP, Adam",
             _overfit_small_split, "overfitting", "add-weight-decay"),
    Scenario("underfit_strong_reg", "Clean digits, wide MLP with dropout 0.6 and AdamW weight "
             "decay 30", _underfit, "underfitting", "reduce-regularization"),
    Scenario("good_fit", "Clean digits, 1,000 training samples, small MLP with dropout 0.2 and "
             "AdamW 1e-2", _good_fit, "good_fit", "early-stopping-safety-net"),
    Scenario("overregularized", "Clean digits, MLP with two Dropout(0.8) layers and AdamW "
             "weight decay 5: heavy over-regularization, seen on sight", _overregularized,
             "underfitting", "reduce-regularization"),
    Scenario("not_converged", "Clean digits, wide MLP, plain SGD with a small learning rate",
             _not_converged, "not_converged", "train-longer"),
    Scenario("diverging", "Clean digits, wide MLP, Adam with learning rate 5",
             _diverging, "diverging", "lower-learning-rate"),
    Scenario("adam_l2", "Noisy digits, wide MLP, Adam with weight_decay=1e-4 (L2)",
             _adam_l2, "overfitting", "adam-l2-to-adamw"),
    Scenario("decayed_biases", "Noisy digits, MLP with BatchNorm, SGD weight decay on every "
             "parameter", _decayed_biases, "overfitting", "exempt-biases-and-norms"),
    Scenario("dropout_before_batchnorm", "Noisy digits, MLP with dropout right before "
             "BatchNorm", _dropout_before_bn, "overfitting", "dropout-before-batchnorm"),
    Scenario("linear_wide", "Linear model, 400 features of which 10 matter, 150 samples",
             _module(sparse_linear), "overfitting", "l1-for-sparse-linear"),
    Scenario("regression_overfit", "Diabetes regression, wide MLP, Adam",
             _module(diabetes), "overfitting", "add-weight-decay"),
    Scenario("noisy_labels", "Digits with 20 % noisy labels (the bundled default)",
             _module(digits_noisy), "overfitting", "add-weight-decay"),
]
