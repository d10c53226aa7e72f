"""A small experiment that overfits within a few epochs: digits with noisy labels, wide MLP.

Small enough that a whole ``advise`` run (diagnosis, a few trials, verification over two seeds)
takes seconds on a CPU.
"""

from torch import nn, optim

from regadvisor.examples._data import digits_splits, loaders

task = "classification"
epochs = 15


def model():
    return nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def data():
    return loaders(digits_splits(n_train=200, n_val=200, label_noise=0.2), batch_size=20,
                   classification=True)


def optimizer(params):
    return optim.Adam(params, lr=3e-3)
