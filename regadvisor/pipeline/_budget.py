"""A cost the user sets: ``--budget 6h`` (wall time) or ``--budget 20x`` (full trainings of the
user's setup), planned once the diagnosis has timed an epoch.

The plan splits what is left after the diagnosis between verification (``2·seeds`` full runs,
less the runs it reuses: the diagnosis' when it trained the user's setup at full length, and the
winner's re-runs, which train with verification's seeds), the winner's re-runs (``top_k ×
extra_seeds`` full runs) and the trials. A trial costs about
:data:`TRIAL_FRACTION` of a full run (the pruner is the multi-fidelity part: a trial that
trails at a rung stops there), so the plan runs
as many trials as fit, and the study stops starting trials when their share of the time is
spent: the run ends within the budget give or take one trial. Each of verification's runs,
reused or not, is also measured on the held-out set (predictions, MC-dropout passes when the
model has dropout, temperature): the passes are timed on a fresh model before the plan is made
and counted.
When the budget is too small for the defaults, the top trials re-run shrink to the best one
first (its re-runs are verification's runs of the recommendation: they cost nothing extra), then
verification starts at 2 seeds (with the caution that 2 seeds carry), then only the guide's
recipe is tried, as a study of one trial whose run is verification's first of the
recommendation (chosen on nothing, it trains with verification's first seed); the plan says what
it gave up. With the diagnosis' full run as the first of the user's setup, that smallest plan
trains three more runs (the recipe, its re-run, the user's setup on the second seed): about 5
full trainings in all with the planning margin. Verification adds seeds while its verdict is open
only as long as another seed of both arms ends before the budget does.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from regadvisor.errors import ConfigError

__all__ = ["SAFETY", "TRIAL_FRACTION", "TUNING_SECONDS", "Budget", "Plan", "estimate_text",
           "full_run_seconds", "make_plan", "parse_budget", "plan_fields", "rerun_seconds",
           "reused_reruns", "tuning_fields", "verification_seeds"]

#: A trial's cost as a share of a full run of the user's setup, planned conservatively: over the
#: case suite's calibration half (epochs trained by the trials / trials × the user's epochs,
#: 10 trials) the mean is 0.59 and the upper quartile 0.77 (0.12 to 0.90) with the ``asha``
#: pruner, 0.69 and 0.91 with ``patient``; a small plan's first 4 trials are never pruned.
TRIAL_FRACTION = 0.85
#: The diagnosis times its first epochs; later runs took 1.1 to 1.3 times as long per epoch on
#: the budget benchmark (0.75 s against 0.81-0.97 s), so the plan counts a full run this much
#: longer than the diagnosis says.
SAFETY = 1.25
#: Fewest trials a plan runs (the guide's recipe and three of the sampler's).
MIN_TRIALS = 4
#: Seconds set aside for writing the report and records: the report stage took 1.8 to 2.3 s for
#: the bundled examples on a 2-core CPU (``advise digits_noisy``, ``digits_augment --budget
#: 60s``), and it does not grow with the model. A fixed 10 s made the smallest plan of a model
#: that trains in 1.6 s cost 16 of its trainings.
REPORT_SECONDS = 3.0
#: Seconds set aside for what the tuning stage costs beyond its trainings (opening a new study in
#: SQLite, sampling, recording trials and the run record): 0.09 to 0.15 s for 1 or 3 trials on
#: four small cases of the suite (``python benchmarks/bench_fixed_costs.py``,
#: results/fixed_costs.json), where a model that trains in 0.1 to 0.2 s overran a small
#: budget by that much when the plan counted nothing for it. The storage's first opening (its
#: SQLite file made, 0.1 to 0.4 s) is spent before the plan, so it is not in this figure.
TUNING_SECONDS = 0.15

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0}


@dataclass(frozen=True)
class Budget:
    """``--budget`` as given: wall seconds, or full trainings of the user's setup."""

    text: str
    seconds: float | None = None
    runs: float | None = None


