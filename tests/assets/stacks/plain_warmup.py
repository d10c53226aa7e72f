"""A user's own training script: a plain PyTorch loop, AdamW with the user's own param groups
(biases and the output layer's weights undecayed) and a linear warm-up of the learning rate
from 0, stepped every batch.

Run as ``python plain_warmup.py SEED``. The lines between the ``training`` markers are the
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
WARMUP_STEPS = 100


def build_optimizer(params):
    """AdamW with the user's own groups: the hidden weights decayed, the biases and the output
    layer's weights not."""
    params = list(params)
    decayed = [p for p in params if p.ndim > 1][:-1]
    kept = [p for p in params if not any(p is q for q in decayed)]
    return optim.AdamW([{"params": decayed, "weight_decay": 1e-4},
                        {"params": kept, "weight_decay": 0.0}], lr=3e-3)


def scheduler(optimizer):
    """Linear warm-up from 0 over WARMUP_STEPS optimizer steps, then constant."""
    return optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, step / WARMUP_STEPS))


def train_one_epoch(model, optimizer, criterion, lr_scheduler=None):
    model.train()
    for x, y in train_loader:
        loss = criterion(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if lr_scheduler is not None:
            lr_scheduler.step()


def evaluate(model, loader):
    model.eval()
    with torch.no_grad():
        hits = sum(int((model(x).argmax(-1) == y).sum()) for x, y in loader)
    return hits / len(loader.dataset)


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
    for epoch in range(EPOCHS):
        train_one_epoch(model, optimizer, criterion, lr_scheduler)
        print(f"epoch {epoch + 1}: validation accuracy {evaluate(model, val_loader):.3f}",
              file=sys.stderr)
    # <<< training
    report(model, test_loader)
