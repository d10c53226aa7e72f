"""The noise-aware winner: the top trials re-run over extra seeds, guarded by their validation
loss."""

from __future__ import annotations

import functools
import itertools
import math
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

import optuna

from regadvisor._stats import finite
from regadvisor.experiment import Experiment
from regadvisor.training import History, RegConfig, TrainResult, train, train_experiment
from regadvisor.training.config import run_seed
from regadvisor.training.faults import USER_CODE_ERRORS, explain, fault_text
from regadvisor.tuning._records import Rerun, TrialRecord
from regadvisor.tuning.settings import TuneSettings
from regadvisor.tuning.space import SearchSpace
from regadvisor.tuning.trials import config_for, records, trial_seed, tuning_base

__all__ = ["MIN_TIED", "NOISE_SE", "Keep", "blown_up", "choose_winner",
           "select", "tie_notes", "within_noise"]

#: Orders candidates, best first, from their objective value and validation loss.
_Rank = Callable[[float, float | None], tuple]
#: Given each finished re-run: ``keep(trial_number, seed, history, model)``.
Keep = Callable[[int, int, History, Any], None]


def choose_winner(
    experiment: Experiment,
    space: SearchSpace,
    settings: TuneSettings,
    study: optuna.Study,
    on_rerun: Callable[[int, int], None] | None = None,
    *,
    trainer: Callable[..., TrainResult] = train,
    keep: Keep | None = None,
) -> tuple[list[Rerun], TrialRecord | None, list[str]]:
    """Pick the winner among the completed trials (see :class:`TuneSettings` ``winner``).

    With ``"rerun"`` the top trials are re-run over extra seeds and the best mean wins (the
    noise-aware winner); with ``"best"`` the best single trial. Either way the validation loss
    guards the choice (:func:`select`): a candidate with a run whose validation loss is
    non-finite or above ``loss_guard`` times the user's does not win while one within the seed
    noise of it on the objective has no such run.

    ``trainer`` trains the re-runs; the study passes the function it trains its trials with, so
    that whatever replaces that one (e.g. to count epochs) reaches the re-runs too.

    The re-runs train with verification's seeds (``seed + 100·k``, k ≥ 1): the winner's are the
    runs verification would train for its recommendation with those seeds, so ``keep`` is given
    each finished re-run (``keep(trial_number, seed, history, model)``) for verification to
    measure instead of training it again.

    Returns:
        The re-runs, the winner's record (None without a completed trial), and what the report
        should say about a candidate passed over, or a winner kept, for its validation loss.
    """
    complete = [t for t in study.get_trials(deepcopy=False,
                                            states=(optuna.trial.TrialState.COMPLETE,))]
    if not complete:
        return [], None, []
    notes_time: list[str] = []
    maximize = study.direction == optuna.study.StudyDirection.MAXIMIZE
    guard = _loss_guard(settings)
    rank = functools.partial(_rank, maximize=maximize, guard=guard)
    top = _top_trials(complete, rank, settings.top_k)
    if settings.winner == "best":
        candidates = [_summarise(t, [_trial_seed(t, settings)], [float(t.value)], [],
                                 [t.user_attrs.get("val_loss")], []) for t in top]
        reruns: list[Rerun] = []
    else:
        train_seed = functools.partial(_train_seed, experiment, space, settings,
                                       tuning_base(experiment, settings), trainer, keep)
        total = len(top) * settings.extra_seeds
        done = itertools.count(1)

        def step() -> None:
            n = next(done)
            if on_rerun is not None:
                on_rerun(n, total)

        candidates = reruns = _reruns(top, settings, maximize, train_seed, step)
        skipped = total - sum(len(r.epochs) for r in reruns)
        if skipped:
            notes_time = [f"The --budget's share for the re-runs ({settings.rerun_seconds:.0f} s) "
                          f"was spent: {skipped} of {total} re-runs over extra seeds were not "
                          "run, so the winner rests on fewer seeds than planned."]
    for c in candidates:
        c.blown_up = blown_up(c, settings.reference_loss, settings.loss_guard)
    figure = "metric" if settings.objective == "val_metric" else "loss"
    winner, notes = select(candidates, maximize, figure=figure)
    record = next(r for r in records(study) if r.number == winner.trial_number)
    return reruns, record, notes_time + notes


#: How many standard errors of the difference of two candidates' means count as seed noise.
NOISE_SE = 2.0


