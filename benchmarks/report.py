"""Regenerate ``docs/benchmarks.md`` from ``benchmarks/results/*.json`` (no training).

    python benchmarks/report.py

Every number in the document comes from a result file written by a benchmark script; each table
names the machine, versions, date, load average and command of its run. The hand-written analysis
in ``benchmarks/analysis.md`` is appended as it is.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from benchmarks.cases import HALVES  # noqa: E402

RESULTS = HERE / "results"
DOC = HERE.parent / "docs" / "benchmarks.md"
ANALYSIS = HERE / "analysis.md"
#: Section 10 (the loss guard's threshold and temperature scaling): hand-written around the
#: tables of ``bench_loss_guard.py``, kept as it is.
LOSS_GUARD = HERE / "loss_guard.md"


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def f(v, fmt: str = ".1f", none: str = "–") -> str:
    if v is None or (isinstance(v, float) and not math.isfinite(v)):
        return none
    return format(v, fmt)


def ok(flag) -> str:
    return "–" if flag is None else ("**met**" if flag else "**missed**")


def provenance(r: dict) -> str:
    earlier = (r.get("variant") or {}).get("rescored")
    if earlier and earlier.get("machine"):
        # Tables scored again from the runs of an earlier output: the runs' provenance, and
        # the command that scored them.
        return (provenance({**r, **earlier, "variant": {}})
                + f"  \n*Scored again (no training) by:* `{r['command']}`")
    m = r["machine"]
    load = ""
    if r.get("load_start") is not None:
        load = (f"; load average (1/5/15 min) {'/'.join(map(str, r['load_start']))} at the start, "
                f"{'/'.join(map(str, r.get('load_end') or []))} at the end")
    secs = f"; took {r['seconds'] / 60:.1f} min" if r.get("seconds") else ""
    commit = ""
    if m.get("commit"):
        dirty = " + uncommitted changes" if m.get("package_dirty") else ""
        commit = f", commit {m['commit']}{dirty}"
    return (f"*{m['date']}{commit}, {m['processor']} × {m['cpu_count']} CPUs"
            f"{', ' + m['cuda'] if m.get('cuda') else ''}, Python {m['python']}, "
            f"torch {m['torch']}, Optuna {m['optuna']}, regadvisor {m['regadvisor']}{load}"
            f"{secs}.*  \n*Command:* `{r['command']}`")


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------


def engine_section(targets: list) -> str:
    out = ["## 1. Training engine speed", ""]
    files = sorted(RESULTS.glob("engine_threads*.json"))
    if not files:
        return "\n".join(out + ["Not run yet: `python benchmarks/bench_engine.py`.", ""])
    out.append("Per-epoch wall time (median over interleaved repeats; model building included) "
               "and the textbook loop's time divided by each loop's (higher is faster). "
               "*in-memory*: the bundled TensorDataset loaders; *transforms*: a Dataset that "
               "adds fresh noise to every sample on every access, so every loop goes through "
               "the DataLoader. *DataLoader path*: regadvisor with its device-resident fast "
               "path off; *trial loop*: regadvisor as tuning trials, noise-aware re-runs and "
               "unplotted verification seeds run it, without the eval-mode training figures "
               "(the *regadvisor* column measures them every epoch, as the diagnosis and the "
               "plotted runs do). *floor*: the least a loop can do with the same steps (held "
               "tensors, fused Adam, one validation pass per epoch, nothing else): no loop "
               "that trains and validates the same way gets past its speed-up. *CPU-time "
               "speed-up*: the same ratio on the process's CPU time (less disturbed by other "
               "jobs on a shared machine).")
    out.append("")
    for path in files:
        r = json.loads(path.read_text())
        rows = []
        for row in r["rows"]:
            ms = row["ms_per_epoch"]
            sp = row["speedup_vs_textbook"]
            rows.append([
                row["example"], row["case"], row["threads"],
                f(ms.get("textbook")),
                f"{f(ms.get('regadvisor'))} ({f(sp.get('regadvisor'), '.2f')}×)",
                f"{f(ms.get('regadvisor_dataloader_path'))} "
                f"({f(sp.get('regadvisor_dataloader_path'), '.2f')}×)"
                if "regadvisor_dataloader_path" in ms else "–",
                f"{f(ms.get('regadvisor_trial'))} "
                f"({f(sp.get('regadvisor_trial'), '.2f')}×)"
                if "regadvisor_trial" in ms else "–",
                f"{f(ms.get('floor'))} ({f(sp.get('floor'), '.2f')}×)"
                if "floor" in ms else "–",
                f"{f(ms.get('lightning'))} ({f(sp.get('lightning'), '.2f')}×)"
                if "lightning" in ms else "not installed",
                f(row.get("cpu_speedup_vs_textbook", {}).get("regadvisor"), ".2f") + "×",
                f"{row['repeats']} × {row['epochs_per_run']}",
            ])
        out.append(f"### {r['rows'][0]['threads']} thread(s)")
        out.append("")
        out.append(provenance(r) + (f"  \n*PyTorch Lightning:* {r['lightning']}"
                                    if r.get("lightning") else
                                    "  \n*PyTorch Lightning:* not installed"))
        out.append("")
        out.append(table(["example", "case", "threads", "textbook ms", "regadvisor ms",
                          "DataLoader path ms", "trial loop ms", "floor ms", "Lightning ms",
                          "regadvisor CPU-time speed-up", "repeats × epochs"], rows))
        out.append("")
        for row in r["rows"]:
            speedups = row["speedup_vs_textbook"]
            where = f"{row['example']}, {row['threads']} thread(s)"
            for key, label in (("regadvisor_trial", "trial loop"),
                               ("regadvisor", "with training figures")):
                if key not in speedups:
                    continue
                sp = speedups[key]
                if row["case"] == "in-memory":
                    targets.append((f"1. engine ≥ 2× textbook, in-memory, {where}, {label}",
                                    f"{sp:.2f}×", ok(sp >= 2.0)))
                else:
                    targets.append((f"1. DataLoader (transforms) overhead ≤ 5 %, {where}, "
                                    f"{label}", f"{1 / sp - 1:+.1%}", ok(1 / sp - 1 <= 0.05)))
    return "\n".join(out)


def search_section(targets: list) -> str:
    out = ["## 2. Search quality at equal compute", ""]
    r = load("search")
    if r is None:
        return "\n".join(out + ["Not run yet: `python benchmarks/bench_search.py`.", ""])
    out.append(
        f"{'Quick form' if r['quick'] else 'Full form'}: regadvisor with {r['n_trials']} trials "
        f"per study (its other settings at their defaults), study seeds {r['seeds']}; grid, "
        "random search and plain TPE get exactly the training epochs regadvisor spent on the "
        "same problem and seed (diagnosis and noise-aware re-runs included). The chosen "
        f"configuration of every study is retrained on seeds {r['retrain_seeds']} and scored on "
        "the clean test split: mean ± sd over studies × retrain seeds (sd between studies: the "
        "sd of the per-study means). *Epochs to 2 %*: median over studies of the epochs spent "
        "until the best-so-far validation figure came within 2 % of the study's own final best, "
        "and within 2, 1 and 0.5 % of a common reference (the median final best of all "
        "searches on the problem); – where most studies never got there. *Gain*: regadvisor "
        "minus the method on the test figure (sign: positive = regadvisor better), paired by "
        "study seed and retrain seed, with a 95 % t interval. Methods are described in "
        "`benchmarks/_search.py`.")
    out.append("")
    out.append(provenance(r))
    out.append("")
    for s in r["summaries"]:
        higher = s["direction"] == "maximize"
        metric = s["metric"]
        fmt = ".2%" if metric == "accuracy" else ".4f"
        rows = []
        scale, unit, g = (100, " pt", "+.2f") if metric == "accuracy" else (1, "", "+.4f")
        g_fmt = g
        for k, v in s["methods"].items():
            pr = s.get("paired_vs_regadvisor", {}).get(k)
            gain = (f"{pr['mean'] * scale:{g}}{unit} [{pr['ci'][0] * scale:{g}}, "
                    f"{pr['ci'][1] * scale:{g}}]" if pr and pr.get("ci") else "–")
            tol = v.get("epochs_to_reference_by_tolerance", {})
            rows.append([
                k, f"{f(v['test_mean'], fmt)} ± {f(v['test_sd'], fmt)}",
                f(v.get("test_sd_between_studies"), fmt), gain,
                f(statistics.fmean(v["total_epochs"]), ".0f"),
                f(statistics.fmean(v["trials"]), ".1f"),
                f(v.get("epochs_to_2pct_own_median"), ".0f"),
                " / ".join(f(tol.get(t), ".0f") for t in ("0.02", "0.01", "0.005"))
                if tol else "–",
                "; ".join(_params(p) for p in v["chosen"]) or "your setup",
            ])
        out.append(f"### {s['problem']} (test {metric}, "
                   f"{'higher' if higher else 'lower'} is better; validation reference "
                   f"{f(s['reference_val'], '.4f')})")
        out.append("")
        out.append(table(["method", f"test {metric}", "sd between studies",
                          "regadvisor's gain over it (paired, 95 % CI)", "epochs", "trials",
                          "epochs to 2 % of own best",
                          "epochs to 2 / 1 / 0.5 % of reference", "chosen (per study)"], rows))
        wr = s.get("regadvisor_without_reruns")
        if wr:
            gr = wr["paired_gain_of_reruns"]
            gain = (f"{gr['mean'] * scale:{g_fmt}}{unit} [{gr['ci'][0] * scale:{g_fmt}}, "
                    f"{gr['ci'][1] * scale:{g_fmt}}]" if gr.get("ci") else "–")
            out.append("")
            out.append(f"Without its noise-aware re-runs (its best single trial, retrained on the "
                       f"same seeds) regadvisor would score {f(wr['test_mean'], fmt)} ± "
                       f"{f(wr['test_sd'], fmt)}; it chose the same configuration in "
                       f"{wr['same_choice']} of {wr['studies']} studies; the re-runs cost "
                       f"{', '.join(str(e) for e in wr['epochs_saved'])} epochs and changed the "
                       f"test figure by {gain} (paired, positive = re-runs better).")
        out.append("")
        t = s["target"]
        for k, met in t["at_least_as_good_as"].items():
            ra = s["methods"]["regadvisor"]["test_mean"]
            other = s["methods"][k]["test_mean"]
            pr = s.get("paired_vs_regadvisor", {}).get(k) or {}
            note = ""
            if pr.get("ci"):
                verdict = ("better" if pr.get("better") else "worse" if pr.get("worse")
                           else "no clear difference")
                lo, hi = pr["ci"][0] * scale, pr["ci"][1] * scale
                note = (f"; paired gain {pr['mean'] * scale:{g}}{unit} [{lo:{g}}, {hi:{g}}]: "
                        f"{verdict}")
            targets.append((f"2. {s['problem']}: regadvisor's choice at least as good as {k}",
                            f"{f(ra, fmt)} vs {f(other, fmt)}{note}", ok(met)))
        ra_e = s["methods"]["regadvisor"].get("epochs_to_2pct_own_median")
        rn_e = s["methods"].get("random", {}).get("epochs_to_2pct_own_median")
        targets.append((f"2. {s['problem']}: ≤ half random search's epochs to 2 % of own best",
                        f"{f(ra_e, '.0f')} vs {f(rn_e, '.0f')}",
                        ok(t["half_the_epochs_of_random_own"])))
        ra_e = s["methods"]["regadvisor"].get("epochs_to_2pct_reference_median")
        rn_e = s["methods"].get("random", {}).get("epochs_to_2pct_reference_median")
        targets.append((f"2. {s['problem']}: ≤ half random search's epochs to 2 % of the "
                        "common reference", f"{f(ra_e, '.0f')} vs {f(rn_e, '.0f')}",
                        ok(t["half_the_epochs_of_random_reference"])))
    return "\n".join(out)


def _params(p: dict) -> str:
    short = {"weight_decay": "λ", "dropout": "p", "patience_epochs": "pat",
             "label_smoothing": "ε", "l1": "l1"}
    return ", ".join(f"{short.get(k, k)} {v:.2g}" if isinstance(v, float) else
                     f"{short.get(k, k)} {v}" for k, v in p.items())


def _gain(p: dict | None, accuracy: bool) -> str:
    """A paired difference with its interval, in points for accuracy."""
    if not p or not p.get("ci"):
        return "–"
    scale, unit, g = (100, " pt", "+.2f") if accuracy else (1, "", "+.4f")
    return f"{p['mean'] * scale:{g}}{unit} [{p['ci'][0] * scale:{g}}, {p['ci'][1] * scale:{g}}]"


def pruners_section() -> str:
    out = ["## 3. Pruner choice", ""]
    r = load("pruners")
    if r is None:
        return "\n".join(out + ["Not run yet: `python benchmarks/bench_pruners.py`.", ""])
    out.append(
        f"{'Quick form: ' if r['quick'] else ''}regadvisor's tuning ({r['n_trials']} "
        f"trials, study seeds {r['seeds']}) with each pruner; the chosen configuration "
        f"retrained on seeds {r['retrain_seeds']} and scored on the clean test split (mean ± sd "
        "over studies × seeds). *hyperband*: regadvisor's default, `min_resource=5, "
        "reduction_factor=3`; *median*: 5 start-up trials, 10-epoch warm-up (the earlier "
        "default); *median_no_warmup*: Optuna's `MedianPruner()` defaults; *patient*: "
        "`PatientPruner(median, patience=5)`.")
    out.append("")
    out.append(provenance(r))
    out.append("")
    for s in r["summaries"]:
        fmt = ".2%" if s["metric"] == "accuracy" else ".4f"
        rows = [[k, f"{f(v['test_mean'], fmt)} ± {f(v['test_sd'], fmt)}",
                 " / ".join(f(x, fmt) for x in v["test_per_study"]),
                 _gain(v.get("paired_gain_vs_default"), s["metric"] == "accuracy"),
                 f(v["trial_epochs_mean"], ".0f"), f(v["total_epochs_mean"], ".0f"),
                 f"{v['pruned_share']:.0%}"]
                for k, v in s["pruners"].items()]
        out.append(f"### {s['problem']} (test {s['metric']})")
        out.append("")
        out.append(table(["pruner", f"test {s['metric']}", "per study",
                          "gain over hyperband (paired, 95 % CI; positive = better)",
                          "trial epochs", "all epochs", "trials pruned"], rows))
        out.append("")
    return "\n".join(out)


def fidelity_section() -> str:
    out = ["## 3b. Lower fidelity: which early look ranks trials as their full runs do", ""]
    r = load("fidelity_calibration")
    if r is None:
        return "\n".join(out + ["Not run yet: `python benchmarks/bench_fidelity.py`.", ""])
    a = r["analysis"]
    out.append(
        f"regadvisor's own studies on the {r['half']} half of the case suite, never pruned: "
        f"{len(r['studies'])} studies ({r['trials']} trials each, study seeds {r['seeds']}), "
        "every epoch's validation figure kept. *Rank correlation*: Spearman, per study, "
        "between each trial's best figure up to a share of the user's epochs and its result "
        f"at full length. *Replay*: the first {a['replayed_trials']} trials of each study (the "
        "default study size) fed epoch by epoch, in the study's order, to each pruner (an "
        "in-memory Optuna study with it); the epochs it lets train (share of the unpruned "
        "study's), and the trial it would pick against the best of all (regret: relative to "
        "the validation error, 1 − accuracy or the loss). The sampler's reaction to a pruned "
        "trial is not replayed. *checked*: `CheckedHalvingPruner` (successive halving, half "
        "kept, pruning at a rung only once n finished trials show a rank correlation of at "
        "least rho there); the default is `checked r=1/6 n=4 rho=0.5`. Hyperband's brackets "
        "depend on the study's name, which is random here: its rows move between runs.")
    out.append("")
    out.append(provenance(r))
    out.append("")
    rows = [[f"{float(k):.3f}", f"{v['mean']:+.2f}", f"{v['min']:+.2f}", str(v["studies"])]
            for k, v in a["mean_correlation"].items()]
    out.append(table(["share of the epochs", "mean rank correlation", "lowest", "studies"],
                     rows))
    out.append("")
    rows = [[k, f"{v['epochs_share']:.1%}", f"{v['mean_regret']:+.2%}",
             f"{v['worst_regret']:+.2%}", f"{v['found_best']}/{v['studies']}"]
            for k, v in sorted(a["summary"].items(), key=lambda kv: kv[1]["epochs_share"])]
    out.append(table(["pruner", "epochs (share of unpruned)", "mean regret", "worst regret",
                      "kept the best trial"], rows))
    out.append("")
    return "\n".join(out)


def _opening(title: str, name: str, intro: str) -> tuple[list[str], dict | None]:
    """A section's heading, and its result with the intro and provenance lines (or a line
    saying which script to run when there is none)."""
    r = load(name)
    if r is None:
        return [title, "", f"Not run yet: `python benchmarks/bench_{name}.py`.", ""], None
    return [title, "", intro, "", provenance(r), ""], r


def startup_section() -> str:
    out, r = _opening("## 6d. Start-up", "startup",
                      "`python -m regadvisor ...` in fresh processes, interleaved; the command "
                      "line imports torch, Optuna and matplotlib only in the commands that need "
                      "them.")
    if r is None:
        return "\n".join(out)
    rows = [[f"`regadvisor {k}`", f"{v['median_seconds']:.2f} s", f"{v['max_seconds']:.2f} s"]
            for k, v in r["summary"].items()]
    out.append(table(["command", "median", "slowest"], rows))
    out.append("")
    out.append("Heavy libraries imported by `import regadvisor.cli`: "
               + (", ".join(r["heavy_imports"]) or "none") + ".")
    out.append("")
    return "\n".join(out)


def diagnosis_section(targets: list) -> str:
    out = ["## 4. Diagnosis on the case suite", ""]
    r = load("diagnosis")
    if r is None:
        return "\n".join(out + ["Not run yet: `python benchmarks/bench_diagnosis.py`.", ""])
    out.append(
        "`regadvisor diagnose` on every case of `benchmarks/cases` against the verdict and the "
        "findings written in `benchmarks/cases/cases.yaml` before any threshold was set. The "
        "thresholds were calibrated on the calibration half only; the held-out half is "
        "measured apart. Two held-out cases (wine_mlp_good, digits_cnn_noisy) led to rule changes "
        "after they failed, so they no longer count as held-out evidence; the fresh half was "
        "written and labelled after that, before any diagnosis of it. Two fresh cases then led "
        "to changes (fresh_moons_noisy: the diagnosis trains on while the gap still opens; "
        "fresh_bc_mlp_adam_l2: stronger-weight-decay leaves Adam's L2 to adam-l2-to-adamw), "
        "and the blind half was written and labelled before those changes were run on it; it "
        "led to one more (the noisy-label overfitting clause, from its late memorizer at "
        "other seeds), and the second blind half, labelled at seeds 0-2, to one more "
        "(weight-decay-above-range at exactly ten times the range) and one known blind spot "
        "(a capacity-limited linear model, `benchmarks/analysis.md`) "
        "(`benchmarks/cases/README.md`). *Epochs*: what the verdict rests on, of the user's "
        "own epoch count (the short run is 20 %; the diagnosis trains on while the verdict is "
        "undecided).")
    out.append("")
    out.append(provenance(r))
    out.append("")
    for half in HALVES:
        rows = [x for x in r["rows"] if x["half"] == half]
        if not rows:
            continue
        out.append(f"### {half.replace('_', '-')} half")
        out.append("")
        out.append(table(
            ["case", "expected verdict", "verdict", "expected findings", "findings",
             "epochs / user's", "seconds"],
            [[x["case"], x["expected_verdict"],
              f"{x['verdict']} {'✓' if x['verdict_ok'] else '✗'}",
              ", ".join(x["expected_findings"]) or "–",
              f"{', '.join(x['findings'][:4]) or '–'} {'✓' if x['findings_ok'] else '✗'}",
              f"{x['epochs']} / {x['user_epochs']}", f(x["seconds"])] for x in rows]))
        s = r["summary"][half]
        out.append("")
        out.append(f"Verdicts right: {s['verdicts_right']} of {s['cases']}; expected findings "
                   f"all present: {s['findings_right']} of {s['cases']}; settled in the short "
                   f"run: {s['settled_in_short_run']} of {s['cases']}; "
                   f"{s['diagnostic_epochs']} of {s['full_run_epochs']} epochs trained.")
        out.append("")
        targets.append((f"4. diagnosis verdicts right ({half.replace('_', '-')})",
                        f"{s['verdicts_right']}/{s['cases']}",
                        ok(s["verdicts_right"] == s["cases"])))
        targets.append((f"4. diagnosis findings right ({half.replace('_', '-')})",
                        f"{s['findings_right']}/{s['cases']}",
                        ok(s["findings_right"] == s["cases"])))
    out += _seed_robustness(targets)
    return "\n".join(out)


def _seed_robustness(targets: list) -> list[str]:
    """The same cases diagnosed at other training seeds (``--seeds 0 1 2``)."""
    r = load("diagnosis_seeds")
    if r is None:
        return []
    seeds = ", ".join(map(str, r.get("seeds") or []))
    out = ["### Other training seeds", "",
           f"The user's training is itself random. `python benchmarks/bench_diagnosis.py "
           f"--seeds {' '.join(map(str, r.get('seeds') or []))}` diagnoses every case at "
           f"training seeds {seeds} (the labels were written from seed 0's full run).", "",
           provenance(r), ""]
    rows = []
    for half in HALVES:
        s = r["summary"].get(half)
        if not s:
            continue
        misses = [f"{x['case']} (seed {x['seed']}: {x['verdict']}"
                  f"{'' if x['findings_ok'] else ', findings'})"
                  for x in r["rows"] if x["half"] == half
                  and not (x["verdict_ok"] and x["findings_ok"])]
        rows.append([half.replace("_", "-"), f"{s['verdicts_right']}/{s['cases']}",
                     f"{s['findings_right']}/{s['cases']}", "; ".join(misses) or "–"])
        targets.append((f"4. diagnosis verdicts right over seeds ({half.replace('_', '-')})",
                        f"{s['verdicts_right']}/{s['cases']}",
                        ok(s["verdicts_right"] == s["cases"])))
    out += [table(["half", "verdicts right", "findings right", "wrong at"], rows), ""]
    return out


def _case_table(rows: list[dict]) -> str:
    from benchmarks.bench_cases import table as case_table  # imports torch: only when needed

    return "\n".join(case_table(rows))


def cases_section(targets: list) -> str:
    out = ["## 8. The case suite: regadvisor against the plain Optuna user", ""]
    r = load("cases")
    if r is None:
        return "\n".join(out + ["Not run yet: `python benchmarks/bench_cases.py`.", ""])
    out.append(
        "Every case of `benchmarks/cases` (`benchmarks/cases/README.md` names the split, fixed "
        "before any default was tuned), each method in the same harness: the user's setup as it "
        "is; `regadvisor advise` with its defaults; the plain Optuna user (TPE, 40 trials at "
        "full length over AdamW λ 1e-6…1e-1 log, dropout 0…0.6 before hidden linear layers, "
        "patience 3…30 on the validation loss with the best weights restored); random search "
        "over the same space. Each method's choice is retrained on the 3 seeds of "
        "regadvisor's verification and scored on the same test split. Cells: the test metric "
        "(accuracy in %, or test MSE) of the user's setup, and each method's paired difference "
        "from it with its 95 % interval (positive = better for accuracy, negative = better for "
        "a loss; ▲ measurably better, ▼ measurably worse). *Its verification*: what "
        "regadvisor's own report said. *Epochs*: all training the method did (regadvisor: "
        "diagnosis, trials, winner re-runs and verification).")
    out.append("")
    out.append(provenance(r))
    out.append("")
    for half in ("held_out", "calibration"):
        out += _half_block(r, half, targets)
    unseen = load("cases_unseen")
    if unseen is not None:
        out += ["### The fresh and blind halves (written after every default was chosen)", "",
                "The same harness on the sixteen cases written for the diagnosis "
                "(`benchmarks/cases/README.md`). No tuning default was ever measured on them; "
                "the blind half had not been diagnosed either when it was labelled.", "",
                provenance(unseen), ""]
        for half in ("fresh", "blind"):
            out += _half_block(unseen, half, targets)
    out.append(budget_runs(r, unseen, targets))
    out.append(calibration_runs())
    return "\n".join(out)


def budget_runs(default: dict, unseen: dict | None, targets: list) -> str:
    """The held-out and fresh halves at ``--budget 5x`` and ``10x`` beside the defaults
    (``benchmarks/results/cases_budget*.json``)."""
    runs = {(half, b): load(f"cases_budget{b}_{'held' if half == 'held_out' else half}")
            for half in ("held_out", "fresh") for b in ("10x", "5x")}
    if not any(runs.values()):
        return ""
    out = ["### A cost the user sets: the suite at `--budget 10x` and `--budget 5x`", "",
           "The same harness, `--set budget=10x` (or `5x`), one case at a time (`--jobs 1`, so "
           "that the diagnosis times an epoch as the later runs train it). *x* counts full "
           "trainings of the user's setup at the diagnosis' timing; a case the budget cannot "
           "cover is refused after its diagnosis, and the user keeps the setup (what is "
           "scored). *Within budget*: the run's wall time from its start to its record, at "
           "most the budget + 10 %.", ""]
    rows = []
    for half in ("held_out", "fresh"):
        base = default if half == "held_out" else unseen
        for b in ("defaults", "10x", "5x"):
            r = base if b == "defaults" else runs[(half, b)]
            if r is None or not r["summary"].get(half):
                continue
            s = r["summary"][half]
            mine = [x for x in r["results"] if x["method"] == "regadvisor"
                    and x["case"] in {y["case"] for y in r["rows"] if y["half"] == half}]
            refused = sum(1 for x in mine if x.get("verdict") == "refused"
                          and "--budget" in (x.get("refused") or ""))
            budgeted = [x for x in mine if x.get("budget_seconds")]
            within = sum(1 for x in budgeted if x.get("within_budget"))
            verified = (s.get("regadvisor_vs_optuna") or {}).get("verified_improves") or []
            rows.append([_TITLES[half].split(" (")[0], b,
                         f"{s['regadvisor']['mean_relative_gain']:+.1%}",
                         str(len(verified)), str(s["regadvisor"]["epochs"]),
                         f"{s['optuna']['mean_relative_gain']:+.1%}", str(s["optuna"]["epochs"]),
                         str(refused) if b != "defaults" else "–",
                         f"{within} of {len(budgeted)}" if b != "defaults" else "–"])
            if b != "defaults":
                name = half.replace("_", "-")
                targets.append((f"8. {name} at --budget {b}: advice on every case (no refusal "
                                "for the budget)", f"{refused} refused", ok(refused == 0)))
                if budgeted:
                    targets.append((f"8. {name} at --budget {b}: every run within its budget "
                                    "+ 10 %", f"{within} of {len(budgeted)}",
                                    ok(within == len(budgeted))))
    out.append(table(["half", "budget", "mean relative error reduction",
                      "its verification said \"improves\"",
                      "epochs in all", "Optuna user", "Optuna epochs",
                      "refused (budget too small)", "within budget + 10 %"], rows))
    out.append("")
    return "\n".join(out)


_TITLES = {"held_out": "Held-out half (never used to choose a default)",
           "calibration": "Calibration half (defaults chosen here)",
           "fresh": "Fresh half", "blind": "Blind half"}


def _half_block(r: dict, half: str, targets: list) -> list[str]:
    """One half's table, its summary against the peers, and (outside calibration) targets."""
    rows = [x for x in r["rows"] if x["half"] == half]
    s = r["summary"].get(half)
    if not rows or not s:
        return []
    out = [f"#### {_TITLES[half]}" if half in ("fresh", "blind") else f"### {_TITLES[half]}",
           "", _case_table(rows), ""]
    summary = []
    for m in ("regadvisor", "optuna", "random"):
        if m in s:
            x = s[m]
            summary.append([m, f(x["mean_relative_gain"] * 100, "+.1f") + " %",
                            f(x["mean_gain_points"], "+.2f"), str(x["improves"]),
                            str(x["worse"]), str(x["epochs"])])
    out.append(table(["method", "mean relative error reduction", "mean gain (accuracy "
                      "points)", "measurably better than the user", "measurably worse",
                      "epochs in all"], summary))
    vs = s.get("regadvisor_vs_optuna", {})
    out.append("")
    out.append(f"regadvisor measurably worse than the Optuna user on: "
               f"{', '.join(vs.get('significantly_worse') or []) or 'no case'}; measurably "
               f"better on: {', '.join(vs.get('significantly_better') or []) or 'no case'}. "
               f"Where the Optuna user's choice measurably improves on the user's setup, "
               f"regadvisor's verification did not say so on: "
               f"{', '.join(vs.get('missed_improvements') or []) or 'no case'}. "
               + (f"regadvisor's verification said \"improves\" on "
                  f"{len(vs['verified_improves'])} of {s['cases']} cases; of those, the Optuna "
                  f"user's choice was measurably better on: "
                  f"{', '.join(vs['improves_where_optuna_better']) or 'no case'}. "
                  if "verified_improves" in vs else "")
               + f"Recommendations measurably worse than the user's setup: "
               f"{', '.join(s.get('worse_than_user') or []) or 'none'}. A test loss above "
               f"1.5× the user's on a seed, or an ECE worse by more than 0.05, that the "
               f"verdict box does not mention: "
               f"{'; '.join(s.get('unflagged') or []) or 'none'}.")
    out.append("")
    if half != "calibration" and "regadvisor" in s and "optuna" in s:
        ra, op = s["regadvisor"], s["optuna"]
        name = half.replace("_", "-")
        targets += [
            (f"8. {name}: mean gain ≥ the Optuna user's",
             f"{ra['mean_relative_gain']:+.1%} vs {op['mean_relative_gain']:+.1%}",
             ok(ra["mean_relative_gain"] >= op["mean_relative_gain"])),
            (f"8. {name}: never measurably worse than the Optuna user",
             f"{len(vs.get('significantly_worse') or [])} cases",
             ok(not vs.get("significantly_worse"))),
            (f"8. {name}: verification says improves wherever the peer measurably does",
             f"{len(vs.get('missed_improvements') or [])} missed",
             ok(not vs.get("missed_improvements"))),
            (f"8. {name}: no \"improves\" where the Optuna user's choice is measurably "
             "better",
             f"{len(vs.get('improves_where_optuna_better') or [])} cases",
             ok(not vs.get("improves_where_optuna_better"))),
            (f"8. {name}: at most the peer's epochs in all",
             f"{ra['epochs']} vs {op['epochs']}", ok(ra["epochs"] <= op["epochs"])),
            (f"8. {name}: at most half the peer's epochs in all",
             f"{ra['epochs'] / op['epochs']:.2f}×", ok(2 * ra["epochs"] <= op["epochs"])),
            (f"8. {name}: no recommendation measurably worse than the user's setup",
             f"{len(s.get('worse_than_user') or [])} cases",
             ok(not s.get("worse_than_user"))),
            (f"8. {name}: no loss blow-up or worse calibration left unflagged",
             f"{len(s.get('unflagged') or [])} cases", ok(not s.get("unflagged")))]
    return out


