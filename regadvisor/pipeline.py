"""The one module that calls the stages in order.

experiment → inspect + diagnostic training (diagnosis) → rules → (tuning → verification → report)
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regadvisor.diagnosis.facts import Facts
from regadvisor.diagnosis.inspect import Inspection
from regadvisor.diagnosis.run import DiagnosticRun, run_diagnostic
from regadvisor.errors import ConfigError, RegAdvisorError, RunError
from regadvisor.experiment import Experiment
from regadvisor.rules import Finding, RuleSet, Verdict, evaluate_rules, load_rules
from regadvisor.training import EpochCallback, History
from regadvisor.tuning import defaults

__all__ = ["DIAGNOSIS_SCHEMA_VERSION", "Diagnosis", "diagnose"]

DIAGNOSIS_SCHEMA_VERSION = 1


@dataclass
class Diagnosis:
    """What the diagnose stage hands on: facts, verdict, ranked findings and their evidence."""

    experiment: dict[str, Any]
    facts: Facts
    verdict: Verdict
    findings: list[Finding]
    history: History
    inspection: Inspection
    seconds: float
    epochs_requested: int
    rule_files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    trained: Any = None  # the full-length run of the user's setup, when it went that far

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": DIAGNOSIS_SCHEMA_VERSION,
            "experiment": self.experiment,
            "verdict": self.verdict.to_dict(),
            "facts": {k: _json_value(v) for k, v in self.facts.items()},
            "findings": [f.to_dict() for f in self.findings],
            "history": self.history.to_dict(),
            "inspection": self.inspection.to_dict(),
            "seconds": self.seconds,
            "epochs_requested": self.epochs_requested,
            "rule_files": self.rule_files,
            "notes": self.notes,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Diagnosis:
        return cls(
            experiment=d["experiment"],
            facts=Facts(d["facts"]),
            verdict=Verdict.from_dict(d["verdict"]),
            findings=[Finding.from_dict(f) for f in d["findings"]],
            history=History.from_dict(d["history"]),
            inspection=Inspection.from_dict(d["inspection"]),
            seconds=d["seconds"],
            epochs_requested=d["epochs_requested"],
            rule_files=list(d.get("rule_files", [])),
            notes=list(d.get("notes", [])),
        )


def _json_value(v: Any) -> Any:
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def judge(ruleset: RuleSet, facts: Facts) -> tuple[Verdict, list[Finding]]:
    """The verdict (also recorded as the fact ``verdict``) and the ranked findings."""
    evaluation = evaluate_rules(ruleset, facts)
    facts["verdict"] = evaluation.verdict.name
    return evaluation.verdict, evaluation.findings


def diagnose(
    experiment: Experiment,
    *,
    epochs: int | None = None,
    budget_seconds: float | None = None,
    device: Any = "cpu",
    seed: int = 0,
    rules_dirs: Sequence[str | Path] = (),
    ruleset: RuleSet | None = None,
    callbacks: Sequence[EpochCallback] = (),
) -> Diagnosis:
    """Inspect the experiment, train its setup as long as the verdict needs, judge it.

    The short run (20 % of the experiment's epochs, at least 10) goes on while the verdict
    rules say ``undecided``, up to the experiment's epochs (see
    :func:`regadvisor.diagnosis.run.run_diagnostic`).

    Args:
        experiment: The loaded experiment.
        epochs: Train exactly this many diagnostic epochs and judge them.
        budget_seconds: Wall-time budget of the diagnostic training.
        device: Where to train.
        seed: Training seed.
        rules_dirs: Extra rule folders (``--rules``) that add or override bundled rules.
        ruleset: Rules already loaded (``rules_dirs`` is then ignored).
        callbacks: Per-epoch callbacks (progress display).
    """
    ruleset = ruleset or load_rules([Path(d) for d in rules_dirs])

    def settled(facts: Facts) -> bool:
        return evaluate_rules(ruleset, facts).verdict.name != "undecided"

    run: DiagnosticRun = run_diagnostic(experiment, epochs=epochs, budget_seconds=budget_seconds,
                                        device=device, seed=seed, settled=settled,
                                        callbacks=callbacks)
    verdict, findings = judge(ruleset, run.facts)
    return Diagnosis(
        experiment=experiment.summary(),
        facts=run.facts,
        verdict=verdict,
        findings=findings,
        history=run.history,
        inspection=run.inspection,
        seconds=run.seconds,
        epochs_requested=run.epochs_requested,
        rule_files=[str(f) for f in getattr(ruleset, "files", ())],
        notes=run.notes,
        trained=(run.history, run.model) if run.model is not None else None,
    )


# ---------------------------------------------------------------------------------------------
# advise: every stage in order, with a RunResult saved as report.json
# ---------------------------------------------------------------------------------------------

RUN_SCHEMA_VERSION = 1
STAGES = ("diagnose", "tune", "verify", "report")


@dataclass
class RunResult:
    """Everything one ``advise`` run produced; saved as ``report.json``, the report's only source.

    ``status`` is ``complete`` or ``partial`` (interrupted or failed); ``finished_stages`` says
    which stages finished. ``settings`` are the settings that shape the results (a re-run with
    other settings starts a new revision; the earlier record is kept under ``revisions/``, listed
    in ``revisions``). ``placements`` holds, for the user's setup (``baseline``) and the
    tuned candidate (``recommended``), the config and where it puts weight decay and dropout in
    the user's model: the one source of the report's change table, code and badges.
    """

    command: str
    versions: dict[str, str]
    device: str
    seed: int
    experiment: dict[str, Any]
    status: str = "partial"
    finished_stages: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    diagnosis: dict[str, Any] | None = None
    space: dict[str, Any] | None = None
    tuning: dict[str, Any] | None = None
    placements: dict[str, Any] | None = None
    verification: dict[str, Any] | None = None
    recommendation: dict[str, Any] | None = None
    error: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)
    revisions: list[str] = field(default_factory=list)
    resumed: bool = False
    schema_version: int = RUN_SCHEMA_VERSION

    def to_dict(self) -> dict[str, Any]:
        import dataclasses

        return _clean(dataclasses.asdict(self))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, allow_nan=False)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> RunResult:
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in d.items() if k in known})


def _clean(obj: Any) -> Any:
    """Replace NaN and infinities by None so the JSON is standard."""
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def versions() -> dict[str, str]:
    import platform

    import optuna
    import torch

    from regadvisor import __version__

    return {"python": platform.python_version(), "torch": torch.__version__,
            "optuna": optuna.__version__, "regadvisor": __version__}


def write_trials_csv(tuning: dict[str, Any], path: Path) -> None:
    """One row per trial, parameters as ``param_<name>`` columns."""
    import pandas as pd

    from regadvisor._io import atomic_write_text

    rows = []
    for t in tuning["trials"]:
        row = {k: v for k, v in t.items() if k != "params"}
        row.update({f"param_{k}": v for k, v in (t.get("params") or {}).items()})
        rows.append(row)
    atomic_write_text(path, pd.DataFrame(rows).to_csv(index=False))


def write_outputs(result: RunResult, run_dir: Path) -> None:
    """report.json, histories.csv and trials.csv, each written atomically."""
    import pandas as pd

    from regadvisor._io import atomic_write_text

    atomic_write_text(run_dir / "report.json", result.to_json())
    frames = []
    if result.diagnosis:
        h = pd.DataFrame(result.diagnosis["history"]["records"])
        h.insert(0, "run", "diagnosis")
        frames.append(h)
    if result.verification:
        for arm, hist in result.verification.get("histories", {}).items():
            h = pd.DataFrame(hist["records"])
            h.insert(0, "run", f"verification-{arm}")
            frames.append(h)
    if frames:
        atomic_write_text(run_dir / "histories.csv",
                          pd.concat(frames, ignore_index=True).to_csv(index=False))
    if result.tuning:
        write_trials_csv(result.tuning, run_dir / "trials.csv")


@dataclass
class AdviseOptions:
    """Settings of an ``advise`` run (flags of the CLI, arguments of the Python API).

    ``tuning`` holds further :class:`~regadvisor.tuning.TuneSettings` fields (``monitor``,
    ``min_delta``, ``min_resource``, ``top_k``, ``extra_seeds``) for experiments with the
    defaults; the benchmarks use it.
    """

    diagnostic_epochs: int | None = None
    budget_seconds: float | None = None
    rules_dirs: Sequence[str | Path] = ()
    n_trials: int = defaults.N_TRIALS
    objective: str = "val_metric"
    pruner: str = defaults.PRUNER
    storage: str | None = None
    study_name: str | None = None
    seeds: int = 3
    seed: int = 0
    device: Any = "cpu"
    space_overrides: dict[str, Any] = field(default_factory=dict)
    command: str = ""
    render: bool = True
    tuning: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from regadvisor._secrets import register

        register(self.storage)

    def key(self, experiment: Experiment) -> dict[str, Any]:
        """The settings that shape the results, comparable between runs (JSON-ready)."""
        from regadvisor._secrets import mask_url

        return _clean({
            "n_trials": self.n_trials, "seeds": self.seeds, "seed": self.seed,
            "objective": self.objective, "pruner": self.pruner,
            "diagnostic_epochs": self.diagnostic_epochs, "budget_seconds": self.budget_seconds,
            "rules": [_folder_digest(Path(d)) for d in self.rules_dirs],
            "space": {k: dataclasses.asdict(v) if dataclasses.is_dataclass(v) else v
                      for k, v in sorted(self.space_overrides.items())},
            "storage": mask_url(self.storage) if self.storage else None,
            "study_name": self.study_name, "device": str(self.device).split(":")[0],
            "tuning": dict(sorted(self.tuning.items())),
            "experiment": experiment.fingerprint,
        })


@dataclass
class Hooks:
    """Progress callbacks of :func:`advise` (all optional)."""

    stage: Any = None          # stage(name) when a stage starts
    epoch: Any = None          # per-epoch callback of the diagnostic training
    trial: Any = None          # trial(study, frozen_trial)
    rerun: Any = None          # rerun(done, total)
    verify: Any = None         # verify(done, total)


def _folder_digest(folder: Path) -> str:
    """A rules folder by its content: the same path with edited rules is other settings."""
    import hashlib

    h = hashlib.sha256()
    for path in sorted(folder.glob("*.y*ml")) if folder.is_dir() else []:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return f"{folder}#{h.hexdigest()[:12]}"


def previous_run(run_dir: Path) -> dict[str, Any] | None:
    """The record a run folder already holds (``report.json``), or None.

    A file that cannot be read as a record is moved aside (``report.json.unreadable-<n>``), not
    deleted, and the folder counts as empty.
    """
    path = run_dir / "report.json"
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(data, dict) and data.get("schema_version") == RUN_SCHEMA_VERSION:
            return data
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        pass
    n = 1
    while (run_dir / f"report.json.unreadable-{n}").exists():
        n += 1
    path.rename(run_dir / f"report.json.unreadable-{n}")
    return None


#: The files of a run folder's record that a new revision keeps a copy of.
RECORD_FILES = ("report.json", "report.html", "histories.csv", "trials.csv")


def archive(run_dir: Path) -> str:
    """Copy the folder's record into ``revisions/<n>/`` (whole or not at all) and return it."""
    import os
    import shutil

    root = run_dir / "revisions"
    root.mkdir(exist_ok=True)
    n = 1
    while (root / str(n)).exists():
        n += 1
    tmp = root / f".{n}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir()
    for name in RECORD_FILES:
        if (run_dir / name).is_file():
            shutil.copy2(run_dir / name, tmp / name)
    os.replace(tmp, root / str(n))
    return f"revisions/{n}"


