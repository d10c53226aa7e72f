"""One source for the recommendation: the config and its placement in the user's model make the
table, the code and the "in the recommendation" badges; nothing the user got right is undone."""

from __future__ import annotations

import json
import os

import pytest

from regadvisor._io import FILE_MODE
from regadvisor.pipeline import judge
from regadvisor.report.model import Change, _findings
from regadvisor.rules import Actions, Finding, load_rules
from regadvisor.training import RegConfig
from regadvisor.tuning import build_space, config_for
from tests.diagnosis.test_rules_table import facts
from tests.report.conftest import report_data
from tests.report.test_snippet import _check_code_builds_the_placement


def _json(run_dir) -> dict:
    return json.loads((run_dir / "report.json").read_text())


def test_the_users_own_no_decay_groups_are_kept_in_config_table_and_code(grouped_run):
    run = _json(grouped_run)
    user_kept = run["placements"]["baseline"]["config"]["no_decay"]
    assert set(user_kept) == {"0.bias", "2.bias", "4.weight", "4.bias"}
    for key in ("baseline", "recommended"):
        placed = run["placements"][key]["placement"]
        assert not set(placed["decay"]) & set(user_kept), key
    candidate = run["placements"]["recommended"]
    assert candidate["config"]["exempt"] == "bias_and_norm"
    assert candidate["placement"]["no_decay_extra"] == ["4.weight"]
    # Every verification run of the recommendation trained exactly that split.
    history = run["verification"]["histories"]["recommended"]
    assert history["decay_params"] == candidate["placement"]["decay"]
    data = report_data(grouped_run)
    # Whatever the decision, the change shown (recommended or tried) is the candidate's.
    rows = {r["setting"]: r for r in data.change.rows}
    if "exempt" in rows:
        assert "4.weight" in str(rows["exempt"]["after"]["kept"])
    assert "keep_undecayed = {'4.weight'}" in data.change.code
    _check_code_builds_the_placement(data.change.code, _load_grouped(),
                                     candidate["config"], candidate["placement"])
    html = (grouped_run / "report.html").read_text()
    assert "also exempt as in your setup: 4.weight" in html or "exempt" not in rows


