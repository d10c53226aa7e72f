"""Token sequences, a small Transformer encoder, 160 training sequences: over-fitting.

A generated sequence-classification task: sequences of 12 tokens over a vocabulary of 16. Each
sequence holds one marker token A and one marker token B at random positions among random
filler tokens; the label says whether A comes before B, so the model has to use positions and
attention, not just token counts. 160 training, 500 validation and 500 test sequences. The
user's model: token and learned position embeddings (d_model 32), a 1-layer
nn.TransformerEncoder (4 heads, feed-forward 64, dropout 0), mean pooling and a linear head
(about 9.5k weights), trained with AdamW (lr 2e-3, PyTorch's default weight_decay 0.01 on
every parameter, embeddings and LayerNorm included) for 60 epochs. It memorizes the training
set (100 % accuracy, training loss near 0) and only partly finds the rule: validation accuracy
stalls near 80 % and the validation loss rises again after its minimum around epoch 30.
Condition: over-fitting (too little data for the model).
"""

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

task = "classification"
epochs = 60
metric = "accuracy"

VOCAB, LENGTH, A, B = 16, 12, 1, 2


class TinyTransformer(nn.Module):
    def __init__(self, d_model: int = 32):
        super().__init__()
        self.tok = nn.Embedding(VOCAB, d_model)
        self.pos = nn.Parameter(torch.randn(LENGTH, d_model) * 0.1)
        layer = nn.TransformerEncoderLayer(d_model, nhead=4, dim_feedforward=64, dropout=0.0,
                                           batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=1, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, 2)

    def forward(self, x):
        h = self.encoder(self.tok(x) + self.pos)
        return self.head(h.mean(dim=1))


def model() -> nn.Module:
    return TinyTransformer()


def make_sequences(n, rng):
    x = rng.integers(3, VOCAB, size=(n, LENGTH))
    for row in x:
        i, j = rng.choice(LENGTH, size=2, replace=False)
        row[i], row[j] = A, B
    y = (np.argmax(x == A, axis=1) < np.argmax(x == B, axis=1)).astype(np.int64)
    return torch.tensor(x), torch.tensor(y)


def data():
    rng = np.random.default_rng(0)
    x, y = make_sequences(1160, rng)
    return (DataLoader(TensorDataset(x[:160], y[:160]), batch_size=32, shuffle=True),
            DataLoader(TensorDataset(x[160:660], y[160:660]), batch_size=500),
            DataLoader(TensorDataset(x[660:], y[660:]), batch_size=500))


def optimizer(params):
    return torch.optim.AdamW(params, lr=2e-3)
