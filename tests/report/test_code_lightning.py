"""The Lightning flavour of the recommended code, pasted into a real Lightning script
(``tests/assets/stacks/lightning_digits.py``: a LightningModule with its own
``configure_optimizers`` and a warm-up stepped every batch, a LightningDataModule,
``Trainer.fit``), trains with Lightning's own Trainer where regadvisor verified it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from regadvisor.report import build_report_data
from tests.report.conftest import _advise
from tests.report.test_code_in_scripts import STACKS, check_lands_where_verified

pytest.importorskip("lightning")


@pytest.fixture(scope="module")
def lightning_run(tmp_path_factory) -> Path:
    return _advise(STACKS / "lightning_digits_experiment.py",
                   tmp_path_factory.mktemp("lightning"), n_trials=4)


def test_lightning_code_trains_in_the_users_trainer_where_verified(lightning_run, tmp_path):
    run = json.loads((lightning_run / "report.json").read_text())
    data = build_report_data(run)
    # The user's own stack first: Lightning code, then the plain loop.
    assert [f.stack for f in data.change.flavours] == ["lightning", "torch"]
    code = data.change.code
    assert "trainer.fit(model, datamodule=datamodule)" in code
    results = check_lands_where_verified(lightning_run, "lightning_digits.py", tmp_path)
    config = run["placements"]["recommended"]["config"]  # the change the code is for
    if config.get("weight_decay"):
        assert "with_param_groups(model)" in code
    if config.get("patience_epochs") is not None:
        assert "EarlyStopping(" in code and "ModelCheckpoint(" in code
    # The user's warm-up, built by their configure_optimizers on the grouped optimizer, is
    # still stepped every batch: the rate rises from 0, as in every run regadvisor made.
    lrs = results[0]["lrs"]
    assert lrs[0] == 0.0 and max(lrs) == pytest.approx(3e-3)
    history = run["verification"]["histories"]["recommended"]
    steps = 15  # 300 training samples in batches of 20
    means = [sum(lrs[i * steps:(i + 1) * steps]) / steps
             for i in range(len(lrs) // steps)]
    assert means == pytest.approx([r["lr"] for r in history["records"]][:len(means)], rel=1e-6)
