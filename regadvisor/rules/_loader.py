"""Load rules folders: YAML (plain data only) → checked rules, layered bundled → user folders.

Within one folder the files are read in file-name order and an id may appear only once. A later
folder overrides an earlier one: a rule with a known id takes that rule's place (and its rank
among equal priorities), ``enabled: false`` removes it (``{id: ..., enabled: false}`` is enough),
and a folder that holds ``verdicts`` replaces the whole verdict list (an empty ``verdicts:`` is
refused: it would leave no verdict at all).

A file may also name numbers under ``thresholds:`` (``dropout_top: 0.5``): a condition writes
the name, and the loader puts the number in its place before the condition is checked, so a
threshold that several rules share lives in one place (the bundled ones in
``rules/00-thresholds.yaml``). The names of a folder hold for all its files; a later folder
may give a name another number, which then holds for the rules of every folder.
"""

from __future__ import annotations

import importlib.resources
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from regadvisor.errors import RulesError
from regadvisor.rules._errors import did_you_mean, yaml_repr
from regadvisor.rules._messages import validation_message
from regadvisor.rules._names import SCOPES
from regadvisor.rules._schema import Rule, VerdictRule, check_id

__all__ = ["RuleSet", "bundled_rules_dir", "check_rules_dir", "load_rules", "parse_rules_text"]

MAX_FILE_BYTES = 1_000_000
_SUFFIXES = (".yaml", ".yml")
_TOP_KEYS = ("rules", "verdicts", "thresholds")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_TAG_PROBLEM = re.compile(r"could not determine a constructor for the tag '([^']*)'")


@dataclass(frozen=True)
class RuleSet:
    """Loaded rules, ready for :func:`~regadvisor.rules.evaluate_rules`.

    Attributes:
        rules: The enabled rules in load order (ties in priority keep this order).
        verdicts: The verdict list, in order (the first whose condition holds wins).
        files: Every file read, in order.
        rule_files: Rule id → the file (as displayed) that defined it.
        disabled: Ids switched off with ``enabled: false`` (and not defined again later).
        thresholds: The named numbers the conditions were read with (see the module).
    """

    rules: tuple[Rule, ...] = ()
    verdicts: tuple[VerdictRule, ...] = ()
    files: tuple[Path, ...] = ()
    rule_files: Mapping[str, str] = field(default_factory=dict, compare=False)
    disabled: tuple[str, ...] = ()
    thresholds: Mapping[str, float] = field(default_factory=dict, compare=False)

    def file_of(self, rule_id: str) -> str:
        """The file (as displayed) that defined ``rule_id``, or an empty string."""
        return self.rule_files.get(rule_id, "")


@dataclass
class _Entry:
    rule_id: str
    rule: Rule | None  # None: a bare ``{id: ..., enabled: false}``
    where: str
    file: str


@dataclass
class _Folder:
    entries: list[_Entry] = field(default_factory=list)
    verdicts: list[VerdictRule] | None = None
    files: list[Path] = field(default_factory=list)


def bundled_rules_dir() -> Path:
    """The folder of the bundled rules.

    An installed regadvisor holds them in ``regadvisor/_rules`` (the top-level ``rules/`` folder,
    shipped as package data); a source checkout or an editable install reads ``<repo>/rules``.
    """
    package = Path(__file__).resolve().parents[1]
    installed = package / "_rules"
    if installed.is_dir() and any(installed.glob("*.y*ml")):
        return installed
    try:
        resource = importlib.resources.files("regadvisor._rules")
        if isinstance(resource, Path) and resource.is_dir():
            return resource
    except (ImportError, TypeError, ValueError, OSError):
        pass
    return package.parent / "rules"


