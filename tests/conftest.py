"""Shared fixtures: small real data and tiny models that train in well under a second."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from regadvisor.examples._data import digits_splits


@pytest.fixture(autouse=True)
def _single_thread():
    """One thread keeps the tests fast on two cores and the numbers reproducible."""
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def digits() -> list[tuple[np.ndarray, np.ndarray]]:
    """Clean digits: 300 train, 300 validation, the rest test."""
    return digits_splits()


def make_loaders(splits, batch_size=32, shuffle=True):
    out = []
    for i, (x, y) in enumerate(splits):
        ds = TensorDataset(torch.as_tensor(x), torch.as_tensor(y))
        out.append(DataLoader(ds, batch_size=batch_size, shuffle=shuffle and i == 0))
    return out


@pytest.fixture
def digits_loaders(digits):
    return make_loaders(digits)


def small_mlp(hidden: int = 64, dropout: float | None = None) -> nn.Module:
    layers: list[nn.Module] = [nn.Linear(64, hidden), nn.ReLU()]
    if dropout is not None:
        layers.append(nn.Dropout(dropout))
    layers += [nn.Linear(hidden, 10)]
    return nn.Sequential(*layers)
