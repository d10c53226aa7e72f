"""A user's own ``transformers.Trainer`` script: a tiny BERT built from a config (nothing is
downloaded), synthetic token sequences, AdamW with Trainer's linear schedule and warm-up.

The label is whether a sequence starts with a token from the lower half of the vocabulary.
The validation labels are the opposite rule, so the better the model learns the training rule,
the worse its validation accuracy: early stopping has something to stop.

Run as ``python hf_trainer.py SEED OUTPUT_DIR``. The lines between the ``training`` markers are
the training that regadvisor's recommended code replaces.
"""

import sys

import torch
from measure import report_trainer
from transformers import BertConfig, BertForSequenceClassification, Trainer, TrainingArguments

VOCAB, LENGTH, EPOCHS = 64, 12, 8


def build_config():
    return BertConfig(vocab_size=VOCAB, hidden_size=32, num_hidden_layers=2,
                      num_attention_heads=2, intermediate_size=64,
                      max_position_embeddings=LENGTH + 4, num_labels=2)


class Tokens(torch.utils.data.Dataset):
    def __init__(self, n, seed, flip):
        g = torch.Generator().manual_seed(seed)
        self.ids = torch.randint(0, VOCAB, (n, LENGTH), generator=g)
        self.labels = ((self.ids[:, 0] < VOCAB // 2).long() + int(flip)) % 2

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return {"input_ids": self.ids[i], "attention_mask": torch.ones(LENGTH, dtype=torch.long),
                "labels": self.labels[i]}


def compute_metrics(prediction):
    logits, labels = prediction
    return {"accuracy": float((logits.argmax(-1) == labels).mean())}


if __name__ == "__main__":
    seed, output_dir = int(sys.argv[1]), sys.argv[2]
    torch.manual_seed(seed)
    model = BertForSequenceClassification(build_config())
    train_dataset, eval_dataset = Tokens(128, 0, flip=False), Tokens(64, 1, flip=True)
    args = TrainingArguments(output_dir=output_dir, num_train_epochs=EPOCHS,
                             per_device_train_batch_size=16, per_device_eval_batch_size=64,
                             learning_rate=1e-3, lr_scheduler_type="linear", warmup_steps=4,
                             logging_steps=1, report_to="none", use_cpu=True, seed=seed,
                             disable_tqdm=True)
    # >>> training
    trainer = Trainer(model=model, args=args, train_dataset=train_dataset,
                      eval_dataset=eval_dataset, compute_metrics=compute_metrics)
    trainer.train()
    # <<< training
    report_trainer(trainer)
