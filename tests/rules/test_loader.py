"""The loader: plain YAML only, folders layered bundled → user, ids unique within a folder."""

from __future__ import annotations

import pytest

from regadvisor.errors import RulesError
from regadvisor.rules import bundled_rules_dir, check_rules_dir, load_rules
from tests.rules.conftest import ASSETS, a_rule, a_verdict


def test_a_folder_loads_yaml_and_yml_in_file_name_order():
    ruleset = check_rules_dir(ASSETS / "good")
    assert [p.name for p in ruleset.files] == ["more.yml", "rules.yaml"]  # README.md ignored
    assert [r.id for r in ruleset.rules] == ["three", "one", "two"]
    assert [v.verdict for v in ruleset.verdicts] == ["overfitting", "underfitting"]
    assert ruleset.file_of("one").endswith("rules.yaml")


def test_malformed_yaml_names_line_and_column():
    with pytest.raises(RulesError) as info:
        check_rules_dir(ASSETS / "bad_yaml")
    message = str(info.value)
    assert message.endswith("rules.yaml:3:35: malformed YAML: mapping values are not allowed "
                            "here (a value that holds ': ' must be in quotes)")
    assert "bad_yaml" in message


@pytest.mark.parametrize(("text", "where", "problem"), [
    ("rules:\n  - id: x\n    title: 'unclosed\n", ":4:1:", "malformed YAML"),
    ("rules:\n\t- id: x\n", ":2:1:", "malformed YAML: found character '\\t'"),
    ("rules: [a, b\n", ":2:1:", "malformed YAML"),
    ("rules:\n  - id: x\n  id: y\n", ":3:3:", "malformed YAML"),
    ("rules: *nothing\n", ":1:8:", "malformed YAML: found undefined alias 'nothing'"),
])
def test_malformed_yaml_variants(rules_dir, text, where, problem):
    with pytest.raises(RulesError) as info:
        check_rules_dir(rules_dir(text))
    assert f"rules.yaml{where} " in str(info.value)
    assert problem in str(info.value)


def test_python_tags_are_refused_and_never_run(rules_dir, tmp_path):
    target = tmp_path / "pwned2"
    folder = rules_dir(f'rules: !!python/object/apply:os.system ["touch {target}"]\n')
    with pytest.raises(RulesError) as info:
        check_rules_dir(folder)
    assert ("rules.yaml:1:8: the tag '!!python/object/apply:os.system' is not allowed: rules "
            "files are plain data (remove the tag)") in str(info.value)
    assert not target.exists()


@pytest.mark.parametrize(("text", "tag"), [
    ("rules: !!python/name:os.system\n", "!!python/name:os.system"),
    ("rules:\n  - !!python/object:collections.OrderedDict {}\n",
     "!!python/object:collections.OrderedDict"),
    ("rules: !custom [1]\n", "!custom"),
])
def test_other_tags_are_refused(rules_dir, text, tag):
    with pytest.raises(RulesError, match=f"the tag '{tag}' is not allowed"):
        check_rules_dir(rules_dir(text))


@pytest.mark.parametrize(("content", "message"), [
    ("# only a comment\n", "rules.yaml: the file is empty; a rules file holds a 'rules:' list"),
    ("- a\n- b\n", "rules.yaml: a rules file must be a mapping with 'rules:', 'verdicts:' "
                   "and/or 'thresholds:', got a list"),
    ("just text\n", "got 'just text'"),
    ({"rule": []}, "rules.yaml: unknown key 'rule' at the top (did you mean 'rules'?); a rules "
                   "file holds only 'rules', 'verdicts' and 'thresholds'"),
    ("{}\n", "the file holds none of 'rules:', 'verdicts:' and 'thresholds:'"),
    ({"thresholds": {"gap_ratio": 0.3}}, "threshold 'gap_ratio': 'gap_ratio' is the name of a "
                                         "fact; give the threshold another name"),
    ({"thresholds": {"Top": 0.3}}, "threshold 'Top': a threshold's name is lower-case letters"),
    ({"thresholds": {"top": "high"}}, "threshold 'top': must be a finite number, got 'high'"),
    ({"thresholds": [0.3]}, "'thresholds' must map names to numbers"),
    ({"rules": {"id": "x"}}, "'rules' must be a list of rules (each starting with '- id: ...'), "
                             "got a mapping"),
    ({"verdicts": "overfitting"}, "'verdicts' must be a list"),
    ({"rules": ["just-an-id"]}, "rule #1: should be a mapping of keys, got 'just-an-id'"),
    ({"rules": [a_rule(), a_rule(title="Again")]},
     "rule 'a-rule': duplicate id: rule #1 of this file has it too (rename one of them)"),
    ("rules:\n  - when: 2024-13-45\n", "rules.yaml: malformed YAML: month must be in 1..12"),
])
def test_file_level_errors(rules_dir, content, message):
    with pytest.raises(RulesError) as info:
        check_rules_dir(rules_dir(content))
    assert message in str(info.value)


