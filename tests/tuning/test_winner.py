"""The winner's validation-loss guard: a candidate with a blown-up loss on any run does not win
while a runner-up within the seed noise has none."""

from __future__ import annotations

import dataclasses
import math

import optuna
import pytest

from regadvisor.tuning import ParamRange, Rerun, SearchSpace, TuneSettings
from regadvisor.tuning.winner import blown_up, choose_winner, select, within_noise
from tests.tuning.conftest import tiny_experiment


def _rerun(number: int, values: list[float], losses: list[float | None]) -> Rerun:
    finite = [v for v in losses if v is not None and math.isfinite(v)]
    mean = sum(values) / len(values)
    std = (sum((v - mean) ** 2 for v in values) / (len(values) - 1)) ** 0.5
    return Rerun(number, {"weight_decay": 10.0 ** -number}, [50, 100, 200][:len(values)],
                 values, mean, std, val_loss=sum(finite) / len(finite), val_losses=losses)


def _guarded(candidates: list[Rerun], reference: float, guard: float) -> list[Rerun]:
    for c in candidates:
        c.blown_up = blown_up(c, reference, guard)
    return candidates


def test_a_blown_up_seed_loses_to_a_runner_up_within_noise():
    # Trial 1 has the best mean validation accuracy, but on seed 200 its validation loss is
    # 300× the user's: a mean over the three seeds, or its two good seeds, would hide that.
    top = _rerun(1, [0.972, 0.965, 0.968], [0.12, 0.14, 690.0])
    runner = _rerun(2, [0.966, 0.962, 0.969], [0.13, 0.15, 0.14])
    far = _rerun(3, [0.90, 0.91, 0.90], [0.30, 0.31, 0.29])
    candidates = _guarded([top, runner, far], reference=2.3, guard=10.0)
    assert "seed 200" in top.blown_up and runner.blown_up is None
    assert within_noise(top, runner)
    winner, notes = select(candidates, maximize=True)
    assert winner is runner
    assert len(notes) == 1 and "Trial 1" in notes[0] and "Trial 2" in notes[0]


def test_a_blown_up_winner_stands_when_the_clean_ones_are_measurably_worse_and_says_so():
    top = _rerun(1, [0.970, 0.971, 0.969], [0.12, 0.14, 690.0])
    far = _rerun(3, [0.90, 0.91, 0.90], [0.30, 0.31, 0.29])
    candidates = _guarded([far, top], reference=2.3, guard=10.0)
    assert not within_noise(top, far)
    winner, notes = select(candidates, maximize=True)
    assert winner is top
    assert "blown-up validation loss" in notes[0] and "trial 3" in notes[0]


def test_every_candidate_blown_up_is_said_with_each_reason():
    a = _rerun(1, [0.97, 0.96, 0.97], [0.1, math.inf, 0.1])
    b = _rerun(2, [0.95, 0.96, 0.95], [40.0, 0.1, 0.1])
    winner, notes = select(_guarded([a, b], reference=2.0, guard=10.0), maximize=True)
    assert winner is a
    assert notes[0].startswith("Every candidate has a blown-up validation loss")
    assert "not finite" in notes[0] and "seed 50 is 40" in notes[0]


def test_ordinary_candidates_pass_the_guard():
    # Label smoothing or early stopping can leave a candidate's loss a few times the user's
    # (a confident, well-fitted user); that is not a blow-up.
    c = _guarded([_rerun(1, [0.9, 0.91, 0.9], [0.3, 0.35, 0.32])], reference=0.05, guard=10.0)
    assert c[0].blown_up is None
    assert select(c, maximize=True) == (c[0], [])


# A real study: three completed trials recorded as they would be, and the winner chosen by the
# real function, which re-runs the top trials for real. Trial 0's weight decay makes AdamW
# multiply the weights by (1 − lr·λ) = −299 every step: its re-run diverges.
SPACE = SearchSpace(
    params={"weight_decay": ParamRange("weight_decay", 1e-5, 1e5, True, "test")},
    base={"decoupled": True, "exempt": "bias_and_norm"},
)


