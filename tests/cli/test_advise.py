"""advise, tune and report through the real CLI, on a small project."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.cli.conftest import ASSETS

FAST = ("--n-trials", "3", "--seeds", "2", "--max-seeds", "2", "--pruner", "none")


def test_advise_writes_every_output_and_report_rerenders_identically(run_cli, tmp_path):
    out = tmp_path / "run"
    result = run_cli("advise", ASSETS / "good_experiment.py", "--n-trials", "4", "--seeds", "2",
                     "--max-seeds", "2",
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
    # Without --budget the plan and its cost are printed before tuning, in full trainings.
    plan = next(line for line in result.stdout.splitlines() if line.startswith("Plan: "))
    assert "up to 4 trials" in plan and "verification over 2 seeds" in plan
    assert "full trainings of your setup" in plan
    assert result.stdout.index("Plan: ") < result.stdout.index("Tuning:")
    html = (out / "report.html").read_text()
    first = html
    result = run_cli("report", out)
    assert result.exit_code == 0
    assert (out / "report.html").read_text() == first


def test_tune_writes_trials_and_resumes(run_cli, tmp_path):
    out = tmp_path / "t"
    result = run_cli("tune", ASSETS / "good_experiment.py", "--n-trials", "3", "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    record = json.loads((out / "report.json").read_text())
    assert record["finished_stages"] == ["diagnose", "tune"] and record["status"] == "complete"
    assert record["verification"] is None and not (out / "report.html").exists()
    assert len(record["tuning"]["trials"]) == 3
    assert "Plan: up to 3 trials" in result.stdout and "verification" not in result.stdout
    assert run_cli("report", out).exit_code == 0  # the tune run's report: nothing was verified
    html = (out / "report.html").read_text()
    assert "not verified: regadvisor tune does not verify" in html
    assert "This report is partial" not in html and "the run stopped" not in html
    # The same command again: the record is the run, nothing is trained.
    again = run_cli("tune", ASSETS / "good_experiment.py", "--n-trials", "3", "-o", out, "-q")
    assert again.exit_code == 0 and "already holds this run" in again.stdout
    assert json.loads((out / "report.json").read_text())["tuning"] == record["tuning"]
    # More trials: the earlier record is kept as a revision and the study resumes.
    result = run_cli("tune", ASSETS / "good_experiment.py", "--n-trials", "5", "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    trials = json.loads((out / "report.json").read_text())["tuning"]["trials"]
    assert [t["number"] for t in trials] == [0, 1, 2, 3, 4]
    assert (out / "trials.csv").read_text().count("\n") == 6
    kept = json.loads((out / "revisions" / "1" / "report.json").read_text())
    assert len(kept["tuning"]["trials"]) == 3
    # advise on the tune folder: the tune run is kept, its study's trials are not trained again.
    result = run_cli("advise", ASSETS / "good_experiment.py", "--n-trials", "5", "-o", out,
                     "-q", "--seeds", "2", "--max-seeds", "2")
    assert result.exit_code == 0, result.stderr
    advised = json.loads((out / "report.json").read_text())
    assert advised["status"] == "complete" and (out / "report.html").exists()
    assert [t["number"] for t in advised["tuning"]["trials"]] == [0, 1, 2, 3, 4]
    assert advised["tuning"]["trials"] == trials
    assert len(advised["revisions"]) == 2


def test_tune_in_a_named_study_refuses_a_changed_space(run_cli, tmp_path):
    named = ("--storage", f"sqlite:///{tmp_path / 'shared.db'}", "--study-name", "mine")
    assert run_cli("tune", ASSETS / "good_experiment.py", "--n-trials", "2", "-o",
                   tmp_path / "a", "-q", *named).exit_code == 0
    result = run_cli("tune", ASSETS / "good_experiment.py", "--n-trials", "3", "-o",
                     tmp_path / "b", "-q", "--wd-range", "1e-4", "1e-3", *named)
    assert result.exit_code == 1
    assert "another search space" in result.stderr and "--study-name" in result.stderr


def test_tune_with_a_changed_space_tunes_a_study_beside_the_first(run_cli, tmp_path):
    out = tmp_path / "t"
    assert run_cli("tune", ASSETS / "good_experiment.py", "--n-trials", "2", "-o", out,
                   "-q").exit_code == 0
    result = run_cli("tune", ASSETS / "good_experiment.py", "--n-trials", "3", "-o", out, "-q",
                     "--wd-range", "1e-4", "1e-3")
    assert result.exit_code == 0, result.stderr
    tuning = json.loads((out / "report.json").read_text())["tuning"]
    assert tuning["study_name"].endswith("-2") and len(tuning["trials"]) == 3
    assert any("another search space" in note for note in tuning["notes"])


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


def test_a_cap_below_the_first_seeds_is_one_input_error_before_any_training(run_cli, tmp_path):
    out = tmp_path / "run"
    result = run_cli("advise", ASSETS / "good_experiment.py", "--seeds", "5", "--max-seeds", "3",
                     "--output", out)
    assert result.exit_code == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--max-seeds 3 is below --seeds 5" in lines[0]
    assert "Give --max-seeds 5 or more" in lines[0] and "Traceback" not in result.stderr
    assert not out.exists()  # refused before the run folder is made
    result = run_cli("advise", ASSETS / "good_experiment.py", "--max-seeds", "1")
    assert result.exit_code == 2 and "Invalid value for '--max-seeds'" in result.stderr


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
                     "--max-seeds", "2",
                     "--output", tmp_path / "run")
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert any("diagnose" in line and "/" in line for line in lines), result.stderr
    assert any(line.endswith("3/3") or " 3/3 " in line for line in lines if "tune" in line)
    assert any("verify 4/4" in line for line in lines), result.stderr
    assert "Caution: Only 2 seeds" in result.stdout


# --- the run folder: one run at a time, and nothing the user has is destroyed -------------------

def _files(folder) -> dict[str, bytes]:
    """Every file under ``folder`` (the lock file aside) with its content."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and p.name != ".regadvisor.lock"}


