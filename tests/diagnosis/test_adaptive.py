"""The verdict is about the user's real training: the diagnosis trains on when the short run
cannot decide, settles as soon as it can, and sees over-regularization on sight."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from regadvisor.diagnosis.run import default_diagnostic_epochs
from regadvisor.examples.scenarios import SCENARIOS
from regadvisor.experiment import build_experiment
from regadvisor.pipeline import diagnose
from regadvisor.tuning import build_space


def _scenario(name: str):
    scenario = next(s for s in SCENARIOS if s.name == name)
    pieces = {k: v for k, v in scenario.build().items() if v is not None}
    return build_experiment(**pieces, name=name)


@pytest.fixture(scope="module")
def overregularized():
    exp = _scenario("overregularized")
    return exp, diagnose(exp)


def test_overregularized_is_underfitting_and_names_what_to_lower(overregularized):
    exp, result = overregularized
    assert result.verdict.name == "underfitting"
    ids = [f.rule_id for f in result.findings]
    assert ids[0] == "reduce-regularization"
    assert {"dropout-above-range", "weight-decay-above-range", "stacked-regularizers"} <= set(ids)
    advice = result.findings[0].advice
    assert "weight decay 5" in advice and "dropout p=0.8" in advice
    # It did not stop at the short run, where the curves were still falling.
    assert result.history.epochs_run > default_diagnostic_epochs(exp)
    assert any("could not decide" in n or "whole training" in n for n in result.notes)
    assert not any(f.rule_id == "train-longer" for f in result.findings)


def test_tuning_searches_down_from_the_users_settings(overregularized):
    _, result = overregularized
    space = build_space(result.findings, result.facts)
    assert space.params["weight_decay"].high == pytest.approx(5.0)
    assert space.params["weight_decay"].low <= 1e-7
    assert space.params["dropout"].high == pytest.approx(0.8)
    assert space.params["dropout"].low == 0.0
    assert "label_smoothing" not in space.params  # the user has none: nothing to lower
    assert "high = weight_decay" in space.params["weight_decay"].reason


def test_a_clear_overfit_settles_in_the_short_run():
    exp = _scenario("noisy_labels")
    result = diagnose(exp)
    assert result.verdict.name == "overfitting"
    assert result.history.epochs_run <= default_diagnostic_epochs(exp)


def test_with_verification_to_follow_the_run_goes_on_to_the_end_judged_where_it_settled():
    exp = _scenario("noisy_labels")
    short = diagnose(exp)
    full = diagnose(exp, to_end=True)
    settled_at = short.history.epochs_run
    assert settled_at < exp.epochs
    # The same verdict, findings and facts: those of the epoch the verdict settled at.
    assert full.verdict.name == short.verdict.name
    assert [f.rule_id for f in full.findings] == [f.rule_id for f in short.findings]
    timing = {"seconds_per_epoch"}
    assert ({k: v for k, v in full.facts.items() if k not in timing}
            == {k: v for k, v in short.facts.items() if k not in timing})
    # The run went the whole way with the same seed: the first epochs are the short run's, and
    # verification can take it as its first run of the user's setup.
    assert full.history.epochs_run == exp.epochs and full.trained is not None
    assert short.trained is None
    assert [r.val_loss for r in full.history.records[:settled_at]] == pytest.approx(
        [r.val_loss for r in short.history.records])
    assert any(f"The verdict rests on the first {settled_at} of your {exp.epochs} epochs. The "
               f"run then went on to epoch {exp.epochs}" in n for n in full.notes)


def test_the_run_does_not_go_on_when_a_time_budget_would_end_it_first():
    exp = _scenario("noisy_labels")
    result = diagnose(exp, to_end=True, budget_seconds=1e-3)
    assert result.history.epochs_run < exp.epochs and result.trained is None


def _slow_learner():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(240, 10, generator=g)
    y = (x[:, :2].sum(1) > 0).long()

    def data():
        return (DataLoader(TensorDataset(x[:120], y[:120]), batch_size=30, shuffle=True),
                DataLoader(TensorDataset(x[120:180], y[120:180]), batch_size=60),
                DataLoader(TensorDataset(x[180:], y[180:]), batch_size=60))

    return build_experiment(
        model=lambda: nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 2)), data=data,
        optimizer=lambda p: torch.optim.SGD(p, lr=0.01), epochs=30)


def test_still_learning_at_the_users_last_epoch_is_not_converged_and_reuses_the_run(monkeypatch):
    exp = _slow_learner()
    result = diagnose(exp)
    assert result.history.epochs_run == exp.epochs  # trained the whole way
    assert result.verdict.name == "not_converged"
    assert "after 30 of your 30 epochs" in result.verdict.reason
    assert result.trained is not None

    # Verification measures that run as its first seed of the user's setup: one run fewer,
    # the same numbers as training it again.
    import sys

    import regadvisor.verification  # noqa: F401 - loads the module patched below
    from regadvisor.experiment import baseline_config

    verify_module = sys.modules["regadvisor.verification.verify"]

    calls = []
    original = verify_module.train

    def counted(*args, **kwargs):
        calls.append(args[3])
        return original(*args, **kwargs)

    monkeypatch.setattr(verify_module, "train", counted)
    base = baseline_config(exp)
    rec = base.replace(weight_decay=1e-3)
    reused = verify_module.verify(exp, base, rec, seeds=2, reuse={0: result.trained})
    n_reused = len(calls)
    fresh = verify_module.verify(exp, base, rec, seeds=2)
    assert n_reused == len(calls) - n_reused - 1
    assert reused.baseline.runs[0].metric == fresh.baseline.runs[0].metric
    assert reused.baseline.runs[0].loss == pytest.approx(fresh.baseline.runs[0].loss)


def test_advise_on_the_overregularized_setup_verifies_an_improvement(tmp_path):
    from regadvisor.pipeline import AdviseOptions, run_stages

    torch.set_num_threads(1)
    exp = _scenario("overregularized")
    result = run_stages(exp, tmp_path, AdviseOptions(n_trials=10, seeds=3, render=False))
    assert result.diagnosis.verdict.name == "underfitting"
    config = result.recommendation.config
    assert not result.recommendation.kept_baseline
    assert config.weight_decay < 5.0 and config.dropout < 0.8
    assert result.verification.metric.verdict == "improves", result.verification.summary


def _slow_memorizer():
    """Two moons with a fifth of the labels flipped and a wide MLP: the gap opens slowly, and
    the validation loss rises clearly only after the first fifth of the 300 epochs."""
    from sklearn.datasets import make_moons

    x, y = make_moons(n_samples=600, noise=0.25, random_state=5)
    flip = torch.from_numpy(__import__("numpy").random.default_rng(5).random(400) < 0.2)
    x, y = torch.tensor(x, dtype=torch.float32), torch.tensor(y)
    y[:400][flip] = 1 - y[:400][flip]

    def data():
        return (DataLoader(TensorDataset(x[:200], y[:200]), batch_size=32, shuffle=True),
                DataLoader(TensorDataset(x[200:400], y[200:400]), batch_size=200),
                DataLoader(TensorDataset(x[400:], y[400:]), batch_size=200))

    return build_experiment(
        model=lambda: nn.Sequential(nn.Linear(2, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
                                    nn.Linear(256, 2)),
        data=data, optimizer=lambda p: torch.optim.Adam(p, lr=3e-3), epochs=300)


def test_a_gap_still_opening_trains_on_until_the_overfit_shows():
    torch.set_num_threads(1)
    exp = _slow_memorizer()
    short = default_diagnostic_epochs(exp)
    at_short = diagnose(exp, epochs=short)  # the short run alone, judged as it stands
    assert at_short.verdict.name != "overfitting"
    assert at_short.facts["gap_slope"] > 0
    result = diagnose(exp)
    assert result.verdict.name == "overfitting"
    assert short < result.history.epochs_run < exp.epochs
    assert result.facts["gap_vs_chance"] > 0.1
    assert any("could not decide" in n for n in result.notes)


def test_the_projected_gap_keeps_a_run_undecided():
    from regadvisor.pipeline import judge
    from regadvisor.rules import load_rules

    ruleset = load_rules()
    flat = {"train_loss_last": 0.4, "val_loss_last": 0.6, "gap_ratio": 0.33,
            "gap_vs_chance": 0.3, "metric_gap": 0.08, "train_loss_slope": 0.003,
            "val_loss_slope": -0.001, "train_loss_vs_chance": 0.57, "epochs_since_best": 30,
            "val_loss_rise_over_noise": 2.0, "val_loss_rise_ratio": 0.05,
            "task": "classification", "can_train_longer": True}
    opening = judge(ruleset, {**flat, "gap_growth_to_end": 0.5})[0]
    assert opening.name == "undecided"
    steady = judge(ruleset, {**flat, "gap_growth_to_end": 0.05})[0]
    assert steady.name == "good_fit"
    at_the_end = judge(ruleset, {**flat, "gap_growth_to_end": 0.5, "can_train_longer": False})[0]
    assert at_the_end.name == "good_fit"


class _Slow(nn.Module):
    """A small net whose training steps take 40 ms each."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))

    def forward(self, x):
        if self.training:
            import time

            time.sleep(0.04)
        return self.net(x)


def test_an_epoch_the_budget_cut_short_is_not_timed_as_a_whole_one():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(360, 8, generator=g)
    y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()

    def data():
        return (DataLoader(TensorDataset(x[:320], y[:320]), batch_size=16, shuffle=True),
                DataLoader(TensorDataset(x[320:], y[320:]), batch_size=40))

    exp = build_experiment(model=_Slow, data=data, epochs=10, name="slow")
    # 20 steps of 40 ms: an epoch takes at least 0.8 s; the budget stops the first after a
    # quarter of it. The plan multiplies this figure by the epochs of a full training.
    d = diagnose(exp, budget_seconds=0.2)
    h = d.history
    assert h.epochs_run == 1 and 0.1 < h.cut_short_fraction < 0.6
    assert h.records[0].seconds < 0.6  # the part that ran
    assert d.facts["seconds_per_epoch"] >= 0.75
