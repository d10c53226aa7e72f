"""``regadvisor train`` against small user projects in tests/assets, broken ones included."""

from __future__ import annotations

import csv

import pytest

from regadvisor import __version__
from tests.cli.conftest import ASSETS


def test_version_and_help(run_cli):
    result = run_cli("--version")
    assert result.exit_code == 0 and result.stdout.strip() == f"regadvisor {__version__}"
    result = run_cli("--help")
    assert result.exit_code == 0 and "train" in result.stdout


def test_train_good_experiment_writes_history(run_cli, tmp_path):
    out = tmp_path / "run"
    result = run_cli("train", ASSETS / "good_experiment.py", "--output", out, "--quiet")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.DictReader((out / "history.csv").open()))
    assert len(rows) == 3  # epochs = 3 in the file
    assert {"epoch", "train_loss", "val_loss", "train_metric", "val_metric"} <= set(rows[0])
    assert "SGD lr 0.1" in result.stdout


def test_train_prints_a_row_per_epoch(run_cli, tmp_path):
    result = run_cli("train", ASSETS / "good_experiment.py", "--epochs", "2", "-o", tmp_path / "r")
    assert result.exit_code == 0
    lines = [ln for ln in result.stdout.splitlines()
             if ln.strip()[:1].isdigit() and ln.rstrip(" *").endswith("ms")]
    assert [ln.split()[0] for ln in lines] == ["1", "2"]
    assert "val loss" in result.stdout


def test_train_without_experiment_runs_the_bundled_example(run_cli, tmp_path):
    result = run_cli("train", "--epochs", "2", "-o", tmp_path / "r", "--quiet")
    assert result.exit_code == 0
    assert "No experiment given: running the bundled example digits_noisy" in result.stdout


def test_import_strings(run_cli, tmp_path):
    result = run_cli("train", "--model", "userpkg.models:build", "--data", "userpkg.data:loaders",
                     "--epochs", "2", "-o", tmp_path / "r", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "r" / "history.csv").exists()


def test_importable_module(run_cli, tmp_path):
    result = run_cli("train", "userpkg.experiment", "-o", tmp_path / "r", "--quiet")
    assert result.exit_code == 0, result.stderr
    assert "2 epochs" in result.stdout


def test_diverging_run_exits_1_with_the_reason(run_cli, tmp_path):
    result = run_cli("train", ASSETS / "diverges.py", "-o", tmp_path / "r", "--quiet")
    assert result.exit_code == 1
    assert "diverged" in result.stdout
    assert (tmp_path / "r" / "history.csv").exists()


CASES = [
    ("missing.py", "Experiment file '{a}/missing.py' does not exist"),
    ("not_python.txt", "is not a Python file (.py)"),
    ("syntax_error.py", "syntax_error.py:4: syntax error"),
    ("import_error.py", "No module named 'regadvisor_missing_dependency_xyz' (at "),
    ("no_model.py", "defines no 'model' function"),
    ("no_data.py", "defines no 'data' function"),
    ("model_not_callable.py", "'model' is a int, not a function"),
    ("model_not_module.py", "model() returned a int, not a torch.nn.Module"),
    ("model_same_object.py", "model() returned the same module object twice"),
    ("data_one_loader.py", "data() returned 1 loader. Return 2 (train, val) or 3"),
    ("data_four_loaders.py", "data() returned 4 loaders"),
    ("data_not_loader.py", "data() returned a Tensor as the validation loader"),
    ("data_empty_loader.py", "the validation loader from data() yields no batches"),
    ("data_raises.py", "data() raised RuntimeError: database is down"),
    ("batch_not_pair.py", "the training loader yields a dict with no 'labels' key (keys: "
                          "features, label); a dict batch holds its targets under 'labels'"),
    ("target_out_of_range.py", "targets include class 12 but the model outputs 10 logits"),
    ("shape_mismatch.py", "the model rejected a training batch of inputs with shape (16, 8)"),
    ("regression_targets_ce.py", "targets are floating point (torch.float32), as for regression"),
    ("no_params.py", "with no trainable parameters"),
    ("nan_inputs.py", "the training inputs contain 1 NaN or infinite value"),
    ("lr_zero.py", "has learning rate 0; it must be a positive number"),
    ("model_on_meta.py", "model() returned a model on meta. Return it on the CPU"),
    ("optimizer_not_optimizer.py", "optimizer(params) returned a str, not a torch.optim.Optimizer"),
    ("exit_in_model.py", "exit_in_model.py: model() called sys.exit(0); the experiment's "
                         "functions must return, not end the process. Fix model()"),
    ("mismatched_test_loader.py", "the model rejected a test batch of inputs with shape (8, 5) "
                                  "(RuntimeError: mat1 and mat2 shapes cannot be multiplied"),
    ("batch_drops_a_target.py", "batch(b) on the first training batch gives 15 targets for a "
                                "batch of 16 samples (the model returned 16 rows of outputs)"),
]


