"""Digits as 8x8 images, 1,200 training images, a compact BatchNorm conv net: a good fit.

scikit-learn's digits as 1x8x8 images (pixels scaled to [0, 1]): 1,200 training, 300
validation and 297 test images (stratified). The user's conv net is right-sized (about 5k
weights): two Conv2d-BatchNorm-ReLU blocks (16 and 32 channels) with max-pooling, global
average pooling, dropout 0.2 and a 32-10 linear head. It is trained with AdamW (lr 3e-3,
batches of 64) whose param groups already exempt biases and BatchNorm parameters from weight
decay (5e-2 on conv and linear weights), for 40 epochs. The validation loss is still at its
best at the end and validation accuracy (~96 %) sits a few points under training accuracy, as
expected on digits. Condition: good fit (already regularized).
"""

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 40
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Dropout(0.2),
        nn.Linear(32, 10),
    )


def data():
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).reshape(-1, 1, 8, 8).astype(np.float32)
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, train_size=1200, stratify=y, random_state=3)
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, train_size=300, stratify=y_rest, random_state=3)

    def dataset(a, b):
        return TensorDataset(torch.tensor(a), torch.tensor(b))

    return (DataLoader(dataset(x_train, y_train), batch_size=64, shuffle=True),
            DataLoader(dataset(x_val, y_val), batch_size=512),
            DataLoader(dataset(x_test, y_test), batch_size=512))


def optimizer(params):
    params = list(params)
    return torch.optim.AdamW([
        {"params": [p for p in params if p.ndim > 1], "weight_decay": 5e-2},
        {"params": [p for p in params if p.ndim <= 1], "weight_decay": 0.0},  # biases, BatchNorm
    ], lr=3e-3)