def load_rules(extra_dirs: Iterable[str | Path] = (), include_bundled: bool = True) -> RuleSet:
    """Load the bundled rules, then each extra folder on top.

    Args:
        extra_dirs: User folders (``--rules DIR``), applied in order: a rule whose id is already
            loaded replaces it, ``enabled: false`` disables it, ``verdicts`` replace the list.
        include_bundled: Start from the bundled rules.

    Returns:
        The :class:`RuleSet`.

    Raises:
        RulesError: A folder is missing or empty, or a file is malformed, names an unknown fact,
            repeats an id within its folder, or disables an id that nothing defined.
    """
    if isinstance(extra_dirs, (str, Path)):  # one folder given bare
        extra_dirs = [extra_dirs]
    sources = ([(_bundled_dir(), False)] if include_bundled else []) + [
        (Path(d), True) for d in extra_dirs]
    loaded = [_load_folder(path, user=user) for path, user in sources]
    # The thresholds of every folder, later ones overriding, hold for the rules of all.
    thresholds: dict[str, float] = {}
    for _, named in loaded:
        thresholds.update(named)
    return _merge([_read_folder(files, thresholds) for files, _ in loaded], thresholds)


def _bundled_dir() -> Path:
    bundled = bundled_rules_dir()
    if not bundled.is_dir():
        raise RulesError(f"the bundled rules folder {bundled} is missing; reinstall regadvisor")
    return bundled


def check_rules_dir(path: str | Path) -> RuleSet:
    """Check one folder alone (``regadvisor rules check DIR``).

    Args:
        path: The folder.

    Returns:
        The folder's :class:`RuleSet` (a bare ``enabled: false`` entry is accepted unchecked
        against the bundled ids).

    Raises:
        RulesError: The first problem, as one line.
    """
    path = Path(path)
    files, named = _load_folder(path, user=True)
    # The bundled thresholds are known (a user rule may use them); the folder's own override.
    thresholds = {**_load_folder(_bundled_dir(), user=False)[1], **named}
    return _merge([_read_folder(files, thresholds)], thresholds)


def parse_rules_text(text: str, display: str, thresholds: Mapping[str, float] | None = None,
                     ) -> tuple[list[_Entry], list[VerdictRule] | None]:
    """Check the text of one rules file.

    Args:
        text: The YAML text.
        display: The file as shown in messages.
        thresholds: Named numbers its conditions may use (its own ``thresholds:`` are added).

    Returns:
        The rule entries in order, and the verdict list (``None`` when the file has none).

    Raises:
        RulesError: Malformed YAML (with line and column), a tag, an unknown key, a bad value.
    """
    data = _file_data(text, display)
    named = {**(thresholds or {}), **_thresholds(data.get("thresholds"), display)}
    return _file_rules(data, display, named)


def _file_data(text: str, display: str) -> dict[str, Any]:
    """A rules file's top-level mapping, its keys checked."""
    data = _safe_load(text, display)
    if data is None:
        raise RulesError(f"{display}: the file is empty; a rules file holds a 'rules:' list, "
                         "a 'verdicts:' list and/or 'thresholds:'")
    if not isinstance(data, dict):
        raise RulesError(f"{display}: a rules file must be a mapping with 'rules:', "
                         f"'verdicts:' and/or 'thresholds:', got {yaml_repr(data)}")
    for key in data:
        if key not in _TOP_KEYS:
            raise RulesError(f"{display}: unknown key {yaml_repr(key)} at the top"
                             f"{did_you_mean(str(key), _TOP_KEYS)}; a rules file holds only "
                             "'rules', 'verdicts' and 'thresholds'")
    if not data:
        raise RulesError(f"{display}: the file holds none of 'rules:', 'verdicts:' and "
                         "'thresholds:'")
    return data


def _file_rules(data: dict[str, Any], display: str, thresholds: Mapping[str, float],
                ) -> tuple[list[_Entry], list[VerdictRule] | None]:
    entries = _rules(_named(data.get("rules"), thresholds), display)
    verdicts = (_verdicts(_named(data["verdicts"], thresholds), display)
                if "verdicts" in data else None)
    return entries, verdicts


def _thresholds(raw: Any, display: str) -> dict[str, float]:
    """A file's ``thresholds:``: lower-case names, not those of facts, each a number."""
    if raw is None:
        return {}
    if not isinstance(raw, dict) or not raw:
        raise RulesError(f"{display}: 'thresholds' must map names to numbers (e.g. "
                         f"'dropout_top: 0.5'), got {yaml_repr(raw)}")
    out: dict[str, float] = {}
    for name, value in raw.items():
        where = f"{display}, threshold {yaml_repr(name)}"
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise RulesError(f"{where}: a threshold's name is lower-case letters, digits and "
                             "'_', starting with a letter")
        if name in SCOPES["rule"] or name in ("true", "false"):
            raise RulesError(f"{where}: '{name}' is the name of a fact; give the threshold "
                             "another name")
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
                value):
            raise RulesError(f"{where}: must be a finite number, got {yaml_repr(value)}")
        out[name] = float(value)
    return out


