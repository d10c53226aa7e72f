"""MNIST-1D with a compact 1-D conv net (BatchNorm, global pooling) and AdamW: a good fit.

MNIST-1D generated locally with the ``mnist1d`` package (no download): 2,000 training, 1,000
validation and 1,000 test signals of length 40, ten classes. The user's 1-D conv net has three
Conv1d-BatchNorm-ReLU blocks (16, 32, 32 channels), max-pooling, global average pooling and a
32-10 linear head (about 6k weights), so the translation-invariant structure does the
regularizing; it is trained with AdamW (lr 3e-3, weight_decay 1e-2 on every parameter) for
20 epochs. The validation loss is still at or near its best at the end (validation accuracy
~94 %, a few points under training accuracy). Condition: good fit (right-sized model).
"""

import torch
from mnist1d.data import get_dataset_args, make_dataset
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 20
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Conv1d(1, 16, 5, padding=2), nn.BatchNorm1d(16), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(16, 32, 5, padding=2), nn.BatchNorm1d(32), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(32, 32, 3, padding=1), nn.BatchNorm1d(32), nn.ReLU(),
        nn.AdaptiveAvgPool1d(1),
        nn.Flatten(),
        nn.Linear(32, 10),
    )


def data():
    args = get_dataset_args()
    args.num_samples = 5000
    args.seed = 11
    ds = make_dataset(args)  # generated locally; get_dataset() would try to download
    x = torch.tensor(ds["x"][:, None, :], dtype=torch.float32)
    y = torch.tensor(ds["y"], dtype=torch.int64)
    x_test = torch.tensor(ds["x_test"][:, None, :], dtype=torch.float32)
    y_test = torch.tensor(ds["y_test"], dtype=torch.int64)
    return (DataLoader(TensorDataset(x[:2000], y[:2000]), batch_size=100, shuffle=True),
            DataLoader(TensorDataset(x[2000:3000], y[2000:3000]), batch_size=500),
            DataLoader(TensorDataset(x_test, y_test), batch_size=500))


def optimizer(params):
    return torch.optim.AdamW(params, lr=3e-3, weight_decay=1e-2)
