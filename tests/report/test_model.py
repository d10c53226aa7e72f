"""ReportData from real report.json files, rendering, and the formatting of settings."""

from __future__ import annotations

import copy
import json

import pytest

from regadvisor._format import config_changes, setting_value
from regadvisor.report import build_report_data, render_html
from tests.report.conftest import report_data


def _load(run_dir) -> dict:
    return json.loads((run_dir / "report.json").read_text())


def test_headline_and_key_numbers_come_from_the_run(small_run):
    run = _load(small_run)
    data = report_data(small_run)
    ver = run["verification"]
    base = [r["metric"] for r in ver["baseline"]["runs"]]
    rec = [r["metric"] for r in ver["recommended"]["runs"]]
    assert data.headline.startswith("Your model overfits.")
    assert f"{sum(base) / len(base):.1%}".replace("%", " %") in data.headline
    assert f"{sum(rec) / len(rec):.1%}".replace("%", " %") in data.headline
    assert f"{ver['metric']['ci_low'] * 100:+.2f}".replace("-", "−") in data.headline
    labels = [k.label for k in data.kpis]
    assert labels == ["test accuracy", "paired difference", "test loss",
                      "calibration error (ECE)"]
    ece = data.kpis[-1]
    assert ece.before == f"{ver['baseline']['calibration']['ece']:.3f}"
    shown = [round(ver[arm]["calibration"]["ece"], 3) for arm in ("baseline", "recommended")]
    assert ece.better == (None if shown[0] == shown[1] else shown[1] < shown[0])
    # The change table lists what changed, in the reader's words, and no no-op rows.
    settings = [r["setting"] for r in data.change.rows]
    assert settings[:2] == ["optimizer", "weight_decay"] and "decoupled" not in settings
    assert data.change.verified
    assert data.change.kept_baseline == (ver["verdict"] != "improves")
    assert data.missing == {}


def _with_decision(run: dict, decision: str | None) -> dict:
    run = copy.deepcopy(run)
    for part in ("verification", "recommendation"):
        if decision is None:
            run[part].pop("decision", None)
        else:
            run[part]["decision"] = decision
    return run


@pytest.mark.parametrize(("decision", "headline", "heading", "badge"), [
    ("adopted", "The recommended change improves test accuracy", "Recommended change",
     "in the recommendation"),
    ("tried-not-adopted", "Keep your setup: the change tried made no clear difference, test "
     "accuracy", "Tried, not adopted", "in the change tried"),
    ("loss-only", "Keep your setup for accuracy: the change tried made no clear difference, "
     "test accuracy", "Tried: a gain in loss only", "in the change tried"),
    ("kept-yours-worse", "Keep your setup: the best configuration found measured worse (test "
     "accuracy", "Tried, measured worse: your setup stays", "in the change tried"),
])
def test_the_headline_heading_and_badges_follow_the_one_decision(small_run, decision, headline,
                                                                 heading, badge):
    run = _with_decision(_load(small_run), decision)
    data = build_report_data(run)
    assert data.headline.startswith("Your model overfits. " + headline), data.headline
    assert dict(data.sections)["change"] == heading
    assert {f["badge"] for f in data.findings if f["applied"]} == {badge}
    html = render_html(run)
    assert f"<h2>{heading}</h2>" in html
    assert ("Recommended change" in html) is (decision == "adopted")
    if decision == "loss-only":
        assert "a gain in loss only" in data.headline
        assert f"{run['verification']['loss']['ci_low']:+.4f}".replace("-", "−") in data.headline


def test_a_record_without_a_decision_derives_it_from_the_verdicts(small_run):
    run = _load(small_run)
    stored = run["verification"]["decision"]
    assert stored == {"improves": "adopted", "no clear difference": "tried-not-adopted"}.get(
        run["verification"]["verdict"], stored)
    old = build_report_data(_with_decision(run, None))
    assert old.headline == build_report_data(run).headline
    assert old.change.decision == stored
    undecided = _with_decision(run, None)
    undecided["verification"]["verdict"] = undecided["verification"]["metric"]["verdict"] = \
        "no clear difference"
    assert build_report_data(undecided).change.decision == "tried-not-adopted"


