"""The experiment file for ``lightning_digits.py``: the user's LightningModule and
LightningDataModule as written, imported from the script."""

from lightning_digits import EPOCHS, DigitsClassifier, DigitsData

__all__ = ["data", "epochs", "model"]

epochs = EPOCHS
model = DigitsClassifier
data = DigitsData
