"""Bags of categorical tokens, an EmbeddingBag model with a 2,000-row table: over-fitting.

A generated text-like task: each sample is a bag of 30 tokens drawn from a vocabulary of
2,000 with a Zipf-like frequency (a few common tokens, a long tail of rare ones). Every token
carries a hidden Gaussian weight and the label says whether the bag's total weight is above
the median, so common tokens can be learned and rare ones can only be memorized. 1,000
training, 1,000 validation and 1,000 test samples. The user's model:
nn.EmbeddingBag(2000, 64, mode="mean") followed by a 64-64-2 MLP (about 132k weights, nearly
all in the table), trained with Adam (lr 5e-3), no regularization, for 40 epochs. The table
memorizes the training bags within a few epochs: training accuracy 100 %, training loss near
zero, while the validation loss is lowest after the first epoch and then climbs to about
three times that (validation accuracy ~70 %; an L2-regularized logistic regression on the bag
counts gets ~74 %). Condition: over-fitting (embedding table far larger than the data).
"""

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 40
metric = "accuracy"

VOCAB, BAG = 2000, 30


def model() -> nn.Module:
    return nn.Sequential(
        nn.EmbeddingBag(VOCAB, 64, mode="mean"),
        nn.Linear(64, 64), nn.ReLU(),
        nn.Linear(64, 2),
    )


def data():
    rng = np.random.default_rng(1)
    freq = 1.0 / np.arange(1, VOCAB + 1) ** 0.8
    tokens = rng.choice(VOCAB, size=(3000, BAG), p=freq / freq.sum())
    weight = rng.normal(size=VOCAB)
    score = weight[tokens].sum(axis=1)
    y = (score > np.median(score)).astype(np.int64)
    x, y = torch.tensor(tokens), torch.tensor(y)
    return (DataLoader(TensorDataset(x[:1000], y[:1000]), batch_size=32, shuffle=True),
            DataLoader(TensorDataset(x[1000:2000], y[1000:2000]), batch_size=500),
            DataLoader(TensorDataset(x[2000:], y[2000:]), batch_size=500))


def optimizer(params):
    return torch.optim.Adam(params, lr=5e-3)
