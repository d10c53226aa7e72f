"""A small experiment whose optimizer already has param groups: biases and the output layer's
weights are left undecayed by the user. Digits with noisy labels, wide MLP, AdamW."""

from torch import nn, optim

from regadvisor.examples._data import digits_splits, loaders

task = "classification"
epochs = 15


def model():
    return nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                         nn.Linear(256, 10))


def data():
    return loaders(digits_splits(n_train=200, n_val=200, label_noise=0.2), batch_size=20,
                   classification=True)


def optimizer(params):
    params = list(params)
    decayed = [p for p in params[:4] if p.ndim > 1]  # 0.weight, 2.weight
    kept = [p for p in params if not any(p is q for q in decayed)]  # biases and 4.weight
    return optim.AdamW([{"params": decayed, "weight_decay": 1e-3},
                        {"params": kept, "weight_decay": 0.0}], lr=3e-3)
