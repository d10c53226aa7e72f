"""Parameter importances of the tuning run, from the trials of its record.

The study itself may live in a database the report cannot reach (or no longer exists), so an
in-memory study is rebuilt from the completed trials and handed to
:func:`optuna.importance.get_param_importances` with the PED-ANOVA evaluator, passed explicitly
(deterministic, and fit for a few dozen trials; Optuna 4 would default to fANOVA). Importances
are normalised to sum to 1.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from regadvisor.tuning import ParamRange, TrialRecord

__all__ = ["EVALUATOR", "Importances", "param_importances"]

#: How the report names the evaluator.
EVALUATOR = "PED-ANOVA (optuna.importance.PedAnovaImportanceEvaluator)"
#: Fewer completed trials than this give no importances.
MIN_TRIALS = 3


@dataclass(frozen=True)
class Importances:
    """Each searched parameter's share of the objective's variation (shares sum to 1)."""

    values: dict[str, float]
    evaluator: str
    n_trials: int


def _distributions(space: Mapping[str, ParamRange]) -> dict[str, Any]:
    from optuna.distributions import FloatDistribution, IntDistribution

    out = {}
    for name, r in space.items():
        if r.is_int:
            out[name] = IntDistribution(int(r.low), int(r.high))
        else:
            out[name] = FloatDistribution(float(r.low), float(r.high), log=r.log)
    return out


def param_importances(trials: Sequence[TrialRecord], space: Mapping[str, ParamRange],
                      direction: str) -> Importances | None:
    """Importances of the searched parameters for the tuning objective.

    Args:
        trials: The tuning's trial records (``state``, ``params``, ``value``).
        space: The searched ranges (``SearchSpace.params``).
        direction: ``"maximize"`` or ``"minimize"``.

    Returns:
        ``None`` with fewer than :data:`MIN_TRIALS` completed trials, fewer than two searched
        parameters, or when the evaluator cannot rank them (e.g. every value equal).
    """
    import optuna

    dists = _distributions(space)
    done = [t for t in trials if t.state == "COMPLETE" and t.value is not None
            and set(t.params or {}) == set(dists)]
    if len(done) < MIN_TRIALS or len(dists) < 2:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        verbosity = optuna.logging.get_verbosity()
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        try:
            study = optuna.create_study(direction=direction)
            for t in done:
                params = {k: _inside(v, dists[k]) for k, v in t.params.items()}
                study.add_trial(optuna.trial.create_trial(params=params, distributions=dists,
                                                          value=float(t.value)))
            values = optuna.importance.get_param_importances(
                study, evaluator=optuna.importance.PedAnovaImportanceEvaluator())
        except (ValueError, RuntimeError, ZeroDivisionError):
            return None
        finally:
            optuna.logging.set_verbosity(verbosity)
    clean = {k: float(v) for k, v in values.items()}
    if not clean or any(v != v for v in clean.values()):
        return None
    return Importances(values=clean, evaluator=EVALUATOR, n_trials=len(done))


def _inside(value: Any, dist: Any) -> Any:
    """A stored value clipped into its range (a seeded trial may sit on a bound)."""
    low, high = dist.low, dist.high
    v = min(max(value, low), high)
    return int(v) if hasattr(dist, "step") and isinstance(dist.step, int) else float(v)
