"""Friedman #2 MLP trained by full-batch gradient descent at lr 1.0: the loss blows up.

scikit-learn's make_friedman2 (1,000 samples, 4 features, noise sd 20): 500 training, 250
validation and 250 test samples; inputs and target standardized with training statistics. The
user's MLP 4-64-64-1 is trained on nn.MSELoss with plain SGD at lr 1.0 on the whole training
set at once (batch_size 500, one step an epoch), no regularization, for 40 epochs. The step is
far beyond what the loss surface allows: from the second epoch on, training and validation
MSE grow by about an order of magnitude an epoch (5 to 170 at epoch 2, hundreds to ~10^5 at
epoch 4, where a constant prediction scores 1.0) and overflow to infinity at epoch 7 or 8
(training seeds 0-2), where the run stops.
Condition: diverging (learning rate far too high).
"""

import torch
from sklearn.datasets import make_friedman2
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "regression"
epochs = 40
metric = "loss"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(4, 64), nn.ReLU(),
        nn.Linear(64, 64), nn.ReLU(),
        nn.Linear(64, 1),
    )


def data():
    x, y = make_friedman2(n_samples=1000, noise=20.0, random_state=43)
    xm, xs, ym, ys = x[:500].mean(0), x[:500].std(0), y[:500].mean(), y[:500].std()

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - xm) / xs, dtype=torch.float32),
                             torch.tensor((b - ym) / ys, dtype=torch.float32).unsqueeze(1))

    return (DataLoader(dataset(x[:500], y[:500]), batch_size=500, shuffle=True),
            DataLoader(dataset(x[500:750], y[500:750]), batch_size=250),
            DataLoader(dataset(x[750:], y[750:]), batch_size=250))


def optimizer(params):
    return torch.optim.SGD(params, lr=1.0)


def loss():
    return nn.MSELoss()