def calibration_runs() -> str:
    """One row per variant tried on the calibration half (``benchmarks/results/calib``)."""
    files = sorted((RESULTS / "calib").glob("*.json"))
    if not files:
        return ""
    out = ["### Defaults tried on the calibration half", "",
           "Each row: `bench_cases.py --half calibration --methods regadvisor --reuse "
           "<peers> --set ...` with one setting changed (the peers' results are shared). "
           "Mean relative error reduction over the user's setup, epochs in all, and the two "
           "cases where the variants differ most.", ""]
    rows = []
    for path in files:
        r = json.loads(path.read_text())
        s = r["summary"]["calibration"]
        by = {x["case"]: x["methods"]["regadvisor"] for x in r["rows"]}

        def cell(case, by=by):
            x = by.get(case)
            if x is None:
                return "–"
            return f"{x['mean'] * 100:.1f} % ({x['vs_baseline']['verdict']})"

        setting = ", ".join(f"{k}={v}" for k, v in _flat(r.get("variant") or {}).items())
        rows.append([path.stem, setting or "(the defaults then)",
                     f"{s['regadvisor']['mean_relative_gain']:+.1%}",
                     str(s["regadvisor"]["epochs"]), cell("mnist1d_mlp"),
                     cell("tokens_transformer"), r["machine"].get("commit") or "–"])
    out.append(table(["run", "setting", "mean relative error reduction", "epochs",
                      "mnist1d_mlp", "tokens_transformer", "commit"], rows))
    out.append("")
    return "\n".join(out)


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[f"{prefix}{k}"] = v
    return out


