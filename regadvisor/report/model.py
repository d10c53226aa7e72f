"""ReportData: everything the report shows, built from a RunResult, with no HTML in it.

The builder reads the record ``report.json`` holds (a RunResult, or its dict) as it is (a
complete run, a partial one that stopped after any stage, a regression task with no accuracy or
calibration) and never fails on a missing stage: each section then says why it is empty.
Sentences are composed here from the numbers, with the helpers of :mod:`regadvisor._format`; the
template only lays them out.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from regadvisor import _format as fmt
from regadvisor._record import from_plain, to_plain
from regadvisor.pipeline._record import RunResult
from regadvisor.report import sections
from regadvisor.report.code import STACKS, code_parts, full_code, schedule_info, stacks_for
from regadvisor.rules import Verdict
from regadvisor.verification.decision import Decision, decide

if TYPE_CHECKING:
    from regadvisor.pipeline import Diagnosis, Recommendation
    from regadvisor.report.code import CodePart
    from regadvisor.rules import Finding
    from regadvisor.training import Placement, RegConfig
    from regadvisor.verification import Verification

__all__ = ["SECTIONS", "Change", "CodeFlavour", "Kpi", "ReportData", "build_report_data"]

#: The report's sections, in order: anchor id and heading (every report has all of them; the
#: change's heading follows the verification's decision: "Recommended change" only when the
#: change measured better, see :func:`_change_label`).
SECTIONS = (
    ("change", "Recommended change"),
    ("recommendations", "Recommendations, most important first"),
    ("diagnosis", "Diagnosis"),
    ("tuning", "Tuning"),
    ("verification", "Verification"),
    ("calibration", "Calibration and uncertainty"),
    ("early-stopping", "What early stopping did"),
    ("reproducibility", "Reproducibility"),
)

_VERDICT_PHRASES = {
    "overfitting": "Your model overfits",
    "underfitting": "Your model underfits",
    "good_fit": "Your model fits well",
    "not_converged": "Your model has not finished learning",
    "diverging": "Your training diverges",
}


@dataclass(frozen=True)
class Kpi:
    """One key number under the headline.

    Attributes:
        label: What it is (``test accuracy``).
        before: Your setup's value as shown, or ``None`` (a difference has no before).
        after: The change's value (or the difference) as shown.
        note: A few words under it.
        better: True: the change is better on this figure, False: worse, None: no clear
            direction.
    """

    label: str
    before: str | None
    after: str
    note: str
    better: bool | None


@dataclass(frozen=True)
class CodeFlavour:
    """The change as code for one stack (a key of :data:`regadvisor.report.code.STACKS`)."""

    stack: str
    title: str
    parts: list[CodePart]
    code: str


@dataclass
class Change:
    """The change tuning found, as the report shows it (see :func:`_change`).

    Attributes:
        config: The config to use: the user's own unless the change was adopted (``None``
            before tuning).
        verified: Verification measured the change.
        kept_baseline: The verification's decision keeps the user's setup.
        decision: The decision's value (:class:`~regadvisor.verification.decision.Decision`),
            ``None`` before verification.
        label: The change's title (the section heading).
        adopted: The change measured better and is recommended.
        rows: The settings that change, ``setting``, ``before``, ``after``.
        flavours: The change as code, one flavour per stack the user may train with, the
            user's own first.
        summary: The change in a few words.
        placement: Where the change puts weight decay and dropout (``None`` when the user's
            setup is kept).
        to_decide: What more seeds would take to decide, when verification could not.
        unverified: Why verification did not measure the change (while it has not).
    """

    config: RegConfig | None
    verified: bool
    kept_baseline: bool
    decision: str | None
    label: str
    adopted: bool = False
    rows: list[dict[str, Any]] = field(default_factory=list)
    flavours: list[CodeFlavour] = field(default_factory=list)
    summary: str = ""
    placement: Placement | None = None
    to_decide: str | None = None
    unverified: str = "the run stopped before verification"

    @property
    def parts(self) -> list[CodePart]:
        """The first flavour's pieces (none without code)."""
        return self.flavours[0].parts if self.flavours else []

    @property
    def code(self) -> str:
        """The first flavour's code (empty without code)."""
        return self.flavours[0].code if self.flavours else ""


