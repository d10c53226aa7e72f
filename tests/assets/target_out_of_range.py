from _asset_data import tensors
from torch import nn
from torch.utils.data import DataLoader, TensorDataset


def model():
    return nn.Linear(8, 10)


def data():
    x, y = tensors()
    y = y.clone()
    y[5] = 12
    return DataLoader(TensorDataset(x, y), batch_size=16), DataLoader(TensorDataset(x, y))
