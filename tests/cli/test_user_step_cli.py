"""An experiment file with its own training_step and clip_grad, through the CLI."""

from __future__ import annotations

from tests.cli.conftest import ASSETS


def test_train_uses_the_files_training_step_and_says_so(run_cli, tmp_path):
    result = run_cli("train", ASSETS / "user_step.py", "-o", tmp_path / "r")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert ("The loss that trains: the loss your training_step(model, batch) returns"
            in " ".join(result.stdout.split()))
    assert (tmp_path / "r" / "history.csv").exists()


def test_a_step_that_returns_a_number_is_one_line_exit_2(run_cli, tmp_path):
    result = run_cli("train", ASSETS / "user_step_no_grad.py", "-o", tmp_path / "r")
    assert result.exit_code == 2
    assert ("training_step(model, batch) returned a float; it must return the loss of the "
            "batch, one scalar tensor") in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