def workers_section(targets: list) -> str:
    out = ["## 5. Workers", ""]
    r = load("workers")
    if r is None:
        return "\n".join(out + ["Not run yet: `python benchmarks/bench_workers.py`.", ""])
    out.append(
        f"`regadvisor tune {r['experiment']} --workers N --n-trials {r['n_trials']} --pruner "
        f"none --storage URL`, {r['repeats']} interleaved repeat(s), medians. Trial phase: "
        "first trial start to last trial end as the study recorded them; *command*: the whole "
        "command (diagnosis and the single-process noise-aware re-runs included).")
    out.append("")
    out.append(provenance(r))
    out.append("")
    rows = []
    for row in r["rows"]:
        for a in row["arms"].values():
            rows.append([row["storage"], a["workers"], a["threads"],
                         f(a["trials_per_minute"]), f(a["epochs_per_minute"], ".0f"),
                         f(a.get("ms_per_epoch_in_trials")),
                         f(a.get("utilization"), ".0%") if a.get("utilization") else "–",
                         f(a["trial_phase_seconds"]), f(a["command_seconds"]), a["runs"]])
    out.append(table(["storage", "workers", "threads each", "trials / min", "epochs / min",
                      "ms / epoch in a trial", "utilization", "trial phase s", "command s",
                      "runs"], rows))
    out.append("")
    for row in r["rows"]:
        if "speedup_trials" in row:
            out.append(f"- {row['storage']}: 2 workers give {row['speedup_trials']:.2f}× the "
                       f"trials per minute and {row['speedup_epochs']:.2f}× the epochs per "
                       "minute of 1 worker.")
            targets.append((f"5. 2 workers ≥ 1.7× trials/min ({row['storage']})",
                            f"{row['speedup_trials']:.2f}× (epochs/min "
                            f"{row['speedup_epochs']:.2f}×)", ok(row["target_met"])))
    if not any(row["storage"] == "postgresql" for row in r["rows"]):
        out.append("- PostgreSQL: not measured in this run (REGADVISOR_TEST_POSTGRES_URL unset).")
    out.append("")
    return "\n".join(out)


