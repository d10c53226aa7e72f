"""The recommended code, pasted into the user's own script, trains as regadvisor verified it.

Each user script under ``tests/assets/stacks`` is a real training script with its training
between ``# >>> training`` and ``# <<< training``. A real ``advise`` on the script's experiment
file produces the report; the report's code replaces the marked lines, as a user pastes it; the
script then trains in a subprocess with each verification seed, and its test accuracy must land
where verification measured the recommended arm, seed by seed.
"""

from __future__ import annotations

import collections
import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from regadvisor._record import to_plain
from regadvisor.report import build_report_data
from regadvisor.report.code import code_parts, full_code
from regadvisor.training import OptimizerSpec, RegConfig, placement
from tests.report.conftest import _advise

STACKS = Path(__file__).resolve().parents[1] / "assets" / "stacks"
BEGIN, END = "# >>> training", "# <<< training"


def paste(script: str, code: str) -> str:
    """The script with the lines between the training markers replaced by ``code``, indented as
    the markers are."""
    lines = script.splitlines()
    start = next(i for i, line in enumerate(lines) if line.strip() == BEGIN)
    end = next(i for i, line in enumerate(lines) if line.strip() == END)
    indent = lines[start][:len(lines[start]) - len(lines[start].lstrip())]
    pasted = [indent + line if line.strip() else "" for line in code.splitlines()]
    return "\n".join(lines[:start + 1] + pasted + lines[end:]) + "\n"


def run_script(name: str, code: str, seed: int, folder: Path, *args: str) -> dict:
    """Run ``name`` with ``code`` pasted in, with ``seed`` (and ``args``); the JSON line it
    printed."""
    path = folder / f"{Path(name).stem}_pasted.py"
    path.write_text(paste((STACKS / name).read_text(), code))
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(STACKS), os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, str(path), str(seed), *args], capture_output=True,
                          text=True, env=env, timeout=600)
    assert done.returncode == 0, f"the pasted script failed:\n{done.stderr[-3000:]}"
    return json.loads(done.stdout.strip().splitlines()[-1])


def flavour_code(run_dir: Path, stack: str | None = None) -> str:
    """The report's code for ``stack`` (a key of ``regadvisor.report.code.STACKS``; None: the
    first flavour, the user's own stack)."""
    change = build_report_data(json.loads((run_dir / "report.json").read_text())).change
    assert change.code, "the report has no code for the recommendation"
    if stack is None:
        return change.code
    return next(f.code for f in change.flavours if f.stack == stack)


def check_lands_where_verified(run_dir: Path, script: str, folder: Path,
                               stack: str | None = None) -> list[dict]:
    """Paste the report's code (for ``stack``) into ``script``, train it with every
    verification seed, and check its test accuracy against the recommended arm's, seed by seed.

    The pasted script is the same training as verification's run of that seed (same seed, same
    initial weights, same batches) up to floating-point differences (regadvisor's fused
    optimizer step), so it must agree with that seed's figure within two standard errors of a
    test-set accuracy (and lie within the arm's range widened by that much).
    """
    run = json.loads((run_dir / "report.json").read_text())
    code = flavour_code(run_dir, stack)
    ver = run["verification"]
    verified, margin = verified_figures(run)
    out = []
    for seed, figure in zip(ver["seeds"], verified, strict=True):
        pasted = run_script(script, code, seed, folder)
        assert abs(pasted["test_accuracy"] - figure) <= margin, (
            f"seed {seed}: the pasted code reached test accuracy {pasted['test_accuracy']:.4f}; "
            f"verification measured {figure:.4f} for the recommendation (± {margin:.4f})")
        assert min(verified) - margin <= pasted["test_accuracy"] <= max(verified) + margin
        out.append({**pasted, "seed": seed, "verified": figure})
    return out


def verified_figures(run: dict) -> tuple[list[float], float]:
    """The recommended arm's test accuracy per verification seed, and two standard errors of a
    test-set accuracy (the largest over those figures)."""
    verified = [r["metric"] for r in run["verification"]["recommended"]["runs"]]
    n_test = run["experiment"]["n_test"]
    return verified, 2 * max(math.sqrt(a * (1 - a) / n_test) for a in verified)


