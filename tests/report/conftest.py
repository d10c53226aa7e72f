"""Real runs for the report tests, made once per session from small experiments.

- ``small_run``: a complete ``advise`` on a small digits MLP that overfits (classification);
- ``regression_run``: a complete ``advise`` on a small regression MLP (no accuracy, no
  calibration);
- ``partial_runs``: two real interruptions (Ctrl-C) of ``advise``, after the diagnosis and after
  tuning, re-rendered as ``regadvisor report`` does;
- ``hostile_run``: an ``advise`` whose every user-provided string carries markup and quotes.
"""

from __future__ import annotations

import functools
import json
import os
import sys
import textwrap
from pathlib import Path

import pytest
import torch
import yaml

from regadvisor.experiment import load_experiment
from regadvisor.pipeline import AdviseOptions, Hooks, run_stages
from regadvisor.report import ReportData, build_report_data, render_report
from tests.report._browser import find_chromium

ASSETS = Path(__file__).resolve().parent / "assets"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def payload(where: str) -> str:
    """Markup, both quotes and an ampersand, tagged with where it was injected."""
    return f"<script>alert(\"{where}\")</script><img src=x onerror='alert(1)'>&amp;"


#: The injection points of :func:`hostile_run`.
HOSTILE = ("model", "path", "name", "title", "advice", "why", "source", "snippet", "verdict",
           "command", "study")


@functools.cache
def report_data(run_dir: Path) -> ReportData:
    """The ReportData of a run folder's report.json, built once per session (read-only)."""
    return build_report_data(json.loads((run_dir / "report.json").read_text()))


def _advise(experiment: Path, out: Path, **options) -> Path:
    torch.set_num_threads(1)
    exp = load_experiment(str(experiment))
    out.mkdir(parents=True, exist_ok=True)
    run_stages(exp, out, AdviseOptions(seeds=2, max_seeds=2,
                                       command=options.pop("command", "pytest"), **options))
    return out


def _interrupt_at(stage: str) -> Hooks:
    def hook(name: str) -> None:
        if name == stage:
            raise KeyboardInterrupt
    return Hooks(stage=hook)


@pytest.fixture(scope="session")
def small_run(tmp_path_factory) -> Path:
    return _advise(ASSETS / "small_experiment.py", tmp_path_factory.mktemp("small"), n_trials=5)


@pytest.fixture(scope="session")
def grouped_run(tmp_path_factory) -> Path:
    """A complete ``advise`` whose user optimizer keeps biases and one weight undecayed."""
    return _advise(ASSETS / "grouped_experiment.py", tmp_path_factory.mktemp("grouped"),
                   n_trials=4)


@pytest.fixture(scope="session")
def regression_run(tmp_path_factory) -> Path:
    return _advise(ASSETS / "regression_experiment.py", tmp_path_factory.mktemp("regression"),
                   n_trials=3)


@pytest.fixture(scope="session")
def partial_runs(tmp_path_factory) -> dict[str, Path]:
    """``{"after-diagnosis": dir, "after-tuning": dir}``, each with report.json and a rendered
    report.html."""
    torch.set_num_threads(1)
    out = {}
    for name, stage in (("after-diagnosis", "tune"), ("after-tuning", "verify")):
        run_dir = tmp_path_factory.mktemp(name)
        exp = load_experiment(str(ASSETS / "small_experiment.py"))
        with pytest.raises(KeyboardInterrupt):
            run_stages(exp, run_dir, AdviseOptions(n_trials=3, seeds=2, max_seeds=2,
                                                   command="pytest"),
                       _interrupt_at(stage))
        assert not (run_dir / "report.html").exists()
        render_report(json.loads((run_dir / "report.json").read_text()), run_dir)
        out[name] = run_dir
    return out


@pytest.fixture(scope="session")
def hostile_run(tmp_path_factory) -> Path:
    """A run whose model class, experiment folder and file name, user rule file (title,
    advice, why, source, snippet, verdict reason), command line and study name all carry
    :func:`payload`."""
    root = tmp_path_factory.mktemp("hostile")
    # A file name cannot hold "/": the payload spans two folders, "<script>…<" and "script>…".
    first, second = payload("path").split("/", 1)
    folder = root / first / second
    folder.mkdir(parents=True)
    assert payload("path") in str(folder)
    experiment = folder / f"{payload('name').replace('/', '')}.py"
    experiment.write_text(textwrap.dedent(f"""\
        import torch
        from torch import nn
        from torch.utils.data import DataLoader, TensorDataset

        epochs = 3
        Hostile = type({payload("model")!r}, (nn.Sequential,), {{}})


        def model():
            return Hostile(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 16), nn.ReLU(),
                           nn.Linear(16, 3))


        def data():
            g = torch.Generator().manual_seed(0)
            x = torch.randn(120, 8, generator=g)
            y = (x[:, 0] > 0).long() + (x[:, 1] > 0.5).long()
            split = lambda a, b: TensorDataset(x[a:b], y[a:b])
            return (DataLoader(split(0, 40), batch_size=20, shuffle=True),
                    DataLoader(split(40, 80), batch_size=40),
                    DataLoader(split(80, 120), batch_size=40))
        """))
    rules = root / "rules"
    rules.mkdir()
    rule = {"id": "hostile-rule", "when": "true", "priority": 99, "evidence": ["gap_ratio"],
            **{k: payload(k) for k in ("title", "advice", "why", "source")},
            # AdamW with the no-decay group: the generated code then names the model's class.
            "actions": {"set": {"decoupled": True, "exempt": "bias_and_norm"}}}
    # Advice only (no actions): the report shows the rule's own snippet.
    advice = {"id": "hostile-advice", "when": "true", "priority": 98, "title": "Advice",
              "advice": "Read the snippet.", "why": "It is the user's.", "source": "Mine",
              "snippet": payload("snippet")}
    verdict = {"verdict": "good_fit", "when": "true", "reason": payload("verdict")}
    (rules / "hostile.yaml").write_text(yaml.safe_dump({"verdicts": [verdict],
                                                        "rules": [rule, advice]}),
                                         encoding="utf-8")
    out = root / "run"
    _advise(experiment, out, n_trials=2, rules_dirs=[rules], command=payload("command"),
            study_name=payload("study"))
    for name in list(sys.modules):
        if name.startswith("_regadvisor_experiment_"):
            del sys.modules[name]
    return out


@pytest.fixture(scope="session")
def chromium() -> str:
    """The browser binary; skips when there is none, unless REGADVISOR_REQUIRE_BROWSER is set."""
    binary = find_chromium()
    if binary is None or not Path(binary).exists():
        if os.environ.get("REGADVISOR_REQUIRE_BROWSER"):
            pytest.fail("REGADVISOR_REQUIRE_BROWSER is set but no chromium was found; install "
                        "Debian's chromium or set REGADVISOR_CHROMIUM.")
        pytest.skip("no chromium installed (set REGADVISOR_CHROMIUM to point at one)")
    return binary
