"""Two moons with a linear classifier and no regularization: too small a model, under-fitting.

scikit-learn's make_moons (1,500 points, noise 0.1): 500 training, 500 validation and 500 test
points, standardized with training statistics. The user's model is a single nn.Linear(2, 2)
(logistic regression), trained with Adam (lr 1e-2), no weight decay, no dropout, for 40
epochs with batches of 32. A straight boundary gets ~87 % of the points right: both losses
flatten at ~0.27 / 0.26 by epoch ~12 (chance: ln 2 = 0.69), where an MLP 2-64-64-2 with the
same optimizer reaches ~0.0001 / 0.0007 and 100 %.
Condition: under-fitting (capacity: a straight line cannot follow the interleaved half-circles).
"""

import torch
from sklearn.datasets import make_moons
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 40
metric = "accuracy"


def model() -> nn.Module:
    return nn.Linear(2, 2)


def data():
    x, y = make_moons(n_samples=1500, noise=0.1, random_state=17)
    mean, std = x[:500].mean(0), x[:500].std(0)

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mean) / std, dtype=torch.float32), torch.tensor(b))

    return (DataLoader(dataset(x[:500], y[:500]), batch_size=32, shuffle=True),
            DataLoader(dataset(x[500:1000], y[500:1000]), batch_size=500),
            DataLoader(dataset(x[1000:], y[1000:]), batch_size=500))


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-2)
