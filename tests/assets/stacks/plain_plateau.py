"""A user's own training script: a plain PyTorch loop, Adam, and ``ReduceLROnPlateau`` stepped
after each epoch with the validation loss.

Run as ``python plain_plateau.py SEED``. The lines between the ``training`` markers are the
training that regadvisor's recommended code replaces.
"""

import random
import sys

import numpy as np
import torch
from digits import build_model, make_loaders
from measure import report
from torch import nn, optim

EPOCHS = 30


def build_optimizer(params):
    return optim.Adam(params, lr=3e-3)


def scheduler(optimizer):
    """Halve the learning rate when the validation loss has not improved for 3 epochs."""
    return optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=3)


def validation_loss(model, loader, criterion):
    model.eval()
    with torch.no_grad():
        total = sum(float(criterion(model(x), y)) * len(y) for x, y in loader)
    return total / len(loader.dataset)


if __name__ == "__main__":
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    train_loader, val_loader, test_loader = make_loaders()
    model = build_model()
    criterion = nn.CrossEntropyLoss()
    # >>> training
    optimizer = build_optimizer(model.parameters())
    lr_scheduler = scheduler(optimizer)
    for _ in range(EPOCHS):
        model.train()
        for x, y in train_loader:
            loss = criterion(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        lr_scheduler.step(validation_loss(model, val_loader, criterion))
    # <<< training
    report(model, test_loader)
