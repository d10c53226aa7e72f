"""Breast cancer with logistic regression and SGD: a well-fitted linear model.

scikit-learn's breast cancer data (569 tumours, 30 features, 2 classes): 300 training, 120
validation and 149 test samples (stratified), standardized with training statistics. The user's
model is a single nn.Linear(30, 2) trained with SGD (lr 0.01, momentum 0.9) for 60 epochs with
batches of 32. Thirty features for 300 samples is little capacity: training and validation
accuracy stay within a couple of points of each other and the validation loss flattens.
Condition: good fit (a linear model with enough data).
"""

import torch
from sklearn.datasets import load_breast_cancer
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 60
metric = "accuracy"


def model() -> nn.Module:
    return nn.Linear(30, 2)


def data():
    x, y = load_breast_cancer(return_X_y=True)
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, train_size=300, stratify=y, random_state=1)
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, train_size=120, stratify=y_rest, random_state=1)
    mean, std = x_train.mean(0), x_train.std(0)

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mean) / std, dtype=torch.float32), torch.tensor(b))

    return (DataLoader(dataset(x_train, y_train), batch_size=32, shuffle=True),
            DataLoader(dataset(x_val, y_val), batch_size=128),
            DataLoader(dataset(x_test, y_test), batch_size=128))


def optimizer(params):
    return torch.optim.SGD(params, lr=0.01, momentum=0.9)
