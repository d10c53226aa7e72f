"""batch(b) is right on the first batches and drops a target from the sixth call on."""

from _asset_data import loaders, mlp

epochs = 3
calls = 0


def model():
    return mlp()


def data():
    return loaders()


def batch(b):
    global calls
    calls += 1
    x, y = b
    return (x, y[:-1]) if calls > 5 else (x, y)
