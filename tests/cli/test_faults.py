"""Faults that must never lose a finished result, mix two runs, or surface as a traceback."""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.cli.conftest import ASSETS

FAST = ("--n-trials", "3", "--seeds", "2", "--max-seeds", "2", "--pruner", "none")


def _json(path):
    return json.loads(path.read_text())


# --- a finished run is never destroyed ---------------------------------------------------------

def test_rerunning_a_finished_folder_reports_it_and_changes_nothing(run_cli, tmp_path):
    out = tmp_path / "run"
    first = run_cli("advise", ASSETS / "good_experiment.py", *FAST, "-o", out, "-q")
    assert first.exit_code == 0, first.stderr
    before = (out / "report.json").read_text()
    html = (out / "report.html").read_text()
    again = run_cli("advise", ASSETS / "good_experiment.py", *FAST, "-o", out, "-q")
    assert again.exit_code == 0, again.stderr
    assert "already holds this run, complete: nothing to train" in again.stdout
    assert (out / "report.json").read_text() == before
    assert (out / "report.html").read_text() == html


def test_other_settings_keep_the_earlier_run_as_a_revision(run_cli, tmp_path):
    out = tmp_path / "run"
    assert run_cli("advise", ASSETS / "good_experiment.py", *FAST, "-o", out, "-q").exit_code == 0
    before = _json(out / "report.json")
    # A re-run with other settings that fails (a damaged study file): the earlier record is
    # kept, whole, under revisions/1, and report.json says the new run did not finish.
    (out / "study.db").write_bytes(b"SQLite format 3\x00" + b"\x00" * 40)
    result = run_cli("advise", ASSETS / "good_experiment.py", "--n-trials", "5", "--seeds", "2",
                     "--max-seeds", "2",
                     "-o", out, "-q")
    assert result.exit_code != 0
    assert "Traceback" not in result.stderr
    assert _json(out / "revisions" / "1" / "report.json") == before
    assert (out / "revisions" / "1" / "report.html").is_file()
    now = _json(out / "report.json")
    assert now["status"] == "partial" and now["revisions"] == ["revisions/1"]
    rendered = run_cli("report", out)
    assert rendered.exit_code == 0, rendered.stderr


