"""What every command shares: error handling, the console, options and progress display."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape

from regadvisor._secrets import register, scrub
from regadvisor.errors import RegAdvisorError
from regadvisor.examples import DEFAULT_EXAMPLE, EXAMPLES


class _Scrubbed:
    """A text stream that writes to the current ``sys.stdout`` or ``sys.stderr`` with every
    registered secret masked (looked up at each write, so test runners that swap the streams
    still see the output)."""

    def __init__(self, name: str) -> None:
        self.name = name

    @property
    def _stream(self):
        return getattr(sys, self.name)

    def write(self, text: str) -> int:
        return self._stream.write(scrub(text))

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return bool(getattr(self._stream, "isatty", lambda: False)())

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self._stream, "encoding", "utf-8") or "utf-8"


console = Console(file=_Scrubbed("stdout"), highlight=False, soft_wrap=True)
err_console = Console(file=_Scrubbed("stderr"), highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])

# Options shared by the commands, declared once.
ExperimentArg = Annotated[
    str | None,
    typer.Argument(
        help="Experiment: a .py file, an importable module, or a bundled example "
             f"({', '.join(EXAMPLES)}). Default: the bundled {DEFAULT_EXAMPLE}.",
        show_default=False,
    ),
]
ModelOpt = Annotated[str | None, typer.Option("--model", help="Import string pkg.mod:attr of "
                                              "the model factory.")]
DataOpt = Annotated[str | None, typer.Option("--data", help="Import string of the data function.")]
OptimizerOpt = Annotated[str | None, typer.Option("--optimizer", help="Import string of the "
                                                  "optimizer factory.")]
LossOpt = Annotated[str | None, typer.Option("--loss", help="Import string of the loss factory.")]
OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Run folder. Default: a "
                                                "new folder under reports/.")]
DeviceOpt = Annotated[str, typer.Option("--device", help="auto, cpu, cuda or mps.")]
#: The largest ``--seed``: torch takes seeds below 2**64 but NumPy and Optuna's sampler only
#: below 2**32, and regadvisor derives more seeds from it (``seed + 100·k`` for verification and
#: the winner's re-runs, ``seed + rank`` for the workers' samplers);
#: below 2**31 they all stay in range.
MAX_SEED = 2**31 - 1
SeedOpt = Annotated[int, typer.Option("--seed", min=0, max=MAX_SEED, help="Training seed.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")]
BudgetOpt = Annotated[str | None, typer.Option(
    "--budget", help="What the whole run may cost: wall time (900s, 30m, 6h) or full trainings "
    "of your setup (20x). The plan (trials, re-runs, verification seeds) is printed once the "
    "diagnosis has timed an epoch, with or without --budget; under a budget the run ends "
    "within it give or take one trial.")]
ThreadsOpt = Annotated[int | None, typer.Option(
    "--threads", min=1, help="torch intra-op threads of this process. Default: OMP_NUM_THREADS "
    "when set, else 1 (on a busy machine more threads per process collapse; "
    "benchmarks/bench_load.py).")]


def set_threads(threads: int | None) -> int:
    """Set torch's intra-op threads: ``--threads``, else ``OMP_NUM_THREADS``, else 1.

    One thread is the default because it was measured best: the bundled example took 55.6 s
    with one thread and 58.7 s with one per core on a quiet 2-core machine, and 115 s against
    506 s under two busy processes (``python benchmarks/bench_load.py``; docs/benchmarks.md).
    """
    import os

    import torch

    env = os.environ.get("OMP_NUM_THREADS", "")
    n = threads or (int(env) if env.isdigit() and int(env) > 0 else 1)
    torch.set_num_threads(n)
    return n


def handle_errors(fn: F) -> F:
    """Turn regadvisor's errors into one line on stderr and the error's exit code.

    The wrapped command must take a ``debug`` keyword; with it set, the traceback is shown.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        debug = bool(kwargs.get("debug", False))
        try:
            return fn(*args, **kwargs)
        except typer.Exit:
            raise
        except RegAdvisorError as e:
            _fail(e, e, debug)
        except SystemExit as e:  # commands end with typer.Exit: this is the user's sys.exit()
            from regadvisor.training.faults import user_code_error

            _fail(user_code_error(e, "this command"), e, debug)
        except KeyboardInterrupt as e:
            if debug:
                _traceback(e)
            err_console.print("Interrupted: stopped at your request; finished work is kept.")
            raise typer.Exit(130) from None
        except Exception as e:  # a bug, or an error from the user's code we did not foresee
            if debug:
                _traceback(e)
            err_console.print(
                f"[bold red]Error:[/] regadvisor failed unexpectedly: {type(e).__name__}: "
                f"{escape(str(e))}. "
                "Run again with --debug for the traceback.", soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def _fail(error: RegAdvisorError, cause: BaseException | None = None,
          debug: bool = False) -> NoReturn:
    """Print ``error`` as one line (after the traceback of ``cause`` with ``--debug``) and exit
    with its code."""
    if debug and cause is not None:
        _traceback(cause)
    err_console.print(f"[bold red]Error:[/] {escape(error.message)}", soft_wrap=True)
    raise typer.Exit(error.exit_code) from None


def _traceback(error: BaseException) -> None:
    """``--debug``: the traceback on stderr, with registered secrets masked."""
    import traceback

    text = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    sys.stderr.write(scrub(text))
    sys.stderr.flush()


def _register_storage(value: str | None) -> str | None:
    """``--storage`` enters here: its secrets are registered before anything can print them, and
    a URL whose password could reach the driver in pieces is refused before anything runs."""
    try:
        register(value)
    except RegAdvisorError as e:
        _fail(e)
    return value


# Options of the commands that tune (tune, advise).
RulesOpt = Annotated[list[Path] | None, typer.Option(
    "--rules", help="Folder of YAML rules that add to or override the bundled ones (repeatable).")]
TrialsOpt = Annotated[int, typer.Option("--n-trials", "--trials", min=1,
                                        help="Trials in the study in all (a resumed study counts "
                                             "the ones it has).")]
ObjectiveOpt = Annotated[str | None, typer.Option(
    "--objective", help="What tuning optimizes on the validation set: 'metric' (the "
                        "experiment's metric; the default) or 'loss'.")]
PrunerOpt = Annotated[str, typer.Option(
    "--pruner", help="asha (successive halving from a sixth of your epochs, the better half "
                     "going on, once the finished trials show its rungs predict the result), "
                     "patient (the median pruner with a 10-epoch warm-up and 5 epochs' "
                     "patience), median, hyperband or none.")]
StorageOpt = Annotated[str | None, typer.Option(
    "--storage", callback=_register_storage,
    help="Optuna storage URL, e.g. postgresql://user:pw@host/db, shared by many workers; "
         "percent-encode the password (@ as %40). Its password is masked in all output. "
         "Default: study.db (SQLite) in the run folder.")]
StudyNameOpt = Annotated[str | None, typer.Option("--study-name", help="Study name. Default: "
                                                  "regadvisor-<experiment>.")]
WorkersOpt = Annotated[int, typer.Option("--workers", min=1, help="Worker processes on this "
                                         "machine, each with a share of the CPU threads.")]
SpaceOpt = Annotated[Path | None, typer.Option(
    "--space", help="YAML file of search ranges, e.g. weight_decay: {low: 1e-5, high: 1e-1, "
                    "log: true}; it overrides the ranges the rules chose.")]
RangeOpt = Annotated[tuple[float, float] | None, typer.Option(
    "--wd-range", help="Weight decay range LOW HIGH (log scale).", show_default=False)]
DropoutRangeOpt = Annotated[tuple[float, float] | None, typer.Option(
    "--dropout-range", help="Dropout p range LOW HIGH.", show_default=False)]
PatienceRangeOpt = Annotated[tuple[int, int] | None, typer.Option(
    "--patience-range", help="Early-stopping patience range LOW HIGH, in epochs.",
    show_default=False)]
DiagEpochsOpt = Annotated[int | None, typer.Option(
    "--diagnostic-epochs", min=1, help="Train exactly this many diagnostic epochs. Default: 20 % "
                                       "of the experiment's (at least 10), then on, up to its "
                                       "full length, while the verdict is undecided.")]


def space_overrides(space: Path | None, wd: tuple[float, float] | None,
                    dropout: tuple[float, float] | None,
                    patience: tuple[int, int] | None) -> dict:
    """Ranges given by flags or a space file (flags win)."""
    from regadvisor.tuning import ParamRange, load_space_file

    out = dict(load_space_file(space)) if space is not None else {}
    if wd is not None:
        out["weight_decay"] = ParamRange("weight_decay", wd[0], wd[1], True, "--wd-range")
    if dropout is not None:
        out["dropout"] = ParamRange("dropout", dropout[0], dropout[1], False, "--dropout-range")
    if patience is not None:
        out["patience_epochs"] = ParamRange("patience_epochs", patience[0], patience[1], False,
                                            "--patience-range")
    return out


def objective_name(value: str | None) -> str:
    from regadvisor.errors import ConfigError

    if value is None or value in ("metric", "val_metric"):
        return "val_metric"
    if value in ("loss", "val_loss"):
        return "val_loss"
    raise ConfigError(f"--objective must be 'metric' or 'loss'. Got {value!r}.")


def command_line() -> str:
    import shlex

    from regadvisor._secrets import mask_url

    args = [mask_url(a) if "://" in a else a for a in sys.argv[1:]]
    return scrub("regadvisor " + " ".join(shlex.quote(a) for a in args))
