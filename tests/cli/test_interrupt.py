"""Ctrl-C (SIGINT) during a run: a quick stop, nothing finished lost, the same command resumes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import optuna
import pytest

from tests.cli.conftest import ASSETS


def _advise(out, n_trials: int) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ASSETS), *sys.path]))
    return subprocess.Popen(
        [sys.executable, "-m", "regadvisor", "advise", str(ASSETS / "slow_experiment.py"),
         "--n-trials", str(n_trials), "--seeds", "2", "--pruner", "none", "--output", str(out),
         "--quiet", "--device", "cpu"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finished_trials(out) -> int:
    try:
        study = optuna.load_study(study_name="regadvisor-slow_experiment",
                                  storage=f"sqlite:///{out / 'study.db'}")
    except (KeyError, Exception):
        return 0
    return len([t for t in study.trials if t.state.is_finished()])


def test_sigint_during_tuning_keeps_trials_and_resumes(tmp_path):
    out = tmp_path / "run"
    proc = _advise(out, n_trials=12)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and _finished_trials(out) < 2:
        time.sleep(0.5)
    assert _finished_trials(out) >= 2, "tuning never got going"
    proc.send_signal(signal.SIGINT)
    sent = time.monotonic()
    _, err = proc.communicate(timeout=60)
    assert time.monotonic() - sent < 15, "did not stop within seconds"
    assert proc.returncode == 130, err
    assert "Interrupted" in err and "--output" in err and "Traceback" not in err
    report = json.loads((out / "report.json").read_text())
    assert report["status"] == "partial"
    assert report["finished_stages"] == ["diagnose"]
    assert "Interrupted during tune" in report["error"]
    kept = _finished_trials(out)
    assert kept >= 2

    # The same command resumes: the study grows from where it stopped instead of starting over.
    proc = _advise(out, n_trials=kept + 1)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    study = optuna.load_study(study_name="regadvisor-slow_experiment",
                              storage=f"sqlite:///{out / 'study.db'}")
    assert len([t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]) >= kept
    report = json.loads((out / "report.json").read_text())
    assert report["status"] == "complete"
    assert len(report["tuning"]["trials"]) >= kept + 1


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_stop_signal_during_diagnosis_exits_cleanly(tmp_path, sig):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ASSETS), *sys.path]))
    proc = subprocess.Popen(
        [sys.executable, "-m", "regadvisor", "diagnose", str(ASSETS / "slow_experiment.py"),
         "--epochs", "200", "--output", str(tmp_path / "d"), "--quiet", "--device", "cpu"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(6)  # imports, loading, then training is under way
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Interrupted" in err and "Traceback" not in err
