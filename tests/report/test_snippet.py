"""The generated code runs on the user's model and builds what regadvisor trained."""

from __future__ import annotations

import importlib.util
import json

import pytest
import torch
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

from regadvisor._record import from_plain, to_plain
from regadvisor.experiment import build_experiment
from regadvisor.report import build_report_data
from regadvisor.report.code import code_parts, full_code
from regadvisor.training import placement, split_parameters, train
from tests.report.conftest import ASSETS, report_data


def _two_digits(v: float) -> float:
    return float(format(v, ".2g"))


def _definitions(code: str, **names) -> dict:
    """Execute the emitted code but its last statement (the call that trains), with ``names``
    standing for the user's script; returns its namespace."""
    lines = code.rstrip().splitlines()
    assert lines[-1].startswith("model = fit("), lines[-1]
    namespace = dict(names)
    exec(compile("\n".join(lines[:-1]), "<emitted>", "exec"), namespace)  # noqa: S102
    return namespace


def _load(name: str):
    spec = importlib.util.spec_from_file_location(f"_snippet_{name}", ASSETS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _check_code_builds_the_placement(code: str, user_model: nn.Module, config: dict,
                                     placement: dict) -> dict:
    """Build the emitted code's optimizer and dropout on the user's model, in the order its
    ``fit`` does; its optimizer groups and dropout must be the placement's, parameter by
    parameter and module by module."""
    names = {id(p): n for n, p in user_model.named_parameters()}
    ns = _definitions(code)
    opt = ns["make_optimizer"](user_model)
    if "apply_dropout" in ns:
        ns["apply_dropout"](user_model)
    assert type(opt).__name__ == placement["optimizer"]
    for key, value in placement["optimizer_kwargs"].items():
        assert opt.defaults[key] == (tuple(value) if isinstance(value, list) else value)
    groups = {g["weight_decay"] > 0: tuple(names[id(p)] for p in g["params"])
              for g in opt.param_groups}
    assert groups.get(True, ()) == tuple(placement["decay"])
    assert groups.get(False, ()) == tuple(placement["no_decay"])
    decayed = [g for g in opt.param_groups if g["weight_decay"] > 0]
    assert all(g["weight_decay"] == pytest.approx(_two_digits(config["weight_decay"]))
               for g in decayed)
    dropout = {n: m.p for n, m in user_model.named_modules() if isinstance(m, nn.Dropout)}
    expected = {n: (_two_digits(p) if config.get("dropout") is not None else p)
                for n, p in placement["dropout_p"].items()}
    assert dropout == pytest.approx(expected)
    return {**ns, "optimizer": opt}


def _stops_after(ns: dict, figures: list[tuple[float, float]], model: nn.Module) -> int:
    """Feed (validation loss, accuracy) pairs to the emitted EarlyStopping, changing the weights
    every epoch; the epoch it stops at (or the number of pairs)."""
    stopper = ns["EarlyStopping"]()
    for epoch, (loss, acc) in enumerate(figures, 1):
        with torch.no_grad():
            next(model.parameters()).add_(1.0)
        if stopper.step(model, loss, acc):
            stopper.restore(model)
            return epoch
    stopper.restore(model)
    return len(figures)


def test_the_whole_change_runs_on_the_users_model(small_run):
    run = json.loads((small_run / "report.json").read_text())
    config = run["placements"]["recommended"]["config"]  # the change the code is for
    # Whether tuning smoothed the labels depends on the winner: the code is a function of the
    # config, so the config is given label smoothing for this test if it has none.
    config["label_smoothing"] = config["label_smoothing"] or 0.05
    data = build_report_data(run)
    placement = run["placements"]["recommended"]["placement"]
    assert placement["dropout_injected"] == \
        run["verification"]["histories"]["recommended"]["dropout_injected"]
    assert config["weight_decay"] > 0 and config["dropout"] and config["patience_epochs"]
    ns = _check_code_builds_the_placement(data.change.code, _load("small_experiment").model(),
                                          config, placement)

    # The optimizer: AdamW, the tuned λ on the weights, none on biases — the same split as the
    # training engine's, checked parameter by parameter.
    opt = ns["optimizer"]
    assert type(opt) is torch.optim.AdamW
    assert opt.defaults["lr"] == config["optimizer"]["lr"]
    split, _ = split_parameters(_load("small_experiment").model(), exempt=True)
    assert tuple(placement["decay"]) == split.decay

    # Label smoothing for training, none for measuring, on the user's own loss.
    train_loss, eval_loss = ns["smoothed"](nn.CrossEntropyLoss())
    assert train_loss.label_smoothing == pytest.approx(_two_digits(config["label_smoothing"]))
    assert eval_loss.label_smoothing == 0.0

    # Early stopping: stops `patience` epochs after the best one and restores its weights.
    model = _load("small_experiment").model()
    first_weight = next(model.parameters()).detach().clone()
    patience = config["patience_epochs"]
    figures = [(1.0, 0.1), (0.8, 0.5), (0.7, 0.9)] + [(0.6, 0.2)] * (patience + 5)
    assert _stops_after(ns, figures, model) == 3 + patience
    assert torch.allclose(next(model.parameters()).detach(), first_weight + 3.0)

    # The whole code trains the user's model on the user's loaders, as pasted.
    user = _load("small_experiment")
    train_loader, val_loader, _ = user.data()
    trained = {"model": user.model(), "train_loader": train_loader, "val_loader": val_loader,
               "criterion": nn.CrossEntropyLoss()}
    exec(compile(data.change.code, "<emitted>", "exec"), trained)  # noqa: S102
    assert trained["model"] is not None and any(
        isinstance(m, nn.Dropout) for m in trained["model"].modules())


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


class Tagger(nn.Module):
    """A small Transformer over token ids: embeddings, its own residual dropouts, a head."""

    def __init__(self) -> None:
        super().__init__()
        self.embed = nn.Embedding(50, 16)
        layer = nn.TransformerEncoderLayer(16, 2, 32, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)
        self.head = nn.Linear(16, 3)

    def forward(self, x):
        return self.head(self.encoder(self.embed(x)).mean(1))


def _mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(),
                         nn.Linear(32, 1))


