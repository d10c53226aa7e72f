"""A smoke test of the case-suite harness (``benchmarks/bench_cases.py``), not a measurement.

One small case, every method with a handful of trials: the harness must train each method's
choice on the verification seeds, pair it with the user's setup on the same test samples and
render the table row that ``docs/benchmarks.md`` shows.
"""

from __future__ import annotations

import math

import pytest

from benchmarks import bench_cases
from benchmarks._cases import (
    N_SEEDS,
    case_rows,
    manifest_by_name,
    run_baseline,
    run_peer,
    run_regadvisor,
)

CASE = "diabetes_linear"


@pytest.fixture(scope="module")
def results():
    return [run_baseline(CASE, 0), run_peer(CASE, 0, "optuna", 4),
            run_regadvisor(CASE, 0, {"n_trials": 4})]


def test_every_method_is_scored_on_the_same_seeds_and_samples(results):
    base, optuna, ours = results
    assert base["test"]["seeds"] == optuna["test"]["seeds"] == ours["test"]["seeds"]
    assert len(base["test"]["seeds"]) == N_SEEDS
    n = len(base["test"]["sample_loss"][0])
    assert n > 50
    for r in results:
        assert all(len(s) == n for s in r["test"]["sample_loss"])
        assert all(math.isfinite(v) and v > 0 for v in r["test"]["metric"])
    assert base["epochs"] == 0
    assert optuna["epochs"] > 0
    by_stage = ours["epochs_by_stage"]
    assert by_stage["diagnose"] > 0 and by_stage["trials"] > 0
    assert ours["epochs"] == sum(by_stage.values())
    assert ours["trials"] == 4


def test_rows_pair_each_method_with_the_users_setup(results):
    manifest = manifest_by_name()
    (row,) = case_rows(results, manifest)
    assert row["half"] == manifest[CASE]["half"]
    ours = row["methods"]["regadvisor"]
    for name in ("optuna", "regadvisor"):
        c = row["methods"][name]["vs_baseline"]
        assert c["ci_low"] <= c["mean_diff"] <= c["ci_high"]
        assert c["verdict"] in ("improves", "worse", "no clear difference")
    vs = ours["vs_optuna"]
    assert vs["ci_low"] <= vs["mean_diff"] <= vs["ci_high"]
    assert ours["verdict"] == results[2]["verdict"]
    summary = bench_cases.summarize([row], row["half"])
    assert summary["cases"] == 1
    assert summary["regadvisor"]["epochs"] == results[2]["epochs"]
    (line,) = bench_cases.table([row])[2:]
    assert line.startswith(f"| {CASE} | {ours['verdict']} ")
    assert f"| {results[2]['epochs']} / {results[1]['epochs']} / – |" in line
