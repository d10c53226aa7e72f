"""The validation set's first batch is fine; a later one holds class 7 for a 3-class model."""

import torch
from _asset_data import loaders, mlp
from torch.utils.data import DataLoader, Dataset

epochs = 3


class Labels(Dataset):
    def __init__(self, x, y):
        self.x, self.y = x, y

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], (torch.tensor(7) if i == 25 else self.y[i])


def model():
    return mlp()


def data():
    train, val = loaders()
    x, y = val.dataset.tensors
    return train, DataLoader(Labels(x, y), batch_size=16)