def blown_up(candidate: Rerun, reference: float | None, guard: float) -> str | None:
    """Why the candidate's validation loss disqualifies it, or None.

    A run disqualifies its candidate when its validation loss (at the restored weights) is
    non-finite (the run failed or diverged), or above ``guard`` times ``reference``, the user's
    own validation loss (the check is skipped without a finite, positive ``reference``). One such
    run is enough: a mean over seeds would hide it.
    """
    worst: tuple[float, int, float] | None = None
    for seed, loss in zip(candidate.seeds, candidate.val_losses, strict=True):
        if loss is None:
            continue
        if not math.isfinite(loss):
            return (f"its validation loss on seed {seed} is not finite (the run failed or "
                    "diverged)")
        if reference and math.isfinite(reference) and reference > 0:
            ratio = loss / reference
            if ratio > guard and (worst is None or ratio > worst[0]):
                worst = (ratio, seed, loss)
    if worst is None:
        return None
    ratio, seed, loss = worst
    return (f"its validation loss on seed {seed} is {loss:.4g}, {ratio:.3g}× yours "
            f"({reference:.4g}; the guard is {guard:g}×)")


def within_noise(a: Rerun, b: Rerun) -> bool:
    """Whether two candidates' mean objective values differ by no more than the seed noise:
    :data:`NOISE_SE` standard errors of the difference of the means. Without two finite values
    each, the noise is unknown and they count as within it."""
    va, vb = finite(a.values), finite(b.values)
    if len(va) < 2 or len(vb) < 2:
        return True
    se = math.sqrt(statistics.variance(va) / len(va) + statistics.variance(vb) / len(vb))
    return abs(statistics.fmean(va) - statistics.fmean(vb)) <= NOISE_SE * se


def select(candidates: Sequence[Rerun], maximize: bool,
           figure: str = "metric") -> tuple[Rerun, list[str]]:
    """The winner among the candidates (``blown_up`` set), and what the report says about it.

    The best mean objective wins (ties broken by the lower mean validation loss) unless it is
    blown up (see :func:`blown_up`) and the best candidate that is not lies within the seed noise
    of it (:func:`within_noise`): then that one wins. A blown-up winner is kept, with a note,
    when every candidate is blown up or the clean ones measure worse than the noise allows.

    Args:
        candidates: At least one.
        maximize: Whether a higher objective is better.
        figure: ``"metric"`` or ``"loss"``: what the objective is, for the notes.
    """
    order = sorted(candidates, key=lambda r: _rank(r.mean, r.val_loss, maximize=maximize,
                                                   guard=math.inf))
    best = order[0]
    if best.blown_up is None:
        return best, []
    clean = [r for r in order if r.blown_up is None]
    what = f"validation {figure}"
    if not clean:
        return best, [
            f"Every candidate has a blown-up validation loss: the winner, trial "
            f"{best.trial_number}, because {best.blown_up}"
            + "".join(f"; trial {r.trial_number}, because {r.blown_up}" for r in order[1:])
            + ". Such a model is over-confident where it is wrong: its predicted probabilities "
            "cannot be trusted even where its accuracy is higher."]
    runner = clean[0]
    if within_noise(best, runner):
        return runner, [
            f"Trial {best.trial_number} had the best mean {what} ({best.mean:.4g}), but "
            f"{best.blown_up}. Trial {runner.trial_number} ({runner.mean:.4g}) is within the "
            "seed noise of it and has no such run, so it won."]
    return best, [
        f"The winner, trial {best.trial_number}, has a blown-up validation loss: "
        f"{best.blown_up}. The best candidate without one, trial {runner.trial_number} "
        f"({runner.mean:.4g} against {best.mean:.4g}), measured worse on the {what} than the "
        "seed noise allows, so the winner stands; it is over-confident where it is wrong."]


def _loss_guard(settings: TuneSettings) -> float:
    """The validation loss above which a trial ranks after every other one."""
    return (settings.loss_guard * settings.reference_loss
            if settings.reference_loss and math.isfinite(settings.reference_loss) else math.inf)


def _rank(value: float, val_loss: float | None, *, maximize: bool, guard: float) -> tuple:
    exploded = val_loss is not None and not (val_loss <= guard)
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