def test_an_unreadable_report_json_is_moved_aside_not_deleted(run_cli, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "report.json").write_text("{not json")
    result = run_cli("advise", ASSETS / "good_experiment.py", *FAST, "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    assert (out / "report.json.unreadable-1").read_text() == "{not json"


# --- a run folder and a study belong to one experiment ------------------------------------------

def _experiment(folder, width: int):
    folder.mkdir(parents=True)
    (folder / "exp.py").write_text(textwrap.dedent(f"""\
        import sys
        sys.path.insert(0, {str(ASSETS)!r})
        from _asset_data import loaders
        from torch import nn

        epochs = 3


        def model():
            return nn.Sequential(nn.Linear(8, {width}), nn.ReLU(), nn.Linear({width}, 3))


        def data():
            return loaders()
        """))
    return folder / "exp.py"


def test_another_experiment_is_refused_a_run_folder_and_a_study(run_cli, tmp_path):
    a, b = _experiment(tmp_path / "a", 16), _experiment(tmp_path / "b", 32)
    out = tmp_path / "run"
    assert run_cli("advise", a, *FAST, "-o", out, "-q").exit_code == 0
    before = (out / "report.json").read_text()
    result = run_cli("advise", b, *FAST, "-o", out, "-q")
    assert result.exit_code == 2
    assert "holds a run of another experiment" in result.stderr
    assert "pass a new --output" in result.stderr
    assert (out / "report.json").read_text() == before
    # tune compares with the folder's report.json too; the study itself knows its experiment.
    result = run_cli("tune", b, "--n-trials", "2", "-o", out, "-q")
    assert result.exit_code == 2
    assert "holds a run of another experiment" in result.stderr
    result = run_cli("tune", b, "--n-trials", "2", "-o", tmp_path / "other", "-q",
                     "--storage", f"sqlite:///{out / 'study.db'}", "--study-name", "regadvisor-exp")
    assert result.exit_code == 2
    assert "belongs to another experiment" in result.stderr


# --- the contract -------------------------------------------------------------------------------

@pytest.mark.parametrize(("asset", "message"), [
    ("shared_params.py", "two calls of model() return models that share 2 parameter tensors"),
    ("generator_loader.py", "the training loader from data() can be read only once"),
])
def test_contract_checks(run_cli, asset, message):
    result = run_cli("train", ASSETS / asset)
    assert result.exit_code == 2
    assert message in result.stderr and "Traceback" not in result.stderr


# --- user mistakes found while training: one line with the fix, exit 2 -------------------------

@pytest.mark.parametrize(("asset", "message"), [
    ("label_out_of_range_later.py", "A batch holds the class label 7"),
    ("batchnorm_last_batch.py", "A BatchNorm layer met a training batch of a single sample"),
    ("oom_in_training.py", "Training ran out of memory on cpu"),
    ("output_width_changes.py", "The model's output changed width at epoch 6, training batch 1: "
                                "5 values per sample, after 3 on every earlier batch"),
    ("scheduler_too_short.py", "scheduler.step() raised ValueError at epoch 3: Tried to step 5 "
                               "times. The specified number of total steps is 4. Fix scheduler()"),
    ("batch_drops_a_target_later.py", "A batch holds 16 samples but 15 targets"),
])
def test_mistakes_found_while_training(run_cli, tmp_path, asset, message):
    result = run_cli("advise", ASSETS / asset, *FAST, "-o", tmp_path / "r")
    assert result.exit_code == 2, result.stderr
    assert message in result.stderr
    assert "failed unexpectedly" not in result.stderr and "Traceback" not in result.stderr


def test_sys_exit_in_tuning_fails_each_trial_not_the_run(run_cli, tmp_path):
    out = tmp_path / "run"
    result = run_cli("advise", ASSETS / "exit_in_trials.py", *FAST, "-o", out)
    assert result.exit_code == 1
    assert "sys.exit(0)" in result.stderr and "Traceback" not in result.stderr
    report = _json(out / "report.json")
    assert report["status"] == "partial" and report["finished_stages"] == ["diagnose"]
    trials = report["tuning"]["trials"]
    assert len(trials) == 3  # each trial failed on its own; the study went on
    assert all("the experiment's code called sys.exit(0)" in t["error"] for t in trials)


def test_too_few_samples_are_refused_before_anything_runs(run_cli, tmp_path):
    out = tmp_path / "run"
    for command in ("advise", "diagnose"):
        result = run_cli(command, ASSETS / "too_few_samples.py", "-o", out)
        assert result.exit_code == 2, result.stdout
        assert ("the training loader holds 1 sample and the validation loader 1; judging a fit "
                "needs at least 10 in each") in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1
        assert not (out / "report.json").exists() and not (out / "diagnosis.json").exists()


def test_int32_class_labels_train_as_their_long_twins(run_cli, tmp_path):
    import csv

    def losses(asset):
        out = tmp_path / asset
        result = run_cli("train", ASSETS / asset, "-o", out, "-q")
        assert result.exit_code == 0, result.stderr
        return [(r["train_loss"], r["val_loss"], r["val_metric"])
                for r in csv.DictReader((out / "history.csv").open())]

    assert losses("int32_labels.py") == losses("good_experiment.py")


def test_bool_labels_for_two_logits_are_classes_0_and_1(run_cli, tmp_path):
    out = tmp_path / "run"
    result = run_cli("advise", ASSETS / "bool_labels.py", *FAST, "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    report = _json(out / "report.json")
    assert report["experiment"]["n_classes"] == 2
    assert any("torch.bool" in n and "torch.long" in n for n in report["experiment"]["notes"])
    assert report["verification"]["baseline"]["runs"][0]["metric"] > 0.5


def test_an_edited_report_json_with_wrong_types_is_an_input_error(run_cli, tmp_path):
    out = tmp_path / "run"
    assert run_cli("advise", ASSETS / "good_experiment.py", *FAST, "-o", out, "-q").exit_code == 0
    data = _json(out / "report.json")
    data["verification"]["baseline"] = "not an arm"
    data["tuning"]["trials"] = [1, 2, 3]
    (out / "report.json").write_text(json.dumps(data))
    result = run_cli("report", out)
    assert result.exit_code == 2
    assert "is incomplete or altered" in result.stderr and "Traceback" not in result.stderr


def _edit(data, path, value):
    *parents, last = path
    for key in parents:
        data = data[key]
    data[last] = value


@pytest.mark.parametrize(("path", "value", "where", "problem"), [
    (("seed",), "zero", "seed", "expected a whole number, got the string 'zero'"),
    (("diagnosis", "history", "records", 0, "train_loss"), "abc",
     "diagnosis.history.records[0].train_loss", "expected a number, got the string 'abc'"),
    (("timings", "tune"), "slow", "timings.tune", "expected a number, got the string 'slow'"),
    (("diagnosis", "verdict"), 5, "diagnosis.verdict", "expected an object, got the number 5"),
    (("finished_stages",), "diagnose", "finished_stages",
     "expected a list, got the string 'diagnose'"),
    (("revisions",), "revisions/1", "revisions", "expected a list, got the string"),
    (("experiment",), "exp", "experiment", "expected an object, got the string 'exp'"),
    (("tuning",), None, "tuning", "finished_stages lists 'tune' but the record holds no tuning"),
], ids=["top-level", "nested", "mapping-value", "record", "list", "revisions", "experiment",
        "missing-stage"])
def test_advise_and_report_refuse_an_edited_report_json_naming_the_field(run_cli, tmp_path, path,
                                                                         value, where, problem):
    out = tmp_path / "run"
    assert run_cli("advise", ASSETS / "good_experiment.py", *FAST, "-o", out, "-q").exit_code == 0
    data = _json(out / "report.json")
    _edit(data, path, value)
    edited = json.dumps(data)
    (out / "report.json").write_text(edited)
    for command in (("advise", ASSETS / "good_experiment.py", *FAST, "-o", out, "-q"),
                    ("report", out)):
        result = run_cli(*command)
        assert result.exit_code == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "failed unexpectedly" not in lines[0], result.stderr
        assert f"'{out / 'report.json'}' is incomplete or altered" in lines[0]
        assert f"at {where}: {problem}" in lines[0]
        assert (out / "report.json").read_text() == edited  # left as it is, for the user to see


# --- faults inside the pipeline ------------------------------------------------------------------

def test_an_error_in_the_winners_reruns_fails_that_rerun_only(run_cli, tmp_path):
    out = tmp_path / "run"
    result = run_cli("advise", ASSETS / "rerun_error.py", *FAST, "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    tuning = _json(out / "report.json")["tuning"]
    assert tuning["reruns"] and all(r["errors"] for r in tuning["reruns"])
    assert "the feature store is down" in tuning["reruns"][0]["errors"][0]
    assert tuning["best_trial"] is not None


def test_nan_in_every_trial_is_a_failed_run_not_a_winner_of_none(run_cli, tmp_path):
    out = tmp_path / "run"
    result = run_cli("advise", ASSETS / "nan_val_loss.py", *FAST, "-o", out)
    assert result.exit_code == 1
    assert "No trial completed" in result.stderr or "trials in a row failed" in result.stderr
    report = _json(out / "report.json")
    assert report["status"] == "partial" and "verify" not in report["finished_stages"]
    assert "winner trial None" not in result.stdout


def test_a_storage_that_fails_mid_run_is_a_storage_error(tmp_path):
    import optuna
    import sqlalchemy

    from regadvisor.errors import StorageError
    from regadvisor.tuning import SearchSpace, TuneSettings
    from regadvisor.tuning.space import DEFAULT_RANGES
    from regadvisor.tuning.study import run_trials
    from tests.tuning.conftest import tiny_experiment

    class Dropping(optuna.storages.InMemoryStorage):
        def set_trial_state_values(self, trial_id, state, values=None):
            if state.is_finished():
                raise sqlalchemy.exc.OperationalError("UPDATE trials", {}, Exception("gone"))
            return super().set_trial_state_values(trial_id, state, values)

        def get_trial(self, trial_id):
            raise sqlalchemy.exc.OperationalError("SELECT trials", {}, Exception("gone"))

    study = optuna.create_study(storage=Dropping(), direction="maximize")
    space = SearchSpace(params={"weight_decay": DEFAULT_RANGES["weight_decay"]})
    with pytest.raises(StorageError, match="failed during tuning .*OperationalError"):
        run_trials(tiny_experiment(epochs=2), space, TuneSettings(n_trials=2, pruner="none"),
                   study, n_trials=2, enqueue=False)


# --- smaller ---------------------------------------------------------------------------------

def test_a_foreign_sqlite_file_is_refused(run_cli, tmp_path):
    import sqlite3

    db = tmp_path / "app.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE customers (id INTEGER)")
    result = run_cli("tune", ASSETS / "good_experiment.py", "--n-trials", "2",
                     "--storage", f"sqlite:///{db}", "--study-name", "s", "-o", tmp_path / "t")
    assert result.exit_code == 2
    assert "not an Optuna study database" in result.stderr
    with sqlite3.connect(db) as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert tables == {"customers"}


def test_soft_labels_with_cross_entropy_are_accepted(run_cli, tmp_path):
    out = tmp_path / "run"
    result = run_cli("advise", ASSETS / "soft_labels.py", *FAST, "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    report = _json(out / "report.json")
    assert report["experiment"]["task"] == "classification"
    assert any("soft labels" in n for n in report["experiment"]["notes"])
    assert 0 < report["verification"]["baseline"]["runs"][0]["metric"] <= 1


def test_an_endless_training_loader_stops_at_the_budget(run_cli, tmp_path):
    import time

    t0 = time.monotonic()
    result = run_cli("diagnose", ASSETS / "infinite_loader.py", "--budget", "2", "-o",
                     tmp_path / "d", "-q")
    assert time.monotonic() - t0 < 60
    assert result.exit_code == 0, result.stderr
    diagnosis = _json(tmp_path / "d" / "diagnosis.json")
    assert diagnosis["history"]["stop_reason"] == "budget"
    assert "never ends one" in diagnosis["history"]["stop_message"]


def test_the_summary_names_the_split_it_measured(tmp_path):
    from regadvisor.experiment import baseline_config
    from regadvisor.verification import verify
    from tests.tuning.conftest import tiny_experiment

    exp = tiny_experiment(epochs=2)
    exp = type(exp)(**{**exp.__dict__, "test_loader": None})
    base = baseline_config(exp)
    v = verify(exp, base, base.replace(weight_decay=1e-2), seeds=2)
    assert v.split == "validation"
    assert "Validation loss went from" in v.summary and "Test loss" not in v.summary
