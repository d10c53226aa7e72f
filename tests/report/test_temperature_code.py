"""Temperature scaling as code: pasted into a user's script after the recommended training, it
fits T on the validation set and the script's test calibration improves."""

from __future__ import annotations

import json

import pytest

from regadvisor._record import to_plain
from regadvisor.report import build_report_data
from regadvisor.report.code import code_parts, full_code
from regadvisor.training import OptimizerSpec, RegConfig, placement
from tests.report.test_code_in_scripts import _import_asset, run_script


def _code(stack: str, temperature: bool) -> str:
    digits = _import_asset("digits")
    user = RegConfig(max_epochs=60, optimizer=OptimizerSpec("Adam", lr=3e-3))
    config = user.replace(weight_decay=1e-4, decoupled=True, exempt="bias_and_norm")
    placed = to_plain(placement(digits.build_model, config))
    return full_code(code_parts(to_plain(config), placed, model_class="Sequential",
                                baseline=to_plain(user), stack=stack, temperature=temperature))


def test_pasted_temperature_scaling_fits_t_and_improves_the_test_calibration(tmp_path):
    code = _code("torch", temperature=True)
    assert "temperature = fit_temperature(*validation_logits(model, val_loader))" in code
    out = run_script("plain_calibration.py", code, 0, tmp_path)
    # Trained to near-zero loss on 150 digits: over-confident on new ones; T softens it.
    assert out["temperature"] > 1.2
    assert out["scaled_accuracy"] == out["test_accuracy"]
    assert out["ece_after"] < 0.8 * out["ece_before"]


def test_without_the_advice_the_code_has_no_temperature():
    assert "fit_temperature" not in _code("torch", temperature=False)


@pytest.mark.parametrize("stack", ["lightning", "transformers"])
def test_other_stacks_get_the_fit_as_a_function_to_call(stack):
    code = _code(stack, temperature=True)
    assert "def fit_temperature(logits, labels):" in code
    # The function as pasted fits the same T as regadvisor's own fit.
    import torch

    from regadvisor.verification.calibration import fit_temperature

    space: dict = {}
    exec(compile("import math\nimport torch\n" + code[code.index("def fit_temperature"):],
                 "pasted", "exec"), space)
    g = torch.Generator().manual_seed(0)
    logits = 3 * torch.randn(2000, 4, generator=g)
    labels = torch.multinomial((logits / 3).softmax(-1), 1, generator=g).squeeze(1)
    assert space["fit_temperature"](logits, labels) == pytest.approx(
        fit_temperature(logits, labels), rel=1e-9)


def test_the_report_adds_the_temperature_part_where_verification_advises_it(small_run):
    run = json.loads((small_run / "report.json").read_text())
    assert not run["verification"]["temperature_advised"]
    assert "temperature" not in [p.key for p in build_report_data(run).change.parts]
    # Both arms' T and ECE before and after scaling, in the calibration section.
    scaling = build_report_data(run).calibration["scaling"]
    ts = run["verification"]["recommended"]["temperature"]
    assert scaling.startswith("With temperature scaling")
    assert f"ECE {ts['ece_before']:.3f} → {ts['ece_after']:.3f}" in scaling
    assert "The advice includes it" not in scaling
    run["verification"]["temperature_advised"] = True
    data = build_report_data(run)
    assert "The advice includes it" in data.calibration["scaling"]
    change = data.change
    if not change.parts:
        pytest.skip("this run kept the user's setup: no code to add to")
    assert change.parts[-1].key == "temperature"
    assert "temperature = fit_temperature(*validation_logits(model, val_loader))" in \
        change.code
