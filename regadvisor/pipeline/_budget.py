"""A cost the user sets: ``--budget 6h`` (wall time) or ``--budget 20x`` (full trainings of the
user's setup), planned once the diagnosis has timed an epoch.

The plan splits what is left after the diagnosis between verification (``2·seeds`` full runs,
one fewer when the diagnosis trained the user's setup at full length: that run is reused), the
winner's re-runs (``top_k × extra_seeds`` full runs) and the trials. A trial costs about
:data:`TRIAL_FRACTION` of a full run with the patient pruner (the pruner is the
multi-fidelity part: a trial that trails the median at a rung stops there), so the plan runs
as many trials as fit, and the study stops starting trials when their share of the time is
spent: the run ends within the budget give or take one trial.
When the budget is too small for the defaults, the re-runs shrink first, then verification goes
down to 2 seeds (with the caution that 2 seeds carry), then the re-runs go (the winner is the
best single trial); the plan says what it gave up. Verification adds seeds while its verdict
is open only as long as another seed of both arms ends before the budget does.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from regadvisor.errors import ConfigError

__all__ = ["SAFETY", "TRIAL_FRACTION", "Budget", "Plan", "estimate_text", "full_run_seconds",
           "make_plan",
           "parse_budget", "plan_fields", "rerun_seconds", "verification_seeds"]

#: A trial's cost as a share of a full run of the user's setup, planned conservatively: the mean
#: over the case suite's calibration half is 0.65 (epochs trained by the trials / trials × the
#: user's epochs, patient pruner), its upper quartile about 0.85.
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

    def text(self) -> str:
        """The plan in one paragraph, for the terminal and the report."""
        f, measured = self.run_seconds, self.full_run_seconds
        return (f"Budget {self.budget}: {self.total_seconds:.0f} s "
                f"({self.total_seconds / measured:.1f} full trainings of your setup at "
                f"{measured:.1f} s each, as the diagnosis timed them; planned at {f:.1f} s a "
                "run). "
                f"Diagnosis: {self.spent_seconds:.0f} s, done. Tuning: up to {self.n_trials} "
                f"trials in {self.trial_seconds:.0f} s (about {TRIAL_FRACTION:g} of a full run "
                "each: the patient pruner stops trials that trail at a rung), "
                + (f"then the top {self.top_k} re-run over {self.extra_seeds} extra seed"
                   f"{'s' if self.extra_seeds != 1 else ''} (about "
                   f"{self.top_k * self.extra_seeds * f:.0f} s)." if self.extra_seeds
                   else "and the best single trial wins (no re-runs).")
                + (f" Verification: {self.seeds} seeds × 2 arms (about "
                   f"{(2 * self.seeds - self.reused) * f:.0f} s), and more seeds while the "
                   "verdict is open, as long as the time left allows." if self.verify else "")
                + (f" {self.gives_up}" if self.gives_up else ""))


def make_plan(budget: Budget, full_run_seconds: float, spent_seconds: float, *, n_trials: int,
              seeds: int, top_k: int, extra_seeds: int, verify: bool = True,
              reused: int = 0) -> Plan:
    """Fit trials, re-runs and verification into what is left of the budget.

    Args:
        budget: The parsed ``--budget``.
        full_run_seconds: One full training of the user's setup (the diagnosis' epoch time ×
            the user's epochs).
        spent_seconds: What the run has taken so far (the diagnosis).
        n_trials, seeds, top_k, extra_seeds: The settings without a budget: the plan's upper
            bounds.
        verify: Whether verification follows (``tune`` alone has none).
        reused: Verification runs already trained (1 when the diagnosis trained the user's
            setup at full length: verification takes it as its first baseline seed).

    Raises:
        ConfigError: The budget cannot cover even the smallest plan (the message says how much
            would).
    """
    total = (budget.seconds if budget.seconds is not None
             else budget.runs * max(full_run_seconds, 1e-3))
    f = max(full_run_seconds, 1e-3) * SAFETY
    left = total - spent_seconds - REPORT_SECONDS
    for k, extra, s in ((top_k, extra_seeds, seeds), (2, 1, seeds), (2, 1, 2), (1, 1, 2),
                        (1, 0, 2)):
        room = left - ((2 * s - reused) * f if verify else 0.0) - k * extra * f
        if room >= MIN_TRIALS * TRIAL_FRACTION * f:
            trials = min(n_trials, max(MIN_TRIALS, math.floor(room / (TRIAL_FRACTION * f))))
            return Plan(budget=budget.text, total_seconds=total,
                        full_run_seconds=max(full_run_seconds, 1e-3), run_seconds=f,
                        spent_seconds=spent_seconds, n_trials=trials, trial_seconds=room,
                        top_k=k, extra_seeds=extra, seeds=s, verify=verify, reused=reused,
                        gives_up=_gives_up(trials, n_trials, k * extra, top_k * extra_seeds,
                                           s, seeds, verify))
    smallest = MIN_TRIALS * TRIAL_FRACTION + (4 - reused if verify else 0)
    need = spent_seconds + REPORT_SECONDS + smallest * f
    measured = max(full_run_seconds, 1e-3)
    what = ("a tuned and verified recommendation" if verify else "a tuned recommendation")
    parts = f"{MIN_TRIALS} trials, no re-run" + (", 2 verification seeds" if verify else "")
    # Every "x" here counts full trainings at the one timing the diagnosis measured.
    raise ConfigError(
        f"--budget {budget.text} ({_secs(total)}, {total / measured:.1f}x) cannot cover {what}: "
        f"one full training of your setup takes {_secs(measured)} as the diagnosis timed it "
        f"(planned at {_secs(f)}), and the smallest plan ({parts}) needs about {_secs(need)} "
        f"({need / measured:.1f}x), {_secs(spent_seconds)} of it already spent on loading and "
        "the diagnosis. Give a larger --budget.")


def _gives_up(trials: int, default_trials: int, reruns: int, default_reruns: int, seeds: int,
              default_seeds: int, verify: bool) -> str:
    """What a budget smaller than the defaults need gives up, in a sentence (empty when
    nothing)."""
    lost = []
    if trials < default_trials:
        lost.append(f"{trials} trials instead of {default_trials}: the search sees less of the "
                    "space")
    if reruns == 0 < default_reruns:
        lost.append(f"no re-runs instead of {default_reruns}: the winner is the best single "
                    "trial, which may owe its place to its seed")
    elif reruns < default_reruns:
        lost.append(f"{reruns} re-run{'s' if reruns != 1 else ''} instead of {default_reruns}: "
                    "the winner is told from the runner-up on fewer seeds")
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
                  seeds: int, max_seeds: int, verify: bool = True) -> str:
    """The plan of a run without ``--budget`` and what it costs, in one paragraph: printed
    before tuning so that a user whose model trains for an hour knows what a run will take.

    Costs are counted in full trainings of the user's setup at the one timing the diagnosis
    measured (``full_run_seconds``): a trial at :data:`TRIAL_FRACTION` of one (the pruner stops
    trials that trail), a re-run or a verification run at one.
    """
    measured = max(full_run_seconds, 1e-3)
    trials, reruns = n_trials * TRIAL_FRACTION, top_k * extra_seeds
    low = trials + reruns + (2 * seeds if verify else 0)
    high = trials + reruns + (2 * max_seeds if verify else 0)
    runs = (f"{low:.0f} to {high:.0f}" if high > low else f"{low:.0f}")
    verification = (f", then verification over {seeds} seeds of both configurations"
                    + (f", up to {max_seeds} while the verdict is open" if max_seeds > seeds
                       else "") if verify else "")
    seconds = (f"{low * measured:.0f} to {high * measured:.0f} s" if high > low
               else f"{low * measured:.0f} s")
    return (f"up to {n_trials} trials (about {TRIAL_FRACTION:g} of a full training each), the "
            f"top {top_k} re-run over {extra_seeds} extra seed{'s' if extra_seeds != 1 else ''}"
            f"{verification}: about {runs} full trainings of your setup at {measured:.1f} s "
            f"each (as the diagnosis timed it), about {seconds} here. --budget caps it (in "
            "time, or in full trainings: --budget 10x).")


def verification_seeds(plan: dict[str, Any], elapsed: float, run_seconds: float) -> int:
    """Seeds for verification from what is left when tuning ends (the plan's, or fewer, never
    under 2): ``run_seconds`` is a full run as the trials measured it."""
    left = plan["total_seconds"] - elapsed - REPORT_SECONDS
    run = max(run_seconds, plan.get("run_seconds", plan["full_run_seconds"]))
    for seeds in range(plan["seeds"], 2, -1):
        if (2 * seeds - plan.get("reused", 0)) * run <= left:
            return seeds
    return 2


def rerun_seconds(plan: dict[str, Any]) -> float:
    """The wall time a plan gives the winner's re-runs (``top_k × extra_seeds`` full runs at the
    plan's time a run), to which they are held."""
    return plan["top_k"] * plan["extra_seeds"] * plan["run_seconds"]


def plan_fields(plan: Plan) -> dict[str, Any]:
    """The plan as report.json holds it."""
    from regadvisor._record import to_plain

    return {**to_plain(plan), "text": plan.text()}