def _reruns(
    top: list[optuna.trial.FrozenTrial],
    settings: TuneSettings,
    maximize: bool,
    train_seed: Callable[[int, dict[str, Any], int, list[str]], History | None],
    step: Callable[[], None],
) -> list[Rerun]:
    """The top trials and their re-runs over the extra seeds, seed by seed (every candidate's
    first extra seed, then every candidate's second, ...), so that a ``rerun_seconds`` that
    runs out leaves the candidates as evenly measured as it can. A re-run is not started when
    it would end after ``rerun_seconds`` (expected to take as long as the slowest so far); a
    failed or diverged re-run counts as the worst value."""
    runs: list[dict[str, list[Any]]] = [
        {"values": [float(t.value)], "losses": [t.user_attrs.get("val_loss")],
         "seeds": [_trial_seed(t, settings)], "epochs": [], "errors": []} for t in top]
    started, slowest = time.perf_counter(), 0.0
    for k in range(1, settings.extra_seeds + 1):
        seed = run_seed(settings.seed, k)  # verification's k-th seed
        for trial, run in zip(top, runs, strict=True):
            if (settings.rerun_seconds is not None
                    and time.perf_counter() - started + slowest >= settings.rerun_seconds):
                continue
            t0 = time.perf_counter()
            h = train_seed(trial.number, dict(trial.params), seed, run["errors"])
            slowest = max(slowest, time.perf_counter() - t0)
            run["epochs"].append(h.epochs_run if h is not None else 0)
            value, loss = _figures(h, settings, maximize)
            run["values"].append(value)
            run["losses"].append(loss)
            run["seeds"].append(seed)
            step()
    return [_summarise(t, r["seeds"], r["values"], r["epochs"], r["losses"], r["errors"])
            for t, r in zip(top, runs, strict=True)]


def _trial_seed(trial: optuna.trial.FrozenTrial, settings: TuneSettings) -> int:
    """The seed the trial trained with (recorded on it; a study from before the record: the
    trials' seed)."""
    return int(trial.user_attrs.get("seed", trial_seed(settings.seed)))


def _train_seed(
    experiment: Experiment,
    space: SearchSpace,
    settings: TuneSettings,
    base: RegConfig,
    trainer: Callable[..., TrainResult],
    keep: Keep | None,
    number: int,
    params: dict[str, Any],
    seed: int,
    errors: list[str],
) -> History | None:
    """Train one re-run and hand it to ``keep``; ``None`` (and a line in ``errors``) when the
    experiment's code fails."""
    config = config_for(base, space, params).replace(seed=seed)
    try:
        result = train_experiment(experiment, config, trainer=trainer, device=settings.device,
                                  train_figures=False)
    except USER_CODE_ERRORS as e:  # the user's code: this re-run fails, as a trial would
        mistake = explain(e, settings.device)
        if mistake is not None:
            raise mistake from None
        errors.append(f"seed {seed}: {fault_text(e)}")
        return None
    if keep is not None:
        keep(number, seed, result.history, result.model)
    return result.history


def _figures(h: History | None, settings: TuneSettings, maximize: bool) -> tuple[float, float]:
    """A re-run's objective value and validation loss; the worst ones when it failed."""
    best = (h.restored or h.best) if h is not None else None
    if h is None or h.diverged or best is None:
        return (-math.inf if maximize else math.inf), math.inf
    value = best.val_metric if settings.objective == "val_metric" else best.val_loss
    return value, best.val_loss


def _summarise(trial: optuna.trial.FrozenTrial, seeds: list[int], values: list[float],
               epochs: list[int], losses: list[float | None], errors: list[str]) -> Rerun:
    """The mean and spread over the finite values, the mean of the finite losses, and each
    run's loss."""
    kept = finite(values)
    mean = statistics.fmean(kept) if kept else math.nan
    std = statistics.stdev(kept) if len(kept) >= 2 else 0.0
    known = finite(losses)
    return Rerun(trial.number, dict(trial.params), seeds, values, mean, std, epochs,
                 statistics.fmean(known) if known else None, errors,
                 val_losses=[None if v is None else float(v) for v in losses])


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
    how = (f"The winner was chosen among the top {settings.top_k} by their mean over "
           f"{settings.extra_seeds} extra training seeds, so it rests on those re-runs."
           if settings.top_k > 1 and settings.winner == "rerun" else
           "The winner is the tied trial with the lowest validation loss; verification, not "
           "this choice, says whether it beats your setup.")
    return [f"{tied} of {len(values)} completed trials tied at the best {figure} ({best:.4g}): "
            "the objective cannot tell them apart (a small validation set moves in coarse "
            f"steps). {how}"]
