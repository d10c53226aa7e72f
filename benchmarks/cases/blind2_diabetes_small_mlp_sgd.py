"""Diabetes regression, 60 training patients, a wide MLP under SGD with momentum: over-fitting.

scikit-learn's diabetes data (442 patients, 10 baseline features, disease progression after a
year): 60 training, 182 validation and 200 test patients after a fixed shuffle; inputs and target
standardized with training statistics. The user's MLP 10-256-256-1 (about 69k weights for 60
patients) is trained with SGD (lr 0.01, momentum 0.9), no regularization, for 100 epochs with
batches of 10. The validation MSE is at its best (~0.49, as good as least squares' 0.49) at
epoch 3; the network then interpolates the 60 patients (training MSE ~0 from epoch 60) and the
validation MSE climbs to ~0.93, worse than predicting the mean (0.84).
Condition: over-fitting (small regression data set).
"""

import numpy as np
import torch
from sklearn.datasets import load_diabetes
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "regression"
epochs = 100
metric = "loss"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(10, 256), nn.ReLU(),
        nn.Linear(256, 256), nn.ReLU(),
        nn.Linear(256, 1),
    )


def data():
    x, y = load_diabetes(return_X_y=True)
    order = np.random.default_rng(4).permutation(len(y))
    x, y = x[order], y[order]
    xm, xs, ym, ys = x[:60].mean(0), x[:60].std(0), y[:60].mean(), y[:60].std()

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - xm) / xs, dtype=torch.float32),
                             torch.tensor((b - ym) / ys, dtype=torch.float32).unsqueeze(1))

    return (DataLoader(dataset(x[:60], y[:60]), batch_size=10, shuffle=True),
            DataLoader(dataset(x[60:242], y[60:242]), batch_size=200),
            DataLoader(dataset(x[242:], y[242:]), batch_size=200))


def optimizer(params):
    return torch.optim.SGD(params, lr=0.01, momentum=0.9)


def loss():
    return nn.MSELoss()
