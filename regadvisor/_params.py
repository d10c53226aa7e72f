"""The parameters the tuner can search: one table of what each is, its default range and why,
and what a range of it may span.

A range is checked here wherever it comes from (a rule's ``actions.search``, a ``--space`` file,
a range flag, a range a rule computes from the facts), so it is valid or not in the same way
everywhere and says so in the same words. The search space's defaults
(:data:`regadvisor.tuning.DEFAULT_RANGES`), which parameter counts whole epochs, and the checks
all read :data:`PARAMETER_TABLE`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["PARAMETERS", "PARAMETER_TABLE", "Parameter", "check_range"]


@dataclass(frozen=True)
class Parameter:
    """One searchable parameter, as named in RegConfig, the rules' actions and a space file.

    Attributes:
        name: The RegConfig field.
        kind: What its values are: ``"strength"`` (0 or more: λ, L1), ``"probability"`` (in
            [0, 1): dropout p, label smoothing ε), ``"epochs"`` (whole epochs, 1 or more:
            patience) or ``"share"`` (in [0, 1]: the augmentation strength).
        low, high, log, reason: The default range, its scale and why (from the guide).
    """

    name: str
    kind: str
    low: float
    high: float
    log: bool
    reason: str

    @property
    def is_int(self) -> bool:
        """Whether the parameter counts whole epochs (sampled and stored as an integer)."""
        return self.kind == "epochs"

    def admits(self, value: float) -> bool:
        """Whether ``value`` is a setting of the parameter (a training configuration's check)."""
        return _KINDS[self.kind].admits(value)

    @property
    def expected(self) -> str:
        """What :meth:`admits`, in words: ``"in [0, 1)"``."""
        return _KINDS[self.kind].words

    @property
    def bounds(self) -> dict[str, float]:
        """What :meth:`admits` as pydantic's ``Field`` constraints (``ge``, ``lt``, ``le``)."""
        return _KINDS[self.kind].bounds()


@dataclass(frozen=True)
class _Kind:
    """The values of a kind of parameter: ``low`` or more, below ``high`` (up to it when
    ``closed``), whole numbers when ``whole``; in words, and what a range of it must do."""

    low: float
    high: float | None
    closed: bool
    whole: bool
    words: str
    range_words: str

    def admits(self, v: float) -> bool:
        below = self.high is None or (v <= self.high if self.closed else v < self.high)
        return v >= self.low and below and (not self.whole or float(v).is_integer())

    def bounds(self) -> dict[str, float]:
        top = {} if self.high is None else {"le" if self.closed else "lt": self.high}
        return {"ge": self.low, **top}


#: Per kind: what a value may be (every check of a setting or a range reads it).
_KINDS = {
    "strength": _Kind(0, None, False, False, "a number >= 0", "cannot be negative"),
    "probability": _Kind(0, 1, False, False, "in [0, 1)", "must stay within [0, 1)"),
    "epochs": _Kind(1, None, False, True, "an int >= 1", "must be whole epochs >= 1"),
    "share": _Kind(0, 1, True, False, "in [0, 1]", "must stay within [0, 1]"),
}


#: Every searchable parameter, in the order the report lists them.
PARAMETER_TABLE: dict[str, Parameter] = {p.name: p for p in (
    Parameter("weight_decay", "strength", 1e-6, 1e-1, True,
              "guide: λ on a log scale, 1e-6 to 1e-1"),
    Parameter("dropout", "probability", 0.0, 0.6, False, "guide: p from 0 up to about 0.6"),
    Parameter("patience_epochs", "epochs", 3, 30, False,
              "guide: patience 5 to 20 epochs, widened to 3 to 30"),
    Parameter("label_smoothing", "probability", 0.0, 0.1, False,
              "guide: ε = 0.1; searched 0 to 0.1 (larger values make the model under-confident)"),
    Parameter("l1", "strength", 1e-6, 1e-2, True, "guide: L1 for networks about 1e-6 to 1e-4"),
    Parameter("augment", "share", 0.0, 1.0, False,
              "data(augment=s): from no augmentation (0) to the strongest you defined (1)"),
)}

#: The parameters a range can be searched for.
PARAMETERS: tuple[str, ...] = tuple(PARAMETER_TABLE)


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
    p = PARAMETER_TABLE[name]
    if not (p.admits(low) and p.admits(high)):  # the values a setting of it takes
        raise ValueError(f"The range of {name} {_KINDS[p.kind].range_words}. Got "
                         f"[{low:g}, {high:g}].")
