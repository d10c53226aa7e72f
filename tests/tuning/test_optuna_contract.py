"""What the report says about Optuna holds on every Optuna version ``pyproject.toml`` allows.

The sampler's settings and the importance evaluator are passed explicitly, so the report's labels
do not depend on a version's defaults (fANOVA and a univariate TPE on Optuna 4, PED-ANOVA and a
multivariate TPE with constant liar on Optuna 5). ``.ci/run`` runs this file on the lowest
allowed Optuna as well as the current one.
"""

from __future__ import annotations

import random
import warnings

import optuna
import pytest

from regadvisor.report.importance import EVALUATOR, param_importances
from regadvisor.tuning import ParamRange, TrialRecord
from regadvisor.tuning.settings import make_sampler, sampler_text

SPACE = {"weight_decay": ParamRange("weight_decay", 1e-5, 1e-1, log=True),
         "dropout": ParamRange("dropout", 0.0, 0.5),
         "patience_epochs": ParamRange("patience_epochs", 3, 30)}


def test_the_sampler_runs_with_the_settings_the_report_names():
    sampler = make_sampler(7)
    text = sampler_text(7)
    assert "multivariate=True" in text and "constant_liar=True" in text
    assert sampler._multivariate is True
    assert sampler._constant_liar is True
    assert f"n_startup_trials={sampler._n_startup_trials}" in text


def _trials(n: int = 30) -> list[TrialRecord]:
    rng = random.Random(0)
    out = []
    for i in range(n):
        wd = 10 ** rng.uniform(-5, -1)
        p = rng.uniform(0.0, 0.5)
        pat = rng.randint(3, 30)
        # The value depends strongly on weight decay, weakly on dropout, not on patience.
        value = 0.9 - 0.05 * abs(wd ** 0.25 - 0.3) * 10 - 0.02 * p + rng.gauss(0, 0.002)
        out.append(TrialRecord(number=i, state="COMPLETE", value=value,
                               params={"weight_decay": wd, "dropout": p, "patience_epochs": pat}))
    return out


def test_importances_are_ped_anova_whatever_the_default():
    trials = _trials()
    got = param_importances(trials, SPACE, "maximize")
    assert got is not None
    assert got.evaluator == EVALUATOR and "PED-ANOVA" in got.evaluator

    # The same numbers as Optuna's PED-ANOVA evaluator on the same trials.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        optuna.logging.set_verbosity(optuna.logging.ERROR)
        study = optuna.create_study(direction="maximize")
        from optuna.distributions import FloatDistribution, IntDistribution
        dists = {"weight_decay": FloatDistribution(1e-5, 1e-1, log=True),
                 "dropout": FloatDistribution(0.0, 0.5),
                 "patience_epochs": IntDistribution(3, 30)}
        for t in trials:
            study.add_trial(optuna.trial.create_trial(params=t.params, distributions=dists,
                                                      value=t.value))
        expected = optuna.importance.get_param_importances(
            study, evaluator=optuna.importance.PedAnovaImportanceEvaluator())
    total = sum(expected.values())
    for name, value in expected.items():
        assert got.values[name] == pytest.approx(value / total if total else value, abs=1e-9)
    assert max(got.values, key=got.values.get) == "weight_decay"