def _load_grouped():
    import importlib.util

    from tests.report.conftest import ASSETS

    spec = importlib.util.spec_from_file_location("_grouped", ASSETS / "grouped_experiment.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.model()


@pytest.mark.parametrize("verdict_facts", [
    # not converged: no rule sets decoupled or exempt, yet weight decay stays AdamW-style.
    {"train_loss_vs_chance": 0.9, "val_loss_slope": 0.01, "gap_ratio": 0.01},
    {},  # good fit
    {"train_loss_vs_chance": 0.6, "gap_ratio": 0.02, "train_loss_slope": -0.001,
     "best_epoch_fraction": 0.6, "val_loss_slope": -0.002, "weight_decay": 1.0},  # underfitting
])
def test_no_verdict_searches_coupled_l2_or_decays_biases(verdict_facts):
    from regadvisor.training.config import OptimizerSpec
    from regadvisor.training.placement import placement

    f = facts(**verdict_facts)
    _, findings = judge(load_rules(), f)
    space = build_space(findings, f)
    assert space.base["decoupled"] is True and space.base["exempt"] == "bias_and_norm"
    user = RegConfig(weight_decay=0.0, decoupled=False, exempt="none",
                     optimizer=OptimizerSpec("Adam", lr=1e-3))
    trial = config_for(user, space, {"weight_decay": 0.066, "patience_epochs": 10})

    def model():
        from torch import nn
        return nn.Sequential(nn.Linear(4, 8), nn.LayerNorm(8), nn.ReLU(), nn.Linear(8, 2))

    placed = placement(model, trial)
    assert placed.optimizer == "AdamW"
    assert set(placed.no_decay) == {"0.bias", "1.weight", "1.bias", "3.bias"}


def _finding(rule_id: str, increase=(), decrease=()) -> Finding:
    actions = Actions.model_validate(
        {"set": {}, "search": {"weight_decay": {"low": 1e-4, "high": 0.3}},
         "tune": ["weight_decay"], "increase": list(increase), "decrease": list(decrease)})
    return Finding(rule_id=rule_id, title=rule_id, priority=50, advice="", why="", evidence={},
                   actions=actions, snippet=None, source="", condition="", file="")


def test_a_finding_is_not_credited_with_a_change_the_other_way():
    change = Change(config=RegConfig(weight_decay=0.0002), verified=True, kept_baseline=False,
                    decision=None, label="",
                    rows=[{"setting": "weight_decay", "before": 0.01, "after": 0.0002}])
    verification = {"diff_text": "+1.00 points", "split": "test", "metric_name": "accuracy",
                    "ci_text": "+0.5 to +1.5"}
    stronger, lower = _findings([_finding("stronger-weight-decay", increase=["weight_decay"]),
                                 _finding("reduce-regularization", decrease=["weight_decay"])],
                                change, verification, None, "accuracy")
    assert not stronger["applied"] and "went the other way" in stronger["effect"]
    assert "0.01 → 0.0002" in stronger["effect"]
    assert lower["applied"] and lower["effect"].startswith("Applied")


def test_regression_evidence_does_not_repeat_the_loss():
    verdict, findings = judge(load_rules(), facts(
        task="regression", metric="loss", metric_gap=None, gap_ratio=0.8, gap_over_noise=50.0,
        gap_last=0.8, train_metric_last=0.2, val_metric_last=1.0))
    assert verdict.name == "overfitting"
    for evidence in [verdict.evidence, *(f.evidence for f in findings)]:
        assert not [k for k in evidence if "metric" in k]
    assert "train_loss_last" in verdict.evidence


def test_regression_report_names_the_loss_once(regression_run):
    html = (regression_run / "report.html").read_text()
    assert "test loss</th><th>test loss" not in html
    data = report_data(regression_run)
    v = data.verification
    # The summary rounds the difference as the page does.
    assert v["diff_text"].replace("−", "-") in v["summary"]


def test_a_model_without_dropout_is_not_said_to_have_some(small_run):
    data = report_data(small_run)
    rows = {r["setting"]: r for r in data.change.rows}
    if "dropout" in rows:
        assert rows["dropout"]["before"] is None
        html = (small_run / "report.html").read_text()
        assert "dropout p: as in your model" not in html and ">none<" in html


def test_report_files_get_the_usual_permissions(small_run):
    for name in ("report.html", "report.json", "histories.csv", "trials.csv"):
        assert os.stat(small_run / name).st_mode & 0o777 == FILE_MODE, name


def test_patience_at_or_beyond_the_run_is_early_stopping_off_everywhere(tmp_path):
    """Patience can only trigger before the last epoch: one of 15 or more in a 15-epoch run is
    no early stopping, trained, recorded, tabled and coded as such."""
    from regadvisor.experiment import load_experiment
    from regadvisor.pipeline import AdviseOptions, run_stages
    from regadvisor.tuning import ParamRange
    from tests.report.conftest import ASSETS

    exp = load_experiment(str(ASSETS / "small_experiment.py"))
    assert exp.epochs == 15
    result = run_stages(exp, tmp_path, AdviseOptions(
        n_trials=2, seeds=2, max_seeds=2, command="pytest",
        space_overrides={"patience_epochs": ParamRange("patience_epochs", 15, 30)}))
    assert all(t.params["patience_epochs"] >= 15 for t in result.tuning.trials)
    assert all(t.stop_reason == "max_epochs" and t.epochs_run == 15
               for t in result.tuning.trials if t.state == "COMPLETE")
    assert result.tuning.best_config.patience_epochs is None
    # The recommendation kept its last weights, as a run without early stopping does.
    assert all(r.restored_epoch == r.epochs_run == 15 for r in result.verification.recommended.runs)
    settings = [row["setting"] for row in result.recommendation.tried]
    assert settings and "patience_epochs" not in settings and "monitor" not in settings
    data = report_data(tmp_path)
    assert "early stopping" not in data.change.summary
    assert data.change.code and "EarlyStopping" not in data.change.code
    assert not data.early_stopping["active"]
    assert "patience" not in (tmp_path / "report.html").read_text().split(
        '<section id="change">')[1].split("</section>")[0]


def test_the_report_says_how_the_error_rate_is_split_between_the_verdicts(tmp_path):
    """A run whose verification could add seeds: the page names each side's nominal error and
    the 4 %/1 % split, as report.json records them."""
    from regadvisor.experiment import load_experiment
    from regadvisor.pipeline import AdviseOptions, run_stages
    from tests.report.conftest import ASSETS

    exp = load_experiment(str(ASSETS / "small_experiment.py"))
    result = run_stages(exp, tmp_path, AdviseOptions(n_trials=2, seeds=2, max_seeds=4,
                                                     command="pytest"))
    seq = result.verification.sequential
    assert (seq.alpha, seq.alpha_improves, seq.alpha_worse) == (0.05, 0.04, 0.01)
    assert len(seq.levels) == 3 and seq.levels[0][0] > 4 * seq.levels[0][1]
    assert all(look.error_improves == seq.levels[look.seeds - 2][0] for look in seq.looks)
    page = " ".join((tmp_path / "report.html").read_text().split())
    assert (f'nominal errors {seq.levels[0][0] * 100:.2f} % on the side that says "improves" '
            f'and {seq.levels[0][1] * 100:.2f} % on the side that says "worse"') in page
    assert '"improves" in at most 4 % and "worse" in at most 1 % of runs' in page


def test_the_seed_noise_table_is_named_for_the_trials_it_holds(small_run):
    """With the best trial alone re-run (the default) the table is its seed noise, not that of
    'the top trials'; the seeds line names the trials' seed apart from the re-runs'."""
    record = json.loads((small_run / "report.json").read_text())
    html = (small_run / "report.html").read_text()
    assert len(record["tuning"]["reruns"]) == 1
    assert "Seed noise of the winning trial" in html and "Seed noise of the top" not in html
    assert "trial seed 50; top-trial re-run seeds 100, 200" in html
