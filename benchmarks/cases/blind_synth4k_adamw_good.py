"""Three-class synthetic data, 2,400 training samples, a moderate MLP under AdamW: a good fit.

scikit-learn's make_classification (4,000 samples, 16 features of which 8 informative and 4
redundant, 3 classes of 2 clusters each, class_sep 1.2, 1 % random labels): 2,400 training,
800 validation and 800 test samples, standardized with training statistics. The user's MLP
16-64-64-3 is trained with AdamW at its defaults (lr 1e-3, weight_decay 0.01) for 25 epochs
with batches of 64. The data are ample for the model: validation loss flattens in the last
epochs with training loss only a little below it.
Condition: good fit.
"""

import torch
from sklearn.datasets import make_classification
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 25
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(16, 64), nn.ReLU(),
        nn.Linear(64, 64), nn.ReLU(),
        nn.Linear(64, 3),
    )


def data():
    x, y = make_classification(n_samples=4000, n_features=16, n_informative=8, n_redundant=4,
                               n_classes=3, n_clusters_per_class=2, class_sep=1.2, flip_y=0.01,
                               random_state=29)
    mean, std = x[:2400].mean(0), x[:2400].std(0)

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mean) / std, dtype=torch.float32), torch.tensor(b))

    return (DataLoader(dataset(x[:2400], y[:2400]), batch_size=64, shuffle=True),
            DataLoader(dataset(x[2400:3200], y[2400:3200]), batch_size=800),
            DataLoader(dataset(x[3200:], y[3200:]), batch_size=800))


def optimizer(params):
    return torch.optim.AdamW(params)
