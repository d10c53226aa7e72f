"""Temperature scaling in the verification: T fitted on the validation set for every trained
model, the held-out calibration measured with it, and whether the advice should include it.

A recommendation can gain on the user's metric and lose on calibration (its confidences a worse
guide to how often it is right). Temperature scaling repairs much of that after training, without
changing a single predicted class; the verification measures it as it measures the rest: per
seed, T fitted on the validation set, the held-out ECE after dividing the logits by it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from torch import nn

from regadvisor.verification.calibration import (
    Predictions,
    TemperatureScaling,
    calibration,
    fit_temperature,
    scaled,
)
from regadvisor.verification.held_out import HeldOut, evaluate_model

__all__ = ["ECE_GAIN", "arm_scaling", "seed_temperature", "temperature_helps"]

#: Temperature scaling is advised when it lowers the recommendation's held-out ECE by more than
#: this (a smaller change is within the binning noise of the ECE).
ECE_GAIN = 0.01


def seed_temperature(model: nn.Module, experiment: Any, device: Any,
                     held_out: HeldOut) -> tuple[float | None, Predictions | None]:
    """T fitted on the experiment's validation set for one trained model, and the model's
    held-out predictions with their logits divided by it (``None, None`` without held-out
    predictions with logits: regression, or a run that diverged)."""
    if held_out.predictions is None or held_out.predictions.logits is None:
        return None, None
    on_val = evaluate_model(model, experiment.val_loader, experiment.task, device,
                            experiment.loss_factory, batch_fn=experiment.batch).predictions
    if on_val is None or on_val.logits is None:
        return None, None
    t = fit_temperature(on_val.logits, on_val.labels)
    return t, scaled(held_out.predictions, t)


def arm_scaling(temperatures: Sequence[float | None], scaled_predictions: Sequence[Predictions],
                ece_before: float | None) -> TemperatureScaling | None:
    """An arm's temperature scaling from its seeds' T and scaled predictions (``None`` when no
    seed has one)."""
    ts = [t for t in temperatures if t is not None]
    pooled = calibration(scaled_predictions)
    if not ts or pooled is None:
        return None
    return TemperatureScaling(temperatures=ts, ece_before=ece_before, ece_after=pooled.ece)


def temperature_helps(scaling: TemperatureScaling | None) -> bool:
    """Whether the scaling lowered the arm's held-out ECE by more than :data:`ECE_GAIN`."""
    return (scaling is not None and scaling.ece_before is not None
            and scaling.ece_after is not None
            and scaling.ece_before - scaling.ece_after > ECE_GAIN)
