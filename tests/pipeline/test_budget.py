"""The --budget plan's arithmetic: parsing, fitting trials, re-runs and verification (its
measurements included) into the time left, and the words of a refusal (one timing)."""

from __future__ import annotations

import pytest

from regadvisor.errors import ConfigError
from regadvisor.pipeline._budget import (
    REPORT_SECONDS,
    SAFETY,
    TRIAL_FRACTION,
    TUNING_SECONDS,
    estimate_text,
    make_plan,
    parse_budget,
    plan_fields,
    tuning_fields,
    verification_seeds,
)


@pytest.mark.parametrize(("text", "seconds", "runs"), [
    ("900", 900.0, None), ("900s", 900.0, None), ("30m", 1800.0, None), ("6h", 21600.0, None),
    ("1.5h", 5400.0, None), ("20x", None, 20.0), (" 20X ", None, 20.0),
])
def test_budgets_read_as_wall_time_or_full_trainings(text, seconds, runs):
    b = parse_budget(text)
    assert (b.seconds, b.runs) == (seconds, runs)


@pytest.mark.parametrize("text", ["", "soon", "-5m", "0x", "20y", "6 hours"])
def test_a_bad_budget_is_an_input_error(text):
    with pytest.raises(ConfigError, match="is not a budget"):
        parse_budget(text)