def parse_budget(text: str) -> Budget:
    """``"6h"``, ``"30m"``, ``"900s"``, ``"900"`` (seconds) or ``"20x"``.

    Raises:
        ConfigError: Anything else, or a budget that is not positive.
    """
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhx]?)\s*", str(text).lower())
    if not m or float(m.group(1)) <= 0:
        raise ConfigError(f"--budget {text!r} is not a budget: give wall time (900s, 30m, 6h) "
                          "or full trainings of your setup (20x).")
    value, unit = float(m.group(1)), m.group(2) or "s"
    if unit == "x":
        return Budget(text=str(text), runs=value)
    return Budget(text=str(text), seconds=value * _UNITS[unit])


@dataclass(frozen=True)
class Plan:
    """How a budget is spent; every figure in seconds unless named otherwise."""

    budget: str
    total_seconds: float
    full_run_seconds: float
    run_seconds: float
    spent_seconds: float
    n_trials: int
    trial_seconds: float
    top_k: int
    extra_seeds: int
    seeds: int
    verify: bool = True
    gives_up: str = ""
    reused: int = 0
    report_seconds: float = REPORT_SECONDS
    verify_seconds: float = 0.0
    measure_seconds: float = 0.0

    def text(self) -> str:
        """The plan in one paragraph, for the terminal and the report."""
        f, measured = self.run_seconds, self.full_run_seconds
        return (f"Budget {self.budget}: {self.total_seconds:.0f} s "
                f"({self.total_seconds / measured:.1f} full trainings of your setup at "
                f"{measured:.1f} s each, as the diagnosis timed them; planned at {f:.1f} s a "
                "run). "
                f"Diagnosis: {self.spent_seconds:.0f} s, done. "
                + (f"Tuning: the guide's recipe alone, one trial of about a full run "
                   f"({self.trial_seconds:.0f} s; its run is verification's first of the "
                   "recommendation), " if self.verify and self.n_trials == 1 else
                   f"Tuning: up to {self.n_trials} trials in {self.trial_seconds:.0f} s (about "
                   f"{TRIAL_FRACTION:g} of a full run each: the pruner stops trials that "
                   "trail at a rung), ")
                + (f"then {_top(self.top_k)} re-run over {self.extra_seeds} extra seed"
                   f"{'s' if self.extra_seeds != 1 else ''} (about "
                   f"{self.top_k * self.extra_seeds * f:.0f} s)." if self.extra_seeds
                   else "and the best single trial wins (no re-runs).")
                + (f" Verification: {self.seeds} seeds × 2 arms (about "
                   f"{self.verify_seconds:.0f} s; "
                   f"{_runs(self.reused)} trained "
                   "before it and reused"
                   + (f"; each of its runs measured on the held-out set in about "
                      f"{_secs(self.measure_seconds)}" if self.measure_seconds >= 0.05 else "")
                   + "), and more seeds while the verdict is "
                   "open, as long as the time left allows." if self.verify else "")
                + (f" {self.gives_up}" if self.gives_up else ""))


