"""``regadvisor rules``: list the rules in force, and check a folder of rules."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from regadvisor.cli._common import DebugOpt, console, handle_errors

rules_app = typer.Typer(
    help="List the rules in force, or check a folder of your own rules.",
    no_args_is_help=True,
)

RulesDirsOpt = Annotated[
    list[Path] | None,
    typer.Option("--rules", help="A folder of your own rules, applied on top of the bundled "
                                 "ones (repeatable).", show_default=False),
]


@rules_app.command("list")
@handle_errors
def list_command(rules: RulesDirsOpt = None, debug: DebugOpt = False) -> None:
    """Print every rule (by rank: priority, then load order) and the verdict order."""
    from regadvisor.rules import load_rules

    ruleset = load_rules(rules or ())
    ranked = sorted(enumerate(ruleset.rules), key=lambda pair: (-pair[1].priority, pair[0]))
    width = max((len(rule.id) for rule in ruleset.rules), default=0)
    console.print(f"{len(ruleset.rules)} rules, highest priority first:", markup=False)
    for _, rule in ranked:
        console.print(f"  {rule.priority:>3}  {rule.id:<{width}}  {rule.title}", markup=False)
        console.print(f"       {'':<{width}}  source: {rule.source} "
                      f"({ruleset.file_of(rule.id)})", markup=False)
    if ruleset.disabled:
        console.print(f"Disabled: {', '.join(ruleset.disabled)}.", markup=False)
    console.print("Verdicts, in order (the first whose condition holds wins; if none does: "
                  "good_fit):", markup=False)
    for i, verdict in enumerate(ruleset.verdicts, start=1):
        console.print(f"  {i}. {verdict.verdict:<13} when {verdict.when}", markup=False)
    if not ruleset.verdicts:
        console.print("  (none)", markup=False)


@rules_app.command("check")
@handle_errors
def check_command(
    folder: Annotated[Path, typer.Argument(help="The folder of rules files (*.yaml) to check.",
                                           show_default=False)],
    debug: DebugOpt = False,
) -> None:
    """Check a folder of rules files: YAML, keys, conditions, templates and ids."""
    from regadvisor.rules import check_rules_dir

    ruleset = check_rules_dir(folder)
    n_rules, n_verdicts = len(ruleset.rules), len(ruleset.verdicts)
    disabled = f" ({len(ruleset.disabled)} disabled)" if ruleset.disabled else ""
    console.print(f"OK: {n_rules} {'rule' if n_rules == 1 else 'rules'}{disabled} and "
                  f"{n_verdicts} {'verdict' if n_verdicts == 1 else 'verdicts'} in {folder}",
                  markup=False)
