"""Digits as 8x8 images with 30 % wrong labels: a plain conv net memorizes them under SGD.

scikit-learn's digits as 1x8x8 images (pixels scaled to [0, 1]): 500 training, 300 validation
and 997 test images (stratified). 30 % of the training and validation labels are replaced by
another digit; the test labels stay clean. The user's conv net (Conv2d 12 and 24 channels, no
normalization, one max-pool, a 384-128-10 dense head) is trained with SGD (lr 0.05, momentum
0.9), no regularization, for 40 epochs. It learns the digits in the first epochs, then fits the
wrong labels one by one: training accuracy goes to 100 % and the validation loss climbs.
Condition: noisy labels (memorization).
"""

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 40
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 12, 3, padding=1), nn.ReLU(),
        nn.Conv2d(12, 24, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(24 * 4 * 4, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def flip_labels(y, fraction, n_classes, rng):
    y = y.copy()
    idx = rng.choice(len(y), size=int(round(fraction * len(y))), replace=False)
    y[idx] = (y[idx] + rng.integers(1, n_classes, size=len(idx))) % n_classes
    return y


def data():
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, train_size=500, stratify=y, random_state=2)
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, train_size=300, stratify=y_rest, random_state=2)
    rng = np.random.default_rng(2)
    y_train = flip_labels(y_train, 0.3, 10, rng)
    y_val = flip_labels(y_val, 0.3, 10, rng)

    def dataset(a, b):
        return TensorDataset(torch.tensor(a), torch.tensor(b))

    return (DataLoader(dataset(x_train, y_train), batch_size=32, shuffle=True),
            DataLoader(dataset(x_val, y_val), batch_size=512),
            DataLoader(dataset(x_test, y_test), batch_size=512))


def optimizer(params):
    return torch.optim.SGD(params, lr=0.05, momentum=0.9)
