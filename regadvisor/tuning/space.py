"""The search space: which regularization to tune, over which ranges, and why.

Defaults follow the guide (λ on a log scale from 1e-6 to 1e-1, dropout p up to 0.6, patience 3
to 30 epochs); the findings of the rules move the ranges (overfitting towards more
regularization, underfitting towards less, down to zero) and choose which parameters to tune.
Every bound records the reason it was chosen.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError

from regadvisor._params import PARAMETER_TABLE, PARAMETERS, check_range
from regadvisor.errors import ConfigError

__all__ = ["DEFAULT_RANGES", "ParamRange", "SearchSpace", "build_space", "load_space_file"]


@dataclass(frozen=True)
class ParamRange:
    """One searched parameter.

    Attributes:
        name: RegConfig field.
        low, high: Bounds (inclusive). Patience is in epochs (an integer).
        log: Sample on a log scale (then ``low > 0``; a log range reaches "practically zero"
            with a tiny ``low``, e.g. 1e-8 for weight decay).
        reason: Why these bounds, for the report.
    """

    name: str
    low: float
    high: float
    log: bool = False
    reason: str = ""

    def __post_init__(self) -> None:
        if self.name not in PARAMETERS:
            raise ConfigError(f"Unknown search parameter {self.name!r}; use one of "
                              f"{', '.join(PARAMETERS)}.")
        try:
            check_range(self.name, self.low, self.high, self.log)
        except ValueError as e:
            raise ConfigError(str(e)) from None

    @property
    def is_int(self) -> bool:
        return PARAMETER_TABLE[self.name].is_int

    def clip(self, value: float) -> float:
        v = min(max(value, self.low), self.high)
        return int(round(v)) if self.is_int else v

#: The default ranges, from the parameter table (:data:`regadvisor._params.PARAMETER_TABLE`).
DEFAULT_RANGES: dict[str, ParamRange] = {
    name: ParamRange(name, p.low, p.high, p.log, p.reason) for name, p in PARAMETER_TABLE.items()}


@dataclass(frozen=True)
class SearchSpace:
    """What tuning searches, plus the fixed changes the findings made (``base``).

    Attributes:
        params: The searched ranges, by name.
        base: RegConfig settings every trial shares (e.g. ``decoupled=True``), with reasons.
        reasons: ``field → why`` for each entry of ``base``.
    """

    params: dict[str, ParamRange]
    base: dict[str, Any] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)

    def signature(self) -> dict[str, Any]:
        """What must match for a stored study to be resumed with this space."""
        return {k: [v.low, v.high, v.log] for k, v in sorted(self.params.items())}


def build_space(
    findings: Sequence[Any],
    facts: Mapping[str, Any],
    overrides: Mapping[str, ParamRange] | None = None,
    dropout_layers: Sequence[str] = (),
) -> SearchSpace:
    """Build the search space from ranked findings.

    The highest-priority finding that names a range for a parameter sets it; a parameter is
    searched when a finding asks to tune it, and weight decay and patience are always searched.
    Dropout is searched only for models with hidden fully connected layers or dropout; label
    smoothing only for classification, and never when the experiment's own ``training_step``
    computes the loss; L1 only when a finding asks for it.

    Args:
        findings: Ranked findings (highest priority first), each with ``actions`` holding
            ``set``, ``search`` and ``tune``.
        facts: The diagnosis facts.
        overrides: Ranges from flags or a space file; they win over everything else.
        dropout_layers: Where injected dropout goes (the inspection's ``dropout_targets``);
            every trial that injects dropout puts it there.

    Raises:
        ConfigError: ``overrides`` search label smoothing for an experiment whose own
            ``training_step`` computes the loss.
    """
    verdict = facts.get("verdict")
    chosen: dict[str, ParamRange] = {}
    tune: list[str] = ["weight_decay", "patience_epochs"]
    base: dict[str, Any] = {}
    reasons: dict[str, str] = {}
    for finding in findings:
        actions = getattr(finding, "actions", None)
        if actions is None:
            continue
        for name, rng in _plain(getattr(actions, "search", None)).items():
            if name not in chosen:
                found = _resolve(name, _plain(rng), facts,
                                 f"rule {finding.rule_id}: {finding.title}")
                if found is not None:
                    chosen[name] = found
        for name in getattr(actions, "tune", None) or []:
            if name not in tune:
                tune.append(name)
        for key, value in _plain(getattr(actions, "set", None)).items():
            if key not in base:
                base[key] = value
                reasons[key] = f"rule {finding.rule_id}: {finding.title}"

    can_drop = bool(facts.get("has_dropout")) or (facts.get("n_dropout_targets") or 0) > 0
    if "dropout" in tune and not can_drop:
        tune.remove("dropout")
    if "augment" in tune and not facts.get("augment_exposed"):
        tune.remove("augment")
    if facts.get("task") != "classification" and "label_smoothing" in tune:
        tune.remove("label_smoothing")
    if facts.get("has_training_step"):
        # The experiment's own training_step computes the loss: there is no criterion to
        # smooth the labels in (the experiment's notes say so).
        if "label_smoothing" in tune:
            tune.remove("label_smoothing")
        base.pop("label_smoothing", None)
        reasons.pop("label_smoothing", None)
        if "label_smoothing" in (overrides or {}):
            raise ConfigError("label_smoothing cannot be searched: the experiment's "
                              "training_step computes its own loss, which regadvisor cannot "
                              "smooth. Leave label_smoothing out of the ranges.")
    if verdict == "underfitting":
        # Searching down from the user's setting: a regularizer the user does not use is not
        # added to a model that already cannot fit its data.
        for name in ("dropout", "label_smoothing", "augment"):
            if name in tune and name not in chosen:
                tune.remove(name)

    params: dict[str, ParamRange] = {}
    for name in tune:
        params[name] = chosen.get(name) or DEFAULT_RANGES[name]
    if verdict == "underfitting":
        wd = params.get("weight_decay")
        if wd is not None and wd.low > 1e-8:
            params["weight_decay"] = dataclasses.replace(
                wd, low=1e-8, reason=wd.reason + "; underfitting: down to 1e-8 (practically 0)")
    _guide_base(base, reasons)
    for name, rng in (overrides or {}).items():
        params[name] = dataclasses.replace(rng, reason=rng.reason or "set by the user")
    # A setting a rule sets and the search samples is searched: every trial's own value wins
    # over the rule's, so it is no setting every trial shares.
    for name in params:
        base.pop(name, None)
        reasons.pop(name, None)
    if "dropout" in params and not facts.get("has_dropout"):
        base.setdefault("inject_dropout", True)
        reasons.setdefault("inject_dropout", "the model has no dropout: it is injected in "
                                             "front of the fully connected layers that read "
                                             "hidden units")
        if dropout_layers:
            base.setdefault("dropout_layers", list(dropout_layers))
    return SearchSpace(params=params, base=base, reasons=reasons)


def _guide_base(base: dict[str, Any], reasons: dict[str, str]) -> None:
    """Weight decay the guide's way in every trial, whatever the verdict: decoupled for the Adam
    family (AdamW), biases and 1-D parameters exempt."""
    base.setdefault("decoupled", True)
    reasons.setdefault("decoupled", "the guide: decoupled weight decay (AdamW for Adam), never "
                                    "Adam's L2 term (rule adam-l2-to-adamw)")
    base.setdefault("exempt", "bias_and_norm")
    reasons.setdefault("exempt", "the guide: biases and normalization parameters are never "
                                 "decayed (rule exempt-biases-and-norms)")


def _bound(value: Any, facts: Mapping[str, Any]) -> float | None:
    """A bound as a number: a number as it is, an expression computed on the facts."""
    if isinstance(value, str):
        from regadvisor.rules import compile_number

        return compile_number(value).value(facts)
    return float(value)


def _resolve(name: str, rng: Mapping[str, Any], facts: Mapping[str, Any],
             reason: str) -> ParamRange | None:
    """A rule's range with its bounds computed; ``None`` when they make no valid range (a fact
    it needs is missing, or the user's setting lies outside what the parameter allows)."""
    low, high = _bound(rng["low"], facts), _bound(rng["high"], facts)
    if low is None or high is None:
        return None
    shown = [f"{k} = {rng[k]}" for k in ("low", "high") if isinstance(rng[k], str)]
    if shown:
        reason += f" ({', '.join(shown)})"
    try:
        return ParamRange(name, low, high, bool(rng.get("log", False)), reason)
    except ConfigError:
        return None


def _plain(obj: Any) -> dict[str, Any]:
    """A dict from a dict or a pydantic model (unset fields left out)."""
    if obj is None:
        return {}
    if hasattr(obj, "model_dump"):
        return obj.model_dump(exclude_none=True)
    return dict(obj)


class _SpaceEntry(BaseModel):
    """One parameter of a search space file: ``{low: 1e-5, high: 1e-1, log: true}``."""

    model_config = ConfigDict(extra="forbid")

    low: float
    high: float
    log: Annotated[bool, BeforeValidator(bool)] = False


def _entry(path: Path, name: Any, spec: Any) -> _SpaceEntry:
    """Validate one entry of a space file; its first problem as one line."""
    try:
        return _SpaceEntry.model_validate(spec)
    except ValidationError as e:
        errors = e.errors()
    where = f"{path}, parameter {name!r}"
    if any(err["type"] in ("missing", "model_type") for err in errors):
        raise ConfigError(f"{where}: give low and high, e.g. {{low: 1e-5, high: 1e-1, log: true}}.")
    extra = sorted(str(err["loc"][0]) for err in errors if err["type"] == "extra_forbidden")
    if extra:
        raise ConfigError(f"{where}: unknown key {extra[0]!r}; use low, high and log.")
    raise ConfigError(f"{where}: low and high must be numbers.")


def load_space_file(path: str | Path) -> dict[str, ParamRange]:
    """Read ranges from a YAML file: ``{weight_decay: {low: 1e-5, high: 1e-1, log: true}}``.

    Each entry is validated by a pydantic model, then checked as a :class:`ParamRange`.

    Raises:
        ConfigError: The file is missing, malformed, or a range is invalid.
    """
    import yaml

    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"Search space file '{path}' does not exist.") from None
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}:{mark.column + 1}" if mark else str(path)
        raise ConfigError(f"{where}: malformed YAML in the search space file: "
                          f"{getattr(e, 'problem', e)}.") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: a search space file maps parameter names to "
                          "{low, high, log}; e.g. weight_decay: {low: 1e-5, high: 1e-1, "
                          "log: true}.")
    out = {}
    for name, spec in data.items():
        entry = _entry(path, name, spec)
        out[name] = ParamRange(str(name), entry.low, entry.high, entry.log,
                               f"space file {path.name}")
    return out
