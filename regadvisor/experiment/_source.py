"""The user's own code, as a part of the experiment's identity.

Which code: the modules that define the experiment's functions (``model()``, ``optimizer()``,
...) and the classes of its model, loss and training and validation datasets, and the modules
they name at their top level (``import helpers``, ``from layers import Block``), transitively,
as long as each module's file lies in the user's own folder: the folder of the experiment's
file, or of its top-level package for a module in a package; never site-packages nor the
standard library. A module imported only inside a function body is not followed (its effects
on the model and the data still show in the rest of the identity).

What of it: its syntax tree. Comments, blank lines, formatting and docstrings do not count, nor
the file's path and name. Left out as well: the body of ``data()`` (its loaders are sampled
instead, the test loader apart from the others, so that fixing the test loader does not redo
the tuning), and a module's top-level statements that run code rather than define it: bare
expressions (a script's ``regadvisor.advise(...)`` call), assignments that call something (the
call's result, such as loaded data, shows in the samples), and ``if __name__ == "__main__":``
blocks.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import sys
import sysconfig
from collections.abc import Callable, Iterable
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["source_digest"]


def source_digest(functions: Iterable[Any], objects: Iterable[Any],
                  data: Callable[..., Any] | None = None) -> str:
    """A digest of the user's code behind an experiment (see the module docstring).

    Args:
        functions: The experiment's functions; their modules fix the user's folders.
        objects: Further objects (the model's modules, the loss, the datasets) whose classes'
            modules count when they lie in those folders.
        data: The experiment's ``data`` function, whose own definition is left out.

    Returns:
        A hex digest, the same for the same code in any process; empty when no code was found.
    """
    functions = [f for f in functions if f is not None]
    roots = {root for root in map(_root, filter(None, map(_module_of, functions))) if root}
    if not roots:
        return ""
    seeds = [*functions, *(type(o) for o in objects)]
    skip = _definition(data)
    digests = sorted(d for m in _user_modules(seeds, roots) if (d := _module_digest(m, skip)))
    return hashlib.sha256("\n".join(digests).encode()).hexdigest() if digests else ""


def _module_of(value: Any) -> ModuleType | None:
    """The module an object comes from (itself, for a module)."""
    if isinstance(value, ModuleType):
        return value
    try:
        name = getattr(value, "__module__", None)
    except Exception:  # an object whose attribute access runs code and fails
        return None
    return sys.modules.get(name) if isinstance(name, str) else None


def _file(module: ModuleType) -> Path | None:
    file = getattr(module, "__file__", None)
    if not isinstance(file, str) or not file.endswith(".py"):
        return None
    path = Path(file).resolve()
    return None if _installed(path) else path


def _installed(path: Path) -> bool:
    """Whether a file belongs to an installed package or the standard library."""
    if {"site-packages", "dist-packages"} & set(path.parts):
        return True
    return any(path.is_relative_to(p) for p in _stdlib())


@functools.cache
def _stdlib() -> frozenset[Path]:
    return frozenset(Path(p).resolve() for key in ("stdlib", "platstdlib")
                     if (p := sysconfig.get_paths().get(key)))


def _root(module: ModuleType) -> Path | None:
    """The user's folder a module fixes: its file's folder, or its top-level package's."""
    path = _file(module)
    if path is None:
        return None
    top = sys.modules.get(module.__name__.partition(".")[0])
    top_file = _file(top) if top is not None and top is not module else None
    if top_file is not None and top_file.name == "__init__.py":
        return top_file.parent
    return path.parent


def _user_modules(seeds: Iterable[Any], roots: set[Path]) -> list[ModuleType]:
    """The modules of ``seeds`` in ``roots``, and those their top-level names come from."""
    found: dict[str, ModuleType] = {}
    todo = [m for m in map(_module_of, seeds) if m is not None]
    while todo:
        module = todo.pop()
        if module.__name__ in found:
            continue
        path = _file(module)
        if path is None or not any(path.is_relative_to(root) for root in roots):
            continue
        found[module.__name__] = module
        todo.extend(m for m in map(_module_of, list(vars(module).values())) if m is not None)
    return list(found.values())


def _definition(function: Any) -> tuple[str, str] | None:
    """``(module, name)`` of a top-level function, the definition to leave out."""
    name = getattr(function, "__name__", None)
    module = getattr(function, "__module__", None)
    if name and module and getattr(function, "__qualname__", None) == name:
        return module, name
    return None


def _module_digest(module: ModuleType, skip: tuple[str, str] | None) -> str | None:
    """The digest of a module's syntax tree, as the module docstring describes."""
    path = _file(module)
    try:
        tree = ast.parse(path.read_bytes()) if path is not None else None
    except (OSError, SyntaxError, ValueError):
        return None
    if tree is None:
        return None
    left_out = skip[1] if skip is not None and skip[0] == module.__name__ else None
    tree.body = [node for node in tree.body if _kept(node, left_out)]
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and body and _is_docstring(body[0])):
            node.body = body[1:]
    return hashlib.sha256(ast.dump(tree).encode()).hexdigest()


def _kept(node: ast.stmt, left_out: str | None) -> bool:
    """Whether a top-level statement counts (definitions do; code that runs does not)."""
    if isinstance(node, ast.Expr):
        return False
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == left_out:
        return False
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return node.value is None or not any(isinstance(n, ast.Call)
                                              for n in ast.walk(node.value))
    return not _is_main_guard(node)


def _is_docstring(node: ast.stmt) -> bool:
    return (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str))


def _is_main_guard(node: ast.stmt) -> bool:
    """``if __name__ == "__main__":``"""
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Compare) and isinstance(test.left, ast.Name)
            and test.left.id == "__name__" and len(test.comparators) == 1
            and isinstance(test.comparators[0], ast.Constant)
            and test.comparators[0].value == "__main__")
