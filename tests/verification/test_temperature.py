"""Temperature scaling on a real, over-confident classifier: T fitted on the validation set,
the test set's calibration measured before and after."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from regadvisor.examples._data import digits_splits, loaders
from regadvisor.verification import evaluate_model
from regadvisor.verification.calibration import ece, fit_temperature, scaled


@pytest.fixture(scope="module")
def memorized():
    """A wide MLP trained far past fitting 150 clean digits: over-confident on new ones."""
    torch.manual_seed(0)
    train, val, test = loaders(digits_splits(n_train=150, n_val=400),
                               batch_size=32, classification=True)
    model = nn.Sequential(nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(60):
        for x, y in train:
            loss = nn.functional.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model, val, test


def test_an_over_confident_net_gets_t_above_one_and_a_better_test_ece(memorized):
    model, val, test = memorized
    on_val = evaluate_model(model, val, "classification", "cpu").predictions
    on_test = evaluate_model(model, test, "classification", "cpu").predictions
    t = fit_temperature(on_val.logits, on_val.labels)
    assert t > 1.5  # trained to near-zero loss: far too confident
    after = scaled(on_test, t)
    assert (after.correct == on_test.correct).all()  # T changes confidence, not the class
    before_ece, after_ece = ece(on_test), ece(after)
    assert after_ece < 0.8 * before_ece
    # T minimizes the validation NLL: a step either way costs.
    nll = [float(nn.functional.cross_entropy(on_val.logits / s, on_val.labels))
           for s in (t / 1.05, t, t * 1.05)]
    assert nll[1] < nll[0] and nll[1] < nll[2]


def test_t_of_hand_made_logits():
    # Logits whose softmax is already calibrated (labels drawn from it): T near 1. The same
    # logits tripled (over-confident): T near 3.
    g = torch.Generator().manual_seed(0)
    logits = torch.randn(20000, 5, generator=g) * 2
    labels = torch.multinomial(logits.softmax(-1), 1, generator=g).squeeze(1)
    assert fit_temperature(logits, labels) == pytest.approx(1.0, abs=0.05)
    assert fit_temperature(3 * logits, labels) == pytest.approx(3.0, rel=0.05)
    assert fit_temperature(torch.empty(0, 5), torch.empty(0, dtype=torch.long)) == 1.0
