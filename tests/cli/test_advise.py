"""advise, tune and report through the real CLI, on a small project."""

from __future__ import annotations

import json

from tests.cli.conftest import ASSETS


def test_advise_writes_every_output_and_report_rerenders_identically(run_cli, tmp_path):
    out = tmp_path / "run"
    result = run_cli("advise", ASSETS / "good_experiment.py", "--n-trials", "4", "--seeds", "2",
                     "--output", out, "--quiet")
    assert result.exit_code == 0, result.stderr
    for name in ("report.html", "report.json", "histories.csv", "trials.csv", "study.db",
                 "diagnosis.json"):
        assert (out / name).exists() or name == "diagnosis.json", name
    data = json.loads((out / "report.json").read_text())
    assert data["status"] == "complete"
    assert data["finished_stages"] == ["diagnose", "tune", "verify", "report"]
    assert len(data["tuning"]["trials"]) == 4
    assert data["verification"]["verdict"] in ("improves", "no clear difference", "worse")
    assert "Verification:" in result.stdout
    html = (out / "report.html").read_text()
    first = html
    result = run_cli("report", out)
    assert result.exit_code == 0
    assert (out / "report.html").read_text() == first


def test_tune_writes_trials_and_resumes(run_cli, tmp_path):
    out = tmp_path / "t"
    result = run_cli("tune", ASSETS / "good_experiment.py", "--n-trials", "3", "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    assert len(json.loads((out / "tuning.json").read_text())["trials"]) == 3
    result = run_cli("tune", ASSETS / "good_experiment.py", "--n-trials", "5", "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    trials = json.loads((out / "tuning.json").read_text())["trials"]
    assert [t["number"] for t in trials] == [0, 1, 2, 3, 4]
    assert (out / "trials.csv").read_text().count("\n") == 6


def test_tune_refuses_a_changed_space(run_cli, tmp_path):
    out = tmp_path / "t"
    assert run_cli("tune", ASSETS / "good_experiment.py", "--n-trials", "2", "-o", out,
                   "-q").exit_code == 0
    result = run_cli("tune", ASSETS / "good_experiment.py", "--n-trials", "3", "-o", out, "-q",
                     "--wd-range", "1e-4", "1e-3")
    assert result.exit_code == 1
    assert "another search space" in result.stderr and "--study-name" in result.stderr


def test_bad_ranges_and_objective_are_input_errors(run_cli, tmp_path):
    result = run_cli("tune", ASSETS / "good_experiment.py", "--wd-range", "1e-2", "1e-3")
    assert result.exit_code == 2 and "low < high" in result.stderr
    result = run_cli("tune", ASSETS / "good_experiment.py", "--wd-range", "0", "1e-3")
    assert result.exit_code == 2 and "log scale" in result.stderr
    result = run_cli("tune", ASSETS / "good_experiment.py", "--objective", "f1")
    assert result.exit_code == 2 and "--objective must be 'metric' or 'loss'" in result.stderr
    result = run_cli("tune", ASSETS / "good_experiment.py", "--pruner", "magic")
    assert result.exit_code == 2 and "--pruner must be one of" in result.stderr
    result = run_cli("advise", ASSETS / "good_experiment.py", "--n-trials", "0")
    assert result.exit_code == 2


def test_report_errors(run_cli, tmp_path):
    result = run_cli("report", tmp_path)
    assert result.exit_code == 2 and "report.json' does not exist" in result.stderr
    (tmp_path / "report.json").write_text("{not json")
    result = run_cli("report", tmp_path)
    assert result.exit_code == 2 and "is not valid JSON" in result.stderr
    (tmp_path / "report.json").write_text('{"hello": "world"}')
    result = run_cli("report", tmp_path)
    assert result.exit_code == 2 and "is not a regadvisor report.json" in result.stderr


def test_storage_password_is_masked(run_cli, tmp_path):
    result = run_cli("tune", ASSETS / "good_experiment.py", "--storage",
                     "postgresql://bob:hunter2@127.0.0.1:1/nodb", "-o", tmp_path / "s", "-q")
    assert result.exit_code == 1
    assert "hunter2" not in result.stderr + result.stdout
    assert "bob:***@" in result.stderr


def test_progress_is_printed_as_lines_when_not_in_a_terminal(run_cli, tmp_path):
    result = run_cli("advise", ASSETS / "good_experiment.py", "--n-trials", "3", "--seeds", "2",
                     "--output", tmp_path / "run")
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert any("diagnose" in line and "/" in line for line in lines), result.stderr
    assert any(line.endswith("3/3") or " 3/3 " in line for line in lines if "tune" in line)
    assert any("verify 4/4" in line for line in lines), result.stderr
    assert "Caution: Only 2 seeds" in result.stdout
