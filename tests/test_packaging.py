"""The wheel ships the rules and the report template, so an installed regadvisor finds them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_wheel_contains_rules_and_templates(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    wheel = next(tmp_path.glob("regadvisor-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    rules = {p.name for p in (ROOT / "rules").glob("*.yaml")}
    assert rules and {f"regadvisor/_rules/{n}" for n in rules} <= names
    assert "regadvisor/report/templates/report.html.j2" in names
    assert "regadvisor/examples/digits_noisy.py" in names
    # Every subpackage of the source tree is in the wheel (the package list is explicit).
    packages = {str(p.parent.relative_to(ROOT)) for p in (ROOT / "regadvisor").rglob(
        "__init__.py")}
    assert {f"{p}/__init__.py" for p in packages} <= names, sorted(
        f"{p}/__init__.py" for p in packages if f"{p}/__init__.py" not in names)
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "regadvisor = regadvisor.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_the_command_line_starts_without_the_heavy_libraries():
    """`regadvisor --version` and `--help` import neither torch nor Optuna nor matplotlib (they
    took 4-5 s when they did; ``python benchmarks/bench_startup.py`` measures it now), and the
    package's names still load when asked for."""
    probe = ("import sys, regadvisor.cli, regadvisor.tuning, regadvisor.report; "
             "print(sorted(m for m in ('torch', 'optuna', 'matplotlib') if m in sys.modules)); "
             "from regadvisor import RegConfig, load_experiment; "
             "from regadvisor.tuning import TuneSettings; from regadvisor.report import "
             "render_report; print('torch' in sys.modules, 'optuna' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:2] == ["[]", "True True"]
    version = subprocess.run([sys.executable, "-m", "regadvisor", "--version"],
                             capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert version.returncode == 0 and version.stdout.startswith("regadvisor ")