def make_plan(budget: Budget, full_run_seconds: float, spent_seconds: float, *, n_trials: int,
              seeds: int, top_k: int, extra_seeds: int, verify: bool = True,
              reused: int = 0, report_seconds: float = REPORT_SECONDS,
              measure_seconds: float = 0.0) -> Plan:
    """Fit trials, re-runs and verification into what is left of the budget.

    Args:
        budget: The parsed ``--budget``.
        full_run_seconds: One full training of the user's setup (the diagnosis' epoch time ×
            the user's epochs).
        spent_seconds: What the run has taken so far (the diagnosis).
        n_trials, seeds, top_k, extra_seeds: The settings without a budget: the plan's upper
            bounds.
        verify: Whether verification follows (``tune`` alone has none).
        reused: Verification runs of the user's setup already trained (1 when the diagnosis
            trained it at full length: verification takes it as its first baseline seed). The
            winner's re-runs that verification reuses are counted here
            (:func:`reused_reruns`).
        report_seconds: Set aside for the report (0 when none is rendered: the API's
            ``render=False``).
        measure_seconds: What verification spends measuring one run on the held-out set (its
            predictions, MC-dropout passes and temperature), per run of its first look, the
            runs it reuses included.

    Raises:
        ConfigError: The budget cannot cover even the smallest plan (the message says how much
            would).
    """
    total = (budget.seconds if budget.seconds is not None
             else budget.runs * max(full_run_seconds, 1e-3))
    f = max(full_run_seconds, 1e-3) * SAFETY
    # The user's setup is planned at the diagnosis' timing itself when the diagnosis trained it
    # at full length (timed whole, the same configuration); the margin is for the other
    # configurations, whose runs the diagnosis did not time.
    f_user = max(full_run_seconds, 1e-3) if reused else f
    left = total - spent_seconds - report_seconds - TUNING_SECONDS
    rungs = _rungs(top_k, extra_seeds, seeds)
    for k, extra, s, fewest in rungs:
        verifying = (_verification_seconds(s, reused, extra, False, f, f_user, measure_seconds)
                     if verify else 0.0)
        room = left - verifying - k * extra * f
        fit = _trials_that_fit(room, f, n_trials, fewest, verify)
        if fit is not None:
            trials, alone = fit
            taken = reused + reused_reruns(extra, s) + alone if verify else 0
            return Plan(budget=budget.text, total_seconds=total, report_seconds=report_seconds,
                        full_run_seconds=max(full_run_seconds, 1e-3), run_seconds=f,
                        spent_seconds=spent_seconds, n_trials=trials,
                        trial_seconds=room + f if alone else room,
                        top_k=k, extra_seeds=extra, seeds=s, verify=verify, reused=taken,
                        # A lone trial's run is one of the recommendation's: one run less.
                        verify_seconds=verifying - f if alone else verifying,
                        measure_seconds=measure_seconds,
                        gives_up=_gives_up(trials, n_trials, k, top_k, s, seeds, verify))
    k, extra, s, fewest = rungs[-1]
    # The smallest plan: the guide's recipe alone, whose run (with verify) is verification's
    # first of the recommendation, so the trial costs a full run and verification one less.
    need = (spent_seconds + report_seconds + TUNING_SECONDS
            + ((f + _verification_seconds(s, reused, extra, True, f, f_user, measure_seconds))
               if verify
               else TRIAL_FRACTION * f)
            + k * extra * f)
    measured = max(full_run_seconds, 1e-3)
    what = ("a tuned and verified recommendation" if verify else "a tuned recommendation")
    parts = ("one trial (the guide's recipe" + (", its run verification's first" if verify
                                                else "") + ")"
             + (f", {k * extra} re-run" if extra else "")
             + (f", {s} verification seeds" if verify else ""))
    # Every "x" here counts full trainings at the one timing the diagnosis measured.
    raise ConfigError(
        f"--budget {budget.text} ({_secs(total)}, {total / measured:.1f}x) cannot cover {what}: "
        f"one full training of your setup takes {_secs(measured)} as the diagnosis timed it "
        f"(planned at {_secs(f)}), and the smallest plan ({parts}) needs about {_secs(need)} "
        f"({need / measured:.1f}x), {_secs(spent_seconds)} of it already spent on loading and "
        "the diagnosis. Give a larger --budget.")


def _rungs(top_k: int, extra_seeds: int, seeds: int) -> list[tuple[int, int, int, int]]:
    """The plans a budget tries, largest first, as ``(top_k, extra_seeds, seeds, fewest
    trials)``: the settings asked for; the best trial alone re-run (its re-runs are
    verification's runs of the recommendation, so they cost nothing extra); verification from 2
    seeds; the guide's recipe alone (the study's first trial)."""
    rungs = [(top_k, extra_seeds, seeds, MIN_TRIALS),
             (1, min(extra_seeds, max(seeds - 1, 0)), seeds, MIN_TRIALS),
             (1, min(extra_seeds, 1), min(seeds, 2), MIN_TRIALS),
             (1, min(extra_seeds, 1), min(seeds, 2), 1)]
    return [r for i, r in enumerate(rungs) if r not in rungs[:i]]


