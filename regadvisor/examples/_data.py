"""Data for the bundled examples: scikit-learn's packaged data sets and generated data.

Nothing is downloaded: digits and diabetes ship inside scikit-learn.
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import DataLoader, TensorDataset

__all__ = ["digits_splits", "loaders", "diabetes_splits", "sparse_linear_splits"]

Split = tuple[np.ndarray, np.ndarray]


def loaders(splits: list[Split], batch_size: int, classification: bool) -> tuple[DataLoader, ...]:
    """In-memory loaders: the first one shuffles, the others do not."""
    out = []
    for i, (x, y) in enumerate(splits):
        xt = torch.as_tensor(x, dtype=torch.float32)
        yt = torch.as_tensor(y, dtype=torch.int64 if classification else torch.float32)
        out.append(DataLoader(TensorDataset(xt, yt), batch_size=batch_size, shuffle=i == 0))
    return tuple(out)


def digits_splits(n_train: int = 300, n_val: int = 300, label_noise: float = 0.0,
                  seed: int = 0, image: bool = False) -> list[Split]:
    """scikit-learn's 8×8 digits: stratified train / validation / test splits.

    Args:
        n_train: Training samples.
        n_val: Validation samples; the rest (about 1,200) is the test set.
        label_noise: Fraction of training and validation labels replaced by a wrong class
            (uniform over the other nine); test labels stay clean.
        seed: Seeds the split and the noise.
        image: Inputs as ``(N, 1, 8, 8)`` instead of ``(N, 64)``.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    x, y = load_digits(return_X_y=True)
    x = (x / 16.0).astype(np.float32)
    x_train, x_rest, y_train, y_rest = train_test_split(
        x, y, train_size=n_train, stratify=y, random_state=seed)
    x_val, x_test, y_val, y_test = train_test_split(
        x_rest, y_rest, train_size=n_val, stratify=y_rest, random_state=seed)
    rng = np.random.default_rng(seed)
    y_train = _corrupt(y_train, label_noise, 10, rng)
    y_val = _corrupt(y_val, label_noise, 10, rng)
    if image:
        x_train, x_val, x_test = (a.reshape(-1, 1, 8, 8) for a in (x_train, x_val, x_test))
    return [(x_train, y_train), (x_val, y_val), (x_test, y_test)]


def _corrupt(y: np.ndarray, fraction: float, n_classes: int, rng: np.random.Generator):
    if fraction <= 0:
        return y
    y = y.copy()
    idx = rng.choice(len(y), size=int(round(fraction * len(y))), replace=False)
    shift = rng.integers(1, n_classes, size=len(idx))
    y[idx] = (y[idx] + shift) % n_classes
    return y


def diabetes_splits(seed: int = 0) -> list[Split]:
    """scikit-learn's diabetes regression (442 patients, 10 features), standardised.

    200 training, 100 validation and 142 test samples; inputs and target are standardised with
    the training split's mean and standard deviation.
    """
    from sklearn.datasets import load_diabetes
    from sklearn.model_selection import train_test_split

    x, y = load_diabetes(return_X_y=True)
    x_train, x_rest, y_train, y_rest = train_test_split(x, y, train_size=200, random_state=seed)
    x_val, x_test, y_val, y_test = train_test_split(x_rest, y_rest, train_size=100,
                                                    random_state=seed)
    mx, sx = x_train.mean(0), x_train.std(0)
    my, sy = y_train.mean(), y_train.std()
    return [((a - mx) / sx, (b - my) / sy)
            for a, b in ((x_train, y_train), (x_val, y_val), (x_test, y_test))]


def sparse_linear_splits(n_features: int = 400, n_informative: int = 10, n_train: int = 150,
                         n_val: int = 150, n_test: int = 500, noise: float = 0.5,
                         seed: int = 0) -> list[Split]:
    """A generated linear regression with more features than training samples.

    ``y = X·w + noise`` where only ``n_informative`` of the weights are non-zero; the target is
    standardised with the training split's statistics.
    """
    rng = np.random.default_rng(seed)
    n = n_train + n_val + n_test
    x = rng.standard_normal((n, n_features))
    w = np.zeros(n_features)
    w[rng.choice(n_features, n_informative, replace=False)] = rng.uniform(1, 3, n_informative) \
        * rng.choice([-1, 1], n_informative)
    y = x @ w + noise * rng.standard_normal(n)
    my, sy = y[:n_train].mean(), y[:n_train].std()
    y = (y - my) / sy
    cuts = [(0, n_train), (n_train, n_train + n_val), (n_train + n_val, n)]
    return [(x[a:b].astype(np.float32), y[a:b].astype(np.float32)) for a, b in cuts]
