"""``regadvisor train``: train the user's baseline as given, with a per-epoch table."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from regadvisor._io import atomic_write_text, check_run_dir, lock_run_dir, make_run_dir
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
    SeedOpt,
    ThreadsOpt,
    console,
    handle_errors,
    set_threads,
)
from regadvisor.cli._progress import EpochTable, progress_bar


@handle_errors
def train_command(
    experiment: ExperimentArg = None,
    model: ModelOpt = None,
    data: DataOpt = None,
    optimizer: OptimizerOpt = None,
    loss: LossOpt = None,
    epochs: Annotated[int | None, typer.Option("--epochs", min=1, help="Epochs; default: the "
                                               "experiment's own (100 when it sets none).")] = None,
    seed: SeedOpt = 0,
    device: DeviceOpt = "auto",
    amp: Annotated[bool, typer.Option("--amp", help="bf16 autocast on CUDA.")] = False,
    output: OutputOpt = None,
    threads: ThreadsOpt = None,
    quiet: QuietOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Train the experiment's baseline as given and save its learning curves (history.csv)."""
    from regadvisor.experiment import baseline_config, load_experiment
    from regadvisor.training import resolve_device, train_experiment
    from regadvisor.training.faults import user_code

    set_threads(threads)
    dev = resolve_device(device)
    exp = load_experiment(experiment, model=model, data=data, optimizer=optimizer, loss=loss,
                          device=str(dev))
    if exp.bundled and experiment is None:
        console.print("No experiment given: running the bundled example "
                      f"[bold]{escape(exp.name)}[/] (digits, 20 % noisy labels, wide MLP).")
    config = baseline_config(exp, seed=seed, max_epochs=epochs)
    run_dir = make_run_dir(output, exp.name)
    with lock_run_dir(run_dir, "train"):
        check_run_dir(run_dir, files=("history.csv",))
        console.print(
            f"Training {exp.model_class} from {exp.source}: {exp.task}, {exp.n_train} training / "
            f"{exp.n_val} validation samples, {exp.optimizer.name} lr {exp.optimizer.lr:g}, "
            f"{config.max_epochs} epochs on {dev}.", markup=False)
        console.print(f"The loss that trains: {exp.trains_with}.", markup=False)
        table = EpochTable(exp.metric if exp.metric == "loss" else "accuracy", show=not quiet)
        with progress_bar(quiet) as progress:
            callbacks = [table]
            if progress is not None:
                task_id = progress.add_task("train", total=config.max_epochs, status="")

                def advance(record, history):
                    progress.update(task_id, advance=1,
                                    status=f"val loss {record.val_loss:.4f}")

                callbacks.append(advance)
            with user_code("training", dev):
                result = train_experiment(exp, config, device=dev, amp=amp,
                                          callbacks=callbacks)
        history = result.history
        path = atomic_write_text(run_dir / "history.csv", history.to_frame().to_csv(index=False))
    best, last = history.best, history.last
    if last is not None:
        from regadvisor._format import metric_value

        def fmt(v: float) -> str:
            return metric_value(v, exp.metric, digits=2)

        console.print(
            f"Last epoch {last.epoch}: train loss {last.train_loss:.4f}, val loss "
            f"{last.val_loss:.4f}, train {exp.metric} {fmt(last.train_metric)}, val "
            f"{exp.metric} {fmt(last.val_metric)}.", markup=False)
        if best is not None:
            console.print(f"Best epoch {best.epoch}: val loss {best.val_loss:.4f}, val "
                          f"{exp.metric} {fmt(best.val_metric)}.", markup=False)
    console.print(history.stop_message, markup=False)
    total = sum(r.seconds for r in history.records)
    console.print(f"{history.epochs_run} epochs in {total:.1f} s "
                  f"({1000 * total / max(history.epochs_run, 1):.0f} ms per epoch). "
                  f"Saved {path}.", markup=False)
    if history.diverged:
        raise typer.Exit(1)
