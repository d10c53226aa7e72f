from _asset_data import loaders
from torch import nn


def model():
    m = nn.Linear(8, 3)
    m.requires_grad_(False)
    return m


def data():
    return loaders()
