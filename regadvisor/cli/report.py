"""``regadvisor report RUN_DIR``: re-render report.html from report.json, without training."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from regadvisor._io import check_run_dir, lock_run_dir
from regadvisor.cli._common import DebugOpt, console, handle_errors
from regadvisor.errors import ConfigError, RegAdvisorError


@handle_errors
def report_command(
    run_dir: Annotated[Path, typer.Argument(help="A run folder holding report.json.")],
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", help="Where to write the HTML report: a file, or a folder to put "
                               "report.html in. Default: report.html in RUN_DIR.")] = None,
    debug: DebugOpt = False,
) -> None:
    """Re-render report.html from a run folder's report.json (no training)."""
    path = run_dir / "report.json"
    if run_dir.is_dir():
        check_run_dir(run_dir, files=("report.json",) + (("report.html",) if output is None
                                                          else ()))
    if not path.is_file():
        raise ConfigError(f"'{path}' does not exist. Pass a run folder written by "
                          "'regadvisor advise' or 'regadvisor tune'.")
    if output is not None:  # the folder is only read: no other run is kept out of it
        out = _render(path, run_dir, _html_path(output))
    else:
        with lock_run_dir(run_dir, "report"):
            out = _render(path, run_dir, run_dir / "report.html")
    console.print(f"Rendered {out}.", markup=False)


def _render(path: Path, run_dir: Path, html: Path) -> Path:
    """Read report.json through the typed record and render it to ``html``."""
    from regadvisor.pipeline import RUN_SCHEMA_VERSION, read_record
    from regadvisor.report import render_report

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ConfigError(f"'{path}' is not valid JSON ({e}). It may be corrupted; run "
                          "'regadvisor advise' again to regenerate it.") from None
    if not isinstance(data, dict) or data.get("schema_version") != RUN_SCHEMA_VERSION \
            or "experiment" not in data:
        raise ConfigError(f"'{path}' is not a regadvisor report.json (schema version "
                          f"{RUN_SCHEMA_VERSION}). Pass a run folder written by "
                          "'regadvisor advise'.")
    # Read through the typed record, as advise wrote it: a field of the wrong type fails here,
    # with its path.
    record = read_record(data, path)
    try:
        return render_report(record, run_dir, html)
    except (RegAdvisorError, OSError):
        raise  # writing failed (a full disk, a read-only folder): not the record's fault
    except Exception as e:  # parts that fit their types but not each other (edited by hand)
        raise ConfigError(f"'{path}' is incomplete or altered ({type(e).__name__}: {e}); it "
                          "cannot be rendered. Run 'regadvisor advise' again.") from None


def _html_path(output: Path) -> Path:
    """``--output``: a folder (existing, or written with a trailing slash) gets report.html; any
    other path is the file itself, its folder made if need be."""
    path = output / "report.html" if output.is_dir() or str(output).endswith("/") else output
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise ConfigError(f"--output '{output}': the folder '{path.parent}' cannot be made "
                          f"({e.strerror or e}). Pass a place you can write to.") from None
    return path
