"""Helpers for the rules tests: asset folders and rules files written on the fly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

ASSETS = Path(__file__).resolve().parent / "assets"


def a_rule(**changes: Any) -> dict[str, Any]:
    """A valid rule as a dict; ``changes`` replace keys (``None`` removes one)."""
    rule: dict[str, Any] = {
        "id": "a-rule",
        "title": "A rule",
        "when": "gap_ratio > 0.3",
        "priority": 50,
        "advice": "Advice with {gap_ratio:.2f}.",
        "why": "Because.",
        "source": "A section",
    }
    rule.update(changes)
    return {k: v for k, v in rule.items() if v is not None}


def a_verdict(**changes: Any) -> dict[str, Any]:
    """A valid verdict entry as a dict; ``changes`` replace keys (``None`` removes one)."""
    verdict: dict[str, Any] = {"verdict": "overfitting", "when": "gap_ratio > 0.3",
                               "reason": "Gap ratio {gap_ratio:.2f}."}
    verdict.update(changes)
    return {k: v for k, v in verdict.items() if v is not None}


@pytest.fixture
def rules_dir(tmp_path):
    """``make(text_or_data, name="rules.yaml", folder="rules")`` writes a rules file, returns
    its folder."""

    def make(content: str | dict[str, Any], name: str = "rules.yaml",
             folder: str = "rules") -> Path:
        path = tmp_path / folder
        path.mkdir(exist_ok=True)
        text = content if isinstance(content, str) else yaml.safe_dump(content, sort_keys=False)
        (path / name).write_text(text, encoding="utf-8")
        return path

    return make
