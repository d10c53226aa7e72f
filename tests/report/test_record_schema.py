"""report.json is written and read through one typed record, and its schema says so."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import TYPE_CHECKING

import jsonschema
import pytest

from regadvisor._record import from_plain, to_plain
from regadvisor.pipeline import RunResult, report_schema
from regadvisor.verification.verify import seeds_sentence

SCHEMA_FILE = Path(__file__).resolve().parents[2] / "docs" / "report.schema.json"


def test_the_documented_schema_is_the_records():
    assert json.loads(SCHEMA_FILE.read_text()) == report_schema(), (
        "docs/report.schema.json is out of date: python -m regadvisor.pipeline._record "
        "> docs/report.schema.json")


@pytest.mark.parametrize("fixture", ["small_run", "regression_run", "grouped_run"])
def test_a_real_report_json_fits_the_schema_and_comes_back_whole(fixture, request):
    data = json.loads((request.getfixturevalue(fixture) / "report.json").read_text())
    jsonschema.validate(data, report_schema())
    run = from_plain(RunResult, data)
    assert run.verification.metric.verdict in ("improves", "no clear difference", "worse")
    seq = run.verification.sequential  # how many seeds decided it, and why it stopped
    assert seq.stop in ("decided", "no_gain", "cap", "budget")
    assert len(run.verification.seeds) == seq.looks[-1].seeds <= seq.max_seeds
    assert run.verification.summary.endswith(seeds_sentence(seq))
    assert seq.epochs == sum(r.epochs_run for arm in (run.verification.baseline,
                                                      run.verification.recommended)
                             for r in arm.runs if not r.reused)
    assert run.recommendation.config.max_epochs >= 1
    assert run.diagnosis.history.records[0].epoch == 1
    assert to_plain(run) == data  # every key of the file is a field of the record


def test_partial_records_fit_too(partial_runs):
    for run_dir in partial_runs.values():
        data = json.loads((run_dir / "report.json").read_text())
        jsonschema.validate(data, report_schema())
        assert to_plain(from_plain(RunResult, data)) == data


@pytest.mark.parametrize(("path", "change"), [
    (("verification",), lambda v: v.update(keep_yours=v.pop("keep_baseline"))),  # renamed
    (("tuning",), lambda t: t.pop("trials")),  # a required field dropped
    (("recommendation", "config"), lambda c: c.update(weight_decay="0.01")),  # wrong type
    (("diagnosis", "history"), lambda h: h.update(stop_reason="tired")),  # not a stop reason
])
def test_a_renamed_dropped_or_mistyped_field_fails_the_schema(small_run, path, change):
    data = json.loads((small_run / "report.json").read_text())
    part = data
    for key in path:
        part = part[key]
    change(part)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(data, report_schema())


# A record class whose module imports a type only for type checking: that field's hint cannot be
# resolved at run time and is read as it was written; the others keep their types.
if TYPE_CHECKING:
    from regadvisor.training import History


@dataclasses.dataclass
class _Partly:
    sizes: tuple[int, ...]
    ratio: float
    history: History


def test_an_unresolvable_hint_reads_as_written_and_the_rest_keep_their_types():
    back = from_plain(_Partly, {"sizes": [1, 2], "ratio": None, "history": {"epochs": 3}})
    assert back.sizes == (1, 2)
    assert back.ratio != back.ratio  # None → NaN, as a float field
    assert back.history == {"epochs": 3}


def test_the_winners_reruns_serve_as_verification_runs_and_the_record_says_so(small_run):
    """Spend nothing twice: verification's runs of the recommendation with the seeds of the
    winner's re-runs are those re-runs (marked ``reused: "tuning"``, epochs counted in tuning)."""
    run = from_plain(RunResult, json.loads((small_run / "report.json").read_text()))
    winner = next(r for r in run.tuning.reruns if r.trial_number == run.tuning.best_trial)
    rerun_seeds = [s for s in winner.seeds[1:] if s in run.verification.seeds]
    assert rerun_seeds  # the re-runs train with verification's seeds
    by_seed = {r.seed: r for r in run.verification.recommended.runs}
    assert [by_seed[s].reused for s in rerun_seeds] == ["tuning"] * len(rerun_seeds)
    for s in rerun_seeds:  # the same run: its length is the re-run's
        assert by_seed[s].epochs_run == winner.epochs[winner.seeds.index(s) - 1]
    fresh = [r for r in run.verification.recommended.runs if r.seed not in rerun_seeds]
    assert fresh and all(r.reused is None for r in fresh)
    assert run.verification.sequential.reused.get("tuning") == len(rerun_seeds)
    assert "the winner's" in run.verification.summary  # and the report says so


def test_one_trial_and_the_diagnosis_serve_as_verifications_first_runs(tmp_path):
    """Spend nothing twice, the smallest plan: the diagnosis goes on to the user's full length
    (verification's first run of the user's setup), and a study of one trial (chosen on
    nothing) trains with verification's first seed (its first run of the recommendation)."""
    from tests.report.conftest import ASSETS, _advise

    out = _advise(ASSETS / "small_experiment.py", tmp_path / "one", n_trials=1,
                  tuning={"extra_seeds": 1})
    run = from_plain(RunResult, json.loads((out / "report.json").read_text()))
    epochs = run.diagnosis.experiment["epochs"]
    assert len(run.diagnosis.history.records) == epochs
    (winner,) = run.tuning.reruns
    assert winner.seeds == [0, 100]  # the trial on seed 0, its re-run on verification's next
    v = run.verification
    assert v.seeds == [0, 100]
    assert [r.reused for r in v.baseline.runs] == ["diagnosis", None]
    assert [r.reused for r in v.recommended.runs] == ["trial", "tuning"]
    assert v.recommended.runs[0].epochs_run == run.tuning.trials[0].epochs_run
    assert v.sequential.reused == {"diagnosis": 1, "trial": 1, "tuning": 1}
    assert "the run of the one trial tuning trained" in v.summary
    # Only the user's setup on the second seed was trained by verification.
    assert v.sequential.epochs == v.baseline.runs[1].epochs_run