def _verification_seconds(seeds: int, reused: int, extra_seeds: int, alone: bool, f: float,
                          f_user: float, measure: float = 0.0) -> float:
    """What verification's first look at ``seeds`` seeds costs: the user's setup trained on the
    seeds the diagnosis did not train (``reused``), at ``f_user`` a run; the recommendation on
    those neither the winner's re-runs nor a lone trial (``alone``) trained, at ``f``; and
    every one of its ``2·seeds`` runs measured on the held-out set, at ``measure`` a run."""
    user = seeds - reused
    recommendation = max(0, seeds - reused_reruns(extra_seeds, seeds) - alone)
    return user * f_user + recommendation * f + 2 * seeds * measure


def _trials_that_fit(room: float, f: float, n_trials: int, fewest: int,
                     verify: bool) -> tuple[int, bool] | None:
    """The trials ``room`` seconds hold (at least ``fewest``), and whether it is one trial whose
    run verification takes as its first of the recommendation; ``None`` when too few fit.

    A study of one trial chooses its run on nothing, so it trains with verification's first seed
    and serves as that run (:func:`regadvisor.tuning.tune`): it costs a full run (no trial to
    prune it against) and saves verification one, so it fits in any room left after the rest.
    """
    many = min(n_trials, math.floor(room / (TRIAL_FRACTION * f)))
    if many >= max(fewest, 2):
        return many, False
    if fewest > 1 and n_trials > 1:
        return None
    if verify:
        return (1, True) if room >= 0 else None
    return (1, False) if room >= TRIAL_FRACTION * f else None


def reused_reruns(extra_seeds: int, seeds: int) -> int:
    """Verification runs of the recommendation that the winner's re-runs already trained: its
    seeds 1 to ``extra_seeds`` among the first look's ``seeds``."""
    return max(0, min(extra_seeds, seeds - 1))


def _gives_up(trials: int, default_trials: int, top_k: int, default_top_k: int, seeds: int,
              default_seeds: int, verify: bool) -> str:
    """What a budget smaller than the defaults need gives up, in a sentence (empty when
    nothing)."""
    lost = []
    if trials == 1 < default_trials:
        lost.append(f"1 trial instead of {default_trials}: only the guide's recipe for the "
                    "findings is tried, nothing is searched")
    elif trials < default_trials:
        lost.append(f"{trials} trials instead of {default_trials}: the search sees less of the "
                    "space")
    if top_k < default_top_k:
        lost.append(f"the best trial alone re-run instead of the top {default_top_k}: the "
                    "winner is the best single trial, which may owe its place to its seed")
    if verify and seeds < default_seeds:
        lost.append(f"verification starts at {seeds} seeds instead of {default_seeds}: its first "
                    "look rests on 1 degree of freedom, and a gain decides only if it is large "
                    "or more seeds fit")
    if not lost:
        return ""
    return "This budget gives up: " + "; ".join(lost) + "."


def _secs(seconds: float) -> str:
    """Seconds as the plan's messages write them: a tenth below 10 s, whole ones above."""
    return f"{seconds:.1f} s" if seconds < 10 else f"{seconds:.0f} s"


def full_run_seconds(facts: dict[str, Any], epochs: int) -> float:
    """One full training of the user's setup: the diagnosis' seconds per epoch × its epochs (0
    when the diagnosis did not time one). Every cost of the plan is counted from this timing."""
    return (facts.get("seconds_per_epoch") or 0.0) * epochs


