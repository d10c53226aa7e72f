"""Real Optuna studies on small data: seeding, failures, resume, storage errors."""

from __future__ import annotations

import optuna
import pytest
import torch
from torch import nn

from regadvisor.errors import RunError, StorageError
from regadvisor.tuning import ParamRange, SearchSpace, TuneSettings, mask_url, tune
from regadvisor.tuning.study import open_study, records, run_trials
from tests.tuning.conftest import tiny_experiment

SPACE = SearchSpace(
    params={"weight_decay": ParamRange("weight_decay", 1e-5, 1e-1, True, "test"),
            "dropout": ParamRange("dropout", 0.0, 0.5, False, "test"),
            "patience_epochs": ParamRange("patience_epochs", 2, 6, False, "test")},
    base={"decoupled": True, "exempt": "bias_and_norm", "inject_dropout": True},
)


def test_tune_runs_seeded_trials_first_and_picks_a_noise_aware_winner(tiny, tmp_path):
    settings = TuneSettings(n_trials=8, seed=0, pruner="none", top_k=2, extra_seeds=1)
    result = tune(tiny, SPACE, settings, tmp_path)
    assert len(result.trials) == 8
    # The guide's recipe first; the user's setup is not a trial (diagnosis and verification
    # train it), so every other trial is the sampler's.
    assert [t.seeded for t in result.trials] == ["guide recipe"] + [None] * 7
    assert result.trials[0].params["weight_decay"] == pytest.approx(1e-2)
    assert result.trials[0].params["dropout"] == pytest.approx(0.2)
    assert result.trials[0].params["patience_epochs"] == 6  # the recipe's 10, clipped
    assert result.direction == "maximize" and result.objective == "val_metric"
    assert len(result.reruns) == 2 and all(len(r.values) == 2 for r in result.reruns)
    best_mean = max(r.mean for r in result.reruns)
    winner = next(r for r in result.reruns if r.trial_number == result.best_trial)
    assert winner.mean == best_mean
    assert result.best_config.decoupled is True
    assert result.best_config.weight_decay == pytest.approx(result.best_params["weight_decay"])
    complete = [t for t in result.trials if t.state == "COMPLETE"]
    assert all(t.val_loss is not None and t.epochs_run >= 1 for t in complete)
    assert (tmp_path / "study.db").exists()


def test_same_seed_same_trials(tmp_path):
    params = []
    for run in range(2):
        settings = TuneSettings(n_trials=12, seed=7, pruner="none")
        exp = tiny_experiment(epochs=3)
        study = open_study(exp, SPACE, settings, tmp_path / str(run))
        run_trials(exp, SPACE, settings, study, n_trials=12)
        params.append([t.params for t in study.trials])
    assert params[0] == params[1]


def test_resume_adds_trials_to_the_same_study(tiny, tmp_path):
    tune(tiny, SPACE, TuneSettings(n_trials=3, pruner="none", top_k=1, extra_seeds=0), tmp_path)
    result = tune(tiny, SPACE, TuneSettings(n_trials=5, pruner="none", top_k=1, extra_seeds=0),
                  tmp_path)
    assert [t.number for t in result.trials] == [0, 1, 2, 3, 4]


def test_changed_space_is_refused(tiny, tmp_path):
    tune(tiny, SPACE, TuneSettings(n_trials=2, pruner="none", top_k=1, extra_seeds=0), tmp_path)
    other = SearchSpace(params={"weight_decay": ParamRange("weight_decay", 1e-4, 1e-2, True)})
    with pytest.raises(StorageError, match="another search space.*--study-name"):
        tune(tiny, other, TuneSettings(n_trials=3), tmp_path)


class _Flaky(nn.Module):
    """Raises from its forward pass in every training run after the first few."""

    runs = 0

    def __init__(self):
        super().__init__()
        type(self).runs += 1
        self.fail = type(self).runs % 2 == 0
        self.net = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))

    def forward(self, x):
        if self.fail and self.training:
            raise ValueError("bad batch in user code")
        return self.net(x)


