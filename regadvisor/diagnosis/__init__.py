"""Diagnosis: static inspection and a short training of the user's setup → Facts and a Verdict."""

from regadvisor.diagnosis.facts import FACT_SPECS, Facts, FactSpec

__all__ = ["FACT_SPECS", "FactSpec", "Facts"]
