"""How long the command line takes to answer ``--version`` and ``--help``: the median of
``--repeats`` fresh processes each, and what importing the package and the command line imports.

    python benchmarks/bench_startup.py [--repeats 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks._common import Clock, write_result  # noqa: E402

COMMANDS = {"--version": ["--version"], "--help": ["--help"], "advise --help": ["advise", "--help"]}


def seconds(args: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "regadvisor", *args], check=True, cwd=ROOT,
                   capture_output=True)
    return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    clock = Clock()
    rows = {}
    for _ in range(args.repeats):  # interleaved, so that a change of load hits all alike
        for name, argv in COMMANDS.items():
            rows.setdefault(name, []).append(seconds(argv))
    heavy = subprocess.run(
        [sys.executable, "-c", "import sys, regadvisor.cli; print(','.join(m for m in "
         "('torch', 'optuna', 'matplotlib', 'pandas') if m in sys.modules))"],
        capture_output=True, text=True, cwd=ROOT, check=True).stdout.strip()
    summary = {name: {"median_seconds": statistics.median(v), "max_seconds": max(v)}
               for name, v in rows.items()}
    for name, s in summary.items():
        print(f"regadvisor {name:14s} median {s['median_seconds']:.2f} s, "
              f"slowest {s['max_seconds']:.2f} s")
    print(f"heavy libraries imported by the command line: {heavy or 'none'}")
    path = write_result("startup", {"runs": rows, "summary": summary,
                                    "heavy_imports": heavy.split(",") if heavy else []}, clock)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
