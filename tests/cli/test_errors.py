"""The catalogue of bad inputs (docs/errors.md): each ends with one clear line and its exit code."""

from __future__ import annotations

import time

import pytest

from regadvisor._io import atomic_write_text
from tests.cli.conftest import ASSETS

GOOD = str(ASSETS / "good_experiment.py")


def _one_line_error(result, code: int, message: str) -> None:
    assert result.exit_code == code, result.stdout + result.stderr
    assert message in result.stderr, result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_negative_learning_rate(run_cli, tmp_path):
    _one_line_error(run_cli("train", ASSETS / "lr_negative.py", "-o", tmp_path / "r"), 2,
                    "optimizer(params) raised ValueError: Invalid learning rate: -0.1")


@pytest.mark.parametrize("args", [
    ["advise", GOOD, "--n-trials", "0"],
    ["advise", GOOD, "--n-trials", "many"],
    ["advise", GOOD, "--seeds", "1"],
    ["advise", GOOD, "--seeds", "-2"],
    ["tune", GOOD, "--workers", "0"],
    ["tune", GOOD, "--heartbeat", "0"],
    ["diagnose", GOOD, "--budget", "0"],
    ["diagnose", GOOD, "--budget", "soon"],
    ["diagnose", GOOD, "--epochs", "-3"],
    ["train", GOOD, "--seed", "x"],
], ids=lambda a: " ".join(a[2:]))
def test_numbers_out_of_range_are_usage_errors(run_cli, args):
    result = run_cli(*args)
    assert result.exit_code == 2
    assert "Invalid value" in result.stderr
    assert "Traceback" not in result.stderr


def test_device_that_is_not_there(run_cli):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA")
    _one_line_error(run_cli("train", GOOD, "--device", "cuda"), 2, "CUDA is not available")
    _one_line_error(run_cli("train", GOOD, "--device", "tpu9"), 2, "is not a device")


def _rules_dir(tmp_path, text: str):
    folder = tmp_path / "myrules"
    folder.mkdir(exist_ok=True)
    (folder / "mine.yaml").write_text(text)
    return folder


RULE = ("rules:\n  - id: mine\n    title: T\n    when: {when}\n    priority: 50\n"
        "    advice: A\n    why: W\n    source: Dropout\n")


@pytest.mark.parametrize(("text", "message"), [
    ("rules:\n  - id: mine\n    title: [unclosed\n", "mine.yaml:4:1: malformed YAML"),
    (RULE.format(when='"gap_ration > 0.2"'), "unknown fact 'gap_ration'"),
    (RULE.format(when='"optimizer > 3"'), "optimizer"),
    (RULE.format(when='"gap > 1"').replace("priority: 50", "priority: high"), "priority"),
    (RULE.format(when='"gap > 1"') + RULE.format(when='"gap > 2"').replace("rules:\n", ""),
     "mine"),
    ("verdicts: []\n", "mine.yaml: 'verdicts' is empty: it would replace the verdicts in force "
                       "with none"),
    (RULE.format(when='"gap > 1"') + "verdicts:\n", "mine.yaml: 'verdicts' is empty"),
], ids=["malformed-yaml", "unknown-fact", "wrong-type", "wrong-field-type", "duplicate-id",
        "empty-verdicts", "verdicts-without-entries"])
def test_bad_rule_files(run_cli, tmp_path, text, message):
    folder = _rules_dir(tmp_path, text)
    result = run_cli("diagnose", GOOD, "--rules", folder, "-o", tmp_path / "r")
    _one_line_error(result, 2, message)
    assert str(folder / "mine.yaml") in result.stderr or "mine.yaml" in result.stderr
    assert not (tmp_path / "r" / "diagnosis.json").exists()  # refused before any training
    result = run_cli("rules", "check", folder)
    _one_line_error(result, 2, message)
    result = run_cli("advise", GOOD, "--rules", folder, "-o", tmp_path / "a")
    _one_line_error(result, 2, message)
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize("condition", [
    "__import__('os').system('touch {p}')",
    "gap.__class__ == 1",
    "open('{p}', 'w')",
    "[x for x in (1, 2)] == 1",
    "(lambda: 1)() == 1",
    "facts['gap'] > 1",
], ids=["import", "attribute", "call", "comprehension", "lambda", "subscript"])
def test_conditions_that_reach_for_python_are_refused_and_nothing_runs(run_cli, tmp_path,
                                                                       condition):
    payload = tmp_path / "pwned"
    folder = _rules_dir(tmp_path, RULE.format(when='"' + condition.format(p=payload) + '"'))
    result = run_cli("rules", "check", folder)
    assert result.exit_code == 2 and "Traceback" not in result.stderr
    assert "mine" in result.stderr
    result = run_cli("diagnose", GOOD, "--rules", folder, "-o", tmp_path / "r")
    assert result.exit_code == 2
    assert not payload.exists()


def test_python_object_tag_is_refused_and_nothing_runs(run_cli, tmp_path):
    payload = tmp_path / "pwned2"
    folder = _rules_dir(tmp_path, f'rules: !!python/object/apply:os.system ["touch {payload}"]\n')
    result = run_cli("rules", "check", folder)
    _one_line_error(result, 2, "tag")
    assert not payload.exists()


def test_bad_space_file(run_cli, tmp_path):
    space = tmp_path / "space.yaml"
    space.write_text("dropout: {low: 0.7, high: 0.2}\n")
    _one_line_error(run_cli("tune", GOOD, "--space", space), 2,
                    "The range of dropout must have low < high")
    space.write_text("momentum: {low: 0.1, high: 0.9}\n")
    _one_line_error(run_cli("tune", GOOD, "--space", space), 2, "Unknown search parameter")


def test_malformed_storage_url(run_cli, tmp_path):
    _one_line_error(run_cli("tune", GOOD, "--storage", "not a url", "-o", tmp_path / "s"), 1,
                    "Cannot open the study storage")


def test_unreachable_database_fails_fast_with_a_masked_url(run_cli, tmp_path):
    started = time.monotonic()
    result = run_cli("tune", GOOD, "--storage", "postgresql://ann:s3cret@127.0.0.1:9/db",
                     "-o", tmp_path / "s")
    assert time.monotonic() - started < 60
    _one_line_error(result, 1, "Cannot open the study storage postgresql://ann:***@127.0.0.1:9/db")
    assert "s3cret" not in result.stderr + result.stdout


def test_atomic_write_leaves_the_old_file_when_writing_fails(tmp_path, monkeypatch):
    import os

    target = tmp_path / "report.json"
    target.write_text("old")

    def boom(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_text(target, "new content")
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary file left


def test_partial_report_renders_with_a_note(run_cli, tmp_path):

    from regadvisor._record import to_json
    from regadvisor.pipeline import RunResult, versions

    run = RunResult(command="regadvisor advise x", versions=versions(), device="cpu", seed=0,
                    experiment={"name": "x", "source": "x.py", "task": "classification",
                                "metric": "accuracy", "model_class": "M", "n_train": 1,
                                "n_val": 1, "n_test": None},
                    status="partial", error="Interrupted during tune; finished stages: none.")
    (tmp_path / "report.json").write_text(to_json(run))
    result = run_cli("report", tmp_path)
    assert result.exit_code == 0, result.stderr
    html = (tmp_path / "report.html").read_text()
    assert "This report is partial" in html and "Interrupted during tune" in html


def test_unknown_command_and_option(run_cli):
    result = run_cli("advize")
    assert result.exit_code == 2 and "No such command" in result.stderr
    result = run_cli("train", "--epoch", "3")
    assert result.exit_code == 2 and "No such option" in result.stderr
