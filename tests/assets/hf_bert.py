"""A Hugging Face model as written: a raw BertForSequenceClassification (built from a config,
nothing downloaded) and dict batches {input_ids, attention_mask, labels}, with no wrapper and no
batch(b)."""

import torch
from torch.utils.data import DataLoader
from transformers import BertConfig, BertForSequenceClassification

epochs = 15
N_CLASSES = 3
SEQ_LEN = 12


def model():
    config = BertConfig(vocab_size=100, hidden_size=32, num_hidden_layers=2,
                        num_attention_heads=2, intermediate_size=64, max_position_embeddings=64,
                        num_labels=N_CLASSES)
    return BertForSequenceClassification(config)


def _records(n, seed, noise=0.0):
    """Random tokens 10..99 with one marker token (1, 2 or 3) at a random place: the class is
    the marker, except for a share ``noise`` of wrong labels. Sequences are padded (token 0,
    mask 0) to SEQ_LEN from a random length."""
    g = torch.Generator().manual_seed(seed)
    y = torch.randint(0, N_CLASSES, (n,), generator=g)
    lengths = torch.randint(6, SEQ_LEN + 1, (n,), generator=g)
    ids = torch.randint(10, 100, (n, SEQ_LEN), generator=g)
    mask = (torch.arange(SEQ_LEN) < lengths[:, None]).long()
    where = (torch.rand(n, generator=g) * (lengths - 1)).long() + 1
    ids[torch.arange(n), where] = y + 1
    ids = ids * mask
    wrong = torch.rand(n, generator=g) < noise
    y = torch.where(wrong, (y + torch.randint(1, N_CLASSES, (n,), generator=g)) % N_CLASSES, y)
    return [{"input_ids": ids[i], "attention_mask": mask[i], "labels": y[i]} for i in range(n)]


def data():
    return (DataLoader(_records(320, 0, noise=0.2), batch_size=32, shuffle=True),
            DataLoader(_records(100, 1), batch_size=100),
            DataLoader(_records(100, 2), batch_size=100))


def optimizer(params):
    return torch.optim.Adam(params, lr=3e-3)