@dataclass
class ReportData:
    """The report's content, section by section: plain values, sentences and inline SVG.

    Attributes:
        title: The page title.
        status: ``complete`` or ``partial`` (from report.json).
        sections: ``(anchor, heading)`` of every section, in order.
        missing: ``anchor -> sentence`` for the sections whose stage did not run.
        verdict: The diagnosis verdict (``name``, ``reason``, ``evidence``; ``unknown`` when
            the diagnosis did not finish).
        headline: The verdict and the measured effect of the change in one sentence.
        kpis: The key numbers under the headline (``label``, ``before``, ``after``, ``note``).
        change: The recommended change: rows before → after, code, whether it was verified.
        findings: The fired rules, ranked, each with what was applied and what it measured.
    """

    title: str
    status: str
    experiment: dict[str, Any]
    metric: str
    task: str
    verdict: Verdict
    headline: str
    kpis: list[Kpi]
    change: Change
    findings: list[dict[str, Any]]
    diagnosis: dict[str, Any] | None
    tuning: dict[str, Any] | None
    verification: dict[str, Any] | None
    calibration: dict[str, Any] | None
    early_stopping: dict[str, Any] | None
    reproducibility: dict[str, Any]
    sections: tuple[tuple[str, str], ...] = SECTIONS
    missing: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    plan: str | None = None
    cautions: list[str] = field(default_factory=list)


#: The verdict of a report whose diagnosis did not finish.
_NO_VERDICT = Verdict(name="unknown", reason="The diagnosis did not finish.", evidence={},
                      condition="")


def build_report_data(run: RunResult | Mapping[str, Any]) -> ReportData:
    """Collect what the report shows from a RunResult (or its dict, as saved in report.json)."""
    if isinstance(run, Mapping):
        run = from_plain(RunResult, run)
    exp = run.experiment or {}
    metric = exp.get("metric", "accuracy")
    task = exp.get("task", "classification")
    diag = run.diagnosis
    tun = run.tuning
    ver = run.verification
    verdict = diag.verdict if diag else _NO_VERDICT

    change = _change(run, exp, diag, ver, _decision(ver, run.recommendation, metric), metric)
    tuning = sections.tuning(tun, metric) if tun else None
    verification = sections.verification(ver, metric) if ver else None
    findings = _findings(diag.findings if diag else [], change, verification, tuning, metric)
    missing = _missing(run)
    notes = list(exp.get("notes") or []) + list(diag.notes if diag else [])
    if run.status != "complete":
        notes.insert(0, "This report is partial: " + _stopped(run))
    return ReportData(
        title=f"regadvisor report: {exp.get('name', 'experiment')}",
        status=run.status,
        experiment=exp,
        metric=metric,
        task=task,
        verdict=verdict,
        headline=_headline(verdict, change, verification, metric),
        kpis=_kpis(verification, metric, task),
        change=change,
        findings=findings,
        diagnosis=sections.diagnosis(diag, ver, metric),
        tuning=tuning,
        verification=verification,
        calibration=sections.calibration(ver, task) if ver else None,
        early_stopping=sections.early_stopping(ver, diag, metric) if ver else None,
        reproducibility=sections.reproducibility(run),
        missing=missing,
        notes=notes,
        plan=(run.plan or {}).get("text"),
        sections=tuple((anchor, change.label if anchor == "change" else heading)
                       for anchor, heading in SECTIONS),
        cautions=[*ver.flags, *ver.warnings] if ver else [],
    )


# ---------------------------------------------------------------------------------------------
# The top of the report: headline, key numbers, the change
# ---------------------------------------------------------------------------------------------

def _decision(ver: Verification | None, rec: Recommendation | None,
              metric: str) -> Decision | None:
    """The verification's decision (``None`` before verification): as recorded, or, in a
    record written before it was kept, derived from the verdicts the same way."""
    if ver is None:
        return None
    recorded = (rec.decision if rec else None) or ver.decision
    if recorded:
        return recorded
    return decide(ver.metric.verdict, ver.loss.verdict, metric == "loss")


def _change_label(decision: Decision | None, candidate: bool, rows: bool) -> str:
    """The title of the change, in the section heading and beside the change in the verdict
    box: only a change that measured better is "Recommended"."""
    if decision is not None:
        return decision.label if rows else "No change to recommend"
    if candidate and rows:
        return "Candidate change (not verified)"
    return "Change (not tuned yet)"


