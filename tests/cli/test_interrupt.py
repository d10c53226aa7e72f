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
         "--n-trials", str(n_trials), "--seeds", "2", "--max-seeds", "2", "--pruner", "none",
        "--output", str(out),
         "--quiet", "--device", "cpu"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def wait_for_line(stream, text: str, timeout: float) -> str | None:
    """Read ``stream`` (in a thread) until a line holding ``text``; that line, or None."""
    import queue
    import threading

    lines: queue.Queue = queue.Queue()

    def read() -> None:
        for line in stream:
            lines.put(line)
            if text in line:
                return
        lines.put(None)

    threading.Thread(target=read, daemon=True).start()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            return None
        if line is None:
            return None
        if text in line:
            return line
    return None


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
         "--epochs", "200", "--output", str(tmp_path / "d"), "--device", "cpu"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    # Signal once training is under way: the first progress line says so (stderr is a pipe,
    # so progress comes as plain lines), however long the imports took on a busy machine.
    seen = wait_for_line(proc.stderr, "diagnose", timeout=180)
    assert seen, "the diagnosis never started"
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert "Interrupted" in err and "Traceback" not in err


def test_a_quick_double_ctrl_c_still_stops_cleanly(tmp_path):
    out = tmp_path / "run"
    proc = _advise(out, n_trials=12)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and _finished_trials(out) < 1:
        time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "UnboundLocalError" not in err
    report = json.loads((out / "report.json").read_text())
    assert report["status"] == "partial" and "diagnose" in report["finished_stages"]
    # The trial the signal stopped is recorded as such and does not count towards --n-trials.
    study = optuna.load_study(study_name="regadvisor-slow_experiment",
                              storage=f"sqlite:///{out / 'study.db'}")
    stopped = [t for t in study.trials if t.state == optuna.trial.TrialState.FAIL]
    assert all("interrupted" in t.user_attrs.get("error", "") for t in stopped)


def _finished_stages(out) -> list[str]:
    try:
        return json.loads((out / "report.json").read_text())["finished_stages"]
    except (OSError, ValueError, KeyError):
        return []


@pytest.mark.parametrize("case", range(4))
def test_random_interruptions_never_lose_a_finished_result(tmp_path, case):
    """A property: interrupt `advise` at a random moment with a random signal, on a fresh folder
    and on a finished one; every stage that had finished is still in report.json afterwards,
    and `regadvisor report` renders it."""
    import random

    rng = random.Random(1000 + case)
    out = tmp_path / "run"
    finished_folder = case % 2 == 1
    if finished_folder:
        proc = _advise(out, n_trials=2)
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        complete = json.loads((out / "report.json").read_text())
    proc = _advise(out, n_trials=2)
    time.sleep(rng.uniform(0.5, 12.0))
    before = _finished_stages(out)
    sig = rng.choice([signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
    proc.send_signal(sig)
    proc.communicate(timeout=120)
    after = json.loads((out / "report.json").read_text()) if (out / "report.json").exists() \
        else None
    if before:
        assert after is not None and set(before) <= set(after["finished_stages"]), (sig, before)
        for stage, key in (("diagnose", "diagnosis"), ("tune", "tuning"),
                           ("verify", "verification")):
            if stage in before:
                assert after[key], stage
    if finished_folder:
        assert after["status"] == "complete"
        assert {k: after[k] for k in ("diagnosis", "tuning", "verification")} == \
            {k: complete[k] for k in ("diagnosis", "tuning", "verification")}
    if after is not None:
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ASSETS), *sys.path]))
        rendered = subprocess.run([sys.executable, "-m", "regadvisor", "report", str(out)],
                                  env=env, capture_output=True, text=True, timeout=120)
        assert rendered.returncode == 0, rendered.stderr
        assert (out / "report.html").is_file()


# --- one run at a time on a run folder ------------------------------------------------------

def _lock_holder(out) -> int | None:
    """The pid that the run folder's lock file names (a run writes it once it holds the lock)."""
    try:
        return json.loads((out / ".regadvisor.lock").read_text())["pid"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _wait_for_holder(out, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and _lock_holder(out) != proc.pid \
            and proc.poll() is None:
        time.sleep(0.2)
    assert _lock_holder(out) == proc.pid, "the run never took the folder"


def test_a_second_run_on_a_held_folder_is_refused_and_the_first_is_intact(tmp_path):
    out = tmp_path / "run"
    first = _advise(out, n_trials=3)
    _wait_for_holder(out, first)
    # Paused while it holds the folder, the first run is certain to overlap the second.
    first.send_signal(signal.SIGSTOP)
    try:
        second = _advise(out, n_trials=5)
        _, err = second.communicate(timeout=180)
    finally:
        first.send_signal(signal.SIGCONT)
    assert second.returncode == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert f"pid {first.pid}" in err and "--output" in err and "Traceback" not in err
    _, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    report = json.loads((out / "report.json").read_text())
    assert report["status"] == "complete"
    assert report["settings"]["n_trials"] == 3 and len(report["tuning"]["trials"]) == 3
    assert report["revisions"] == [] and not (out / "revisions").exists()


def test_a_lock_left_by_a_killed_run_does_not_block_the_next(tmp_path):
    out = tmp_path / "run"
    victim = _advise(out, n_trials=3)
    _wait_for_holder(out, victim)
    victim.send_signal(signal.SIGKILL)
    victim.wait(timeout=30)
    assert _lock_holder(out) == victim.pid  # the lock file still names the dead process
    proc = _advise(out, n_trials=2)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert json.loads((out / "report.json").read_text())["status"] == "complete"
