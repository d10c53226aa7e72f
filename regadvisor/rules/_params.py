"""The parameters the tuner can search and what a range of each may span.

A range is checked here wherever it comes from (a rule's ``actions.search``, a ``--space`` file,
a range flag, a range a rule computes from the facts), so it is valid or not in the same way
everywhere and says so in the same words.
"""

from __future__ import annotations

import math

__all__ = ["PARAMETERS", "check_range"]

#: The parameters a range can be searched for, as named in RegConfig, in the rules' actions and
#: in a search space file.
PARAMETERS: tuple[str, ...] = ("weight_decay", "dropout", "patience_epochs", "label_smoothing",
                               "l1", "augment")

#: Probabilities: a range of them stays below 1.
_FRACTIONS = ("dropout", "label_smoothing")


def check_range(name: str, low: float, high: float, log: bool = False) -> None:
    """Check the bounds of a range of a known parameter.

    Args:
        name: One of :data:`PARAMETERS`.
        low, high: The bounds (inclusive); ``patience_epochs`` counts whole epochs.
        log: Whether the range is searched on a log scale.

    Raises:
        ValueError: A bound is not finite, ``low >= high``, a log-scale ``low`` is not above 0, a
            bound lies outside what the parameter allows. The message names the parameter, the
            rule it breaks and the bounds given.
    """
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ValueError(f"The range of {name} must be finite numbers. Got [{low}, {high}].")
    if low >= high:
        raise ValueError(f"The range of {name} must have low < high. Got low={low:g}, "
                         f"high={high:g}.")
    if log and low <= 0:
        raise ValueError(f"The range of {name} is on a log scale, so low must be > 0. Got "
                         f"low={low:g}.")
    if low < 0:
        raise ValueError(f"The range of {name} cannot be negative. Got low={low:g}.")
    if name in _FRACTIONS and high >= 1:
        raise ValueError(f"The range of {name} must stay below 1. Got high={high:g}.")
    if name == "augment" and high > 1:
        raise ValueError(f"The range of augment (the strength data(augment=s) takes) must stay "
                         f"within [0, 1]. Got high={high:g}.")
    if name == "patience_epochs" and (low < 1 or low != int(low) or high != int(high)):
        raise ValueError("The range of patience_epochs must be whole epochs >= 1. Got "
                         f"[{low:g}, {high:g}].")
