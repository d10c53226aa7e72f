"""Friedman #1 with 6,000 training samples, an MLP and AdamW: a good fit at the noise floor.

scikit-learn's make_friedman1 (8,000 samples, 10 features of which 5 matter, noise sd 2.0):
6,000 training, 1,000 validation and 1,000 test samples; inputs and target standardized with
training statistics. The user's MLP 10-32-32-1 is trained with AdamW (lr 1e-3, weight_decay
1e-2, PyTorch's defaults) for 60 epochs with batches of 128. Training and validation MSE fall
together and are flat over the last fifth of the run (~0.12 / ~0.15, where the noise alone
accounts for 0.13-0.14 of the standardized target's variance).
Condition: good fit (plenty of data for the model).
"""

import torch
from sklearn.datasets import make_friedman1
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "regression"
epochs = 60
metric = "loss"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(10, 32), nn.ReLU(),
        nn.Linear(32, 32), nn.ReLU(),
        nn.Linear(32, 1),
    )


def data():
    x, y = make_friedman1(n_samples=8000, n_features=10, noise=2.0, random_state=29)
    xm, xs, ym, ys = x[:6000].mean(0), x[:6000].std(0), y[:6000].mean(), y[:6000].std()

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - xm) / xs, dtype=torch.float32),
                             torch.tensor((b - ym) / ys, dtype=torch.float32).unsqueeze(1))

    return (DataLoader(dataset(x[:6000], y[:6000]), batch_size=128, shuffle=True),
            DataLoader(dataset(x[6000:7000], y[6000:7000]), batch_size=1000),
            DataLoader(dataset(x[7000:], y[7000:]), batch_size=1000))


def optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=1e-2)


def loss():
    return nn.MSELoss()