def end_to_end_section(targets: list) -> str:
    out = ["## 6. End to end", ""]
    r = load("end_to_end")
    if r is None:
        return "\n".join(out + ["Not run yet: `python benchmarks/bench_end_to_end.py`.", ""])
    out.append("`regadvisor advise EXAMPLE --output DIR --quiet` with default settings; "
               "stage times from the run's report.json, wall time of the whole command.")
    out.append("")
    out.append(provenance(r))
    out.append("")
    rows = []
    for row in r["rows"]:
        st = row["stages"]
        rows.append([row["example"], row.get("threads", "default"),
                     f(row["wall_seconds"]), f(st.get("diagnose")),
                     f(st.get("tune")), f(st.get("verify")), f(st.get("report")),
                     row.get("verdict") or "–", (row.get("verification") or "–")])
        if "target_seconds" in row:
            targets.append((f"6. advise {row['example']} < {row['target_seconds']:.0f} s "
                            "(default threads)",
                            f"{row['wall_seconds']:.0f} s", ok(row["target_met"])))
    out.append(table(["example", "torch threads", "wall s", "diagnose s", "tune s", "verify s",
                      "report s",
                      "verdict", "verification"], rows))
    out.append("")
    return "\n".join(out)


def load_section(targets: list) -> str:
    out = ["## 6b. On a busy machine", ""]
    r = load("load")
    if r is None:
        return "\n".join(out + ["Not run yet: `python benchmarks/bench_load.py`.", ""])
    out.append(f"`regadvisor advise {r['example']} --output DIR --quiet` on a quiet machine and "
               f"under {r['hogs']} busy processes (pure-Python spin loops started before the run), "
               "with torch's default threads (one per core) and with one thread; interleaved. "
               "This measurement set regadvisor's default of one intra-op thread per process "
               "(`--threads` or `OMP_NUM_THREADS` to change it).")
    out.append("")
    out.append(provenance(r))
    out.append("")
    def label(threads: object) -> str:
        return "one per core" if str(threads) == "default" else str(threads)

    rows = [[label(x["threads"]), x["hogs"], f(x["wall_seconds"]),
             f"{x['load_before'][0]:.2f} → {x['load_after'][0]:.2f}"] for x in r["runs"]]
    out.append(table(["torch threads", "busy processes", "wall s", "load average"], rows))
    out.append("")
    for threads, s in r["summary"].items():
        targets.append((f"15. advise {r['example']} under {r['hogs']} busy processes ≤ 3× quiet "
                        f"(threads: {label(threads)})",
                        f"{s['ratio']:.2f}× ({f(s['loaded_seconds'])} / {f(s['quiet_seconds'])} s)",
                        ok(s["within_target"])))
    return "\n".join(out)


