"""MNIST-1D with 20 % wrong labels and a 1-D CNN with a wide dense head, trained with Adam.

MNIST-1D generated locally with the ``mnist1d`` package (no download): 1,500 training, 1,000
validation and 1,000 test signals of length 40, ten classes. 20 % of the training and
validation labels are replaced by another digit; the test labels stay clean. The user's model
is a 1-D conv net (Conv1d 16 and 32 channels, each followed by max-pooling) with a
320-256-10 dense head, trained with Adam (lr 3e-3), no regularization, for 30 epochs. The
convolutions find the digit shapes, and the dense head then memorizes the wrong labels:
training accuracy passes the 80 % that the correct labels account for and reaches 100 %, and
the validation loss turns up after epoch ~8 and keeps rising.
Condition: noisy labels (memorization).
"""

import numpy as np
import torch
from mnist1d.data import get_dataset_args, make_dataset
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 30
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Conv1d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
        nn.Flatten(),
        nn.Linear(32 * 10, 256), nn.ReLU(),
        nn.Linear(256, 10),
    )


def flip_labels(y, fraction, n_classes, rng):
    y = y.copy()
    idx = rng.choice(len(y), size=int(round(fraction * len(y))), replace=False)
    y[idx] = (y[idx] + rng.integers(1, n_classes, size=len(idx))) % n_classes
    return y


def data():
    args = get_dataset_args()
    args.num_samples = 5000
    args.seed = 7
    ds = make_dataset(args)  # generated locally; get_dataset() would try to download
    rng = np.random.default_rng(7)
    x, y = ds["x"][:, None, :], ds["y"]
    x_train, y_train = x[:1500], flip_labels(y[:1500], 0.2, 10, rng)
    x_val, y_val = x[1500:2500], flip_labels(y[1500:2500], 0.2, 10, rng)
    x_test, y_test = ds["x_test"][:, None, :], ds["y_test"]

    def dataset(a, b):
        return TensorDataset(torch.tensor(a, dtype=torch.float32), torch.tensor(b))

    return (DataLoader(dataset(x_train, y_train), batch_size=100, shuffle=True),
            DataLoader(dataset(x_val, y_val), batch_size=500),
            DataLoader(dataset(x_test, y_test), batch_size=500))


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)
