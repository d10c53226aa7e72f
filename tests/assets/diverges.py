"""A regression whose learning rate is far too high: training diverges."""

import torch
from _asset_data import tensors
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

epochs = 30


def model():
    return nn.Linear(8, 1)


def data():
    x, _ = tensors()
    y = 50 * x.sum(dim=1)
    return DataLoader(TensorDataset(x, y), batch_size=16), DataLoader(TensorDataset(x, y))


def optimizer(params):
    return torch.optim.SGD(params, lr=50.0)


def loss():
    return nn.MSELoss()
