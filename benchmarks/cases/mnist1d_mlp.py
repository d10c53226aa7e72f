"""MNIST-1D with a plain MLP: a medium data set that an unregularized MLP over-fits.

MNIST-1D (Greydanus, 2020) is generated locally with the ``mnist1d`` package (no download):
1-D signals of length 40, ten classes. 3,000 training, 1,000 validation and 1,000 test samples;
an MLP 40-100-100-10 trained with Adam (lr 1e-2) for 60 epochs. The MLP has no notion of
translation, so it memorizes the training signals: training accuracy reaches ~100 % while the
validation loss turns up after a few epochs and keeps rising. Condition: over-fitting.
"""

import torch
from mnist1d.data import get_dataset_args, make_dataset
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 60
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(40, 100), nn.ReLU(),
        nn.Linear(100, 100), nn.ReLU(),
        nn.Linear(100, 10),
    )


def data():
    args = get_dataset_args()
    args.num_samples = 5000  # 4,000 in 'x' (train + val), 1,000 in 'x_test'
    args.seed = 42
    ds = make_dataset(args)  # generated locally; get_dataset() would try to download
    x = torch.tensor(ds["x"], dtype=torch.float32)
    y = torch.tensor(ds["y"], dtype=torch.int64)
    x_test = torch.tensor(ds["x_test"], dtype=torch.float32)
    y_test = torch.tensor(ds["y_test"], dtype=torch.int64)
    train = TensorDataset(x[:3000], y[:3000])
    val = TensorDataset(x[3000:4000], y[3000:4000])
    test = TensorDataset(x_test, y_test)
    return (DataLoader(train, batch_size=100, shuffle=True),
            DataLoader(val, batch_size=500),
            DataLoader(test, batch_size=500))


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-2)


def loss():
    return nn.CrossEntropyLoss()
