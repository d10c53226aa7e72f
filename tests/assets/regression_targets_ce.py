from _asset_data import tensors
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def model():
    return nn.Linear(8, 1)


def data():
    x, _ = tensors()
    y = x.sum(dim=1)
    return DataLoader(TensorDataset(x, y), batch_size=16), DataLoader(TensorDataset(x, y))


def loss():
    return nn.CrossEntropyLoss()
