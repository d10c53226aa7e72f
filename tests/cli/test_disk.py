"""A disk that fills up, a folder that cannot be written: one line that says so, what is kept,
and how to go on; never a traceback or another file blamed."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.cli.conftest import ASSETS

GOOD = ASSETS / "good_experiment.py"
FAST = ("--n-trials", "3", "--seeds", "2", "--max-seeds", "2", "--pruner", "none", "-q")


def _one_line(result, code: int) -> str:
    assert result.exit_code == code, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "failed unexpectedly" not in lines[0] and "Traceback" not in lines[0]
    return lines[0]


def _record(run_dir: Path) -> dict:
    return json.loads((run_dir / "report.json").read_text())


@contextlib.contextmanager
def _tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A real file system of ``size`` bytes at ``path`` (mount needs root and a sandbox that
    lets it: the test is skipped where it does not)."""
    path.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a small tmpfs needs root to mount it")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"this machine does not let tests mount a tmpfs ({done.stderr.strip()})")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True)


def _remount(path: Path, options: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{options}", str(path)], check=True)


# --- a full disk ----------------------------------------------------------------------------

@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EDQUOT], ids=["ENOSPC", "EDQUOT"])
def test_a_full_disk_says_what_is_kept_and_the_same_command_resumes(run_cli, tmp_path,
                                                                     monkeypatch, code):
    """The disk fills when report.html is written: the finished stages are kept and named."""
    out = tmp_path / "run"
    full = {"on": True}
    replace = os.replace

    def filling(src, dst, *args, **kwargs):
        if full["on"] and str(dst).endswith("report.html"):
            raise OSError(code, os.strerror(code))
        return replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", filling)
    line = _one_line(run_cli("advise", GOOD, *FAST, "-o", out), 1)
    assert os.strerror(code) in line and "report.html" in line
    assert f"Kept in '{out}': report.json with the finished stages diagnose, tune, verify" in line
    assert "run the same command" in line
    record = _record(out)
    assert record["status"] == "complete"
    assert record["finished_stages"] == ["diagnose", "tune", "verify"]
    assert not (out / "report.html").exists()
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]

    full["on"] = False
    again = run_cli("advise", GOOD, *FAST, "-o", out)
    assert again.exit_code == 0, again.stderr
    assert (out / "report.html").is_file()
    assert _record(out)["finished_stages"] == ["diagnose", "tune", "verify", "report"]
    assert _record(out)["timings"]["tune"] == record["timings"]["tune"]  # not tuned again


