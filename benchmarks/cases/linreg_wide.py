"""Linear regression on wide data: 300 features, 15 informative, 120 samples, SGD momentum.

scikit-learn's make_regression with 300 features of which 15 carry signal (noise 20): 120
training, 200 validation and 280 test samples; inputs and target standardized with training
statistics. The user's model is a single nn.Linear(300, 1) trained with SGD (lr 2e-3,
momentum 0.9), no penalty, for 150 epochs. With 2.5 features per sample the least-squares fit
interpolates the training targets: training MSE drops to zero within 20 epochs while the
validation MSE settles at ~0.72 of the target variance and stays there (a lasso with alpha 0.01
gets ~0.01 on the same split). Condition: over-fitting of a linear model on wide, sparse
data (L1 is the textbook remedy).
"""

import torch
from sklearn.datasets import make_regression
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "regression"
epochs = 150
metric = "loss"


def model() -> nn.Module:
    return nn.Linear(300, 1)


def data():
    x, y = make_regression(n_samples=600, n_features=300, n_informative=15, noise=20.0,
                           random_state=6)
    x_train, y_train = x[:120], y[:120]
    mx, sx = x_train.mean(0), x_train.std(0)
    my, sy = y_train.mean(), y_train.std()

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mx) / sx, dtype=torch.float32),
                             torch.tensor((b - my) / sy, dtype=torch.float32)[:, None])

    return (DataLoader(dataset(x_train, y_train), batch_size=16, shuffle=True),
            DataLoader(dataset(x[120:320], y[120:320]), batch_size=200),
            DataLoader(dataset(x[320:], y[320:]), batch_size=280))


def optimizer(params):
    return torch.optim.SGD(params, lr=2e-3, momentum=0.9)


def loss():
    return nn.MSELoss()
