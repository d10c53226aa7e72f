"""Load rules folders: YAML (plain data only) → checked rules, layered bundled → user folders.

Within one folder the files are read in file-name order and an id may appear only once. A later
folder overrides an earlier one: a rule with a known id takes that rule's place (and its rank
among equal priorities), ``enabled: false`` removes it (``{id: ..., enabled: false}`` is enough),
and a folder that holds ``verdicts`` replaces the whole verdict list (an empty ``verdicts:`` is
refused: it would leave no verdict at all).
"""

from __future__ import annotations

import importlib.resources
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
from regadvisor.rules._schema import Rule, VerdictRule, check_id

__all__ = ["RuleSet", "bundled_rules_dir", "check_rules_dir", "load_rules", "parse_rules_text"]

MAX_FILE_BYTES = 1_000_000
_SUFFIXES = (".yaml", ".yml")
_TOP_KEYS = ("rules", "verdicts")
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
    """

    rules: tuple[Rule, ...] = ()
    verdicts: tuple[VerdictRule, ...] = ()
    files: tuple[Path, ...] = ()
    rule_files: Mapping[str, str] = field(default_factory=dict, compare=False)
    disabled: tuple[str, ...] = ()

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
    folders: list[_Folder] = []
    if include_bundled:
        bundled = bundled_rules_dir()
        if not bundled.is_dir():
            raise RulesError(f"the bundled rules folder {bundled} is missing; reinstall "
                             "regadvisor")
        folders.append(_read_folder(bundled, user=False))
    folders += [_read_folder(Path(d), user=True) for d in extra_dirs]
    return _merge(folders)


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
    return _merge([_read_folder(Path(path), user=True)])


def parse_rules_text(text: str, display: str) -> tuple[list[_Entry], list[VerdictRule] | None]:
    """Check the text of one rules file.

    Args:
        text: The YAML text.
        display: The file as shown in messages.

    Returns:
        The rule entries in order, and the verdict list (``None`` when the file has none).

    Raises:
        RulesError: Malformed YAML (with line and column), a tag, an unknown key, a bad value.
    """
    data = _safe_load(text, display)
    if data is None:
        raise RulesError(f"{display}: the file is empty; a rules file holds a 'rules:' list "
                         "and/or a 'verdicts:' list")
    if not isinstance(data, dict):
        raise RulesError(f"{display}: a rules file must be a mapping with 'rules:' and/or "
                         f"'verdicts:', got {yaml_repr(data)}")
    for key in data:
        if key not in _TOP_KEYS:
            raise RulesError(f"{display}: unknown key {yaml_repr(key)} at the top"
                             f"{did_you_mean(str(key), _TOP_KEYS)}; a rules file holds only "
                             "'rules' and 'verdicts'")
    if not data:
        raise RulesError(f"{display}: the file holds neither 'rules:' nor 'verdicts:'")
    entries = _rules(data.get("rules"), display)
    verdicts = _verdicts(data["verdicts"], display) if "verdicts" in data else None
    return entries, verdicts


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


def _read_folder(path: Path, *, user: bool) -> _Folder:
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
    folder = _Folder(files=files)
    owner: dict[str, _Entry] = {}
    for file in files:
        display = _display(file)
        entries, verdicts = parse_rules_text(_read_text(file, display), display)
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


def _merge(folders: list[_Folder]) -> RuleSet:
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
                   disabled=tuple(disabled))


def _display(file: Path) -> str:
    try:
        return str(file.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(file)