def _conv() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 8, 3), nn.ReLU(), nn.Flatten(), nn.Dropout(0.5),
                         nn.Linear(8 * 6 * 6, 10))


def _grouped(params):
    params = list(params)
    return optim.AdamW([{"params": [p for p in params if p.ndim > 1][:-1], "weight_decay": 0.05},
                        {"params": [p for p in params if p.ndim <= 1] + [params[-2]],
                         "weight_decay": 0.0}], lr=1e-3)


CASES = {
    # An MLP regression: dropout goes before the hidden layer only, never before the output.
    "regression_mlp": (_mlp, "regression", None, {"weight_decay": 1e-3, "dropout": 0.3,
                                                  "inject_dropout": True}),
    # The model's own dropout gets the tuned p; nothing is injected.
    "cnn_own_dropout": (_conv, "classification", None, {"weight_decay": 5e-4, "dropout": 0.25}),
    # A Transformer: p on its own residual/FFN dropouts; embeddings exempt from decay.
    "transformer": (Tagger, "classification", None, {"weight_decay": 0.1, "dropout": 0.2,
                                                     "exempt_embeddings": True}),
    # The user's optimizer already keeps biases and one weight matrix undecayed: kept.
    "user_groups": (_mlp, "regression", _grouped, {"weight_decay": 0.02}),
    # NAdam: decoupled through its own flag, not L2.
    "nadam": (_mlp, "regression", lambda p: optim.NAdam(p, lr=2e-3), {"weight_decay": 0.01}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_emitted_code_builds_exactly_the_placement(case):
    model_factory, task, user_optimizer, changes = CASES[case]
    exp = build_experiment(model=model_factory, data=_data(task, model_factory),
                           optimizer=user_optimizer, task=task, epochs=3)
    from regadvisor.experiment import baseline_config
    from regadvisor.tuning import SearchSpace, config_for

    base = baseline_config(exp)
    space = SearchSpace(params={}, base={"decoupled": True, "exempt": "bias_and_norm"})
    config = config_for(base.replace(patience_epochs=2), space, changes)
    placed = to_plain(placement(exp.model_factory, config, task))
    # The same placement as the training loop's.
    history = train(exp.model_factory, exp.train_loader, exp.val_loader,
                    config.replace(max_epochs=1), task=task).history
    assert history.decay_params == tuple(placed["decay"])
    assert history.no_decay_params == tuple(placed["no_decay"])
    assert history.dropout_injected == tuple(placed["dropout_injected"])
    # Never decays what the user's setup or the rules exempt.
    assert not set(placed["decay"]) & set(exp.optimizer.undecayed_params)
    assert not [n for n in placed["decay"] if n.endswith("bias")]
    code = full_code(code_parts(to_plain(config), placed, metric="loss"))
    _check_code_builds_the_placement(code, model_factory(), to_plain(config), placed)
    if case == "regression_mlp":
        assert placed["dropout_injected"] == ["2"]  # not "4", the output layer
    if case == "transformer":
        assert placed["dropout_injected"] == [] and placed["dropout_changed"]
        assert "embed.weight" in placed["no_decay"] and "keep_undecayed" in code
    if case == "user_groups":
        assert placed["no_decay_extra"] == ["4.weight"] and "4.weight" not in placed["decay"]
    if case == "nadam":
        assert placed["optimizer"] == "NAdam"
        assert placed["optimizer_kwargs"]["decoupled_weight_decay"] is True


def _data(task: str, model_factory):
    g = torch.Generator().manual_seed(0)
    if model_factory is Tagger:
        x = torch.randint(0, 50, (64, 6), generator=g)
        y = torch.randint(0, 3, (64,), generator=g)
    elif model_factory is _conv:
        x = torch.randn(64, 1, 8, 8, generator=g)
        y = torch.randint(0, 10, (64,), generator=g)
    else:
        x = torch.randn(64, 8, generator=g)
        y = x[:, :1].clone() if task == "regression" else (x[:, 0] > 0).long()
    ds = TensorDataset(x, y)
    return lambda: (DataLoader(ds, batch_size=16, shuffle=True), DataLoader(ds, batch_size=32))


def _config(**changes) -> dict:
    config = {"weight_decay": 0.0, "decoupled": True, "exempt": "bias_and_norm", "l1": 0.0,
              "dropout": None, "inject_dropout": False, "label_smoothing": 0.0,
              "patience_epochs": None, "min_delta": 0.0, "monitor": "val_metric",
              "max_epochs": 20, "seed": 0, "lr": None,
              "optimizer": {"name": "Adam", "lr": 1e-3, "weight_decay": 0.0, "kwargs": {},
                            "decayed_params": [], "module": "torch.optim"}}
    config.update(changes)
    return config


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
    from regadvisor.training import RegConfig

    placed = to_plain(placement(_conv, from_plain(RegConfig, config)))
    parts = code_parts(config, placed, model_class="Net")
    model = _conv()
    code = full_code(parts)
    ns = _definitions(code)
    if "apply_dropout" in ns:
        ns["apply_dropout"](model)
    if "cls" in expected:
        opt = ns["make_optimizer"](model)
        assert type(opt) is expected["cls"] and len(opt.param_groups) == expected["groups"]
        assert opt.param_groups[0]["weight_decay"] == expected["wd"]
        if "momentum" in expected:
            assert opt.defaults["momentum"] == expected["momentum"]
    if "p" in expected:
        assert [m.p for m in model.modules() if isinstance(m, nn.Dropout)] == [expected["p"]]
        assert "'3'" in code  # names the user's dropout module
    if "calls" in expected:  # best at epoch 2 (loss 0.5), patience 2
        losses = [0.9, 0.5, 1.0, 1.2, 1.3, 1.4]
        assert _stops_after(ns, [(v, 0.0) for v in losses], model) == expected["calls"]
    if "l1" in expected:
        with torch.no_grad():
            weights = sum(p.abs().sum() for n, p in model.named_parameters()
                          if n.endswith("weight"))
            penalty = ns["l1_penalty"](ns["l1_weights"](model))
            assert float(penalty) == pytest.approx(expected["l1"] * float(weights))


def test_no_change_gives_no_code():
    from regadvisor.training import RegConfig

    config = _config()
    assert code_parts(config, to_plain(placement(_conv, from_plain(RegConfig, config)))) == []


def test_augmentation_gets_code_only_when_its_strength_changes():
    from regadvisor.training import RegConfig

    config = _config(weight_decay=1e-2, augment=0.4)
    placed = to_plain(placement(_conv, from_plain(RegConfig, config)))
    kept = code_parts(config, placed, baseline=_config(augment=0.4))
    assert [p.key for p in kept] == ["header", "optimizer", "training"]
    changed = code_parts(config, placed, baseline=_config(augment=0.1))
    assert [p.key for p in changed] == ["header", "optimizer", "augment", "training"]
    assert "data(augment=0.4)[0]" in changed[2].body and "data(augment=s)" in changed[0].body
