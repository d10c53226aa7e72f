"""Wine with dropout 0.7 and AdamW weight decay 50: a model regularized into under-fitting.

scikit-learn's wine data (178 wines, 13 features, 3 cultivars): 100 training, 39 validation and
39 test samples (stratified), standardized with training statistics. The user's MLP 13-64-64-3
has nn.Dropout(0.7) after each hidden layer and is trained with AdamW (lr 1e-3, weight_decay
50.0) for 60 epochs with batches of 16. The decay shrinks every weight by 5 % a step: the loss
stays at a constant prediction's on both sets.
Condition: under-fitting (over-regularized).
"""

import torch
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 60
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(13, 64), nn.ReLU(), nn.Dropout(0.7),
        nn.Linear(64, 64), nn.ReLU(), nn.Dropout(0.7),
        nn.Linear(64, 3),
    )


def data():
    x, y = load_wine(return_X_y=True)
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, train_size=100, stratify=y, random_state=4)
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, train_size=39, stratify=y_rest, random_state=4)
    mean, std = x_train.mean(0), x_train.std(0)

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mean) / std, dtype=torch.float32), torch.tensor(b))

    return (DataLoader(dataset(x_train, y_train), batch_size=16, shuffle=True),
            DataLoader(dataset(x_val, y_val), batch_size=64),
            DataLoader(dataset(x_test, y_test), batch_size=64))


def optimizer(params):
    return torch.optim.AdamW(params, lr=1e-3, weight_decay=50.0)
