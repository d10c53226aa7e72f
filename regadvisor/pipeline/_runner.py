"""The stage runner: every stage in order, with the RunResult saved after each one.

Each stage's functions are imported when the stage runs: importing the pipeline does not load
the verification or report modules.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from regadvisor._io import no_space
from regadvisor._record import to_plain
from regadvisor.errors import DiskFullError, RegAdvisorError, RunError
from regadvisor.experiment import Experiment, check_sample_counts
from regadvisor.pipeline._diagnosis import Diagnosis, diagnose
from regadvisor.pipeline._options import AdviseOptions, Hooks
from regadvisor.pipeline._record import (
    ArmPlacement,
    Recommendation,
    RunResult,
    start_record,
    write_outputs,
)
from regadvisor.training import RegConfig
from regadvisor.training.config import SEED_STEP
from regadvisor.tuning import defaults

if TYPE_CHECKING:
    from regadvisor.tuning import SearchSpace, TuneSettings, TuningResult
    from regadvisor.verification import Verification

__all__ = ["STAGES", "run_stages"]

STAGES = ("diagnose", "tune", "verify", "report")


def run_stages(experiment: Experiment, run_dir: Path, options: AdviseOptions,
               hooks: Hooks | None = None) -> RunResult:
    """Diagnose, tune, verify and report (``options.until="tune"``: diagnose and tune, for the
    ``tune`` command); save ``report.json`` after every stage.

    The run folder's record only grows: a stage that finished in an earlier run of the same
    experiment with the same settings is not run again (a complete run is reported as it is,
    an interrupted one resumes, its study too); a run with other settings keeps the earlier
    record under ``revisions/`` before it writes anything. An interruption or a failure leaves
    every finished stage in ``report.json``. The run holds the folder while it lasts: a second
    run on it is refused.

    Args:
        experiment: The loaded experiment.
        run_dir: The run folder (it exists).
        options: The run's settings.
        hooks: Progress callbacks.

    Returns:
        The RunResult, also saved in the run folder.

    Raises:
        ConfigError: The run folder holds a run of another experiment, another run holds it,
            something of the wrong kind stands where the record goes, or the record was altered.
        RunError: The experiment's code failed, or no trial completed.
        DiskFullError: The disk filled up; the message says which finished stages are kept.
    """
    from regadvisor._io import lock_run_dir

    hooks = hooks or Hooks()
    check_sample_counts(experiment)  # before the run folder is claimed
    with lock_run_dir(run_dir, "advise" if options.verifies else "tune"):
        try:
            result = start_record(experiment, run_dir, options)
        except OSError as e:
            reason = no_space(e)
            if reason is None:
                raise
            raise DiskFullError(f"copying the earlier run to '{run_dir / 'revisions'}'", reason,
                                "It stays as it was and nothing was changed: free space there "
                                "and run the same command again.") from e
        run = _Run(experiment, run_dir, options, hooks, result, set(result.finished_stages),
                   time.perf_counter())
        try:
            _run_all(run)
        except KeyboardInterrupt:
            _save_stopped(result, run_dir, _interruption(result))
            raise
        except Exception as e:
            _save_stopped(result, run_dir, f"{type(e).__name__}: {e}")
            reason = no_space(e)
            if reason is not None:
                where = e.where if isinstance(e, DiskFullError) else f"during {_current(result)}"
                raise DiskFullError(where, reason, _kept(run_dir)) from e
            raise
    return result


@dataclass
class _Run:
    """One run in progress: what it works on, and the record it keeps up to date."""

    experiment: Experiment
    run_dir: Path
    options: AdviseOptions
    hooks: Hooks
    result: RunResult
    done: set[str]  # the stages that had finished before this run started
    started: float = 0.0  # time.perf_counter() when the run started (the budget counts from it)
    # The top trials' re-runs, (trial number, seed) -> (History, model), for verification.
    kept: dict[tuple[int, int], tuple[Any, Any]] = field(default_factory=dict)

    def keep(self, number: int, seed: int, history: Any, model: Any) -> None:
        """Keep a re-run of a top trial (on the CPU): the winner's serve as verification's
        runs of the recommendation with their seeds."""
        self.kept[(number, seed)] = (history, model.to("cpu"))

    def winner_runs(self, tuning: TuningResult) -> dict[int, tuple[Any, Any]]:
        """The winner's kept re-runs by seed (the others' are let go)."""
        runs = {seed: run for (number, seed), run in self.kept.items()
                if number == tuning.best_trial}
        self.kept.clear()
        return runs

    def begin(self, name: str) -> float:
        """Tell the hooks that the stage starts; its start time (``time.perf_counter``)."""
        if self.hooks.stage:
            self.hooks.stage(name)
        return time.perf_counter()

    def finish(self, name: str, t0: float) -> None:
        """Record the stage as finished, clear the error, save the record (complete after the
        last stage asked for: verify, or tune for ``until="tune"``)."""
        result = self.result
        result.timings[name] = time.perf_counter() - t0
        if name not in result.finished_stages:
            result.finished_stages.append(name)
        if name == ("verify" if self.options.verifies else "tune"):
            result.status = "complete"
        result.error = None
        write_outputs(result, self.run_dir)


def _run_all(run: _Run) -> None:
    """Each stage that has not finished yet, in order."""
    from regadvisor.experiment import baseline_config

    diagnosis = _diagnose_stage(run)
    baseline = baseline_config(run.experiment, seed=run.options.seed)
    tuning = _tune_stage(run, diagnosis, baseline)
    if not run.options.verifies:
        return
    recommended = tuning.best_config
    if "verify" not in run.done:
        _verify_stage(run, diagnosis, baseline, recommended)
    if run.options.render and ("report" not in run.done
                               or not (run.run_dir / "report.html").exists()):
        _report_stage(run)


def _diagnose_stage(run: _Run) -> Diagnosis:
    """The diagnosis: the record's, or a new one."""
    if "diagnose" in run.done:
        return run.result.diagnosis
    options, hooks = run.options, run.hooks
    t0 = run.begin("diagnose")
    with _user_code("the diagnosis", options.device):
        diagnosis = diagnose(run.experiment, epochs=options.diagnostic_epochs,
                             budget_seconds=options.budget_seconds or _diagnosis_budget(options),
                             device=options.device, seed=options.seed,
                             rules_dirs=options.rules_dirs, ruleset=options.ruleset,
                             callbacks=[hooks.epoch] if hooks.epoch else [],
                             # When verification follows, the run it would train first is
                             # this one.
                             to_end=options.verifies)
    run.result.diagnosis = diagnosis
    run.finish("diagnose", t0)
    return diagnosis


