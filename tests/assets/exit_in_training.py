"""forward() calls sys.exit(3) in train mode: the checks (eval mode) pass, training does not."""

import sys

from _asset_data import loaders
from torch import nn

epochs = 3


class Quitting(nn.Linear):
    def forward(self, x):
        if self.training:
            sys.exit(3)
        return super().forward(x)


def model():
    return Quitting(8, 3)


def data():
    return loaders()
