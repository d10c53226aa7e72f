"""Digits MLP under SGD with weight_decay 0.1: L2 so strong the network cannot fit the data.

scikit-learn's 8x8 digits (pixels scaled to [0, 1]) as flat 64-vectors: 900 training, 400
validation and 497 test samples (stratified). The user's MLP 64-256-10 has no dropout and is
trained with SGD (lr 0.01, momentum 0.9, weight_decay 0.1) for 40 epochs with batches of 32.
The decay pins the weights so small that both cross-entropies stop near 1.28 / 1.30 from
epoch ~15 on (chance: ln 10 = 2.30), at ~81 % / 80 % accuracy, where the same network and
optimizer without weight decay reach 0.07 / 0.18 and 99 % / 94 %.
Condition: under-fitting (over-regularized: L2 weight decay far too strong).
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
        nn.Linear(64, 256), nn.ReLU(),
        nn.Linear(256, 10),
    )


def data():
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, train_size=900, stratify=y, random_state=5)
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, train_size=400, stratify=y_rest, random_state=5)

    def dataset(a, b):
        return TensorDataset(torch.tensor(a), torch.tensor(b))

    return (DataLoader(dataset(x_train, y_train), batch_size=32, shuffle=True),
            DataLoader(dataset(x_val, y_val), batch_size=512),
            DataLoader(dataset(x_test, y_test), batch_size=512))


def optimizer(params):
    return torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=0.1)