def budget_section(targets: list) -> str:
    out = ["## 6c. A cost the user sets", ""]
    runs = [r for r in (load("budget"), load("budget_5x")) if r is not None]
    if not runs:
        return "\n".join(out + ["Not run yet: `python benchmarks/bench_budget.py`.", ""])
    out.append("`python benchmarks/bench_budget.py --budget B [--out NAME]`: the real command "
               "on an experiment whose full training takes 20 to 30 s here. The plans it "
               "printed:")
    out.append("")
    for r in runs:
        plan = r.get("plan") or {}
        said = f"refused: {r['refused']}" if r.get("refused") else plan.get("text", "–")
        out.append(f"> `{r['command']}`: {said}")
        out.append("")
    for r in runs:
        out.append(provenance(r))
        out.append("")
    out.append(table(["budget", "budget s", "wall s", "trials", "stage s", "verification"],
                     [[r["budget"], f((r.get("plan") or {}).get("total_seconds")),
                       f(r["wall_seconds"]), r["trials"],
                       ", ".join(f"{k} {v:.0f}" for k, v in r["stages"].items()),
                       r.get("verification") or "–"] for r in runs]))
    out.append("")
    for r in runs:
        plan = r.get("plan") or {}
        if r.get("refused"):  # no plan ran: a refusal after the diagnosis, nothing to hold
            targets.append((f"15. advise --budget {r['budget']} ends within it + 10 %",
                            f"refused after {r['wall_seconds']:.0f} s (the diagnosis): the "
                            "smallest plan needs more", "–"))
            continue
        within = r.get("within_budget_plus_10_percent",
                       r["wall_seconds"] <= 1.1 * plan.get("total_seconds", 0.0))
        targets.append((f"15. advise --budget {r['budget']} ends within it + 10 %",
                        f"{r['wall_seconds']:.0f} s of {plan.get('total_seconds', 0):.0f} s",
                        ok(within)))
    return "\n".join(out)