def _trial(study: optuna.Study, weight_decay: float, value: float, val_loss: float) -> None:
    dist = optuna.distributions.FloatDistribution(1e-5, 1e5, log=True)
    study.add_trial(optuna.trial.create_trial(
        params={"weight_decay": weight_decay}, distributions={"weight_decay": dist},
        value=value, user_attrs={"val_loss": val_loss, "epochs_run": 8}))


def test_a_candidate_whose_rerun_diverges_does_not_win_in_a_real_study():
    experiment = tiny_experiment(epochs=6)
    study = optuna.create_study(direction="maximize")
    _trial(study, 1e5, 0.80, 0.70)  # the best single run; its re-run diverges
    _trial(study, 1e-4, 0.78, 0.72)
    _trial(study, 1e-3, 0.30, 2.00)
    settings = TuneSettings(n_trials=3, seed=0, top_k=3, extra_seeds=1, reference_loss=0.8,
                            loss_guard=10.0)
    reruns, winner, notes = choose_winner(experiment, SPACE, settings, study)
    diverged = next(r for r in reruns if r.trial_number == 0)
    assert diverged.val_losses[1] == math.inf and "not finite" in diverged.blown_up
    assert winner.number != 0
    assert notes and "Trial 0 had the best mean validation metric" in notes[0]


@pytest.mark.parametrize("loss", [math.nan, math.inf])
def test_a_non_finite_loss_is_blown_up_without_a_reference(loss):
    c = _rerun(1, [0.9, 0.9, 0.9], [0.3, loss, 0.3])
    assert "not finite" in blown_up(c, None, 10.0)


def test_the_reruns_stop_when_the_budgets_share_for_them_is_spent(monkeypatch):
    from regadvisor.training import train
    from regadvisor.tuning import winner as winner_module

    experiment = tiny_experiment(epochs=6)
    clock = [0.0]

    class Clock:  # every re-run takes 10 s of this clock
        @staticmethod
        def perf_counter() -> float:
            return clock[0]

    def ten_seconds(*args, **kwargs):
        clock[0] += 10.0
        return train(*args, **kwargs)

    monkeypatch.setattr(winner_module, "time", Clock)

    def run(**changes):
        study = optuna.create_study(direction="maximize")
        for wd, value in ((1e-4, 0.80), (1e-3, 0.79), (1e-2, 0.78)):
            _trial(study, wd, value, 0.7)
        settings = dataclasses.replace(
            TuneSettings(n_trials=3, seed=0, top_k=3, extra_seeds=2), **changes)
        return choose_winner(experiment, SPACE, settings, study, trainer=ten_seconds)

    reruns, _, notes = run()
    assert [len(r.epochs) for r in reruns] == [2, 2, 2] and not notes
    # No time for re-runs at all: each candidate keeps its trial, and the report says why.
    reruns, winner, notes = run(rerun_seconds=0.0)
    assert [r.seeds for r in reruns] == [[50], [50], [50]] and winner is not None  # the trials'
    assert "6 of 6 re-runs over extra seeds were not run" in notes[0]
    # 35 s: three re-runs fit (a fourth would end at 40 s), and they are every candidate's
    # first extra seed, so the candidates stay evenly measured.
    reruns, _, notes = run(rerun_seconds=35.0)
    assert [r.seeds for r in reruns] == [[50, 100]] * 3
    assert "3 of 6 re-runs" in notes[0]
    reruns, _, _ = run(rerun_seconds=45.0)
    assert [len(r.epochs) for r in reruns] == [2, 1, 1]


def test_the_tie_note_says_how_the_tied_winner_was_chosen():
    from regadvisor.tuning._records import TrialRecord
    from regadvisor.tuning.winner import tie_notes

    trials = [TrialRecord(number=i, state="COMPLETE", params={}, value=0.9) for i in range(4)]
    alone = tie_notes(trials, True, TuneSettings(top_k=1))
    assert "4 of 4 completed trials tied" in alone[0] and "lowest validation loss" in alone[0]
    assert "top" not in alone[0]
    top = tie_notes(trials, True, TuneSettings(top_k=3, extra_seeds=2))
    assert "among the top 3 by their mean over 2 extra training seeds" in top[0]