def _start(experiment: Experiment, run_dir: Path, options: AdviseOptions) -> RunResult:
    """The record this run continues: the folder's own (same experiment, same settings), or a
    new one (the folder's earlier record, if any, kept as a revision).

    Raises:
        ConfigError: The folder holds a run of another experiment.
    """
    key = options.key(experiment)
    previous = previous_run(run_dir)
    revisions: list[str] = []
    if previous is not None:
        owner = (previous.get("experiment") or {}).get("fingerprint")
        if owner and owner != experiment.fingerprint:
            name = (previous.get("experiment") or {}).get("name", "?")
            raise ConfigError(
                f"Run folder '{run_dir}' holds a run of another experiment ({name}, identity "
                f"{owner}; this one is {experiment.name}, identity {experiment.fingerprint}). "
                "Its results stay as they are: pass a new --output folder for this experiment.")
        revisions = list(previous.get("revisions") or [])
        if previous.get("settings") == key:
            result = RunResult.from_dict(previous)
            result.resumed = True
            result.command = options.command or result.command
            return result
        revisions.append(archive(run_dir))
    return RunResult(command=options.command, versions=versions(), device=str(options.device),
                     seed=options.seed, experiment=experiment.summary(), settings=key,
                     revisions=revisions)


def _user_code(stage: str, device: Any):
    """Errors from the user's code in a stage become one-line errors that name the stage."""
    import contextlib

    from regadvisor.training.faults import user_code_error

    @contextlib.contextmanager
    def guard():
        try:
            yield
        except (KeyboardInterrupt, RegAdvisorError):
            raise
        except Exception as e:
            raise user_code_error(e, stage, device) from e

    return guard()


