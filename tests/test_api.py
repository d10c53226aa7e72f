"""The Python API: regadvisor.advise with the experiment's pieces as objects."""

from __future__ import annotations

import json

import regadvisor
from tests.tuning.conftest import tiny_experiment


def test_advise_api_with_objects(tmp_path):
    exp = tiny_experiment(epochs=6)
    run = regadvisor.advise(model=exp.model_factory, data=lambda: (exp.train_loader,
                                                                   exp.val_loader,
                                                                   exp.test_loader),
                            epochs=6, output=tmp_path / "api", n_trials=3, seeds=2,
                            device="cpu")
    assert run.status == "complete"
    assert run.diagnosis.verdict.name in ("overfitting", "good_fit", "not_converged",
                                                "underfitting")
    saved = json.loads((tmp_path / "api" / "report.json").read_text())
    assert saved["recommendation"]["summary"] == run.recommendation.summary
    assert (tmp_path / "api" / "report.html").exists()
