"""The experiment's own training_step(model, batch) and clip_grad(model), in every stage."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from regadvisor.errors import ConfigError, ExperimentError
from regadvisor.experiment import baseline_config, build_experiment
from regadvisor.training import RegConfig, train, train_experiment
from regadvisor.tuning.space import DEFAULT_RANGES, build_space

TARGET = 0.5  # where the auxiliary term pulls the mean of the first layer's weights


def _data(shuffle=True):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(400, 10, generator=g)
    y = (x[:, 0] + x[:, 1] > 0).long() + (x[:, 2] > 0.5).long()
    ds = lambda a, b: TensorDataset(x[a:b], y[a:b])  # noqa: E731
    return (DataLoader(ds(0, 200), batch_size=25, shuffle=shuffle),
            DataLoader(ds(200, 300), batch_size=100), DataLoader(ds(300, 400), batch_size=100))


def _mlp():
    return nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 3))


def _aux_step(model, batch):
    x, y = batch
    return F.cross_entropy(model(x), y) + 10.0 * (model[0].weight.mean() - TARGET) ** 2


def _adam(params):
    return torch.optim.Adam(params, lr=1e-2)


def test_the_users_loss_is_the_one_minimized():
    """An auxiliary term pulls a weight statistic to TARGET: it gets there only with the step."""
    with_step = build_experiment(model=_mlp, data=_data, optimizer=_adam, epochs=20,
                                 training_step=_aux_step)
    plain = build_experiment(model=_mlp, data=_data, optimizer=_adam, epochs=20)
    assert with_step.trains_with.startswith("the loss your training_step(model, batch) returns")
    pulled = train_experiment(with_step, baseline_config(with_step))
    free = train_experiment(plain, baseline_config(plain))
    assert abs(pulled.model[0].weight.mean().item() - TARGET) < 0.05
    assert abs(free.model[0].weight.mean().item()) < 0.1
    # Both learn the task; the validation figures are the task's loss on the logits either way.
    assert pulled.history.best.val_metric > 0.8 and free.history.best.val_metric > 0.8
    # The step loss the History keeps is the user's (CE plus the auxiliary term).
    assert pulled.history.records[0].step_loss > free.history.records[0].step_loss


def test_the_step_gets_the_same_batches_on_the_fast_path_and_through_the_loader():
    seen = []

    def step(model, batch):
        seen.append(type(batch).__name__)
        return _aux_step(model, batch)

    exp = build_experiment(model=_mlp, data=_data, optimizer=_adam, epochs=3,
                           training_step=step)
    config = baseline_config(exp)
    fast = train_experiment(exp, config).history
    slow = train_experiment(exp, config, fast_path=False).history
    assert fast.fast_path and not slow.fast_path
    assert set(seen) == {"list"}  # [x, y], as a DataLoader over a TensorDataset yields it
    assert len(seen) == 1 + 2 * 3 * (200 // 25)  # the contract check, then every step of both
    np.testing.assert_allclose(np.asarray(fast.curves(), dtype=float),
                               np.asarray(slow.curves(), dtype=float), rtol=1e-5)


class TwoHeads(nn.Module):
    """Returns (logits, features), as multi-output models do."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(10, 32), nn.ReLU())
        self.head = nn.Linear(32, 3)

    def forward(self, x):
        features = self.body(x)
        return self.head(features), features


def _two_head_step(model, batch):
    x, y = batch
    logits, features = model(x)
    return F.cross_entropy(logits, y) + 1.0 * features.pow(2).mean()


def test_a_multi_output_model_trains_through_its_step():
    exp = build_experiment(model=TwoHeads, data=_data, optimizer=_adam, epochs=15,
                           training_step=_two_head_step)
    plain = build_experiment(model=TwoHeads, data=_data, optimizer=_adam, epochs=15)
    assert exp.n_classes == 3  # the logits are the first element of the output
    stepped = train_experiment(exp, baseline_config(exp))
    free = train_experiment(plain, baseline_config(plain))
    x = exp.val_loader.dataset.tensors[0]
    with torch.no_grad():
        energy = stepped.model(x)[1].pow(2).mean()
        free_energy = free.model(x)[1].pow(2).mean()
    assert stepped.history.best.val_metric > 0.8
    assert energy < 0.5 * free_energy  # the features' term of the user's loss was minimized


def test_clip_grad_runs_between_backward_and_the_optimizer_step():
    """SGD at lr 1 with gradients clipped to norm 1e-3 moves the weights by at most 1e-3 a step."""
    max_norm = 1e-3

    def clip(model):
        torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)

    def sgd(params):
        return torch.optim.SGD(params, lr=1.0)

    def moved(clip_grad):
        exp = build_experiment(model=_mlp, data=_data, optimizer=sgd, epochs=1,
                               clip_grad=clip_grad)
        trained = torch.nn.utils.parameters_to_vector(
            train_experiment(exp, baseline_config(exp, max_epochs=1)).model.parameters())
        torch.manual_seed(0)  # the run's seed: the same initial weights
        initial = torch.nn.utils.parameters_to_vector(_mlp().parameters())
        return (trained - initial).norm().item()

    steps = 200 // 25
    assert moved(clip) <= steps * max_norm * 1.001
    assert moved(None) > 100 * steps * max_norm


