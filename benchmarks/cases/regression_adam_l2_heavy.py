"""Generated regression, MLP with dropout 0.5 and Adam weight_decay=0.5 (L2): under-fitting.

scikit-learn's make_regression (15 features, 8 informative, noise 10) with an interaction term
(x0 * x1) added to the target so that a network has something to learn beyond a linear fit; 2,000
samples split 1,000 / 500 / 500, inputs and target standardized with training statistics. The
user's MLP 15-128-128-1 has nn.Dropout(0.5) after each hidden layer and is trained with
torch.optim.Adam(lr=1e-3, weight_decay=0.5) -- an L2 penalty coupled into Adam's gradient, set
far too high -- for 50 epochs. Training MSE plateaus near 0.43 (of a unit variance) where the
same network without the penalty gets below 0.02; validation MSE sits right beside it.
Condition: under-fitting caused by over-regularization (with Adam-style L2 instead of AdamW).
"""

import torch
from sklearn.datasets import make_regression
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "regression"
epochs = 50
metric = "loss"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(15, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 1), nn.Flatten(0),
    )


def data():
    x, y = make_regression(n_samples=2000, n_features=15, n_informative=8, noise=10.0,
                            random_state=5)
    y = y + 40.0 * x[:, 0] * x[:, 1]  # a nonlinear interaction on top of the linear part
    x_train, y_train = x[:1000], y[:1000]
    mx, sx = x_train.mean(0), x_train.std(0)
    my, sy = y_train.mean(), y_train.std()

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mx) / sx, dtype=torch.float32),
                             torch.tensor((b - my) / sy, dtype=torch.float32))

    return (DataLoader(dataset(x_train, y_train), batch_size=32, shuffle=True),
            DataLoader(dataset(x[1000:1500], y[1000:1500]), batch_size=500),
            DataLoader(dataset(x[1500:], y[1500:]), batch_size=500))


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3, weight_decay=0.5)


def loss():
    return nn.MSELoss()