@pytest.mark.parametrize(("asset", "message"), CASES, ids=[c[0] for c in CASES])
def test_broken_experiments_exit_2_with_one_line(run_cli, tmp_path, asset, message):
    result = run_cli("train", ASSETS / asset, "-o", tmp_path / "r")
    assert result.exit_code == 2, result.stdout + result.stderr
    assert message.format(a=ASSETS) in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1


def test_unknown_module(run_cli):
    result = run_cli("train", "no_such_pkg.exp")
    assert result.exit_code == 2
    assert "No experiment file or module named 'no_such_pkg.exp'" in result.stderr


def test_a_module_that_exits_at_import(run_cli):
    result = run_cli("train", "userpkg.exit_on_import")
    assert result.exit_code == 2
    assert "userpkg.exit_on_import: running the file called sys.exit() (at " in result.stderr
    assert "not end the process" in result.stderr


def test_sys_exit_while_training_fails_the_run_not_with_its_status(run_cli, tmp_path):
    result = run_cli("train", ASSETS / "exit_in_training.py", "-o", tmp_path / "r")
    assert result.exit_code == 1
    assert ("The experiment's code called sys.exit(3) during training; its functions must "
            "return, not end the process.") in result.stderr
    assert "Traceback" not in result.stderr


def test_bad_import_string(run_cli):
    result = run_cli("train", "--model", "userpkg.models", "--data", "userpkg.data:loaders")
    assert result.exit_code == 2
    assert "is not an import string; write it as package.module:function" in result.stderr
    result = run_cli("train", "--model", "userpkg.models:nope", "--data", "userpkg.data:loaders")
    assert result.exit_code == 2
    assert "module 'userpkg.models' has no attribute 'nope'" in result.stderr
    result = run_cli("train", "--model", "userpkg.models:build")
    assert result.exit_code == 2 and "--data is missing" in result.stderr


def test_debug_shows_the_traceback(run_cli):
    result = run_cli("train", ASSETS / "no_model.py", "--debug")
    assert result.exit_code == 2  # the error's own exit code, after the traceback
    assert "Traceback (most recent call last)" in result.stderr
    assert "ExperimentError" in result.stderr and "defines no 'model' function" in result.stderr


@pytest.mark.parametrize("args", [["--epochs", "0"], ["--epochs", "abc"], ["--seed", "-1"],
                                  ["--seed", "99999999999999999999"], ["--seed", "2147483648"]])
def test_bad_numbers_are_usage_errors(run_cli, args):
    result = run_cli("train", ASSETS / "good_experiment.py", *args)
    assert result.exit_code == 2
    assert "Invalid value" in result.stderr
    assert "experiment's code" not in result.stderr and "unexpectedly" not in result.stderr


def test_the_largest_seed_trains(run_cli, tmp_path):
    result = run_cli("train", ASSETS / "good_experiment.py", "--seed", "2147483647",
                     "--epochs", "1", "-o", tmp_path / "r", "-q")
    assert result.exit_code == 0, result.stderr


def test_unwritable_output(run_cli, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = run_cli("train", ASSETS / "good_experiment.py", "-o", blocker / "sub")
    assert result.exit_code == 2
    assert "cannot be written" in result.stderr


def test_one_torch_thread_unless_told_otherwise(monkeypatch):
    """The default measured best on a busy 2-core machine (benchmarks/bench_load.py);
    --threads wins over OMP_NUM_THREADS, which wins over the default."""
    import torch

    from regadvisor.cli._common import set_threads

    before = torch.get_num_threads()
    try:
        monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
        assert set_threads(None) == 1 and torch.get_num_threads() == 1
        monkeypatch.setenv("OMP_NUM_THREADS", "2")
        assert set_threads(None) == 2 and torch.get_num_threads() == 2
        assert set_threads(1) == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
