"""``regadvisor tune``: search the regularization the diagnosis calls for.

With ``--storage URL --study-name NAME`` any number of processes, on any machines, share one
study; ``--workers N`` starts N processes on this machine.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape

from regadvisor._io import make_run_dir
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
    command_line,
    console,
    handle_errors,
    objective_name,
    set_threads,
    space_overrides,
)
from regadvisor.cli._stages import run_in_folder
from regadvisor.cli._workers import option_args, start_workers
from regadvisor.tuning import defaults

if TYPE_CHECKING:
    from regadvisor.pipeline import Diagnosis, Hooks
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
    """Tune weight decay, dropout, patience (and what the rules call for) with Optuna.

    The diagnosis and the study of ``advise``, without verification and the report; the run
    folder's report.json holds both. Running it again with the same --output folder resumes.
    """

    from regadvisor.experiment import load_experiment
    from regadvisor.pipeline import AdviseOptions
    from regadvisor.pipeline._budget import parse_budget
    from regadvisor.rules import load_rules
    from regadvisor.training import resolve_device
    from regadvisor.tuning import TuneSettings

    if budget is not None:
        parse_budget(budget)  # a bad --budget is an input error before any training
    dev = resolve_device(device)
    n_threads = set_threads(threads)
    obj = objective_name(objective)
    pieces = {"model": model, "data": data, "optimizer": optimizer, "loss": loss}
    if worker_rank is not None:
        settings = TuneSettings(n_trials=n_trials, objective=obj, seed=seed, pruner=pruner,
                                storage=storage, study_name=study_name, device=dev,
                                heartbeat_seconds=heartbeat)
        _run_worker(experiment, pieces, settings, output, worker_rank)
        return

    ruleset = load_rules(rules or [])  # fails fast on a bad rules folder, before any training
    overrides = space_overrides(space, wd_range, dropout_range, patience_range)
    exp = load_experiment(experiment, **pieces, device=str(dev))
    if exp.bundled and experiment is None:
        console.print("No experiment given: tuning the bundled example "
                      f"[bold]{escape(exp.name)}[/].")
    run_dir = make_run_dir(output, exp.name)
    options = AdviseOptions(
        diagnostic_epochs=diagnostic_epochs, rules_dirs=rules or [], n_trials=n_trials,
        objective=obj, pruner=pruner, storage=storage, study_name=study_name, seed=seed,
        device=dev, space_overrides=overrides, command=command_line(), budget=budget,
        until="tune", heartbeat_seconds=heartbeat, ruleset=ruleset)
    flags = {
        "--model": model, "--data": data, "--optimizer": optimizer, "--loss": loss,
        "--n-trials": n_trials, "--objective": objective, "--pruner": pruner,
        "--diagnostic-epochs": diagnostic_epochs, "--rules": rules, "--space": space,
        "--wd-range": wd_range, "--dropout-range": dropout_range,
        "--patience-range": patience_range, "--heartbeat": heartbeat, "--seed": seed,
        "--device": device, "--debug": debug,
    }

    def configure(hooks: Hooks) -> None:
        # The workers run trials until the study holds the plan's number (a --budget may plan
        # fewer than --n-trials), which the plan hook learns before tuning starts.
        planned = {"--n-trials": n_trials}
        print_plan = hooks.plan

        def plan(fields: dict[str, Any]) -> None:
            planned["--n-trials"] = int(fields["n_trials"])
            if print_plan is not None:
                print_plan(fields)

        def start(url: str, name: str) -> list[Any]:
            return start_workers(workers, experiment, option_args({**flags, **planned}),
                                 n_threads, run_dir)(url, name)

        hooks.plan, hooks.start_workers = plan, start
        hooks.search = lambda diagnosis, search: _print_plan(diagnosis, search, n_trials,
                                                             workers, n_threads)

    result = run_in_folder(exp, run_dir, options, quiet=quiet, configure=configure)
    _print_result(result.tuning, run_dir)


def _run_worker(experiment: str | None, pieces: dict[str, str | None], settings: TuneSettings,
                output: Path | None, rank: int) -> None:
    """``--worker-rank``: load the experiment and run trials of the existing study."""
    from regadvisor.experiment import load_experiment
    from regadvisor.tuning.study import run_worker

    exp = load_experiment(experiment, **pieces, device=str(settings.device))
    run_worker(exp, settings, make_run_dir(output, exp.name), rank)


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
    console.print(f"Saved {run_dir / 'report.json'} and {run_dir / 'trials.csv'}.", markup=False)
