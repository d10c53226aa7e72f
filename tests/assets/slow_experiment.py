"""A small experiment whose training steps sleep, so a trial lasts a few seconds."""

import time

import torch
from _asset_data import loaders
from torch import nn

epochs = 12


class Slow(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, x):
        if self.training:
            time.sleep(0.05)
        return self.net(x)


def model():
    return Slow()


def data():
    return loaders()


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-2)
