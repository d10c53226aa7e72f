"""Augmentation as a searched regularizer: data(augment=s) in the contract, s in the search."""

from __future__ import annotations

import json
import re

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from regadvisor.errors import ExperimentError
from regadvisor.examples import digits_augment
from regadvisor.experiment import baseline_config, build_experiment, load_experiment


def test_the_strength_is_read_from_data_and_each_strength_gets_its_loader():
    exp = load_experiment("digits_augment")
    assert exp.augment == 0.0 and exp.summary()["augment"] == 0.0
    base = baseline_config(exp)
    assert base.augment == 0.0 and exp.train_loader_for(base) is exp.train_loader
    strong = exp.train_loader_for(base.replace(augment=0.7))
    assert isinstance(strong.dataset, digits_augment.Augmented) and strong.dataset.strength == 0.7
    assert exp.train_loader_for(base.replace(augment=0.7)) is strong  # built once
    x1, _ = strong.dataset[0]
    x2, _ = strong.dataset[0]
    assert not torch.equal(x1, x2)  # a random transform, drawn anew at each read


@pytest.mark.parametrize(("data", "message"), [
    (lambda augment: None, "data(augment=...) needs a default in [0, 1]"),
    (lambda augment=2.0: None, "its default is 2.0"),
])
def test_an_augment_without_a_usable_default_is_one_clear_line(data, message):
    with pytest.raises(ExperimentError, match=re.escape(message)):
        build_experiment(model=lambda: nn.Linear(4, 2), data=data, epochs=2)


def test_the_search_space_holds_the_strength_and_lowers_it_when_underfitting():
    from regadvisor.tuning import build_space

    exp = build_experiment(model=lambda: nn.Linear(4, 2), data=_tiny_data, epochs=2)
    assert exp.augment == 0.4
    facts = {"augment_exposed": True, "augment_strength": 0.4, "task": "classification"}
    over = build_space([], {**facts, "verdict": "overfitting"})
    assert "augment" not in over.params  # only a finding asks for it
    from regadvisor.pipeline import diagnose

    diagnosis = diagnose(load_experiment("digits_augment"))
    assert "tune-augmentation" in [f.rule_id for f in diagnosis.findings]
    space = build_space(diagnosis.findings, diagnosis.facts)
    assert (space.params["augment"].low, space.params["augment"].high) == (0.0, 1.0)


def _tiny_data(augment=0.4):
    x, y = torch.randn(32, 4), torch.randint(0, 2, (32,))
    return DataLoader(TensorDataset(x + augment * 0, y)), DataLoader(TensorDataset(x, y))


def test_advise_searches_the_strength_and_verifies_it(tmp_path):
    from regadvisor.pipeline import AdviseOptions, run_stages

    torch.set_num_threads(1)
    result = run_stages(load_experiment("digits_augment"), tmp_path,
                        AdviseOptions(n_trials=6, seeds=2, max_seeds=2, command="pytest"))
    assert result.status == "complete"
    tried = [t.params.get("augment") for t in result.tuning.trials]
    assert all(a is not None for a in tried) and len(set(tried)) > 1
    assert result.tuning.best_config.augment == result.tuning.best_params["augment"]
    saved = json.loads((tmp_path / "report.json").read_text())
    assert "augment" in saved["space"]["params"]
    recommended = result.recommendation
    if not recommended.kept_baseline and recommended.config.augment:
        assert any(row["setting"] == "augment" for row in recommended.diff)
        assert "data(augment=" in (tmp_path / "report.html").read_text()
