"""A generated regression problem with 60 training samples and a wide MLP: over-fitting.

scikit-learn's make_regression (200 samples, 30 features of which 10 informative, noise 30):
60 training, 70 validation and 70 test samples; inputs and target standardized with training
statistics. The user's MLP 30-256-256-1 is trained with Adam (lr 1e-3) for 300 epochs with
batches of 16. The training loss goes to nearly zero while the validation loss, after an early
minimum, rises far above it.
Condition: over-fitting regression (fewer samples than the network can memorize).
"""

import torch
from sklearn.datasets import make_regression
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "regression"
epochs = 300
metric = "loss"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(30, 256), nn.ReLU(),
        nn.Linear(256, 256), nn.ReLU(),
        nn.Linear(256, 1),
    )


def data():
    x, y = make_regression(n_samples=200, n_features=30, n_informative=10, noise=30.0,
                           random_state=3)
    x_train, x_rest, y_train, y_rest = train_test_split(x, y, train_size=60, random_state=3)
    x_val, x_test, y_val, y_test = train_test_split(x_rest, y_rest, train_size=70,
                                                    random_state=3)
    xm, xs, ym, ys = x_train.mean(0), x_train.std(0), y_train.mean(), y_train.std()

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - xm) / xs, dtype=torch.float32),
                             torch.tensor((b - ym) / ys, dtype=torch.float32).unsqueeze(1))

    return (DataLoader(dataset(x_train, y_train), batch_size=16, shuffle=True),
            DataLoader(dataset(x_val, y_val), batch_size=128),
            DataLoader(dataset(x_test, y_test), batch_size=128))


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def loss():
    return nn.MSELoss()
