"""Logistic regression on wide data: 500 features, 10 informative, 200 training samples.

scikit-learn's make_classification with 500 features of which only 10 carry signal (no
redundant copies), 2 classes; 200 training, 250 validation and 250 test samples, standardized
with training statistics. The user's model is a single nn.Linear(500, 2) (logistic
regression) trained with Adam (lr 1e-2), no penalty, for 100 epochs. With more features than
samples the classes are linearly separable on the training set, so the weights grow without
bound on the 490 noise features: training loss goes to zero and the validation loss rises
steadily after its first epoch; validation accuracy ends near 60 % (an L1-penalized logistic
regression reaches ~80 % on the same split). Condition: over-fitting of a linear model on wide
data (an L1 penalty, which selects the few useful features, is the textbook remedy).
"""

import torch
from sklearn.datasets import make_classification
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 100
metric = "accuracy"


def model() -> nn.Module:
    return nn.Linear(500, 2)


def data():
    x, y = make_classification(n_samples=700, n_features=500, n_informative=10,
                               n_redundant=0, n_repeated=0, n_classes=2, class_sep=1.0,
                               flip_y=0.0, shuffle=True, random_state=4)
    x_train, y_train = x[:200], y[:200]
    mean, std = x_train.mean(0), x_train.std(0)

    def dataset(a, b):
        return TensorDataset(torch.tensor((a - mean) / std, dtype=torch.float32), torch.tensor(b))

    return (DataLoader(dataset(x_train, y_train), batch_size=32, shuffle=True),
            DataLoader(dataset(x[200:450], y[200:450]), batch_size=250),
            DataLoader(dataset(x[450:], y[450:]), batch_size=250))


def optimizer(params):
    return torch.optim.Adam(params, lr=1e-2)
