"""The noise-aware winner: the top trials re-run over extra seeds, ranked behind the loss guard."""

from __future__ import annotations

import functools
import itertools
import math
import statistics
from collections.abc import Callable, Sequence
from typing import Any

import optuna

from regadvisor.experiment import Experiment
from regadvisor.training import History, RegConfig, TrainResult, train, train_experiment
from regadvisor.training.faults import USER_CODE_ERRORS, explain, fault_text
from regadvisor.tuning._records import Rerun, TrialRecord
from regadvisor.tuning.settings import TuneSettings
from regadvisor.tuning.space import SearchSpace
from regadvisor.tuning.trials import config_for, records, tuning_base

__all__ = ["MIN_TIED", "choose_winner", "tie_notes"]

#: Orders candidates, best first, from their objective value and validation loss.
_Rank = Callable[[float, float | None], tuple]


def choose_winner(
    experiment: Experiment,
    space: SearchSpace,
    settings: TuneSettings,
    study: optuna.Study,
    on_rerun: Callable[[int, int], None] | None = None,
    *,
    trainer: Callable[..., TrainResult] = train,
) -> tuple[list[Rerun], TrialRecord | None]:
    """Pick the winner among the completed trials (see :class:`TuneSettings` ``winner``).

    With ``"rerun"`` the top trials are re-run over extra seeds and the best mean wins (the
    noise-aware winner); with ``"best"`` the best single trial. Either way a candidate whose
    validation loss exceeds the loss guard is ranked after the others.

    ``trainer`` trains the re-runs; the study passes the function it trains its trials with, so
    that whatever replaces that one (e.g. to count epochs) reaches the re-runs too.
    """
    complete = [t for t in study.get_trials(deepcopy=False,
                                            states=(optuna.trial.TrialState.COMPLETE,))]
    if not complete:
        return [], None
    maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
    rank = functools.partial(_rank, maximize=maximize, guard=_loss_guard(settings))
    top = _top_trials(complete, rank, settings.top_k)
    if settings.winner == "best":
        best = top[0]
        return [], next(r for r in records(study) if r.number == best.number)
    train_seed = functools.partial(_train_seed, experiment, space, settings,
                                   tuning_base(experiment, settings), trainer)
    total = len(top) * settings.extra_seeds
    done = itertools.count(1)

    def step() -> None:
        n = next(done)
        if on_rerun is not None:
            on_rerun(n, total)

    reruns = [_rerun(t, settings, maximize, train_seed, step) for t in top]
    winner = min(reruns, key=lambda r: rank(r.mean, r.val_loss))
    record = next(r for r in records(study) if r.number == winner.trial_number)
    return reruns, record


def _loss_guard(settings: TuneSettings) -> float:
    """The validation loss above which a candidate ranks after every other one."""
    return (settings.loss_guard * settings.reference_loss
            if settings.reference_loss and math.isfinite(settings.reference_loss) else math.inf)


def _rank(value: float, val_loss: float | None, *, maximize: bool, guard: float) -> tuple:
    exploded = val_loss is not None and val_loss > guard
    oriented = (-value if maximize else value) if math.isfinite(value) else math.inf
    return (exploded, oriented, val_loss if val_loss is not None else math.inf)


def _top_trials(complete: list[optuna.trial.FrozenTrial], rank: _Rank,
                top_k: int) -> list[optuna.trial.FrozenTrial]:
    """The ``top_k`` best trials with distinct parameters, best first."""
    # Best value first; trials tied on it (coarse accuracy) ranked by their validation loss.
    complete.sort(key=lambda t: rank(t.value, t.user_attrs.get("val_loss")))
    # Distinct parameter sets only: enqueued trials can repeat a sampled one.
    top: list[optuna.trial.FrozenTrial] = []
    seen: set[tuple] = set()
    for t in complete:
        key = tuple(sorted(t.params.items()))
        if key not in seen:
            seen.add(key)
            top.append(t)
        if len(top) == top_k:
            break
    return top


