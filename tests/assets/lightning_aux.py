"""A LightningModule and LightningDataModule experiment whose training_step adds an auxiliary
term: it pulls ``anchor``, a parameter the logits never use, toward 3."""

import lightning.pytorch as L
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

epochs = 12


class Data(L.LightningDataModule):
    def setup(self, stage):
        from sklearn.datasets import load_digits

        x, y = load_digits(return_X_y=True)
        x = torch.tensor(x / 16.0, dtype=torch.float32)
        y = torch.tensor(y)
        self.sets = {"train": TensorDataset(x[:300], y[:300]),
                     "val": TensorDataset(x[300:500], y[300:500]),
                     "test": TensorDataset(x[500:800], y[500:800])}

    def train_dataloader(self):
        return DataLoader(self.sets["train"], batch_size=30, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.sets["val"], batch_size=100)

    def test_dataloader(self):
        return DataLoader(self.sets["test"], batch_size=100)


class Anchored(L.LightningModule):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(64, 128), nn.ReLU(), nn.Linear(128, 10))
        self.anchor = nn.Parameter(torch.zeros(()))

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y) + (self.anchor - 3.0) ** 2
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        self.log("val_loss", F.cross_entropy(self(x), y))

    def configure_optimizers(self):
        opt = torch.optim.Adam(self.parameters(), lr=0.05)
        return {"optimizer": opt, "lr_scheduler": {
            "scheduler": torch.optim.lr_scheduler.StepLR(opt, step_size=5, gamma=0.5),
            "interval": "epoch"}}


model = Anchored
data = Data
