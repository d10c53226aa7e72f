"""Digits MLP smothered by regularization: dropout 0.8 twice and AdamW weight decay 5.0.

scikit-learn's 8x8 digits (pixels scaled to [0, 1]) as flat 64-vectors: 400 training, 400
validation and 997 test samples (stratified). The user's MLP 64-128-128-10 has two
nn.Dropout(0.8) layers and is trained with AdamW (lr 1e-3, weight_decay=5.0) for 60 epochs. The
weight decay keeps the weights tiny and the dropout drowns the signal: after the full 60 epochs
the network is still far below what it can reach (about 75 % training accuracy where the
same network unregularized reaches 100 %, a training loss that has plateaued near 1.3 and
almost no train/validation gap). Condition: under-fitting caused by
over-regularization.
"""

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 60
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 128), nn.ReLU(), nn.Dropout(0.8),
        nn.Linear(128, 128), nn.ReLU(), nn.Dropout(0.8),
        nn.Linear(128, 10),
    )


def data():
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, train_size=400, stratify=y, random_state=1)
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, train_size=400, stratify=y_rest, random_state=1)

    def dataset(a, b):
        return TensorDataset(torch.tensor(a), torch.tensor(b))

    return (DataLoader(dataset(x_train, y_train), batch_size=32, shuffle=True),
            DataLoader(dataset(x_val, y_val), batch_size=512),
            DataLoader(dataset(x_test, y_test), batch_size=512))


def optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=5.0)
