"""Wine with a small MLP, dropout and AdamW that already exempts biases: a good fit.

scikit-learn's wine data (178 wines, 13 chemical features, 3 cultivars): 100 training, 39
validation and 39 test samples (stratified), standardized with training statistics. The
user's MLP 13-32-3 has dropout 0.2 on its hidden layer and is trained with AdamW (lr 3e-3)
whose param groups put weight decay 1e-2 on the weight matrices only (biases exempt), for 80
epochs. The classes are nearly linearly separable and the model is small: training and
validation accuracy both end near 100 %, the validation loss is low and flat at the end.
Condition: good fit (right-sized and already regularized).
"""

import torch
from sklearn.datasets import load_wine
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 80
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(13, 32), nn.ReLU(), nn.Dropout(0.2),
        nn.Linear(32, 3),
    )


def data():
    x, y = load_wine(return_X_y=True)
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, train_size=100, stratify=y, random_state=0)
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, train_size=39, stratify=y_rest, random_state=0)
    mean, std = x_train.mean(0), x_train.std(0)

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mean) / std, dtype=torch.float32), torch.tensor(b))

    return (DataLoader(dataset(x_train, y_train), batch_size=16, shuffle=True),
            DataLoader(dataset(x_val, y_val), batch_size=64),
            DataLoader(dataset(x_test, y_test), batch_size=64))


def optimizer(params):
    params = list(params)
    return torch.optim.AdamW([
        {"params": [p for p in params if p.ndim > 1], "weight_decay": 1e-2},
        {"params": [p for p in params if p.ndim == 1], "weight_decay": 0.0},  # biases
    ], lr=3e-3)
