"""Friedman #1 regression, MLP with SGD weight decay 0.2: under-fitting from too much decay.

scikit-learn's make_friedman1 (y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 + 5 x5 + noise,
with 5 extra irrelevant features): 1,500 samples split 800 / 350 / 350; inputs and target
standardized with training statistics. The user's MLP 10-128-128-1 is trained with SGD (lr 0.01,
momentum 0.9) and weight_decay=0.2 for 80 epochs. The decay flattens the network to a
shrunken fit no better than linear regression: training MSE stays near 0.3 (of a unit variance;
the same network without decay reaches 0.005 train / 0.09 validation) from the first epoch to
the last, with validation MSE just below it and creeping up as the weights shrink.
Condition: under-fitting caused by over-regularization.
"""

import torch
from sklearn.datasets import make_friedman1
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "regression"
epochs = 80
metric = "loss"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(10, 128), nn.ReLU(),
        nn.Linear(128, 128), nn.ReLU(),
        nn.Linear(128, 1), nn.Flatten(0),
    )


def data():
    x, y = make_friedman1(n_samples=1500, n_features=10, noise=1.0, random_state=0)
    x_train, y_train = x[:800], y[:800]
    mx, sx = x_train.mean(0), x_train.std(0)
    my, sy = y_train.mean(), y_train.std()

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mx) / sx, dtype=torch.float32),
                             torch.tensor((b - my) / sy, dtype=torch.float32))

    return (DataLoader(dataset(x_train, y_train), batch_size=32, shuffle=True),
            DataLoader(dataset(x[800:1150], y[800:1150]), batch_size=512),
            DataLoader(dataset(x[1150:], y[1150:]), batch_size=512))


def optimizer(params):
    return torch.optim.SGD(params, lr=0.01, momentum=0.9, weight_decay=0.2)


def loss():
    return nn.MSELoss()
