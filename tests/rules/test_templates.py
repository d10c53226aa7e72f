"""Templates: {fact} and {fact:format} only, rendered with the built-in format()."""

from __future__ import annotations

import math

import pytest

from regadvisor.errors import RulesError
from regadvisor.rules import compile_template


@pytest.mark.parametrize(("template", "facts", "expected"), [
    ("Loss {val_loss:.3f}.", {"val_loss": 0.12345}, "Loss 0.123."),
    ("Gap {gap_ratio:.1%}", {"gap_ratio": 0.456}, "Gap 45.6 %"),
    ("λ = {weight_decay:g}", {"weight_decay": 1e-4}, "λ = 0.0001"),
    ("{weight_decay:.1e}", {"weight_decay": 0.00012}, "1.2e-04"),
    ("{n_classes:d} classes", {"n_classes": 10}, "10 classes"),
    ("{n_classes:d} classes", {"n_classes": 10.0}, "10 classes"),
    ("{n_params:,d}", {"n_params": 1234567}, "1,234,567"),
    ("[{gap:>8.2f}]", {"gap": 1.5}, "[    1.50]"),
    ("{gap:+.1f}", {"gap": 1.5}, "+1.5"),
    ("{optimizer:>6}|", {"optimizer": "SGD"}, "   SGD|"),
    ("{optimizer}", {"optimizer": "AdamW"}, "AdamW"),
    ("{gap}", {"gap": 0.123456789}, "0.1235"),  # floats default to 4 significant digits
    ("{n_params}", {"n_params": 12345}, "12345"),
    ("{has_dropout}", {"has_dropout": True}, "yes"),
    ("{has_dropout}", {"has_dropout": False}, "no"),
    ("{gap:.3f} / {has_dropout}", {"gap": None, "has_dropout": None}, "n/a / n/a"),
    ("{gap:.3f}", {}, "n/a"),
    ("{gap:.3f}", {"gap": math.inf}, "inf"),
    ("{n_classes:d}", {"n_classes": math.nan}, "nan"),
    ("{{literal}} {gap:.1f} }}{{", {"gap": 2}, "{literal} 2.0 }{"),
    ("{verdict}", {"verdict": "overfitting"}, "overfitting"),
    ("no placeholders", {}, "no placeholders"),
    ("", {}, ""),
])
def test_render_table(template, facts, expected):
    assert compile_template(template).render(facts) == expected


def test_facts_named_in_order():
    t = compile_template("{gap} {lr:g} {gap:.2f} {optimizer}")
    assert t.facts == ("gap", "lr", "optimizer")


@pytest.mark.parametrize(("template", "message"), [
    ("{x.__class__}", "the placeholder '{x.__class__}' is not allowed"),
    ("{gap.__class__.__init__.__globals__}", "the placeholder"),
    ("{0}", "the placeholder '{0}' is not allowed"),
    ("{}", "the placeholder '{}' is not allowed"),
    ("{gap[0]}", "the placeholder '{gap[0]}' is not allowed"),
    ("{gap!r}", "the placeholder '{gap!r}' is not allowed"),
    ("{__class__}", "the placeholder '{__class__}' is not allowed"),
    ("{gapp:.2f}", "unknown fact 'gapp' (did you mean 'gap'?)"),
    ("{optimizer:.3f}", "needs a number, but 'optimizer' is a str fact"),
    ("{has_dropout:.1%}", "needs a number, but 'has_dropout' is a bool fact"),
    ("{gap:%%}", "the format ':%%' in '{gap:%%}' is not allowed"),
    ("{gap:s}", "is not allowed"),
    ("{gap:999999999f}", "is not allowed"),
    ("{n_classes:.2d}", "gives a precision to an integer"),
    ("a { b", "a lone '{' at character 3"),
    ("a } b", "a lone '}' at character 3"),
    ("{gap:{x}}", "a lone '{'"),
])
def test_rejected_templates(template, message):
    with pytest.raises(RulesError) as info:
        compile_template(template)
    assert message in str(info.value)


def test_verdict_reasons_cannot_use_the_verdict():
    with pytest.raises(RulesError, match="unknown fact 'verdict'"):
        compile_template("{verdict}", "verdict")


def test_str_format_is_never_used_on_the_template():
    # With str.format this would reach the object's attributes; here it is literal text.
    t = compile_template("{{gap.__class__}} {gap:.1f}")
    assert t.render({"gap": 1.0}) == "{gap.__class__} 1.0"
