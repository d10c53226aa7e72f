"""Verification: the user's baseline against the recommendation, over several seeds."""

from regadvisor.verification.calibration import (
    Calibration,
    ReliabilityBin,
    Uncertainty,
    calibration,
    predict,
    uncertainty,
)
from regadvisor.verification.decision import Decision, SeedsToDecide, decide
from regadvisor.verification.verify import (
    ArmResult,
    Comparison,
    SeedResult,
    Sequential,
    Verification,
    evaluate_model,
    paired_comparison,
    verify,
)

__all__ = ["ArmResult", "Calibration", "Comparison", "Decision", "ReliabilityBin", "SeedResult",
           "SeedsToDecide", "Sequential", "Uncertainty", "Verification", "calibration", "decide",
           "evaluate_model", "paired_comparison", "predict", "uncertainty", "verify"]
