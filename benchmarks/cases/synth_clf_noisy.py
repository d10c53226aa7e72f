"""Generated 3-class tabular data with 30 % wrong labels, wide MLP, SGD with momentum.

scikit-learn's make_classification: 3,000 samples, 30 features (12 informative), 3 classes,
split 1,500 / 750 / 750 and standardized with training statistics. 30 % of the training and
validation labels are replaced by one of the other classes (as with careless annotation); the
test labels stay clean. The user's MLP 30-256-256-3 is trained with SGD (lr 0.05, momentum 0.9),
no regularization, for 60 epochs. It first learns the true pattern, then memorizes the wrong
labels: training accuracy heads towards 100 % while the validation loss climbs.
Condition: noisy labels (memorization).
"""

import numpy as np
import torch
from sklearn.datasets import make_classification
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 60
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(30, 256), nn.ReLU(),
        nn.Linear(256, 256), nn.ReLU(),
        nn.Linear(256, 3),
    )


def flip_labels(y, fraction, n_classes, rng):
    y = y.copy()
    idx = rng.choice(len(y), size=int(round(fraction * len(y))), replace=False)
    y[idx] = (y[idx] + rng.integers(1, n_classes, size=len(idx))) % n_classes
    return y


def data():
    x, y = make_classification(n_samples=3000, n_features=30, n_informative=12, n_redundant=0,
                               n_classes=3, n_clusters_per_class=2, class_sep=2.0, flip_y=0.0,
                               random_state=7)
    rng = np.random.default_rng(7)
    x_train, y_train = x[:1500], flip_labels(y[:1500], 0.3, 3, rng)
    x_val, y_val = x[1500:2250], flip_labels(y[1500:2250], 0.3, 3, rng)
    x_test, y_test = x[2250:], y[2250:]
    mean, std = x_train.mean(0), x_train.std(0)

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mean) / std, dtype=torch.float32), torch.tensor(b))

    return (DataLoader(dataset(x_train, y_train), batch_size=32, shuffle=True),
            DataLoader(dataset(x_val, y_val), batch_size=750),
            DataLoader(dataset(x_test, y_test), batch_size=750))


def optimizer(params):
    return torch.optim.SGD(params, lr=0.05, momentum=0.9)
