"""One serializer for every record regadvisor writes: dataclasses to JSON-ready values and back.

:func:`to_plain` turns a record (a dataclass, possibly nested, holding lists, tuples, dicts,
enums, pydantic models and numbers) into plain JSON values: tuples become lists, enums their
values, non-finite floats ``None``. :func:`from_plain` rebuilds the record from those values by
reading the dataclass's type hints: nested dataclasses, ``list``/``tuple``/``dict`` of them,
enums, pydantic models, optional fields; a ``float`` field that was written as ``None`` (NaN or
infinity) comes back as NaN. Keys a dataclass does not know are ignored and missing ones take
the field's default, so an older record still loads.

A field whose metadata holds ``{"record": False}`` (a trained model kept in memory, say) is not
written.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import math
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any, Union

__all__ = ["from_plain", "json_schema", "not_recorded", "to_json", "to_plain"]


def not_recorded(default: Any = None) -> Any:
    """A dataclass field that lives in memory only: :func:`to_plain` leaves it out."""
    return dataclasses.field(default=default, repr=False, compare=False,
                             metadata={"record": False})


def to_plain(obj: Any) -> Any:
    """``obj`` as JSON-ready values (see the module docstring)."""
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return {f.name: to_plain(getattr(obj, f.name)) for f in dataclasses.fields(obj)
                if f.metadata.get("record", True)}
    if hasattr(obj, "model_dump"):
        return to_plain(obj.model_dump(mode="json", exclude_none=True))
    if isinstance(obj, enum.Enum):
        return obj.value
    if isinstance(obj, Mapping):
        return {str(k): to_plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [to_plain(v) for v in obj]
    if isinstance(obj, bool) or obj is None or isinstance(obj, (int, str)):
        return obj
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if hasattr(obj, "item") and callable(obj.item):  # NumPy and torch scalars
        return to_plain(obj.item())
    return obj


def to_json(obj: Any) -> str:
    """``obj`` as indented JSON text (strict: no NaN or infinity)."""
    import json

    return json.dumps(to_plain(obj), indent=2, allow_nan=False)


def from_plain(tp: Any, data: Any) -> Any:
    """Rebuild a value of type ``tp`` from what :func:`to_plain` wrote."""
    if tp is Any or tp is object:
        return data
    if tp is float:
        return math.nan if data is None else float(data)
    if data is None:
        return None
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Union or origin is types.UnionType:
        return _union(args, data)
    if origin is typing.Literal or tp in (str, bool):
        return data
    if tp is int:
        return int(data)
    if origin in (list, Sequence):
        return [from_plain(args[0] if args else Any, v) for v in data]
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(from_plain(args[0], v) for v in data)
        return tuple(from_plain(a, v) for a, v in zip(args, data, strict=False)) if args \
            else tuple(data)
    if origin in (dict, Mapping):
        value_type = args[1] if len(args) == 2 else Any
        return {k: from_plain(value_type, v) for k, v in data.items()}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return tp(data)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _dataclass(tp, data)
    if isinstance(tp, type) and hasattr(tp, "model_validate"):
        return tp.model_validate(data)
    if isinstance(tp, type) and issubclass(tp, dict):
        return tp(data)
    return data


def _union(args: tuple[Any, ...], data: Any) -> Any:
    """The first member of a union that fits the data's kind (a record for a dict, ...)."""
    members = [a for a in args if a is not type(None)]
    if len(members) == 1:
        return from_plain(members[0], data)
    for member in members:
        if _fits(member, data):
            return from_plain(member, data)
    return data


def _fits(tp: Any, data: Any) -> bool:
    origin = typing.get_origin(tp) or tp
    if isinstance(data, Mapping):
        return origin in (dict, Mapping) or dataclasses.is_dataclass(origin) or hasattr(
            origin, "model_validate")
    if isinstance(data, list):
        return origin in (list, tuple, Sequence)
    if isinstance(data, bool):
        return origin is bool
    if isinstance(data, (int, float)):
        return origin in (int, float)
    return origin is str or origin is typing.Literal


def _dataclass(cls: type, data: Mapping[str, Any]) -> Any:
    hints = _hints(cls)
    kwargs = {f.name: from_plain(hints.get(f.name, Any), data[f.name])
              for f in dataclasses.fields(cls)
              if f.init and f.name in data and f.metadata.get("record", True)}
    return cls(**kwargs)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    """The dataclass's field types; a hint that cannot be resolved counts as ``Any``.

    A class whose annotations name types its module imports only for type checking (to keep an
    import light) lists them in a static ``__record_namespace__()``.
    """
    namespace = getattr(cls, "__record_namespace__", None)
    try:
        return typing.get_type_hints(cls, localns=namespace() if namespace else None)
    except (NameError, TypeError):
        out: dict[str, Any] = {}
        for klass in reversed(cls.__mro__):
            module = vars(__import__(klass.__module__, fromlist=["_"]))
            for name, hint in getattr(klass, "__annotations__", {}).items():
                out[name] = _one_hint(hint, module)
        return out


def _one_hint(hint: Any, module: dict[str, Any]) -> Any:
    """One annotation resolved in its module's namespace, or ``Any`` when it cannot be."""

    def holder() -> None: ...

    holder.__annotations__ = {"hint": hint}
    try:
        return typing.get_type_hints(holder, globalns=module)["hint"]
    except (NameError, TypeError, AttributeError):
        return Any


def json_schema(tp: Any) -> dict[str, Any]:
    """The JSON Schema of what :func:`to_plain` writes for a value of type ``tp``.

    Records are closed objects (``additionalProperties: false``) that require every field
    (:func:`to_plain` writes them all), so a renamed or dropped field fails validation;
    ``float`` admits ``null`` (a non-finite number). Reading is more lenient: a missing key takes
    the field's default.
    """
    definitions: dict[str, Any] = {}
    root = _schema(tp, definitions)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **root,
            "$defs": dict(sorted(definitions.items()))}


def _schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    simple = {str: "string", bool: "boolean", int: "integer"}
    if tp is Any or tp is object:
        return {}
    if tp is float:
        return {"type": ["number", "null"]}
    if tp in simple:
        return {"type": simple[tp]}
    if tp is type(None):
        return {"type": "null"}
    if origin is Union or origin is types.UnionType:
        return {"anyOf": [_schema(a, defs) for a in args]}
    if origin is typing.Literal:
        return {"enum": list(args)}
    if origin in (list, Sequence) or (origin is tuple and len(args) == 2 and args[1] is ...):
        return {"type": "array", "items": _schema(args[0], defs) if args else {}}
    if origin is tuple:
        return {"type": "array", "prefixItems": [_schema(a, defs) for a in args]}
    if origin in (dict, Mapping):
        return {"type": "object",
                "additionalProperties": _schema(args[1], defs) if len(args) == 2 else {}}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return {"enum": [m.value for m in tp]}
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        name = tp.__name__
        if name not in defs:
            defs[name] = {}  # placeholder: a record may refer to itself
            hints = _hints(tp)
            fields = [f for f in dataclasses.fields(tp) if f.metadata.get("record", True)]
            defs[name] = {
                "type": "object",
                "properties": {f.name: _schema(hints.get(f.name, Any), defs) for f in fields},
                "required": [f.name for f in fields],
                "additionalProperties": False,
            }
        return {"$ref": f"#/$defs/{name}"}
    if isinstance(tp, type) and issubclass(tp, dict):
        return {"type": "object"}
    return {"type": "object"} if isinstance(tp, type) and hasattr(tp, "model_validate") else {}
