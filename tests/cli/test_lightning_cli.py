"""Lightning experiments through the CLI: advise runs end to end and answers in Lightning code."""

from __future__ import annotations

import json

import pytest

from tests.cli.conftest import ASSETS

pytest.importorskip("lightning")


def test_train_minimizes_the_modules_training_step_loss(run_cli, tmp_path):
    result = run_cli("train", ASSETS / "lightning_aux.py", "-o", tmp_path / "r")
    assert result.exit_code == 0, result.stdout + result.stderr
    text = " ".join(result.stdout.split())
    assert "The loss that trains: the loss your Anchored.training_step(batch, batch_idx)" in text


def test_advise_on_the_bundled_lightning_example_answers_in_lightning_code(run_cli, tmp_path):
    out = tmp_path / "r"
    result = run_cli("advise", "digits_lightning", "--n-trials", "3", "--seeds", "2",
                     "--max-seeds", "2",
                     "--diagnostic-epochs", "10", "-o", out)
    assert result.exit_code == 0, result.stdout + result.stderr
    run = json.loads((out / "report.json").read_text())
    assert run["experiment"]["lightning"]["module"] == "DigitsMLP"
    assert run["experiment"]["scheduler"] == "LambdaLR, stepped every batch"
    html = (out / "report.html").read_text()
    if not run["recommendation"].get("kept_baseline"):
        assert "trainer.fit(model, datamodule=datamodule)" in html


def test_the_lightning_example_without_lightning_is_one_line_exit_2(run_cli, tmp_path,
                                                                     monkeypatch):
    import sys

    for name in ("lightning", "lightning.pytorch"):
        monkeypatch.setitem(sys.modules, name, None)
    monkeypatch.delitem(sys.modules, "regadvisor.examples.digits_lightning", raising=False)
    result = run_cli("train", "digits_lightning", "-o", tmp_path / "r")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "Error: The bundled example digits_lightning needs lightning, which is not installed. "
        "Install it with: pip install 'regadvisor[lightning]'.")
