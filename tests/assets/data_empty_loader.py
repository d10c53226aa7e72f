import torch
from _asset_data import loaders, mlp
from torch.utils.data import DataLoader, TensorDataset


def model():
    return mlp()


def data():
    empty = DataLoader(TensorDataset(torch.zeros(0, 8), torch.zeros(0, dtype=torch.long)))
    return loaders()[0], empty
