"""The model factory fails for the seeds of the winner's re-runs (1000, 2000), not for trials."""

import torch
from _asset_data import loaders, mlp

epochs = 4


def model():
    if torch.initial_seed() in (1000, 2000):
        raise RuntimeError("the feature store is down for this seed")
    return mlp()


def data():
    return loaders(n=96)