def verdict_section(targets: list) -> str:
    """Sequential verification: A/A false verdicts, and the power on MNIST-1D."""
    out = ["## 9. The verdict's error rates", ""]
    r, adv = load("verdict"), load("verdict_advise")
    if r is None and adv is None:
        return "\n".join(out + ["Not run yet: `python benchmarks/bench_verdict.py`.", ""])
    out.append(
        "Verification starts with `--seeds` (3) and adds one seed of both arms at a time, up to "
        "`--max-seeds` (10), while its interval straddles zero, cannot rule out a gain that "
        "matters (1 accuracy point; 2 % of the loss) and could still show an improvement by "
        "the cap (the futility stop: at the difference measured so far, a chance of at least "
        "10 % that the cap's interval says \"improves\"). Each look's interval is taken at "
        "Pocock-type nominal errors so that all looks together err in at most 5 % of runs, "
        "split 4 % for a false \"improves\" (the verdict that changes the user's setup) and "
        "1 % for a false \"worse\" (one-sided Pocock levels at each look from 3 to 10 "
        "seeds); the held-out set's sampling noise is taken from the samples × seeds table "
        "less the seed-to-seed part the seeds' term already holds "
        "(`regadvisor/verification/sequential.py`, `comparison.held_out_noise`). Beside it, "
        "the procedures it was chosen over: the even 2.5 %/2.5 % split, the even split with "
        "the held-out noise from the seed-averaged differences (the procedure before), "
        "O'Brien-Fleming's boundary, one look at 3 seeds, and a plain 95 % interval after "
        "every seed. "
        "*A/A*: the user's setup against itself on independent seeds (the null changes one "
        "arm's seeds; shared seeds make every difference zero), replayed from a pool of "
        "trained runs per case; any \"improves\" or \"worse\" is false. *Power*: the real "
        "`regadvisor advise` on MNIST-1D at five seeds, one at a time, one thread.")
    out.append("")
    if r is not None:
        a = r["aa"]
        out.append(provenance(r))
        out.append("")
        rows = []
        for case, c in a["cases"].items():
            rates = c["rates"]
            rows.append([case, c["metric"], f"{rates['pocock']['rate']:.1%}",
                         f"{rates['pocock']['improves']} / {rates['pocock']['worse']}",
                         f(rates["pocock"]["mean_seeds"]),
                         f"{rates['pocock_even']['rate']:.1%}",
                         f"{rates['pocock_even_averaged']['rate']:.1%}",
                         f"{rates['obrien-fleming']['rate']:.1%}",
                         f"{rates['fixed_3']['rate']:.1%}",
                         f"{rates['naive_repeated_95']['rate']:.1%}",
                         f(c["epochs_per_run"], ".0f")])
        o = a["overall"]
        rows.append(["**all**", "", f"**{o['pocock']:.1%}**",
                     f"{o['pocock_improves']:.1%} / {o['pocock_worse']:.1%}", "",
                     f"{o['pocock_even']:.1%}", f"{o['pocock_even_averaged']:.1%}",
                     f"{o['obrien-fleming']:.1%}", f"{o['fixed_3']:.1%}",
                     f"{o['naive_repeated_95']:.1%}", ""])
        out.append(f"A/A: {a['pool']} runs of the user's setup per case, "
                   f"{a['draws_per_case']} A/A draws per case ({o['runs']} in all; "
                   f"{o['disjoint']['runs']} fully disjoint ones: {o['disjoint']['false']} "
                   "false).")
        out.append("")
        out.append(table(["case", "metric", "false verdicts (Pocock, 4 %/1 %)",
                          "false improves / worse", "mean seeds", "even split",
                          "even split, seed-averaged held-out noise", "O'Brien-Fleming",
                          "one look at 3 seeds",
                          "a 95 % interval after every seed", "epochs per run"], rows))
        out.append("")
        targets.append(("9. A/A: \"improves\" or \"worse\" in at most 5 % of runs",
                        f"{o['pocock']:.1%} of {o['runs']}", ok(o["pocock"] <= 0.05)))
        pw = r.get("power")
        if pw:
            cand = pw.get("candidate") or {}
            what = (f"the recommendation `advise --seed 2` finds (AdamW, λ "
                    f"{cand.get('weight_decay', 0):.3g}, dropout {cand.get('dropout', 0):.2f}, "
                    f"label smoothing {cand.get('label_smoothing', 0):.2f}, patience "
                    f"{cand.get('patience_epochs')})" if cand
                    else f"AdamW with weight decay {pw.get('weight_decay', 0):g}")
            out.append(f"MNIST-1D replay: the user's setup against {what} "
                       f"on {pw['pool']} shared seeds (per-seed "
                       f"differences in points: {', '.join(map(str, pw['diffs_points']))}), "
                       f"{pw['draws']} random seed orders:")
            out.append("")
            out.append(table(["procedure", "improves", "mean seeds", "mean epochs (both arms)"],
                             [[name, f"{b['power']:.1%}", f(b["mean_seeds"]),
                               f(b["mean_epochs"], ".0f")]
                              for name, b in pw["boundaries"].items()]))
            out.append("")
    if adv is not None:
        out.append(provenance(adv))
        out.append("")
        out.append(table(
            ["--seed", "verdict", "your setup", "recommendation", "per-seed differences (points)",
             "interval (points)", "seeds", "stop", "epochs: diagnose / trials / re-runs / "
             "verify (added)", "seconds", "load at start"],
            [[x["seed"], x["verdict"], f"{x['before']:.1%}", f"{x['after']:.1%}",
              ", ".join(f"{d:+.1f}" for d in x["diffs_points"]),
              f"[{x['ci_points'][0]:+.2f}, {x['ci_points'][1]:+.2f}]", x["seeds"], x["stop"],
              f"{x['epochs']['diagnose']} / {x['epochs']['trials']} / {x['epochs']['reruns']} / "
              f"{x['epochs']['verify']} ({x['epochs']['verify_added']})", f(x["seconds"], ".0f"),
              "/".join(map(str, x["load_start"]))] for x in adv["runs"]]))
        out.append("")
        n = len(adv["runs"])
        targets.append(("9. MNIST-1D advise --seed 0..4: \"improves\" in at least 4 of 5",
                        f"{adv['improves']}/{n}", ok(adv["improves"] >= 4 and n == 5)))
    out.append(futility_block())
    out.append(futility_from_block())
    out.append(reuse_block(targets))
    return "\n".join(out)


