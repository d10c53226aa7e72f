"""Gaussian blobs, an MLP and plain SGD at lr 1e-3: stopped long before it converges.

scikit-learn's make_blobs (3,000 points, 12 features, 5 centres, cluster_std 3.0): 1,500
training, 750 validation and 750 test points, standardized with training statistics. The user's
MLP 12-64-64-5 is trained with plain SGD (lr 1e-3, no momentum), no regularization, for 30
epochs with batches of 32. The step is so small that after the user's 30 epochs both losses
are still falling steadily, by more than 1 % an epoch and faster than before (cross-entropy
~1.22, against ln 5 = 1.61 at the start).
Condition: not converged (the run is too short for its learning rate).
"""

import torch
from sklearn.datasets import make_blobs
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 30
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(12, 64), nn.ReLU(),
        nn.Linear(64, 64), nn.ReLU(),
        nn.Linear(64, 5),
    )


def data():
    x, y = make_blobs(n_samples=3000, n_features=12, centers=5, cluster_std=3.0, random_state=37)
    mean, std = x[:1500].mean(0), x[:1500].std(0)

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mean) / std, dtype=torch.float32), torch.tensor(b))

    return (DataLoader(dataset(x[:1500], y[:1500]), batch_size=32, shuffle=True),
            DataLoader(dataset(x[1500:2250], y[1500:2250]), batch_size=750),
            DataLoader(dataset(x[2250:], y[2250:]), batch_size=750))


def optimizer(params):
    return torch.optim.SGD(params, lr=1e-3)
