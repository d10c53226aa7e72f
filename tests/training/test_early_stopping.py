"""Early stopping decisions on given validation-loss sequences."""

from __future__ import annotations

import pytest

from regadvisor.training import EarlyStopping


def _run(losses, patience, min_delta=0.0):
    stopper = EarlyStopping(patience_epochs=patience, min_delta=min_delta, monitor="val_loss")
    for epoch, loss in enumerate(losses, start=1):
        _, stop, reason = stopper.update(epoch, loss, 0.0)
        if stop:
            return epoch, stopper.best_epoch, reason
    return None, stopper.best_epoch, ""


@pytest.mark.parametrize(
    ("losses", "patience", "min_delta", "stop_epoch", "best_epoch"),
    [
        ([1.0, 0.9, 0.8, 0.85, 0.86, 0.87], 3, 0.0, 6, 3),
        ([1.0, 0.9, 0.8, 0.85, 0.79, 0.9, 0.95], 2, 0.0, 7, 5),
        ([1.0, 0.99, 0.985, 0.98], 2, 0.05, 3, 1),
        ([1.0, 0.9, 0.8, 0.7], 2, 0.0, None, 4),
        ([0.5, 0.6, 0.7, 0.8, 0.9], 1, 0.0, 2, 1),
        ([0.5, 0.5, 0.5], 2, 0.0, 3, 1),
    ],
)
def test_stop_epoch(losses, patience, min_delta, stop_epoch, best_epoch):
    stopped, best, reason = _run(losses, patience, min_delta)
    assert stopped == stop_epoch
    assert best == best_epoch
    if stopped:
        assert f"last {patience} epochs" in reason and f"epoch {best_epoch}" in reason


def test_metric_monitor_breaks_ties_with_the_loss():
    stopper = EarlyStopping(patience_epochs=2, monitor="val_metric", higher_is_better=True)
    assert stopper.update(1, 1.0, 0.80)[0]
    assert stopper.update(2, 0.9, 0.80)[0]  # same accuracy, lower loss: improvement
    assert not stopper.update(3, 0.95, 0.80)[0]
    improved, stop, reason = stopper.update(4, 0.92, 0.79)
    assert not improved and stop
    assert "best 0.8000 at epoch 2" in reason


def test_no_patience_never_stops():
    stopper = EarlyStopping(patience_epochs=None)
    for epoch in range(1, 50):
        assert not stopper.update(epoch, float(epoch), 0.0)[1]
