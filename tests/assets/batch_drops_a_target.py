"""batch(b) returns one target fewer than the batch has inputs."""

from _asset_data import loaders, mlp

epochs = 3


def model():
    return mlp()


def data():
    return loaders()


def batch(b):
    x, y = b
    return x, y[:-1]
