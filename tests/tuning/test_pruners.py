"""The ``asha`` pruner prunes at a rung only where the study's finished trials show that the
rung ranks trials as their full runs do."""

from __future__ import annotations

import optuna
import pytest

from regadvisor.tuning.pruners import CheckedHalvingPruner, spearman


def _replay(curves: list[list[float]], pruner) -> list[int | None]:
    """Feed each curve (validation accuracy per epoch) to a maximizing study in order; the epoch
    each trial was pruned at, or None when it ran to the end (its best value is its result)."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study(direction="maximize", pruner=pruner)
    pruned_at: list[int | None] = []
    for curve in curves:
        trial = study.ask()
        for epoch, value in enumerate(curve, start=1):
            trial.report(value, epoch)
            if trial.should_prune():
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
                pruned_at.append(epoch)
                break
        else:
            study.tell(trial, max(curve))
            pruned_at.append(None)
    return pruned_at


def _curve(at_rung: float, final: float, epochs: int = 12, rung: int = 2) -> list[float]:
    """A learning curve that is ``at_rung`` at epoch ``rung`` and ends at ``final``."""
    return [at_rung * (e / rung) if e <= rung else
            at_rung + (final - at_rung) * (e - rung) / (epochs - rung)
            for e in range(1, epochs + 1)]


FAST = [(0.6, 0.70), (0.5, 0.65), (0.4, 0.60), (0.3, 0.55)]  # the rung ranks as the end does
SLOW = [(0.6, 0.55), (0.5, 0.60), (0.4, 0.65), (0.3, 0.70)]  # the slow learners win


def test_a_rung_that_ranks_as_the_full_runs_do_prunes_the_trailing_trial():
    # After 4 finished trials whose rung figures rank as their results, a fifth that trails at
    # the first rung (epoch 2) is stopped there.
    curves = [_curve(*c) for c in FAST] + [_curve(0.2, 0.50)]
    assert _replay(curves, CheckedHalvingPruner(2, 2, min_trials=4, min_correlation=0.5)) == \
        [None, None, None, None, 2]


def test_a_rung_that_ranks_against_the_full_runs_prunes_nothing():
    # Where the slow learners win, the same trailing fifth trial (here the likely winner) runs
    # to the end; plain successive halving stops it at the rung.
    curves = [_curve(*c) for c in SLOW] + [_curve(0.2, 0.75)]
    checked = CheckedHalvingPruner(2, 2, min_trials=4, min_correlation=0.5)
    assert _replay(curves, checked) == [None] * 5
    plain = optuna.pruners.SuccessiveHalvingPruner(min_resource=2, reduction_factor=2,
                                                   min_early_stopping_rate=0)
    assert _replay(curves, plain)[-1] == 2


def test_too_few_finished_trials_prune_nothing():
    curves = [_curve(*c) for c in FAST[:3]] + [_curve(0.2, 0.50)]
    assert _replay(curves, CheckedHalvingPruner(2, 2, min_trials=4, min_correlation=0.5)) == \
        [None] * 4


@pytest.mark.parametrize(("a", "b", "rho"), [
    ([1, 2, 3, 4], [10, 20, 30, 40], 1.0),
    ([1, 2, 3, 4], [4, 3, 2, 1], -1.0),
    ([1, 2, 2, 3], [1, 2, 3, 4], 0.9486832980505138),  # ties share their mean rank
])
def test_spearman(a, b, rho):
    assert spearman(a, b) == pytest.approx(rho)


def test_spearman_is_undefined_for_too_few_or_constant_pairs():
    assert spearman([1, 2], [1, 2]) is None
    assert spearman([1, 1, 1], [1, 2, 3]) is None


def test_asha_needs_the_users_epochs_to_place_its_rungs():
    from regadvisor.tuning.settings import make_pruner, pruner_epochs

    with pytest.raises(ValueError, match="needs max_epochs"):
        make_pruner("asha")
    # A first rung at a sixth of 12 epochs, then halving's doubling: 2, 4, 8.
    assert make_pruner("asha", max_epochs=12)._inner._min_resource == 2
    assert pruner_epochs("asha", 12) == {2, 4, 8}
