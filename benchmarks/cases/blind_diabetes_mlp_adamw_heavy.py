"""Diabetes with an MLP under AdamW weight decay 30 and dropout 0.5: a regressor held down.

scikit-learn's diabetes data (442 patients, 10 features, disease progression after a year):
300 training, 71 validation and 71 test patients, inputs and target standardized with training
statistics. The user's MLP 10-128-128-1 has nn.Dropout(0.5) after each hidden layer and is
trained with AdamW (lr 1e-3, weight_decay 30.0) for 60 epochs with batches of 32. The decay
shrinks every weight by 3 % a step: training and validation MSE settle together near 0.7 of
the target's variance, worse on the training set than a plain linear least-squares fit (0.44
training, 0.56 validation on the same split).
Condition: under-fitting (over-regularized regressor).
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
    return nn.Sequential(
        nn.Linear(10, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 128), nn.ReLU(), nn.Dropout(0.5),
        nn.Linear(128, 1),
    )


def data():
    x, y = load_diabetes(return_X_y=True)
    x_train, x_rest, y_train, y_rest = train_test_split(x, y, train_size=300, random_state=21)
    x_val, x_test, y_val, y_test = train_test_split(x_rest, y_rest, train_size=71,
                                                    random_state=21)
    mx, sx = x_train.mean(0), x_train.std(0)
    my, sy = y_train.mean(), y_train.std()

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mx) / sx, dtype=torch.float32),
                             torch.tensor((b - my) / sy, dtype=torch.float32)[:, None])

    return (DataLoader(dataset(x_train, y_train), batch_size=32, shuffle=True),
            DataLoader(dataset(x_val, y_val), batch_size=128),
            DataLoader(dataset(x_test, y_test), batch_size=128))


def optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=30.0)
