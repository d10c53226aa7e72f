from __future__ import annotations

import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from regadvisor.cli import app

ASSETS = Path(__file__).resolve().parents[1] / "assets"


@pytest.fixture
def run_cli(tmp_path, monkeypatch):
    """Run the real CLI in a temporary folder; returns the click Result."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(ASSETS))
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)

    yield run
    for name in list(sys.modules):
        if name.startswith(("userpkg", "_regadvisor_experiment_")):
            del sys.modules[name]
