"""MNIST-1D with a 1-D CNN under dropout 0.8 and heavy SGD weight decay: under-fitting.

The mnist1d package's generated MNIST-1D (40-sample signals, 10 classes; generated locally with
make_dataset, seed 7): 2,000 training, 1,000 validation and the package's test samples. The
user's 1-D CNN (two conv layers, a hidden linear layer) has nn.Dropout(0.8) before each linear
layer and is trained with SGD (lr 0.02, momentum 0.9, weight_decay 0.05) for 30 epochs with
batches of 100. Both losses stay high and close together.
Condition: under-fitting (over-regularized convolutional model).
"""

import torch
from mnist1d.data import get_dataset_args, make_dataset
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 30
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Conv1d(1, 32, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(32, 32, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
        nn.Flatten(),
        nn.Dropout(0.8), nn.Linear(32 * 10, 128), nn.ReLU(),
        nn.Dropout(0.8), nn.Linear(128, 10),
    )


def data():
    args = get_dataset_args()
    args.num_samples = 4000
    args.seed = 7
    ds = make_dataset(args)  # generated locally; get_dataset() would try to download
    x = torch.tensor(ds["x"][:, None, :], dtype=torch.float32)
    y = torch.tensor(ds["y"], dtype=torch.int64)
    x_test = torch.tensor(ds["x_test"][:, None, :], dtype=torch.float32)
    y_test = torch.tensor(ds["y_test"], dtype=torch.int64)
    return (DataLoader(TensorDataset(x[:2000], y[:2000]), batch_size=100, shuffle=True),
            DataLoader(TensorDataset(x[2000:3000], y[2000:3000]), batch_size=500),
            DataLoader(TensorDataset(x_test, y_test), batch_size=500))


def optimizer(params):
    return torch.optim.SGD(params, lr=0.02, momentum=0.9, weight_decay=0.05)