def test_unknown_fact_in_an_asset_file():
    with pytest.raises(RulesError) as info:
        check_rules_dir(ASSETS / "unknown_fact")
    assert str(info.value).endswith(
        "unknown_fact/rules.yaml, rule 'adam-l2': unknown fact 'gap_ration' in 'when' "
        "(did you mean 'gap_ratio'?)")


def test_duplicate_ids_across_files_of_one_folder():
    with pytest.raises(RulesError) as info:
        check_rules_dir(ASSETS / "duplicate_ids")
    message = str(info.value)
    assert "b.yaml, rule 'same-id': duplicate id:" in message
    assert "a.yaml has it too (ids are unique within a folder; rename one of them)" in message


@pytest.mark.parametrize(("name", "message"), [
    ("missing", "does not exist; pass a folder that holds *.yaml rules files"),
    ("empty_folder_has_md", "holds no *.yaml or *.yml files"),
    ("good/rules.yaml", "is a file, not a folder"),
])
def test_folder_errors(name, message):
    with pytest.raises(RulesError, match="rules folder|is a file") as info:
        load_rules([ASSETS / name], include_bundled=False)
    assert message in str(info.value)


def test_file_errors(rules_dir, tmp_path):
    folder = rules_dir("rules: []\n")
    (folder / "latin1.yaml").write_bytes("rules: [caf\xe9]\n".encode("latin-1"))
    with pytest.raises(RulesError, match=r"latin1.yaml: not UTF-8 text"):
        check_rules_dir(folder)
    (folder / "latin1.yaml").unlink()
    (folder / "huge.yaml").write_text("# " + "x" * 1_000_001)
    with pytest.raises(RulesError, match=r"huge.yaml: the file is too large"):
        check_rules_dir(folder)


def test_user_folder_overrides_disables_adds_and_replaces_verdicts():
    base = load_rules([ASSETS / "base"], include_bundled=False)
    assert [r.id for r in base.rules] == ["adam-l2-to-adamw", "add-weight-decay",
                                          "multiclass-label-smoothing"]
    assert [v.verdict for v in base.verdicts] == ["diverging", "overfitting", "underfitting"]

    ruleset = load_rules([ASSETS / "base", ASSETS / "user"], include_bundled=False)
    # the override keeps its place, the disabled rule is gone, the new rule comes last
    assert [r.id for r in ruleset.rules] == ["adam-l2-to-adamw", "add-weight-decay", "my-dropout"]
    override = ruleset.rules[1]
    assert override.title == "Add a lot of weight decay" and override.priority == 95
    assert ruleset.file_of("add-weight-decay").endswith("user/10-mine.yaml")
    assert ruleset.file_of("adam-l2-to-adamw").endswith("base/10-rules.yaml")
    assert ruleset.disabled == ("multiclass-label-smoothing",)
    assert [v.verdict for v in ruleset.verdicts] == ["good_fit"]
    assert len(ruleset.files) == 3


def test_a_folder_without_verdicts_keeps_the_earlier_ones(rules_dir):
    user = rules_dir({"rules": [a_rule(id="extra")]})
    ruleset = load_rules([ASSETS / "base", user], include_bundled=False)
    assert [v.verdict for v in ruleset.verdicts] == ["diverging", "overfitting", "underfitting"]
    assert ruleset.rules[-1].id == "extra"


@pytest.mark.parametrize("text", ["verdicts: []\n", "verdicts:\n"])
def test_an_empty_verdict_list_is_refused_not_a_wipe_of_the_verdicts(rules_dir, text):
    folder = rules_dir(text)
    message = (r"rules.yaml: 'verdicts' is empty: it would replace the verdicts in force with "
               r"none.*remove the 'verdicts:' key to keep them")
    with pytest.raises(RulesError, match=message):
        load_rules([ASSETS / "base", folder], include_bundled=False)
    with pytest.raises(RulesError, match=message):
        check_rules_dir(folder)


def test_verdicts_of_one_folder_are_concatenated_in_file_order(rules_dir):
    rules_dir({"verdicts": [a_verdict(verdict="underfitting")]}, name="b.yaml")
    folder = rules_dir({"verdicts": [a_verdict(verdict="diverging")]}, name="a.yaml")
    assert [v.verdict for v in check_rules_dir(folder).verdicts] == ["diverging", "underfitting"]


def test_a_full_rule_with_enabled_false_disables_too(rules_dir):
    user = rules_dir({"rules": [a_rule(id="adam-l2-to-adamw", enabled=False)]})
    ruleset = load_rules([ASSETS / "base", user], include_bundled=False)
    assert "adam-l2-to-adamw" not in [r.id for r in ruleset.rules]
    assert ruleset.disabled == ("adam-l2-to-adamw",)


def test_later_user_folders_win(rules_dir):
    first = rules_dir({"rules": [a_rule(id="x", priority=10)]}, folder="first")
    second = rules_dir({"rules": [a_rule(id="x", priority=20)]}, folder="second")
    ruleset = load_rules([first, second], include_bundled=False)
    assert [(r.id, r.priority) for r in ruleset.rules] == [("x", 20)]