def advise(experiment: Experiment, run_dir: Path, options: AdviseOptions,
           hooks: Hooks | None = None) -> RunResult:
    """Diagnose, tune, verify and report; save ``report.json`` after every stage.

    The run folder's record only grows: a stage that finished in an earlier run of the same
    experiment with the same settings is not run again (a complete run is reported as it is,
    an interrupted one resumes, its study too); a run with other settings keeps the earlier
    record under ``revisions/`` before it writes anything. An interruption or a failure leaves
    every finished stage in ``report.json``.

    Raises:
        ConfigError: The run folder holds a run of another experiment.
        RunError: The experiment's code failed, or no trial completed.
    """
    import time

    from regadvisor.experiment import baseline_config
    from regadvisor.report.format import config_changes
    from regadvisor.training import RegConfig, placement
    from regadvisor.tuning import TuneSettings, TuningResult, build_space, tune
    from regadvisor.verification import verify

    hooks = hooks or Hooks()
    result = _start(experiment, run_dir, options)
    done = set(result.finished_stages)

    def stage(name: str) -> float:
        if hooks.stage:
            hooks.stage(name)
        return time.perf_counter()

    def finish(name: str, t0: float) -> None:
        result.timings[name] = time.perf_counter() - t0
        if name not in result.finished_stages:
            result.finished_stages.append(name)
        result.error = None
        write_outputs(result, run_dir)

    try:
        if "diagnose" in done:
            diagnosis = Diagnosis.from_dict(result.diagnosis)
        else:
            t0 = stage("diagnose")
            with _user_code("the diagnosis", options.device):
                diagnosis = diagnose(experiment, epochs=options.diagnostic_epochs,
                                     budget_seconds=options.budget_seconds,
                                     device=options.device, seed=options.seed,
                                     rules_dirs=options.rules_dirs,
                                     callbacks=[hooks.epoch] if hooks.epoch else [])
            result.diagnosis = diagnosis.to_dict()
            finish("diagnose", t0)

        baseline = baseline_config(experiment, seed=options.seed)
        if "tune" in done:
            tuning = TuningResult.from_dict(result.tuning)
        else:
            t0 = stage("tune")
            space = build_space(diagnosis.findings, diagnosis.facts, options.space_overrides)
            result.space = space.to_dict()
            settings = TuneSettings(n_trials=options.n_trials, objective=options.objective,
                                    seed=options.seed, pruner=options.pruner,
                                    storage=options.storage, study_name=options.study_name,
                                    device=options.device,
                                    reference_loss=diagnosis.facts.get("val_loss_last"),
                                    **options.tuning)
            tuning = tune(experiment, space, settings, run_dir, on_trial=hooks.trial,
                          on_rerun=hooks.rerun)
            result.tuning = tuning.to_dict()
            if not tuning.best_config:
                raise RunError(_no_winner(tuning.to_dict()))
            with _user_code("tuning", options.device):
                result.placements = {
                    key: {"config": config.to_dict(),
                          "placement": placement(experiment.model_factory, config,
                                                 experiment.task).to_dict()}
                    for key, config in (("baseline", baseline),
                                        ("recommended", RegConfig.from_dict(tuning.best_config)))}
            finish("tune", t0)
        recommended = RegConfig.from_dict(tuning.best_config)

        if "verify" not in done:
            t0 = stage("verify")
            # The diagnosis trained the user's setup at full length with the first seed: the
            # same run as verification's first seed of the baseline; it is not trained again.
            reuse = {options.seed: diagnosis.trained} if diagnosis.trained else {}
            with _user_code("verification", options.device):
                verification = verify(experiment, baseline, recommended, seeds=options.seeds,
                                      seed=options.seed, device=options.device,
                                      on_run=hooks.verify, reuse=reuse)
            result.verification = verification.to_dict()
            kept = verification.keep_baseline
            placements = result.placements or {}
            result.recommendation = {
                "kept_baseline": kept,
                "config": (baseline if kept else recommended).to_dict(),
                "diff": [] if kept else config_changes(
                    baseline.to_dict(), recommended.to_dict(),
                    (placements.get("baseline") or {}).get("placement"),
                    (placements.get("recommended") or {}).get("placement")),
                "summary": verification.summary,
            }
            result.status = "complete"
            finish("verify", t0)
        if options.render and ("report" not in done or not (run_dir / "report.html").exists()):
            t0 = stage("report")
            from regadvisor.report import render_report

            render_report(result, run_dir)
            result.timings["report"] = time.perf_counter() - t0
            if "report" not in result.finished_stages:
                result.finished_stages.append("report")
            write_outputs(result, run_dir)
    except KeyboardInterrupt:
        result.status = "partial" if result.status != "complete" else result.status
        result.error = ("Interrupted during " + _current(result) + "; finished stages: "
                        + (", ".join(result.finished_stages) or "none") + ".")
        write_outputs(result, run_dir)
        raise
    except Exception as e:
        if result.status != "complete":
            result.status = "partial"
        result.error = f"{type(e).__name__}: {e}"
        write_outputs(result, run_dir)
        raise
    return result


