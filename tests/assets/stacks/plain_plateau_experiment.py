"""The experiment file for ``plain_plateau.py``: the user's script's own pieces, imported."""

from digits import build_model, make_loaders
from plain_plateau import EPOCHS, build_optimizer, scheduler

__all__ = ["data", "epochs", "model", "optimizer", "scheduler", "scheduler_interval", "task"]

task = "classification"
epochs = EPOCHS
scheduler_interval = "epoch"
model = build_model
data = make_loaders
optimizer = build_optimizer
