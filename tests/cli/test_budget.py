"""--budget on the command line: advise and tune obey their plan, and say it (the plan's
arithmetic: tests/pipeline/test_budget.py)."""

from __future__ import annotations

import json

from regadvisor.pipeline._budget import (
    make_plan,
    parse_budget,
)


def test_advise_with_a_budget_records_and_obeys_its_plan(run_cli, tmp_path):
    out = tmp_path / "run"
    result = run_cli("advise", "digits_noisy", "--budget", "40x", "--output", out, "--quiet")
    assert result.exit_code == 0, result.stderr
    assert "Plan: Budget 40x" in result.stdout
    saved = json.loads((out / "report.json").read_text())
    plan = saved["plan"]
    assert len(saved["tuning"]["trials"]) <= plan["n_trials"]
    seq = saved["verification"]["sequential"]
    assert len(saved["verification"]["seeds"]) == plan["seeds_verified"]
    assert seq["first_seeds"] <= plan["seeds"]  # seeds beyond the plan only while time is left
    assert seq["stop"] in ("decided", "no_gain", "futile", "cap", "budget")
    # The cap is the most seeds the time left could pay for, so that the group-sequential
    # levels are spread over looks that can happen.
    assert seq["max_seeds"] == plan["max_seeds"] <= 10
    assert seq["budget_cap"] == (plan["max_seeds"] < 10)
    assert len(saved["tuning"]["reruns"]) <= plan["top_k"]
    assert plan["text"] in (out / "report.html").read_text()
    # The measurement of a run on the held-out set was timed before the plan and counted.
    assert plan["measure_seconds"] > 0


def test_a_bad_budget_on_the_command_line_is_one_line(run_cli, tmp_path):
    result = run_cli("advise", "digits_noisy", "--budget", "soon", "--output", tmp_path / "x")
    assert result.exit_code == 2 and "is not a budget" in result.stderr


def test_a_budget_too_small_for_any_plan_keeps_the_diagnosis(run_cli, tmp_path):
    out = tmp_path / "run"
    result = run_cli("advise", "digits_noisy", "--budget", "2x", "--output", out)
    assert result.exit_code == 2 and "cannot cover a tuned and verified" in result.stderr
    saved = json.loads((out / "report.json").read_text())
    assert saved["finished_stages"] == ["diagnose"] and saved["status"] == "partial"


def test_the_tuning_bar_counts_to_the_trials_the_plan_runs():
    """The plan caps the trials below --n-trials; the bar's total says the plan's number."""
    import io

    import optuna
    from rich.console import Console
    from rich.progress import Progress

    from regadvisor.cli._stages import stage_hooks

    said = []
    progress = Progress(console=Console(file=io.StringIO()))
    hooks = stage_hooks(progress, 25, 3, maximize=True, on_plan=said.append)
    plan = make_plan(parse_budget("20x"), 10.0, 2.0, n_trials=25, seeds=3, top_k=3,
                     extra_seeds=2)
    assert plan.n_trials < 25
    hooks.plan({"n_trials": plan.n_trials, "text": "the plan"})
    study = optuna.create_study(direction="maximize")
    study.optimize(lambda t: t.suggest_float("x", 0, 1), n_trials=2,
                   callbacks=[hooks.trial])
    (bar,) = progress.tasks
    assert bar.total == plan.n_trials and bar.completed == 2
    assert said == [{"n_trials": plan.n_trials, "text": "the plan"}]


def test_tune_with_a_wall_time_budget_bounds_its_diagnosis(run_cli, tmp_path):
    from tests.cli.conftest import ASSETS

    out = tmp_path / "t"
    # 2 s: the diagnosis gets a quarter of it, far less than the example's full training (its
    # steps sleep: about 0.2 s an epoch, 12 epochs); the plan then refuses the budget (tune
    # verifies nothing, so it does not ask for verification seeds), and the diagnosis it kept
    # says the budget ended it.
    result = run_cli("tune", ASSETS / "slow_experiment.py", "--budget", "2s", "-o", out)
    assert result.exit_code == 2
    assert "cannot cover a tuned recommendation" in result.stderr
    assert "verification" not in result.stderr
    record = json.loads((out / "report.json").read_text())
    assert record["finished_stages"] == ["diagnose"] and record["status"] == "partial"
    diagnosis = record["diagnosis"]
    assert any("time budget of 0.5 s ended the diagnostic training" in n
               for n in diagnosis["notes"])



def test_tune_workers_stop_at_the_budget_plans_trials(run_cli, tmp_path, monkeypatch):
    """With --workers, a --budget plan that fits fewer trials than --n-trials bounds the worker
    processes too: the study ends with the plan's trials (one more that a worker had running
    when the count was reached, at most), not --n-trials."""
    import os

    from tests.cli.conftest import ASSETS

    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ASSETS), os.environ.get(
        "PYTHONPATH", "")]))
    out = tmp_path / "t"
    result = run_cli("tune", ASSETS / "slow_experiment.py", "--workers", "2", "--budget", "12x",
                     "--n-trials", "30", "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    record = json.loads((out / "report.json").read_text())
    planned = record["plan"]["n_trials"]
    trials = record["tuning"]["trials"]
    assert 2 <= planned < 30
    assert planned <= len(trials) <= planned + 1
