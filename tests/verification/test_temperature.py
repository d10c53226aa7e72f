"""Temperature scaling on a real, over-confident classifier: T fitted on the validation set,
the test set's calibration measured before and after."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from regadvisor._record import from_plain, to_plain
from regadvisor.examples._data import digits_splits, loaders
from regadvisor.experiment import baseline_config, build_experiment
from regadvisor.verification import Verification, evaluate_model, verify
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


def _clean_digits():
    """A small MLP on clean digits, stopped after 10 epochs: still under-confident."""
    return build_experiment(
        model=lambda: nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10)),
        data=lambda: loaders(digits_splits(n_train=300, n_val=300), batch_size=50,
                             classification=True),
        optimizer=lambda p: torch.optim.Adam(p, lr=3e-3), epochs=10, name="clean_digits")


def test_verify_fits_t_per_seed_and_advises_scaling_when_the_gain_costs_calibration():
    exp = _clean_digits()
    base = baseline_config(exp)
    # Strong label smoothing: more accurate here, but far less confident than it is right.
    # Seeds are added until the gain is measured (only a measured gain is adopted).
    v = verify(exp, base, base.replace(label_smoothing=0.5), seeds=3, max_seeds=8)
    assert v.verdict == "improves"
    for arm in (v.baseline, v.recommended):
        assert [r.temperature for r in arm.runs] == arm.temperature.temperatures
        assert len(arm.temperature.temperatures) == len(v.seeds)
        assert arm.temperature.ece_before == arm.ece
        assert all(0 <= r.ece_scaled <= 1 for r in arm.runs)
    rec = v.recommended
    assert not v.keep_baseline and rec.ece > v.baseline.ece + 0.05
    assert all(t < 1 for t in rec.temperature.temperatures)  # under-confident: T sharpens
    assert rec.temperature.ece_after < rec.ece - 0.1
    assert v.temperature_advised
    assert any("so the advice includes it" in f for f in v.flags)
    # report.json carries it all.
    again = from_plain(Verification, json.loads(json.dumps(to_plain(v))))
    assert again.temperature_advised
    assert again.recommended.temperature == rec.temperature
    assert again.recommended.runs[-1].ece_scaled == rec.runs[-1].ece_scaled


def test_no_scaling_advice_where_the_recommendation_is_no_worse_calibrated():
    exp = _clean_digits()
    base = baseline_config(exp)
    v = verify(exp, base, base.replace(max_epochs=12), seeds=2)
    assert v.recommended.temperature is not None
    assert not v.temperature_advised
    assert not any("Temperature scaling" in f for f in v.flags)