def test_disabling_an_unknown_id_is_an_error(rules_dir):
    user = rules_dir("rules:\n  - {id: add-weight-decai, enabled: false}\n")
    with pytest.raises(RulesError) as info:
        load_rules([ASSETS / "base", user], include_bundled=False)
    assert ("rule 'add-weight-decai': enabled: false disables nothing: no earlier rule has this "
            "id (did you mean 'add-weight-decay'?)") in str(info.value)
    # checked alone, the folder is fine: there is nothing to compare against
    assert check_rules_dir(user).disabled == ("add-weight-decai",)


def test_a_bare_disable_entry_still_checks_its_id(rules_dir):
    with pytest.raises(RulesError, match="'id' must be lowercase letters"):
        check_rules_dir(rules_dir("rules:\n  - {id: Bad_Id, enabled: false}\n"))


def test_bundled_rules_folder_ships_and_loads():
    folder = bundled_rules_dir()
    assert folder.is_dir() and any(folder.glob("*.yaml"))
    ruleset = load_rules()
    assert len(ruleset.files) == len([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    assert all(f.parent == folder for f in ruleset.files)


def test_a_named_threshold_is_one_number_for_every_condition_that_writes_it(rules_dir):
    folder = rules_dir({"thresholds": {"gap_top": 0.4}}, name="00-thresholds.yaml")
    rules_dir({"verdicts": [a_verdict(when="gap_ratio > gap_top")],
               "rules": [a_rule(when="gap_ratio > gap_top and gap_ratio < 2 * gap_top"),
                         a_rule(id="word-boundary", when="gap_ratio > 0.1")]})
    ruleset = check_rules_dir(folder)
    assert ruleset.thresholds["gap_top"] == 0.4
    assert ruleset.verdicts[0].when == "gap_ratio > 0.4"
    rule = next(r for r in ruleset.rules if r.id == "a-rule")
    assert rule.when == "gap_ratio > 0.4 and gap_ratio < 2 * 0.4"
    assert rule.condition.holds({"gap_ratio": 0.5}) and not rule.condition.holds({"gap_ratio": 0.9})
    # A name given twice in one folder is refused.
    rules_dir({"thresholds": {"gap_top": 0.5}}, name="10-again.yaml")
    with pytest.raises(RulesError, match="threshold 'gap_top': .*00-thresholds.yaml names it too"):
        check_rules_dir(folder)


def test_a_user_folder_moves_a_bundled_threshold_for_the_bundled_rules(rules_dir):
    bundled = load_rules()
    assert bundled.thresholds["dropout_top"] == 0.5
    above = next(r for r in bundled.rules if r.id == "dropout-above-range")
    assert above.when == "dropout_p > 0.5"
    # The user's folder only names the number; the bundled rule reads it.
    folder = rules_dir({"thresholds": {"dropout_top": 0.4}})
    moved = load_rules([folder])
    rule = next(r for r in moved.rules if r.id == "dropout-above-range")
    assert rule.when == "dropout_p > 0.4"
    assert rule.condition.holds({"dropout_p": 0.45})
    assert not above.condition.holds({"dropout_p": 0.45})
    # A user rule may write a bundled name, and `rules check` knows it.
    checked = check_rules_dir(rules_dir({"rules": [a_rule(when="dropout_p > dropout_top")]},
                                        folder="mine"))
    assert checked.rules[0].when == "dropout_p > 0.5"


def test_every_range_threshold_of_the_bundled_rules_is_named_once():
    """The tops of the guide's ranges live in rules/00-thresholds.yaml: no bundled condition
    writes one of their numbers beside the setting it bounds."""
    import re

    text = "".join(p.read_text() for p in sorted(bundled_rules_dir().glob("*.yaml"))
                   if p.name != "00-thresholds.yaml")
    for setting in ("dropout_p", "label_smoothing", "weight_decay"):
        # "is set" (> 0) aside: a nonzero number compared with the setting.
        number = r"(0\.\d*[1-9]\d*|[1-9][\d.]*)\b(?!\s*\*)"  # not "10 * name"
        assert not re.search(rf"{setting} >=? {number}", text), setting


def test_a_search_range_may_leave_a_bound_to_the_parameter_default(rules_dir):
    from regadvisor._params import PARAMETER_TABLE

    folder = rules_dir({"rules": [a_rule(actions={"search": {"dropout": {"low": 0.1}}})]})
    r = check_rules_dir(folder).rules[0].actions.search["dropout"]
    assert (r.low, r.high) == (0.1, PARAMETER_TABLE["dropout"].high)
    tune = next(r for r in load_rules().rules if r.id == "tune-dropout")
    assert tune.actions.search["dropout"].high == PARAMETER_TABLE["dropout"].high == 0.6


def test_a_range_that_leaves_out_a_bound_takes_the_parameters_scale_too(rules_dir):
    folder = rules_dir({"rules": [a_rule(actions={"search": {
        "weight_decay": {"high": 0.01}, "l1": {"low": 1e-5, "high": 1e-3}}})]})
    search = check_rules_dir(folder).rules[0].actions.search
    assert (search["weight_decay"].low, search["weight_decay"].log) == (1e-6, True)
    assert search["l1"].log is False  # both bounds given: the rule's own scale (default linear)
