"""What every command shares: error handling, the console, options and progress display."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from regadvisor.errors import RegAdvisorError

console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)

F = TypeVar("F", bound=Callable[..., Any])

# Options shared by the commands, declared once.
ExperimentArg = Annotated[
    str | None,
    typer.Argument(
        help="Experiment: a .py file, an importable module, or a bundled example "
             "(digits_noisy, digits_mlp, digits_cnn, diabetes, sparse_linear). "
             "Default: the bundled digits_noisy.",
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
SeedOpt = Annotated[int, typer.Option("--seed", min=0, help="Training seed.")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="No progress display.")]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")]


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
            if debug:
                raise
            err_console.print(f"[bold red]Error:[/] {e.message}", soft_wrap=True)
            raise typer.Exit(e.exit_code) from None
        except KeyboardInterrupt:
            if debug:
                raise
            err_console.print("Interrupted: stopped at your request; finished work is kept.")
            raise typer.Exit(130) from None
        except Exception as e:  # a bug, or an error from the user's code we did not foresee
            if debug:
                raise
            err_console.print(
                f"[bold red]Error:[/] regadvisor failed unexpectedly: {type(e).__name__}: {e}. "
                "Run again with --debug for the traceback.", soft_wrap=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


def is_interactive() -> bool:
    return sys.stderr.isatty()
