"""A run folder and a study hold the results of one experiment: every real change is caught."""

from __future__ import annotations

import json

import optuna
import pytest

from tests.cli.conftest import ASSETS

FAST = ("--n-trials", "3", "--seeds", "2", "--max-seeds", "2", "--pruner", "none")
EXPERIMENT = (ASSETS / "noisy_dataset.py").read_text()
TEST_LOADER = "DataLoader(Noisy(48, 0.0, 2), batch_size=16)"


def _write(path, *edits):
    text = EXPERIMENT
    for old, new in edits:
        assert old in text
        text = text.replace(old, new)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def _json(path):
    return json.loads(path.read_text())


@pytest.mark.parametrize("edit", [
    ("nn.ReLU()", "nn.Tanh()"),
    ("Noisy(96, 0.2, 0)", "Noisy(96, 0.6, 0)"),  # the training labels of a custom Dataset
], ids=["activation", "custom-dataset-labels"])
def test_an_edited_experiment_is_refused_the_folder_of_the_earlier_one(run_cli, tmp_path, edit):
    exp, out = tmp_path / "exp.py", tmp_path / "run"
    _write(exp)
    assert run_cli("advise", exp, *FAST, "-o", out, "-q").exit_code == 0
    before = (out / "report.json").read_text()
    _write(exp, edit)
    result = run_cli("advise", exp, *FAST, "-o", out, "-q")
    assert result.exit_code == 2, result.stdout
    assert "holds a run of another experiment" in result.stderr
    assert "already holds this run" not in result.stdout
    assert (out / "report.json").read_text() == before


