"""Finding and importing the user's experiment: a file, a module, or import strings.

Loading an experiment runs the user's own code, as running their training script would.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Any

from regadvisor.errors import ExperimentError
from regadvisor.examples import DEFAULT_EXAMPLE, EXAMPLES
from regadvisor.training.faults import exit_call

__all__ = ["import_experiment_module", "import_object", "resolve_target"]


def resolve_target(target: str | None) -> tuple[str, str]:
    """Classify an EXPERIMENT argument.

    Returns:
        ``(kind, value)`` with kind ``"example"``, ``"file"`` or ``"module"``.
    """
    if target is None or target == "":
        return "example", DEFAULT_EXAMPLE
    if target in EXAMPLES:
        return "example", target
    if target.endswith(".py") or "/" in target or "\\" in target or Path(target).exists():
        return "file", target
    return "module", target


def import_experiment_module(kind: str, value: str) -> tuple[ModuleType, str, str]:
    """Import the experiment.

    Returns:
        The module, a short name, and a description of the source for messages.

    Raises:
        ExperimentError: The file is missing or not Python, or importing it failed.
    """
    if kind == "example":
        return _import_example(value), value, f"bundled example {value}"
    if kind == "file":
        return _import_file(Path(value))
    return _import_module(value), value.rsplit(".", 1)[-1], value


#: Optional packages a bundled example may need → the extra of regadvisor that installs them.
_EXTRAS = {"transformers": "hf", "accelerate": "hf", "lightning": "lightning"}


def _import_example(name: str) -> ModuleType:
    """A bundled example; one that needs an optional package that is missing is refused with
    the extra that installs it."""
    try:
        return importlib.import_module(f"regadvisor.examples.{name}")
    except ImportError as e:
        package = (e.name or "").split(".")[0]
        if not package or package == "regadvisor":
            raise
        how = (f"pip install 'regadvisor[{_EXTRAS[package]}]'" if package in _EXTRAS
               else f"pip install {package}")
        raise ExperimentError(f"The bundled example {name} needs {package}, which is not "
                              f"installed. Install it with: {how}.") from None


def _import_file(path: Path) -> tuple[ModuleType, str, str]:
    shown = str(path)
    if not path.exists():
        raise ExperimentError(
            f"Experiment file '{shown}' does not exist. Pass a path to a Python file, an "
            "importable module (mypkg.experiment), or --model/--data import strings.")
    if path.is_dir():
        raise ExperimentError(
            f"'{shown}' is a folder, not an experiment file. Pass the .py file that defines "
            "model() and data().")
    if path.suffix != ".py":
        raise ExperimentError(
            f"'{shown}' is not a Python file (.py). An experiment is a .py file that defines "
            "model() and data().")
    path = path.resolve()
    module_name = f"_regadvisor_experiment_{path.stem}_{abs(hash(str(path))) % 10**8}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:  # pragma: no cover - only for odd file systems
        raise ExperimentError(f"'{shown}' cannot be imported as a Python file.")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    folder = str(path.parent)
    if folder not in sys.path:  # it stays: the factories may import beside it when called
        sys.path.insert(0, folder)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as e:
        sys.modules.pop(module_name, None)
        raise ExperimentError(
            f"{shown}:{e.lineno}: syntax error: {e.msg}. Fix the file and run again.") from None
    except BaseException as e:  # the user's module raised while it was imported
        sys.modules.pop(module_name, None)
        if isinstance(e, KeyboardInterrupt):
            raise
        raise _import_failure(shown, e, str(path)) from None
    return module, path.stem, shown


def _import_module(name: str) -> ModuleType:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as e:
        if e.name and (name == e.name or name.startswith(e.name + ".")):
            raise ExperimentError(
                f"No experiment file or module named '{name}'. Pass a path to a .py file, an "
                "importable module (check PYTHONPATH or install the package), or one of the "
                f"bundled examples: {', '.join(EXAMPLES)}.") from None
        raise _import_failure(name, e, None) from None
    except SyntaxError as e:
        raise ExperimentError(
            f"{e.filename}:{e.lineno}: syntax error: {e.msg}. Fix the file and run again."
        ) from None
    except (Exception, SystemExit) as e:  # the module raised, or called sys.exit()
        raise _import_failure(name, e, None) from None


def _import_failure(shown: str, error: BaseException, path: str | None) -> ExperimentError:
    where = _user_frame(error, path)
    if isinstance(error, ModuleNotFoundError):
        return ExperimentError(
            f"{shown}: importing it failed: No module named '{error.name}'{where}. Install "
            f"'{error.name}' or fix the import.")
    if isinstance(error, ImportError):
        return ExperimentError(f"{shown}: importing it failed: {error}{where}. Fix the import.")
    if isinstance(error, SystemExit):
        return ExperimentError(
            f"{shown}: running the file called {exit_call(error)}{where}; importing an "
            "experiment must define model() and data(), not end the process (guard a script's "
            "own run with if __name__ == '__main__':).")
    return ExperimentError(
        f"{shown}: running the file raised {type(error).__name__}: {error}{where}. Fix the "
        "experiment and run again.")


def _user_frame(error: BaseException, path: str | None) -> str:
    frames = traceback.extract_tb(error.__traceback__)
    for frame in reversed(frames):
        if path is None or frame.filename == path:
            if "importlib" in frame.filename:
                continue
            return f" (at {frame.filename}:{frame.lineno})"
    return ""


def import_object(spec: str, option: str) -> Any:
    """Resolve ``pkg.mod:attr`` for an option such as ``--model``.

    Raises:
        ExperimentError: The string is malformed, or the module or attribute is missing.
    """
    module_name, sep, attr = spec.partition(":")
    if not sep or not module_name or not attr:
        raise ExperimentError(
            f"{option} {spec!r} is not an import string; write it as package.module:function, "
            "e.g. --model mypkg.models:build.")
    if module_name.endswith(".py") or "/" in module_name:
        module, _, _ = _import_file(Path(module_name))
    else:
        module = _import_module(module_name)
    obj: Any = module
    for part in attr.split("."):
        if not hasattr(obj, part):
            raise ExperimentError(
                f"{option} {spec!r}: module '{module_name}' has no attribute '{attr}'. Check "
                "the name after the colon.")
        obj = getattr(obj, part)
    return obj
