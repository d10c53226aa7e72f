"""A user's own Lightning script: a LightningModule (its own training_step, validation_step and
configure_optimizers with a linear warm-up stepped every batch), a LightningDataModule, and
``Trainer.fit``.

Run as ``python lightning_digits.py SEED [FOLDER]`` (checkpoints go to FOLDER, by default a new
temporary folder). The lines between
the ``training`` markers are the training that regadvisor's recommended code replaces.
"""

import sys
import tempfile

import lightning.pytorch as L
import torch
import torch.nn.functional as F
from digits import BATCH_SIZE, build_model, make_loaders
from measure import report
from torch.utils.data import DataLoader

EPOCHS = 30
WARMUP_STEPS = 100


class DigitsData(L.LightningDataModule):
    """scikit-learn's digits with 20 % wrong training and validation labels (clean test)."""

    def setup(self, stage):
        train, val, test = (loader.dataset for loader in make_loaders())
        if stage == "fit":
            self.train_set, self.val_set = train, val
        if stage == "test":
            self.test_set = test

    def train_dataloader(self):
        return DataLoader(self.train_set, batch_size=BATCH_SIZE, shuffle=True)

    def val_dataloader(self):
        return DataLoader(self.val_set, batch_size=256)

    def test_dataloader(self):
        return DataLoader(self.test_set, batch_size=256)


class DigitsClassifier(L.LightningModule):
    def __init__(self, lr=3e-3):
        super().__init__()
        self.save_hyperparameters()
        self.net = build_model()

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
            optimizer, lambda step: min(1.0, step / WARMUP_STEPS))
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": warmup, "interval": "step"}}


if __name__ == "__main__":
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    folder = sys.argv[2] if len(sys.argv) > 2 else tempfile.mkdtemp()
    L.seed_everything(seed, verbose=False)
    model = DigitsClassifier()
    datamodule = DigitsData()
    trainer = L.Trainer(max_epochs=EPOCHS, accelerator="cpu", logger=False,
                        enable_progress_bar=False, enable_model_summary=False,
                        num_sanity_val_steps=0, default_root_dir=folder)
    # >>> training
    trainer.fit(model, datamodule=datamodule)
    # <<< training
    datamodule.setup("test")
    report(model, datamodule.test_dataloader())
