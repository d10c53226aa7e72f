"""The user's learning-rate schedule: part of the contract, rebuilt on every optimizer regadvisor
builds, stepped per batch or per epoch as declared, and shown in the report and its code."""

from __future__ import annotations

import json
import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from regadvisor.errors import ExperimentError
from regadvisor.experiment import baseline_config, build_experiment, load_experiment
from regadvisor.training import train


def _loaders():
    from regadvisor.examples._data import digits_splits, loaders

    return loaders(digits_splits(n_train=160, n_val=160), batch_size=32, classification=True)


def _mlp():
    return nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))


def test_a_per_batch_one_cycle_is_rebuilt_on_adamw_with_param_groups():
    """digits_onecycle: every batch steps OneCycleLR on the AdamW regadvisor builds (biases in
    their own group); each epoch records the mean rate of its steps, as a hand-run schedule
    gives it."""
    exp = load_experiment("digits_onecycle")
    assert exp.schedule.name == "OneCycleLR" and exp.schedule.interval == "step"
    config = baseline_config(exp, max_epochs=4).replace(weight_decay=0.05, decoupled=True,
                                                         exempt="bias_and_norm")
    result = train(exp.model_factory, exp.train_loader, exp.val_loader, config,
                   task=exp.task, schedule=exp.schedule)
    steps = math.ceil(exp.n_train / exp.batch_size)
    reference = torch.optim.AdamW([nn.Parameter(torch.zeros(1))], lr=3e-3)
    sched = exp.schedule.build(reference)
    expected = []
    for _ in range(4):
        rates = []
        for _ in range(steps):
            rates.append(reference.param_groups[0]["lr"])
            reference.step()
            sched.step()
        expected.append(sum(rates) / steps)
    recorded = [r.lr for r in result.history.records]
    assert recorded == pytest.approx(expected, rel=1e-12)
    assert recorded[0] < recorded[-1] <= 3e-3  # warming up over the first 30 % of 60 epochs


def test_cosine_per_epoch_steps_after_each_validation():
    exp = build_experiment(model=_mlp, data=_loaders,
                           optimizer=lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9),
                           scheduler=lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(
                               opt, T_max=4),
                           epochs=4)
    assert exp.schedule.interval == "epoch"
    h = train(exp.model_factory, exp.train_loader, exp.val_loader, baseline_config(exp),
              schedule=exp.schedule).history
    expected = [0.1 * (1 + math.cos(math.pi * e / 4)) / 2 for e in range(4)]
    assert [r.lr for r in h.records] == pytest.approx(expected)


def test_reduce_on_plateau_reads_the_validation_loss():
    """In mode 'max' a falling validation loss never improves, so with patience 0 the rate
    halves after every epoch: proof that the scheduler saw the validation loss."""
    exp = build_experiment(model=_mlp, data=_loaders,
                           scheduler=lambda opt: torch.optim.lr_scheduler.ReduceLROnPlateau(
                               opt, mode="max", factor=0.5, patience=0),
                           epochs=4)
    h = train(exp.model_factory, exp.train_loader, exp.val_loader, baseline_config(exp),
              schedule=exp.schedule).history
    rates = [r.lr for r in h.records]
    assert rates[0] == pytest.approx(1e-3)
    assert all(b <= a for a, b in zip(rates, rates[1:], strict=False)) and rates[-1] < rates[0]


@pytest.mark.parametrize(("scheduler", "interval", "message"), [
    (lambda opt: torch.optim.lr_scheduler.StepLR(
        torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1), 5), None,
     "a scheduler of another optimizer"),
    (lambda opt: 0.1, None, "returned a float; it must return a torch.optim.lr_scheduler"),
    (lambda opt: torch.optim.lr_scheduler.StepLR(opt, 5), "batch",
     "scheduler_interval is 'batch'; use 'epoch'"),
    (None, "step", "scheduler_interval is set but no scheduler is defined"),
    ("cosine", None, "'scheduler' is a str, not a function"),
    (lambda opt: 1 / 0, None, r"scheduler\(optimizer\) raised ZeroDivisionError"),
])
def test_a_broken_schedule_is_one_clear_line(scheduler, interval, message):
    with pytest.raises(ExperimentError, match=message) as info:
        build_experiment(model=_mlp, data=_loaders, scheduler=scheduler,
                         scheduler_interval=interval, epochs=3)
    assert "\n" not in str(info.value)


def test_advise_trains_every_stage_under_the_schedule_and_shows_it(tmp_path):
    from regadvisor.pipeline import AdviseOptions, run_stages

    torch.set_num_threads(1)
    exp = load_experiment("digits_onecycle")
    result = run_stages(exp, tmp_path, AdviseOptions(n_trials=4, seeds=2, max_seeds=2,
                                                     command="pytest"))
    assert result.status == "complete"
    facts = result.diagnosis.facts
    # The facts are those of the epochs the verdict settled at; the run went on to the full
    # length for verification, and its schedule with it.
    judged = round(facts["diagnostic_fraction"] * exp.epochs)
    rates = [r.lr for r in result.diagnosis.history.records]
    assert len(rates) == exp.epochs and 0 < judged <= exp.epochs
    assert facts["has_lr_schedule"] and facts["lr"] == max(rates[:judged])
    assert rates[0] < rates[judged - 1]
    html = (tmp_path / "report.html").read_text()
    if judged < exp.epochs:
        assert f"the verdict rests on the first {judged}" in html
    for history in result.verification.histories.values():  # both arms warm up the same way
        assert history.records[0].lr == pytest.approx(rates[0])
    saved = json.loads((tmp_path / "report.json").read_text())
    assert saved["experiment"]["scheduler"] == "OneCycleLR, stepped every batch"
    assert saved["experiment"]["scheduler_class"] == "OneCycleLR"
    assert saved["experiment"]["scheduler_interval"] == "step"
    assert "learning-rate schedule: OneCycleLR, stepped every batch" in html
    if not result.recommendation.kept_baseline:
        assert "lr_scheduler = scheduler(optimizer)" in html
        assert "lr_scheduler.step()  # every batch" in html  # stepped as the user's loop does


def test_a_schedule_is_part_of_the_experiments_identity():
    plain = build_experiment(model=_mlp, data=lambda: (
        DataLoader(TensorDataset(torch.zeros(8, 64), torch.zeros(8, dtype=torch.long))),
        DataLoader(TensorDataset(torch.zeros(8, 64), torch.zeros(8, dtype=torch.long)))),
        epochs=3)
    cosine = build_experiment(model=_mlp, data=lambda: (
        DataLoader(TensorDataset(torch.zeros(8, 64), torch.zeros(8, dtype=torch.long))),
        DataLoader(TensorDataset(torch.zeros(8, 64), torch.zeros(8, dtype=torch.long)))),
        scheduler=lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, 3), epochs=3)
    assert plain.fingerprint != cosine.fingerprint