def estimate_text(full_run_seconds: float, *, n_trials: int, top_k: int, extra_seeds: int,
                  seeds: int, max_seeds: int, verify: bool = True, reused: int = 0) -> str:
    """The plan of a run without ``--budget`` and what it costs, in one paragraph: printed
    before tuning so that a user whose model trains for an hour knows what a run will take.

    Costs are counted in full trainings of the user's setup at the one timing the diagnosis
    measured (``full_run_seconds``): a trial at :data:`TRIAL_FRACTION` of one (the pruner stops
    trials that trail), a re-run or a verification run at one; a verification run that reuses
    one already trained (``reused`` of the user's setup, and the winner's re-runs) at none.
    """
    measured = max(full_run_seconds, 1e-3)
    alone = verify and n_trials == 1  # its run is verification's first of the recommendation
    trials = 1.0 if alone else n_trials * TRIAL_FRACTION
    reruns = top_k * extra_seeds
    taken = reused + reused_reruns(extra_seeds, seeds) + alone if verify else 0
    low = trials + reruns + (2 * seeds - taken if verify else 0)
    high = trials + reruns + (2 * max_seeds - taken if verify else 0)
    runs = (f"{low:.0f} to {high:.0f}" if high > low else f"{low:.0f}")
    verification = (f", then verification over {seeds} seeds of both configurations"
                    + (f", up to {max_seeds} while the verdict is open" if max_seeds > seeds
                       else "")
                    + (f" ({_runs(taken)} already trained)" if taken else "")
                    if verify else "")
    seconds = (f"{low * measured:.0f} to {high * measured:.0f} s" if high > low
               else f"{low * measured:.0f} s")
    return (f"up to {n_trials} trials (about {TRIAL_FRACTION:g} of a full training each), "
            f"{_top(top_k)} re-run over {extra_seeds} extra seed"
            f"{'s' if extra_seeds != 1 else ''}{verification}: about {runs} full trainings of "
            f"your setup at {measured:.1f} s "
            f"each (as the diagnosis timed it), about {seconds} here. --budget caps it (in "
            "time, or in full trainings: --budget 10x).")


def _runs(n: int) -> str:
    """``n`` of verification's runs, as the plan names them."""
    return f"{n} run{'s' if n != 1 else ''} of it"


def _top(top_k: int) -> str:
    """The trials re-run, as the plan names them."""
    return "the best trial" if top_k == 1 else f"the top {top_k}"


def verification_seeds(plan: dict[str, Any], elapsed: float, run_seconds: float,
                       reused: Callable[[int], int] | None = None,
                       most: int | None = None, margin: bool = True) -> int:
    """Seeds for verification from what is left when tuning ends (the plan's, or fewer, never
    under 2): ``run_seconds`` is a full run as the trials measured it, and ``reused(seeds)`` the
    runs of a first look at ``seeds`` seeds that are already trained (default: as planned).

    With ``most`` (the cap, ``--max-seeds``): the most seeds, up to it, whose runs fit in what
    is left, which verification takes as its cap. Its group-sequential levels then spread the
    error rate over the looks the budget can pay for, not over looks it never reaches (a cap
    of 10 when only 2 seeds fit would hold the one look to the level of the first of 9).
    ``margin`` False counts a run at ``run_seconds`` as given, without the plan's margin: a cap
    set too high costs a little power, one set too low leaves time unused."""
    left = plan["total_seconds"] - elapsed - plan.get("report_seconds", REPORT_SECONDS)
    run = (max(run_seconds, plan.get("run_seconds", plan["full_run_seconds"])) if margin
           else run_seconds)
    if reused is None:
        extra = plan.get("extra_seeds", 0)
        diagnosis = plan.get("reused", 0) - reused_reruns(extra, plan["seeds"])

        def reused(seeds: int) -> int:
            return max(diagnosis, 0) + reused_reruns(extra, seeds)

    measure = plan.get("measure_seconds", 0.0)
    for seeds in range(most or plan["seeds"], 2, -1):
        if (2 * seeds - reused(seeds)) * run + 2 * seeds * measure <= left:
            return seeds
    return 2


def rerun_seconds(plan: dict[str, Any]) -> float:
    """The wall time a plan gives the winner's re-runs (``top_k × extra_seeds`` full runs at the
    plan's time a run), to which they are held."""
    return plan["top_k"] * plan["extra_seeds"] * plan["run_seconds"]


def tuning_fields(plan: dict[str, Any]) -> dict[str, Any]:
    """The :class:`~regadvisor.tuning.TuneSettings` fields a plan (as :func:`plan_fields`
    gives it) sets: ``tune`` and ``advise`` apply a plan to their settings with this."""
    return {"n_trials": plan["n_trials"], "top_k": plan["top_k"],
            "extra_seeds": plan["extra_seeds"], "timeout_seconds": plan["trial_seconds"],
            "rerun_seconds": rerun_seconds(plan)}


def plan_fields(plan: Plan) -> dict[str, Any]:
    """The plan as report.json holds it."""
    from regadvisor._record import to_plain

    return {**to_plain(plan), "text": plan.text()}
