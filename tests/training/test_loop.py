"""The training loop on real (small) data."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from regadvisor._record import to_plain
from regadvisor.training import RegConfig, StopReason, train
from tests.conftest import make_loaders, small_mlp


def test_loop_learns_clean_digits(digits_loaders):
    train_loader, val_loader, _ = digits_loaders
    result = train(lambda: small_mlp(128), train_loader, val_loader, RegConfig(max_epochs=30))
    history = result.history
    assert history.epochs_run == 30
    # Measured: the 64-128-10 MLP reaches about 95 % validation accuracy on clean digits.
    assert history.best.val_metric >= 0.92
    assert history.records[0].train_loss > history.last.train_loss
    assert history.last.train_metric >= 0.95
    assert history.stop_reason is StopReason.MAX_EPOCHS


def test_same_seed_gives_same_history(digits_loaders):
    train_loader, val_loader, _ = digits_loaders
    config = RegConfig(max_epochs=5, seed=3, dropout=0.3, inject_dropout=True, weight_decay=1e-2)
    a = train(lambda: small_mlp(64), train_loader, val_loader, config).history
    b = train(lambda: small_mlp(64), train_loader, val_loader, config).history
    c = train(lambda: small_mlp(64), train_loader, val_loader, config.replace(seed=4)).history
    assert a.curves() == b.curves()
    assert a.curves() != c.curves()


def test_fast_path_and_dataloader_path_agree(digits_loaders):
    """Same seed, same sample order: the device-resident path reproduces the DataLoader's."""
    train_loader, val_loader, _ = digits_loaders
    config = RegConfig(max_epochs=4, seed=1, dropout=0.2, inject_dropout=True)
    fast = train(lambda: small_mlp(64), train_loader, val_loader, config, fast_path=True).history
    slow = train(lambda: small_mlp(64), train_loader, val_loader, config,
                 fast_path=False).history
    assert fast.fast_path and not slow.fast_path
    _assert_same_curves(fast, slow)


def test_fast_path_with_loader_generator_and_drop_last(digits):
    x, y = (torch.as_tensor(a) for a in digits[0])
    g = torch.Generator().manual_seed(7)
    loader = DataLoader(TensorDataset(x, y), batch_size=64, shuffle=True, drop_last=True,
                        generator=g)
    val = DataLoader(TensorDataset(*(torch.as_tensor(a) for a in digits[1])), batch_size=100)
    config = RegConfig(max_epochs=3)
    g.manual_seed(7)
    fast = train(lambda: small_mlp(32), loader, val, config, fast_path=True).history
    g.manual_seed(7)
    slow = train(lambda: small_mlp(32), loader, val, config, fast_path=False).history
    _assert_same_curves(fast, slow)


def _assert_same_curves(fast, slow):
    """The training trajectory is identical; evaluation may batch differently (float sums)."""
    assert len(fast.records) == len(slow.records)
    for a, b in zip(fast.records, slow.records, strict=True):
        assert a.step_loss == b.step_loss
        assert (a.train_loss, a.train_metric) == (b.train_loss, b.train_metric)
        assert a.val_loss == pytest.approx(b.val_loss, rel=1e-6)
        assert a.val_metric == pytest.approx(b.val_metric, abs=1e-9)


