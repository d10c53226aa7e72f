"""Linnerud: 20 athletes, 3 exercise counts -> 3 body measurements, an MLP on 12 of them.

scikit-learn's linnerud, the smallest data set shipped with it: 20 samples, 3 inputs (chin-ups,
sit-ups, jumps) and 3 regression targets (weight, waist, pulse). 12 training, 4 validation and
4 test samples; inputs and each target standardized with training statistics. The user fits a
multi-output MLP 3-64-64-3 with Adam (lr 1e-2), no regularization, for 150 epochs with batches
of 4. The 12 training points are memorized within a few dozen epochs (training MSE ~0.001); the
validation MSE is lowest at epoch 3 and then climbs to about four times that minimum.
Condition: over-fitting (tiny multi-output regression).
"""

import numpy as np
import torch
from sklearn.datasets import load_linnerud
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "regression"
epochs = 150
metric = "loss"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(3, 64), nn.ReLU(),
        nn.Linear(64, 64), nn.ReLU(),
        nn.Linear(64, 3),
    )


def data():
    x, y = load_linnerud(return_X_y=True)
    order = np.random.default_rng(0).permutation(len(x))
    x, y = x[order], y[order]
    mx, sx = x[:12].mean(0), x[:12].std(0)
    my, sy = y[:12].mean(0), y[:12].std(0)

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mx) / sx, dtype=torch.float32),
                             torch.tensor((b - my) / sy, dtype=torch.float32))

    return (DataLoader(dataset(x[:12], y[:12]), batch_size=4, shuffle=True),
            DataLoader(dataset(x[12:16], y[12:16]), batch_size=4),
            DataLoader(dataset(x[16:], y[16:]), batch_size=4))


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-2)


def loss():
    return nn.MSELoss()
