"""Digits with noisy labels, trained the way many scripts train: AdamW under a one-cycle schedule.

The data and the wide MLP of ``digits_noisy`` (300 training samples, 20 % wrong labels), trained
for 60 epochs with AdamW (λ 0.01) whose learning rate follows ``OneCycleLR``: it warms up to
3e-3 over the first 30 % of the steps and anneals towards zero after, stepped once per batch
(``scheduler_interval = "step"``). regadvisor rebuilds the schedule on every optimizer it makes
(AdamW with biases exempt), so the baseline, each trial and verification train under it.
"""

from torch import optim

from regadvisor.examples._data import digits_splits, loaders
from regadvisor.examples.digits_noisy import model

__all__ = ["data", "epochs", "metric", "model", "optimizer", "scheduler", "scheduler_interval",
           "task"]

task = "classification"
epochs = 60
metric = "accuracy"
scheduler_interval = "step"

BATCH_SIZE = 32
N_TRAIN = 300


def data():
    return loaders(digits_splits(n_train=N_TRAIN, label_noise=0.2), batch_size=BATCH_SIZE,
                   classification=True)


def optimizer(params):
    return optim.AdamW(params, lr=3e-3, weight_decay=1e-2)


def scheduler(opt):
    steps_per_epoch = -(-N_TRAIN // BATCH_SIZE)
    return optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, epochs=epochs,
                                         steps_per_epoch=steps_per_epoch)
