"""Digits MLP on labels of which 30 % are wrong, Adam at a small step: memorization starts late.

scikit-learn's 8x8 digits (pixels scaled to [0, 1]) as flat 64-vectors: 300 training, 400
validation and 1,097 test samples (stratified); about 30 % of the training and validation
labels are replaced by a different, random digit, the test labels stay clean. The user's MLP
64-512-512-10 is trained with Adam (lr 2e-4, a fifth of the default), no regularization, for
80 epochs with batches of 64. The small step spends the first third of the run learning the
digits (validation loss at its minimum, ~1.58, between epochs 26 and 30 at training seeds 0-2);
then the network starts fitting the wrong labels: training accuracy climbs to ~77 %, past the
~70 % the true digits explain, while the validation loss rises by 13-15 % and the validation
accuracy falls from ~63 % to ~60 %.
Condition: noisy labels (memorization), starting late.
"""

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 80
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 512), nn.ReLU(),
        nn.Linear(512, 512), nn.ReLU(),
        nn.Linear(512, 10),
    )


def data():
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, train_size=300, stratify=y, random_state=21)
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, train_size=400, stratify=y_rest, random_state=21)
    rng = np.random.default_rng(21)

    def corrupt(labels):
        labels = labels.copy()
        flip = rng.random(len(labels)) < 0.3
        labels[flip] = (labels[flip] + rng.integers(1, 10, flip.sum())) % 10
        return labels

    y_train, y_val = corrupt(y_train), corrupt(y_val)

    def dataset(a, b):
        return TensorDataset(torch.tensor(a), torch.tensor(b))

    return (DataLoader(dataset(x_train, y_train), batch_size=64, shuffle=True),
            DataLoader(dataset(x_val, y_val), batch_size=512),
            DataLoader(dataset(x_test, y_test), batch_size=512))


def optimizer(params):
    return torch.optim.Adam(params, lr=2e-4)
