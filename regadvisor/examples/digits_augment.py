"""Digits as 8×8 images with an augmentation strength the tuner can search.

scikit-learn's digits, 200 training and 300 validation images (the rest is the test set), and a
wide MLP over the 64 pixels trained with Adam for 80 epochs. ``data(augment=s)`` builds the
training loader with random augmentation of strength ``s`` in [0, 1]: each time an image is
read it is, with probability ``s``, shifted by one pixel in a random direction (zeros fill in),
and it gets Gaussian pixel noise of standard deviation ``0.1·s``. The user trains without
augmentation (``augment=0.0``, the default); regadvisor searches ``s`` with weight decay, dropout
and early stopping.
"""

import torch
from torch import nn, optim
from torch.utils.data import DataLoader, Dataset, TensorDataset

from regadvisor.examples._data import digits_splits

task = "classification"
epochs = 80
metric = "accuracy"


class Augmented(Dataset):
    """Images with random shifts and pixel noise, drawn anew at every read."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, strength: float) -> None:
        self.x, self.y, self.strength = x, y, strength

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        image = self.x[i]
        if torch.rand(()) < self.strength:
            dy, dx = torch.randint(-1, 2, (2,)).tolist()
            image = torch.roll(image, (dy, dx), dims=(1, 2))
            if dy > 0:
                image[:, :dy] = 0
            elif dy < 0:
                image[:, dy:] = 0
            if dx > 0:
                image[:, :, :dx] = 0
            elif dx < 0:
                image[:, :, dx:] = 0
        if self.strength:
            image = image + 0.1 * self.strength * torch.randn_like(image)
        return image, self.y[i]


def model() -> nn.Module:
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(64, 512), nn.ReLU(),
        nn.Linear(512, 512), nn.ReLU(),
        nn.Linear(512, 10),
    )


def data(augment: float = 0.0):
    splits = digits_splits(n_train=200, n_val=300, image=True)
    (x_train, y_train), *rest = [(torch.tensor(x), torch.tensor(y)) for x, y in splits]
    train = Augmented(x_train, y_train, augment) if augment else TensorDataset(x_train, y_train)
    return (DataLoader(train, batch_size=32, shuffle=True),
            *(DataLoader(TensorDataset(x, y), batch_size=256) for x, y in rest))


def optimizer(params):
    return optim.Adam(params, lr=1e-3)
