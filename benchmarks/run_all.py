"""Run every benchmark, one after another, then regenerate ``docs/benchmarks.md``.

    python benchmarks/run_all.py [--quick] [--only engine search ...] [--skip gpu ...]

``--quick`` passes ``--quick`` to each script (fewer repeats, trials and seeds). The scripts run
one at a time so that they do not slow each other down; each writes its
``benchmarks/results/<name>.json``. PostgreSQL rows of the workers benchmark need
``REGADVISOR_TEST_POSTGRES_URL`` (``. .ci/postgres.sh`` sets it). The GPU script runs its CPU smoke
test where there is no GPU.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# name → extra arguments of the full run
BENCHMARKS = {
    "diagnosis": [],
    "engine": ["--threads", "2"],
    "engine1": ["--threads", "1"],
    "workers": [],
    "end_to_end": [],
    "search": [],
    "pruners": [],
    "gpu": [],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS))
    parser.add_argument("--skip", nargs="+", choices=list(BENCHMARKS), default=[])
    args = parser.parse_args()
    names = [n for n in (args.only or BENCHMARKS) if n not in args.skip]
    failed = []
    for name in names:
        script = HERE / f"bench_{name.rstrip('1')}.py"
        cmd = [sys.executable, str(script), *BENCHMARKS[name]] + (["--quick"] if args.quick
                                                                   else [])
        print(f"\n=== {' '.join(cmd[1:])}", flush=True)
        t0 = time.perf_counter()
        rc = subprocess.call(cmd, cwd=HERE.parent)
        print(f"=== {name}: exit {rc} after {time.perf_counter() - t0:.0f} s", flush=True)
        if rc != 0:
            failed.append(name)
    subprocess.call([sys.executable, str(HERE / "report.py")], cwd=HERE.parent)
    if failed:
        print(f"failed: {', '.join(failed)}")
        sys.exit(1)


if __name__ == "__main__":
    main()
