"""Clean digits: the same wide MLP, optimizer and data as ``digits_noisy`` without label noise.

Only the data differ, so the two examples share the rest: the task, the training length and the
model and optimizer factories come from ``digits_noisy`` (its loss does not: like a user who
gives none, this example trains with the task's default loss).
"""

from regadvisor.examples._data import digits_splits, loaders
from regadvisor.examples.digits_noisy import epochs, metric, model, optimizer, task

__all__ = ["data", "epochs", "metric", "model", "optimizer", "task"]


def data():
    return loaders(digits_splits(), batch_size=32, classification=True)
