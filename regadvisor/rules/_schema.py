"""The schema of a rules file: pydantic models that reject unknown keys and check every value.

Conditions and templates are checked here too (by :mod:`._conditions` and :mod:`._templates`),
so a :class:`Rule` that exists is a rule that can be evaluated.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from regadvisor._params import PARAMETER_TABLE, PARAMETERS, check_range
from regadvisor.rules._conditions import Condition, compile_condition, compile_number
from regadvisor.rules._errors import ExpressionError, did_you_mean, shorten, yaml_repr
from regadvisor.rules._names import SCOPES, VerdictName
from regadvisor.rules._templates import Template, compile_template

__all__ = ["Actions", "ConfigChanges", "Rule", "SearchRange", "VerdictRule", "check_id"]

_ID = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_MAX_ID = 64


def check_id(value: Any) -> str:
    """Return a valid rule id or raise ``ValueError`` saying how one looks."""
    if not isinstance(value, str):
        raise ValueError(f"'id' must be text, got {yaml_repr(value)}")
    if len(value) > _MAX_ID or not _ID.fullmatch(value):
        raise ValueError(f"'id' must be lowercase letters, digits and single hyphens (at most "
                         f"{_MAX_ID} characters, e.g. 'adam-l2-to-adamw'), got "
                         f"'{shorten(value, 40)}'")
    return value


def _number(value: Any) -> Any:
    """Numbers as YAML gives them; also ``'1e-4'``, which YAML 1.1 reads as text."""
    if isinstance(value, bool):
        raise ValueError(f"should be a number, got {yaml_repr(value)}")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise ValueError(f"should be a number, got {yaml_repr(value)}") from None
    if isinstance(value, (int, float)) and not math.isfinite(value):
        raise ValueError(f"should be a finite number, got {value}")
    return value


Number = Annotated[float, BeforeValidator(_number)]


def _bound(value: Any) -> Any:
    """A search bound: a number, or an expression over facts such as ``weight_decay * 100``."""
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            pass
        try:
            compile_number(value, "rule")
        except ExpressionError as e:
            raise ValueError(str(e)) from None
        return value
    return _number(value)


Bound = Annotated[float | str, BeforeValidator(_bound)]
NonNegative = Annotated[Number, Field(ge=0)]
Text = Annotated[str, Field(min_length=1)]


def _setting(name: str) -> Any:
    """The type of a searchable parameter's setting: what the parameter table admits."""
    p = PARAMETER_TABLE[name]
    if p.is_int:
        return Annotated[int, Field(strict=True, **p.bounds)]
    return Annotated[Number, Field(**p.bounds)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ConfigChanges(_Model):
    """``actions.set``: changes to the training configuration that a rule recommends outright.

    Units: ``patience_epochs`` counts epochs; ``min_delta`` is in the units of the monitored
    figure; ``dropout`` and ``label_smoothing`` are probabilities in [0, 1).
    """

    weight_decay: _setting("weight_decay") | None = None
    decoupled: StrictBool | None = None
    exempt: Literal["none", "bias_and_norm"] | None = None
    exempt_embeddings: StrictBool | None = None
    l1: _setting("l1") | None = None
    dropout: _setting("dropout") | None = None
    inject_dropout: StrictBool | None = None
    label_smoothing: _setting("label_smoothing") | None = None
    patience_epochs: _setting("patience_epochs") | None = None
    min_delta: NonNegative | None = None
    monitor: Literal["val_loss", "val_metric"] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The keys the rule set, and only those."""
        return self.model_dump(exclude_none=True)


class SearchRange(_Model):
    """A range for the tuner.

    Its bounds are checked with the parameter it belongs to (:func:`check_range`, by
    :class:`Actions`); a bound left out is the parameter's default
    (:data:`~regadvisor._params.PARAMETER_TABLE`: dropout's ``high`` is 0.6). A bound may be an
    expression over facts (``high: weight_decay`` searches down from the user's setting); it is
    checked when the rule is loaded and computed when the search space is built. A range whose
    bounds then come out empty or invalid is not used.
    """

    low: Bound
    high: Bound
    log: StrictBool = False

    @property
    def fixed(self) -> bool:
        """Both bounds are numbers."""
        return not isinstance(self.low, str) and not isinstance(self.high, str)


class Actions(_Model):
    """What a rule does besides advising.

    ``set`` changes, ``search`` ranges, the ``tune`` list, and the direction the advice points
    in: ``increase`` and ``decrease`` name the parameters the rule wants raised or lowered from
    the user's setting. The report marks a finding "in the recommendation" only when the
    recommended change moved its parameters that way.
    """

    set: ConfigChanges = Field(default_factory=ConfigChanges)
    search: dict[str, SearchRange] = Field(default_factory=dict)
    tune: tuple[str, ...] = ()
    increase: tuple[str, ...] = ()
    decrease: tuple[str, ...] = ()

    @field_validator("search", mode="before")
    @classmethod
    def _known_search_keys(cls, value: Any) -> Any:
        if isinstance(value, dict):
            for key in value:
                _check_parameter(key, "search")
            # A bound left out is the parameter's default (the parameter table, from the guide),
            # and so is the scale then: a range half the table's is on the table's scale.
            value = {key: ({"low": PARAMETER_TABLE[key].low, "high": PARAMETER_TABLE[key].high,
                            "log": PARAMETER_TABLE[key].log} | r
                           if isinstance(r, dict) and not {"low", "high"} <= set(r) else r)
                     for key, r in value.items()}
        return value

    @field_validator("search")
    @classmethod
    def _ranges_fit(cls, value: dict[str, SearchRange]) -> dict[str, SearchRange]:
        for name, r in value.items():
            if r.fixed:
                check_range(name, r.low, r.high, r.log)
        return value

    @field_validator("tune", "increase", "decrease")
    @classmethod
    def _known_tune_names(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        for name in value:
            _check_parameter(name, info.field_name or "tune")
        return value

    @model_validator(mode="after")
    def _one_direction(self) -> Actions:
        both = set(self.increase) & set(self.decrease)
        if both:
            raise ValueError(f"'{sorted(both)[0]}' is in both 'actions.increase' and "
                             "'actions.decrease'")
        return self

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: ``{"set": {...}, "search": {name: {low, high, log}}, "tune": [...]}``."""
        return {"set": self.set.to_dict(),
                "search": {k: v.model_dump() for k, v in self.search.items()},
                "tune": list(self.tune), "increase": list(self.increase),
                "decrease": list(self.decrease)}


def _check_parameter(name: Any, where: str) -> None:
    if name not in PARAMETERS:
        raise ValueError(f"unknown parameter {yaml_repr(name)} in '{where}'"
                         f"{did_you_mean(str(name), PARAMETERS)}; the parameters are "
                         f"{', '.join(PARAMETERS)}")


def _compiles(compile: Callable[[str, str], Any], value: str, info: ValidationInfo,
              scope: str) -> str:
    """``value`` when ``compile`` (a condition's or a template's) takes it in ``scope``; else
    the error, located in the field."""
    try:
        compile(value, scope)
    except ExpressionError as e:
        raise ValueError(e.located(info.field_name or "text")) from None
    return value


def _evidence(value: tuple[str, ...] | None, scope: str) -> tuple[str, ...] | None:
    names = SCOPES[scope]
    for name in value or ():
        if name not in names:
            raise ValueError(f"unknown fact '{name}' in 'evidence'{did_you_mean(name, names)}")
    return value


class _Conditioned(_Model):
    """What a rule and a verdict share: a condition ``when`` over the facts of their scope
    (``_scope``), and the facts shown with them (``evidence``). Each declares the two fields in
    its own order (the order error messages list the keys in)."""

    _scope: ClassVar[str]

    @field_validator("when", check_fields=False)
    @classmethod
    def _when(cls, value: str, info: ValidationInfo) -> str:
        return _compiles(compile_condition, value, info, cls._scope)

    @field_validator("evidence", check_fields=False)
    @classmethod
    def _evidence(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return _evidence(value, cls._scope)

    @field_validator("advice", "why", "reason", check_fields=False)
    @classmethod
    def _templates(cls, value: str, info: ValidationInfo) -> str:
        return _compiles(compile_template, value, info, cls._scope)

    def template(self, name: str) -> Template:
        """The checked template of the text field ``name`` (cached)."""
        return compile_template(getattr(self, name), self._scope)

    @property
    def condition(self) -> Condition:
        """The checked condition (cached)."""
        return compile_condition(self.when, self._scope)  # type: ignore[attr-defined]

    @property
    def evidence_facts(self) -> tuple[str, ...]:
        """The facts shown with it: ``evidence``, or the facts named in ``when``."""
        evidence = self.evidence  # type: ignore[attr-defined]
        return evidence if evidence is not None else self.condition.facts


class Rule(_Conditioned):
    """One rule: when its condition holds, it advises, explains, and proposes actions."""

    _scope: ClassVar[str] = "rule"

    id: str
    title: Text
    when: str
    priority: Annotated[int, Field(strict=True, ge=0, le=100)]
    advice: Text
    why: Text
    evidence: tuple[str, ...] | None = None
    actions: Actions = Field(default_factory=Actions)
    snippet: str | None = None
    source: Text
    enabled: StrictBool = True

    @field_validator("id", mode="before")
    @classmethod
    def _id(cls, value: Any) -> str:
        return check_id(value)

    @property
    def advice_template(self) -> Template:
        return self.template("advice")

    @property
    def why_template(self) -> Template:
        return self.template("why")


class VerdictRule(_Conditioned):
    """One entry of the ordered verdict list: the first whose condition holds is the verdict."""

    _scope: ClassVar[str] = "verdict"

    verdict: VerdictName
    when: str
    reason: Text
    evidence: tuple[str, ...] | None = None

    @property
    def reason_template(self) -> Template:
        return self.template("reason")

