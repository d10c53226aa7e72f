"""Six-class synthetic data, label smoothing 0.4 and dropout 0.6: regularized into under-fitting.

scikit-learn's make_classification (3,000 samples, 20 features of which 10 informative and 4
redundant, 6 classes of 2 clusters each, class_sep 1.5): 1,000 training, 1,000 validation and
1,000 test samples, standardized with training statistics. The user's MLP 20-32-32-6 has
nn.Dropout(0.6) after each hidden layer and is trained on nn.CrossEntropyLoss(label_smoothing
=0.4) with Adam (lr 3e-3) for 50 epochs with batches of 32. Smoothing that strong caps the
predicted probability of the right class near 0.67 and the dropout removes most of each
narrow layer: training and validation cross-entropy flatten together near 1.0 and 1.07 with
~86 % / 80 % accuracy, where the same network with dropout 0.1 and no smoothing reaches
~0.06 / 0.44 and 99 % / 88 %.
Condition: under-fitting (over-regularized: label smoothing plus dropout).
"""

import torch
from sklearn.datasets import make_classification
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 50
metric = "accuracy"


def model() -> nn.Module:
    return nn.Sequential(
        nn.Linear(20, 32), nn.ReLU(), nn.Dropout(0.6),
        nn.Linear(32, 32), nn.ReLU(), nn.Dropout(0.6),
        nn.Linear(32, 6),
    )


def data():
    x, y = make_classification(n_samples=3000, n_features=20, n_informative=10, n_redundant=4,
                               n_classes=6, n_clusters_per_class=2, class_sep=1.5,
                               random_state=13)
    mean, std = x[:1000].mean(0), x[:1000].std(0)

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mean) / std, dtype=torch.float32), torch.tensor(b))

    return (DataLoader(dataset(x[:1000], y[:1000]), batch_size=32, shuffle=True),
            DataLoader(dataset(x[1000:2000], y[1000:2000]), batch_size=1000),
            DataLoader(dataset(x[2000:], y[2000:]), batch_size=1000))


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)


def loss():
    return nn.CrossEntropyLoss(label_smoothing=0.4)
