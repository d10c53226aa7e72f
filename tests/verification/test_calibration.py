"""Calibration (reliability bins, ECE) and predictive entropy (MC dropout)."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from regadvisor._record import from_plain, to_plain
from regadvisor.experiment import baseline_config, build_experiment
from regadvisor.verification import Verification, calibration, predict, uncertainty, verify
from regadvisor.verification.calibration import Predictions
from tests.tuning.conftest import tiny_experiment


def _predictions(confidence, correct, entropy=None, mc_correct=None) -> Predictions:
    conf = torch.tensor(confidence, dtype=torch.float32)
    hit = torch.tensor(correct, dtype=torch.bool)
    ent = torch.tensor(entropy if entropy is not None else [0.5] * len(confidence))
    return Predictions(confidence=conf, correct=hit, entropy=ent,
                       mc_correct=torch.tensor(mc_correct) if mc_correct is not None else hit,
                       mc_dropout=False, passes=1, n_classes=4)


def test_ece_of_hand_made_predictions():
    # Bin (0.6, 0.8]: four at 0.75, three right: calibrated. Bin (0.933, 1]: two at 0.95, both
    # wrong: gap 0.95 with weight 2/6.
    p = _predictions([0.75] * 4 + [0.95] * 2, [1, 1, 1, 0, 0, 0])
    cal = calibration([p], n_bins=15)
    assert cal.n_samples == 6 and len(cal.bins) == 15
    assert sum(b.count for b in cal.bins) == 6
    full = [b for b in cal.bins if b.count]
    assert [(b.count, b.confidence, b.accuracy) for b in full] == [
        (4, pytest.approx(0.75), 0.75), (2, pytest.approx(0.95), 0.0)]
    assert cal.ece == pytest.approx(2 / 6 * 0.95)
    assert all(b.confidence is None and b.accuracy is None for b in cal.bins if not b.count)


def test_seeds_are_pooled():
    a = _predictions([0.55, 0.65, 0.9], [1, 0, 1])
    b = _predictions([0.35, 0.95], [0, 1])
    pooled = calibration([a, b])
    joined = calibration([_predictions([0.55, 0.65, 0.9, 0.35, 0.95], [1, 0, 1, 0, 1])])
    assert pooled == joined and pooled.n_samples == 5
    assert calibration([]) is None and uncertainty([]) is None


def test_entropy_on_right_and_wrong_predictions():
    p = _predictions([0.9, 0.8, 0.4, 0.3], [1, 1, 0, 0], entropy=[0.1, 0.3, 1.0, 1.4])
    u = uncertainty([p])
    assert u.mean_entropy == pytest.approx(0.7)
    assert u.entropy_correct == pytest.approx(0.2) and u.entropy_wrong == pytest.approx(1.2)
    assert (u.n_correct, u.n_wrong, u.accuracy) == (2, 2, 0.5)
    assert u.max_entropy == pytest.approx(math.log(4)) and not u.mc_dropout
    none_wrong = uncertainty([_predictions([0.9], [1], entropy=[0.2])])
    assert none_wrong.entropy_wrong is None and none_wrong.n_wrong == 0


def _loader(n=64, d=6, classes=3):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(n, d, generator=g)
    y = torch.randint(0, classes, (n,), generator=g)
    return DataLoader(TensorDataset(x, y), batch_size=16)


def test_mc_dropout_leaves_the_model_and_the_random_state_as_they_were():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(32, 3))
    model.train()
    model(torch.randn(64, 6))  # BatchNorm gets running statistics
    model.eval()
    model[3].train()  # an odd mix of modes, to see it restored
    modes = [m.training for m in model.modules()]
    bn = model[1].running_mean.clone()
    rng = torch.get_rng_state()
    out = predict(model, _loader(), "cpu", passes=20, seed=3)
    assert out.mc_dropout and out.passes == 20 and out.n_classes == 3
    assert [m.training for m in model.modules()] == modes
    assert torch.equal(model[1].running_mean, bn)  # BatchNorm stayed in eval mode
    assert torch.equal(torch.get_rng_state(), rng)
    again = predict(model, _loader(), "cpu", passes=20, seed=3)
    assert torch.equal(out.entropy, again.entropy)  # the seed fixes the dropout masks
    other = predict(model, _loader(), "cpu", passes=20, seed=4)
    assert not torch.equal(out.entropy, other.entropy)
    # The deterministic figures are those of eval mode, dropout off.
    model.eval()
    with torch.no_grad():
        probs = torch.cat([model(x).softmax(-1) for x, _ in _loader()])
    assert torch.allclose(out.confidence, probs.max(-1).values)
    assert (out.entropy >= 0).all() and (out.entropy <= math.log(3) + 1e-6).all()


def test_a_model_without_dropout_gets_one_pass():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 3), nn.Dropout(0.0))
    out = predict(model, _loader(), "cpu", passes=20)
    assert not out.mc_dropout and out.passes == 1
    with torch.no_grad():
        probs = torch.cat([model(x).softmax(-1) for x, _ in _loader()])
    assert torch.allclose(out.entropy, -(probs * probs.log()).sum(-1), atol=1e-6)
    with pytest.raises(ValueError, match="passes must be >= 1, but got passes=0"):
        predict(model, _loader(), "cpu", passes=0)


def test_verify_records_calibration_and_uncertainty_per_arm():
    exp = tiny_experiment(epochs=6)
    base = baseline_config(exp)
    rec = base.replace(weight_decay=1e-2, decoupled=True, exempt="bias_and_norm", dropout=0.3,
                       inject_dropout=True, patience_epochs=3)
    v = verify(exp, base, rec, seeds=2, mc_passes=5)
    n_test = len(exp.test_loader.dataset)
    for arm in (v.baseline, v.recommended):
        assert arm.calibration.n_samples == 2 * n_test
        assert sum(b.count for b in arm.calibration.bins) == 2 * n_test
        assert 0 <= arm.calibration.ece <= 1
        assert arm.uncertainty.n_correct + arm.uncertainty.n_wrong == 2 * n_test
    assert not v.baseline.uncertainty.mc_dropout and v.baseline.uncertainty.passes == 1
    assert v.recommended.uncertainty.mc_dropout and v.recommended.uncertainty.passes == 5
    # report.json is written by the record's serializer; it must come back whole.
    text = json.dumps(to_plain(v))
    again = from_plain(Verification, json.loads(text))
    assert json.dumps(to_plain(again)) == text
    assert again.recommended.calibration.bins[0].low == 0.0


def test_regression_has_no_calibration():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(90, 4, generator=g)
    y = x[:, 0] + 0.1 * torch.randn(90, generator=g)
    split = lambda a, b: DataLoader(TensorDataset(x[a:b], y[a:b]), batch_size=30)  # noqa: E731
    exp = build_experiment(model=lambda: nn.Sequential(nn.Linear(4, 8), nn.ReLU(),
                                                       nn.Linear(8, 1)),
                           data=lambda: (split(0, 30), split(30, 60), split(60, 90)),
                           task="regression", epochs=2, name="reg")
    base = baseline_config(exp)
    v = verify(exp, base, base.replace(weight_decay=1e-3), seeds=2)
    assert v.baseline.calibration is None and v.recommended.uncertainty is None
    assert from_plain(Verification, json.loads(json.dumps(to_plain(v)))).baseline.calibration \
        is None
