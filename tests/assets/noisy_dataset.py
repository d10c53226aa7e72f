"""Points with noisy labels behind a custom Dataset, and a small MLP (tests vary its pieces)."""

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

epochs = 3


class Noisy(Dataset):
    """Points in 8 dimensions; a fraction `noise` of the labels replaced at random."""

    def __init__(self, n, noise, seed):
        g = torch.Generator().manual_seed(seed)
        self.x = torch.randn(n, 8, generator=g)
        self.y = (self.x[:, 0] > 0).long() + (self.x[:, 1] > 0.5).long()
        flip = torch.rand(n, generator=g) < noise
        self.y[flip] = torch.randint(0, 3, (int(flip.sum()),), generator=g)

    def __len__(self):
        return len(self.y)

    def __getitem__(self, i):
        return self.x[i], self.y[i]


def model():
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))


def data():
    return (DataLoader(Noisy(96, 0.2, 0), batch_size=16, shuffle=True),
            DataLoader(Noisy(48, 0.0, 1), batch_size=16),
            DataLoader(Noisy(48, 0.0, 2), batch_size=16))