def _change(run: RunResult, exp: dict[str, Any], diag: Diagnosis | None,
            ver: Verification | None, decision: Decision | None,
            metric: str) -> Change:
    """The change tuning found: after verification with its decision (adopted, tried and not
    adopted, measured worse, a gain in loss only), after tuning as a candidate.

    The table rows, the code and (through the rows) the findings' badges all come from the
    tuned config and its placement in the user's model, as report.json holds them, whatever
    the decision: a change that was not adopted is still shown as the change tried. The code
    comes in one flavour per stack the user may train with (``flavours``, the user's own
    first).
    """
    placements = run.placements or {}
    baseline, recommended = placements.get("baseline"), placements.get("recommended")
    before = (baseline.config if baseline else None) or (ver.baseline.config if ver else None)
    candidate = ((recommended.config if recommended else None)
                 or (ver.recommended.config if ver else None)
                 or (run.tuning.best_config if run.tuning else None))
    kept = decision is not None and decision.keeps_yours
    config = before if kept else candidate
    change = Change(config=config, verified=decision is not None, kept_baseline=kept,
                    decision=decision.value if decision else None,
                    label=_change_label(decision, candidate is not None, False),
                    unverified=_unverified(run))
    if candidate is None or before is None:
        return change
    after = recommended.placement if recommended else None
    # The change table reads configs and placements as report.json writes them (the
    # interface of regadvisor._format, shared with the terminal's summary).
    rows = fmt.config_changes(to_plain(before), to_plain(candidate),
                              to_plain(baseline.placement) if baseline else None,
                              to_plain(after))
    flavours = []
    if rows and after is not None:
        for stack in stacks_for(exp):
            parts = code_parts(
                candidate, after, layers=diag.inspection.layers if diag else (),
                task=exp.get("task", "classification"), metric=metric,
                model_class=str(exp.get("model_class", "model")), schedule=schedule_info(exp),
                baseline=before, inputs=str(exp.get("inputs") or ""),
                outputs=str(exp.get("outputs") or ""),
                training_step=bool(exp.get("training_step")),
                clip_grad=bool(exp.get("clip_grad")), stack=stack,
                temperature=bool(ver and ver.temperature_advised))
            if parts:
                flavours.append(CodeFlavour(stack, STACKS[stack][0], parts, full_code(parts)))
    change.rows, change.flavours = rows, flavours
    change.summary = _change_summary(rows, metric)
    change.adopted = decision is Decision.ADOPTED
    change.placement = None if kept else after
    change.label = _change_label(decision, True, bool(rows))
    change.to_decide = ver.to_decide.text if rows and ver and ver.to_decide else None
    return change


def _change_summary(rows: list[dict[str, Any]], metric: str) -> str:
    """The change in a few words: "AdamW with weight decay 0.012, dropout 0.3, …"."""
    by = {r["setting"]: r["after"] for r in rows}
    words = []
    opt = by.get("optimizer")
    wd = by.get("weight_decay")
    if opt and wd:
        words.append(f"{opt} with weight decay {fmt.sig(wd)}")
    elif opt:
        words.append(opt)
    elif wd is not None:
        words.append(f"weight decay {fmt.setting_value(wd, 'weight_decay')}")
    if by.get("exempt"):
        words.append(f"decayed: {fmt.setting_value(by['exempt'], 'exempt')}")
    if "dropout" in by:
        words.append(f"dropout {fmt.setting_value(by['dropout'], 'dropout')}")
    if "label_smoothing" in by:
        eps = fmt.setting_value(by["label_smoothing"], "label_smoothing")
        words.append(f"label smoothing {eps}")
    if "l1" in by:
        words.append(f"L1 {fmt.setting_value(by['l1'], 'l1')}")
    if "patience_epochs" in by:
        p = by["patience_epochs"]
        words.append("no early stopping" if p is None else f"early stopping (patience {p})")
    for key in ("lr", "max_epochs"):
        if key in by:
            words.append(f"{fmt.setting_label(key)} {fmt.setting_value(by[key], key, metric)}")
    return ", ".join(words)


