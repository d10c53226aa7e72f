"""``regadvisor rules list`` and ``regadvisor rules check`` against small rule folders."""

from __future__ import annotations

import pytest
import typer
import yaml
from typer.testing import CliRunner

from regadvisor.cli.rules import rules_app
from regadvisor.errors import RulesError
from tests.rules.conftest import ASSETS

app = typer.Typer()
app.add_typer(rules_app, name="rules")


@pytest.fixture
def run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()

    def invoke(*args: object):
        return runner.invoke(app, ["rules", *(str(a) for a in args)])

    return invoke


def test_help_lists_the_commands(run):
    result = run("--help")
    assert result.exit_code == 0
    assert "list" in result.stdout and "check" in result.stdout


def test_check_a_good_folder(run):
    result = run("check", ASSETS / "good")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"OK: 3 rules and 2 verdicts in {ASSETS / 'good'}"


def test_check_counts_disabled_rules(run):
    result = run("check", ASSETS / "user")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == f"OK: 2 rules (1 disabled) and 1 verdict in {ASSETS / 'user'}"


@pytest.mark.parametrize(("folder", "message"), [
    ("unknown_fact", "rule 'adam-l2': unknown fact 'gap_ration' in 'when' (did you mean "
                     "'gap_ratio'?)"),
    ("bad_yaml", "rules.yaml:3:35: malformed YAML: mapping values are not allowed here"),
    ("duplicate_ids", "rule 'same-id': duplicate id:"),
    ("empty_folder_has_md", "holds no *.yaml or *.yml files"),
    ("no_such_folder", "does not exist"),
])
def test_check_a_broken_folder_exits_2_with_one_line(run, folder, message):
    result = run("check", ASSETS / folder)
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ")
    assert message in lines[0]


def test_check_refuses_a_python_tag_without_running_it(run, tmp_path):
    target = tmp_path / "pwned2"
    folder = tmp_path / "evil"
    folder.mkdir()
    (folder / "evil.yaml").write_text(f'rules: !!python/object/apply:os.system ["touch {target}"]')
    result = run("check", folder)
    assert result.exit_code == 2
    assert "the tag '!!python/object/apply:os.system' is not allowed" in result.stderr
    assert not target.exists()


def test_check_with_debug_shows_the_traceback(run):
    result = run("check", ASSETS / "unknown_fact", "--debug")
    assert result.exit_code == RulesError.exit_code
    assert "Traceback (most recent call last)" in result.stderr and "RulesError" in result.stderr


def test_list_the_bundled_rules(run):
    result = run("list")
    assert result.exit_code == 0, result.stderr
    assert "rules, highest priority first:" in result.stdout
    assert "Verdicts, in order (the first whose condition holds wins" in result.stdout


def test_list_with_a_user_folder(run):
    result = run("list", "--rules", ASSETS / "good")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    three = next(i for i, line in enumerate(lines) if " three " in line)
    assert lines[three].split() == ["30", "three", "Rule", "three"]
    assert "source: Section three (" in lines[three + 1]
    assert lines[three + 1].rstrip().endswith("more.yml)")
    # the user folder's verdicts replace the bundled ones
    start = lines.index("Verdicts, in order (the first whose condition holds wins; if none does: "
                        "good_fit):")
    assert [line.split()[:2] for line in lines[start + 1:]] == [["1.", "overfitting"],
                                                               ["2.", "underfitting"]]


def test_list_ranks_by_priority(run):
    result = run("list", "--rules", ASSETS / "good")
    ids = [line.split()[1] for line in result.stdout.splitlines()
           if line.startswith("  ") and line.split()[0].isdigit() and len(line.split()) > 2
           and not line.strip().startswith(("1.", "2."))]
    priorities = [int(line.split()[0]) for line in result.stdout.splitlines()
                  if line.startswith("  ") and line.split()[0].isdigit()]
    assert priorities == sorted(priorities, reverse=True)
    assert ids.index("three") < ids.index("two") < ids.index("one")


def test_list_with_a_missing_folder_exits_2(run):
    result = run("list", "--rules", ASSETS / "no_such_folder")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr


@pytest.mark.parametrize("condition", ["gap[bold] > 0", "gap[/b] > 0"])
def test_messages_quoting_brackets_are_printed_as_they_are(run, tmp_path, condition):
    folder = tmp_path / "brackets"
    folder.mkdir()
    rule = {"id": "a", "title": "t", "when": condition, "priority": 1, "advice": "a", "why": "w",
            "source": "s"}
    (folder / "r.yaml").write_text(yaml.safe_dump({"rules": [rule]}))
    result = run("check", folder)
    assert result.exit_code == 2
    assert condition.split(" ")[0] in result.stderr