@pytest.fixture(scope="module")
def warmup_run(tmp_path_factory) -> Path:
    return _advise(STACKS / "plain_warmup_experiment.py", tmp_path_factory.mktemp("warmup"),
                   n_trials=4)


def test_plain_loop_with_a_per_batch_warmup_and_own_param_groups(warmup_run, tmp_path):
    results = check_lands_where_verified(warmup_run, "plain_warmup.py", tmp_path)
    # The warm-up is stepped every batch, as the user's loop steps it: the rate rises from 0 to
    # its peak over the first 100 steps, as in every training run regadvisor made.
    lrs = results[0]["lrs"]
    assert lrs[0] == 0.0 and max(lrs) > 0
    history = json.loads((warmup_run / "report.json").read_text())[
        "verification"]["histories"]["recommended"]
    steps = len(lrs) // len(history["records"])
    means = [sum(lrs[i * steps:(i + 1) * steps]) / steps for i in range(len(history["records"]))]
    assert means == pytest.approx([r["lr"] for r in history["records"]], rel=1e-6)


@pytest.fixture(scope="module")
def plateau_run(tmp_path_factory) -> Path:
    return _advise(STACKS / "plain_plateau_experiment.py", tmp_path_factory.mktemp("plateau"),
                   n_trials=4)


def test_plain_loop_with_reduce_on_plateau_stepped_each_epoch(plateau_run, tmp_path):
    results = check_lands_where_verified(plateau_run, "plain_plateau.py", tmp_path)
    code = build_report_data(json.loads((plateau_run / "report.json").read_text())).change.code
    assert "lr_scheduler.step(val_loss)" in code
    # Stepped with the validation loss after each epoch: the rate stays constant within an
    # epoch and was halved at least once, in the pasted script as in regadvisor's own run.
    history = json.loads((plateau_run / "report.json").read_text())[
        "verification"]["histories"]["recommended"]
    assert min(r["lr"] for r in history["records"]) <= 1.5e-3
    for result in results:
        lrs = result["lrs"]
        assert lrs[0] == 3e-3 and min(lrs) <= 1.5e-3
        steps = 15  # 300 training samples in batches of 20
        assert all(len(set(lrs[i:i + steps])) == 1 for i in range(0, len(lrs), steps))


@pytest.fixture(scope="module")
def step_run(tmp_path_factory) -> Path:
    return _advise(STACKS / "plain_step_experiment.py", tmp_path_factory.mktemp("step"),
                   n_trials=4)


def test_plain_loop_through_the_users_own_step_and_clipping(step_run, tmp_path):
    run = json.loads((step_run / "report.json").read_text())
    code = build_report_data(run).change.code
    # The header names the user's step and clipping; the loop trains through them: the step's
    # loss (CE + the auxiliary term), clip_grad between backward and the optimizer step.
    header = [line for line in code.splitlines() if line.startswith("#")]
    assert any(line.startswith("#   training_step(model, batch)") for line in header)
    assert any(line.startswith("#   clip_grad(model)") for line in header)
    loop = code[code.index("def fit("):]
    assert "training_step(model, to_device(b, device))" in loop
    # to_device moves what regadvisor moved: every tensor of any mapping (a Hugging Face
    # BatchEncoding is a UserDict), list or tuple ("meta" stands for an accelerator).
    namespace: dict = {}
    exec("import torch\nfrom collections.abc import Mapping\n"
         + code[code.index("def to_device("):code.index("EPOCHS = ")], namespace)
    batch = (collections.UserDict({"ids": torch.ones(2, 3)}), [torch.zeros(2)])
    moved = namespace["to_device"](batch, torch.device("meta"))
    assert isinstance(moved, tuple) and type(moved[0]) is dict
    assert moved[0]["ids"].device.type == moved[1][0].device.type == "meta"
    assert "from collections.abc import Mapping" in code
    assert loop.index("loss.backward()") < loop.index("clip_grad(model)") \
        < loop.index("optimizer.step()")
    # The model returns (logits, features): validation reads the logits as regadvisor did.
    assert "outputs = outputs[0]" in code
    check_lands_where_verified(step_run, "plain_step.py", tmp_path)
    # Label smoothing cannot be applied inside the user's own loss: never searched, and the
    # report says so.
    assert "label_smoothing" not in run["tuning"]["space"]["params"]
    html = (step_run / "report.html").read_text()
    assert "it cannot smooth the labels inside your own loss, so label smoothing is not " \
           "searched" in html
    assert "The loss that trains: the loss your training_step(model, batch) returns" in html


