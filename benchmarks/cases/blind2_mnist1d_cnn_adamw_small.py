"""MNIST-1D with only 500 training signals, a plain 1-D CNN and AdamW at weight decay 1e-4.

The mnist1d package's generated MNIST-1D (40-sample signals, 10 classes; generated locally with
make_dataset, seed 11): 500 training and 1,000 validation samples and the package's test
samples. The user's 1-D CNN (two conv layers of 16 and 32 channels with max pooling, a flattened
320-256-10 head, no dropout, no BatchNorm) is trained with AdamW (lr 2e-3, weight_decay 1e-4)
for 40 epochs with batches of 50. Training accuracy reaches 100 % by epoch ~30; the validation
loss is at its minimum around epoch 18-21 (~1.1-1.2) and ends ~40 % above it, with validation
accuracy near 60 %.
Condition: over-fitting (small data set; the weight decay is far too weak to matter).
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
        nn.Conv1d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(16, 32, 5, padding=2), nn.ReLU(), nn.MaxPool1d(2),
        nn.Flatten(),
        nn.Linear(32 * 10, 256), nn.ReLU(),
        nn.Linear(256, 10),
    )


def data():
    args = get_dataset_args()
    args.num_samples = 2000
    args.seed = 11
    ds = make_dataset(args)  # generated locally; get_dataset() would try to download
    x = torch.tensor(ds["x"][:, None, :], dtype=torch.float32)
    y = torch.tensor(ds["y"], dtype=torch.int64)
    x_test = torch.tensor(ds["x_test"][:, None, :], dtype=torch.float32)
    y_test = torch.tensor(ds["y_test"], dtype=torch.int64)
    return (DataLoader(TensorDataset(x[:500], y[:500]), batch_size=50, shuffle=True),
            DataLoader(TensorDataset(x[500:1500], y[500:1500]), batch_size=500),
            DataLoader(TensorDataset(x_test, y_test), batch_size=500))


def optimizer(params):
    return torch.optim.AdamW(params, lr=2e-3, weight_decay=1e-4)
