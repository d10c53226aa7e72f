"""Tiny data shared by the test projects in this folder (imported from beside them)."""

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def tensors(n=64, d=8, classes=3, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
    return x, y.clamp(max=classes - 1)


def loaders(n=64, batch_size=16, **kw):
    x, y = tensors(n, **kw)
    half = n // 2
    return (DataLoader(TensorDataset(x[:half], y[:half]), batch_size=batch_size, shuffle=True),
            DataLoader(TensorDataset(x[half:], y[half:]), batch_size=batch_size))


def mlp(d=8, classes=3):
    return nn.Sequential(nn.Linear(d, 16), nn.ReLU(), nn.Linear(16, classes))
