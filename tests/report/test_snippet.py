"""The generated code runs on the user's model and builds what regadvisor trained."""

from __future__ import annotations

import importlib.util
import json

import pytest
import torch
from torch import nn

from regadvisor.report.snippet import code_parts, full_code, hidden_linear_layers
from regadvisor.training import split_parameters
from regadvisor.training.dropout import inject_dropout
from tests.report.conftest import ASSETS, report_data


def _two_digits(v: float) -> float:
    return float(format(v, ".2g"))


def _run_code(code: str, model: nn.Module, scores: list[float]) -> dict:
    """Execute a snippet with stand-ins for the user's loop; returns its namespace."""
    calls = []

    def train_one_epoch(model, optimizer, criterion):
        calls.append(len(calls) + 1)
        with torch.no_grad():
            next(model.parameters()).add_(1.0)  # each epoch changes the weights

    def evaluate(model, loader):
        return scores[len(calls) - 1]

    # The user's own script already has an optimizer and a loss; a snippet may replace them.
    namespace = {"model": model, "train_one_epoch": train_one_epoch, "evaluate": evaluate,
                 "val_loader": None, "calls": calls, "optimizer": "yours", "criterion": "yours"}
    exec(compile(code, "<snippet>", "exec"), namespace)  # noqa: S102 - our own generated code
    return namespace


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_snippet_{name}", ASSETS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_whole_change_runs_on_the_users_model(small_run):
    run = json.loads((small_run / "report.json").read_text())
    data = report_data(small_run)
    config = run["recommendation"]["config"]
    assert config["weight_decay"] > 0 and config["dropout"] and config["patience_epochs"]
    user_model = _load("small_experiment").model()
    first_weight = next(user_model.parameters()).detach().clone()
    patience = config["patience_epochs"]
    scores = [0.1, 0.5, 0.9] + [0.2] * (patience + 5)  # best at epoch 3, then no improvement
    ns = _run_code(data.change["code"], user_model, scores)

    # Dropout in front of exactly the layers regadvisor's training put it, with the tuned p.
    injected = run["verification"]["histories"]["recommended"]["dropout_injected"]
    reference = _load("small_experiment").model()
    assert inject_dropout(reference, config["dropout"]) == injected
    dropouts = [m for m in user_model.modules() if isinstance(m, nn.Dropout)]
    assert len(dropouts) == len(injected)
    assert all(m.p == pytest.approx(_two_digits(config["dropout"])) for m in dropouts)
    assert [n for n, _ in user_model.named_parameters()] == \
        [n for n, _ in reference.named_parameters()]

    # The optimizer: AdamW, the tuned λ on the weights, none on biases — the same split as the
    # training engine's, checked parameter by parameter.
    opt = ns["optimizer"]
    assert type(opt) is torch.optim.AdamW
    assert opt.defaults["lr"] == config["optimizer"]["lr"]
    split, _ = split_parameters(user_model, exempt=True)
    names = {id(p): n for n, p in user_model.named_parameters()}
    decay, no_decay = opt.param_groups
    assert decay["weight_decay"] == pytest.approx(_two_digits(config["weight_decay"]))
    assert no_decay["weight_decay"] == 0.0
    assert tuple(names[id(p)] for p in decay["params"]) == split.decay
    assert tuple(names[id(p)] for p in no_decay["params"]) == split.no_decay

    # Label smoothing for training, none for measuring.
    assert ns["criterion"].label_smoothing == pytest.approx(_two_digits(
        config["label_smoothing"]))
    assert ns["eval_criterion"].label_smoothing == 0.0

    # Early stopping: stops `patience` epochs after the best one (or at the last epoch) and
    # restores the best epoch's weights.
    assert ns["calls"] == list(range(1, min(3 + patience, config["max_epochs"]) + 1))
    restored = next(user_model.parameters()).detach()
    assert torch.allclose(restored, first_weight + 3.0)


def test_each_finding_shows_the_code_of_its_own_settings(small_run):
    data = report_data(small_run)
    by_rule = {f["rule_id"]: f for f in data.findings}
    assert [p.key for p in by_rule["add-weight-decay"]["parts"]] == ["optimizer"]
    assert [p.key for p in by_rule["add-dropout-fc"]["parts"]] == ["dropout"]
    assert [p.key for p in by_rule["add-early-stopping"]["parts"]] == ["early_stopping"]
    assert by_rule["add-weight-decay"]["applied"]
    advice_only = [f for f in data.findings if not (f.get("actions") or {}).get("set")
                   and not (f.get("actions") or {}).get("tune")
                   and not (f.get("actions") or {}).get("search")]
    assert advice_only and all(not f["applied"] and not f["parts"] for f in advice_only)
    assert all("Advice only" in f["effect"] for f in advice_only)


