"""``regadvisor tune``: search the regularization the diagnosis calls for.

With ``--storage URL --study-name NAME`` any number of processes, on any machines, share one
study; ``--workers N`` starts N processes on this machine.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from regadvisor._io import atomic_write_text, check_run_dir, lock_run_dir, make_run_dir
from regadvisor._record import to_json
from regadvisor.cli._common import (
    BudgetOpt,
    DataOpt,
    DebugOpt,
    DeviceOpt,
    DiagEpochsOpt,
    DropoutRangeOpt,
    ExperimentArg,
    LossOpt,
    ModelOpt,
    ObjectiveOpt,
    OptimizerOpt,
    OutputOpt,
    PatienceRangeOpt,
    PrunerOpt,
    QuietOpt,
    RangeOpt,
    RulesOpt,
    SeedOpt,
    SpaceOpt,
    StorageOpt,
    StudyNameOpt,
    ThreadsOpt,
    TrialsOpt,
    WorkersOpt,
    console,
    handle_errors,
    objective_name,
    set_threads,
    space_overrides,
)
from regadvisor.cli._progress import progress_bar
from regadvisor.cli._stages import stage_hooks
from regadvisor.cli._workers import option_args, start_workers
from regadvisor.tuning import defaults

if TYPE_CHECKING:
    from regadvisor.experiment import Experiment
    from regadvisor.pipeline import Diagnosis
    from regadvisor.rules import RuleSet
    from regadvisor.tuning import SearchSpace, TuneSettings, TuningResult


@handle_errors
def tune_command(
    experiment: ExperimentArg = None,
    model: ModelOpt = None,
    data: DataOpt = None,
    optimizer: OptimizerOpt = None,
    loss: LossOpt = None,
    n_trials: TrialsOpt = defaults.N_TRIALS,
    objective: ObjectiveOpt = None,
    pruner: PrunerOpt = defaults.PRUNER,
    diagnostic_epochs: DiagEpochsOpt = None,
    rules: RulesOpt = None,
    space: SpaceOpt = None,
    wd_range: RangeOpt = None,
    dropout_range: DropoutRangeOpt = None,
    patience_range: PatienceRangeOpt = None,
    storage: StorageOpt = None,
    study_name: StudyNameOpt = None,
    workers: WorkersOpt = 1,
    worker_rank: Annotated[int | None, typer.Option("--worker-rank", hidden=True)] = None,
    threads: ThreadsOpt = None,
    budget: BudgetOpt = None,
    heartbeat: Annotated[int, typer.Option("--heartbeat", min=1, help="Seconds between the "
                                           "heartbeats of a running trial; a trial silent for 3× "
                                           "as long (a killed worker) is failed and retried.")]
    = 10,
    seed: SeedOpt = 0,
    device: DeviceOpt = "auto",
    output: OutputOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Tune weight decay, dropout, patience (and what the rules call for) with Optuna."""

    from regadvisor.experiment import load_experiment
    from regadvisor.pipeline import check_owner
    from regadvisor.pipeline._budget import parse_budget
    from regadvisor.rules import load_rules
    from regadvisor.training import resolve_device
    from regadvisor.tuning import TuneSettings

    started = time.perf_counter()
    if budget is not None:
        parse_budget(budget)  # a bad --budget is an input error before any training
    dev = resolve_device(device)
    n_threads = set_threads(threads)
    settings = TuneSettings(n_trials=n_trials, objective=objective_name(objective), seed=seed,
                            pruner=pruner, storage=storage, study_name=study_name, device=dev,
                            heartbeat_seconds=heartbeat)
    pieces = {"model": model, "data": data, "optimizer": optimizer, "loss": loss}
    if worker_rank is not None:
        _run_worker(experiment, pieces, settings, output, worker_rank)
        return

    ruleset = load_rules(rules or [])
    overrides = space_overrides(space, wd_range, dropout_range, patience_range)
    exp = load_experiment(experiment, **pieces, device=str(settings.device))
    if exp.bundled and experiment is None:
        console.print("No experiment given: tuning the bundled example "
                      f"[bold]{escape(exp.name)}[/].")
    run_dir = make_run_dir(output, exp.name)
    # The workers (--worker-rank) are this process's children: they do not take the folder.
    with lock_run_dir(run_dir, "tune"):
        check_run_dir(run_dir, files=("diagnosis.json", "tuning.json", "trials.csv"))
        check_owner(run_dir, exp)  # the folder of another experiment keeps its results
        seconds = parse_budget(budget).seconds if budget is not None else None
        # A wall-time --budget bounds the diagnosis too: at most a quarter of it (as advise).
        search, facts = _diagnose(exp, run_dir, settings, ruleset, overrides, diagnostic_epochs,
                           workers, n_threads, budget_seconds=0.25 * seconds if seconds else None)
        if budget is not None:
            settings = _budget_settings(budget, settings, exp, facts, started)
        else:
            _print_estimate(settings, exp, facts)
        args = option_args({
            "--model": model, "--data": data, "--optimizer": optimizer, "--loss": loss,
            "--n-trials": n_trials, "--objective": objective, "--pruner": pruner,
            "--diagnostic-epochs": diagnostic_epochs, "--rules": rules, "--space": space,
            "--wd-range": wd_range, "--dropout-range": dropout_range,
            "--patience-range": patience_range, "--heartbeat": heartbeat, "--seed": seed,
            "--device": device, "--debug": debug,
        })
        result = _search(exp, search, settings, run_dir, quiet,
                         start_workers(workers, experiment, args, n_threads, run_dir))
        _save(result, run_dir)
    _print_result(result, run_dir)


