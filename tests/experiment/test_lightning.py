"""LightningModule and LightningDataModule experiments, as written: their hooks train in
regadvisor's loop as Lightning's Trainer runs them."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.optim.optimizer import register_optimizer_step_pre_hook
from torch.utils.data import DataLoader, TensorDataset

from regadvisor.errors import ExperimentError
from regadvisor.experiment import baseline_config, build_experiment
from regadvisor.training import train_experiment

L = pytest.importorskip("lightning.pytorch")

EPOCHS = 4


def _digits(n_train=200, n_val=100):
    from sklearn.datasets import load_digits

    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x / 16.0, dtype=torch.float32)
    y = torch.tensor(y)
    return (TensorDataset(x[:n_train], y[:n_train]),
            TensorDataset(x[n_train:n_train + n_val], y[n_train:n_train + n_val]),
            TensorDataset(x[1000:1300], y[1000:1300]))


class Data(L.LightningDataModule):
    calls: list[str] = []

    def prepare_data(self):
        Data.calls.append("prepare_data")

    def setup(self, stage):
        Data.calls.append(f"setup:{stage}")
        self.train_set, self.val_set, self.test_set = _digits()

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=20, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=64)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=256)


class Net(L.LightningModule):
    """A digits MLP; ``FORM`` says what configure_optimizers returns."""

    FORM = "optimizer"

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss, on_step=True, on_epoch=True)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", F.cross_entropy(self(x), y))

    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=0.1, momentum=0.9)
        form = self.FORM
        if form == "optimizer":
            return opt
        if form == "list":
            return [opt]
        if form == "two_lists":
            return [opt], [torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)]
        if form == "dict_scheduler":
            return {"optimizer": opt,
                    "lr_scheduler": torch.optim.lr_scheduler.ExponentialLR(opt, 0.7)}
        if form == "step_frequency":
            return {"optimizer": opt, "lr_scheduler": {
                "scheduler": torch.optim.lr_scheduler.ExponentialLR(opt, 0.95),
                "interval": "step", "frequency": 3}}
        if form == "plateau":
            return {"optimizer": opt, "lr_scheduler": {
                "scheduler": torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5,
                                                                        patience=0),
                "monitor": "val_loss"}}
        if form == "onecycle":  # sized by the trainer, as Lightning users write it
            return {"optimizer": opt, "lr_scheduler": {
                "scheduler": torch.optim.lr_scheduler.OneCycleLR(
                    opt, max_lr=0.2, total_steps=self.trainer.estimated_stepping_batches),
                "interval": "step"}}
        raise AssertionError(form)


def _net(form):
    return type(f"Net_{form}", (Net,), {"FORM": form})


def _record_lrs():
    lrs = []
    handle = register_optimizer_step_pre_hook(
        lambda opt, args, kwargs: lrs.append(float(opt.param_groups[0]["lr"])))
    return lrs, handle


def _lightning_lrs(module_class):
    """The rate of every optimizer step of Lightning's own Trainer.fit."""
    lrs, handle = _record_lrs()
    try:
        torch.manual_seed(0)
        trainer = L.Trainer(max_epochs=EPOCHS, accelerator="cpu", logger=False,
                            enable_progress_bar=False, enable_model_summary=False,
                            enable_checkpointing=False, num_sanity_val_steps=0)
        trainer.fit(module_class(), datamodule=Data())
    finally:
        handle.remove()
    return lrs


@pytest.mark.parametrize("form", ["optimizer", "list", "two_lists", "dict_scheduler",
                                  "step_frequency", "plateau", "onecycle"])
def test_configure_optimizers_trains_as_lightning_steps_it(form):
    module_class = _net(form)
    exp = build_experiment(model=module_class, data=Data, epochs=EPOCHS)
    assert exp.optimizer.name == "SGD" and exp.optimizer.kwargs["momentum"] == 0.9
    lrs, handle = _record_lrs()
    try:
        result = train_experiment(exp, baseline_config(exp))
    finally:
        handle.remove()
    assert lrs == pytest.approx(_lightning_lrs(module_class), rel=1e-6)
    assert result.history.epochs_run == EPOCHS


def test_the_datamodule_is_read_as_trainer_fit_and_test_read_it():
    Data.calls.clear()
    exp = build_experiment(model=_net("optimizer"), data=Data, epochs=EPOCHS)
    assert Data.calls == ["prepare_data", "setup:fit", "setup:test"]
    assert (exp.n_train, exp.n_val, exp.n_test) == (200, 100, 300)
    assert exp.lightning == {"module": "Net_optimizer", "datamodule": True,
                             "validation_logs": ["val_loss"], "monitor": None}


