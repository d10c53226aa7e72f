"""The experiment file for ``plain_warmup.py``: the user's script's own pieces, imported."""

from digits import build_model, make_loaders
from plain_warmup import EPOCHS, build_optimizer, scheduler

__all__ = ["data", "epochs", "model", "optimizer", "scheduler", "scheduler_interval", "task"]

task = "classification"
epochs = EPOCHS
scheduler_interval = "step"
model = build_model
data = make_loaders
optimizer = build_optimizer