def _tune_stage(run: _Run, diagnosis: Diagnosis, baseline: RegConfig) -> TuningResult:
    """The tuning result: the record's, or a new study over the space the findings open."""
    from regadvisor.tuning import TuneSettings, build_space, tune
    from regadvisor.tuning.storage import open_storage

    if "tune" in run.done:
        return run.result.tuning
    options, result = run.options, run.result
    t0 = run.begin("tune")
    space = build_space(diagnosis.findings, diagnosis.facts, options.space_overrides,
                        diagnosis.inspection.dropout_targets)
    result.space = space
    fields = {"n_trials": options.n_trials, "objective": options.objective,
              "seed": options.seed, "pruner": options.pruner, "storage": options.storage,
              "study_name": options.study_name, "device": options.device,
              "heartbeat_seconds": options.heartbeat_seconds,
              "reference_loss": diagnosis.facts.get("val_loss_last"), **options.tuning}
    if run.hooks.search:
        run.hooks.search(diagnosis, space)
    # The storage is opened once, and the run folder's study found in it, before a --budget's
    # plan reads the clock (a new SQLite file, a database server's connection and the database
    # libraries' first use take a few tenths of a second), so that the plan divides the time
    # that is really left.
    settings = TuneSettings(**fields)
    storage = open_storage(settings, run.run_dir)
    settings, note = _folder_study(run, space, settings, storage)
    settings = dataclasses.replace(settings, **_plan(run, diagnosis, space))
    tuning = tune(run.experiment, space, settings, run.run_dir, on_trial=run.hooks.trial,
                  on_rerun=run.hooks.rerun, start_workers=run.hooks.start_workers,
                  keep=run.keep if options.verifies else None, storage=storage)
    if note:
        tuning.notes.append(note)
    result.tuning = tuning
    if tuning.best_config is None:
        raise RunError(_no_winner(tuning))
    with _user_code("tuning", options.device):
        result.placements = _placements(run.experiment, baseline, tuning.best_config)
    run.finish("tune", t0)
    return tuning


