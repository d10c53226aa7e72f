"""Data and model shared by the plain-PyTorch user scripts here: scikit-learn's digits with 20 %
wrong training and validation labels (clean test labels), a wide MLP that memorizes them.

The user's own code, written as a training script would be; the experiment files beside it
import it as they would import any module of the user's project.
"""

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

BATCH_SIZE = 20


def build_model():
    return nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def make_loaders(n_train=300, n_val=300):
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    x_train, x_rest, y_train, y_rest = train_test_split(x, y, train_size=n_train, stratify=y,
                                                        random_state=0)
    x_val, x_test, y_val, y_test = train_test_split(x_rest, y_rest, train_size=n_val,
                                                    stratify=y_rest, random_state=0)
    rng = np.random.default_rng(0)
    for labels in (y_train, y_val):
        wrong = rng.choice(len(labels), size=len(labels) // 5, replace=False)
        labels[wrong] = (labels[wrong] + rng.integers(1, 10, size=len(wrong))) % 10

    def loader(x, y, shuffle):
        return DataLoader(TensorDataset(torch.as_tensor(x), torch.as_tensor(y)),
                          batch_size=BATCH_SIZE if shuffle else 256, shuffle=shuffle)

    return loader(x_train, y_train, True), loader(x_val, y_val, False), \
        loader(x_test, y_test, False)