# ---------------------------------------------------------------------------------------------
# transformers.Trainer: the code from a recorded configuration and placement in a tiny BERT
# ---------------------------------------------------------------------------------------------

def _trainer_code(**changes) -> tuple[str, dict, dict]:
    """The Trainer code of a recommendation for the tiny BERT of ``hf_trainer.py``, and the
    recommendation's config and placement, as report.json records them."""
    hf = _import_asset("hf_trainer")
    user = RegConfig(max_epochs=hf.EPOCHS, optimizer=OptimizerSpec("AdamW", lr=1e-3))
    config = user.replace(**changes)
    placed = to_plain(placement(lambda: hf.BertForSequenceClassification(hf.build_config()),
                                config))
    parts = code_parts(to_plain(config), placed, model_class="BertForSequenceClassification",
                       baseline=to_plain(user), stack="transformers")
    return full_code(parts), to_plain(config), placed


def _import_asset(name: str):
    spec = importlib.util.spec_from_file_location(f"_stack_{name}", STACKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(STACKS))
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(STACKS))
    return module


@pytest.mark.parametrize("exempt_embeddings", [False, True], ids=["trainer_split", "embeddings"])
def test_trainer_code_trains_with_the_recommended_regularization(exempt_embeddings, tmp_path):
    pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    code, config, placed = _trainer_code(weight_decay=0.05, dropout=0.2, label_smoothing=0.1,
                                         patience_epochs=2, exempt_embeddings=exempt_embeddings,
                                         l1=1e-6 if exempt_embeddings else 0.0)
    assert ("def compute_loss" in code) == exempt_embeddings  # L1 added to Trainer's loss
    # Trainer's own optimizer already leaves biases and LayerNorm weights undecayed: a subclass
    # only where regadvisor's split differs (embedding tables exempt).
    assert ("class RegularizedTrainer(Trainer)" in code) == exempt_embeddings
    assert "weight_decay=0.05" in code and "label_smoothing_factor=0.1" in code
    assert '"hidden_dropout_prob": 0.2' in code
    out = run_script("hf_trainer.py", code, 0, tmp_path, str(tmp_path / "checkpoints"))

    # Weight decay as placed, parameter by parameter; label smoothing on the logits.
    groups = {g["weight_decay"] > 0: set(g["names"]) for g in out["groups"] if g["names"]}
    assert groups[True] == set(placed["decay"]) and groups[False] == set(placed["no_decay"])
    assert {g["weight_decay"] for g in out["groups"] if g["names"]} == {0.05, 0.0}
    assert out["label_smoothing"] == 0.1
    # Dropout through the config: every dropout module regadvisor set has p = 0.2.
    assert out["dropout"] == {name: 0.2 for name in placed["dropout_p"]}
    # The user's schedule, stepped by Trainer: warm-up from 0 to the peak, then linear decay.
    lrs = out["lrs"]
    assert lrs[0] == 0.0 and max(lrs) == pytest.approx(1e-3) and lrs[-1] < max(lrs)
    # It learns the training rule (the loss falls), so validation (the opposite rule) worsens:
    # early stopping ends the run before its 8 epochs and loads the best epoch's weights.
    losses = out["losses"]
    assert sum(losses[-4:]) < sum(losses[:4])
    assert "EarlyStoppingCallback" in out["callbacks"]
    assert out["epoch"] < config["max_epochs"]
    assert out["final_accuracy"] == pytest.approx(out["best_metric"])
    assert out["best_metric"] == max(out["evals"])


# ---------------------------------------------------------------------------------------------
# Hugging Face end to end: a real advise on the bundled bert_tokens example (a raw BERT, dict
# batches), its code pasted into the user's Trainer script and into a plain loop
# ---------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def bert_run(tmp_path_factory) -> Path:
    pytest.importorskip("transformers")
    pytest.importorskip("accelerate")
    return _advise("bert_tokens", tmp_path_factory.mktemp("bert"), n_trials=3)