def _folder_study(run: _Run, space: SearchSpace, settings: TuneSettings,
                  storage: tuple[str, Any]) -> tuple[TuneSettings, str | None]:
    """With no --storage and no --study-name: the study of the run folder's ``study.db`` that
    takes this search space (see :func:`~regadvisor.tuning.storage.study_for_space`), and a
    note when it is not the folder's default study.

    A re-run with other settings is a new revision of the folder's run, and its search space
    is known only once its diagnosis has run (other ranges, rules, diagnostic epochs or seed
    can each change it). Refusing a changed space then would leave a failed partial run;
    refusing up front could not know. So a space the folder's study was not made with gets a
    study of its own beside it in the same file: the earlier study keeps its trials for the
    earlier revision, and the same command later resumes the study it chose.
    """
    from regadvisor.tuning.storage import default_study_name, study_for_space

    options = run.options
    if options.storage is not None or options.study_name is not None:
        return settings, None  # a study the user named: resumed as it is, or refused
    name = study_for_space(run.experiment, space, settings, storage)
    default = default_study_name(run.experiment)
    note = None if name == default else (
        f"The run folder's study {default!r} was made with another search space or objective "
        f"(an earlier run's); this run's trials are in the study "
        f"{name!r} of the same study.db.")
    return dataclasses.replace(settings, study_name=name), note


def _diagnosis_budget(options: AdviseOptions) -> float | None:
    """A wall-time ``--budget`` gives the diagnosis at most a quarter of it (a budget in full
    trainings needs none: the diagnosis trains at most one)."""
    from regadvisor.pipeline._budget import parse_budget

    seconds = parse_budget(options.budget).seconds if options.budget else None
    return 0.25 * seconds if seconds else None


def _measure_seconds(run: _Run, space: SearchSpace) -> float:
    """What verification will spend measuring one run on the held-out set, per run of either
    arm, from a fresh model: a pass of :func:`~regadvisor.verification.held_out.evaluate_model`
    over the held-out data, timed after one untimed pass (the first pays for what a process
    sets up once), counted twice (the held-out set, and the validation set for the run's
    temperature), and :data:`~regadvisor.verification.calibration.MC_PASSES` timed forward
    passes more when the arm's model has dropout: the user's when it has some, the
    recommendation's when it has some or the search space can inject it. The clock the plan
    reads counts these passes as spent."""
    import torch

    from regadvisor.training.batch import forward, split_batch, to_device
    from regadvisor.verification.calibration import MC_PASSES, has_dropout
    from regadvisor.verification.held_out import evaluate_model

    experiment, device = run.experiment, torch.device(run.options.device)
    loader = experiment.test_loader or experiment.val_loader
    with _user_code("timing a measurement", device):
        model = experiment.model_factory().to(device)
        for _ in range(2):  # the second pass is timed
            t0 = time.perf_counter()
            evaluate_model(model, loader, experiment.task, device, experiment.loss_factory,
                           batch_fn=experiment.batch)
            one = time.perf_counter() - t0
        if experiment.task != "classification":  # no MC passes, no temperature
            return one
        model.eval()
        t0 = time.perf_counter()
        with torch.no_grad():
            for batch in loader:
                forward(model, to_device(split_batch(batch, experiment.batch)[0], device))
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        passes = time.perf_counter() - t0
    user = has_dropout(model)
    recommended = user or "dropout" in space.params
    return 2 * one + MC_PASSES * passes * (user + recommended) / 2


def _plan(run: _Run, diagnosis: Diagnosis, space: SearchSpace) -> dict[str, Any]:
    """With ``--budget``: the plan (made once, kept in the record) as TuneSettings fields."""
    from regadvisor.pipeline._budget import (
        REPORT_SECONDS,
        full_run_seconds,
        make_plan,
        parse_budget,
        plan_fields,
        tuning_fields,
    )

    options, result = run.options, run.result
    if not options.budget:
        if run.hooks.plan:
            run.hooks.plan({"n_trials": options.n_trials, "text": _estimate(run, diagnosis)})
        return {}
    if result.plan is None:
        verify = options.verifies
        measure = _measure_seconds(run, space) if verify else 0.0
        plan = make_plan(parse_budget(options.budget),
                         full_run_seconds(diagnosis.facts, run.experiment.epochs),
                         time.perf_counter() - run.started, n_trials=options.n_trials,
                         seeds=options.seeds, top_k=options.tuning.get("top_k", defaults.TOP_K),
                         extra_seeds=options.tuning.get("extra_seeds", defaults.EXTRA_SEEDS),
                         verify=verify, reused=1 if diagnosis.trained else 0,
                         report_seconds=REPORT_SECONDS if options.render and verify else 0.0,
                         measure_seconds=measure)
        result.plan = plan_fields(plan)
        write_outputs(result, run.run_dir)
    if run.hooks.plan:
        run.hooks.plan(result.plan)
    return tuning_fields(result.plan)


