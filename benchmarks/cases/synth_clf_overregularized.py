"""Generated 4-class tabular data, MLP with heavy dropout and SGD weight decay 0.05: under-fitting.

scikit-learn's make_classification: 4,000 samples, 20 features (10 informative, 4 redundant),
4 classes with 2 clusters each, split 2,000 / 1,000 / 1,000 and standardized with training
statistics. The user's MLP 20-256-256-4 has nn.Dropout(0.6) after each hidden layer and is
trained with SGD (lr 0.05, momentum 0.9, weight_decay=0.05 on every parameter) for 40 epochs.
Weight decay that strong (100x the usual 5e-4) plus heavy dropout keeps the network near a
linear classifier: training and validation loss stay high and close together for the whole run.
Condition: under-fitting caused by over-regularization.
"""

import torch
from sklearn.datasets import make_classification
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 40
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(20, 256), nn.ReLU(), nn.Dropout(0.6),
        nn.Linear(256, 256), nn.ReLU(), nn.Dropout(0.6),
        nn.Linear(256, 4),
    )


def data():
    x, y = make_classification(n_samples=4000, n_features=20, n_informative=10, n_redundant=4,
                               n_classes=4, n_clusters_per_class=2, class_sep=1.0,
                               flip_y=0.0, random_state=3)
    x_train, y_train = x[:2000], y[:2000]
    mean, std = x_train.mean(0), x_train.std(0)

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mean) / std, dtype=torch.float32), torch.tensor(b))

    return (DataLoader(dataset(x_train, y_train), batch_size=64, shuffle=True),
            DataLoader(dataset(x[2000:3000], y[2000:3000]), batch_size=1000),
            DataLoader(dataset(x[3000:], y[3000:]), batch_size=1000))


def optimizer(params):
    return torch.optim.SGD(params, lr=0.05, momentum=0.9, weight_decay=0.05)
