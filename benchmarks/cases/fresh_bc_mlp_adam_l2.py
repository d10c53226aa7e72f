"""Breast cancer with 80 training samples, a wide MLP and Adam's coupled L2: over-fitting.

scikit-learn's breast cancer data (569 tumours, 30 features, 2 classes): 80 training, 150
validation and 339 test samples (stratified), standardized with training statistics. The
user's MLP 30-512-512-2 is trained with Adam (lr 1e-3, weight_decay 1e-4 as an L2 term in the
gradient) for 150 epochs with batches of 16. The training loss goes to nearly zero and the
validation loss rises steadily after an early minimum; the small L2 term does not hold it.
Condition: over-fitting, with Adam's L2 instead of decoupled weight decay.
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
        x, y, train_size=80, stratify=y, random_state=8)
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, train_size=150, stratify=y_rest, random_state=8)
    mean, std = x_train.mean(0), x_train.std(0)

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mean) / std, dtype=torch.float32), torch.tensor(b))

    return (DataLoader(dataset(x_train, y_train), batch_size=16, shuffle=True),
            DataLoader(dataset(x_val, y_val), batch_size=256),
            DataLoader(dataset(x_test, y_test), batch_size=256))


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3, weight_decay=1e-4)
