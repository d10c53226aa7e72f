"""Many workers on one study: real processes, SQLite and PostgreSQL storage, and a SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import optuna
import pytest

ASSETS = Path(__file__).resolve().parents[1] / "assets"
POSTGRES_URL = os.environ.get("REGADVISOR_TEST_POSTGRES_URL")


def _storages():
    out = [pytest.param("sqlite", id="sqlite")]
    marks = [pytest.mark.postgres]
    if not POSTGRES_URL and not os.environ.get("REGADVISOR_REQUIRE_POSTGRES"):
        marks.append(pytest.mark.skip(reason="REGADVISOR_TEST_POSTGRES_URL is not set"))
    out.append(pytest.param("postgres", id="postgres", marks=marks))
    return out


@pytest.fixture
def storage_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shared.db'}"
    assert POSTGRES_URL, "REGADVISOR_REQUIRE_POSTGRES is set, REGADVISOR_TEST_POSTGRES_URL is not"
    return POSTGRES_URL


def _worker(experiment: str, url: str, study: str, out: Path, n_trials: int,
            *extra: str) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ASSETS), *sys.path]))
    return subprocess.Popen(
        [sys.executable, "-m", "regadvisor", "tune", str(ASSETS / experiment), "--storage", url,
         "--study-name", study, "--n-trials", str(n_trials), "--output", str(out), "--quiet",
         "--threads", "1", "--device", "cpu", *extra],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("storage_url", _storages(), indirect=True)
def test_two_workers_share_one_study(storage_url, tmp_path):
    study_name = f"shared-{uuid.uuid4().hex[:8]}"
    n_trials = 6
    # Trials of a few seconds (training steps that sleep) and no pruning keep the first worker
    # busy while the second starts (imports torch, runs its diagnosis).
    procs = [_worker("slow_experiment.py", storage_url, study_name, tmp_path / f"w{i}", n_trials,
                     "--pruner", "none")
             for i in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    study = optuna.load_study(study_name=study_name, storage=storage_url)
    trials = study.get_trials(deepcopy=False)
    numbers = [t.number for t in trials]
    assert len(numbers) == len(set(numbers))
    finished = [t for t in trials if t.state.is_finished()]
    assert len(finished) == len(trials)  # none left running
    # Each process stops once the study holds n_trials; the other may finish the one it runs.
    assert n_trials <= len(finished) <= n_trials + 1
    workers = {t.user_attrs.get("worker") for t in finished}
    assert len(workers) == 2, workers
    results = [json.loads((tmp_path / f"w{i}" / "report.json").read_text())["tuning"]
               for i in range(2)]
    assert results[0]["best_trial"] == results[1]["best_trial"]
    assert results[0]["best_params"] == results[1]["best_params"]
    assert len(results[0]["trials"]) == len(results[1]["trials"]) == len(trials)


@pytest.mark.parametrize("storage_url", _storages(), indirect=True)
def test_killed_worker_trial_is_failed_and_retried(storage_url, tmp_path):
    study_name = f"kill-{uuid.uuid4().hex[:8]}"
    n_trials = 6
    args = ("--heartbeat", "1", "--pruner", "none")
    survivor = _worker("slow_experiment.py", storage_url, study_name, tmp_path / "a", n_trials,
                       *args)
    victim = _worker("slow_experiment.py", storage_url, study_name, tmp_path / "b", n_trials,
                     *args)
    victim_pid = f":{victim.pid}"
    deadline = time.monotonic() + 120
    killed_trial = None
    while time.monotonic() < deadline and killed_trial is None:
        time.sleep(0.3)
        try:
            study = optuna.load_study(study_name=study_name, storage=storage_url)
        except KeyError:
            continue
        for t in study.get_trials(deepcopy=False):
            if t.state == optuna.trial.TrialState.RUNNING and str(
                    t.user_attrs.get("worker", "")).endswith(victim_pid):
                victim.send_signal(signal.SIGKILL)
                killed_trial = t.number
                break
    assert killed_trial is not None, "the victim never ran a trial"
    victim.wait(timeout=30)
    _, err = survivor.communicate(timeout=300)
    assert survivor.returncode == 0, err
    study = optuna.load_study(study_name=study_name, storage=storage_url)
    trials = study.get_trials(deepcopy=False)
    killed = next(t for t in trials if t.number == killed_trial)
    assert killed.state == optuna.trial.TrialState.FAIL
    retried = [t for t in trials if t.system_attrs.get("failed_trial") == killed_trial]
    assert retried, "the stale trial was not retried"
    assert not [t for t in trials if t.state == optuna.trial.TrialState.RUNNING]
    complete = [t for t in trials if t.state == optuna.trial.TrialState.COMPLETE]
    assert len(complete) >= n_trials - 1
    result = json.loads((tmp_path / "a" / "report.json").read_text())["tuning"]
    assert result["best_trial"] is not None


_CLAIM = """
import sys, optuna
from regadvisor.tuning.storage import _storage
optuna.logging.set_verbosity(optuna.logging.ERROR)
study = optuna.load_study(study_name=sys.argv[2], storage=_storage(sys.argv[1]))
for _ in range(int(sys.argv[3])):
    trial = study.ask()
    print(trial.suggest_int("i", 0, 10**6), flush=True)
    study.tell(trial, 0.0)
"""


@pytest.mark.parametrize("storage_url", _storages(), indirect=True)
def test_each_queued_trial_is_claimed_by_one_worker(storage_url):
    # Queued trials (the user's setup, a killed worker's retried trial) are claimed by reading
    # the queue and then marking the trial running: on SQLite the two must be one transaction,
    # or two workers claim the same trial, train it twice, and the slower fails to tell it.
    study_name = f"queue-{uuid.uuid4().hex[:8]}"
    study = optuna.create_study(study_name=study_name, storage=storage_url)
    n_queued, n_workers = 60, 3
    for i in range(n_queued):
        study.enqueue_trial({"i": i})
    procs = [subprocess.Popen([sys.executable, "-c", _CLAIM, storage_url, study_name,
                               str(n_queued // n_workers)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(n_workers)]
    claimed = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        claimed += [int(line) for line in out.split()]
    assert sorted(claimed) == list(range(n_queued))
