"""Fuzzing: whatever text reaches the loader or the parsers, only a RulesError comes out."""

from __future__ import annotations

import math

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from regadvisor.diagnosis.facts import FACT_SPECS
from regadvisor.errors import RulesError
from regadvisor.rules import PARAMETERS, compile_condition, compile_template
from regadvisor.rules._loader import parse_rules_text

FACTS = sorted(FACT_SPECS)
RULE_KEYS = ["id", "title", "when", "priority", "advice", "why", "evidence", "actions", "snippet",
             "source", "enabled", "verdict", "reason", "set", "search", "tune", "low", "high",
             "log", *PARAMETERS]
TOKENS = [*FACTS, "and", "or", "not", "in", "not in", "is", "<", "<=", ">", ">=", "==", "!=",
          "+", "-", "*", "/", "**", "%", "(", ")", "[", "]", "{", "}", ",", ".", ":", ":=",
          "0", "1", "0.3", "-2", "1e-4", "1j", "'Adam'", '"x"', "true", "false", "none", "None",
          "__import__", "__class__", "'os'", "system", "lambda", "x", "for", "if", "else", "f'",
          "*", "**", "@", "~", "&", "|", "\\", "\n", "#", "'", '"', "\x00", "verdict",
          "'overfitting'", "task", "'classification'"]

conditions = st.one_of(
    st.text(max_size=80),
    st.lists(st.sampled_from(TOKENS), max_size=25).map(" ".join),
    st.lists(st.sampled_from(TOKENS), max_size=25).map("".join),
)
scalars = st.one_of(st.none(), st.booleans(), st.integers(-5, 200),
                    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=20),
                    conditions)
yaml_data = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.sampled_from(RULE_KEYS), children, max_size=6),
    ),
    max_leaves=10,
)
rule_like = st.fixed_dictionaries(
    {"id": st.sampled_from(["a", "b-1", "B", ""]), "title": scalars, "when": conditions,
     "priority": scalars, "advice": st.text(max_size=30), "why": st.text(max_size=30),
     "source": scalars},
    optional={"actions": yaml_data, "evidence": st.lists(st.sampled_from(FACTS + ["zz"])),
              "enabled": scalars, "snippet": scalars},
)


def _facts(number: float | None, flag: bool | None, text: str | None) -> dict[str, object]:
    pick = {"number": number, "bool": flag, "str": text}
    return {name: pick[spec.kind] for name, spec in FACT_SPECS.items()}


# A few whole fact tables, awkward values included (generating each fact apart is slow).
fact_values = st.sampled_from([
    _facts(None, None, None),
    _facts(0, False, "Adam"),
    _facts(0.3, True, "classification"),
    _facts(math.nan, True, "overfitting"),
    _facts(-math.inf, False, ""),
    _facts(1e308, True, "SGD"),
])


def _dump(data: object) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_random_text_as_a_rules_file(text):
    try:
        parse_rules_text(text, "fuzz.yaml")
    except RulesError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from(["rules", "verdicts", "rule"]), yaml_data, max_size=2))
def test_random_structures_as_a_rules_file(data):
    try:
        parse_rules_text(_dump(data), "fuzz.yaml")
    except RulesError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.lists(rule_like, max_size=2), st.lists(rule_like, max_size=1))
def test_random_rules_and_verdicts(rules, verdicts):
    try:
        parse_rules_text(_dump({"rules": rules, "verdicts": verdicts}), "fuzz.yaml")
    except RulesError:
        pass


@settings(max_examples=200, deadline=None)
@given(conditions, fact_values)
def test_random_conditions(text, facts):
    try:
        condition = compile_condition(text)
    except RulesError as e:
        assert "\n" not in str(e)
        return
    assert condition.holds(facts) in (True, False)  # an accepted condition always evaluates


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(max_size=60),
                 st.lists(st.sampled_from(["{", "}", "{{", "}}", "gap", ":", ".3f", "%", "d",
                                           "__class__", ".", "0", "!r", "[0]", "optimizer",
                                           " ", ">8", "x"]), max_size=12).map("".join)),
       fact_values)
def test_random_templates(text, facts):
    try:
        template = compile_template(text)
    except RulesError:
        return
    assert isinstance(template.render(facts), str)
