"""Batches of any shape: (x, y) pairs, (x_num, x_cat, y) tuples and dicts through batch(b)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from regadvisor.errors import ExperimentError
from regadvisor.examples import tabular_embeddings
from regadvisor.experiment import baseline_config, build_experiment, load_experiment
from regadvisor.training import train


class DictNet(nn.Module):
    """Takes keyword inputs, as models fed by an HF-style collator do."""

    def __init__(self):
        super().__init__()
        self.inner = tabular_embeddings.TabularNet()

    def forward(self, x_num, x_cat):
        return self.inner(x_num, x_cat)


def _dict_loaders():
    """The tabular data as a list of dict records: every batch is a dict of tensors."""
    x, cats, y = tabular_embeddings.tables()

    def records(a, b):
        return [{"x_num": x[i], "x_cat": cats[i], "labels": y[i]} for i in range(a, b)]

    return (DataLoader(records(0, 300), batch_size=32, shuffle=True),
            DataLoader(records(300, 600), batch_size=256),
            DataLoader(records(600, 1600), batch_size=256))


def _unlabelled_loaders():
    """Dict batches whose targets are under another key than 'labels'."""
    x, cats, y = tabular_embeddings.tables()
    records = [{"x_num": x[i], "x_cat": cats[i], "target": y[i]} for i in range(300)]
    return DataLoader(records, batch_size=32), DataLoader(records, batch_size=256)


def _from_dict(b):
    return {"x_num": b["x_num"], "x_cat": b["x_cat"]}, b["labels"]


def test_a_tuple_of_two_inputs_is_called_as_model_star_inputs_on_the_fast_path():
    exp = load_experiment("tabular_embeddings")
    assert exp.inputs == "2 tensors, called as model(*inputs)"
    assert exp.input_shape == (8,) and exp.n_classes == 3
    config = baseline_config(exp, max_epochs=4)
    fast = train(exp.model_factory, exp.train_loader, exp.val_loader, config).history
    slow = train(exp.model_factory, exp.train_loader, exp.val_loader, config,
                 fast_path=False).history
    # Flat arrays: pytest.approx does not compare nested sequences (pytest >= 9.2).
    np.testing.assert_allclose(np.asarray(fast.curves(), dtype=float),
                               np.asarray(slow.curves(), dtype=float), rtol=1e-5)
    assert fast.records[-1].val_metric > 0.5  # it learns: the embeddings reach the model


def test_dict_batches_go_through_batch_b_and_the_model_gets_keywords():
    exp = build_experiment(model=DictNet, data=_dict_loaders, batch=_from_dict, epochs=4)
    assert exp.inputs == ("a dict (x_num, x_cat), called as model(**inputs), read from each "
                          "batch by batch(b)")
    h = train(exp.model_factory, exp.train_loader, exp.val_loader, baseline_config(exp),
              batch=exp.batch).history
    assert h.epochs_run == 4 and h.records[-1].val_metric > 0.5


def test_dict_batches_with_labels_need_no_batch_b():
    """The HF-style dict: its 'labels' are the targets, the rest are the model's keywords."""
    exp = build_experiment(model=DictNet, data=_dict_loaders, epochs=4)
    assert exp.inputs == "a dict (x_num, x_cat), called as model(**inputs)"
    assert exp.batch is None and exp.n_classes == 3
    assert "'labels' are the targets and are kept out of the model's call" in exp.trains_with
    h = train(exp.model_factory, exp.train_loader, exp.val_loader, baseline_config(exp)).history
    assert h.epochs_run == 4 and h.records[-1].val_metric > 0.5


@pytest.mark.parametrize(("data", "batch", "message"), [
    (_unlabelled_loaders, None, "the training loader yields a dict with no 'labels' key (keys: "
                                "x_num, x_cat, target); a dict batch holds its targets under "
                                "'labels', as Hugging Face collators do, or define batch(b)"),
    (_dict_loaders, lambda b: (b["x_num"], b["x_cat"], b["labels"]),
     "batch(b) on the first training batch returned a tuple of 3 items; batch(b) must "
     "return a pair"),
    (_dict_loaders, lambda b: ({"x_num": b["x_num"]}, b["labels"].tolist()),
     "gives targets of type list; the targets must be one tensor"),
    (_dict_loaders, lambda b: ({"x_num": b["x_num"], "x_cat": "codes"}, b["labels"]),
     "gives inputs of type str (key 'x_cat'); inputs must be a tensor, a tuple of tensors or a "
     "dict of tensors."),
    (_dict_loaders, lambda b: b["missing"], "batch(b) raised KeyError on the first training "
                                            "batch"),
    (_dict_loaders, "x_num", "'batch' is a str, not a function"),
])
def test_a_batch_of_the_wrong_shape_is_one_clear_line(data, batch, message):
    with pytest.raises(ExperimentError, match=re.escape(message)) as info:
        build_experiment(model=DictNet, data=data, batch=batch, epochs=3)
    assert "\n" not in str(info.value)


def test_diagnose_and_advise_end_to_end_on_dict_batches(tmp_path):
    from regadvisor.pipeline import AdviseOptions, run_stages

    torch.set_num_threads(1)
    exp = build_experiment(model=DictNet, data=_dict_loaders, batch=_from_dict, epochs=30,
                           name="dict_batches")
    result = run_stages(exp, tmp_path, AdviseOptions(n_trials=4, seeds=2, max_seeds=2,
                                                     command="pytest"))
    assert result.status == "complete"
    assert result.diagnosis.verdict.name == "overfitting"
    assert result.verification.baseline.runs[0].metric > 0.4  # measured through batch(b)
    placed = result.placements["recommended"].placement
    assert "inner.embeddings.0.weight" in placed.no_decay  # embedding tables left undecayed
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["experiment"]["inputs"].startswith("a dict (x_num, x_cat)")
    assert "called as model(**inputs)" in (tmp_path / "report.html").read_text()


def test_advise_on_the_bundled_tabular_example(tmp_path):
    from regadvisor.pipeline import AdviseOptions, run_stages

    torch.set_num_threads(1)
    result = run_stages(load_experiment("tabular_embeddings"), tmp_path,
                        AdviseOptions(n_trials=4, seeds=2, max_seeds=2, command="pytest"))
    assert result.status == "complete" and result.diagnosis.verdict.name == "overfitting"
    assert "model(*inputs)" in (tmp_path / "report.html").read_text()
