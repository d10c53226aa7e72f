"""The model factory fails in the winner's re-runs (a fault that hits those runs only): the
trials and verification, which trains the same seeds (100, 200), build the model."""

import inspect
from pathlib import Path

from _asset_data import loaders, mlp

epochs = 4


def model():
    if any(Path(f.filename).parts[-2:] == ("tuning", "winner.py") for f in inspect.stack()):
        raise RuntimeError("the feature store is down for this seed")
    return mlp()


def data():
    return loaders(n=96)
