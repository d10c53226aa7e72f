"""``regadvisor advise``: diagnose → rules → tune → verify → report, in one command."""

from __future__ import annotations

from typing import Annotated

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
    command_line,
    console,
    handle_errors,
    objective_name,
    set_threads,
    space_overrides,
)
from regadvisor.cli._stages import run_in_folder
from regadvisor.errors import ConfigError
from regadvisor.tuning import defaults


@handle_errors
def advise_command(
    experiment: ExperimentArg = None,
    model: ModelOpt = None,
    data: DataOpt = None,
    optimizer: OptimizerOpt = None,
    loss: LossOpt = None,
    n_trials: TrialsOpt = defaults.N_TRIALS,
    seeds: Annotated[int, typer.Option("--seeds", min=2, help="Training seeds of the "
                                       "verification (each arm) at its first look.")] = 3,
    max_seeds: Annotated[int, typer.Option(
        "--max-seeds", min=2, help="Most training seeds of the verification (each arm): while "
        "its interval straddles zero, cannot rule out a gain that matters and could still show "
        "an improvement by this many seeds, it adds a seed at a time up to this (within the "
        "time a --budget leaves). Equal to --seeds: no seed is added.")] = 10,
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
    seed: SeedOpt = 0,
    device: DeviceOpt = "auto",
    output: OutputOpt = None,
    budget: BudgetOpt = None,
    threads: ThreadsOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Diagnose, tune and verify regularization, then write the HTML report.

    Running it again with the same --output folder resumes the study.
    """
    from regadvisor.experiment import load_experiment
    from regadvisor.pipeline import AdviseOptions
    from regadvisor.rules import load_rules
    from regadvisor.training import resolve_device

    set_threads(threads)
    dev = resolve_device(device)
    ruleset = load_rules(rules or [])  # fails fast on a bad rules folder, before any training
    if budget is not None:
        from regadvisor.pipeline._budget import parse_budget

        parse_budget(budget)  # a bad --budget is an input error before any training
    if max_seeds < seeds:
        raise ConfigError(f"--max-seeds {max_seeds} is below --seeds {seeds}: verification "
                          "starts with --seeds seeds and adds seeds up to --max-seeds. Give "
                          f"--max-seeds {seeds} or more (equal to --seeds: no seed is added).")
    overrides = space_overrides(space, wd_range, dropout_range, patience_range)
    obj = objective_name(objective)
    exp = load_experiment(experiment, model=model, data=data, optimizer=optimizer, loss=loss,
                          device=str(dev))
    if exp.bundled and experiment is None:
        console.print("No experiment given: advising on the bundled example "
                      f"[bold]{escape(exp.name)}[/] (digits, 20 % noisy labels, wide MLP).")
    run_dir = make_run_dir(output, exp.name)
    options = AdviseOptions(
        diagnostic_epochs=diagnostic_epochs, rules_dirs=rules or [], n_trials=n_trials,
        objective=obj, pruner=pruner, storage=storage, study_name=study_name, seeds=seeds,
        max_seeds=max_seeds, seed=seed, device=dev, space_overrides=overrides,
        command=command_line(), budget=budget, ruleset=ruleset)
    _print_result(run_in_folder(exp, run_dir, options, quiet=quiet), run_dir)


def _print_result(result, run_dir) -> None:
    from regadvisor.tuning import trial_counts_text

    diag = result.diagnosis
    v = diag.verdict
    console.print(f"\nVerdict: [bold]{v.name.replace('_', ' ').upper()}[/]: {escape(v.reason)}")
    for note in diag.notes:
        console.print(f"  Note: {note}", markup=False)
    if diag.findings:
        console.print("Top recommendations: " + "; ".join(
            f"{i}. {f.title}" for i, f in enumerate(diag.findings[:3], start=1)), markup=False)
    tuning = result.tuning
    console.print(f"Tuning: {len(tuning.trials)} trials ({trial_counts_text(tuning.trials)}"
                  + f"); winner trial {tuning.best_trial}: "
                  + ", ".join(f"{k}={v:.4g}" for k, v in tuning.best_params.items()),
                  markup=False)
    for note in tuning.notes:
        console.print(f"  Note: {note}", markup=False)
    rec = result.recommendation
    console.print(f"Verification: {rec.summary}", markup=False)
    ver = result.verification
    for caution in [*ver.flags, *ver.warnings]:
        console.print(f"  Caution: {caution}", markup=False)
    rows = rec.diff or rec.tried
    if rows:
        from regadvisor._format import setting_label, setting_value
        from regadvisor.verification import decide

        metric = result.experiment.get("metric", "accuracy")
        # A record written before the decision was kept: derived from its verdicts.
        decision = rec.decision or decide(ver.metric.verdict, ver.loss.verdict, metric == "loss")
        console.print(f"{decision.label}: " + "; ".join(
            f"{setting_label(d['setting'])}: {setting_value(d['before'], d['setting'], metric)}"
            f" → {setting_value(d['after'], d['setting'], metric)}" for d in rows),
            markup=False)
        if ver.to_decide is not None:
            console.print(f"  To decide it: {ver.to_decide.text}", markup=False)
    times = ", ".join(f"{k} {s:.1f} s" for k, s in result.timings.items())
    console.print(f"Timings: {times}.", markup=False)
    console.print(f"Report: {run_dir / 'report.html'} (data in report.json, histories.csv, "
                  "trials.csv).", markup=False)