def _budget_settings(budget: str, settings: TuneSettings, exp: Experiment,
                     facts: dict[str, Any], started: float) -> TuneSettings:
    """The --budget plan (no verification follows ``tune``), printed and applied."""
    import dataclasses

    from regadvisor.pipeline._budget import (
        full_run_seconds,
        make_plan,
        parse_budget,
        plan_fields,
        tuning_fields,
    )

    plan = make_plan(parse_budget(budget), full_run_seconds(facts, exp.epochs),
                     time.perf_counter() - started, n_trials=settings.n_trials, seeds=2,
                     top_k=settings.top_k, extra_seeds=settings.extra_seeds, verify=False)
    console.print(f"Plan: {plan.text()}", markup=False)
    return dataclasses.replace(settings, **tuning_fields(plan_fields(plan)))


def _print_estimate(settings: TuneSettings, exp: Experiment, facts: dict[str, Any]) -> None:
    """Without --budget: what tuning will train and about how long it takes."""
    from regadvisor.pipeline._budget import estimate_text, full_run_seconds

    text = estimate_text(full_run_seconds(facts, exp.epochs),
                         n_trials=settings.n_trials, top_k=settings.top_k,
                         extra_seeds=settings.extra_seeds, seeds=0, max_seeds=0, verify=False)
    console.print(f"Plan: {text}", markup=False)


def _run_worker(experiment: str | None, pieces: dict[str, str | None], settings: TuneSettings,
                output: Path | None, rank: int) -> None:
    """``--worker-rank``: load the experiment and run trials of the existing study."""
    from regadvisor.experiment import load_experiment
    from regadvisor.tuning.study import run_worker

    exp = load_experiment(experiment, **pieces, device=str(settings.device))
    run_worker(exp, settings, make_run_dir(output, exp.name), rank)


def _diagnose(exp: Experiment, run_dir: Path, settings: TuneSettings, ruleset: RuleSet,
              overrides: dict[str, Any], diagnostic_epochs: int | None, workers: int,
              n_threads: int, budget_seconds: float | None = None,
              ) -> tuple[SearchSpace, dict[str, Any]]:
    """Diagnose the experiment and build the search space the findings call for; a
    ``budget_seconds`` stops the diagnosis' training when it is spent.

    Returns:
        The search space and the diagnosis' facts (its timing plans the cost); the diagnosis
        is saved in the run folder.
    """
    from regadvisor.pipeline import diagnose
    from regadvisor.tuning import build_space

    diagnosis = diagnose(exp, epochs=diagnostic_epochs, device=settings.device,
                         seed=settings.seed, ruleset=ruleset, budget_seconds=budget_seconds)
    atomic_write_text(run_dir / "diagnosis.json", to_json(diagnosis))
    search = build_space(diagnosis.findings, diagnosis.facts, overrides,
                         diagnosis.inspection.dropout_targets)
    _print_plan(diagnosis, search, settings.n_trials, workers, n_threads)
    return search, diagnosis.facts


def _search(exp: Experiment, search: SearchSpace, settings: TuneSettings, run_dir: Path,
            quiet: bool, start: Callable[[str, str], Sequence[Any]]) -> TuningResult:
    """Run the study with a progress bar; Ctrl-C keeps the finished trials and exits 130."""
    from regadvisor.tuning import tune

    maximize = settings.objective == "val_metric" and exp.higher_is_better
    with progress_bar(quiet) as progress:
        hooks = stage_hooks(progress, settings.n_trials, 0, maximize)
        try:
            return tune(exp, search, settings, run_dir, on_trial=hooks.trial,
                        on_rerun=hooks.rerun, start_workers=start)
        except KeyboardInterrupt:
            console.print(f"Interrupted: finished trials are kept in the study. Resume with the "
                          f"same command and --output {run_dir}.", markup=False)
            raise typer.Exit(130) from None


def _save(result: TuningResult, run_dir: Path) -> None:
    """tuning.json and trials.csv in the run folder."""
    from regadvisor.pipeline import write_trials_csv

    atomic_write_text(run_dir / "tuning.json", to_json(result))
    write_trials_csv(result, run_dir / "trials.csv")


def _print_plan(diagnosis: Diagnosis, search: SearchSpace, n_trials: int, workers: int,
                n_threads: int) -> None:
    """The verdict, and what the study searches with how many workers and threads."""
    console.print(f"Verdict: {diagnosis.verdict.name.replace('_', ' ')}. Searching "
                  + ", ".join(f"{k} [{r.low:g}, {r.high:g}]{' (log)' if r.log else ''}"
                              for k, r in search.params.items())
                  + f" over {n_trials} trials, {workers} worker{'s' if workers > 1 else ''} "
                    f"× {n_threads} thread{'s' if n_threads > 1 else ''}.", markup=False)


def _print_result(result: TuningResult, run_dir: Path) -> None:
    """The trials by state, the re-runs over extra seeds, the winner, and the files saved."""
    from regadvisor.tuning import mask_url, trial_counts_text

    console.print(f"{len(result.trials)} trials in {mask_url(result.storage)} (study "
                  f"{result.study_name}): {trial_counts_text(result.trials)}.", markup=False)
    for r in result.reruns:
        console.print(f"  trial {r.trial_number}: " + ", ".join(
            f"{k}={v:.4g}" for k, v in r.params.items())
            + f" → mean {r.mean:.4f} ± {r.std:.4f} over seeds {r.seeds}", markup=False)
    if result.best_trial is not None:
        # "Noise-aware" only when candidates were told apart by their means over seeds.
        how = " (best mean over seeds)" if len(result.reruns) > 1 else ""
        console.print(f"Best{how}: trial {result.best_trial}: " + ", ".join(
            f"{k}={v:.4g}" for k, v in result.best_params.items()) + ".", markup=False)
    console.print(f"Saved {run_dir / 'tuning.json'} and {run_dir / 'trials.csv'}.", markup=False)
