"""Errors raised while the user's code trains, turned into what they mean and how to fix them.

Every stage that trains the user's setup (the diagnosis, the trials, the winner's re-runs,
verification) calls the user's model, data and loss; a mistake there (a label out of range past
the first batch, BatchNorm meeting a batch of one sample, running out of memory) surfaces as a
PyTorch error deep in the loop. :func:`explain` recognizes those and returns the user-facing
error with the fix (exit code 2); :func:`user_code_error` wraps anything else as a failure of
the experiment's code (exit code 1) that names the stage.
"""

from __future__ import annotations

import re
from typing import Any

from regadvisor.errors import ExperimentError, RegAdvisorError, RunError

__all__ = ["explain", "user_code_error"]

_TARGET = re.compile(r"Target (-?\d+) is out of bounds|index (-?\d+) is out of bounds for "
                     r"dimension \d+ with size (\d+)")


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def explain(error: BaseException, device: Any = "cpu") -> ExperimentError | None:
    """The user's mistake behind ``error``, with its fix; ``None`` when it is not a known one."""
    import torch

    text = str(error)
    if isinstance(error, (MemoryError, torch.cuda.OutOfMemoryError)) or (
            isinstance(error, RuntimeError) and ("can't allocate memory" in text
                                                 or "out of memory" in text.lower())):
        return ExperimentError(
            f"Training ran out of memory on {device} ({_first_line(error)}). Use a smaller batch "
            "size or a smaller model, or free memory for this run.")
    if isinstance(error, ValueError) and "Expected more than 1 value per channel" in text:
        return ExperimentError(
            "A BatchNorm layer met a training batch of a single sample (the last batch of an "
            "epoch when the training set size leaves a remainder of 1). Pass drop_last=True to "
            "the training DataLoader, or choose a batch size that leaves no single sample.")
    match = _TARGET.search(text)
    if match and isinstance(error, (IndexError, RuntimeError)):
        label = match.group(1) or match.group(2)
        return ExperimentError(
            f"A batch holds the class label {label}, which the model's output has no logit for "
            f"({_first_line(error)}). The first batches passed the check; a later one did not. "
            "Give the last layer one output per class, or fix the labels.")
    return None


def user_code_error(error: BaseException, stage: str, device: Any = "cpu") -> RegAdvisorError:
    """What to raise for ``error`` from the user's code during ``stage``: the known mistake
    (exit 2) or a failed run that names the stage and the error (exit 1)."""
    if isinstance(error, RegAdvisorError):
        return error
    return explain(error, device) or RunError(
        f"{type(error).__name__} from the experiment's code during {stage}: "
        f"{_first_line(error)}. Fix the experiment (run again with --debug for the traceback); "
        "finished work is kept.")
