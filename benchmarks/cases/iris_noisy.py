"""Iris with 25 % wrong labels and a wide MLP trained with AdamW: memorizing label noise.

scikit-learn's iris (150 flowers, 4 features, 3 classes): 90 training, 30 validation and 30
test samples (stratified), standardized with training statistics. A quarter of the training
and validation labels are replaced by another class; the test labels stay clean. The user's MLP
4-256-256-3 is trained with AdamW (lr 3e-3, PyTorch's default weight_decay=0.01, far too weak
to matter here) for 200 epochs with batches of 16. The network carves out a region for each
mislabelled flower: training accuracy climbs well past the 75 % the clean pattern can explain,
and the validation loss rises steadily after its early minimum.
Condition: noisy labels (memorization) on a tiny data set.
"""

import numpy as np
import torch
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 200
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(4, 256), nn.ReLU(),
        nn.Linear(256, 256), nn.ReLU(),
        nn.Linear(256, 3),
    )


def flip_labels(y, fraction, n_classes, rng):
    y = y.copy()
    idx = rng.choice(len(y), size=int(round(fraction * len(y))), replace=False)
    y[idx] = (y[idx] + rng.integers(1, n_classes, size=len(idx))) % n_classes
    return y


def data():
    x, y = load_iris(return_X_y=True)
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, train_size=90, stratify=y, random_state=0)
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, train_size=30, stratify=y_rest, random_state=0)
    rng = np.random.default_rng(0)
    y_train = flip_labels(y_train, 0.25, 3, rng)
    y_val = flip_labels(y_val, 0.25, 3, rng)
    mean, std = x_train.mean(0), x_train.std(0)

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mean) / std, dtype=torch.float32), torch.tensor(b))

    return (DataLoader(dataset(x_train, y_train), batch_size=16, shuffle=True),
            DataLoader(dataset(x_val, y_val), batch_size=64),
            DataLoader(dataset(x_test, y_test), batch_size=64))


def optimizer(params):
    return torch.optim.AdamW(params, lr=3e-3)
