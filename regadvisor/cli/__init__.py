"""The ``regadvisor`` command line (Typer). The only package that imports typer and rich."""

from __future__ import annotations

from typing import Annotated

import typer

from regadvisor import __version__
from regadvisor.cli.advise import advise_command
from regadvisor.cli.diagnose import diagnose_command
from regadvisor.cli.report import report_command
from regadvisor.cli.rules import rules_app
from regadvisor.cli.train import train_command
from regadvisor.cli.tune import tune_command

app = typer.Typer(
    name="regadvisor",
    help="An automated regularization advisor for PyTorch: says whether your model over- or "
         "under-fits, why, what to change, and proves that the change helps.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"regadvisor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """regadvisor: diagnose, tune and verify regularization."""


app.command("advise")(advise_command)
app.command("diagnose")(diagnose_command)
app.command("tune")(tune_command)
app.command("train")(train_command)
app.command("report")(report_command)
app.add_typer(rules_app, name="rules")


def _terminate(signum, frame) -> None:
    # SIGTERM (a scheduler, `timeout`, a parent stopping its workers) ends a run like Ctrl-C:
    # finished trials are kept and report.json says what finished.
    raise KeyboardInterrupt


def main() -> None:
    """Entry point of the ``regadvisor`` console script."""
    import signal

    signal.signal(signal.SIGTERM, _terminate)
    app()


__all__ = ["app", "main"]