def test_every_stage_trains_through_the_step(tmp_path, monkeypatch):
    """Diagnosis, trials, re-runs and verification: none of them computes a loss of its own."""
    from regadvisor.pipeline import AdviseOptions, run_stages
    from regadvisor.training import steps

    def no_criterion(*_):
        raise AssertionError("a stage trained on regadvisor's loss instead of training_step")

    monkeypatch.setattr(steps, "forward", no_criterion)
    # The models themselves, not their ids: a finished run's model is freed, and the next one
    # can get its address (and id).
    models: list = []

    def step(model, batch):
        if not any(m is model for m in models):
            models.append(model)
        return _aux_step(model, batch)

    exp = build_experiment(model=_mlp, data=_data, optimizer=_adam, epochs=12,
                           training_step=step, name="user_step")
    result = run_stages(exp, tmp_path, AdviseOptions(n_trials=2, seeds=2, max_seeds=2,
                                                     command="pytest"))
    assert result.status == "complete"
    tuning = result.tuning
    assert all(t.state == "COMPLETE" for t in tuning.trials)
    assert tuning.reruns and not any(r.errors for r in tuning.reruns)
    n_reruns = sum(len(r.seeds) - 1 for r in tuning.reruns)  # the trial's own seed is first
    # One model per training run: the diagnosis, the trials, the re-runs, verification's seeds.
    assert len(models) >= 1 + len(tuning.trials) + n_reruns + 3
    assert "label_smoothing" not in result.space.params
    assert any("cannot smooth the labels inside your own loss" in n
               for n in result.diagnosis.notes + list(exp.notes))


def test_label_smoothing_is_never_searched_with_a_step():
    class Finding:
        rule_id, title = "label-smoothing", "Smooth the labels"

        class actions:  # noqa: N801
            search = {"label_smoothing": {"low": 0.0, "high": 0.1}}
            tune = ["label_smoothing"]
            set = {"label_smoothing": 0.1}

    facts = {"task": "classification", "verdict": "overfitting"}
    assert "label_smoothing" in build_space([Finding], facts).params
    space = build_space([Finding], {**facts, "has_training_step": True})
    assert "label_smoothing" not in space.params and "label_smoothing" not in space.base
    with pytest.raises(ConfigError, match="label_smoothing cannot be searched: the experiment's "
                                          "training_step computes its own loss"):
        build_space([Finding], {**facts, "has_training_step": True},
                    {"label_smoothing": DEFAULT_RANGES["label_smoothing"]})


def test_a_config_with_label_smoothing_is_refused_with_a_step():
    train_loader, val_loader, _ = _data()
    with pytest.raises(ConfigError, match="Label smoothing cannot be applied inside the "
                                          "experiment's own training_step"):
        train(_mlp, train_loader, val_loader, RegConfig(label_smoothing=0.1, max_epochs=1),
              training_step=_aux_step)


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"training_step": "loss"}, "'training_step' is a str, not a function. Define "
                                "training_step(model, batch) that returns the loss"),
    ({"clip_grad": 1.0}, "'clip_grad' is a float, not a function. Define clip_grad(model)"),
    ({"training_step": lambda m, b: F.cross_entropy(m(b[0]), b[1]).item()},
     "training_step(model, batch) returned a float; it must return the loss of the batch, one "
     "scalar tensor"),
    ({"training_step": lambda m, b: F.cross_entropy(m(b[0]), b[1], reduction="none")},
     "training_step(model, batch) returned a tensor of shape (25,); it must return the loss"),
    ({"training_step": lambda m, b: F.cross_entropy(m(b[0]), b[1]).detach()},
     "training_step(model, batch) returned a loss that carries no gradient"),
    ({"training_step": lambda m, b: m(b["x"])},
     "training_step(model, batch) raised TypeError: list indices must be integers"),
    ({"clip_grad": lambda m: m.missing}, "clip_grad(model) raised AttributeError"),
])
def test_a_broken_step_is_one_clear_line(kwargs, message):
    with pytest.raises(ExperimentError, match=re.escape(message)) as info:
        build_experiment(model=_mlp, data=_data, epochs=2, **kwargs)
    assert "\n" not in str(info.value)


def test_a_step_or_clipping_changes_the_experiments_identity():
    """A run folder or study of the plain experiment is not resumed with another loss."""
    plain = build_experiment(model=_mlp, data=_data, epochs=2)
    stepped = build_experiment(model=_mlp, data=_data, epochs=2, training_step=_aux_step)
    clipped = build_experiment(model=_mlp, data=_data, epochs=2,
                               clip_grad=lambda m: nn.utils.clip_grad_norm_(m.parameters(), 1))
    again = build_experiment(model=_mlp, data=_data, epochs=2)
    assert len({plain.fingerprint, stepped.fingerprint, clipped.fingerprint}) == 3
    assert again.fingerprint == plain.fingerprint
