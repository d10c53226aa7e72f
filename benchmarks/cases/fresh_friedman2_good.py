"""Friedman #2 with 2,000 training samples and a small MLP: a good fit.

scikit-learn's make_friedman2 (3,000 samples, 4 features, noise 50): 2,000 training, 500
validation and 500 test samples; inputs and target standardized with training statistics. The
user's MLP 4-64-64-1 is trained with Adam (lr 1e-3) for 60 epochs with batches of 64. With 500
samples per feature and a small network, training and validation loss fall together and
flatten at the noise level.
Condition: good fit (enough data for the model).
"""

import torch
from sklearn.datasets import make_friedman2
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "regression"
epochs = 60
metric = "loss"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(4, 64), nn.ReLU(),
        nn.Linear(64, 64), nn.ReLU(),
        nn.Linear(64, 1),
    )


def data():
    x, y = make_friedman2(n_samples=3000, noise=50.0, random_state=6)
    xm, xs, ym, ys = x[:2000].mean(0), x[:2000].std(0), y[:2000].mean(), y[:2000].std()

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - xm) / xs, dtype=torch.float32),
                             torch.tensor((b - ym) / ys, dtype=torch.float32).unsqueeze(1))

    return (DataLoader(dataset(x[:2000], y[:2000]), batch_size=64, shuffle=True),
            DataLoader(dataset(x[2000:2500], y[2000:2500]), batch_size=500),
            DataLoader(dataset(x[2500:], y[2500:]), batch_size=500))


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def loss():
    return nn.MSELoss()
