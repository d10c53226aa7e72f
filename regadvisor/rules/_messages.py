"""Pydantic's validation errors as one readable line: file, rule, field, problem, fix."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ValidationError

from regadvisor.rules._errors import did_you_mean, yaml_repr
from regadvisor.rules._schema import Actions, ConfigChanges, SearchRange

__all__ = ["validation_message"]


def validation_message(error: ValidationError, model: type[BaseModel], where: str) -> str:
    """One line for the first problem of ``error`` (and how many more there are).

    Args:
        error: What ``model.model_validate`` raised.
        model: The model validated (``Rule`` or ``VerdictRule``).
        where: The place, e.g. ``rules/optimizer.yaml, rule 'adam-l2'``.
    """
    errors = error.errors(include_url=False)
    message = _one(errors[0], model, where)
    more = len(errors) - 1
    if more:
        message += f" (and {more} more problem{'s' if more > 1 else ''} in this entry)"
    return message


def _one(err: Any, model: type[BaseModel], where: str) -> str:
    loc = tuple(str(part) for part in err["loc"])
    kind = err["type"]
    if kind == "missing":
        *parent, name = loc
        hint = ""
        if not parent:
            required = [n for n, f in model.model_fields.items() if f.is_required()]
            noun = "rule" if "id" in required else "verdict"
            hint = f" (every {noun} needs {_join(required)})"
        return f"{_at(where, parent)}: '{name}' is required{hint}"
    if kind == "extra_forbidden":
        *parent, name = loc
        allowed = list(_model_at(model, tuple(parent)).model_fields)
        return (f"{_at(where, parent)}: unknown key '{name}'{did_you_mean(name, allowed)}; "
                f"the keys are {_join(allowed)}")
    if kind in ("value_error", "assertion_error"):
        message = str(err.get("ctx", {}).get("error", err["msg"]))
        if not loc or f"'{loc[-1]}'" in message or f"'{'.'.join(loc)}" in message:
            return f"{where}: {message}"
        return f"{_at(where, loc)}: {message}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"{_at(where, loc)}: should be a mapping of keys, got {yaml_repr(err['input'])}"
    message = err["msg"]
    message = message[0].lower() + message[1:]
    for subject in ("input ", "string ", "value "):
        if message.startswith(subject + "should"):
            message = message[len(subject):]
    message = message.replace("a valid tuple", "a list")
    hint = ""
    if kind == "string_type" and isinstance(err["input"], (bool, int, float)):
        hint = " (put the value in quotes)"
    return f"{_at(where, loc)}: {message}, got {yaml_repr(err['input'])}{hint}"


def _at(where: str, path: Any) -> str:
    return f"{where}, {'.'.join(path)}" if path else where


def _join(names: list[str]) -> str:
    return ", ".join(names[:-1]) + f" and {names[-1]}" if len(names) > 1 else "".join(names)


def _model_at(model: type[BaseModel], path: tuple[str, ...]) -> type[BaseModel]:
    if path == ("actions",):
        return Actions
    if path == ("actions", "set"):
        return ConfigChanges
    if path[:2] == ("actions", "search"):
        return SearchRange
    return model
