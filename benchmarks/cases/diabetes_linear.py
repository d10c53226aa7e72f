"""Diabetes with plain linear regression under SGD with momentum: a right-sized, good fit.

scikit-learn's diabetes data (442 patients, 10 standardized clinical features, a disease
progression score): 300 training, 70 validation and 72 test samples; inputs and target
standardized with training statistics. The user's model is a single nn.Linear(10, 1) trained
with SGD (lr 0.01, momentum 0.9) for 60 epochs. A linear model is about as good as anything on
this data: training and validation MSE both settle near half the target variance (the rest is
noise no model removes), the gap is small and the validation MSE is flat, within noise of its
best, at the end. The training loss is high, but not because of under-fitting.
Condition: good fit.
"""

import torch
from sklearn.datasets import load_diabetes
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "regression"
epochs = 60
metric = "loss"


def model() -> nn.Module:
    return nn.Linear(10, 1)


def data():
    x, y = load_diabetes(return_X_y=True)
    x_train, x_rest, y_train, y_rest = train_test_split(x, y, train_size=300, random_state=4)
    x_val, x_test, y_val, y_test = train_test_split(x_rest, y_rest, train_size=70,
                                                    random_state=4)
    mx, sx = x_train.mean(0), x_train.std(0)
    my, sy = y_train.mean(), y_train.std()

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mx) / sx, dtype=torch.float32),
                             torch.tensor((b - my) / sy, dtype=torch.float32)[:, None])

    return (DataLoader(dataset(x_train, y_train), batch_size=32, shuffle=True),
            DataLoader(dataset(x_val, y_val), batch_size=128),
            DataLoader(dataset(x_test, y_test), batch_size=128))


def optimizer(params):
    return torch.optim.SGD(params, lr=0.01, momentum=0.9)


def loss():
    return nn.MSELoss()