def test_a_disk_too_full_to_keep_the_earlier_run_changes_nothing(run_cli, tmp_path, monkeypatch):
    """Other settings: the earlier run is copied to revisions/ first; no room for the copy."""
    out = tmp_path / "run"
    assert run_cli("advise", GOOD, *FAST, "-o", out).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}

    def full(src, dst, *args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(shutil, "copy2", full)
    line = _one_line(run_cli("advise", GOOD, "--n-trials", "4", "--seeds", "2", "--max-seeds",
                             "2", "--pruner",
                             "none", "-q", "-o", out), 1)
    assert "No space left on device" in line and str(out / "revisions") in line
    assert "nothing was changed" in line
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


@pytest.mark.parametrize(("size", "kept"), [
    ("100k", "diagnose"),  # the study database fills up while tuning starts
    ("320k", "diagnose, tune, verify"),  # report.html (400 kB) does not fit
])
def test_a_real_full_file_system_says_what_is_kept(run_cli, tmp_path, size, kept):
    with _tmpfs(tmp_path / "small", size) as disk:
        out = disk / "run"
        line = _one_line(run_cli("advise", GOOD, *FAST, "-o", out), 1)
        assert "No space left on device" in line or "database or disk is full" in line
        assert f"Kept in '{out}': report.json with the finished stages {kept}" in line
        assert _record(out)["finished_stages"] == kept.split(", ")

        _remount(disk, "size=8m")  # space freed: the same command finishes the run
        again = run_cli("advise", GOOD, *FAST, "-o", out)
        assert again.exit_code == 0, again.stderr
        assert _record(out)["finished_stages"] == ["diagnose", "tune", "verify", "report"]


def test_a_full_study_database_is_a_disk_full_error(tmp_path):
    """SQLite's own "database or disk is full" (a real one: the database may not grow) from the
    study storage reads as a full disk, not as a storage that cannot be reached."""
    import sqlite3

    import optuna
    import sqlalchemy

    from regadvisor.errors import DiskFullError
    from regadvisor.tuning import SearchSpace, TuneSettings
    from regadvisor.tuning.space import DEFAULT_RANGES
    from regadvisor.tuning.study import run_trials
    from tests.tuning.conftest import tiny_experiment

    db = sqlite3.connect(tmp_path / "full.db")
    db.execute("PRAGMA max_page_count = 2")
    db.execute("CREATE TABLE t (x TEXT)")
    with pytest.raises(sqlite3.OperationalError, match="database or disk is full") as full:
        db.execute("INSERT INTO t VALUES (?)", ("x" * 100_000,))
    db.close()

    class Full(optuna.storages.InMemoryStorage):
        def set_trial_state_values(self, trial_id, state, values=None):
            if state.is_finished():
                raise sqlalchemy.exc.OperationalError("UPDATE trials", {}, full.value)
            return super().set_trial_state_values(trial_id, state, values)

    study = optuna.create_study(storage=Full(), direction="maximize")
    space = SearchSpace(params={"weight_decay": DEFAULT_RANGES["weight_decay"]})
    with pytest.raises(DiskFullError, match="ran out of space .*database or disk is full.* "
                                            "free space"):
        run_trials(tiny_experiment(epochs=2), space, TuneSettings(n_trials=2, pruner="none"),
                   study, n_trials=2, enqueue=False)


# --- a folder that cannot be written --------------------------------------------------------

@contextlib.contextmanager
def _read_only(run_dir: Path, how: str, monkeypatch) -> Iterator[Path]:
    """``run_dir`` copied into a folder that cannot be written: a read-only tmpfs (as root, who
    may write anywhere else) or a folder without write permission; ``simulated`` refuses every
    file created in it at the lowest level (``os.open``)."""
    if how == "simulated":
        folder = run_dir.parent / "ro"
        shutil.copytree(run_dir, folder)
        real_open = os.open

        def refusing(path, flags, *args, **kwargs):
            if flags & os.O_CREAT and Path(os.fsdecode(path)).parent == folder:
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)
            return real_open(path, flags, *args, **kwargs)

        monkeypatch.setattr(os, "open", refusing)
        yield folder
    elif os.geteuid() == 0:
        with _tmpfs(run_dir.parent / "ro-disk", "4m") as disk:
            shutil.copytree(run_dir, disk / "run")
            _remount(disk, "ro")
            yield disk / "run"
    else:
        folder = run_dir.parent / "ro"
        shutil.copytree(run_dir, folder)
        folder.chmod(0o555)
        try:
            yield folder
        finally:
            folder.chmod(0o755)


@pytest.mark.parametrize("how", ["real", "simulated"])
def test_report_on_a_folder_that_cannot_be_written_says_so(run_cli, tmp_path, monkeypatch, how):
    run_dir = tmp_path / "run"
    assert run_cli("advise", GOOD, *FAST, "-o", run_dir).exit_code == 0
    elsewhere = tmp_path / "elsewhere" / "report.html"
    with _read_only(run_dir, how, monkeypatch) as folder:
        line = _one_line(run_cli("report", folder), 2)
        assert f"'{folder}' cannot be written" in line
        assert "report.json" not in line and "altered" not in line
        assert "--output" in line
        assert (folder / "report.html").read_bytes() == (run_dir / "report.html").read_bytes()

        result = run_cli("report", folder, "--output", elsewhere)
        assert result.exit_code == 0, result.stderr
        assert str(elsewhere) in result.stdout
    assert '<section id="change">' in elsewhere.read_text()
