"""Linear regression on wide data: 200 features, 4 that matter, 150 samples, Adam.

scikit-learn's make_sparse_uncorrelated (600 samples, 200 independent Gaussian features; the
target is x0 + 2 x1 - 2 x2 - 1.5 x3 plus unit Gaussian noise): 150 training, 200 validation and
250 test samples, inputs and target standardized with training statistics. The user's model is
a single nn.Linear(200, 1) trained with Adam (lr 3e-3), no penalty, for 100 epochs with batches
of 16. With more features than samples the fit interpolates the training targets through the
196 useless features: training MSE goes to ~0 while the validation MSE reaches its minimum
(~0.66) near epoch 25 and climbs to ~0.82, against ~0.10 for a lasso (alpha 0.03) on the same
split.
Condition: over-fitting of a linear model on wide, sparse data (L1 is the textbook remedy).
"""

import torch
from sklearn.datasets import make_sparse_uncorrelated
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "regression"
epochs = 100
metric = "loss"


def model() -> nn.Module:
    return nn.Linear(200, 1)


def data():
    x, y = make_sparse_uncorrelated(n_samples=600, n_features=200, random_state=31)
    x_train, y_train = x[:150], y[:150]
    mx, sx = x_train.mean(0), x_train.std(0)
    my, sy = y_train.mean(), y_train.std()

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mx) / sx, dtype=torch.float32),
                             torch.tensor((b - my) / sy, dtype=torch.float32)[:, None])

    return (DataLoader(dataset(x_train, y_train), batch_size=16, shuffle=True),
            DataLoader(dataset(x[150:350], y[150:350]), batch_size=256),
            DataLoader(dataset(x[350:], y[350:]), batch_size=256))


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)
