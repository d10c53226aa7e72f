"""No password of a storage URL reaches disk or output, whatever form the URL takes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy.engine import make_url

from regadvisor._secrets import mask_url
from tests.cli.conftest import ASSETS

# Every password below is made of these pieces: none of them may appear anywhere.
PIECES = ("Zq7Wv4", "s3cR8t", "x9kP2m")
DEAD = "127.0.0.1:1"  # nothing listens there: the connection is refused at once

# The URL forms, and the exit code: 0 the run completes, 1 the storage cannot be opened (after
# the diagnosis, which is saved), 2 the URL is refused before anything runs.
URLS = {
    # SQLite ignores the query's password (with a warning); the run completes.
    "sqlite ?password": ("sqlite:///q.db?password=Zq7Wv4+s3cR8t", 0),
    "sqlite user:password": ("sqlite://ra_user:Zq7Wv4-s3cR8t@/q.db", 1),
    # the driver (sqlcipher3) is not installed
    "pysqlcipher user part": ("sqlite+pysqlcipher://:Zq7Wv4:s3cR8t/x9kP2m@/c.db", 1),
    "postgresql ? in the password": (f"postgresql://ra_user:Zq7Wv4?s3cR8t@{DEAD}/db", 1),
    # SQLAlchemy would take 's3cR8t@127.0.0.1' for the host, and the driver would print it
    "postgresql unescaped @": (f"postgresql://ra_user:Zq7Wv4@s3cR8t@{DEAD}/db", 2),
}


def _secrets_in(text: str) -> list[str]:
    return [piece for piece in PIECES if piece in text]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ASSETS), *sys.path]))
    return subprocess.run([sys.executable, "-m", "regadvisor", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def _everything_written(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace")
                     for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("form", sorted(URLS))
def test_mask_url_hides_every_form(form):
    masked = mask_url(URLS[form][0])
    assert not _secrets_in(masked) and "***" in masked


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
@pytest.mark.parametrize("form", sorted(URLS))
def test_no_output_holds_the_password(tmp_path, form, debug):
    url, code = URLS[form]
    out = tmp_path / "run"
    result = _run(["advise", str(ASSETS / "good_experiment.py"), "--n-trials", "1",
                   "--seeds", "2", "--max-seeds", "2", "--storage", url, "--study-name", "s",
        "-o", str(out),
                   *(["--debug"] if debug else [])], cwd=tmp_path)
    assert result.returncode == code, result.stdout + result.stderr
    written = _everything_written(out) if out.exists() else ""
    for where, text in (("stdout", result.stdout), ("stderr", result.stderr),
                        ("the run folder", written)):
        assert not _secrets_in(text), f"{where}: {text[:3000]}"
    if code == 2:  # refused with one line, before any work
        assert not out.exists()
        assert result.stderr.count("\n") == 1 and "is ambiguous" in result.stderr
        assert "%40" in result.stderr and "Traceback" not in result.stderr
        return
    assert (out / "report.json").is_file()  # the diagnosis (at least) finished and was saved
    if code == 0:
        assert (out / "report.html").is_file() and (out / "trials.csv").is_file()
    elif debug:
        assert "Traceback" in result.stderr
    assert "***" in (out / "report.json").read_text()  # the command line, masked


@pytest.mark.postgres
def test_a_complete_run_on_postgresql_writes_no_password(tmp_path):
    url = os.environ.get("REGADVISOR_TEST_POSTGRES_SECRET_URL")
    if not url:
        if os.environ.get("REGADVISOR_REQUIRE_POSTGRES"):
            pytest.fail("REGADVISOR_REQUIRE_POSTGRES is set but "
                        "REGADVISOR_TEST_POSTGRES_SECRET_URL is not; source .ci/postgres.sh")
        pytest.skip("REGADVISOR_TEST_POSTGRES_SECRET_URL is not set")
    secret = make_url(url).password
    out = tmp_path / "run"
    for debug in ([], ["--debug"]):
        result = _run(["advise", str(ASSETS / "good_experiment.py"), "--n-trials", "3",
                       "--seeds", "2", "--max-seeds", "2", "--storage", url, "--study-name",
                       f"secret-{tmp_path.name}", "-o", str(out), *debug], cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        for text in (result.stdout, result.stderr, _everything_written(out)):
            assert secret not in text and quote(secret, safe="") not in text
