"""The experiment file for ``plain_step.py``: the user's script's own pieces, imported, its
training step and gradient clipping among them."""

from digits import make_loaders
from plain_step import EPOCHS, build_model, build_optimizer, clip_grad, training_step

__all__ = ["clip_grad", "data", "epochs", "model", "optimizer", "task", "training_step"]

task = "classification"
epochs = EPOCHS
model = build_model
data = make_loaders
optimizer = build_optimizer