def _headline(verdict: Verdict, change: Change,
              verification: dict[str, Any] | None, metric: str) -> str:
    """The verdict and what the change measured, in one sentence with the key numbers, worded
    by the verification's decision: only a change that measured better is recommended."""
    first = _VERDICT_PHRASES.get(verdict.name, "The diagnosis did not finish") + "."
    if verification is not None:
        v = verification
        numbers = (f"{v['split']} {metric} {v['before']} → {v['after']} "
                   f"({v['diff_text']}, 95 % interval {v['ci_text']}, {len(v['seeds'])} seeds)")
        decision = Decision(change.decision)
        if not change.rows:
            return f"{first} No change to recommend: {numbers}."
        if decision is Decision.ADOPTED:
            return f"{first} The recommended change improves {numbers}."
        if decision is Decision.KEPT_YOURS_WORSE:
            return (f"{first} Keep your setup: the best configuration found measured worse "
                    f"({numbers}).")
        if decision is Decision.LOSS_ONLY:
            loss = v["loss"]
            return (f"{first} Keep your setup for {metric}: the change tried made no clear "
                    f"difference, {numbers}, but lowered the {v['split']} loss "
                    f"{fmt.num(v['loss_before'], '.4f')} → {fmt.num(v['loss_after'], '.4f')} "
                    f"(95 % interval {fmt.signed(loss.ci_low, 4)} to "
                    f"{fmt.signed(loss.ci_high, 4)}): a gain in loss only.")
        return (f"{first} Keep your setup: the change tried made no clear difference, "
                f"{numbers}; it was not adopted.")
    if change.rows:
        return (f"{first} Tuning found a candidate change; it was not verified: "
                f"{change.unverified}.")
    if change.config is not None:  # tuned, and the best configuration is the user's own
        return f"{first} Tuning found no change to your setup."
    return f"{first} The run stopped before a change could be tuned and verified."


def _kpis(verification: dict[str, Any] | None, metric: str, task: str) -> list[Kpi]:
    """The key numbers of the verification (none before it)."""
    if verification is None:
        return []
    v = verification
    better = _BETTER.get(v["verdict"])
    out = [Kpi(f"{v['split']} {metric}", v["before"], v["after"],
               f"mean of {len(v['seeds'])} seeds", better),
           Kpi("paired difference", None, v["diff_text"], f"95 % interval {v['ci_text']}",
               better)]
    if metric == "accuracy":
        loss = v["loss"]
        out.append(Kpi(f"{v['split']} loss", fmt.num(v["loss_before"], ".4f"),
                       fmt.num(v["loss_after"], ".4f"), loss.verdict, _BETTER.get(loss.verdict)))
    if task == "classification" and v["ece_before"] is not None \
            and v["ece_after"] is not None:
        b, a = round(v["ece_before"], 3), round(v["ece_after"], 3)  # as shown
        out.append(Kpi("calibration error (ECE)", fmt.num(b, ".3f"), fmt.num(a, ".3f"),
                       "lower is better: " + ("better" if a < b else "worse"
                                              if a > b else "unchanged"),
                       a < b if a != b else None))
    return out


#: A comparison's verdict as the direction of a key number.
_BETTER = {"improves": True, "worse": False}


# ---------------------------------------------------------------------------------------------
# Ranked recommendations with what was applied and what it measured
# ---------------------------------------------------------------------------------------------

#: Settings of a rule's actions as the change table names them.
_TABLE_SETTING = {"decoupled": "optimizer", "exempt_embeddings": "exempt",
                  "inject_dropout": "dropout", "min_delta": "patience_epochs"}


def _finding_settings(finding: Finding) -> set[str]:
    actions = finding.actions
    names = set(actions.set.to_dict()) | set(actions.search) | set(actions.tune)
    names = {_TABLE_SETTING.get(n, n) for n in names}
    if "weight_decay" in names:
        names.add("optimizer")
    if "patience_epochs" in names:
        names.add("monitor")
    return names


def _level(value: Any, setting: str) -> float:
    """How much of a regularizer a table value holds (off, None and "none" count as 0)."""
    if setting == "dropout":
        return float((value or {}).get("p") or 0.0) if isinstance(value, dict) else float(
            value or 0.0)
    if setting == "patience_epochs":  # early stopping: shorter patience regularizes more
        return 0.0 if value is None else 1.0 / float(value)
    return float(value or 0.0) if fmt.is_number(value) or value is None else 0.0


