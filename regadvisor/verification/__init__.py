"""Verification: the user's baseline against the recommendation, over several seeds."""

from regadvisor.verification.verify import (
    ArmResult,
    Comparison,
    SeedResult,
    Verification,
    evaluate_model,
    paired_comparison,
    verify,
)

__all__ = ["ArmResult", "Comparison", "SeedResult", "Verification", "evaluate_model",
           "paired_comparison", "verify"]
