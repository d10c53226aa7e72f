"""Digits as 1×8×8 images: a small conv net with BatchNorm and dropout in its FC head."""

from torch import nn, optim

from regadvisor.examples._data import digits_splits, loaders

task = "classification"
epochs = 60
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 4 * 4, 128), nn.ReLU(),
        nn.Dropout(0.2),
        nn.Linear(128, 10),
    )


def data():
    return loaders(digits_splits(image=True), batch_size=32, classification=True)


def optimizer(params):
    return optim.Adam(params, lr=1e-3)