def _estimate(run: _Run, diagnosis: Diagnosis) -> str:
    """Without --budget: what the run will train, and about how long it takes."""
    from regadvisor.pipeline._budget import estimate_text, full_run_seconds

    options = run.options
    return estimate_text(full_run_seconds(diagnosis.facts, run.experiment.epochs),
                         n_trials=options.n_trials,
                         top_k=options.tuning.get("top_k", defaults.TOP_K),
                         extra_seeds=options.tuning.get("extra_seeds", defaults.EXTRA_SEEDS),
                         seeds=options.seeds, max_seeds=max(options.seeds, options.max_seeds),
                         verify=options.verifies, reused=1 if diagnosis.trained else 0)


def _planned_seeds(run: _Run, reused: list[int]) -> tuple[int, int]:
    """Verification's first look and cap under a --budget: re-planned from the time left, a
    full run as the trials measured it (seconds per epoch × the user's epochs) and the runs it
    reuses (``reused``: the k of each seed ``seed + 100·k`` with a run already trained, per
    arm); the cap is the most seeds up to ``--max-seeds`` that fit at the diagnosis' timing."""
    from regadvisor.pipeline._budget import verification_seeds

    trials = [t for t in run.result.tuning.trials if t.seconds and t.epochs_run]
    per_epoch = (sorted(t.seconds / t.epochs_run for t in trials)[len(trials) // 2]
                 if trials else 0.0)
    elapsed = time.perf_counter() - run.started
    run_seconds = per_epoch * run.experiment.epochs

    def taken(n: int) -> int:
        return sum(1 for k in reused if k < n)

    seeds = verification_seeds(run.result.plan, elapsed, run_seconds, reused=taken)
    # The cap at the diagnosis' timing of a full run, without the margin: the deadline still
    # stops verification when the seeds run slower.
    cap = verification_seeds(run.result.plan, elapsed, run.result.plan["full_run_seconds"],
                             reused=taken, most=max(seeds, run.options.max_seeds),
                             margin=False)
    run.result.plan["seeds_verified"] = seeds
    run.result.plan["max_seeds"] = max(seeds, cap)
    return seeds, max(seeds, cap)


def _deadline(run: _Run) -> float | None:
    """Under a --budget: the ``time.perf_counter()`` reading by which verification must end
    (the budget's end less the time set aside for the report); ``None`` without one."""
    from regadvisor.pipeline._budget import REPORT_SECONDS

    plan = run.result.plan
    if not plan:
        return None
    return run.started + plan["total_seconds"] - plan.get("report_seconds", REPORT_SECONDS)


def _placements(experiment: Experiment, baseline: RegConfig,
                recommended: RegConfig) -> dict[str, ArmPlacement]:
    """For the user's setup and the tuned candidate: the config and where it puts weight decay
    and dropout in the user's model."""
    from regadvisor.training import placement

    return {key: ArmPlacement(config, placement(experiment.model_factory, config,
                                                experiment.task))
            for key, config in (("baseline", baseline), ("recommended", recommended))}


def _verify_stage(run: _Run, diagnosis: Diagnosis, baseline: RegConfig,
                  recommended: RegConfig) -> None:
    """Verification of the tuned candidate against the user's setup, and the recommendation."""
    from regadvisor.verification import verify

    options, result = run.options, run.result
    t0 = run.begin("verify")
    # The diagnosis trained the user's setup at full length with the first seed: the
    # same run as verification's first seed of the baseline; it is not trained again. The
    # winner's re-runs are verification's runs of the recommendation with their seeds.
    reuse = {options.seed: diagnosis.trained} if diagnosis.trained else {}
    reuse_recommended = run.winner_runs(result.tuning) if result.tuning else {}
    with _user_code("verification", options.device):
        taken = [(s - options.seed) // SEED_STEP for s in [*reuse, *reuse_recommended]]
        seeds, cap = (_planned_seeds(run, taken) if result.plan
                      else (options.seeds, max(options.seeds, options.max_seeds)))
        verification = verify(run.experiment, baseline, recommended, seeds=seeds,
                              seed=options.seed, device=options.device,
                              on_run=run.hooks.verify, reuse=reuse,
                              reuse_recommended=reuse_recommended, max_seeds=cap,
                              deadline=_deadline(run),
                              budget_cap=cap < max(seeds, options.max_seeds))
    if result.plan:
        result.plan["seeds_verified"] = len(verification.seeds)
    result.verification = verification
    result.recommendation = _recommendation(verification, baseline, recommended,
                                            result.placements or {})
    run.finish("verify", t0)


def _recommendation(verification: Verification, baseline: RegConfig, recommended: RegConfig,
                    placements: dict[str, ArmPlacement]) -> Recommendation:
    """The config to use (the user's own when verification keeps it) and its changes."""
    from regadvisor._format import config_changes

    kept = verification.keep_baseline
    arms = {key: to_plain(arm.placement) for key, arm in placements.items()}
    tried = to_plain(config_changes(to_plain(baseline), to_plain(recommended),
                                    arms.get("baseline"), arms.get("recommended")))
    return Recommendation(kept_baseline=kept, config=baseline if kept else recommended,
                          diff=[] if kept else tried, summary=verification.summary,
                          decision=verification.decision, tried=tried)


def _report_stage(run: _Run) -> None:
    """report.html from the record; the record keeps its error (unlike the other stages)."""
    result = run.result
    t0 = run.begin("report")
    from regadvisor.report import render_report

    render_report(result, run.run_dir)
    result.timings["report"] = time.perf_counter() - t0
    if "report" not in result.finished_stages:
        result.finished_stages.append("report")
    write_outputs(result, run.run_dir)


def _user_code(stage: str, device: Any) -> contextlib.AbstractContextManager[None]:
    """Errors from the user's code in a stage (``sys.exit()`` included) become one-line errors
    that name the stage."""
    from regadvisor.training.faults import user_code

    return user_code(stage, device)


def _save_stopped(result: RunResult, run_dir: Path, error: str) -> None:
    """Save the record of a run that stopped early: ``partial`` unless it was complete.

    When the record cannot be written (the disk is full, the folder became read-only), the one
    already there stays whole (files are replaced, never written in place) and the error that
    stopped the run is the one reported.
    """
    if result.status != "complete":
        result.status = "partial"
    result.error = error
    try:
        write_outputs(result, run_dir)
    except RegAdvisorError:
        pass


def _kept(run_dir: Path) -> str:
    """What a run stopped by a full disk keeps, as the record on disk says, and how to go on."""
    try:
        record = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
        stages = [str(s) for s in record.get("finished_stages") or []]
    except (OSError, ValueError, AttributeError, TypeError):
        stages = []
    if not stages:
        return "No stage had finished yet. Free space there and run the same command again."
    study = "; the study keeps every finished trial" if "tune" not in stages else ""
    return (f"Kept in '{run_dir}': report.json with the finished stages {', '.join(stages)}"
            f"{study}. Free space there and run the same command to resume: the finished "
            "stages are not run again.")


def _interruption(result: RunResult) -> str:
    """The error of an interrupted run: the stage it was in and the stages that finished."""
    return ("Interrupted during " + _current(result) + "; finished stages: "
            + (", ".join(result.finished_stages) or "none") + ".")


def _no_winner(tuning: TuningResult) -> str:
    """Why tuning has no winner: no trial completed, with the counts and the commonest cause."""
    trials = tuning.trials
    from regadvisor.tuning import trial_counts_text

    causes = Counter(t.error for t in trials if t.error)
    counts = trial_counts_text(trials) or "no trials"
    cause = f" The commonest cause: {causes.most_common(1)[0][0]}" if causes else ""
    return (f"No trial completed ({counts}), so there is nothing to recommend."
            f"{cause.rstrip('.')}."
            " Fix the cause (a validation loss that becomes NaN usually means a learning rate "
            "too high or a bug in the loss) and run the same command to resume.")


def _current(result: RunResult) -> str:
    """The first stage that has not finished (``the end`` when all have)."""
    for name in STAGES:
        if name not in result.finished_stages:
            return name
    return "the end"