def _against(finding: Finding, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows that moved a parameter against the direction the finding asks for."""
    actions = finding.actions
    wanted = {**{n: 1 for n in actions.increase}, **{n: -1 for n in actions.decrease}}
    out = []
    for r in rows:
        sign = wanted.get(r["setting"])
        if sign is None:
            continue
        delta = _level(r["after"], r["setting"]) - _level(r["before"], r["setting"])
        if delta * sign <= 0:
            out.append(r)
    return out


def _row_text(rows: list[dict[str, Any]], metric: str) -> str:
    return "; ".join(f"{fmt.setting_label(r['setting'])}: "
                     f"{fmt.setting_value(r['before'], r['setting'], metric)} → "
                     f"{fmt.setting_value(r['after'], r['setting'], metric)}" for r in rows)


def _findings(findings: list[Finding], change: Change,
              verification: dict[str, Any] | None, tuning: dict[str, Any] | None,
              metric: str) -> list[dict[str, Any]]:
    """Each finding with its effect and whether the recommended change carries it out.

    A finding is "in the recommendation" when the change table has a row of one of its settings
    and no row moves a setting against the direction the finding asks for (``increase`` /
    ``decrease`` in its actions): a rule that asks for more weight decay is not credited with a
    change that lowered it.
    """
    importances = (tuning or {}).get("importances") or {}
    out = []
    for f in findings:
        settings = _finding_settings(f)
        rows = [r for r in change.rows if r["setting"] in settings]
        against = _against(f, rows)
        parts = [p for p in change.parts if set(p.settings) & settings] if not against \
            else []
        applied = _row_text(rows, metric)
        shares = [f"{name} {fmt.pct(importances[name], 0)}" for name in sorted(settings)
                  if name in importances]
        if not settings:
            effect = ("Advice only: regadvisor cannot make this change for you, so its effect "
                      "was not measured.")
        elif change.decision == Decision.KEPT_YOURS_WORSE.value:
            effect = ("Tuned, but the best configuration measured worse than your setup, so "
                      "nothing changes.")
        elif against:
            effect = (f"Searched, but the best configuration went the other way "
                      f"({_row_text(against, metric)}): this advice is not part of the "
                      "recommendation.")
        elif not rows:
            effect = ("Tuned, but the best configuration leaves this as it was: not part of the "
                      "recommendation." if change.config else
                      "Not tuned: the run stopped before tuning finished.")
        elif verification is None:
            effect = (f"Part of the candidate ({applied}); not measured, because "
                      f"{change.unverified}.")
        elif change.kept_baseline:
            v = verification
            effect = (f"Tried, not adopted: {applied}. The whole change tried measured "
                      f"{v['diff_text']} of {v['split']} {v['metric_name']} (95 % interval "
                      f"{v['ci_text']}): no clear difference, so your setup stays"
                      + ("; it lowered the loss (a gain in loss only)."
                         if change.decision == Decision.LOSS_ONLY.value else "."))
        else:
            v = verification
            effect = (f"Applied: {applied}. The whole recommended change measured "
                      f"{v['diff_text']} of {v['split']} {v['metric_name']} (95 % interval "
                      f"{v['ci_text']}); this part alone was not measured.")
        if shares:
            effect += (" Importance in tuning: " + ", ".join(shares) + " of the objective's "
                       "variation (PED-ANOVA).")
        applied_here = bool(rows) and not against
        out.append({**to_plain(f), "effect": effect, "parts": parts, "applied": applied_here,
                    "badge": _badge(change) if applied_here else "advice"})
    return out


def _badge(change: Change) -> str:
    """What a finding carried out by the change is part of, by the decision."""
    if change.adopted:
        return "in the recommendation"
    if not change.verified:
        return "in the candidate"
    return "in the change tried"


# ---------------------------------------------------------------------------------------------
# Partial runs
# ---------------------------------------------------------------------------------------------

def _stopped(run: RunResult) -> str:
    """Why the run is partial, with the stages that finished."""
    error = (run.error or "the run did not finish").rstrip(".") + "."
    if "finished stages" in error.lower():
        return error
    done = [s for s in run.finished_stages if s != "report"]
    return error + " Finished stages: " + (", ".join(done) or "none") + "."


def _unverified(run: RunResult) -> str:
    """Why verification has not run: the run stopped before it, or it was a ``tune`` run,
    which stops after tuning."""
    if run.status == "complete" and run.settings.get("until") == "tune":
        return ("regadvisor tune does not verify (regadvisor advise with the same options on "
                "this folder does, and resumes its study)")
    return "the run stopped before verification"


def _missing(run: RunResult) -> dict[str, str]:
    """A sentence for each section whose stage left nothing in report.json."""
    why = "the run stopped before this stage (" + _stopped(run).rstrip(".") + ")."
    if run.status == "complete":  # a tune run: it asks for no more stages
        why = _unverified(run) + "."
    out = {}
    if run.diagnosis is None:
        out["diagnosis"] = "The diagnosis did not run: " + why
        out["recommendations"] = "No recommendations: the diagnosis did not run."
    if run.tuning is None:
        out["tuning"] = "Tuning did not run: " + why
    if run.verification is None:
        out["verification"] = "Verification did not run: " + why
        out["calibration"] = "Calibration was not measured: verification did not run."
        out["early-stopping"] = "Nothing to show: verification did not run."
    return out