LAYERS = [{"name": "features.0", "kind": "conv", "detail": "1→8, kernel (3, 3)"},
          {"name": "features.1", "kind": "activation", "detail": ""},
          {"name": "head.0", "kind": "dropout", "detail": "p=0.5"},
          {"name": "head.1", "kind": "linear", "detail": "72→10"}]


def _config(**changes) -> dict:
    config = {"weight_decay": 0.0, "decoupled": True, "exempt": "bias_and_norm", "l1": 0.0,
              "dropout": None, "inject_dropout": False, "label_smoothing": 0.0,
              "patience_epochs": None, "min_delta": 0.0, "monitor": "val_metric",
              "max_epochs": 20, "seed": 0, "lr": None,
              "optimizer": {"name": "Adam", "lr": 1e-3, "weight_decay": 0.0, "kwargs": {},
                            "decayed_params": [], "module": "torch.optim"}}
    config.update(changes)
    return config


def _conv_model() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Flatten(), nn.Dropout(0.5),
                         nn.Linear(8 * 6 * 6, 10))


@pytest.mark.parametrize(("changes", "expected"), [
    # SGD keeps its own weight decay and momentum.
    ({"weight_decay": 5e-4, "optimizer": {"name": "SGD", "lr": 0.1, "kwargs": {"momentum": 0.9},
                                          "module": "torch.optim"}},
     {"cls": torch.optim.SGD, "wd": 5e-4, "momentum": 0.9, "groups": 2}),
    # Every parameter decayed, as a plain optimizer(model.parameters(), weight_decay=λ) does.
    ({"weight_decay": 1e-2, "exempt": "none"}, {"cls": torch.optim.AdamW, "wd": 1e-2,
                                                "groups": 1}),
    # The model's own dropout modules get the tuned p.
    ({"dropout": 0.25}, {"p": 0.25}),
    # Early stopping on the loss: lower is better.
    ({"patience_epochs": 2, "monitor": "val_loss"}, {"calls": 4}),
    ({"l1": 1e-5}, {"l1": 1e-5}),
])
def test_snippets_for_other_configurations(changes, expected):
    config = _config(**{k: v for k, v in changes.items() if k != "optimizer"})
    if "optimizer" in changes:
        config["optimizer"] = {**config["optimizer"], **changes["optimizer"]}
    inspection = {"layers": LAYERS, "recommended_decay": ["0.weight", "4.weight"],
                  "recommended_no_decay": ["0.bias", "4.bias"]}
    parts = code_parts(config, inspection, model_class="Net")
    model = _conv_model()
    code = full_code(parts)
    ns = _run_code(code, model, [0.9, 0.5, 1.0, 1.2, 1.3, 1.4] if "calls" in expected else [0.0])
    if "cls" in expected:
        opt = ns["optimizer"]
        assert type(opt) is expected["cls"] and len(opt.param_groups) == expected["groups"]
        assert opt.param_groups[0]["weight_decay"] == expected["wd"]
        if "momentum" in expected:
            assert opt.defaults["momentum"] == expected["momentum"]
    if "p" in expected:
        assert [m.p for m in model.modules() if isinstance(m, nn.Dropout)] == [expected["p"]]
        assert "head.0" in code  # names the user's dropout layers
    if "calls" in expected:
        assert len(ns["calls"]) == expected["calls"]  # best at epoch 2 (0.5), patience 2
    if "l1" in expected:
        with torch.no_grad():
            weights = sum(p.abs().sum() for n, p in model.named_parameters()
                          if n.endswith("weight"))
            assert float(ns["l1_penalty"](model)) == pytest.approx(expected["l1"] * float(weights))


def test_no_change_gives_no_code():
    assert code_parts(_config(), {"layers": LAYERS}) == []


def test_hidden_linear_layers_follow_the_training_rule():
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(), nn.Linear(8, 2))
    layers = [{"name": n, "kind": "linear" if isinstance(m, nn.Linear) else "activation"}
              for n, m in model.named_children()]
    assert hidden_linear_layers(layers) == inject_dropout(model, 0.1) == ["2", "4"]