def test_a_failing_trial_does_not_end_the_study(tmp_path):
    _Flaky.runs = 0
    exp = tiny_experiment(model=_Flaky, epochs=3)
    result = tune(exp, SPACE, TuneSettings(n_trials=6, pruner="none", top_k=1, extra_seeds=0),
                  tmp_path)
    states = [t.state for t in result.trials]
    assert "FAIL" in states and "COMPLETE" in states and len(states) == 6
    failed = next(t for t in result.trials if t.state == "FAIL")
    assert "ValueError from the experiment's code: bad batch in user code" in failed.error


class _OOM(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Linear(64, 10)

    def forward(self, x):
        if self.training:
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2 GiB")
        return self.net(x)


def test_out_of_memory_stops_tuning_at_once_with_the_fix(tmp_path):
    # Running out of memory does not depend on the regularization tried: every trial would, so
    # the first one ends tuning with the fix (an input mistake, exit code 2).
    from regadvisor.errors import ExperimentError

    exp = tiny_experiment(model=_OOM, epochs=2)
    with pytest.raises(ExperimentError, match=r"out of memory.*smaller batch size"):
        tune(exp, SPACE, TuneSettings(n_trials=10, pruner="none"), tmp_path)
    study = optuna.load_study(study_name="regadvisor-tiny",
                              storage=f"sqlite:///{tmp_path / 'study.db'}")
    failed = [t for t in study.trials if t.state == optuna.trial.TrialState.FAIL]
    assert len(failed) == 1
    assert "Use a smaller batch size" in failed[0].user_attrs["error"]


def test_diverged_trial_is_failed_with_its_reason(tmp_path):
    from regadvisor.examples._data import diabetes_splits, loaders
    from regadvisor.experiment import build_experiment

    exp = build_experiment(model=lambda: nn.Linear(10, 1),
                           data=lambda: loaders(diabetes_splits(), 32, classification=False),
                           optimizer=lambda p: torch.optim.SGD(p, lr=3.0), epochs=5,
                           name="diverge")
    space = SearchSpace(params={"weight_decay": ParamRange("weight_decay", 1e-5, 1e-4, True)})
    settings = TuneSettings(n_trials=2, pruner="none")
    study = open_study(exp, space, settings, tmp_path)
    with pytest.raises(RunError, match="in a row"):
        run_trials(exp, space, settings, study, n_trials=6)
    recs = records(study)
    assert all(r.state == "FAIL" for r in recs)
    assert "diverged" in recs[0].error


def test_pruner_prunes_hopeless_trials(tiny, tmp_path):
    result = tune(tiny_experiment(epochs=15), SPACE,
                  TuneSettings(n_trials=14, pruner="hyperband", top_k=1, extra_seeds=0),
                  tmp_path)
    pruned = [t for t in result.trials if t.state == "PRUNED"]
    assert pruned and all(t.pruned_at is not None for t in pruned)


def test_asha_prunes_only_at_its_rungs_and_only_a_trial_that_trails_there(tmp_path):
    """The default pruner: successive halving with its first rung at a sixth of the user's 12
    epochs (2, then 4, 8), the better half going on, once 4 trials have finished. Every pruned
    trial stopped at a rung, where its figure was worse than the best of the trials that
    reached that rung before it; the first trials (nothing to trail) are never pruned."""
    exp = tiny_experiment(epochs=12)
    settings = TuneSettings(n_trials=10, pruner="asha", top_k=1, extra_seeds=0)
    result = tune(exp, SPACE, settings, tmp_path)
    study = optuna.load_study(study_name="regadvisor-tiny",
                              storage=f"sqlite:///{tmp_path / 'study.db'}")
    trials = sorted(study.trials, key=lambda t: t.number)
    pruned = [t for t in trials if t.state == optuna.trial.TrialState.PRUNED]
    assert pruned, "no trial trailed at a rung"
    assert all(t.state == optuna.trial.TrialState.COMPLETE for t in trials[:4])
    for t in pruned:
        at = t.user_attrs["pruned_at"]
        assert at in (2, 4, 8) and max(t.intermediate_values) == at
        before = [u.intermediate_values[at] for u in trials[:t.number]
                  if at in u.intermediate_values]
        assert before and t.intermediate_values[at] < max(before)
    by_number = {r.number: r for r in result.trials}
    assert all(by_number[t.number].epochs_run == t.user_attrs["pruned_at"] for t in pruned)
    # A trial reports only at the rungs, where the pruner decides (each report is a write).
    assert {s for t in trials for s in t.intermediate_values} <= {2, 4, 8}


def test_a_study_of_learning_curves_keeps_every_epoch_of_every_trial(tmp_path):
    # With pruner none a trial reports nothing (no pruner reads it); the fidelity benchmark
    # asks for every epoch's figure instead.
    exp = tiny_experiment(epochs=5)
    for every, name in ((False, "quiet"), (True, "curves")):
        tune(exp, SPACE, TuneSettings(n_trials=2, pruner="none", top_k=1, extra_seeds=0,
                                      report_every_epoch=every, study_name=name), tmp_path)
        study = optuna.load_study(study_name=name, storage=f"sqlite:///{tmp_path / 'study.db'}")
        steps = [sorted(t.intermediate_values) for t in study.trials]
        assert steps == ([[1, 2, 3, 4, 5]] * 2 if every else [[], []])


@pytest.mark.parametrize(("url", "shown"), [
    ("postgresql://user:secret@db:5432/x", "postgresql://user:***@db:5432/x"),
    ("sqlite:///tmp/a.db", "sqlite:///tmp/a.db"),
])
def test_mask_url(url, shown):
    assert mask_url(url) == shown


def test_malformed_storage_url(tiny, tmp_path):
    with pytest.raises(StorageError, match="Cannot open the study storage"):
        tune(tiny, SPACE, TuneSettings(n_trials=1, storage="notadb://x"), tmp_path)


def test_a_stop_signal_while_a_trial_samples_marks_it_interrupted(tmp_path, monkeypatch):
    """Ctrl-C may land before training starts (TPE sampling is slow on a busy machine): the
    trial it stops is still marked as interrupted, so it neither counts towards --n-trials nor
    reads as a failure of its configuration."""
    import regadvisor.tuning.study as study_module

    exp = tiny_experiment(epochs=2)
    settings = TuneSettings(n_trials=3, pruner="none", top_k=1, extra_seeds=0)
    study = open_study(exp, SPACE, settings, tmp_path)
    real = study_module._suggest
    calls = []

    def suggest(trial, space):
        calls.append(trial.number)
        if len(calls) == 2:
            raise KeyboardInterrupt
        return real(trial, space)

    monkeypatch.setattr(study_module, "_suggest", suggest)
    with pytest.raises(KeyboardInterrupt):
        run_trials(exp, SPACE, settings, study, n_trials=3)
    failed = [t for t in study.trials if t.state == optuna.trial.TrialState.FAIL]
    assert [t.number for t in failed] == [1]
    assert failed[0].user_attrs.get("error") == study_module.INTERRUPTED
    assert study_module._finished(study) == 1


def test_under_a_time_budget_no_trial_starts_that_would_end_after_it(monkeypatch, tmp_path):
    """Optuna's timeout only stops trials from starting once the time is up; the last one would
    overrun it by a whole trial. With every trial taking 10 s of a fake clock and 35 s for the
    trials, three run (a fourth would end at 40 s), not four."""
    from regadvisor.tuning import study as study_module

    clock = [0.0]

    class Clock:
        @staticmethod
        def perf_counter() -> float:
            return clock[0]

    train = study_module.train

    def ten_seconds(*args, **kwargs):
        clock[0] += 10.0
        return train(*args, **kwargs)

    monkeypatch.setattr(study_module, "time", Clock)
    monkeypatch.setattr(study_module, "train", ten_seconds)
    exp = tiny_experiment(epochs=3)
    settings = TuneSettings(n_trials=10, seed=0, pruner="none", timeout_seconds=35.0)
    study = open_study(exp, SPACE, settings, tmp_path)
    stopped = run_trials(exp, SPACE, settings, study, n_trials=10)
    assert len(study.trials) == 3
    assert stopped == "the time budget of 35 s ended the search"
    # Without a budget every trial runs.
    more = open_study(exp, SPACE, TuneSettings(n_trials=5, seed=0, pruner="none"),
                      tmp_path / "free")
    assert run_trials(exp, SPACE, TuneSettings(n_trials=5, seed=0, pruner="none"), more,
                      n_trials=5) is None
    assert len(more.trials) == 5