def _no_winner(tuning: dict[str, Any]) -> str:
    """Why tuning has no winner: no trial completed, with the counts and the commonest cause."""
    from collections import Counter

    trials = tuning.get("trials") or []
    states = Counter(t["state"].lower() for t in trials)
    causes = Counter(t["error"] for t in trials if t.get("error"))
    counts = ", ".join(f"{n} {state}" for state, n in states.items()) or "no trials"
    cause = f" The commonest cause: {causes.most_common(1)[0][0]}" if causes else ""
    return (f"No trial completed ({counts}), so there is nothing to verify.{cause.rstrip('.')}."
            " Fix the cause (a validation loss that becomes NaN usually means a learning rate "
            "too high or a bug in the loss) and run the same command to resume.")


def _current(result: RunResult) -> str:
    for name in STAGES:
        if name not in result.finished_stages:
            return name
    return "the end"


def run_advise(
    experiment: str | Experiment | None = None,
    *,
    model: Any = None,
    data: Any = None,
    optimizer: Any = None,
    loss: Any = None,
    task: str | None = None,
    epochs: int | None = None,
    metric: str | None = None,
    output: str | Path | None = None,
    device: str = "auto",
    **options: Any,
) -> RunResult:
    """The Python API of ``regadvisor advise``.

    Give an experiment (a path, module or bundled example name, or an :class:`Experiment`), or
    its pieces as objects (``model=`` and ``data=`` factories, optionally ``optimizer=``,
    ``loss=``, ``task=``, ``epochs=``, ``metric=``). Other keyword arguments are
    :class:`AdviseOptions` fields (``n_trials``, ``seeds``, ``objective``, ...).

    Returns:
        The RunResult; the run folder holds report.html, report.json and the CSVs.
    """
    from regadvisor._io import make_run_dir
    from regadvisor.experiment import build_experiment, load_experiment
    from regadvisor.training import resolve_device

    dev = resolve_device(device)
    if isinstance(experiment, Experiment):
        exp = experiment
    elif model is not None or data is not None:
        exp = build_experiment(model=model, data=data, optimizer=optimizer, loss=loss, task=task,
                               epochs=epochs, metric=metric, device=dev)
    else:
        exp = load_experiment(experiment, device=str(dev))
    run_dir = make_run_dir(output, exp.name)
    opts = AdviseOptions(device=dev, **options)
    return advise(exp, run_dir, opts)
