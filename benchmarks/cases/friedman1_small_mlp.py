"""Friedman #1 regression with 100 training samples and a wide MLP under Adam: over-fitting.

scikit-learn's make_friedman1 (a smooth nonlinear function of 5 inputs plus 5 irrelevant
inputs, noise 3.0): 100 training, 300 validation and 500 test samples; inputs and target
standardized with training statistics. The user's MLP 10-256-256-1 (about 69k weights for 100
samples) is trained with Adam (lr 1e-3), no regularization, for 200 epochs with batches of 16.
It drives the training MSE to ~0 (the noise alone is about a quarter of the target variance)
while the validation MSE reaches its minimum around epoch 10 and then drifts up.
Condition: over-fitting (small regression data set).
"""

import torch
from sklearn.datasets import make_friedman1
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "regression"
epochs = 200
metric = "loss"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(10, 256), nn.ReLU(),
        nn.Linear(256, 256), nn.ReLU(),
        nn.Linear(256, 1),
    )


def data():
    x, y = make_friedman1(n_samples=900, n_features=10, noise=3.0, random_state=2)
    y = y[:, None]
    x_train, y_train = x[:100], y[:100]
    mx, sx = x_train.mean(0), x_train.std(0)
    my, sy = y_train.mean(), y_train.std()

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mx) / sx, dtype=torch.float32),
                             torch.tensor((b - my) / sy, dtype=torch.float32))

    return (DataLoader(dataset(x_train, y_train), batch_size=16, shuffle=True),
            DataLoader(dataset(x[100:400], y[100:400]), batch_size=300),
            DataLoader(dataset(x[400:], y[400:]), batch_size=500))


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def loss():
    return nn.MSELoss()
