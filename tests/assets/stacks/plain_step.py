"""A user's own training script with its own training step: a wide MLP that returns
``(logits, features)``, a loss of cross-entropy plus an auxiliary penalty on the features, and
gradients clipped at norm 1.0 before every optimizer step.

Run as ``python plain_step.py SEED``. The lines between the ``training`` markers are the
training that regadvisor's recommended code replaces.
"""

import random
import sys

import numpy as np
import torch
import torch.nn.functional as F
from digits import make_loaders
from measure import report
from torch import nn, optim

EPOCHS = 25


class TwoHeads(nn.Module):
    """The wide MLP of the digits scripts, returning its logits and its last hidden features."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU())
        self.head = nn.Linear(256, 10)

    def forward(self, x):
        features = self.body(x)
        return self.head(features), features


def build_model():
    return TwoHeads()


def build_optimizer(params):
    return optim.Adam(params, lr=2e-3)


def training_step(model, batch):
    """Cross-entropy on the logits plus 0.1 × the mean squared feature."""
    x, y = batch
    logits, features = model(x)
    return F.cross_entropy(logits, y) + 0.1 * features.pow(2).mean()


def clip_grad(model):
    nn.utils.clip_grad_norm_(model.parameters(), 1.0)


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
    for _ in range(EPOCHS):
        model.train()
        for batch in train_loader:
            loss = training_step(model, batch)
            optimizer.zero_grad()
            loss.backward()
            clip_grad(model)
            optimizer.step()
    # <<< training
    report(model, test_loader)