def sweep_section(name: str, title: str, intro: str) -> tuple[dict, list[str]] | None:
    """A sweep's results (``results/<name>.json``'s ``sweep``) and its subsection's first lines:
    heading, provenance, introduction; ``None`` when it has not been run."""
    r = load(name)
    if r is None:
        return None
    return r["sweep"], [f"### {title}", "", provenance(r), "", intro, ""]


def futility_block() -> str:
    """The cap and the futility stop, swept on the same pools (``bench_verdict.py --sweep``)."""
    section = sweep_section(
        "verdict_sweep", "The cap and the futility stop",
        "The cap (`--max-seeds`) and the futility threshold (`FUTILITY` in "
        "`regadvisor/verification/sequential.py`) on the same seed orders: A/A on the "
        "pools of the calibration half's cases (false \"improves\", mean seeds per arm) "
        "and the MNIST-1D candidate's power (\"improves\", mean seeds). 0 is no futility "
        "stop. Chosen on the calibration cases: a cap of 10 with a threshold of 0.1 "
        "(before: a cap of 6, no futility stop); wine_mlp_good and linnerud_mlp "
        "(held-out half) confirm.")
    if section is None:
        return ""
    sweep, out = section
    calib = [k for k in sweep if k.startswith("aa_") and k[3:] in CALIBRATION_AA]
    held = [k for k in sweep if k.startswith("aa_") and k not in calib]
    rows = []
    for variant in next(iter(sweep.values())):
        def mean(keys, field, v=variant):
            vals = [sweep[k][v][field] for k in keys]
            return sum(vals) / len(vals) if vals else float("nan")
        row = sweep[calib[0]][variant] if calib else next(iter(sweep.values()))[variant]
        power = sweep.get("power_mnist1d", {}).get(variant)
        rows.append([row["cap"], f"{row['futility']:g}", f"{mean(calib, 'improves'):.1%}",
                     f(mean(calib, "mean_seeds"), ".2f"), f"{mean(held, 'improves'):.1%}",
                     f(mean(held, "mean_seeds"), ".2f"),
                     f"{power['improves']:.1%}" if power else "–",
                     f(power["mean_seeds"], ".2f") if power else "–"])
    out.append(table(["cap", "futility", "A/A false improves (calibration)",
                      "A/A mean seeds (calibration)", "A/A false improves (held-out)",
                      "A/A mean seeds (held-out)", "MNIST-1D power", "MNIST-1D mean seeds"],
                     rows))
    out.append("")
    return "\n".join(out)


def futility_from_block() -> str:
    """The futility stop's first look at 2 seeds against 3 (``bench_verdict.py --sweep 0.1
    --futility-from 2 3``), on the calibration half's A/A pools and MNIST-1D's candidate."""
    section = sweep_section(
        "verdict_sweep_from", "The futility stop's first look",
        "The futility stop may act after 2 seeds (`FUTILITY_FROM`), before the first "
        "look that can decide (3 seeds), or only from that look (3: as before). The "
        "look at 2 stops only while its interval straddles zero, so it says neither "
        "\"improves\" nor \"worse\". Same seed orders; cap 10, threshold 0.1. Chosen on "
        "these calibration cases: 2.")
    if section is None:
        return ""
    sweep, out = section
    rows = []
    for name, variants in sweep.items():
        for v in variants.values():
            rows.append([name.removeprefix("aa_").removeprefix("power_"),
                         "A/A" if name.startswith("aa_") else "power", v["futility_from"],
                         f"{v['improves']:.1%}", f"{v['worse']:.1%}",
                         f(v["mean_seeds"], ".2f"), f(v["mean_epochs"], ".0f")])
    out.append(table(["case", "replay", "futility from", "improves", "worse", "mean seeds",
                      "mean epochs (both arms)"], rows))
    out.append("")
    return "\n".join(out)


