"""Hugging Face models as written: dict batches with labels, ModelOutput logits, real names."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

from regadvisor.errors import ExperimentError
from regadvisor.experiment import baseline_config, build_experiment, load_experiment
from regadvisor.training import RegConfig, placement, train, train_experiment
from regadvisor.training.batch import OutputShapeError, logits

transformers = pytest.importorskip("transformers")

ASSETS = Path(__file__).resolve().parents[1] / "assets"
sys.path.insert(0, str(ASSETS))
import hf_bert  # noqa: E402  (the asset is an experiment file, imported as the CLI imports it)

EMBEDDINGS = ("bert.embeddings.word_embeddings.weight",
              "bert.embeddings.position_embeddings.weight",
              "bert.embeddings.token_type_embeddings.weight",
              "bert.embeddings.LayerNorm.weight", "bert.embeddings.LayerNorm.bias")


class LabelSpy(transformers.BertForSequenceClassification):
    """A BERT that records the keywords of every call (the labels must not reach it)."""

    calls: list[tuple[str, ...]] = []

    def forward(self, **kwargs):
        LabelSpy.calls.append(tuple(sorted(kwargs)))
        return super().forward(**kwargs)


def _spy():
    return LabelSpy(hf_bert.model().config)


def test_a_raw_bert_with_dict_batches_trains_without_a_wrapper():
    exp = load_experiment(str(ASSETS / "hf_bert.py"))
    assert exp.inputs == "a dict (input_ids, attention_mask), called as model(**inputs)"
    assert exp.batch is None and exp.n_classes == 3 and exp.task == "classification"
    assert exp.model_class == "BertForSequenceClassification"
    assert exp.trains_with.startswith("CrossEntropyLoss on the model's logits")
    h = train_experiment(exp, baseline_config(exp, max_epochs=8)).history
    # The marker token decides the class (up to the training set's wrong labels): it learns.
    assert h.records[-1].train_loss < 0.5 * h.records[0].train_loss
    assert h.best.val_metric > 0.6


def test_the_labels_are_the_targets_and_never_reach_the_model():
    LabelSpy.calls.clear()
    exp = build_experiment(model=_spy, data=hf_bert.data, optimizer=hf_bert.optimizer, epochs=2)
    train_experiment(exp, baseline_config(exp))
    assert LabelSpy.calls and all(kw == ("attention_mask", "input_ids")
                                  for kw in LabelSpy.calls)


def test_placement_names_are_the_models_own_with_embeddings_undecayed():
    config = RegConfig(weight_decay=0.01, decoupled=True, exempt="bias_and_norm",
                       exempt_embeddings=True, dropout=0.3)
    placed = placement(hf_bert.model, config)
    own = {n for n, _ in hf_bert.model().named_parameters()}
    assert set(placed.decay) | set(placed.no_decay) == own  # no wrapper prefix, nothing renamed
    assert set(EMBEDDINGS) <= set(placed.no_decay)
    assert "bert.encoder.layer.0.attention.self.query.weight" in placed.decay
    assert "classifier.weight" in placed.decay
    # HF's own nn.Dropout modules (hidden and attention-probability dropout, the classifier's)
    # get p; nothing is injected.
    assert placed.dropout_injected == ()
    assert {"bert.embeddings.dropout", "bert.encoder.layer.0.attention.self.dropout",
            "bert.encoder.layer.1.output.dropout", "dropout"} <= set(placed.dropout_changed)
    assert set(placed.dropout_p.values()) == {0.3}


def test_the_searched_dropout_reaches_the_attention_of_a_trained_bert():
    """BERT's attention reads its dropout module's p at every call: setting p is enough."""
    exp = load_experiment(str(ASSETS / "hf_bert.py"))
    config = RegConfig(dropout=0.5, max_epochs=1, optimizer=exp.optimizer)
    model = train_experiment(exp, config).model
    attention = model.bert.encoder.layer[0].attention.self
    assert attention.dropout.p == 0.5
    hidden = torch.randn(4, 12, 32)
    attention.train()
    a, b = attention(hidden)[0], attention(hidden)[0]
    assert not torch.allclose(a, b)  # dropout on the attention probabilities is active
    attention.eval()
    assert torch.allclose(attention(hidden)[0], attention(hidden)[0])


def test_a_batch_encoding_from_an_hf_collator_is_read_like_a_dict():
    def data():
        train_loader, val_loader, _ = hf_bert.data()

        def collate(records):
            return transformers.BatchEncoding(torch.utils.data.default_collate(records))

        return (DataLoader(train_loader.dataset, batch_size=32, collate_fn=collate),
                DataLoader(val_loader.dataset, batch_size=100, collate_fn=collate))

    exp = build_experiment(model=hf_bert.model, data=data, optimizer=hf_bert.optimizer,
                           epochs=3)
    assert exp.inputs.startswith("a dict (input_ids, attention_mask)")
    h = train_experiment(exp, baseline_config(exp)).history
    assert h.epochs_run == 3 and h.records[-1].step_loss < h.records[0].step_loss


class DictOut(nn.Module):
    def __init__(self, key="logits"):
        super().__init__()
        self.key = key
        self.linear = nn.Linear(4, 3)

    def forward(self, x):
        return {self.key: self.linear(x), "hidden": x}


class TupleOut(nn.Module):
    def __init__(self, first_tensor=True):
        super().__init__()
        self.first_tensor = first_tensor
        self.linear = nn.Linear(4, 3)

    def forward(self, x):
        out = self.linear(x)
        return (out, x) if self.first_tensor else ([out], x)


def _loaders():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(120, 4, generator=g)
    y = x[:, :3].argmax(1)
    ds = torch.utils.data.TensorDataset(x, y)
    return DataLoader(ds, batch_size=20, shuffle=True), DataLoader(ds, batch_size=60)


@pytest.mark.parametrize("make", [DictOut, TupleOut], ids=["dict", "tuple"])
def test_dict_and_tuple_outputs_train_on_their_logits(make):
    exp = build_experiment(model=make, data=_loaders, epochs=15,
                           optimizer=lambda p: torch.optim.Adam(p, lr=0.05))
    h = train(exp.model_factory, exp.train_loader, exp.val_loader, baseline_config(exp)).history
    assert exp.n_classes == 3 and h.best.val_metric > 0.85


def test_logits_of_each_output_form():
    t = torch.zeros(2, 3)
    out = transformers.modeling_outputs.SequenceClassifierOutput(logits=t)
    assert logits(t) is t and logits(out) is t and logits({"logits": t}) is t
    assert logits((t, torch.ones(1))) is t and logits([t]) is t
    with pytest.raises(OutputShapeError, match="with no 'logits' tensor"):
        logits({"scores": t})


@pytest.mark.parametrize(("model", "message"), [
    (lambda: DictOut("scores"), "on a training batch the model returned a dict with no 'logits' "
                                "tensor (keys: scores, hidden); return the logits, a dict or "
                                "ModelOutput with a 'logits' entry"),
    (lambda: TupleOut(first_tensor=False), "on a training batch the model returned a tuple of 2 "
                                           "items whose first element is a list of 1 item; "
                                           "return one "
                                           "tensor of predictions"),
])
def test_an_output_without_logits_is_one_clear_line(model, message):
    with pytest.raises(ExperimentError, match=re.escape(message)) as info:
        build_experiment(model=model, data=_loaders, epochs=2)
    assert "\n" not in str(info.value)


def test_the_models_own_loss_trains_through_a_training_step():
    """The documented route to HF's own loss: the step gets the whole batch, labels included."""
    LabelSpy.calls.clear()
    exp = build_experiment(model=_spy, data=hf_bert.data, optimizer=hf_bert.optimizer, epochs=8,
                           training_step=lambda model, batch: model(**batch).loss)
    assert exp.trains_with.startswith("the loss your training_step(model, batch) returns")
    h = train_experiment(exp, baseline_config(exp)).history
    trained = [kw for kw in LabelSpy.calls if "labels" in kw]
    assert trained and all(kw == ("attention_mask", "input_ids", "labels") for kw in trained)
    # Evaluation calls the model without labels and reads the logits.
    assert ("attention_mask", "input_ids") in LabelSpy.calls
    assert h.records[-1].train_loss < 0.5 * h.records[0].train_loss


def test_a_text_column_left_in_the_dict_batch_is_named():
    def data():
        records = [{**r, "text": "tokens"} for r in hf_bert._records(40, 0)]
        return DataLoader(records, batch_size=20), DataLoader(records, batch_size=20)

    with pytest.raises(ExperimentError, match=re.escape(
            "the training loader gives inputs of type list (key 'text'); inputs must be a "
            "tensor, a tuple of tensors or a dict of tensors (drop the other columns in the "
            "collator, or define batch(b))")):
        build_experiment(model=hf_bert.model, data=data, epochs=2)