def test_tuning_importances_and_slices(small_run):
    run = _load(small_run)
    tuning = report_data(small_run).tuning
    space = run["tuning"]["space"]["params"]
    assert set(tuning["importances"]) == set(space)
    assert sum(tuning["importances"].values()) == pytest.approx(1.0)
    assert tuning["importance_method"].startswith("PED-ANOVA")
    assert [s["param"] for s in tuning["slices"]] == list(space)
    assert tuning["objective"] == "validation accuracy"


def test_the_search_space_table_shows_each_parameter_once(small_run):
    """A parameter the rules both set and search (weight decay 0.01, patience 10, label
    smoothing 0.1 here) is one searched row, with the guide recipe trial's value as such."""
    run = _load(small_run)
    space = run["tuning"]["space"]
    assert {"weight_decay", "patience_epochs"} <= set(space["params"])
    assert not set(space["base"]) & set(space["params"])  # the record: every trial's settings
    recipe = next(t for t in run["tuning"]["trials"] if t["seeded"] == "guide recipe")
    html = (small_run / "report.html").read_text()
    table = html.split("<h3>Search space</h3>")[1].split("</table>")[0]
    rows = [r for r in table.split("<tr>")[2:]]
    names = [r.split("<td>")[1].split("</td>")[0] for r in rows]
    assert sorted(names) == sorted(set(names))  # each parameter once
    assert "every trial" not in table.split(">weight_decay<")[1].split("</tr>")[0]
    header = html.split("<h3>Search space</h3>")[1].split("</tr>")[0]
    column = [c.split("</th>")[0] for c in header.split("<th>")[1:]].index("guide recipe trial")
    for name, value in recipe["params"].items():
        row = next(r for r in rows if r.startswith(f"<td>{name}</td>"))
        cells = [c.split("</td>")[0] for c in row.replace('<td class="num">', "<td>").split(
            "<td>")[1:]]
        assert cells[column] == format(value, ".3g"), row


