"""``regadvisor tune``: search the regularization the diagnosis calls for.

With ``--storage URL --study-name NAME`` any number of processes, on any machines, share one
study; ``--workers N`` starts N processes on this machine.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Annotated

import typer

from regadvisor._io import atomic_write_text, make_run_dir
from regadvisor.cli._common import (
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
    TrialsOpt,
    WorkersOpt,
    console,
    handle_errors,
    objective_name,
    space_overrides,
)
from regadvisor.cli._progress import progress_bar
from regadvisor.cli._stages import stage_hooks
from regadvisor.tuning import defaults


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
    threads: Annotated[int | None, typer.Option("--threads", min=1, help="torch threads in "
                                                "this process (default: CPUs / workers).")]
    = None,
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
    import torch

    from regadvisor.experiment import load_experiment
    from regadvisor.pipeline import diagnose
    from regadvisor.rules import load_rules
    from regadvisor.training import resolve_device
    from regadvisor.tuning import TuneSettings, build_space, mask_url, tune
    from regadvisor.tuning.study import run_worker

    dev = resolve_device(device)
    n_threads = threads or max(1, (os.cpu_count() or 1) // workers)
    torch.set_num_threads(n_threads)
    obj = objective_name(objective)
    settings = TuneSettings(n_trials=n_trials, objective=obj, seed=seed, pruner=pruner,
                            storage=storage, study_name=study_name, device=dev,
                            heartbeat_seconds=heartbeat)
    if worker_rank is not None:
        exp = load_experiment(experiment, model=model, data=data, optimizer=optimizer,
                              loss=loss, device=str(dev))
        run_worker(exp, settings, make_run_dir(output, exp.name), worker_rank)
        return

    ruleset = load_rules(rules or [])
    overrides = space_overrides(space, wd_range, dropout_range, patience_range)
    exp = load_experiment(experiment, model=model, data=data, optimizer=optimizer, loss=loss,
                          device=str(dev))
    if exp.bundled and experiment is None:
        console.print(f"No experiment given: tuning the bundled example [bold]{exp.name}[/].")
    run_dir = make_run_dir(output, exp.name)
    diagnosis = diagnose(exp, epochs=diagnostic_epochs, device=dev, seed=seed, ruleset=ruleset)
    atomic_write_text(run_dir / "diagnosis.json", diagnosis.to_json())
    search = build_space(diagnosis.findings, diagnosis.facts, overrides)
    console.print(f"Verdict: {diagnosis.verdict.name.replace('_', ' ')}. Searching "
                  + ", ".join(f"{k} [{r.low:g}, {r.high:g}]{' (log)' if r.log else ''}"
                              for k, r in search.params.items())
                  + f" over {n_trials} trials, {workers} worker{'s' if workers > 1 else ''} "
                    f"× {n_threads} thread{'s' if n_threads > 1 else ''}.")

    def start_workers(url: str, name: str) -> list[subprocess.Popen]:
        if workers <= 1:
            return []
        args = _worker_args(url, name, n_threads, run_dir)
        return [subprocess.Popen([*args, "--worker-rank", str(rank)],
                                 stdout=subprocess.DEVNULL)
                for rank in range(1, workers)]

    maximize = obj == "val_metric" and exp.higher_is_better
    with progress_bar(quiet) as progress:
        hooks = stage_hooks(progress, n_trials, 0, maximize)
        try:
            result = tune(exp, search, settings, run_dir, on_trial=hooks.trial,
                          on_rerun=hooks.rerun, start_workers=start_workers)
        except KeyboardInterrupt:
            console.print(f"Interrupted: finished trials are kept in the study. Resume with the "
                          f"same command and --output {run_dir}.")
            raise typer.Exit(130) from None
    atomic_write_text(run_dir / "tuning.json", json.dumps(result.to_dict(), indent=2))
    from regadvisor.pipeline import write_trials_csv

    write_trials_csv(result.to_dict(), run_dir / "trials.csv")
    counts = result.counts()
    console.print(f"{len(result.trials)} trials in {mask_url(result.storage)} (study "
                  f"{result.study_name}): " + ", ".join(f"{n} {s.lower()}"
                                                       for s, n in counts.items()) + ".")
    for r in result.reruns:
        console.print(f"  trial {r.trial_number}: " + ", ".join(
            f"{k}={v:.4g}" for k, v in r.params.items())
            + f" → mean {r.mean:.4f} ± {r.std:.4f} over seeds {r.seeds}")
    if result.best_trial is not None:
        console.print(f"Best (noise-aware): trial {result.best_trial}: " + ", ".join(
            f"{k}={v:.4g}" for k, v in result.best_params.items()) + ".")
    console.print(f"Saved {run_dir / 'tuning.json'} and {run_dir / 'trials.csv'}.")


def _worker_args(url: str, name: str, threads: int, run_dir) -> list[str]:
    """The same command line, as a worker of the given study."""
    args = list(sys.argv[1:])
    drop_next = {"--workers", "--storage", "--study-name", "--output", "-o", "--threads"}
    out: list[str] = []
    skip = False
    for a in args:
        if skip:
            skip = False
            continue
        key = a.split("=", 1)[0]
        if key in drop_next:
            skip = "=" not in a
            continue
        out.append(a)
    return [sys.executable, "-m", "regadvisor", *out, "--storage", url, "--study-name", name,
            "--threads", str(threads), "--output", str(run_dir), "--quiet"]
