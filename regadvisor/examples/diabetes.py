"""Diabetes progression (regression): an MLP on scikit-learn's 442 patients, 10 features."""

from torch import nn, optim

from regadvisor.examples._data import diabetes_splits, loaders

task = "regression"
epochs = 150
metric = "loss"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(10, 256), nn.ReLU(),
        nn.Linear(256, 256), nn.ReLU(),
        nn.Linear(256, 1),
    )


def data():
    return loaders(diabetes_splits(), batch_size=32, classification=False)


def optimizer(params):
    return optim.Adam(params, lr=1e-3)


def loss():
    return nn.MSELoss()
