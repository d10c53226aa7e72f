"""MNIST-1D with a wide MLP: an experiment whose full training takes about 30 s on one thread of
the 2-core benchmark machine, for ``benchmarks/bench_budget.py``.

The mnist1d package's generated MNIST-1D (seed 3; 4,000 training, 1,000 validation samples and
the package's test set), MLP 40-1024-1024-10, Adam (lr 1e-3), batches of 32, 40 epochs.
"""

import torch
from mnist1d.data import get_dataset_args, make_dataset
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 40
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(40, 1024), nn.ReLU(),
        nn.Linear(1024, 1024), nn.ReLU(),
        nn.Linear(1024, 10),
    )


def data():
    args = get_dataset_args()
    args.num_samples = 6000
    args.seed = 3
    ds = make_dataset(args)  # generated locally; get_dataset() would try to download
    x = torch.tensor(ds["x"], dtype=torch.float32)
    y = torch.tensor(ds["y"], dtype=torch.int64)
    x_test = torch.tensor(ds["x_test"], dtype=torch.float32)
    y_test = torch.tensor(ds["y_test"], dtype=torch.int64)
    return (DataLoader(TensorDataset(x[:4000], y[:4000]), batch_size=32, shuffle=True),
            DataLoader(TensorDataset(x[4000:5000], y[4000:5000]), batch_size=500),
            DataLoader(TensorDataset(x_test, y_test), batch_size=500))


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-3)
