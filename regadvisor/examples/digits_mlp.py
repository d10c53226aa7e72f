"""Clean digits: the same wide MLP and data as ``digits_noisy`` without label noise."""

from torch import nn, optim

from regadvisor.examples._data import digits_splits, loaders

task = "classification"
epochs = 100
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 512), nn.ReLU(),
        nn.Linear(512, 512), nn.ReLU(),
        nn.Linear(512, 10),
    )


def data():
    return loaders(digits_splits(), batch_size=32, classification=True)


def optimizer(params):
    return optim.Adam(params, lr=1e-3)