TARGET = 3.0


class Anchored(Net):
    """training_step adds an auxiliary term pulling ``anchor`` (used nowhere else) to 3, and
    reads what Lightning users read from the trainer in their hooks."""

    AUX = 1.0

    def __init__(self):
        super().__init__()
        self.anchor = nn.Parameter(torch.zeros(()))

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y) + self.AUX * (self.anchor - TARGET) ** 2
        self.log("train_loss", loss, prog_bar=True)
        self.log_dict({"epoch": float(self.current_epoch), "step": float(self.global_step)})
        assert self.device.type == "cpu" and self.current_epoch < self.trainer.max_epochs
        assert 0 <= batch_idx < self.trainer.num_training_batches
        return {"loss": loss}

    def configure_optimizers(self):
        return torch.optim.Adam(self.parameters(), lr=0.1)


def test_the_loss_training_step_returns_is_the_one_minimized():
    trained = {}
    for aux in (1.0, 0.0):
        module_class = type("Anchored", (Anchored,), {"AUX": aux})
        exp = build_experiment(model=module_class, data=Data, epochs=EPOCHS)
        trained[aux] = train_experiment(exp, baseline_config(exp)).model
    # With the auxiliary term the anchor ends near its target; without it nothing moves it.
    assert abs(trained[1.0].anchor.item() - TARGET) < 0.3
    assert trained[0.0].anchor.item() == 0.0
    stand_in = trained[1.0].trainer
    assert stand_in.global_step == EPOCHS * 10 and stand_in.current_epoch == EPOCHS
    assert set(stand_in.callback_metrics) == {"train_loss", "epoch", "step"}


def test_weight_decay_groups_compose_with_the_users_schedule():
    exp = build_experiment(model=_net("onecycle"), data=Data, epochs=EPOCHS)
    base = baseline_config(exp)
    runs = {}
    for name, config in (("yours", base), ("decayed", base.replace(weight_decay=0.05,
                                                                       exempt="bias_and_norm"))):
        lrs, handle = _record_lrs()
        try:
            runs[name] = (train_experiment(exp, config), lrs)
        finally:
            handle.remove()
    decayed = runs["decayed"][0].history
    assert set(decayed.decay_params) == {"net.0.weight", "net.2.weight"}
    assert set(decayed.no_decay_params) == {"net.0.bias", "net.2.bias"}
    # The OneCycle schedule configure_optimizers builds, on regadvisor's grouped optimizer.
    assert runs["decayed"][1] == pytest.approx(runs["yours"][1], rel=1e-9)
    norms = {k: float(run.model.net[0].weight.norm()) for k, (run, _) in runs.items()}
    assert norms["decayed"] < norms["yours"]


class NoForward(Net):
    forward = L.LightningModule.forward


class Manual(Net):
    def __init__(self):
        super().__init__()
        self.automatic_optimization = False


class TwoOptimizers(Net):
    def configure_optimizers(self):
        return [torch.optim.SGD(self.net[0].parameters(), lr=0.1),
                torch.optim.SGD(self.net[2].parameters(), lr=0.1)]


class PlateauOnAccuracy(Net):
    def configure_optimizers(self):
        opt = torch.optim.SGD(self.parameters(), lr=0.1)
        return {"optimizer": opt, "lr_scheduler": torch.optim.lr_scheduler.ReduceLROnPlateau(
            opt, mode="max"), "monitor": "val_acc"}


class NoValLoader(Data):
    val_dataloader = L.LightningDataModule.val_dataloader


@pytest.mark.parametrize(("model", "data", "match"), [
    (NoForward, Data, "LightningModule NoForward defines no forward\\(\\): the validation and "
                      "test figures"),
    (Manual, Data, "sets automatic_optimization = False"),
    (TwoOptimizers, Data, "configure_optimizers\\(\\) returned 2 optimizers"),
    (PlateauOnAccuracy, Data, "ReduceLROnPlateau with interval 'epoch', frequency 1 and mode "
                              "'max'"),
    (Net, NoValLoader, "LightningDataModule NoValLoader, which defines no val_dataloader"),
])
def test_what_regadvisor_cannot_train_is_refused_in_one_line(model, data, match):
    with pytest.raises(ExperimentError, match=match) as info:
        build_experiment(model=model, data=data, epochs=EPOCHS)
    assert "\n" not in str(info.value)
