"""``regadvisor diagnose``: what is wrong, why, and what to do, in the guide's order."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from regadvisor._io import atomic_write_text, check_run_dir, lock_run_dir, make_run_dir
from regadvisor._record import to_json, to_plain
from regadvisor.cli._common import (
    DataOpt,
    DebugOpt,
    DeviceOpt,
    ExperimentArg,
    LossOpt,
    ModelOpt,
    OptimizerOpt,
    OutputOpt,
    QuietOpt,
    RulesOpt,
    SeedOpt,
    ThreadsOpt,
    console,
    err_console,
    handle_errors,
    set_threads,
)
from regadvisor.cli._progress import progress_bar

VERDICT_STYLE = {"overfitting": "bold red", "underfitting": "bold yellow",
                 "diverging": "bold magenta", "not_converged": "bold yellow",
                 "good_fit": "bold green"}


@handle_errors
def diagnose_command(
    experiment: ExperimentArg = None,
    model: ModelOpt = None,
    data: DataOpt = None,
    optimizer: OptimizerOpt = None,
    loss: LossOpt = None,
    epochs: Annotated[int | None, typer.Option(
        "--epochs", min=1, help="Train exactly this many diagnostic epochs. Default: 20 % of the "
                                "experiment's (at least 10), then on, up to its full length, "
                                "while the verdict is undecided.")] = None,
    budget: Annotated[float | None, typer.Option(
        "--budget", min=0.1, help="Wall-time budget of the diagnostic training, in seconds. "
                                  "Default: 600 s for training on beyond the short run.")]
    = None,
    rules: RulesOpt = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object (verdict, facts, "
                                           "findings) on stdout instead of the summary.")] = False,
    seed: SeedOpt = 0,
    device: DeviceOpt = "auto",
    output: OutputOpt = None,
    threads: ThreadsOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Train your setup as long as the verdict needs, inspect it, and say what is wrong, why and
    what to change."""
    import json

    from regadvisor.experiment import load_experiment
    from regadvisor.pipeline import check_owner, diagnose
    from regadvisor.rules import load_rules
    from regadvisor.training import resolve_device

    set_threads(threads)
    dev = resolve_device(device)
    ruleset = load_rules(rules or [])
    exp = load_experiment(experiment, model=model, data=data, optimizer=optimizer, loss=loss,
                          device=str(dev))
    say = err_console.print if json_out else console.print
    if exp.bundled and experiment is None and not quiet:
        say(f"No experiment given: diagnosing the bundled example [bold]{escape(exp.name)}[/].")
    run_dir = make_run_dir(output, exp.name)
    with lock_run_dir(run_dir, "diagnose"), progress_bar(quiet or json_out) as progress:
        check_run_dir(run_dir, files=("diagnosis.json",))
        check_owner(run_dir, exp)  # the folder of another experiment keeps its results
        callbacks = []
        if progress is not None:
            task = progress.add_task("diagnose", total=epochs, status="")

            def advance(record, history):
                progress.update(task, advance=1, total=history.config["max_epochs"],
                                status=f"val loss {record.val_loss:.4f}")

            callbacks.append(advance)
        result = diagnose(exp, epochs=epochs, budget_seconds=budget, device=dev, seed=seed,
                          ruleset=ruleset, callbacks=callbacks)
        path = atomic_write_text(run_dir / "diagnosis.json", to_json(result))
    if json_out:
        payload = to_plain(result)
        payload = {"verdict": payload["verdict"], "facts": payload["facts"],
                   "findings": payload["findings"], "experiment": payload["experiment"],
                   "diagnosis_json": str(path)}
        typer.echo(json.dumps(payload, indent=2))
        return
    _print_summary(result, exp)
    console.print(f"\nDiagnostic training: {result.history.epochs_run} epochs in "
                  f"{result.seconds:.1f} s. Saved {path}.", markup=False)


def _print_summary(result, exp) -> None:
    """The verdict and the findings; the rules' text (and the user's values) print literally."""
    v = result.verdict
    style = VERDICT_STYLE.get(v.name, "bold")
    console.print(f"\nVerdict: [{style}]{escape(v.name.replace('_', ' ').upper())}[/]")
    console.print(f"  {v.reason}", markup=False)
    console.print(f"  Evidence: {_evidence(v.evidence)}", markup=False)
    for note in result.notes:
        console.print(f"  Note: {note}", markup=False)
    if not result.findings:
        console.print("\nNo recommendations: no rule fired.")
        return
    console.print(f"\nRecommendations, most important first ({len(result.findings)}):")
    for i, f in enumerate(result.findings, start=1):
        console.print(f"\n {i}. [bold]{escape(f.title)}[/]  [dim](rule {escape(f.rule_id)}, "
                      f"priority {f.priority}; guide: {escape(f.source)})[/]")
        console.print(f"    {f.advice}", markup=False)
        console.print(f"    [dim]Why:[/] {escape(f.why)}")
        console.print(f"    [dim]Observed:[/] {escape(_evidence(f.evidence))}")


def _evidence(evidence: dict) -> str:
    parts = []
    for name, value in evidence.items():
        if isinstance(value, bool):
            shown = "yes" if value else "no"
        elif isinstance(value, float):
            shown = f"{value:.4g}"
        elif value is None:
            shown = "n/a"
        else:
            shown = str(value)
        parts.append(f"{name}={shown}")
    return ", ".join(parts)
