"""Digits as 8x8 images, only 100 of them for training: a plain conv net under Adam memorizes.

scikit-learn's digits as 1x8x8 images (pixels scaled to [0, 1]): 100 training, 400 validation
and 1,297 test images (stratified), clean labels. The user's conv net (Conv2d 16 and 32
channels, no normalization, one max-pool, a 512-128-10 dense head) is trained with Adam (lr
3e-3), no regularization, for 50 epochs with batches of 16. Ten images per digit are learned
by heart within a few epochs: the training loss goes to ~0 while the validation loss reaches
its minimum near epoch 9 and climbs by a third afterwards (validation accuracy stays ~90 %).
Condition: over-fitting (few training images).
"""

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 50
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 128), nn.ReLU(),
        nn.Linear(128, 10),
    )


def data():
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, train_size=100, stratify=y, random_state=11)
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, train_size=400, stratify=y_rest, random_state=11)

    def dataset(a, b):
        return TensorDataset(torch.tensor(a), torch.tensor(b))

    return (DataLoader(dataset(x_train, y_train), batch_size=16, shuffle=True),
            DataLoader(dataset(x_val, y_val), batch_size=512),
            DataLoader(dataset(x_test, y_test), batch_size=512))


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)