def test_calibration_and_early_stopping_sections(small_run):
    run = _load(small_run)
    data = report_data(small_run)
    cal, ver = data.calibration, run["verification"]
    assert cal["n_samples"] == run["experiment"]["n_test"] * len(ver["seeds"])
    assert cal["reliability_svg"].startswith("<svg")
    assert cal["mc_dropout"] and cal["passes"] == 20
    assert set(cal["uncertainty"]) == {"your setup", "recommendation"}
    early = data.early_stopping
    first = ver["recommended"]["runs"][0]
    assert early["active"] and early["first"]["best_epoch"] == first["best_epoch"]
    steps = first["best_epoch"] * -(-run["experiment"]["n_train"]
                                   // run["experiment"]["batch_size"])
    lr = run["recommendation"]["config"]["optimizer"]["lr"]
    assert early["first"]["implied_l2"] == pytest.approx(1 / (lr * steps))


def test_regression_report_has_no_accuracy_or_calibration(regression_run):
    data = report_data(regression_run)
    assert data.calibration is None
    assert [k.label for k in data.kpis] == ["test loss", "paired difference"]
    assert "accuracy" not in data.headline
    assert data.verification["loss_points_svg"] is None


def test_partial_reports_say_what_is_missing(partial_runs):
    early = report_data(partial_runs["after-diagnosis"])
    assert early.status == "partial" and early.notes[0].startswith("This report is partial")
    assert set(early.missing) == {"tuning", "verification", "calibration", "early-stopping"}
    assert early.tuning is None and early.change.rows == []
    late = report_data(partial_runs["after-tuning"])
    assert set(late.missing) == {"verification", "calibration", "early-stopping"}
    assert not late.change.verified and late.change.rows
    assert "not verified" in late.headline


@pytest.mark.parametrize("fixture", ["small_run", "regression_run"])
def test_rendering_from_report_json_gives_the_page_advise_wrote(request, fixture):
    """advise rendered from the RunResult in memory, before it recorded the report stage and
    its timing; rendering report.json again gives the same bytes (plots, importances and all)."""
    run_dir = request.getfixturevalue(fixture)
    html = render_html(_load(run_dir))
    assert html == (run_dir / "report.html").read_text(encoding="utf-8")
    for anchor, heading in report_data(run_dir).sections:
        assert f'<section id="{anchor}">\n<h2>{heading}</h2>' in html


def test_report_json_without_calibration_data_still_renders(small_run):
    """A report.json written before calibration data were recorded: ECE from the seeds."""
    run = copy.deepcopy(_load(small_run))
    for arm in ("baseline", "recommended"):
        run["verification"][arm].pop("calibration")
        run["verification"][arm].pop("uncertainty")
    data = build_report_data(run)
    runs = run["verification"]["baseline"]["runs"]
    assert data.calibration["ece"]["your setup"] == pytest.approx(
        sum(r["ece"] for r in runs) / len(runs))
    assert data.calibration["reliability_svg"] is None and data.calibration["uncertainty"] == {}
    assert data.kpis[-1].label == "calibration error (ECE)"


BASE = {"optimizer": {"name": "Adam", "lr": 1e-3}, "weight_decay": 0.0, "decoupled": False,
        "exempt": "none", "dropout": None, "inject_dropout": False, "label_smoothing": 0.0,
        "l1": 0.0, "patience_epochs": None, "monitor": "val_metric", "max_epochs": 100,
        "lr": None}


@pytest.mark.parametrize(("after", "rows"), [
    ({"weight_decay": 0.01, "decoupled": True, "exempt": "bias_and_norm"},
     [("optimizer", "Adam", "AdamW"), ("weight_decay", 0.0, 0.01),
      ("exempt", None, {"exempt": "bias_and_norm", "embeddings": False, "kept": []})]),
    # No-ops are not changes: decoupling without decay, dropout layers with p = 0, a monitored
    # figure without early stopping.
    ({"decoupled": True, "exempt": "bias_and_norm", "dropout": 0.0, "inject_dropout": True,
      "monitor": "val_loss"}, []),
    ({"patience_epochs": 12}, [("patience_epochs", None, 12), ("monitor", None, "val_metric")]),
])
def test_config_changes(after, rows):
    got = config_changes(BASE, {**BASE, **after})
    assert [(r["setting"], r["before"], r["after"]) for r in got] == rows


@pytest.mark.parametrize(("value", "key", "text"), [
    (1.2317e-05, "weight_decay", "1.2e-05"), (0.0, "weight_decay", "off"),
    (0.4669, "dropout", "p 0.47"), (None, "dropout", "none"),
    ({"p": 0.3, "where": "injected", "layers": ["2", "4"]}, "dropout",
     "p 0.3, added before 2 linear layers (2, 4)"),
    ({"p": 0.5, "p_low": 0.1, "where": "modules", "layers": ["a", "b"]}, "dropout",
     "p 0.1–0.5 in your 2 dropout modules (a, b)"),
    ({"exempt": "bias_and_norm", "embeddings": True, "kept": ["head.weight"]}, "exempt",
     "weights only (biases, norms, embeddings exempt; also exempt as in your setup: "
     "head.weight)"),
    ({"exempt": "none", "embeddings": False, "kept": ["x"]}, "exempt", "all but x"),
    (None, "patience_epochs", "off (all epochs)"), (26, "patience_epochs", "patience 26 epochs"),
    ("bias_and_norm", "exempt", "weights only (biases, norms exempt)"),
    ("val_metric", "monitor", "validation accuracy"), (0.17400242, "label_smoothing", "0.17"),
])
def test_setting_values_read_as_words(value, key, text):
    assert setting_value(value, key) == text
