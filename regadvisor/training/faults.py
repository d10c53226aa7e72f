"""Errors raised while the user's code trains, turned into what they mean and how to fix them.

Every stage that trains the user's setup (the diagnosis, the trials, the winner's re-runs,
verification) calls the user's model, data and loss; a mistake there (a label out of range past
the first batch, BatchNorm meeting a batch of one sample, running out of memory) surfaces as a
PyTorch error deep in the loop. :func:`explain` recognizes those and returns the user-facing
error with the fix (exit code 2); :func:`user_code_error` wraps anything else as a failure of
the experiment's code (exit code 1) that names the stage, and :func:`user_code` applies it to a
block of code.

``sys.exit()`` in the user's code is a fault of that code like any exception: it must not end
regadvisor's run (and never as a success), so every place that runs the user's code catches
:data:`USER_CODE_ERRORS`, not only ``Exception``.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from typing import Any

from regadvisor.errors import ExperimentError, RegAdvisorError, RunError

__all__ = ["USER_CODE_ERRORS", "exit_call", "explain", "fault_text", "user_code", "user_code_error"]

#: What the user's code may raise that is a fault of that code: any exception, and
#: ``SystemExit`` (a ``sys.exit()`` in ``model()``, ``data()`` or ``forward()``), which would
#: otherwise end regadvisor's run with the user's exit status, 0 included.
USER_CODE_ERRORS: tuple[type[BaseException], ...] = (Exception, SystemExit)

_TARGET = re.compile(r"Target (-?\d+) is out of bounds|index (-?\d+) is out of bounds for "
                     r"dimension \d+ with size (\d+)")
_BATCH_SIZES = re.compile(r"Expected input batch_size \((\d+)\) to match target batch_size "
                          r"\((\d+)\)")


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return text[0] if text else type(error).__name__


def exit_call(error: SystemExit) -> str:
    """The call that raised ``error``, as the user wrote it: ``sys.exit(0)``, ``sys.exit()``."""
    return "sys.exit()" if error.code is None else f"sys.exit({error.code!r})"


def fault_text(error: BaseException) -> str:
    """The fault of the user's code in words: ``ValueError from the experiment's code: …``, or
    ``the experiment's code called sys.exit(0)``."""
    if isinstance(error, SystemExit):
        return f"the experiment's code called {exit_call(error)}"
    return f"{type(error).__name__} from the experiment's code: {error}"


def explain(error: BaseException, device: Any = "cpu") -> ExperimentError | None:
    """The user's mistake behind ``error``, with its fix; ``None`` when it is not a known one.

    An :class:`ExperimentError` raised inside training (a model whose output changes width, a
    scheduler that fails to step) is such a mistake already and is returned as it is.
    """
    import torch

    if isinstance(error, ExperimentError):
        return error
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
    match = _BATCH_SIZES.search(text)
    if match and isinstance(error, ValueError):
        return ExperimentError(
            f"A batch holds {match.group(1)} samples but {match.group(2)} targets "
            f"({_first_line(error)}). The first batches passed the check; a later one did not. "
            "Give one target per sample: fix batch() or the dataset.")
    return None


def user_code_error(error: BaseException, stage: str, device: Any = "cpu") -> RegAdvisorError:
    """What to raise for ``error`` from the user's code during ``stage``: the known mistake
    (exit 2) or a failed run that names the stage and the error (exit 1)."""
    if isinstance(error, RegAdvisorError):
        return error
    if isinstance(error, SystemExit):
        return RunError(
            f"The experiment's code called {exit_call(error)} during {stage}; its functions "
            "must return, not end the process. Fix the experiment (run again with --debug for "
            "the traceback); finished work is kept.")
    return explain(error, device) or RunError(
        f"{type(error).__name__} from the experiment's code during {stage}: "
        f"{_first_line(error)}. Fix the experiment (run again with --debug for the traceback); "
        "finished work is kept.")


@contextlib.contextmanager
def user_code(stage: str, device: Any = "cpu") -> Iterator[None]:
    """Run a block that calls the user's code: what it raises (``sys.exit()`` included)
    becomes :func:`user_code_error` for ``stage``; Ctrl-C and regadvisor's own errors pass."""
    try:
        yield
    except (KeyboardInterrupt, RegAdvisorError):
        raise
    except USER_CODE_ERRORS as e:
        raise user_code_error(e, stage, device) from e
