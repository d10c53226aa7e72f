"""Setting and injecting dropout changes the module tree as stated."""

from __future__ import annotations

from torch import nn

from regadvisor.examples import digits_cnn, digits_noisy
from regadvisor.training import inject_dropout, set_dropout


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