class _NaNAfter(nn.Module):
    """A model whose output becomes NaN from its 15th forward pass in training."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = nn.Linear(64, 10)
        self.calls = 0

    def forward(self, x):
        out = self.linear(x)
        if self.training:
            self.calls += 1
            if self.calls >= 15:
                out = out * float("nan")
        return out


def test_nan_loss_ends_as_diverged(digits_loaders):
    train_loader, val_loader, _ = digits_loaders
    history = train(_NaNAfter, train_loader, val_loader, RegConfig(max_epochs=10)).history
    assert history.stop_reason is StopReason.DIVERGED
    # 300 samples / batch 32 = 10 steps per epoch: the 15th step is epoch 2, step 5.
    assert history.diverged_at == (2, 5)
    assert history.epochs_run == 2
    assert "epoch 2, step 5" in history.stop_message


def test_huge_learning_rate_diverges_without_exception():
    from regadvisor.examples import diabetes
    from regadvisor.training import OptimizerSpec

    train_loader, val_loader, _ = diabetes.data()
    config = RegConfig(max_epochs=30, optimizer=OptimizerSpec(name="SGD", lr=5.0))
    history = train(lambda: nn.Linear(10, 1), train_loader, val_loader, config,
                    task="regression").history
    assert history.diverged
    assert history.epochs_run < 30
    assert history.diverged_at is not None and history.diverged_at[0] == history.epochs_run


def test_label_smoothing_reaches_the_loss(digits_loaders):
    train_loader, val_loader, _ = digits_loaders
    base = RegConfig(max_epochs=1, seed=0)
    plain = train(lambda: small_mlp(64), train_loader, val_loader, base).history
    smooth = train(lambda: small_mlp(64), train_loader, val_loader,
                   base.replace(label_smoothing=0.3)).history
    # The optimizer saw a different (smoothed) loss; the evaluation loss stays the plain one.
    assert smooth.records[0].step_loss != pytest.approx(plain.records[0].step_loss, abs=1e-3)
    assert smooth.records[0].step_loss > plain.records[0].step_loss


def test_l1_term_gradient_is_lambda_sign_w(digits):
    """One SGD step with lr=1 on a zero-loss batch moves each weight by -λ·sign(w)."""
    lam = 0.01
    x = torch.zeros(4, 3)
    y = torch.zeros(4)
    loader = DataLoader(TensorDataset(x, y), batch_size=4)
    captured = {}

    def factory():
        torch.manual_seed(0)
        m = nn.Linear(3, 1)
        captured["w0"] = m.weight.detach().clone()
        captured["b0"] = m.bias.detach().clone()
        return m

    from regadvisor.training.config import OptimizerSpec

    config = RegConfig(max_epochs=1, l1=lam, lr=1.0, optimizer=OptimizerSpec(name="SGD", lr=1.0),
                       decoupled=False, patience_epochs=None)

    class ZeroLoss(nn.Module):
        def forward(self, out, target):
            return (out * 0).sum()

    result = train(factory, loader, loader, config, task="regression", loss_factory=ZeroLoss)
    w1 = result.model.weight.detach()
    expected = captured["w0"] - lam * torch.sign(captured["w0"])
    assert torch.allclose(w1, expected, atol=1e-7)
    # Biases carry no L1 term.
    assert torch.allclose(result.model.bias.detach(), captured["b0"])


def test_early_stopping_restores_the_best_weights(digits_loaders):
    train_loader, val_loader, _ = digits_loaders
    config = RegConfig(max_epochs=60, patience_epochs=3, monitor="val_loss", lr=3e-3)
    result = train(lambda: small_mlp(256), train_loader, val_loader, config)
    h = result.history
    assert h.stop_reason is StopReason.EARLY_STOPPED
    assert h.epochs_run == h.best_epoch + 3
    # Re-evaluate the returned model: it holds the best epoch's weights, not the last.
    model = result.model.eval()
    x, y = val_loader.dataset.tensors
    with torch.no_grad():
        loss = nn.functional.cross_entropy(model(x), y).item()
    assert loss == pytest.approx(h.best.val_loss, rel=1e-5)
    assert not math.isclose(loss, h.last.val_loss, rel_tol=1e-6)
    assert "did not improve" in h.stop_message and f"epoch {h.best_epoch}" in h.stop_message


def test_regression_trains_and_reports_loss_as_metric():
    from regadvisor.examples import diabetes

    train_loader, val_loader, _ = diabetes.data()
    h = train(diabetes.model, train_loader, val_loader, RegConfig(max_epochs=5),
              task="regression").history
    assert h.metric_name == "loss" and not h.higher_is_better
    assert h.last.val_metric == h.last.val_loss
    assert h.last.train_loss < h.records[0].train_loss + 1.0


def test_callbacks_see_every_epoch_and_can_stop_the_run(digits_loaders):
    train_loader, val_loader, _ = digits_loaders
    seen = []

    class Stop(Exception):
        pass

    def callback(record, history):
        seen.append(record.epoch)
        if record.epoch == 3:
            raise Stop

    with pytest.raises(Stop):
        train(lambda: small_mlp(32), train_loader, val_loader, RegConfig(max_epochs=10),
              callbacks=[callback])
    assert seen == [1, 2, 3]


@pytest.mark.parametrize("reason", [StopReason.STOPPED, StopReason.BUDGET])
def test_a_callback_stop_ends_the_run_with_the_reason_it_gives(digits_loaders, reason):
    """StopTraining ends the run after the epoch, as a normal stop, with its own reason (the
    diagnosis says "budget" when its time is spent) and its message."""
    from regadvisor.training import StopTraining

    train_loader, val_loader, _ = digits_loaders

    def callback(record, history):
        if record.epoch == 2:
            raise StopTraining("enough after epoch 2", reason=reason)

    result = train(lambda: small_mlp(32), train_loader, val_loader, RegConfig(max_epochs=10),
                   callbacks=[callback])
    h = result.history
    assert (h.epochs_run, h.stop_reason) == (2, reason)
    assert h.stop_message.startswith("enough after epoch 2")


def test_train_eval_uses_eval_mode_figures(digits):
    """With dropout p=0.9 the step loss (train mode) is far above the eval-mode train loss."""
    loaders = make_loaders(digits)
    h = train(lambda: small_mlp(128, dropout=0.9), loaders[0], loaders[1],
              RegConfig(max_epochs=15)).history
    assert h.last.step_loss > h.last.train_loss


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast", "dataloader"])
def test_skipping_training_figures_leaves_the_run_unchanged(digits_loaders, fast_path):
    """Tuning trials skip the eval-mode training figures; the run itself must not change."""
    train_loader, val_loader, _ = digits_loaders
    config = RegConfig(max_epochs=6, seed=2, dropout=0.3, inject_dropout=True,
                       patience_epochs=3, weight_decay=1e-3)
    full = train(lambda: small_mlp(64), train_loader, val_loader, config,
                 fast_path=fast_path).history
    lean = train(lambda: small_mlp(64), train_loader, val_loader, config, fast_path=fast_path,
                 train_figures=False).history
    assert all(math.isfinite(r.train_loss) for r in full.records)
    assert all(math.isnan(r.train_loss) and math.isnan(r.train_metric) for r in lean.records)
    assert [(r.step_loss, r.val_loss, r.val_metric) for r in lean.records] == \
        [(r.step_loss, r.val_loss, r.val_metric) for r in full.records]
    assert (lean.best_epoch, lean.stop_reason) == (full.best_epoch, full.stop_reason)
    # The JSON form holds null for the figures that were not measured.
    assert to_plain(lean)["records"][0]["train_loss"] is None


def test_skipped_figures_still_catch_divergence(digits_loaders):
    train_loader, val_loader, _ = digits_loaders
    h = train(_NaNAfter, train_loader, val_loader, RegConfig(max_epochs=5),
              train_figures=False).history
    assert h.stop_reason is StopReason.DIVERGED
    assert h.diverged_at == (2, 5)  # the 15th step, as with the figures


class _CountingNoise(torch.utils.data.Dataset):
    """A random transform (fresh noise per access) that counts the accesses per index."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor) -> None:
        self.x, self.y = x, y
        self.reads = [0] * len(y)

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        self.reads[i] += 1
        return self.x[i] + 0.05 * torch.randn_like(self.x[i]), self.y[i]


