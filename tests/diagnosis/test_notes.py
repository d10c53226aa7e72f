"""What the diagnosis says beside its verdict: training figures taken on augmented samples."""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, TensorDataset

from regadvisor.experiment import build_experiment
from regadvisor.pipeline import diagnose


class Jittered(Dataset):
    """Digits-like inputs with random noise added on every read (a random transform)."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        return self.x[i] + 0.8 * torch.randn_like(self.x[i]), self.y[i]


def test_augmented_training_figures_are_flagged():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(300, 10, generator=g)
    y = (x[:, :3].sum(1) > 0).long()

    def data():
        return (DataLoader(Jittered(x[:200], y[:200]), batch_size=32, shuffle=True),
                DataLoader(TensorDataset(x[200:], y[200:]), batch_size=100))

    exp = build_experiment(model=lambda: nn.Sequential(nn.Linear(10, 32), nn.ReLU(),
                                                       nn.Linear(32, 2)), data=data, epochs=10)
    result = diagnose(exp)
    assert result.facts["has_augmentation"]
    assert any("augmented samples" in note and "understates overfitting" in note
               for note in result.notes)


def test_plain_tensors_get_no_such_note():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(200, 10, generator=g)
    y = (x[:, 0] > 0).long()

    def data():
        return (DataLoader(TensorDataset(x[:100], y[:100]), batch_size=32, shuffle=True),
                DataLoader(TensorDataset(x[100:], y[100:]), batch_size=100))

    exp = build_experiment(model=lambda: nn.Linear(10, 2), data=data, epochs=10)
    assert not any("augmented" in n for n in diagnose(exp).notes)
