import torch
from _asset_data import loaders, mlp


def model():
    return mlp()


def data():
    return loaders()


def optimizer(params):
    return torch.optim.SGD(params, lr=-0.1)
