"""`regadvisor diagnose` and `advise` on a raw Hugging Face model, as a user writes it."""

from __future__ import annotations

import json
import sys

import pytest

from tests.cli.conftest import ASSETS

pytest.importorskip("transformers")


def _hf_bert():
    import sys

    sys.path.insert(0, str(ASSETS))
    import hf_bert

    return hf_bert


def _own_names():
    model = _hf_bert().model()
    return ({n for n, _ in model.named_parameters()}, {n for n, _ in model.named_modules()})


def test_diagnose_and_advise_a_raw_bert_with_dict_batches(run_cli, tmp_path):
    diagnosed = run_cli("diagnose", ASSETS / "hf_bert.py", "-o", tmp_path / "d", "--json")
    assert diagnosed.exit_code == 0, diagnosed.stdout + diagnosed.stderr
    facts = json.loads(diagnosed.stdout)["facts"]
    assert facts["model_class"] == "BertForSequenceClassification"
    assert facts["has_embedding"] and facts["has_dropout"] and not facts["has_training_step"]

    result = run_cli("advise", ASSETS / "hf_bert.py", "-o", tmp_path / "a", "--n-trials", "2",
                     "--seeds", "2", "--max-seeds", "2")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    record = json.loads((tmp_path / "a" / "report.json").read_text())
    assert record["status"] == "complete"
    assert record["experiment"]["inputs"] == ("a dict (input_ids, attention_mask), called as "
                                              "model(**inputs)")
    assert record["experiment"]["loss"].startswith("CrossEntropyLoss on the model's logits")
    placed = record["placements"]["recommended"]["placement"]
    # The embeddings are exempt from decay by their real names.
    for name in ("bert.embeddings.word_embeddings.weight",
                 "bert.embeddings.position_embeddings.weight",
                 "bert.embeddings.token_type_embeddings.weight",
                 "bert.embeddings.LayerNorm.weight"):
        assert name in placed["no_decay"]
    # Every name is the model's own: no wrapper prefix anywhere.
    params, modules = _own_names()
    assert set(placed["decay"]) | set(placed["no_decay"]) == params
    assert set(placed["dropout_p"]) <= modules and placed["dropout_injected"] == []
    # The code written for the recommendation runs on the raw model: its names are real.
    from regadvisor.report.code import code_parts

    recommended = record["placements"]["recommended"]
    parts = {p.key: p for p in code_parts(recommended["config"], placed,
                                          model_class="BertForSequenceClassification")}
    model = _hf_bert().model()
    scope = {"model": model}
    exec(parts["optimizer"].code, scope)  # noqa: S102  (the report's own code, on a test model)
    optimizer = scope["make_optimizer"](model)
    undecayed = {id(p) for g in optimizer.param_groups if g["weight_decay"] == 0
                 for p in g["params"]}
    assert id(model.bert.embeddings.word_embeddings.weight) in undecayed
    assert id(model.classifier.weight) not in undecayed
    if "dropout" in parts:
        exec(parts["dropout"].code, scope)  # noqa: S102
        scope["apply_dropout"](model)
        assert model.bert.encoder.layer[0].output.dropout.p == pytest.approx(
            recommended["config"]["dropout"], abs=0.01)
    html = (tmp_path / "a" / "report.html").read_text()
    assert "The loss that trains: CrossEntropyLoss on the model&#39;s logits" in html


def test_the_bundled_bert_example_without_transformers_is_one_line_exit_2(run_cli, monkeypatch):
    # transformers not installed: importing it fails as it does then (None in sys.modules).
    monkeypatch.setitem(sys.modules, "transformers", None)
    monkeypatch.delitem(sys.modules, "regadvisor.examples.bert_tokens", raising=False)
    result = run_cli("diagnose", "bert_tokens")
    assert result.exit_code == 2
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stderr.strip() == (
        "Error: The bundled example bert_tokens needs transformers, which is not installed. "
        "Install it with: pip install 'regadvisor[hf]'.")
