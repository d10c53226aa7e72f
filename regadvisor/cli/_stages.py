"""Live progress of the advise/tune stages (one bar per stage on stderr), and what a run
folder already holds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.progress import Progress

from regadvisor.cli._common import console, err_console

if TYPE_CHECKING:
    from regadvisor.experiment import Experiment
    from regadvisor.pipeline import AdviseOptions, Hooks, RunResult

__all__ = ["run_in_folder", "say_what_resumes", "stage_hooks"]


def run_in_folder(exp: Experiment, run_dir: Path, options: AdviseOptions, *, quiet: bool,
                  configure: Callable[[Hooks], None] | None = None) -> RunResult:
    """``advise`` and ``tune``: hold the run folder, say what it already holds, and run the
    stages with a progress bar each (``configure`` adds to the hooks); Ctrl-C exits 130 with
    how to resume."""
    from regadvisor._io import lock_run_dir
    from regadvisor.cli._progress import progress_bar
    from regadvisor.pipeline import run_stages
    from regadvisor.tuning import mask_url

    maximize = options.objective == "val_metric" and exp.higher_is_better
    try:
        # Held from here (run_stages takes it again): a run that is refused says nothing else.
        # The workers of tune --workers are this process's children: they do not take it.
        with lock_run_dir(run_dir, "advise" if options.verifies else "tune"):
            console.print(f"Run folder: {run_dir}" + (f" (study in {mask_url(options.storage)})"
                                                       if options.storage else ""),
                          markup=False)
            say_what_resumes(run_dir, options, exp)
            with progress_bar(quiet) as progress:
                hooks = stage_hooks(progress, options.n_trials,
                                    options.seeds if options.verifies else 0, maximize,
                                    on_plan=lambda plan: console.print(f"Plan: {plan['text']}",
                                                                       markup=False))
                if configure is not None:
                    configure(hooks)
                return run_stages(exp, run_dir, options, hooks)
    except KeyboardInterrupt:
        err_console.print(
            f"Interrupted. Finished trials are kept in the study and {run_dir / 'report.json'} "
            f"says what finished. Resume with the same command and --output {run_dir}.",
            markup=False)
        raise typer.Exit(130) from None


def stage_hooks(progress: Progress | None, n_trials: int, seeds: int,
                maximize: bool, on_plan: Callable[[dict[str, Any]], None] | None = None) -> Hooks:
    """Hooks that drive one progress bar per stage (no-ops when ``progress`` is None).

    A ``--budget`` plan sets how many trials the tuning bar counts to; ``on_plan`` is called
    with the plan as well (to print it), with or without bars.
    """
    from regadvisor.pipeline import Hooks

    if progress is None:
        return Hooks(plan=on_plan)
    tasks: dict[str, int] = {}
    best: list[float] = []
    limit = [n_trials]

    def plan(fields: dict[str, Any]) -> None:
        limit[0] = int(fields["n_trials"])
        if "tune" in tasks:
            progress.update(tasks["tune"], total=limit[0])
        if on_plan is not None:
            on_plan(fields)

    def task(name: str, total: int | None, description: str) -> int:
        if name not in tasks:
            tasks[name] = progress.add_task(description, total=total, status="")
        return tasks[name]

    def stage(name: str) -> None:
        for other, tid in tasks.items():
            if other != name:
                progress.update(tid, visible=False)

    def epoch(record, history) -> None:
        tid = task("diagnose", history.config["max_epochs"], "diagnose")
        progress.update(tid, completed=record.epoch, status=f"val loss {record.val_loss:.4f}")

    def trial(study, frozen) -> None:
        tid = task("tune", limit[0], "tune    ")
        finished = sum(1 for t in study.get_trials(deepcopy=False)
                       if t.state.is_finished())
        if frozen.value is not None:
            best.append(frozen.value)
        shown = (max(best) if maximize else min(best)) if best else None
        status = f"best {shown:.4f}" if shown is not None else ""
        progress.update(tid, completed=min(finished, limit[0]), status=status)

    def rerun(done: int, total: int) -> None:
        tid = task("rerun", total, "re-seed ")
        progress.update(tid, completed=done, status="top trials over extra seeds")

    def verify(done: int, total: int) -> None:
        tid = task("verify", total, "verify  ")
        progress.update(tid, completed=done, total=total,
                        status=f"{total // 2} seeds × 2 configurations")

    return Hooks(stage=stage, epoch=epoch, trial=trial, rerun=rerun, verify=verify, plan=plan)


def say_what_resumes(run_dir: Path, options: AdviseOptions, exp: Experiment) -> None:
    """One line when the folder already holds this run (complete: reported as it is; partial:
    resumed; with another test loader: verified again) or an earlier one with other settings
    (kept as a revision)."""
    from regadvisor.experiment import identity_change
    from regadvisor.pipeline import previous_run

    previous = previous_run(run_dir)
    if previous is None:
        if (run_dir / "report.json").is_file():
            console.print(f"{run_dir / 'report.json'} cannot be read: it and the rest of the "
                          f"earlier run are kept under {run_dir / 'revisions'}/ (it also as "
                          "report.json.unreadable-N) and this run starts afresh.", markup=False)
        return
    change = identity_change(previous.get("experiment"), exp)
    if change == "experiment":
        return  # advise refuses it with the way out
    if previous.get("settings") != options.key(exp):
        console.print(f"{run_dir} holds an earlier run with other settings: it is kept under "
                      f"{run_dir / 'revisions'}/ and this run starts afresh (its study's trials "
                      "are taken again where the search space is the same).", markup=False)
    elif change == "test" and not options.verifies:
        console.print(f"{run_dir} holds this run with another test loader: tune does not read "
                      "it, so the run is as it was.", markup=False)
    elif change == "test":
        kept = (f" (its results are kept under {run_dir / 'revisions'}/)"
                if "verify" in (previous.get("finished_stages") or []) else "")
        console.print(f"{run_dir} holds this run with another test loader{kept}: its diagnosis "
                      "and tuning are kept, and verification runs again.", markup=False)
    elif previous.get("status") == "complete":
        console.print(f"{run_dir} already holds this run, complete: nothing to train. (Pass "
                      "another --output, or other settings, for a new run.)", markup=False)
    else:
        done = ", ".join(previous.get("finished_stages") or []) or "none"
        console.print(f"Resuming the run in {run_dir} (finished stages: {done}).", markup=False)
