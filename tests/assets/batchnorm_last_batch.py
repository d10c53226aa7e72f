"""33 training samples in batches of 16 and a BatchNorm layer: the last batch has one sample."""

from _asset_data import tensors
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

epochs = 3


def model():
    return nn.Sequential(nn.Linear(8, 16), nn.BatchNorm1d(16), nn.ReLU(), nn.Linear(16, 3))


def data():
    x, y = tensors(n=66)
    return (DataLoader(TensorDataset(x[:33], y[:33]), batch_size=16, shuffle=True),
            DataLoader(TensorDataset(x[33:], y[33:]), batch_size=16))
