"""Tuning: the search space from the findings and the Optuna study over it.

Tuning drives Optuna; the report also uses it, read-only, for parameter importances. The names
below load on first use (``regadvisor.tuning.defaults`` is read without Optuna or torch).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from regadvisor._lazy import lazy_names

if TYPE_CHECKING:
    from regadvisor.tuning._records import (
        Rerun,
        TrialRecord,
        TuningResult,
        trial_counts,
        trial_counts_text,
    )
    from regadvisor.tuning.space import (
        DEFAULT_RANGES,
        ParamRange,
        SearchSpace,
        build_space,
        load_space_file,
    )
    from regadvisor.tuning.study import PRUNERS, TuneSettings, config_for, mask_url, tune

__all__ = [
    "DEFAULT_RANGES",
    "PRUNERS",
    "ParamRange",
    "Rerun",
    "SearchSpace",
    "TrialRecord",
    "TuneSettings",
    "TuningResult",
    "build_space",
    "config_for",
    "load_space_file",
    "mask_url",
    "trial_counts",
    "trial_counts_text",
    "tune",
]

__getattr__ = lazy_names(__name__, {
    **dict.fromkeys(("Rerun", "TrialRecord", "TuningResult", "trial_counts",
                     "trial_counts_text"), "regadvisor.tuning._records"),
    **dict.fromkeys(("DEFAULT_RANGES", "ParamRange", "SearchSpace", "build_space",
                     "load_space_file"), "regadvisor.tuning.space"),
    **dict.fromkeys(("PRUNERS", "TuneSettings", "config_for", "mask_url", "tune"),
                    "regadvisor.tuning.study"),
})
