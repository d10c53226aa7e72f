"""Setting and injecting dropout changes the module tree as stated."""

from __future__ import annotations

from torch import nn

from regadvisor.examples import digits_cnn, digits_noisy
from regadvisor.training import inject_dropout, set_dropout, train
from regadvisor.training.dropout import dropout_targets
from regadvisor.tuning.space import ParamRange
from regadvisor.tuning.trials import config_for


def test_set_dropout_changes_existing_modules():
    model = digits_cnn.model()
    changed = set_dropout(model, 0.45)
    assert changed == ["10"]
    assert all(m.p == 0.45 for m in model.modules() if isinstance(m, nn.Dropout))


def test_inject_dropout_before_hidden_linear_layers():
    model = digits_noisy.model()
    names = inject_dropout(model, 0.3)
    assert names == ["2", "4"]
    assert isinstance(model[0], nn.Linear)  # the input layer is left alone
    for i in (2, 4):
        assert isinstance(model[i], nn.Sequential)
        assert isinstance(model[i][0], nn.Dropout) and model[i][0].p == 0.3
        assert isinstance(model[i][1], nn.Linear)
    n_dropout = sum(isinstance(m, nn.Dropout) for m in model.modules())
    assert n_dropout == 2


def test_inject_dropout_in_cnn_head_only():
    model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.Flatten(), nn.Linear(144, 10))
    assert inject_dropout(model, 0.5) == ["2"]
    assert isinstance(model[2][0], nn.Dropout)


def test_linear_model_gets_no_dropout():
    model = nn.Linear(10, 1)
    assert inject_dropout(model, 0.5) == []


class _HeadFirst(nn.Module):
    """A regression net whose ``__init__`` registers the output layer before the body."""

    def __init__(self):
        super().__init__()
        self.head = nn.Linear(32, 1)
        self.body = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU())

    def forward(self, x):
        return self.head(self.body(x))


def test_dropout_goes_where_the_forward_pass_says_not_where_init_registered():
    """The layer that reads the inputs and the regression output are found by running the model
    on a real batch: dropout goes before body.2 only, never before the raw inputs (body.0) or
    the output (head), and training on the diabetes data puts it there."""
    import torch

    from regadvisor.examples._data import diabetes_splits, loaders
    from regadvisor.experiment import baseline_config, build_experiment
    from regadvisor.pipeline._runner import _placements
    from regadvisor.tuning import build_space

    exp = build_experiment(model=_HeadFirst, data=lambda: loaders(diabetes_splits(), 32, False),
                           loss=nn.MSELoss, task="regression", epochs=3)
    assert exp.layer_order == ("body.0", "body.2", "head")
    assert dropout_targets(_HeadFirst(), "regression") != ["body.2"]  # registration order fails
    assert dropout_targets(_HeadFirst(), "regression", exp.layer_order) == ["body.2"]

    from regadvisor.diagnosis.inspect import inspect_experiment

    inspection = inspect_experiment(exp)
    assert inspection.dropout_targets == ["body.2"]
    assert inspection.facts["n_dropout_targets"] == 1
    space = build_space([], {**inspection.facts, "verdict": "overfitting"},
                        {"dropout": ParamRange("dropout", 0.0, 0.5)}, inspection.dropout_targets)
    config = config_for(baseline_config(exp), space, {"dropout": 0.3, "weight_decay": 1e-3,
                                                      "patience_epochs": 5})
    placed = _placements(exp, baseline_config(exp), config)["recommended"].placement
    assert placed.dropout_injected == ("body.2",)
    result = train(exp.model_factory, exp.train_loader, exp.val_loader, config,
                   task="regression", loss_factory=exp.loss_factory)
    dropouts = [n for n, m in result.model.named_modules() if isinstance(m, nn.Dropout)]
    assert dropouts == ["body.2.0"]
    assert torch.isfinite(torch.tensor(result.history.last.val_loss))
