"""An experiment that trains as its author does: a model returning (logits, features), a loss
with an auxiliary term on the features, and gradients clipped at norm 1."""

import torch
import torch.nn.functional as F
from _asset_data import tensors
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

epochs = 4


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(8, 32), nn.ReLU())
        self.head = nn.Linear(32, 3)

    def forward(self, x):
        features = self.body(x)
        return self.head(features), features


def model():
    return TwoHeads()


def data():
    x, y = tensors()
    return (DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True),
            DataLoader(TensorDataset(x, y), batch_size=64))


def training_step(model, batch):
    x, y = batch
    logits, features = model(x)
    return F.cross_entropy(logits, y) + 0.1 * features.pow(2).mean()


def clip_grad(model):
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
