"""The names a condition or template may use, with their kinds and, for a few, their values."""

from __future__ import annotations

import numbers
from types import MappingProxyType
from typing import Any, Literal, get_args

from regadvisor.diagnosis.facts import FACT_SPECS

#: The verdicts, in no particular order (the verdict list in the rules files sets the order).
#: ``undecided`` is never a final verdict: while it holds (and the diagnostic training can go on)
#: the diagnosis trains the user's setup longer.
VerdictName = Literal["diverging", "not_converged", "overfitting", "underfitting", "good_fit",
                      "undecided"]
VERDICT_NAMES: tuple[str, ...] = get_args(VerdictName)

#: The values a few str facts can take; a condition comparing them with another string is an
#: error (a typo such as ``task == 'clasification'`` would otherwise never fire).
KNOWN_VALUES = MappingProxyType({
    "task": ("classification", "regression"),
    "metric": ("accuracy", "loss"),
    "verdict": VERDICT_NAMES,
})

#: Names usable in a rule's condition and templates: every fact, ``verdict`` included (the name
#: of the verdict the verdict list gave, a str; the engine sets it before evaluating the rules).
RULE_SCOPE = MappingProxyType({"verdict": "str",
                               **{name: spec.kind for name, spec in FACT_SPECS.items()}})

#: Names usable in a verdict's condition and reason: the facts without ``verdict`` itself.
VERDICT_SCOPE = MappingProxyType({k: v for k, v in RULE_SCOPE.items() if k != "verdict"})

SCOPES = MappingProxyType({"rule": RULE_SCOPE, "verdict": VERDICT_SCOPE})


def is_bool(value: Any) -> bool:
    """A Python or NumPy bool."""
    return isinstance(value, bool) or getattr(getattr(value, "dtype", None), "kind", None) == "b"


def is_number(value: Any) -> bool:
    """A real number (Python or NumPy) that is not a bool."""
    return isinstance(value, numbers.Real) and not is_bool(value)
