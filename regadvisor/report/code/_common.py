"""What every flavour of the recommended code shares: the pieces, how they join, the formatting
of tuned values and user text, and the user's schedule as report.json records it."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["CodePart", "ScheduleInfo", "expected_names", "full_code", "g", "names", "one_line",
           "schedule_info"]

_MAX_NAMES = 8


@dataclass(frozen=True)
class CodePart:
    """One piece of the recommended change as code.

    Attributes:
        key: What the piece is: ``header`` (the comment that says which names the code expects
            from the user's script), ``dropout``, ``optimizer``, ``augment``, ``loss``, ``l1``,
            ``early_stopping``, ``training`` (the loop, or the Trainer, that uses the others),
            ``temperature`` (temperature scaling, after training).
        title: What the piece does, in words.
        imports: Import lines the body needs.
        body: Python source.
        settings: The RegConfig settings the piece implements (a finding shows the pieces of
            its own settings).
    """

    key: str
    title: str
    imports: tuple[str, ...]
    body: str
    settings: tuple[str, ...]

    @property
    def code(self) -> str:
        """The piece on its own: its imports, a blank line, its body."""
        return "\n".join(self.imports) + "\n\n" + self.body if self.imports else self.body


def full_code(parts: Sequence[CodePart]) -> str:
    """All pieces as one block to paste: the header comment, the imports once, then each body in
    order, two blank lines apart (the bodies define functions)."""
    header = [p.body for p in parts if p.key == "header"]
    imports = sorted({i for p in parts for i in p.imports},
                     key=lambda line: (line.startswith("from "), line))
    bodies = [p.body for p in parts if p.key != "header"]
    head = "\n".join(header) + "\n" if header else ""
    return head + "\n".join(imports) + "\n\n\n" + "\n\n\n".join(bodies) + "\n"


def g(v: float) -> str:
    """A tuned float with two significant digits, as a valid Python literal (0.4669 → 0.47).

    The seed-to-seed noise of tuning is far larger than the third digit.
    """
    return repr(float(format(v, ".2g")))


def one_line(text: Any) -> str:
    """User text for a ``#`` comment: a line break would turn the rest into code."""
    return " ".join(str(text).split())


def names(items: Sequence[str]) -> str:
    """Parameter or module names for a comment, the first few of a long list."""
    shown = ", ".join(one_line(n) for n in items[:_MAX_NAMES])
    if len(items) > _MAX_NAMES:
        shown += f", … ({len(items) - _MAX_NAMES} more)"
    return shown or "none"


def expected_names(expects: Sequence[tuple[str, str]]) -> list[str]:
    """Comment lines of a header: each name the code expects and what it is, aligned (a line
    break in the text continues under it)."""
    width = max(len(n) for n, _ in expects)
    out = []
    for name, text in expects:
        first, *rest = text.split("\n")
        out.append(f"#   {name.ljust(width)}  {first}")
        out += [f"#   {' ' * width}  {line}" for line in rest]
    return out


@dataclass(frozen=True)
class ScheduleInfo:
    """The user's learning-rate schedule as the experiment recorded it.

    Attributes:
        name: The scheduler's class (``OneCycleLR``, ``ReduceLROnPlateau``).
        interval: ``"step"`` (after every optimizer step) or ``"epoch"`` (after each epoch's
            validation; ``ReduceLROnPlateau`` is stepped with the validation loss).
    """

    name: str
    interval: str

    @property
    def plateau(self) -> bool:
        return self.name == "ReduceLROnPlateau"

    def describe(self) -> str:
        return f"{self.name}, stepped every {'batch' if self.interval == 'step' else 'epoch'}"


_DESCRIBED = re.compile(r"^(?P<name>\w+), stepped every (?P<every>batch|epoch)$")


def schedule_info(experiment: dict[str, Any]) -> ScheduleInfo | None:
    """The schedule of an experiment record (``report.json``'s ``experiment``), or None.

    Reads ``scheduler_class`` and ``scheduler_interval``; a record written before they existed
    has only ``scheduler``, the schedule in words (``"OneCycleLR, stepped every batch"``).
    """
    interval = experiment.get("scheduler_interval")
    name = experiment.get("scheduler_class")
    if interval and name:
        return ScheduleInfo(str(name), str(interval))
    match = _DESCRIBED.match(str(experiment.get("scheduler") or ""))
    if match is None:
        return None
    return ScheduleInfo(match["name"], "step" if match["every"] == "batch" else "epoch")
