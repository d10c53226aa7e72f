"""Tabular rows with numeric and categorical columns: an MLP over numbers and embeddings.

Generated data (no download): 8 numeric features from scikit-learn's ``make_classification``
(3 classes) and two categorical columns with 12 and 6 levels, each of whose levels shifts the
class scores; 300 training, 300 validation and 1,000 test rows, 10 % of the training and
validation labels wrong. Each batch is ``(x_num, x_cat, y)``, so regadvisor calls the model as
``model(x_num, x_cat)``; the model embeds each categorical column (8 dimensions) and feeds the
numbers and the embeddings to a wide MLP, trained with Adam for 80 epochs.
"""

import numpy as np
import torch
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 80
metric = "accuracy"

LEVELS = (12, 6)


class TabularNet(nn.Module):
    def __init__(self, n_num: int = 8, levels: tuple[int, ...] = LEVELS, n_classes: int = 3):
        super().__init__()
        self.embeddings = nn.ModuleList(nn.Embedding(n, 8) for n in levels)
        self.mlp = nn.Sequential(
            nn.Linear(n_num + 8 * len(levels), 256), nn.ReLU(),
            nn.Linear(256, 256), nn.ReLU(),
            nn.Linear(256, n_classes),
        )

    def forward(self, x_num: torch.Tensor, x_cat: torch.Tensor) -> torch.Tensor:
        embedded = [emb(x_cat[:, i]) for i, emb in enumerate(self.embeddings)]
        return self.mlp(torch.cat([x_num, *embedded], dim=1))


def model() -> nn.Module:
    return TabularNet()


def tables(n: int = 1600, seed: int = 0):
    """Numeric features, categorical codes and labels (the first 600 labels 10 % noisy)."""
    from sklearn.datasets import make_classification

    x, y = make_classification(n_samples=n, n_features=8, n_informative=5, n_classes=3,
                               random_state=seed)
    rng = np.random.default_rng(seed)
    cats = np.stack([rng.integers(0, k, size=n) for k in LEVELS], axis=1)
    effects = [rng.normal(0, 1.5, size=(k, 3)) for k in LEVELS]
    scores = np.eye(3)[y] * 2 + sum(e[cats[:, i]] for i, e in enumerate(effects))
    y = scores.argmax(1)
    noisy = rng.random(600) < 0.1
    y[:600][noisy] = (y[:600][noisy] + rng.integers(1, 3, size=noisy.sum())) % 3
    x = (x - x[:300].mean(0)) / x[:300].std(0)
    return (torch.tensor(x, dtype=torch.float32), torch.tensor(cats, dtype=torch.int64),
            torch.tensor(y, dtype=torch.int64))


def data():
    x, cats, y = tables()

    def rows(a: int, b: int) -> TensorDataset:
        return TensorDataset(x[a:b], cats[a:b], y[a:b])

    return (DataLoader(rows(0, 300), batch_size=32, shuffle=True),
            DataLoader(rows(300, 600), batch_size=256),
            DataLoader(rows(600, 1600), batch_size=256))


def optimizer(params):
    return optim.Adam(params, lr=1e-3)
