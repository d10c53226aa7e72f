"""OneCycleLR planned for 4 steps, stepped every batch of a run of 2 steps per epoch: its fifth
step (epoch 3) raises."""

import torch
from _asset_data import loaders, mlp

epochs = 10
scheduler_interval = "step"


def model():
    return mlp()


def data():
    return loaders()


def scheduler(optimizer):
    return torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=0.01, total_steps=4)
