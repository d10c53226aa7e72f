"""Digits with 150 training images and a wide MLP trained by SGD with momentum: memorizing.

scikit-learn's 8×8 digits (1,797 images, 64 pixels, 10 classes): 150 training, 300 validation
and the rest as test samples (stratified), pixels scaled to [0, 1]. The user's MLP 64-512-512-10
is trained with SGD (lr 0.05, momentum 0.9) for 80 epochs with batches of 32 and no
regularization. It reaches 100 % training accuracy within a few epochs while validation
accuracy stalls well below, and the validation loss climbs after its minimum.
Condition: over-fitting (small data, large network).
"""

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 80
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 512), nn.ReLU(),
        nn.Linear(512, 512), nn.ReLU(),
        nn.Linear(512, 10),
    )


def data():
    x, y = load_digits(return_X_y=True)
    x = x / 16.0
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, train_size=150, stratify=y, random_state=2)
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, train_size=300, stratify=y_rest, random_state=2)

    def dataset(a, b):
        return TensorDataset(torch.tensor(a, dtype=torch.float32), torch.tensor(b))

    return (DataLoader(dataset(x_train, y_train), batch_size=32, shuffle=True),
            DataLoader(dataset(x_val, y_val), batch_size=256),
            DataLoader(dataset(x_test, y_test), batch_size=256))


def optimizer(params):
    return torch.optim.SGD(params, lr=0.05, momentum=0.9)
