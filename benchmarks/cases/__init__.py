"""Benchmark cases: self-contained experiment files with known, measured conditions.

Each ``<name>.py`` here follows the experiment contract (README, "The experiment contract");
``cases.yaml`` lists them with their half (:data:`HALVES`), their condition and the verdict a
careful engineer would give. See README.md in this folder.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

CASES_DIR = Path(__file__).resolve().parent
MANIFEST = CASES_DIR / "cases.yaml"

__all__ = ["CASES_DIR", "HALVES", "MANIFEST", "case_path", "load_manifest"]

#: The halves of the suite, in the order they were written: calibration (defaults and thresholds
#: are chosen on it), held_out, fresh, blind and blind2 (measured only; README.md says which
#: cases led to a change after they were measured).
HALVES = ("calibration", "held_out", "fresh", "blind", "blind2")


def load_manifest() -> list[dict[str, Any]]:
    """The cases of ``cases.yaml``, one dict per case, in file order."""
    with MANIFEST.open(encoding="utf-8") as f:
        doc = yaml.safe_load(f)
    return list(doc["cases"])


def case_path(name: str) -> Path:
    """The experiment file of case ``name``; ``KeyError`` if the manifest has no such case."""
    names = {case["name"] for case in load_manifest()}
    if name not in names:
        raise KeyError(f"no benchmark case named {name!r}; known: {', '.join(sorted(names))}")
    return CASES_DIR / f"{name}.py"
