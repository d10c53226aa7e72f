"""Breast cancer with only 60 training samples and a wide MLP: small-data over-fitting.

scikit-learn's Wisconsin breast cancer data (569 patients, 30 features, 2 classes). 60 training
samples (stratified); the other 509 are split into 250 validation and 259 test samples. The
inputs are standardized with the training split's statistics. An MLP 30-512-512-2 (about 280k
weights for 60 samples) trained with Adam (lr 1e-3) for 150 epochs, no regularization. It
reaches 100 % training accuracy at once; the validation loss bottoms out early and then climbs
as the network grows over-confident. Condition: over-fitting.
"""

import torch
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 150
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(30, 512), nn.ReLU(),
        nn.Linear(512, 512), nn.ReLU(),
        nn.Linear(512, 2),
    )


def data():
    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, train_size=60, stratify=y, random_state=0)
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, train_size=250, stratify=y_rest, random_state=0)
    mean, std = x_train.mean(0), x_train.std(0) + 1e-8

    def dataset(a, b):
        a = (a - mean) / std
        return TensorDataset(torch.tensor(a, dtype=torch.float32), torch.tensor(b))

    return (DataLoader(dataset(x_train, y_train), batch_size=16, shuffle=True),
            DataLoader(dataset(x_val, y_val), batch_size=256),
            DataLoader(dataset(x_test, y_test), batch_size=256))


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)


def loss():
    return nn.CrossEntropyLoss()
