"""A user's own plain PyTorch loop for the bundled ``bert_tokens`` example: its tiny BERT and
its dict batches ``{input_ids, attention_mask, labels}``, the labels popped from each batch and
the loss taken on the output's logits, AdamW at 1e-3, gradients clipped at norm 1.0.

Run as ``python hf_tokens_plain.py SEED``. The lines between the ``training`` markers are the
training that regadvisor's recommended code replaces.
"""

import random
import sys

import numpy as np
import torch
from measure import report
from torch import nn

from regadvisor.examples.bert_tokens import EPOCHS, clip_grad, data, model, optimizer

if __name__ == "__main__":
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 0
    torch.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    model = model()
    train_loader, val_loader, test_loader = data()
    criterion = nn.CrossEntropyLoss()
    # >>> training
    opt = optimizer(model.parameters())
    for _ in range(EPOCHS):
        model.train()
        for batch in train_loader:
            labels = batch.pop("labels")
            loss = criterion(model(**batch).logits, labels)
            opt.zero_grad()
            loss.backward()
            clip_grad(model)
            opt.step()
    # <<< training
    report(model, test_loader)
