"""Numbers shared by tuning, verification, the diagnosis and the report."""

from __future__ import annotations

import math
from collections.abc import Iterable

__all__ = ["finite"]


def finite(values: Iterable[float | None]) -> list[float]:
    """The finite ``values`` as floats, in order: a seed that diverged (NaN, or ``None`` in a
    record) is left out of a mean, a spread or an interval."""
    return [float(v) for v in values if v is not None and math.isfinite(v)]
