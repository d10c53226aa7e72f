"""Two run records (report.json) compared leaf for leaf, timings and paths aside.

A refactoring that must not change the advice is checked this way: the same experiment and
seed before and after, every number, verdict and sentence equal but the wall-clock figures and
where the run was written.

    python benchmarks/compare_records.py BEFORE/report.json AFTER/report.json
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path
from typing import Any

#: Keys whose values are wall-clock figures or places: they differ between any two runs.
#: ``text`` and ``message`` entries are compared with their seconds masked.
SKIPPED = re.compile(r"(seconds|_at$|^started|^finished|^date|^created|^updated|time|timings|"
                     r"run_dir|^path$|^file$|rule_files|^storage$|^command$|^host|^worker|^pid|"
                     r"^heartbeat|^commit|^python|"
                     r"^torch|^optuna|^platform|^machine)", re.IGNORECASE)
#: Seconds written into sentences ("took 12.3 s", "12 s a run").
SECONDS = re.compile(r"\d+(\.\d+)?\s?(s|ms|seconds?)\b")


def leaves(value: Any, path: str = "") -> dict[str, Any]:
    """Every leaf of a JSON value by its path (``a.b[2].c``), skipped keys left out."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            if SKIPPED.search(str(k)):
                continue
            out.update(leaves(v, f"{path}.{k}" if path else str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.update(leaves(v, f"{path}[{i}]"))
    elif isinstance(value, str):
        out[path] = SECONDS.sub("<s>", value)
    else:
        out[path] = value
    return out


def differences(a: Any, b: Any) -> list[str]:
    la, lb = leaves(a), leaves(b)
    rows = []
    for key in sorted(la.keys() | lb.keys()):
        if key not in la:
            rows.append(f"+ {key} = {lb[key]!r}")
        elif key not in lb:
            rows.append(f"- {key} = {la[key]!r}")
        elif la[key] != lb[key]:
            rows.append(f"~ {key}: {la[key]!r} -> {lb[key]!r}")
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before", type=Path)
    parser.add_argument("after", type=Path)
    args = parser.parse_args()
    a, b = (json.loads(p.read_text()) for p in (args.before, args.after))
    rows = differences(a, b)
    n = len(leaves(a))
    for row in rows:
        print(row)
    print(f"{n} leaves compared, {len(rows)} differ")
    return 1 if rows else 0


if __name__ == "__main__":
    sys.exit(main())
