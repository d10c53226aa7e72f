"""One-hot (soft) float labels with nn.CrossEntropyLoss, which PyTorch accepts."""

import torch
from _asset_data import tensors
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

epochs = 4


def model():
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))


def data():
    x, y = tensors(n=96)
    onehot = torch.nn.functional.one_hot(y, 3).float()
    return (DataLoader(TensorDataset(x[:48], onehot[:48]), batch_size=16, shuffle=True),
            DataLoader(TensorDataset(x[48:72], onehot[48:72]), batch_size=24),
            DataLoader(TensorDataset(x[72:], onehot[72:]), batch_size=24))


def loss():
    return nn.CrossEntropyLoss()
