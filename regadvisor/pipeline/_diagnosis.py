"""The diagnose stage: inspect the experiment, train its setup as long as needed, judge it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from regadvisor._record import not_recorded
from regadvisor.diagnosis.facts import Facts
from regadvisor.diagnosis.inspect import Inspection
from regadvisor.diagnosis.run import DiagnosticRun, run_diagnostic
from regadvisor.experiment import Experiment, check_sample_counts
from regadvisor.rules import Finding, RuleSet, Verdict, evaluate_rules, load_rules
from regadvisor.training import EpochCallback, History
from regadvisor.training.faults import user_code

__all__ = ["DIAGNOSIS_SCHEMA_VERSION", "Diagnosis", "diagnose", "judge"]

DIAGNOSIS_SCHEMA_VERSION = 1


@dataclass
class Diagnosis:
    """What the diagnose stage hands on: facts, verdict, ranked findings and their evidence."""

    experiment: dict[str, Any]
    facts: Facts
    verdict: Verdict
    findings: list[Finding]
    history: History
    inspection: Inspection
    seconds: float
    epochs_requested: int
    rule_files: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # The full-length run of the user's setup, when it went that far (memory only).
    trained: Any = not_recorded()
    schema_version: int = DIAGNOSIS_SCHEMA_VERSION


def judge(ruleset: RuleSet, facts: Facts) -> tuple[Verdict, list[Finding]]:
    """The verdict (also recorded as the fact ``verdict``) and the ranked findings."""
    evaluation = evaluate_rules(ruleset, facts)
    facts["verdict"] = evaluation.verdict.name
    return evaluation.verdict, evaluation.findings


def diagnose(
    experiment: Experiment,
    *,
    epochs: int | None = None,
    budget_seconds: float | None = None,
    device: Any = "cpu",
    seed: int = 0,
    rules_dirs: Sequence[str | Path] = (),
    ruleset: RuleSet | None = None,
    callbacks: Sequence[EpochCallback] = (),
    to_end: bool = False,
) -> Diagnosis:
    """Inspect the experiment, train its setup as long as the verdict needs, judge it.

    The short run (20 % of the experiment's epochs, at least 10) goes on while the verdict
    rules say ``undecided``, up to the experiment's epochs (see
    :func:`regadvisor.diagnosis.run.run_diagnostic`).

    Args:
        experiment: The loaded experiment.
        epochs: Train exactly this many diagnostic epochs and judge them.
        budget_seconds: Wall-time budget of the diagnostic training.
        device: Where to train.
        seed: Training seed.
        rules_dirs: Extra rule folders (``--rules``) that add or override bundled rules.
        ruleset: Rules already loaded (``rules_dirs`` is then ignored).
        callbacks: Per-epoch callbacks (progress display).
        to_end: Train on to the full length once the verdict settles, for verification to take
            the run as its first of the user's setup (``trained``); the verdict is that of the
            epoch it settled at.

    Raises:
        ExperimentError: Too few samples to judge, or a mistake in the experiment's code that
            training met (with its fix).
        RunError: The experiment's code failed otherwise (``sys.exit()`` included).
    """
    check_sample_counts(experiment)
    ruleset = ruleset or load_rules([Path(d) for d in rules_dirs])

    def settled(facts: Facts) -> bool:
        return evaluate_rules(ruleset, facts).verdict.name != "undecided"

    with user_code("the diagnosis", device):
        run: DiagnosticRun = run_diagnostic(experiment, epochs=epochs,
                                            budget_seconds=budget_seconds, device=device,
                                            seed=seed, settled=settled, callbacks=callbacks,
                                            to_end=to_end)
    verdict, findings = judge(ruleset, run.facts)
    return Diagnosis(
        experiment=experiment.summary(),
        facts=run.facts,
        verdict=verdict,
        findings=findings,
        history=run.history,
        inspection=run.inspection,
        seconds=run.seconds,
        epochs_requested=run.epochs_requested,
        rule_files=[str(f) for f in getattr(ruleset, "files", ())],
        notes=run.notes,
        trained=(run.history, run.model) if run.model is not None else None,
    )