def test_the_plan_fits_trials_reruns_and_verification_into_the_budget():
    plan = make_plan(parse_budget("20x"), 30.0, 35.0, n_trials=25, seeds=3, top_k=3,
                     extra_seeds=2, reused=1)
    f = 30.0 * SAFETY  # a full run of another configuration, counted longer than timed
    # 600 s: 35 s spent, the report's share, 3 full runs of verification (6 less the diagnosis'
    # full run, its first baseline seed, and the winner's 2 re-runs, its recommendation's seeds
    # 1 and 2): 2 of the user's setup at the 30 s the diagnosis timed it whole, 1 of the
    # recommendation at f; 6 of re-runs.
    assert plan.total_seconds == pytest.approx(600.0)
    assert plan.verify_seconds == pytest.approx(2 * 30.0 + f)
    assert plan.trial_seconds == pytest.approx(600 - 35 - REPORT_SECONDS - TUNING_SECONDS
                                               - 2 * 30.0 - f - 6 * f)
    assert plan.n_trials == int(plan.trial_seconds // (TRIAL_FRACTION * f))
    assert (plan.top_k, plan.extra_seeds, plan.seeds, plan.reused) == (3, 2, 3, 3)
    spent = (plan.spent_seconds + plan.trial_seconds + 6 * f + 2 * 30.0 + f + REPORT_SECONDS
             + TUNING_SECONDS)
    assert spent == pytest.approx(plan.total_seconds)
    # Without that run verification trains one more of the user's setup, and all three with
    # the margin (the diagnosis did not time a whole run): less for the trials.
    fresh = make_plan(parse_budget("20x"), 30.0, 35.0, n_trials=25, seeds=3, top_k=3,
                      extra_seeds=2)
    assert fresh.verify_seconds == pytest.approx(3 * f + f)
    assert fresh.trial_seconds == pytest.approx(plan.trial_seconds - (3 * f - 2 * 30.0))
    assert "up to" in plan.text() and "Verification: 3 seeds" in plan.text()
    assert "3 runs of it trained before it and reused" in plan.text()
    # What tune and advise apply to their settings: the plan's trials, re-runs and the time
    # the trials and the re-runs are held to.
    assert tuning_fields(plan_fields(plan)) == {
        "n_trials": plan.n_trials, "top_k": 3, "extra_seeds": 2,
        "timeout_seconds": plan.trial_seconds, "rerun_seconds": pytest.approx(6 * f)}


def test_verification_gets_the_seeds_the_time_left_allows():
    plan = {"total_seconds": 600.0, "full_run_seconds": 30.0, "run_seconds": 37.5, "seeds": 3}
    assert verification_seeds(plan, elapsed=300.0, run_seconds=30.0) == 3  # 6 × 37.5 fit
    assert verification_seeds(plan, elapsed=420.0, run_seconds=30.0) == 2
    assert verification_seeds(plan, elapsed=590.0, run_seconds=30.0) == 2  # never under 2
    assert verification_seeds(plan, elapsed=300.0, run_seconds=60.0) == 2  # measured slower
    # 197 s left: 6 runs of 37.5 s do not fit, 5 do when the diagnosis' run is the first seed.
    assert verification_seeds(plan, elapsed=400.0, run_seconds=30.0) == 2
    assert verification_seeds({**plan, "reused": 1}, elapsed=400.0, run_seconds=30.0) == 3
    # The winner's 2 re-runs, planned as the recommendation's seeds 1 and 2: 4 runs to train.
    reruns = {**plan, "extra_seeds": 2, "reused": 2}
    assert verification_seeds(reruns, elapsed=440.0, run_seconds=30.0) == 3  # 157 s: 4 fit
    # ... but the time for the re-runs ran out and none was trained: 6 runs do not fit.
    assert verification_seeds(reruns, elapsed=440.0, run_seconds=30.0,
                              reused=lambda seeds: 0) == 2
    # The cap: the most seeds up to --max-seeds whose runs fit in the time left (at 37.5 s a
    # run, 2·seeds − 2 runs to train: 157 s hold 3 seeds, 597 s hold 8, 5,997 s all 10).
    assert verification_seeds(reruns, elapsed=440.0, run_seconds=30.0, most=10) == 3
    assert verification_seeds(reruns, elapsed=0.0, run_seconds=30.0, most=10) == 8
    assert verification_seeds({**reruns, "total_seconds": 6000.0}, elapsed=0.0,
                              run_seconds=30.0, most=10) == 10
    # Without the margin, at the diagnosis' 30 s a run: 157 s hold 5 runs, still 3 seeds;
    # 597 s hold 19, so 10.
    assert verification_seeds(reruns, elapsed=440.0, run_seconds=30.0, most=10,
                              margin=False) == 3
    assert verification_seeds(reruns, elapsed=0.0, run_seconds=30.0, most=10,
                              margin=False) == 10


def test_a_small_budget_shrinks_reruns_then_seeds_then_trials_and_a_tiny_one_is_refused():
    def plan(runs, top_k=1):
        p = make_plan(parse_budget(f"{runs}x"), 10.0, 5.0, n_trials=10, seeds=3, top_k=top_k,
                      extra_seeds=2)
        return p.top_k, p.extra_seeds, p.seeds, p.n_trials

    # A full run planned at 12.5 s; 5 s spent, the report's 3 s and tuning's fixed 0.15 s. The
    # defaults: verification 3 seeds × 2 arms less the best trial's 2 re-runs (its runs of the
    # recommendation with seeds 1 and 2), which cost 2 runs: 6 runs in all, then the trials at
    # 0.85 of one each.
    assert plan(19) == (1, 2, 3, 10)
    assert plan(13) == (1, 2, 3, 4)
    assert plan(12) == (1, 1, 2, 5)  # then verification from 2 seeds: 4 runs, 1 a re-run
    assert plan(11) == (1, 1, 2, 4)
    assert plan(10) == (1, 1, 2, 3)  # then fewer trials than 4,
    assert plan(7) == (1, 1, 2, 1)   # down to the guide's recipe alone,
    # whose run (one trial: chosen on nothing) is verification's first of the recommendation:
    # 1 trial, 1 re-run and 2 runs of the user's setup, 50 s.
    assert plan(6) == (1, 1, 2, 1)
    alone = make_plan(parse_budget("6x"), 10.0, 5.0, n_trials=10, seeds=3, top_k=1,
                      extra_seeds=2)
    assert alone.reused == 2
    assert alone.trial_seconds == pytest.approx(60 - 5 - 3 - TUNING_SECONDS - 37.5)
    assert "the guide's recipe alone, one trial of about a full run" in alone.text()
    with pytest.raises(ConfigError, match="cannot cover a tuned and verified recommendation"):
        plan(5)
    # The top 3 re-run (6 re-runs, 2 of them verification's) until the best alone fits better.
    assert plan(18, top_k=3) == (3, 2, 3, 4)
    assert plan(17, top_k=3) == (1, 2, 3, 8)
    assert make_plan(parse_budget("1000x"), 1.0, 1.0, n_trials=25, seeds=3, top_k=3,
                     extra_seeds=2).n_trials == 25  # never more than asked for


def test_five_trainings_buy_a_verified_recipe_when_the_diagnosis_trained_the_first_seed():
    # A 60-s training: the diagnosis trained it at full length (62 s with loading), which is
    # verification's first run of the user's setup. Left: the recipe's trial (verification's
    # first run of the recommendation), its re-run and the user's setup on the second seed.
    plan = make_plan(parse_budget("5x"), 60.0, 62.0, n_trials=10, seeds=3, top_k=1,
                     extra_seeds=2, reused=1)
    assert (plan.n_trials, plan.extra_seeds, plan.seeds, plan.reused) == (1, 1, 2, 3)
    # 235 s left after the diagnosis and the report, less tuning's fixed costs: verification's
    # 2 runs not yet trained (the user's setup on seed 1, at the 60 s the diagnosis timed it
    # whole; the recommendation on seed 0, which the recipe's trial trains, at 75 s, the margin
    # for a configuration not yet timed) and the re-run (the recommendation on seed 1, 75 s).
    # The trial has what is over and its own run's 75 s.
    assert plan.trial_seconds == pytest.approx(235 - TUNING_SECONDS - 60 - 75 - 75 + 75)
    assert plan.verify_seconds == pytest.approx(60)
    # Without the diagnosis' run it does not fit, and the refusal counts from the one timing.
    with pytest.raises(ConfigError) as refused:
        make_plan(parse_budget("5x"), 60.0, 62.0, n_trials=10, seeds=3, top_k=1,
                  extra_seeds=2, reused=0)
    assert "(300 s, 5.0x) cannot cover" in str(refused.value)
    assert "one trial (the guide's recipe, its run verification's first), 1 re-run, 2 " \
           "verification seeds" in str(refused.value)
    assert "needs about 365 s (6.1x)" in str(refused.value)  # 62 + 3 + 0.15 + 4 × 75


def test_verification_measuring_its_runs_is_part_of_the_plan():
    # The same 5x as above, with each run's measurement on the held-out set (predictions,
    # MC-dropout passes, temperature) at 4 s: the first look's 2 seeds × 2 arms, the reused
    # runs included, take 16 s more, out of the trial's room, and the plan says so.
    plain = make_plan(parse_budget("5x"), 60.0, 62.0, n_trials=10, seeds=3, top_k=1,
                      extra_seeds=2, reused=1)
    measured = make_plan(parse_budget("5x"), 60.0, 62.0, n_trials=10, seeds=3, top_k=1,
                         extra_seeds=2, reused=1, measure_seconds=4.0)
    assert measured.verify_seconds == pytest.approx(plain.verify_seconds + 16)
    assert measured.trial_seconds == pytest.approx(plain.trial_seconds - 16)
    assert "each of its runs measured on the held-out set in about 4.0 s" in measured.text()
    assert "measured on the held-out set" not in plain.text()
    # Verification's seeds from the time left count the measurements too: 220 s left after
    # the report hold 4 seeds' 7 runs to train at 30 s (one reused: 210 s), but with each of
    # the 8 runs measured at 5 s (250 s) only 3 seeds (180 s).
    plan = {"total_seconds": 220 + REPORT_SECONDS, "report_seconds": REPORT_SECONDS,
            "full_run_seconds": 30.0, "run_seconds": 30.0, "seeds": 3, "extra_seeds": 0,
            "reused": 1}
    assert verification_seeds(plan, 0.0, 30.0, most=10, margin=False) == 4
    assert verification_seeds({**plan, "measure_seconds": 5.0}, 0.0, 30.0, most=10,
                              margin=False) == 3
    # A measurement that the room cannot hold refuses the budget.
    with pytest.raises(ConfigError, match="cannot cover"):
        make_plan(parse_budget("5x"), 60.0, 62.0, n_trials=10, seeds=3, top_k=1,
                  extra_seeds=2, reused=1, measure_seconds=30.0)


def test_a_refusal_counts_every_x_from_the_one_timing_the_diagnosis_measured():
    import re

    # A full training timed at 7 s: "--budget 5x" is 35 s, and the smallest plan needs more
    # than 5 of those trainings, never fewer (the margin of SAFETY is not a second timing).
    with pytest.raises(ConfigError) as caught:
        make_plan(parse_budget("5x"), 7.0, 4.0, n_trials=25, seeds=3, top_k=3,
                  extra_seeds=2)
    text = str(caught.value)
    assert "(35 s, 5.0x)" in text and "takes 7.0 s as the diagnosis timed it" in text
    assert "4.0 s of it already spent" in text
    need_s, need_x = re.search(r"needs about (\d+) s \((\d+\.\d)x\)", text).groups()
    assert float(need_x) == pytest.approx(float(need_s) / 7.0, abs=0.1)  # both rounded
    assert float(need_x) > 5.0
    assert f"planned at {7.0 * SAFETY:.1f} s" in text


def test_without_a_budget_the_plan_counts_trials_reruns_and_every_verification_seed():
    text = estimate_text(2.0, n_trials=25, top_k=3, extra_seeds=2, seeds=3, max_seeds=10)
    # Verification's recommendation at seeds 1 and 2 is the winner's 2 re-runs: not counted twice.
    low = 25 * TRIAL_FRACTION + 3 * 2 + 2 * 3 - 2
    high = 25 * TRIAL_FRACTION + 3 * 2 + 2 * 10 - 2
    assert f"about {low:.0f} to {high:.0f} full trainings of your setup at 2.0 s each" in text
    assert f"about {2 * low:.0f} to {2 * high:.0f} s here" in text
    assert "up to 10 while the verdict is open (2 runs of it already trained)" in text
    with_diagnosis = estimate_text(2.0, n_trials=25, top_k=3, extra_seeds=2, seeds=3,
                                   max_seeds=10, reused=1)
    assert f"about {low - 1:.0f} to {high - 1:.0f} full trainings" in with_diagnosis
    fixed = estimate_text(2.0, n_trials=4, top_k=1, extra_seeds=1, seeds=2, max_seeds=2)
    assert "while the verdict is open" not in fixed and "1 extra seed," in fixed
    assert "the best trial re-run" in fixed
    tune_only = estimate_text(2.0, n_trials=4, top_k=1, extra_seeds=1, seeds=0, max_seeds=0,
                              verify=False)
    assert "verification" not in tune_only
    assert f"about {4 * TRIAL_FRACTION + 1:.0f} full trainings" in tune_only


def test_a_budget_below_the_defaults_says_what_it_gives_up():
    def plan(runs, top_k=1):
        return make_plan(parse_budget(f"{runs}x"), 10.0, 5.0, n_trials=10, seeds=3,
                         top_k=top_k, extra_seeds=2)

    roomy = plan(1000)
    assert roomy.gives_up == "" and "gives up" not in roomy.text()
    fewer_trials = plan(13)
    assert fewer_trials.gives_up == ("This budget gives up: 4 trials instead of 10: the search "
                                     "sees less of the space.")
    assert fewer_trials.gives_up in fewer_trials.text()
    assert "the best trial alone re-run instead of the top 3" in plan(17, top_k=3).gives_up
    two_seeds = plan(11)
    assert "verification starts at 2 seeds instead of 3" in two_seeds.gives_up
    recipe = plan(7)
    assert "1 trial instead of 10: only the guide's recipe" in recipe.gives_up
    assert "verification" not in make_plan(parse_budget("11x"), 10.0, 5.0, n_trials=10,
                                           seeds=3, top_k=1, extra_seeds=2,
                                           verify=False).gives_up
