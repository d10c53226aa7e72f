"""No password of a storage URL reaches disk or output, whatever form the URL takes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from regadvisor._secrets import mask_url
from tests.cli.conftest import ASSETS

PASSWORD = "Zq7-s3cret"
AT_PASSWORD = "Zq7@s3cr@t"  # written unescaped in the URL
FREE_PORT = 9  # nothing listens there: the storage cannot be reached, the run fails at tuning

URLS = {
    "user and password": f"postgresql://ra_user:{PASSWORD}@127.0.0.1:{FREE_PORT}/db",
    "no user": f"postgresql://:{PASSWORD}@127.0.0.1:{FREE_PORT}/db",
    "password in the query": f"postgresql://ra_user@127.0.0.1:{FREE_PORT}/db?password={PASSWORD}"
                             "&connect_timeout=3",
    "unescaped @ in the password": f"postgresql://ra_user:{AT_PASSWORD}@127.0.0.1:{FREE_PORT}/db",
}


@pytest.mark.parametrize("form", sorted(URLS))
def test_mask_url_hides_every_form(form):
    masked = mask_url(URLS[form])
    assert PASSWORD not in masked and AT_PASSWORD not in masked and "s3cr" not in masked
    assert "***" in masked and "127.0.0.1" in masked


def _secrets_in(text: str) -> list[str]:
    return [s for s in (PASSWORD, AT_PASSWORD, "Zq7%40s3cr%40t", "Qz7-pw@sec", "Qz7-pw%40sec")
            if s in text]


def _run(args: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ASSETS), *sys.path]))
    return subprocess.run([sys.executable, "-m", "regadvisor", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=600)


def _everything_written(folder: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace")
                     for p in folder.rglob("*") if p.is_file())


@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
@pytest.mark.parametrize("form", sorted(URLS))
def test_no_output_holds_the_password(tmp_path, form, debug):
    out = tmp_path / "run"
    result = _run(["advise", str(ASSETS / "good_experiment.py"), "--n-trials", "2",
                   "--seeds", "2", "--storage", URLS[form], "--study-name", "s", "-o", str(out),
                   *(["--debug"] if debug else [])], cwd=tmp_path)
    assert result.returncode != 0  # the server is not there
    assert (out / "report.json").is_file()  # the diagnosis finished and was saved
    for where, text in (("stdout", result.stdout), ("stderr", result.stderr),
                        ("the run folder", _everything_written(out))):
        assert not _secrets_in(text), f"{where}: {text[:2000]}"
    if debug:
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
    out = tmp_path / "run"
    for debug in ([], ["--debug"]):
        result = _run(["advise", str(ASSETS / "good_experiment.py"), "--n-trials", "3",
                       "--seeds", "2", "--storage", url, "--study-name",
                       f"secret-{tmp_path.name}", "-o", str(out), *debug], cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        for text in (result.stdout, result.stderr, _everything_written(out)):
            assert not _secrets_in(text)
