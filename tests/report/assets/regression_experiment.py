"""A small regression experiment: no accuracy, no calibration in its report."""

import torch
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

task = "regression"
epochs = 8


def model():
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 1))


def data():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 8, generator=g)
    y = x[:, 0] - 0.5 * x[:, 1] + 0.3 * torch.randn(300, generator=g)
    split = lambda a, b: TensorDataset(x[a:b], y[a:b])  # noqa: E731
    return (DataLoader(split(0, 100), batch_size=20, shuffle=True),
            DataLoader(split(100, 200), batch_size=100),
            DataLoader(split(200, 300), batch_size=100))


def optimizer(params):
    return optim.Adam(params, lr=1e-2)
