"""``regadvisor diagnose`` prints the rules' text as it is written."""

from __future__ import annotations

from tests.cli.conftest import ASSETS

GOOD = str(ASSETS / "good_experiment.py")

RULE = """\
rules:
  - id: literal-brackets
    title: "Tick [x] when done"
    when: "epochs_run > 0"
    priority: 100
    advice: "Keep the box [x] and the tag [bold]as written[/bold]."
    why: "A [link=https://example.org]link[/link] and [y] stay text."
    source: Dropout
"""


def test_rule_text_with_brackets_is_printed_intact(run_cli, tmp_path):
    folder = tmp_path / "myrules"
    folder.mkdir()
    (folder / "mine.yaml").write_text(RULE)
    result = run_cli("diagnose", GOOD, "--rules", folder, "--epochs", "2", "--quiet",
                     "-o", tmp_path / "r")
    assert result.exit_code == 0, result.stdout + result.stderr
    out = result.stdout
    assert "Tick [x] when done" in out
    assert "Keep the box [x] and the tag [bold]as written[/bold]." in out
    assert "A [link=https://example.org]link[/link] and [y] stay text." in out
