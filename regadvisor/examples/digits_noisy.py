"""Digits with noisy labels: the bundled default experiment.

scikit-learn's 8×8 digits, 300 training and 300 validation samples of which 20 % carry a wrong
label (as crowd-sourced labels do; the test labels stay clean), and a wide MLP (64-512-512-10)
trained with Adam and no regularization for 100 epochs. The network memorizes the wrong labels;
regularization matters here.
"""

from torch import nn, optim

from regadvisor.examples._data import digits_splits, loaders

task = "classification"
epochs = 100
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(64, 512), nn.ReLU(),
        nn.Linear(512, 512), nn.ReLU(),
        nn.Linear(512, 10),
    )


def data():
    return loaders(digits_splits(label_noise=0.2), batch_size=32, classification=True)


def optimizer(params):
    return optim.Adam(params, lr=1e-3)


def loss():
    return nn.CrossEntropyLoss()
