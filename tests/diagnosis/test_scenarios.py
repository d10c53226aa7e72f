"""Every labelled scenario, trained for real: the verdict and the top finding must be right."""

from __future__ import annotations

import pytest

from regadvisor.examples.scenarios import SCENARIOS
from regadvisor.experiment import build_experiment
from regadvisor.pipeline import diagnose
from regadvisor.rules import load_rules


@pytest.fixture(scope="module")
def ruleset():
    return load_rules()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.name for s in SCENARIOS])
def test_scenario(ruleset, scenario):
    pieces = {k: v for k, v in scenario.build().items() if v is not None}
    exp = build_experiment(**pieces, name=scenario.name, source=f"scenario {scenario.name}")
    result = diagnose(exp, ruleset=ruleset)
    assert result.verdict.name == scenario.verdict, result.verdict.reason
    assert result.findings, "no finding"
    assert result.findings[0].rule_id == scenario.top_finding, [
        f.rule_id for f in result.findings]
    # The diagnostic training costs at most the user's full run: the short run (20 %, at least
    # 10 epochs) when that settles the verdict, more only when it could not decide.
    from regadvisor.diagnosis.run import default_diagnostic_epochs

    short = default_diagnostic_epochs(exp)
    assert result.history.epochs_run <= exp.epochs
    if result.history.epochs_run > short:
        assert any("could not decide" in n or "whole training" in n for n in result.notes)


def test_noisy_labels_names_the_guides_first_three_remedies(ruleset):
    from regadvisor.experiment import load_experiment

    result = diagnose(load_experiment("digits_noisy"), ruleset=ruleset)
    ids = [f.rule_id for f in result.findings]
    assert ids[:3] == ["add-weight-decay", "add-dropout-fc", "add-early-stopping"]
    assert result.facts["metric_gap"] > 0.1
    assert "gap ratio" in result.verdict.reason
