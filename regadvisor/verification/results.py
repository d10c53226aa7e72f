"""What verification records: one training run per seed and arm, each arm over its seeds, and
the whole comparison as the report and the terminal read it."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass, field

from regadvisor._stats import finite
from regadvisor.training.config import RegConfig
from regadvisor.training.history import History
from regadvisor.verification.calibration import Calibration, TemperatureScaling, Uncertainty
from regadvisor.verification.comparison import Comparison
from regadvisor.verification.decision import Decision, SeedsToDecide
from regadvisor.verification.sequential import Sequential

__all__ = ["ArmResult", "SeedResult", "Verification", "arm_ece"]


def arm_ece(pooled: float | None, seed_eces: Iterable[float | None]) -> float | None:
    """An arm's expected calibration error: that of its pooled predictions when there are
    any, else the mean of its seeds' own (``None`` without either).

    Args:
        pooled: ``Calibration.ece`` of the arm's pooled predictions, or ``None``.
        seed_eces: Each seed's ECE (``None`` for a run that diverged or has no predictions).
    """
    if pooled is not None:
        return pooled
    values = finite(seed_eces)
    return statistics.fmean(values) if values else None


@dataclass
class SeedResult:
    """One training run of one arm, evaluated on the held-out split.

    ``temperature`` is T fitted on the validation set for this run's model and ``ece_scaled``
    the held-out ECE with its logits divided by T (classification; ``None`` otherwise).
    ``reused`` names the stage whose run this is when verification did not train it
    (``"diagnosis"``: the diagnosis trained your setup at full length with this seed;
    ``"tuning"``: a re-run of the winning trial with this seed, chosen on the validation data;
    ``"trial"``: the run of a study's only trial, which trains with the first seed);
    its epochs were spent there and are not counted again.
    """

    seed: int
    loss: float
    metric: float
    ece: float | None
    epochs_run: int
    best_epoch: int
    restored_epoch: int
    stop_reason: str
    stop_message: str
    seconds: float
    temperature: float | None = None
    ece_scaled: float | None = None
    reused: str | None = None


@dataclass
class ArmResult:
    """One configuration over the seeds.

    ``calibration`` and ``uncertainty`` pool the held-out predictions of every seed that did not
    diverge, and ``temperature`` the same predictions after temperature scaling (classification
    only; ``None`` otherwise).
    """

    name: str
    config: RegConfig
    runs: list[SeedResult] = field(default_factory=list)
    calibration: Calibration | None = None
    uncertainty: Uncertainty | None = None
    temperature: TemperatureScaling | None = None

    def values(self, key: str) -> list[float]:
        return [getattr(r, key) for r in self.runs]

    def mean(self, key: str) -> float:
        vals = finite(self.values(key))
        return statistics.fmean(vals) if vals else math.nan

    @property
    def ece(self) -> float | None:
        """The arm's ECE (see :func:`arm_ece`)."""
        return arm_ece(self.calibration.ece if self.calibration is not None else None,
                       self.values("ece"))

    def std(self, key: str) -> float:
        vals = finite(self.values(key))
        return statistics.stdev(vals) if len(vals) >= 2 else 0.0


@dataclass
class Verification:
    """Baseline against recommendation on held-out data.

    Attributes:
        split: ``"test"`` or ``"validation"`` (when the experiment has no test loader).
        seeds: The training seeds, shared by both arms.
        baseline, recommended: The two arms.
        metric, loss: Paired comparisons on the user's metric and on the loss.
        verdict: The verdict on the user's metric (for a loss metric, on the loss).
        keep_baseline: True unless the recommendation measured better on the user's metric:
            the user's setup stays (``decision`` says why).
        summary: One sentence for the terminal and the report.
        warnings: What makes the comparison less certain than its interval suggests (few
            seeds, a small held-out set), in sentences.
        flags: What the recommendation made worse beside the metric, in sentences for the
            verdict box: a held-out loss far above the user's on some seed (over-confident
            predictions), a worse calibration.
        histories: The first seed's learning curves of each arm.
        decision: What regadvisor does with the change (:class:`Decision`): the one decision
            the terminal, the report and report.json word their advice by. ``None`` only in
            records written before it was recorded (readers derive it from the verdicts).
        to_decide: For a change tried and not adopted (or a gain in loss only), what more seeds
            would cost to decide it; ``None`` otherwise.
        sequential: How many seeds decided it and why verification stopped there (``None`` in
            records written before seeds were added sequentially).
        temperature_advised: The recommendation measured better on the metric but worse
            calibrated, and temperature scaling (T fitted on the validation set) measurably
            repaired its held-out calibration: the advice includes it.
    """

    split: str
    seeds: list[int]
    metric_name: str
    baseline: ArmResult
    recommended: ArmResult
    metric: Comparison
    loss: Comparison
    verdict: str
    keep_baseline: bool
    summary: str
    warnings: list[str] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)
    histories: dict[str, History] = field(default_factory=dict)
    seconds: float = 0.0
    decision: Decision | None = None
    to_decide: SeedsToDecide | None = None
    sequential: Sequential | None = None
    temperature_advised: bool = False

