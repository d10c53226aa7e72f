"""A tiny BERT trained from scratch on generated token sequences, as a Hugging Face user
writes it: a raw ``BertForSequenceClassification`` and dict batches, no wrapper, no ``batch()``.

Needs ``transformers`` (``pip install 'regadvisor[hf]'``); nothing is downloaded: the model is
built from a ``BertConfig`` (2 layers, hidden size 32) and the data are generated with fixed
seeds. Each sequence holds random tokens 10..99 and one marker token (1, 2 or 3) at a random
place, padded with token 0 (attention mask 0) from a random length to 12; the class is the
marker. 20 % of the training labels are wrong (validation and test labels are clean), so a
model that memorizes its training set loses on the others.

Batches are dicts ``{input_ids, attention_mask, labels}``: regadvisor passes the first two to
the model as keywords, reads the logits of its ``SequenceClassifierOutput`` and takes
``labels`` as the targets. It trains as a ``transformers.Trainer`` script with these
``TrainingArguments`` trains: AdamW at a constant rate of 1e-3 without weight decay
(``learning_rate=1e-3, weight_decay=0.0, lr_scheduler_type="constant"``), gradients clipped
at norm 1.0 (``max_grad_norm=1.0``, Trainer's default), batches of 32, 15 epochs.
"""

from __future__ import annotations

import torch
from torch.utils.data import DataLoader, Dataset
from transformers import BertConfig, BertForSequenceClassification

__all__ = ["BATCH_SIZE", "EPOCHS", "LR", "TokenRecords", "clip_grad", "data", "epochs",
           "metric", "model", "optimizer", "splits", "task"]

task = "classification"
metric = "accuracy"
EPOCHS = 15
epochs = EPOCHS
LR = 1e-3
BATCH_SIZE = 32

N_CLASSES, SEQ_LEN, VOCAB = 3, 12, 100


def config() -> BertConfig:
    return BertConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2,
                      num_attention_heads=2, intermediate_size=64,
                      max_position_embeddings=SEQ_LEN + 4, num_labels=N_CLASSES)


def model() -> BertForSequenceClassification:
    return BertForSequenceClassification(config())


class TokenRecords(Dataset):
    """``n`` generated sequences, each a dict ``{input_ids, attention_mask, labels}`` (the
    records a tokenizer and a collator give a Trainer or a DataLoader)."""

    def __init__(self, n: int, seed: int, noise: float = 0.0) -> None:
        g = torch.Generator().manual_seed(seed)
        y = torch.randint(0, N_CLASSES, (n,), generator=g)
        lengths = torch.randint(6, SEQ_LEN + 1, (n,), generator=g)
        ids = torch.randint(10, VOCAB, (n, SEQ_LEN), generator=g)
        self.mask = (torch.arange(SEQ_LEN) < lengths[:, None]).long()
        where = (torch.rand(n, generator=g) * (lengths - 1)).long() + 1
        ids[torch.arange(n), where] = y + 1
        self.ids = ids * self.mask
        wrong = torch.rand(n, generator=g) < noise
        shift = torch.randint(1, N_CLASSES, (n,), generator=g)
        self.labels = torch.where(wrong, (y + shift) % N_CLASSES, y)

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        return {"input_ids": self.ids[i], "attention_mask": self.mask[i],
                "labels": self.labels[i]}


def splits() -> tuple[TokenRecords, TokenRecords, TokenRecords]:
    """Training (320 sequences, 20 % wrong labels), validation and test (200 each, clean)."""
    return TokenRecords(320, 0, noise=0.2), TokenRecords(200, 1), TokenRecords(200, 2)


def data() -> tuple[DataLoader, DataLoader, DataLoader]:
    train, val, test = splits()
    return (DataLoader(train, batch_size=BATCH_SIZE, shuffle=True),
            DataLoader(val, batch_size=200), DataLoader(test, batch_size=200))


def optimizer(params):
    return torch.optim.AdamW(params, lr=LR, weight_decay=0.0)


def clip_grad(model: torch.nn.Module) -> None:
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
