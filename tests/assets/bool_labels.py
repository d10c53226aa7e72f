"""Boolean labels (x0 > 0) for a classifier with two logits."""

from _asset_data import mlp, tensors
from torch.utils.data import DataLoader, TensorDataset

epochs = 4


def model():
    return mlp(classes=2)


def data():
    x, _ = tensors(n=96)
    y = x[:, 0] > 0
    return (DataLoader(TensorDataset(x[:48], y[:48]), batch_size=16, shuffle=True),
            DataLoader(TensorDataset(x[48:72], y[48:72]), batch_size=24),
            DataLoader(TensorDataset(x[72:], y[72:]), batch_size=24))
