"""A linear model on wide data: 400 features, 10 of them informative, 150 training samples."""

from torch import nn, optim

from regadvisor.examples._data import loaders, sparse_linear_splits

task = "regression"
epochs = 200
metric = "loss"


def model() -> nn.Module:
    return nn.Linear(400, 1)


def data():
    return loaders(sparse_linear_splits(), batch_size=32, classification=False)


def optimizer(params):
    return optim.Adam(params, lr=1e-2)


def loss():
    return nn.MSELoss()