def _named(raw: Any, thresholds: Mapping[str, float]) -> Any:
    """Rules or verdicts with each threshold name in a condition (``when``) replaced by its
    number; anything else is left for the checks that follow."""
    if not thresholds or not isinstance(raw, list):
        return raw
    pattern = re.compile(r"\b(" + "|".join(map(re.escape, thresholds)) + r")\b")
    out = []
    for item in raw:
        if isinstance(item, dict) and isinstance(item.get("when"), str):
            item = {**item, "when": pattern.sub(lambda m: repr(thresholds[m.group(1)]),
                                                item["when"])}
        out.append(item)
    return out


def _safe_load(text: str, display: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        at = f"{display}:{mark.line + 1}:{mark.column + 1}" if mark is not None else display
        tag = _TAG_PROBLEM.search(e.problem or "")
        if tag is not None:
            name = tag.group(1).replace("tag:yaml.org,2002:", "!!")
            raise RulesError(f"{at}: the tag '{name}' is not allowed: rules files are plain data "
                             "(remove the tag)") from None
        problem = e.problem or e.context or "cannot parse"
        hint = (" (a value that holds ': ' must be in quotes)"
                if problem.startswith("mapping values are not allowed") else "")
        raise RulesError(f"{at}: malformed YAML: {problem}{hint}") from None
    except yaml.YAMLError as e:
        raise RulesError(f"{display}: malformed YAML: {' '.join(str(e).split())}") from None
    except (ValueError, TypeError, OverflowError) as e:  # e.g. a date like 2024-13-45
        raise RulesError(f"{display}: malformed YAML: {e}") from None
    except (RecursionError, MemoryError):
        raise RulesError(f"{display}: malformed YAML: nested too deeply") from None


def _rules(raw: Any, display: str) -> list[_Entry]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise RulesError(f"{display}: 'rules' must be a list of rules (each starting with "
                         f"'- id: ...'), got {yaml_repr(raw)}")
    entries: list[_Entry] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(raw):
        rule_id = item.get("id") if isinstance(item, dict) else None
        where = (f"{display}, rule '{rule_id}'" if isinstance(rule_id, str) and rule_id
                 else f"{display}, rule #{i + 1}")
        if isinstance(item, dict) and item.get("enabled") is False and set(item) <= {"id",
                                                                                   "enabled"}:
            try:
                rule_id, rule = check_id(rule_id), None
            except ValueError as e:
                raise RulesError(f"{where}: {e}") from None
        else:
            try:
                rule = Rule.model_validate(item)
            except ValidationError as e:
                raise RulesError(validation_message(e, Rule, where)) from None
            rule_id = rule.id
        if rule_id in seen:
            raise RulesError(f"{where}: duplicate id: rule #{seen[rule_id] + 1} of this file "
                             "has it too (rename one of them)")
        seen[rule_id] = i
        entries.append(_Entry(rule_id, rule, where, display))
    return entries


def _verdicts(raw: Any, display: str) -> list[VerdictRule]:
    if raw is None or raw == []:
        # A verdict list replaces the one in force; an empty one would leave every run with no
        # verdict but the fallback (good fit), whatever the curves show.
        raise RulesError(f"{display}: 'verdicts' is empty: it would replace the verdicts in force "
                         "with none, and every run would read as a good fit. List the verdicts "
                         "that replace them, or remove the 'verdicts:' key to keep them")
    if not isinstance(raw, list):
        raise RulesError(f"{display}: 'verdicts' must be a list (each entry starting with "
                         f"'- verdict: ...'), got {yaml_repr(raw)}")
    verdicts = []
    for i, item in enumerate(raw):
        name = item.get("verdict") if isinstance(item, dict) else None
        where = f"{display}, verdict #{i + 1}" + (f" ({name})" if isinstance(name, str) else "")
        try:
            verdicts.append(VerdictRule.model_validate(item))
        except ValidationError as e:
            raise RulesError(validation_message(e, VerdictRule, where)) from None
    return verdicts


def _load_folder(path: Path, *, user: bool) -> tuple[list[tuple[Path, str, dict]], dict]:
    """A folder's files read and their top level checked (``(file, display, data)`` in name
    order), and the thresholds they name (a name given twice in one folder is refused)."""
    if not path.exists():
        raise RulesError(f"rules folder '{path}' does not exist; pass a folder that holds "
                         "*.yaml rules files")
    if not path.is_dir():
        raise RulesError(f"'{path}' is a file, not a folder; put it in a folder of its own and "
                         "pass the folder")
    files = sorted((p for p in path.iterdir() if p.suffix in _SUFFIXES and p.is_file()),
                   key=lambda p: p.name)
    if not files and user:
        raise RulesError(f"rules folder '{path}' holds no *.yaml or *.yml files")
    read, named, where = [], {}, {}
    for file in files:
        display = _display(file)
        data = _file_data(_read_text(file, display), display)
        for name, value in _thresholds(data.get("thresholds"), display).items():
            if name in named:
                raise RulesError(f"{display}, threshold '{name}': {where[name]} names it too "
                                 "(a threshold is named once in a folder)")
            named[name], where[name] = value, display
        read.append((file, display, data))
    return read, named


def _read_folder(read: list[tuple[Path, str, dict]], thresholds: Mapping[str, float],
                 ) -> _Folder:
    folder = _Folder(files=[file for file, _, _ in read])
    owner: dict[str, _Entry] = {}
    for _file, display, data in read:
        entries, verdicts = _file_rules(data, display, thresholds)
        for entry in entries:
            if entry.rule_id in owner:
                raise RulesError(f"{entry.where}: duplicate id: {owner[entry.rule_id].file} has "
                                 "it too (ids are unique within a folder; rename one of them)")
            owner[entry.rule_id] = entry
        folder.entries += entries
        if verdicts is not None:
            folder.verdicts = (folder.verdicts or []) + verdicts
    return folder


def _read_text(file: Path, display: str) -> str:
    try:
        size = file.stat().st_size
        if size > MAX_FILE_BYTES:
            raise RulesError(f"{display}: the file is too large ({size:,} bytes, at most "
                             f"{MAX_FILE_BYTES:,})")
        return file.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as e:
        raise RulesError(f"{display}: not UTF-8 text ({e.reason} at byte {e.start})") from None
    except OSError as e:
        raise RulesError(f"{display}: cannot read the file ({e.strerror or e})") from None


def _merge(folders: list[_Folder], thresholds: Mapping[str, float]) -> RuleSet:
    active: dict[str, tuple[Rule, str]] = {}
    known: set[str] = set()
    disabled: dict[str, None] = {}  # an ordered set
    verdicts: list[VerdictRule] = []
    for index, folder in enumerate(folders):
        for entry in folder.entries:
            rule_id = entry.rule_id
            if entry.rule is None or not entry.rule.enabled:
                if entry.rule is None and index > 0 and rule_id not in known:
                    raise RulesError(
                        f"{entry.where}: enabled: false disables nothing: no earlier rule has "
                        f"this id{did_you_mean(rule_id, known)} (see 'regadvisor rules list')")
                active.pop(rule_id, None)
                disabled[rule_id] = None
            else:
                active[rule_id] = (entry.rule, entry.file)
                disabled.pop(rule_id, None)
            known.add(rule_id)
        if folder.verdicts is not None:
            verdicts = folder.verdicts
    return RuleSet(rules=tuple(rule for rule, _ in active.values()),
                   verdicts=tuple(verdicts),
                   files=tuple(f for folder in folders for f in folder.files),
                   rule_files={rule_id: file for rule_id, (_, file) in active.items()},
                   disabled=tuple(disabled),
                   thresholds=dict(thresholds))


def _display(file: Path) -> str:
    try:
        return str(file.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(file)
