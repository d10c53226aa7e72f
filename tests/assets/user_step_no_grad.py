"""A training_step that returns a number, not the loss tensor."""

import torch.nn.functional as F
from _asset_data import loaders, mlp

epochs = 2


def model():
    return mlp()


def data():
    return loaders()


def training_step(model, batch):
    x, y = batch
    return F.cross_entropy(model(x), y).item()