def test_plain_loop_code_in_a_hugging_face_script(bert_run, tmp_path):
    code = flavour_code(bert_run, "torch")
    # Dict batches: the labels popped as the targets, the model called with the rest, the
    # logits read from its SequenceClassifierOutput; the example's clip_grad between backward
    # and the optimizer step.
    assert 'targets = inputs.pop("labels")' in code and 'outputs = outputs["logits"]' in code
    assert "clip_grad(model)" in code[code.index("def fit("):]
    check_lands_where_verified(bert_run, "hf_tokens_plain.py", tmp_path, stack="torch")


def _two_digits(v: float) -> float:
    return float(format(v, ".2g"))


def check_trainer_applies(out: dict, config: dict, placed: dict, user_lr: float) -> None:
    """What the Trainer in the user's script trained with is the recommendation, setting by
    setting: the decay groups by parameter name and λ, dropout p in every module regadvisor
    set, the label smoothing, early stopping, the user's constant rate and clipping kept."""
    wd = float(config.get("weight_decay") or 0.0)
    groups = {g["weight_decay"]: set(g["names"]) for g in out["groups"] if g["names"]}
    if wd > 0:
        assert groups.get(_two_digits(wd)) == set(placed["decay"]), "the decayed parameters"
        assert groups.get(0.0) == set(placed["no_decay"]), "the undecayed parameters"
    else:
        assert set(groups) == {0.0}
    p = config.get("dropout")
    if p is not None:
        assert {n: out["dropout"][n] for n in placed["dropout_p"]} == {
            n: pytest.approx(_two_digits(p)) for n in placed["dropout_p"]}, "dropout p"
    assert out["label_smoothing"] == pytest.approx(
        _two_digits(float(config.get("label_smoothing") or 0.0)))
    assert ("EarlyStoppingCallback" in out["callbacks"]) == (
        config.get("patience_epochs") is not None)
    lr = config.get("lr") or user_lr
    assert out["lrs"] and out["lrs"] == pytest.approx([lr] * len(out["lrs"]))
    assert out["max_grad_norm"] == 1.0


def test_trainer_code_from_a_real_advise_in_a_trainer_script(bert_run, tmp_path):
    """The Trainer flavour pasted into a real Trainer script lands where verification measured
    the recommendation.

    Trainer's own loop is not regadvisor's seed for seed (it re-seeds in its constructor,
    draws its batches through accelerate's seedable sampler, so the batch order and the dropout
    masks differ), so each seed is one more draw of the same training: the script's
    TrainingArguments say what the experiment file says (AdamW at a constant 1e-3, clipping at
    1.0, batches of 32, 15 epochs), and its test accuracy must lie in the recommended arm's
    per-seed range widened by two standard errors. Setting by setting, what Trainer trained
    with must be the recommendation; a code without the weight decay or the dropout fails.
    """
    from regadvisor.examples import bert_tokens

    run = json.loads((bert_run / "report.json").read_text())
    assert build_report_data(run).change.flavours[0].stack == "transformers"
    code = flavour_code(bert_run, "transformers")
    recommended = run["placements"]["recommended"]
    config, placed = recommended["config"], recommended["placement"]
    verified, margin = verified_figures(run)
    for seed in run["verification"]["seeds"]:
        out = run_script("hf_tokens_trainer.py", code, seed, tmp_path, str(tmp_path / "ck"))
        check_trainer_applies(out, config, placed, bert_tokens.LR)
        assert min(verified) - margin <= out["test_accuracy"] <= max(verified) + margin, (
            f"seed {seed}: the pasted Trainer code reached test accuracy "
            f"{out['test_accuracy']:.4f}; verification measured {verified} (± {margin:.4f})")

    # The check is a real one: the same code without its weight decay and dropout fails it.
    assert "weight_decay=" in code and "model=with_dropout(model)" in code
    broken = code.replace("        weight_decay=", "        # weight_decay=").replace(
        "model=with_dropout(model)", "model=model")
    out = run_script("hf_tokens_trainer.py", broken, 0, tmp_path, str(tmp_path / "broken"))
    with pytest.raises(AssertionError, match="the decayed parameters"):
        check_trainer_applies(out, config, placed, bert_tokens.LR)
    out["groups"] = [{"weight_decay": _two_digits(config["weight_decay"]),
                      "names": placed["decay"]}, {"weight_decay": 0.0,
                                                  "names": placed["no_decay"]}]
    with pytest.raises(AssertionError, match="dropout p"):
        check_trainer_applies(out, config, placed, bert_tokens.LR)
