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


_signals: list[int] = []


def _stop(signum, frame) -> None:
    """Ctrl-C and SIGTERM (a scheduler, `timeout`, a parent stopping its workers) end a run:
    finished trials are kept and report.json says what finished. The first signal stops the
    run; a second while it writes down what finished is ignored (an interrupted write would
    lose it); a third ends the process at once."""
    import os
    import sys

    _signals.append(signum)
    if len(_signals) == 1:
        raise KeyboardInterrupt
    if len(_signals) == 2:
        sys.stderr.write("Stopping: writing down what finished (press Ctrl-C again to quit at "
                         "once).\n")
        return
    os._exit(130)


class _ScrubLogs:
    """A logging filter that masks registered secrets in every record (Optuna's, the
    database drivers')."""

    def filter(self, record) -> bool:
        from regadvisor._secrets import scrub

        record.msg = scrub(record.getMessage())
        record.args = ()
        return True


def _scrub_warnings() -> None:
    import logging
    import warnings

    from regadvisor._secrets import scrub

    show = warnings.showwarning

    def masked(message, category, filename, lineno, file=None, line=None):
        show(scrub(str(message)), category, filename, lineno, file, line)

    warnings.showwarning = masked
    for name in ("", "optuna", "sqlalchemy", "psycopg"):
        logging.getLogger(name).addFilter(_ScrubLogs())


def main() -> None:
    """Entry point of the ``regadvisor`` console script."""
    import signal

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    _scrub_warnings()
    try:
        app()
    except SystemExit as e:
        if not _signals:
            raise
        # Stopped by a signal: leave now, so that another signal arriving while the interpreter
        # shuts down cannot kill the process with a traceback or another exit status.
        import os
        import sys

        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(e.code if isinstance(e.code, int) else 1)


__all__ = ["app", "main"]