@pytest.fixture
def held_folder(tmp_path):
    """A run folder that another process holds; yields (folder, that process's pid)."""
    out = tmp_path / "held"
    out.mkdir()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    holder = subprocess.Popen(
        [sys.executable, "-c", "import sys; from regadvisor._io import lock_run_dir\n"
         f"with lock_run_dir({str(out)!r}, 'advise'):\n"
         "    print('held', flush=True); sys.stdin.read()"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    yield out, holder.pid
    holder.communicate(input="", timeout=30)


@pytest.mark.parametrize("command", [
    ("advise", *FAST), ("tune", "--n-trials", "2"), ("diagnose",), ("train",), ("report",)])
def test_every_command_that_writes_a_run_folder_refuses_a_held_one(run_cli, held_folder,
                                                                    command):
    out, pid = held_folder
    (out / "report.json").write_text("{}")
    before = _files(out)
    name, *flags = command
    args = [name, out] if name == "report" else [name, ASSETS / "good_experiment.py", *flags,
                                                   "-o", out, "-q"]
    result = run_cli(*args)
    assert result.exit_code == 2, result.stderr
    assert f"pid {pid}" in result.stderr and "--output" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert _files(out) == before


def test_an_unreadable_report_json_keeps_the_finished_run_as_a_revision(run_cli, tmp_path):
    out = tmp_path / "run"
    assert run_cli("advise", ASSETS / "good_experiment.py", *FAST, "-o", out, "-q").exit_code == 0
    text = (out / "report.json").read_text()
    (out / "report.json").write_text(text[: len(text) // 2])  # a truncated write
    left = _files(out)
    result = run_cli("advise", ASSETS / "good_experiment.py", *FAST, "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    # Everything the earlier run left is kept, byte for byte, before anything is overwritten.
    kept = _files(out / "revisions" / "1")
    for name in ("report.json", "report.html", "histories.csv", "trials.csv"):
        assert kept[name] == left[name], name
    assert (out / "report.json.unreadable-1").read_bytes() == left["report.json"]
    assert json.loads((out / "report.json").read_text())["revisions"] == ["revisions/1"]


@pytest.mark.parametrize("in_the_way", ["revisions", "report.json"])
def test_a_file_or_folder_in_the_way_is_refused_and_nothing_changes(run_cli, tmp_path,
                                                                    in_the_way):
    out = tmp_path / "run"
    assert run_cli("advise", ASSETS / "good_experiment.py", *FAST, "-o", out, "-q").exit_code == 0
    if in_the_way == "revisions":
        (out / "revisions").write_text("my notes")  # a file where the revisions folder goes
    else:
        (out / "report.json").rename(out / "kept.json")
        (out / "report.json").mkdir()  # a folder where report.json goes
        (out / "report.json" / "inside.txt").write_text("mine")
    before = _files(out)
    # Other settings: the earlier run would be kept as a revision before the new one starts.
    result = run_cli("advise", ASSETS / "good_experiment.py", "--n-trials", "4", "--seeds", "2",
                     "--max-seeds", "2",
                     "-o", out, "-q")
    assert result.exit_code == 2, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert f"'{in_the_way}'" in result.stderr and "unexpectedly" not in result.stderr
    assert _files(out) == before
    if in_the_way == "report.json":
        rendered = run_cli("report", out)
        assert rendered.exit_code == 2 and "'report.json' is a folder" in rendered.stderr
        assert _files(out) == before


def test_other_ranges_on_a_finished_folder_start_a_new_study(run_cli, tmp_path):
    import optuna

    out = tmp_path / "run"
    assert run_cli("advise", ASSETS / "good_experiment.py", *FAST, "-o", out, "-q").exit_code == 0
    before = _files(out)
    first = json.loads(before["report.json"])
    result = run_cli("advise", ASSETS / "good_experiment.py", *FAST, "--wd-range", "1e-4", "1e-3",
                     "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    kept = _files(out / "revisions" / "1")
    assert kept["report.json"] == before["report.json"]
    now = json.loads((out / "report.json").read_text())
    assert now["status"] == "complete" and now["revisions"] == ["revisions/1"]
    assert now["tuning"]["space"]["params"]["weight_decay"]["high"] == 1e-3
    # The earlier study keeps its trials; the new ranges have a study of their own beside it.
    old, new = first["tuning"]["study_name"], now["tuning"]["study_name"]
    assert new != old and f"study {new!r}" in result.stdout
    storage = f"sqlite:///{out / 'study.db'}"
    assert len(optuna.load_study(study_name=old, storage=storage).trials) == 3
    assert len(optuna.load_study(study_name=new, storage=storage).trials) == 3
    # The same command again finds its own study and its complete run.
    again = run_cli("advise", ASSETS / "good_experiment.py", *FAST, "--wd-range", "1e-4", "1e-3",
                    "-o", out, "-q")
    assert again.exit_code == 0 and "nothing to train" in again.stdout


def test_a_file_system_without_locks_is_refused_before_anything_is_written(run_cli, tmp_path,
                                                                            monkeypatch):
    import errno
    import fcntl

    def no_locks(fd, operation):
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)  # as on a mount without lock support
    out = tmp_path / "run"
    result = run_cli("advise", ASSETS / "good_experiment.py", *FAST, "-o", out, "-q")
    assert result.exit_code == 2, result.stderr
    assert "cannot be locked (No locks available)" in result.stderr
    assert "local disk" in result.stderr
    assert _files(out) == {}


def test_a_change_without_a_measured_gain_is_tried_not_adopted_everywhere(run_cli, tmp_path):
    # Two seeds and no seed added (t = 12.7 on one degree of freedom): "no clear difference".
    out = tmp_path / "run"
    result = run_cli("advise", ASSETS.parent / "report" / "assets" / "small_experiment.py",
                     *FAST, "--output", out)
    assert result.exit_code == 0, result.stderr
    data = json.loads((out / "report.json").read_text())
    assert data["verification"]["verdict"] == "no clear difference"
    rec = data["recommendation"]
    # report.json: one decision, the user's setup is the config to use, the change as tried.
    assert rec["decision"] == data["verification"]["decision"] == "tried-not-adopted"
    assert rec["kept_baseline"] and rec["diff"] == [] and rec["tried"]
    assert rec["config"] == data["placements"]["baseline"]["config"]
    to_decide = data["verification"]["to_decide"]
    assert to_decide["seeds"] > 2 and to_decide["extra_seeds"] == to_decide["seeds"] - 2
    assert to_decide["epochs"] > 0
    # The terminal says the same.
    assert "Recommended change" not in result.stdout
    assert "Tried, not adopted: " in result.stdout
    assert "regadvisor keeps your setup; the change was tried, not adopted." in result.stdout
    assert to_decide["text"] in " ".join(result.stdout.split())
    # And so does the report: headline, section heading, badges.
    html = (out / "report.html").read_text()
    headline = html.split('<p class="headline">')[1].split("</p>")[0]
    assert "Keep your setup: the change tried made no clear difference" in headline
    assert "Recommended change" not in html and "in the recommendation" not in html
    assert "<h2>Tried, not adopted</h2>" in html and "in the change tried" in html
