"""Retrain the baseline and the recommendation over K seeds and compare them on held-out data.

The comparison is paired: seed k trains both arms from the same initialisation and the same
first epoch's batches (common random numbers; later epochs too where both models draw alike,
since on the CPU dropout draws from the generator the loader shuffles with, and always when the
loader shuffles with a generator of its own: see
:func:`~regadvisor.training.data.restore_generators`), so the per-seed differences remove much
of the seed-to-seed noise. The 95 % interval of the mean difference combines Student's t with
K − 1 degrees of freedom over the seeds and the sampling noise of the held-out set (from the
samples × seeds table of per-sample differences, less the seed-to-seed part the seeds' term
already holds: :func:`~regadvisor.verification.comparison.held_out_noise`), which no number of
seeds shows.

K is not fixed: verification starts with the seeds asked for and adds one seed of both arms at a
time while the interval straddles zero and cannot rule out a gain that matters, up to a cap (or
the time a ``--budget`` leaves), with a group-sequential boundary that keeps the verdict's error
rate at 5 % over all looks, 4 % of it for a false "improves" and 1 % for a false "worse"
(:mod:`regadvisor.verification.sequential`).

For classification each arm also carries its calibration (reliability bins and ECE) and its
predictive entropy (MC dropout when the trained model has dropout), pooled over the seeds; see
:mod:`regadvisor.verification.calibration`.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from regadvisor._format import difference, metric_value, points
from regadvisor.experiment import Experiment
from regadvisor.training import History, RegConfig, train, train_experiment
from regadvisor.training.config import run_seed
from regadvisor.verification.calibration import MC_PASSES, calibration, ece, uncertainty
from regadvisor.verification.comparison import (
    Comparison,
    paired_comparison,
    t975,
)
from regadvisor.verification.decision import Decision, SeedsToDecide, decide, seeds_to_decide
from regadvisor.verification.held_out import HeldOut, evaluate_model
from regadvisor.verification.results import ArmResult, SeedResult, Verification
from regadvisor.verification.sequential import (
    ALPHA,
    ALPHA_IMPROVES,
    ALPHA_WORSE,
    FUTILITY,
    MIN_GAIN_POINTS,
    MIN_GAIN_RELATIVE,
    Look,
    Sequential,
    chance_to_improve,
    futility_start,
    look_decision,
    side_levels,
)
from regadvisor.verification.temperature import arm_scaling, seed_temperature, temperature_helps

__all__ = ["ArmResult", "Comparison", "HeldOut", "SeedResult", "Sequential", "Verification",
           "evaluate_model", "paired_comparison", "seeds_sentence", "t975",
           "verify"]


def verify(
    experiment: Experiment,
    baseline: RegConfig,
    recommended: RegConfig,
    *,
    seeds: int = 3,
    seed: int = 0,
    device: Any = "cpu",
    on_run: Callable[[int, int], None] | None = None,
    mc_passes: int = MC_PASSES,
    reuse: dict[int, tuple[History, nn.Module]] | None = None,
    reuse_recommended: dict[int, tuple[History, nn.Module]] | None = None,
    max_seeds: int | None = None,
    deadline: float | None = None,
    boundary: str = "pocock",
    min_gain: float | None = None,
    futility: float = FUTILITY,
    budget_cap: bool = False,
) -> Verification:
    """Train both configurations over ``seeds`` seeds at full length and compare them; while
    the comparison cannot decide, add seeds up to ``max_seeds`` (see
    :mod:`regadvisor.verification.sequential`).

    The baseline is trained as the user trains it (their optimizer, no early stopping, the last
    epoch's weights); the recommendation with its early stopping. For classification, each arm's
    held-out predictions are pooled over the seeds into its calibration and uncertainty.

    Args:
        experiment: The loaded experiment.
        baseline: The user's setup.
        recommended: The configuration to check.
        seeds: Training seeds per arm at the first look (K₀); seed k is ``seed + 100·k`` for
            both arms.
        seed: The first seed.
        device: Where to train.
        on_run: Called as ``on_run(done, total)`` after each training run (``total`` grows when
            a seed is added).
        mc_passes: T, stochastic forward passes of MC dropout for models with dropout.
        reuse: ``seed -> (History, model)`` of runs of the baseline already trained at full
            length with that seed (the diagnosis'); they are measured instead of trained again.
        reuse_recommended: The same for the recommendation: the winner's re-runs in tuning,
            trained with verification's seeds. They were chosen on the validation data only,
            and are measured on the held-out data here as a run trained now would be.
        max_seeds: The cap on the seeds per arm; ``None``: ``seeds`` (one look, no seed added).
        deadline: A ``time.perf_counter()`` reading: no seed is added that would end after it
            (a seed's two runs are expected to take as long as the slowest seed so far).
        boundary: The group-sequential boundary's shape (``pocock`` or ``obrien-fleming``).
        min_gain: The smallest gain that matters on the user's metric, in its units; ``None``:
            :data:`~regadvisor.verification.sequential.MIN_GAIN_POINTS` of accuracy, or
            :data:`~regadvisor.verification.sequential.MIN_GAIN_RELATIVE` of the user's loss.
        futility: Stop adding seeds when the chance that the cap's interval says "improves" at
            the difference measured so far is under this
            (:data:`~regadvisor.verification.sequential.FUTILITY`; 0: never).
        budget_cap: ``max_seeds`` is the most seeds a ``--budget`` could pay for, not the
            user's cap (the record and the summary say so).

    Raises:
        ValueError: ``max_seeds`` below ``seeds``, or ``seeds`` below 2.
    """
    started = time.perf_counter()
    cap = seeds if max_seeds is None else max_seeds
    levels = side_levels(seeds, cap, boundary=boundary)
    loader = experiment.test_loader or experiment.val_loader
    split = "test" if experiment.test_loader is not None else "validation"
    seed_list: list[int] = []
    arms = {"baseline": ArmResult("your setup", baseline),
            "recommended": ArmResult("recommendation", recommended)}
    histories: dict[str, History] = {}
    held: dict[str, list[HeldOut | None]] = {"baseline": [], "recommended": []}
    plan = Sequential(first_seeds=seeds, max_seeds=cap, boundary=boundary, alpha=ALPHA,
                      alpha_improves=ALPHA_IMPROVES, alpha_worse=ALPHA_WORSE, levels=levels,
                      min_gain=math.nan, futility=futility, budget_cap=budget_cap,
                      futility_from=futility_start(seeds, cap, futility))
    total, done, slowest = 2 * seeds, 0, 0.0
    reused = {"baseline": reuse or {}, "recommended": reuse_recommended or {}}
    while True:
        s = run_seed(seed, len(seed_list))
        seed_list.append(s)
        t0 = time.perf_counter()
        for key, config in (("baseline", baseline), ("recommended", recommended)):
            taken = reused.get(key, {}).get(s)
            h, measured, record = _run_seed(
                experiment, config.replace(seed=s), loader, device=device, mc_passes=mc_passes,
                reused=(*taken, _reused_from(key, len(seed_list) - 1))
                if taken is not None else None,
                # Only the first seed's curves are kept (and plotted).
                train_figures=key not in histories)
            held[key].append(measured)
            arms[key].runs.append(record)
            if key not in histories:
                histories[key] = h
            done += 1
            if on_run is not None:
                on_run(done, total)
        slowest = max(slowest, time.perf_counter() - t0)
        n = len(seed_list)
        if n < plan.futility_from:
            continue
        if math.isnan(plan.min_gain):
            plan.min_gain = _min_gain(experiment, arms["baseline"], min_gain)
        # A look before the first (n < seeds) may only stop for futility; its interval is at
        # the first look's errors.
        level = levels[max(n - seeds, 0)]
        metric_cmp = _compare(experiment, arms, held, level)[0]
        chance = chance_to_improve(metric_cmp.diffs, metric_cmp.sample_noise, max_seeds=cap,
                                   error=levels[-1][0],
                                   higher_is_better=experiment.higher_is_better)
        plan.looks.append(Look(n, metric_cmp.mean_diff, metric_cmp.ci_low, metric_cmp.ci_high,
                               *level, chance=None if math.isnan(chance) else chance,
                               decides=n >= seeds))
        stop, plan.stop, plan.message = look_decision(
            metric_cmp.verdict, metric_cmp.ci_low, metric_cmp.ci_high,
            experiment.higher_is_better, seeds=n, max_seeds=cap, min_gain=plan.min_gain,
            metric=experiment.metric, chance=chance, futility=plan.futility,
            budget_cap=plan.budget_cap, decides=n >= seeds,
            time_for_another=deadline is None or time.perf_counter() + slowest <= deadline)
        if stop:
            break
        if n >= seeds:
            total += 2
    # Epochs verification trained: a run it took from the diagnosis was paid for there.
    epochs = [[0 if r.reused else r.epochs_run for r in arm.runs] for arm in arms.values()]
    plan.epochs = sum(sum(e) for e in epochs)
    plan.added_epochs = sum(sum(e[seeds:]) for e in epochs)
    plan.reused = dict(Counter(r.reused for arm in arms.values() for r in arm.runs
                               if r.reused))
    return _conclude(experiment, split, seed_list, arms, held, histories, started, plan)


#: The stage whose runs an arm reuses, as :attr:`SeedResult.reused` names it.
def _reused_from(arm: str, k: int) -> str:
    """The stage whose run verification takes for ``arm`` on its ``k``-th seed: the user's
    setup from the diagnosis; the recommendation from tuning, the winner's re-runs (k ≥ 1) or
    the run of a study's only trial (k = 0)."""
    if arm == "baseline":
        return "diagnosis"
    return "trial" if k == 0 else "tuning"


def _min_gain(experiment: Experiment, base: ArmResult, given: float | None) -> float:
    """The smallest gain that matters, in the metric's units (see :func:`verify`)."""
    if given is not None:
        return given
    if experiment.metric == "accuracy":
        return MIN_GAIN_POINTS
    loss = base.mean("metric")
    return MIN_GAIN_RELATIVE * abs(loss) if math.isfinite(loss) else 0.0


def _compare(experiment: Experiment, arms: dict[str, ArmResult],
             held: dict[str, list[HeldOut | None]],
             errors: list[float]) -> tuple[Comparison, Comparison]:
    """The paired comparisons on the user's metric and on the loss, at the look's one-sided
    nominal errors ``[improves, worse]``."""
    base, rec = arms["baseline"], arms["recommended"]
    per_sample = {"loss": _sample_diffs(held, "sample_loss"),
                  "accuracy": _sample_diffs(held, "sample_correct")}
    metric_cmp = paired_comparison(experiment.metric, base.values("metric"),
                                   rec.values("metric"), experiment.higher_is_better,
                                   per_sample[experiment.metric], errors=errors)
    loss_cmp = paired_comparison("loss", base.values("loss"), rec.values("loss"), False,
                                 per_sample["loss"], errors=errors)
    return metric_cmp, loss_cmp


def _run_seed(experiment: Experiment, config: RegConfig, loader: Any, *, device: Any,
              mc_passes: int, reused: tuple[History, nn.Module, str] | None,
              train_figures: bool) -> tuple[History, HeldOut | None, SeedResult]:
    """Train one arm with one seed (``config.seed``), or take the run in ``reused`` (its
    History, model and the stage that trained it), and measure it on ``loader``.

    Returns:
        The run's History, its held-out figures (``None`` when it diverged: it then scores the
        worst metric and an infinite loss), and its record.
    """
    t0 = time.perf_counter()
    if reused is not None:
        h, model, _stage = reused
        model.to(torch.device(device))  # a kept re-run waits on the CPU
    else:
        result = train_experiment(experiment, config, trainer=train, device=device,
                                  train_figures=train_figures)
        h, model = result.history, result.model
    if h.diverged:
        worst = 0.0 if experiment.higher_is_better else math.inf
        measured = None
        loss, metric, seed_ece = math.inf, worst, None
    else:
        measured = evaluate_model(model, loader, experiment.task, device,
                                  experiment.loss_factory, mc_passes=mc_passes, seed=config.seed,
                                  batch_fn=experiment.batch)
        measured.temperature, measured.scaled = seed_temperature(model, experiment, device,
                                                                 measured)
        loss, metric, seed_ece = measured.loss, measured.metric, measured.ece
    return h, measured, SeedResult(
        seed=config.seed, loss=loss, metric=metric, ece=seed_ece, epochs_run=h.epochs_run,
        best_epoch=h.best_epoch, restored_epoch=h.restored_epoch,
        stop_reason=h.stop_reason.value, stop_message=h.stop_message,
        seconds=time.perf_counter() - t0,
        temperature=measured.temperature if measured is not None else None,
        ece_scaled=ece(measured.scaled) if measured is not None and measured.scaled else None,
        reused=reused[2] if reused is not None else None)


def _conclude(experiment: Experiment, split: str, seed_list: list[int],
              arms: dict[str, ArmResult], held: dict[str, list[HeldOut | None]],
              histories: dict[str, History], started: float, plan: Sequential) -> Verification:
    """Pool each arm's predictions, compare the arms and write the verdict.

    ``started`` is the ``time.perf_counter()`` reading at the start of :func:`verify`.
    """
    for key, arm in arms.items():
        preds = [m.predictions for m in held[key] if m is not None and m.predictions is not None]
        arm.calibration = calibration(preds)
        arm.uncertainty = uncertainty(preds)
        done = [m for m in held[key] if m is not None]
        arm.temperature = arm_scaling([m.temperature for m in done],
                                      [m.scaled for m in done if m.scaled is not None], arm.ece)
    base, rec = arms["baseline"], arms["recommended"]
    seeds = len(seed_list)
    metric_cmp, loss_cmp = _compare(experiment, arms, held,
                                  [plan.looks[-1].error_improves, plan.looks[-1].error_worse])
    verdict = metric_cmp.verdict
    decision = decide(metric_cmp.verdict, loss_cmp.verdict, experiment.metric == "loss")
    n_held = next((len(m.sample_loss) for arm in held.values() for m in arm
                   if m is not None and m.sample_loss is not None), None)
    summary = _summary(experiment.metric, split, seeds, base, rec, metric_cmp, loss_cmp,
                       decision, plan)
    advised = _advise_temperature(base, rec, decision.keeps_yours)
    return Verification(split=split, seeds=seed_list, metric_name=experiment.metric,
                        baseline=base, recommended=rec, metric=metric_cmp, loss=loss_cmp,
                        verdict=verdict, keep_baseline=decision.keeps_yours, summary=summary,
                        warnings=_warnings(seeds, split, n_held, experiment.metric),
                        flags=_flags(base, rec, split, experiment.metric, advised),
                        histories=histories, seconds=time.perf_counter() - started,
                        decision=decision,
                        to_decide=_to_decide(metric_cmp, base, rec, split, experiment.metric)
                        if decision in (Decision.TRIED_NOT_ADOPTED, Decision.LOSS_ONLY)
                        else None,
                        sequential=plan, temperature_advised=advised)


def _to_decide(metric: Comparison, base: ArmResult, rec: ArmResult, split: str,
               metric_name: str) -> SeedsToDecide:
    """What more seeds would cost to decide the comparison on the user's metric, at the
    epochs and the seconds per epoch these runs took."""
    pairs = [b.epochs_run + r.epochs_run for b, r in zip(base.runs, rec.runs, strict=True)]
    rates = sorted(r.seconds / r.epochs_run for r in [*base.runs, *rec.runs]
                   if r.epochs_run and r.seconds > 0)
    return seeds_to_decide(metric.diffs, metric.sample_noise, metric_name, split, pairs,
                           rates[len(rates) // 2] if rates else None)


#: The recommendation's held-out loss above this multiple of the user's (on the mean or on one
#: seed) is flagged: its predictions have become over-confident where they are wrong.
LOSS_FLAG_RATIO = 1.5
#: A worse expected calibration error by more than this is flagged.
ECE_FLAG = 0.05


def _advise_temperature(base: ArmResult, rec: ArmResult, keep: bool) -> bool:
    """Temperature scaling joins the advice when the recommendation is adopted (better on the
    metric) but worse calibrated than the user's setup by more than :data:`ECE_FLAG`, and
    scaling with T fitted on the validation set measurably lowers its held-out ECE."""
    before, after = base.ece, rec.ece
    worse = before is not None and after is not None and after - before > ECE_FLAG
    return not keep and worse and temperature_helps(rec.temperature)


def _flags(base: ArmResult, rec: ArmResult, split: str, metric: str,
           temperature: bool = False) -> list[str]:
    """What the recommendation made worse beside the metric, for the verdict box; with
    ``temperature``, the calibration sentence says what temperature scaling measured."""
    out = []
    if metric == "accuracy":
        worst = None
        for b, r in zip(base.runs, rec.runs, strict=True):
            if math.isfinite(b.loss) and b.loss > 0:
                ratio = r.loss / b.loss if math.isfinite(r.loss) else math.inf
                if worst is None or ratio > worst[0]:
                    worst = (ratio, b, r)
        if worst is not None and worst[0] > LOSS_FLAG_RATIO:
            ratio, b, r = worst
            times = "an infinite multiple" if not math.isfinite(ratio) else f"{ratio:.1f}×"
            out.append(f"Loss: on seed {r.seed} the recommendation's {split} loss is {times} your "
                       f"setup's ({r.loss:.4g} against {b.loss:.4g}; means "
                       f"{rec.mean('loss'):.4g} against {base.mean('loss'):.4g}): it is "
                       "over-confident where it is wrong, even where its accuracy is higher.")
    before, after = base.ece, rec.ece
    if before is not None and after is not None and after - before > ECE_FLAG:
        out.append(f"Calibration: the recommendation's expected calibration error on the {split} "
                   f"set is {after:.3f} against {before:.3f} for your setup "
                   f"(+{after - before:.3f}): its confidence is a worse guide to how often it is "
                   "right." + _scaling_text(base, rec, split, temperature))
    return out


def _scaling_text(base: ArmResult, rec: ArmResult, split: str, advised: bool) -> str:
    """What temperature scaling did to both arms' held-out ECE, as a sentence (empty without
    a measurement)."""
    r, b = rec.temperature, base.temperature
    if r is None or r.ece_after is None:
        return ""
    low, high = f"{min(r.temperatures):.2f}", f"{max(r.temperatures):.2f}"
    t_text = f"T = {low}" if low == high else f"T = {low} to {high} over the seeds"
    same = " (fitted and measured on the same set)" if split == "validation" else ""
    text = (f" Temperature scaling ({t_text}, fitted on the validation set{same}) "
            + ("brings it to" if r.ece_before is None or r.ece_after < r.ece_before
               else "does not lower it:")
            + f" {r.ece_after:.3f}")
    if b is not None and b.ece_after is not None:
        text += f" (yours: {b.ece_after:.3f} after its own)"
    if advised:
        return text + ", so the advice includes it: divide the logits by T at inference."
    return text + ", so the advice leaves it out."


def _sample_diffs(held: dict[str, list[HeldOut | None]],
                  field_name: str) -> list[list[float]] | None:
    """Per seed and held-out sample: recommendation − baseline, one row per seed (``None`` when
    a run diverged or the figure has no per-sample values)."""
    pairs = list(zip(held["baseline"], held["recommended"], strict=True))
    values = [(getattr(b, field_name, None), getattr(r, field_name, None)) for b, r in pairs]
    if not values or any(b is None or r is None or b.shape != r.shape for b, r in values):
        return None
    diffs = torch.stack([r.double() - b.double() for b, r in values])
    return diffs.tolist() if bool(torch.isfinite(diffs).all()) else None


#: Held-out sets smaller than this get a warning: each sample moves accuracy by over a point.
SMALL_HELD_OUT = 100


def _warnings(seeds: int, split: str, n_held: int | None, metric: str) -> list[str]:
    out = []
    if seeds < 3:
        out.append(f"Only {seeds} seeds: the interval rests on {seeds - 1} degree"
                   f"{'s' if seeds != 2 else ''} of freedom (t = {t975(seeds - 1):.1f}), so it "
                   "is wide and one unusual seed decides the verdict. Use --seeds 3 or more.")
    if n_held is not None and n_held < SMALL_HELD_OUT:
        step = (f": one sample moves {metric} by {points(1 / n_held, '.1f')}"
                if metric == "accuracy" else "")
        out.append(f"The {split} set has only {n_held} samples{step}. The interval includes its "
                   f"sampling noise, but a larger {split} set would say more.")
    return out


#: The end of the verification sentence, by decision: what regadvisor does with the change.
_DECISION_WORDS = {
    Decision.ADOPTED: " The change measured better: regadvisor recommends it.",
    Decision.TRIED_NOT_ADOPTED: " No clear difference: regadvisor keeps your setup; the change "
                                "was tried, not adopted.",
    Decision.KEPT_YOURS_WORSE: " The change measured worse than your setup, so regadvisor keeps "
                               "your setup.",
    Decision.LOSS_ONLY: " A gain in loss only: {metric} shows no clear difference, so regadvisor "
                        "keeps your setup; the change lowers the {split} loss.",
}


def seeds_sentence(plan: Sequential) -> str:
    """How many seeds decided the verdict, why verification stopped there, and what the added
    seeds cost, in one or two sentences."""
    n = plan.looks[-1].seeds if plan.looks else plan.first_seeds
    if plan.max_seeds == plan.first_seeds:
        why = ("the --budget left time for no more" if plan.budget_cap
               else f"--max-seeds {plan.max_seeds}")
        return (f"{n} seeds, one look ({why}: no seed added)."
                f"{reused_sentence(plan.reused)}")
    added = n - plan.first_seeds
    cost = (f" The {added} seed{'s' if added != 1 else ''} added to the {plan.first_seeds} "
            f"asked for cost {plan.added_epochs} training epochs (of {plan.epochs} in "
            "verification)." if added > 0 else "")
    if added < 0:
        cost = (f" It stopped before the first look at {plan.first_seeds} seeds: this stop "
                "decides nothing but that more seeds would not pay.")
    return f"{plan.message}{cost}{reused_sentence(plan.reused)}"


def reused_sentence(reused: dict[str, int]) -> str:
    """Which runs served twice, in a sentence (empty when none did)."""
    parts = []
    if reused.get("diagnosis"):
        parts.append("the diagnosis' full run of your setup")
    if reused.get("trial"):
        parts.append("the run of the one trial tuning trained (the guide's recipe, on "
                     "verification's first seed: with no other trial to beat, it was chosen on "
                     "nothing)")
    if reused.get("tuning"):
        n = reused["tuning"]
        parts.append(f"the winner's {n} re-run{'s' if n != 1 else ''} in tuning, which "
                     + ("train with verification's seeds and were" if n != 1 else
                        "trains with a seed of verification's and was")
                     + " chosen on the validation data only")
    if not parts:
        return ""
    return f" Reused, not trained again: {'; '.join(parts)}."


def _summary(metric: str, split: str, seeds: int, base: ArmResult, rec: ArmResult,
             m: Comparison, loss: Comparison, decision: Decision,
             plan: Sequential) -> str:
    text = (f"On the {split} set over {seeds} seeds, {metric} went from "
            f"{metric_value(base.mean('metric'), metric)} to "
            f"{metric_value(rec.mean('metric'), metric)} "
            f"(paired difference {difference(m.mean_diff, metric)}, 95 % interval "
            f"[{difference(m.ci_low, metric).replace(' points', '')}, "
            f"{difference(m.ci_high, metric).replace(' points', '')}]): {m.verdict}.")
    if metric == "accuracy":
        text += (f" {split.capitalize()} loss went from {base.mean('loss'):.4f} to "
                 f"{rec.mean('loss'):.4f} ({loss.verdict}).")
    text += _DECISION_WORDS[decision].format(metric=metric, split=split)
    return f"{text} {seeds_sentence(plan)}"
