"""One serializer for every record regadvisor writes: dataclasses to JSON-ready values and back.

:func:`to_plain` turns a record (a dataclass, possibly nested, holding lists, tuples, dicts,
enums, pydantic models and numbers) into plain JSON values: tuples become lists, enums their
values, non-finite floats ``None``. :func:`from_plain` rebuilds the record from those values by
reading the dataclass's type hints: nested dataclasses, ``list``/``tuple``/``dict`` of them,
enums, pydantic models, optional fields; a ``float`` field that was written as ``None`` (NaN or
infinity) comes back as NaN. Keys a dataclass does not know are ignored and missing ones take
the field's default, so an older record still loads; a value of the wrong kind (a string where a
number belongs, a field without a default left out) raises :class:`RecordError`, which names the
field's path, so a record edited by hand is refused where it is read, not deep inside a stage.

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

__all__ = ["RecordError", "from_plain", "json_schema", "not_recorded", "to_json", "to_plain"]


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


class RecordError(ValueError):
    """A value in a record that does not fit its field (a file edited by hand, say).

    Attributes:
        path: Where, as ``diagnosis.history.records[0].train_loss`` (empty for the whole record).
        problem: What is wrong, as ``expected a number, got the string 'abc'``.
    """

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"at {path or 'the top'}: {problem}")
        self.path = path
        self.problem = problem


def from_plain(tp: Any, data: Any) -> Any:
    """Rebuild a value of type ``tp`` from what :func:`to_plain` wrote.

    Raises:
        RecordError: A value does not fit its field's type (the kinds the record's JSON Schema
            admits, :func:`json_schema`); the error names the field's path.
    """
    return _from(tp, data, "")


def _from(tp: Any, data: Any, path: str) -> Any:
    if tp is Any or tp is object:
        return data
    if tp is float:
        if data is None:
            return math.nan
        _expect(isinstance(data, (int, float)) and not isinstance(data, bool), "a number",
                data, path)
        return float(data)
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is Union or origin is types.UnionType:
        return _union(args, data, path)
    _expect(data is not None, _kind(tp), data, path)
    if origin is typing.Literal:
        if data not in args:
            raise RecordError(path, f"expected one of {', '.join(map(repr, args))}, got "
                                    f"{_shown(data)}")
        return data
    if tp in (str, bool):
        _expect(isinstance(data, tp), _kind(tp), data, path)
        return data
    if tp is int:
        _expect(isinstance(data, int) and not isinstance(data, bool)
                or isinstance(data, float) and data.is_integer(), "a whole number", data, path)
        return int(data)
    if origin in (list, Sequence) or origin is tuple:
        _expect(isinstance(data, (list, tuple)), "a list", data, path)
        if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):
            return tuple(_from(a, v, f"{path}[{i}]")
                         for i, (a, v) in enumerate(zip(args, data, strict=False)))
        item = args[0] if args else Any
        items = [_from(item, v, f"{path}[{i}]") for i, v in enumerate(data)]
        return items if origin is not tuple else tuple(items)
    if origin in (dict, Mapping):
        _expect(isinstance(data, Mapping), "an object", data, path)
        value_type = args[1] if len(args) == 2 else Any
        return {k: _from(value_type, v, _key(path, k)) for k, v in data.items()}
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        try:
            return tp(data)
        except ValueError:
            raise RecordError(path, f"expected one of {', '.join(repr(m.value) for m in tp)}, "
                                    f"got {_shown(data)}") from None
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        _expect(isinstance(data, Mapping), "an object", data, path)
        return _dataclass(tp, data, path)
    if isinstance(tp, type) and hasattr(tp, "model_validate"):
        _expect(isinstance(data, Mapping), "an object", data, path)
        return _model(tp, data, path)
    if isinstance(tp, type) and issubclass(tp, dict):
        _expect(isinstance(data, Mapping), "an object", data, path)
        return tp(data)
    return data


def _expect(ok: bool, kind: str, data: Any, path: str) -> None:
    if not ok:
        raise RecordError(path, f"expected {kind}, got {_shown(data)}")


def _kind(tp: Any) -> str:
    """The kind of JSON value a field of type ``tp`` holds, in words."""
    origin = typing.get_origin(tp) or tp
    if origin is bool:
        return "true or false"
    if origin is str:
        return "a string"
    if origin is int:
        return "a whole number"
    if origin is float:
        return "a number"
    if origin in (list, tuple, Sequence):
        return "a list"
    if origin is typing.Literal:
        return "one of " + ", ".join(map(repr, typing.get_args(tp)))
    if isinstance(origin, type) and issubclass(origin, enum.Enum):
        return "one of " + ", ".join(repr(m.value) for m in origin)
    return "an object"


def _shown(data: Any) -> str:
    """A JSON value as a user would recognize it in the file."""
    if data is None:
        return "null"
    if isinstance(data, bool):
        return "true" if data else "false"
    if isinstance(data, str):
        return f"the string {data[:40]!r}" + ("..." if len(data) > 40 else "")
    if isinstance(data, (int, float)):
        return f"the number {data!r}"
    if isinstance(data, (list, tuple)):
        return f"a list of {len(data)}"
    return "an object"


def _key(path: str, key: Any) -> str:
    return f"{path}.{key}" if path else str(key)


def _union(args: tuple[Any, ...], data: Any, path: str) -> Any:
    """The first member of a union that fits the data's kind (a record for a dict, ...)."""
    members = [a for a in args if a is not type(None)]
    if data is None:
        _expect(len(members) < len(args) or Any in members, _kind(members[0]), data, path)
        return None
    if len(members) == 1:
        return _from(members[0], data, path)
    for member in members:
        if member is Any or _fits(member, data):
            return _from(member, data, path)
    raise RecordError(path, f"expected {' or '.join(_kind(m) for m in members)}, got "
                            f"{_shown(data)}")


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


def _dataclass(cls: type, data: Mapping[str, Any], path: str) -> Any:
    hints = _hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if not f.init or not f.metadata.get("record", True):
            continue
        if f.name in data:
            kwargs[f.name] = _from(hints.get(f.name, Any), data[f.name], _key(path, f.name))
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise RecordError(_key(path, f.name), "missing")
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as e:  # a check of the record's own (__post_init__)
        raise RecordError(path, str(e)) from None


def _model(tp: Any, data: Mapping[str, Any], path: str) -> Any:
    from pydantic import ValidationError

    try:
        return tp.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        where = path
        for part in first.get("loc", ()):
            where = f"{where}[{part}]" if isinstance(part, int) else _key(where, part)
        raise RecordError(where, first.get("msg", "not valid")) from None


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