#: The A/A cases of ``bench_verdict.py`` on the calibration half (the others are held-out).
CALIBRATION_AA = ("logreg_wide", "diabetes_linear", "digits_overregularized", "mnist1d_mlp")


def reuse_block(targets: list) -> str:
    """Runs that serve twice and the A/A error rate (``benchmarks/bench_reuse.py``)."""
    r = load("reuse")
    if r is None:
        return ""
    st = r["settings"]
    out = ["### Runs that serve twice", "",
           "`python benchmarks/bench_reuse.py`: the A/A replay with tuning's choice in it. "
           f"Every trial and re-run is a draw from a pool of {st['pool']} runs of the user's "
           f"setup, chosen as tuning chooses ({st['trials']} trials, the top {st['top_k']} "
           f"re-run on {st['extra_seeds']} more seeds); verification (3 to "
           f"{st['max_seeds']} seeds) then compares the winner with fresh runs of the user's "
           "setup. *fresh*: every run of the recommendation trained anew; *trial*: its first "
           "seed is the winning trial's run (what verification measured while the trials "
           "trained with its first seed: it trained that run again and got the same figures); "
           "*trial+reruns*: its seeds 1 and 2 are also the winner's re-runs. A seed lucky on "
           "the validation set is often lucky on the test set (the correlation below), so a "
           "run chosen on its validation figure biases the verdict: the trials now train with "
           "`--seed` + 50, which verification never uses, and the re-runs, which it does use, "
           "are of the best trial alone, not chosen among (what *fresh* measures).", "",
           provenance(r), ""]
    rows = [[case, c["metric"], f(c["val_test_correlation"], "+.2f"),
             *[f"{c['rows'][w]['rate_improves']:.1%}" for w in ("fresh", "trial",
                                                                 "trial+reruns")]]
            for case, c in r["cases"].items()]
    o = r["overall"]
    rows.append(["**all**", "", "", *[f"**{o[w]:.1%}**" for w in ("fresh", "trial",
                                                                   "trial+reruns")]])
    out.append(table(["case", "metric", "corr(validation, test) over seeds",
                      "false improves: fresh", "trial", "trial+reruns"], rows))
    out.append("")
    targets.append(("9. A/A with the re-runs reused: false \"improves\" at most 4 %",
                    f"{o['fresh']:.1%} of {o['runs']}", ok(o["fresh"] <= 0.04)))
    return "\n".join(out)


def gpu_section(targets: list) -> str:
    out = ["## 7. GPU", ""]
    r = load("gpu")
    smoke = load("gpu_cpu_smoke")
    if r is None:
        out.append("Not measured: no GPU was available to this run. The prepared script "
                   "`python benchmarks/bench_gpu.py` (about 2 minutes on one GPU) times the "
                   "engine against the textbook loop on a 6-conv CNN with synthetic 3×32×32 "
                   "data, fp32 and bf16 autocast, and counts host synchronisations with "
                   "`torch.cuda.set_sync_debug_mode(\"warn\")` for 50 and 200 steps per epoch.")
        if smoke:
            out.append(f"Its CPU smoke test (every code path once, tiny data) last ran "
                       f"{smoke['machine']['date']}.")
        out.append("")
        targets.append(("7. GPU engine and no per-step host sync", "not measured (no GPU)",
                        "–"))
        return "\n".join(out)
    sp = r["speed"]
    out.append(provenance(r) + f"  \n*Card:* {r['device']}")
    out.append("")
    ms = sp["ms_per_epoch"]
    out.append(table(["loop", "fp32 ms/epoch", "bf16 autocast ms/epoch"], [
        ["textbook", f(ms["textbook_fp32"]), f(ms["textbook_bf16"])],
        ["regadvisor", f(ms["regadvisor_fp32"]), f(ms["regadvisor_bf16"])],
        ["speed-up", f(sp["speedup_fp32"], ".2f") + "×", f(sp["speedup_bf16"], ".2f") + "×"],
        *([["regadvisor trial loop", f(ms["regadvisor_trial_fp32"]),
            f(ms["regadvisor_trial_bf16"])],
           ["speed-up (trial loop)", f(sp["speedup_trial_fp32"], ".2f") + "×",
            f(sp["speedup_trial_bf16"], ".2f") + "×"]] if "speedup_trial_fp32" in sp else []),
    ]))
    out.append("")
    out.append(f"{sp['steps_per_epoch']} steps of {sp['batch']} images {sp['image']} per epoch, "
               f"{sp['params']:,} parameters, {sp['repeats']} repeats × {sp['epochs_per_run']} "
               "epochs.")
    sc = r.get("sync_check")
    if sc:
        out.append("")
        out.append(table(["loop", "sync warnings, 2 × 50 steps", "sync warnings, 2 × 200 steps"],
                         [[k, v["steps_50"], v["steps_200"]] for k, v in sc.items()
                          if isinstance(v, dict)]))
        out.append("")
        targets.append(("7. no host sync in regadvisor's step loop",
                        "equal counts" if sc["no_per_step_sync"] else "counts differ",
                        ok(sc["no_per_step_sync"])))
    targets.append(("7. GPU engine vs textbook (fp32 / bf16)",
                    f"{sp['speedup_fp32']:.2f}× / {sp['speedup_bf16']:.2f}×"
                    + (f"; trial loop {sp['speedup_trial_fp32']:.2f}× / "
                       f"{sp['speedup_trial_bf16']:.2f}×" if "speedup_trial_fp32" in sp else ""),
                    "–"))
    out.append("")
    return "\n".join(out)


def main() -> None:
    targets: list[tuple[str, str, str]] = []
    sections = [engine_section(targets), search_section(targets), pruners_section(),
                fidelity_section(), diagnosis_section(targets), workers_section(targets),
                end_to_end_section(targets), load_section(targets), budget_section(targets),
                startup_section(),
                gpu_section(targets),
                cases_section(targets), verdict_section(targets)]
    doc = ["# Benchmarks", "",
           "regadvisor measured against what users would pick instead. Every number "
           "below is read from `benchmarks/results/*.json`, written by the scripts in "
           "`benchmarks/`; this page is regenerated by `python benchmarks/report.py` (which "
           "`python benchmarks/run_all.py [--quick]` calls after running them all). Timings are "
           "medians of interleaved repeats and ratios measured in the same run, on a shared "
           "2-core machine whose load average is recorded with each table; no timing is a "
           "test assertion.", "",
           "## Targets", "",
           table(["target", "measured", "status"], [list(t) for t in targets]), ""]
    doc += sections
    if LOSS_GUARD.exists():
        doc += ["", LOSS_GUARD.read_text().rstrip(), ""]
    if ANALYSIS.exists():
        doc += ["", ANALYSIS.read_text().rstrip(), ""]
    DOC.parent.mkdir(parents=True, exist_ok=True)
    DOC.write_text("\n".join(doc).rstrip() + "\n")
    print(f"wrote {DOC}")


if __name__ == "__main__":
    sys.exit(main())
