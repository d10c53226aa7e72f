"""Friedman #3 with a small MLP, SGD momentum and plenty of data: a good fit.

scikit-learn's make_friedman3 (4,000 samples, noise 0.1; the target is an arctangent of a
ratio of the four inputs): 2,000 training, 1,000 validation and 1,000 test samples, inputs and
target standardized with training statistics. The user's MLP 4-32-32-1 is trained with SGD
(lr 0.005, momentum 0.9), no regularization, for 60 epochs with batches of 64. About 1,250
parameters against 2,000 samples: training and validation MSE fall together and flatten in the
last epochs, the training MSE at the noise floor (~0.09 of the target variance) and the
validation MSE a little above it (~0.11).
Condition: good fit (regression).
"""

import torch
from sklearn.datasets import make_friedman3
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "regression"
epochs = 60
metric = "loss"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(4, 32), nn.ReLU(),
        nn.Linear(32, 32), nn.ReLU(),
        nn.Linear(32, 1),
    )


def data():
    x, y = make_friedman3(n_samples=4000, noise=0.1, random_state=17)
    mx, sx = x[:2000].mean(0), x[:2000].std(0)
    my, sy = y[:2000].mean(), y[:2000].std()

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mx) / sx, dtype=torch.float32),
                             torch.tensor((b - my) / sy, dtype=torch.float32)[:, None])

    return (DataLoader(dataset(x[:2000], y[:2000]), batch_size=64, shuffle=True),
            DataLoader(dataset(x[2000:3000], y[2000:3000]), batch_size=1000),
            DataLoader(dataset(x[3000:], y[3000:]), batch_size=1000))


def optimizer(params):
    return torch.optim.SGD(params, lr=0.005, momentum=0.9)
