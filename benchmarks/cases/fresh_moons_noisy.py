"""Two moons with 20 % wrong labels and a wide MLP: memorizing label noise.

scikit-learn's make_moons (600 points, noise 0.25): 200 training, 200 validation and 200 test
points; a fifth of the training and validation labels are flipped, the test labels stay clean.
The user's MLP 2-256-256-2 is trained with Adam (lr 3e-3) for 300 epochs with batches of 32.
It bends its boundary around every flipped point: training accuracy climbs far past the 80 %
the clean pattern explains and the validation loss rises after an early minimum.
Condition: noisy labels (memorization), tabular 2-D data.
"""

import numpy as np
import torch
from sklearn.datasets import make_moons
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 300
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(2, 256), nn.ReLU(),
        nn.Linear(256, 256), nn.ReLU(),
        nn.Linear(256, 2),
    )


def data():
    x, y = make_moons(n_samples=600, noise=0.25, random_state=5)
    rng = np.random.default_rng(5)
    y_noisy = y.copy()
    flip = rng.random(400) < 0.2
    y_noisy[:400][flip] = 1 - y_noisy[:400][flip]

    def dataset(a, b):
        return TensorDataset(torch.tensor(a, dtype=torch.float32), torch.tensor(b))

    return (DataLoader(dataset(x[:200], y_noisy[:200]), batch_size=32, shuffle=True),
            DataLoader(dataset(x[200:400], y_noisy[200:400]), batch_size=200),
            DataLoader(dataset(x[400:], y[400:]), batch_size=200))


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)
