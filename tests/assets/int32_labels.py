"""good_experiment.py with its class labels as torch.int32 (what NumPy gives on some systems)."""

import torch
from _asset_data import loaders, mlp
from torch.utils.data import DataLoader, TensorDataset

epochs = 3


def model():
    return mlp()


def data():
    train, val = loaders()
    (xt, yt), (xv, yv) = train.dataset.tensors, val.dataset.tensors
    return (DataLoader(TensorDataset(xt, yt.int()), batch_size=16, shuffle=True),
            DataLoader(TensorDataset(xv, yv.int()), batch_size=16))


def optimizer(params):
    return torch.optim.SGD(params, lr=0.1, momentum=0.9, weight_decay=1e-4)
