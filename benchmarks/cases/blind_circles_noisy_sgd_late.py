"""Two circles plus noise features, 20 % wrong labels, plain SGD: memorization that starts late.

scikit-learn's make_circles (900 points, noise 0.1, inner radius 0.5), the two coordinates
scaled by 2 and joined by 4 features of pure Gaussian noise: 300 training, 300 validation and
300 test points; a fifth of the training and validation labels are flipped, the test labels
stay clean. The user's MLP 6-128-128-2 is trained with plain SGD (lr 0.03, no momentum) for
300 epochs with batches of 50. The slow optimizer spends the first 40 % of the run learning
the ring; only then does the fit of the flipped points through the noise features take over:
training accuracy climbs to ~90 %, past the 80 % the clean pattern explains, and the validation
loss rises by a sixth after its minimum near epoch 129.
Condition: noisy labels (memorization), starting late.
"""

import numpy as np
import torch
from sklearn.datasets import make_circles
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 300
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(6, 128), nn.ReLU(),
        nn.Linear(128, 128), nn.ReLU(),
        nn.Linear(128, 2),
    )


def data():
    x, y = make_circles(n_samples=900, noise=0.1, factor=0.5, random_state=8)
    rng = np.random.default_rng(8)
    x = np.hstack([2 * x, rng.normal(size=(900, 4))])
    y_noisy = y.copy()
    flip = rng.random(600) < 0.2
    y_noisy[:600][flip] = 1 - y_noisy[:600][flip]

    def dataset(a, b):
        return TensorDataset(torch.tensor(a, dtype=torch.float32), torch.tensor(b))

    return (DataLoader(dataset(x[:300], y_noisy[:300]), batch_size=50, shuffle=True),
            DataLoader(dataset(x[300:600], y_noisy[300:600]), batch_size=300),
            DataLoader(dataset(x[600:], y[600:]), batch_size=300))


def optimizer(params):
    return torch.optim.SGD(params, lr=0.03)