def _rerun(
    trial: optuna.trial.FrozenTrial,
    settings: TuneSettings,
    maximize: bool,
    train_seed: Callable[[dict[str, Any], int, list[str]], History | None],
    step: Callable[[], None],
) -> Rerun:
    """A top trial and its re-runs over the extra seeds; a failed or diverged re-run counts as
    the worst value."""
    values = [float(trial.value)]
    losses = [trial.user_attrs.get("val_loss")]
    seeds = [settings.seed]
    epochs = []
    errors: list[str] = []
    for k in range(1, settings.extra_seeds + 1):
        seed = settings.seed + 1000 * k
        h = train_seed(dict(trial.params), seed, errors)
        epochs.append(h.epochs_run if h is not None else 0)
        value, loss = _figures(h, settings, maximize)
        values.append(value)
        losses.append(loss)
        seeds.append(seed)
        step()
    return _summarise(trial, seeds, values, epochs, losses, errors)


def _train_seed(
    experiment: Experiment,
    space: SearchSpace,
    settings: TuneSettings,
    base: RegConfig,
    trainer: Callable[..., TrainResult],
    params: dict[str, Any],
    seed: int,
    errors: list[str],
) -> History | None:
    """Train one re-run; ``None`` (and a line in ``errors``) when the experiment's code fails."""
    config = config_for(base, space, params).replace(seed=seed)
    try:
        return train_experiment(experiment, config, trainer=trainer, device=settings.device,
                                train_figures=False).history
    except USER_CODE_ERRORS as e:  # the user's code: this re-run fails, as a trial would
        mistake = explain(e, settings.device)
        if mistake is not None:
            raise mistake from None
        errors.append(f"seed {seed}: {fault_text(e)}")
        return None


def _figures(h: History | None, settings: TuneSettings, maximize: bool) -> tuple[float, float]:
    """A re-run's objective value and validation loss; the worst ones when it failed."""
    best = (h.restored or h.best) if h is not None else None
    if h is None or h.diverged or best is None:
        return (-math.inf if maximize else math.inf), math.inf
    value = best.val_metric if settings.objective == "val_metric" else best.val_loss
    return value, best.val_loss


def _summarise(trial: optuna.trial.FrozenTrial, seeds: list[int], values: list[float],
               epochs: list[int], losses: list[float | None], errors: list[str]) -> Rerun:
    """The mean and spread over the finite values, and the mean of the finite losses."""
    finite = [v for v in values if math.isfinite(v)]
    mean = statistics.fmean(finite) if finite else math.nan
    std = statistics.stdev(finite) if len(finite) >= 2 else 0.0
    known = [v for v in losses if v is not None]
    known = [v for v in known if math.isfinite(v)]
    return Rerun(trial.number, dict(trial.params), seeds, values, mean, std, epochs,
                 statistics.fmean(known) if known else None, errors)


#: This many completed trials sharing the best value get a note in the report.
MIN_TIED = 3


def tie_notes(trials: Sequence[TrialRecord], maximize: bool,
              settings: TuneSettings) -> list[str]:
    """A note when several trials tie at the best value: the objective cannot rank them."""
    values = [t.value for t in trials if t.state == "COMPLETE" and t.value is not None]
    if not values:
        return []
    best = max(values) if maximize else min(values)
    tied = sum(1 for v in values if math.isclose(v, best, rel_tol=1e-9, abs_tol=1e-12))
    if tied < MIN_TIED:
        return []
    figure = "validation metric" if settings.objective == "val_metric" else "validation loss"
    return [f"{tied} of {len(values)} completed trials tied at the best {figure} ({best:.4g}): "
            "the objective cannot tell them apart (a small validation set moves in coarse "
            f"steps). The winner was chosen among the top {settings.top_k} by their mean over "
            f"{settings.extra_seeds} extra training seeds, so it rests on those re-runs."]
