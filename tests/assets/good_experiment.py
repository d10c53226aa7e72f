"""A valid experiment: tiny MLP on tiny data."""

import torch
from _asset_data import loaders, mlp

epochs = 3


def model():
    return mlp()


def data():
    return loaders()


def optimizer(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-4)