def test_training_figure_sample_is_read_once_through_a_transforming_dataset(digits):
    x, y = (torch.as_tensor(a) for a in digits[0])
    data = _CountingNoise(x, y)
    loader = DataLoader(data, batch_size=64, shuffle=True)
    val = DataLoader(TensorDataset(*(torch.as_tensor(a) for a in digits[1])), batch_size=100)
    epochs, k = 4, 100
    h = train(lambda: small_mlp(32), loader, val, RegConfig(max_epochs=epochs),
              train_eval_samples=k).history
    assert not h.fast_path and all(math.isfinite(r.train_loss) for r in h.records)
    # The first k samples: once per epoch for training, once in all for the figures.
    assert data.reads[:k] == [epochs + 1] * k
    assert data.reads[k:] == [epochs] * (len(y) - k)


class _OrderRecorder(nn.Module):
    """The small MLP, recording the first input value of every training batch."""

    def __init__(self, seen: list[list[float]]) -> None:
        super().__init__()
        self.net = small_mlp(32)
        self.seen = seen

    def forward(self, x):
        if self.training:
            self.seen[-1].append(float(x[0, 0:8].sum()))
        return self.net(x)


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast", "dataloader"])
def test_two_arms_of_one_seed_read_the_same_batches_in_the_same_order(digits, fast_path):
    """Common random numbers: a loader that shuffles with a generator of its own starts every
    run from the state the user's script starts from, not from where the previous run (the
    other arm) left it; so both arms of one seed read the same batches, in every epoch, even
    when only one of them has dropout."""
    x, y = (torch.as_tensor(a) for a in digits[0])
    generator = torch.Generator().manual_seed(11)
    loader = DataLoader(TensorDataset(x, y), batch_size=50, shuffle=True, generator=generator)
    val = DataLoader(TensorDataset(*(torch.as_tensor(a) for a in digits[1])), batch_size=100)
    seen: list[list[float]] = []
    for config in (RegConfig(max_epochs=3, seed=5),
                   RegConfig(max_epochs=3, seed=5, dropout=0.5, inject_dropout=True,
                             weight_decay=0.1)):
        seen.append([])
        train(lambda: _OrderRecorder(seen), loader, val, config, fast_path=fast_path,
              train_figures=False)
    assert len(seen[0]) == len(seen[1]) == 3 * 6
    assert seen[0] == seen[1]


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast", "dataloader"])
def test_a_run_reads_the_batches_of_the_users_own_loop(digits, fast_path):
    """With the global generator, a run reads the batches the user's own loop reads with that
    seed (seed, build the model, then per epoch a pass over each loader), so both arms share
    their initialisation and their first epoch's order, and the whole order when their models
    draw alike (on the CPU, dropout draws from the same generator as the loader)."""
    x, y = (torch.as_tensor(a) for a in digits[0])
    loader = DataLoader(TensorDataset(x, y), batch_size=50, shuffle=True)
    val = DataLoader(TensorDataset(*(torch.as_tensor(a) for a in digits[1])), batch_size=100)
    seen: list[list[float]] = [[]]
    train(lambda: _OrderRecorder(seen), loader, val, RegConfig(max_epochs=3, seed=5),
          fast_path=fast_path, train_figures=False)
    seen.append([])
    torch.manual_seed(5)
    model = _OrderRecorder(seen)
    for _ in range(3):
        model.train()
        for xb, _yb in loader:
            model(xb)
        for _batch in val:
            pass
    assert seen[1] == seen[0]
    seen.append([])
    train(lambda: _OrderRecorder(seen), loader, val, RegConfig(max_epochs=3, seed=5, dropout=0.5,
                                                               inject_dropout=True),
          fast_path=fast_path, train_figures=False)
    assert seen[2][:6] == seen[0][:6]  # the first epoch's batches


@pytest.mark.parametrize("name", ["weight_decay", "l1", "label_smoothing"])
def test_a_setting_that_is_a_number_is_not_none(name):
    from regadvisor.errors import ConfigError

    with pytest.raises(ConfigError, match=f"'{name}' setting of RegConfig must be .* Got None"):
        RegConfig(**{name: None})
    # The ones whose default is None (not set) take it.
    assert RegConfig(dropout=None, patience_epochs=None).dropout is None
