from __future__ import annotations

import pytest
from torch import nn, optim

from regadvisor.examples._data import digits_splits, loaders
from regadvisor.experiment import build_experiment


def tiny_experiment(model=None, epochs: int = 8, **kw):
    """Digits with a small MLP: a trial takes a fraction of a second."""
    return build_experiment(
        model=model or (lambda: nn.Sequential(nn.Linear(64, 64), nn.ReLU(),
                                              nn.Linear(64, 10))),
        data=lambda: loaders(digits_splits(n_train=200, n_val=200, label_noise=0.2),
                             batch_size=50, classification=True),
        optimizer=lambda p: optim.Adam(p, lr=3e-3), epochs=epochs, name="tiny", **kw)


@pytest.fixture
def tiny():
    return tiny_experiment()
