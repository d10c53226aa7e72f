"""A user's own training script: a plain PyTorch loop on clean digits with few training samples,
trained long enough to become over-confident on new ones.

Run as ``python plain_calibration.py SEED``. The lines between the ``training`` markers are the
training that regadvisor's recommended code replaces; the script then reports the test set's
calibration with and without the ``temperature`` the pasted code fitted (1.0 when it fitted
none).
"""

import random
import sys

import numpy as np
import torch
from digits import build_model
from measure import report_calibration
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

EPOCHS = 60


def make_loaders():
    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    x_train, x_rest, y_train, y_rest = train_test_split(x, y, train_size=150, stratify=y,
                                                        random_state=0)
    x_val, x_test, y_val, y_test = train_test_split(x_rest, y_rest, train_size=400,
                                                    stratify=y_rest, random_state=0)

    def loader(x, y, shuffle):
        return DataLoader(TensorDataset(torch.as_tensor(x), torch.as_tensor(y)),
                          batch_size=32 if shuffle else 256, shuffle=shuffle)

    return loader(x_train, y_train, True), loader(x_val, y_val, False), \
        loader(x_test, y_test, False)


if __name__ == "__main__":
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    train_loader, val_loader, test_loader = make_loaders()
    model = build_model()
    criterion = nn.CrossEntropyLoss()
    temperature = 1.0
    # >>> training
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(EPOCHS):
        model.train()
        for x, y in train_loader:
            loss = criterion(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    # <<< training
    report_calibration(model, test_loader, temperature)
