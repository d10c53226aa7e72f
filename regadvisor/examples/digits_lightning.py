"""Lightning as written: the ``digits_noisy`` data and MLP as a ``LightningModule`` (its own
``training_step``, ``validation_step`` and ``configure_optimizers`` with a linear warm-up
stepped every batch) and a ``LightningDataModule``.

Needs ``lightning`` (``pip install "regadvisor[lightning]"``). regadvisor trains the module
through its own hooks and writes its advice as Lightning code
(``regadvisor advise digits_lightning``).
"""

import lightning.pytorch as L
import torch
import torch.nn.functional as F
from torch import nn

from regadvisor.examples._data import digits_splits, loaders

__all__ = ["DigitsData", "DigitsMLP", "data", "epochs", "model"]

epochs = 40
WARMUP_STEPS = 50


class DigitsData(L.LightningDataModule):
    """scikit-learn's digits, 300 training and 300 validation samples with 20 % wrong labels
    (clean test labels), in batches of 32."""

    def setup(self, stage):
        train, val, test = loaders(digits_splits(label_noise=0.2), batch_size=32,
                                   classification=True)
        if stage == "fit":
            self.train_loader, self.val_loader = train, val
        if stage == "test":
            self.test_loader = test

    def train_dataloader(self):
        return self.train_loader

    def val_dataloader(self):
        return self.val_loader

    def test_dataloader(self):
        return self.test_loader


class DigitsMLP(L.LightningModule):
    def __init__(self, lr=1e-3):
        super().__init__()
        self.save_hyperparameters()
        self.net = nn.Sequential(nn.Linear(64, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                                 nn.Linear(512, 10))

    def forward(self, x):
        return self.net(x)

    def training_step(self, batch, batch_idx):
        x, y = batch
        loss = F.cross_entropy(self(x), y)
        self.log("train_loss", loss)
        return loss

    def validation_step(self, batch, batch_idx):
        x, y = batch
        logits = self(x)
        self.log("val_loss", F.cross_entropy(logits, y))
        self.log("val_acc", (logits.argmax(-1) == y).float().mean())

    def configure_optimizers(self):
        optimizer = torch.optim.Adam(self.parameters(), lr=self.hparams.lr)
        warmup = torch.optim.lr_scheduler.LambdaLR(
            optimizer, lambda step: min(1.0, (step + 1) / WARMUP_STEPS))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": warmup, "interval": "step"}}


model = DigitsMLP
data = DigitsData