def test_two_experiments_are_refused_one_study(run_cli, tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    shared = ("--storage", url, "--study-name", "shared", "--n-trials", "2", "-q")
    first = _write(tmp_path / "a" / "exp.py")
    other = _write(tmp_path / "b" / "other.py", ("nn.ReLU()", "nn.Tanh()"))
    assert run_cli("tune", first, *shared, "-o", tmp_path / "ra").exit_code == 0
    result = run_cli("tune", other, *shared, "-o", tmp_path / "rb")
    assert result.exit_code == 2
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert "Study 'shared'" in line and "belongs to another experiment (exp, identity" in line
    assert "this one is other, identity" in line and "another --study-name" in line
    study = optuna.load_study(study_name="shared", storage=url)
    assert len(study.trials) == 2


def test_tune_refuses_the_folder_of_another_experiment(run_cli, tmp_path):
    exp, other = _write(tmp_path / "exp.py"), _write(tmp_path / "other.py", ("16", "24"))
    advised, tuned = tmp_path / "advised", tmp_path / "tuned"
    assert run_cli("advise", exp, *FAST, "-o", advised, "-q").exit_code == 0
    assert run_cli("tune", exp, "--n-trials", "2", "-o", tuned, "-q").exit_code == 0
    for out in (advised, tuned):
        trials = (out / "trials.csv").read_text()
        result = run_cli("tune", other, "--n-trials", "2", "-o", out, "-q")
        assert result.exit_code == 2, result.stdout
        assert f"Run folder '{out}' holds a run of another experiment (exp" in result.stderr
        assert "pass a new --output folder" in result.stderr
        assert (out / "trials.csv").read_text() == trials
    # advise and diagnose, too, on the folder of a tune run
    for command in (("advise", *FAST), ("diagnose",)):
        result = run_cli(*command, other, "-o", tuned, "-q")
        assert result.exit_code == 2 and "holds a run of another experiment" in result.stderr
    assert _json(tuned / "report.json")["diagnosis"]["experiment"]["name"] == "exp"


def test_a_new_test_loader_keeps_the_tuning_and_verifies_again(run_cli, tmp_path):
    exp, out = _write(tmp_path / "exp.py"), tmp_path / "run"
    assert run_cli("advise", exp, *FAST, "-o", out, "-q").exit_code == 0
    before = _json(out / "report.json")
    _write(exp, (TEST_LOADER, "DataLoader(Noisy(64, 0.0, 3), batch_size=16)"))
    result = run_cli("advise", exp, *FAST, "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    assert "another test loader" in result.stdout
    now = _json(out / "report.json")
    assert now["status"] == "complete"
    assert now["tuning"] == before["tuning"] and now["diagnosis"] == before["diagnosis"]
    assert now["timings"]["tune"] == before["timings"]["tune"]  # not run again
    assert now["experiment"]["n_test"] == 64 and before["experiment"]["n_test"] == 48
    assert now["verification"] != before["verification"]
    assert now["revisions"] == ["revisions/1"]
    assert _json(out / "revisions" / "1" / "report.json") == before


def test_a_fixed_test_loader_resumes_the_finished_tuning(run_cli, tmp_path):
    """Verification fails on a broken test set; once it is fixed, only verification runs."""
    broken = ("    def __getitem__(self, i):\n",
              "    def __getitem__(self, i):\n"
              "        if self.broken and i >= 16:\n"
              "            raise ValueError(f'row {i} is corrupt')\n")
    init = ("    def __init__(self, n, noise, seed):\n",
            "    def __init__(self, n, noise, seed, broken=False):\n"
            "        self.broken = broken\n")
    exp, out = tmp_path / "exp.py", tmp_path / "run"
    _write(exp, broken, init, (TEST_LOADER, "DataLoader(Noisy(48, 0.0, 2, True), batch_size=16)"))
    result = run_cli("advise", exp, *FAST, "-o", out, "-q")
    assert result.exit_code != 0 and "row 16 is corrupt" in result.stderr
    failed = _json(out / "report.json")
    assert failed["finished_stages"] == ["diagnose", "tune"]
    _write(exp, broken, init)
    result = run_cli("advise", exp, *FAST, "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    now = _json(out / "report.json")
    assert now["status"] == "complete"
    assert now["tuning"] == failed["tuning"]
    assert len(optuna.load_study(study_name="regadvisor-exp",
                                 storage=f"sqlite:///{out / 'study.db'}").trials) == 3


def test_a_folder_of_an_earlier_regadvisor_is_refused_with_the_reason(run_cli, tmp_path):
    exp, out = _write(tmp_path / "exp.py"), tmp_path / "run"
    assert run_cli("tune", exp, "--n-trials", "2", "-o", out, "-q").exit_code == 0
    record = _json(out / "report.json")
    del record["experiment"]["test_fingerprint"]  # as an earlier version recorded it
    record["experiment"]["fingerprint"] = "0123456789abcdef"
    (out / "report.json").write_text(json.dumps(record))
    result = run_cli("tune", exp, "--n-trials", "2", "-o", out, "-q")
    assert result.exit_code == 2
    assert "identity 0123456789abcdef" in result.stderr
    assert "recorded by an earlier regadvisor, which computed identities differently" in (
        result.stderr)


def test_a_new_test_loader_leaves_a_tune_run_as_it_was(run_cli, tmp_path):
    """tune never reads the test loader: the record takes its new identity and stays complete,
    and the next run finds it so."""
    exp, out = _write(tmp_path / "exp.py"), tmp_path / "run"
    assert run_cli("tune", exp, "--n-trials", "2", "-o", out, "-q").exit_code == 0
    before = _json(out / "report.json")
    _write(exp, (TEST_LOADER, "DataLoader(Noisy(64, 0.0, 3), batch_size=16)"))
    result = run_cli("tune", exp, "--n-trials", "2", "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    assert "tune does not read it" in result.stdout
    now = _json(out / "report.json")
    assert now["status"] == "complete" and now["tuning"] == before["tuning"]
    assert now["experiment"]["n_test"] == 64 and before["experiment"]["n_test"] == 48
    again = run_cli("tune", exp, "--n-trials", "2", "-o", out, "-q")
    assert "already holds this run" in again.stdout


def test_tune_on_an_advise_folder_keeps_its_page_with_its_record(run_cli, tmp_path):
    """The earlier run's page goes to revisions/ with its record: the folder never shows a
    verified page beside a record that verified nothing."""
    exp, out = _write(tmp_path / "exp.py"), tmp_path / "run"
    assert run_cli("advise", exp, *FAST, "-o", out, "-q").exit_code == 0
    page = (out / "report.html").read_text()
    result = run_cli("tune", exp, "--n-trials", "3", "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    assert not (out / "report.html").exists()
    assert (out / "revisions" / "1" / "report.html").read_text() == page
    assert _json(out / "revisions" / "1" / "report.json")["status"] == "complete"
    assert _json(out / "report.json")["verification"] is None
