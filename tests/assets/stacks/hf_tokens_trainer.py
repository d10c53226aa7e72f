"""A user's own ``transformers.Trainer`` script for the bundled ``bert_tokens`` example: its
tiny BERT (built from a config, nothing downloaded) and its generated token records, trained by
Trainer with ``TrainingArguments`` that say what the experiment file says: AdamW at a constant
rate of 1e-3 without weight decay, gradients clipped at norm 1.0, batches of 32, 15 epochs.

Run as ``python hf_tokens_trainer.py SEED OUTPUT_DIR``. The lines between the ``training``
markers are the training that regadvisor's recommended code replaces.
"""

import sys

import torch
from measure import report, trainer_facts
from torch.utils.data import DataLoader
from transformers import Trainer, TrainingArguments

from regadvisor.examples.bert_tokens import BATCH_SIZE, EPOCHS, LR, model, splits


def compute_metrics(prediction):
    logits, labels = prediction
    return {"accuracy": float((logits.argmax(-1) == labels).mean())}


if __name__ == "__main__":
    seed, output_dir = int(sys.argv[1]), sys.argv[2]
    torch.manual_seed(seed)
    model = model()
    train_dataset, eval_dataset, test_dataset = splits()
    args = TrainingArguments(output_dir=output_dir, num_train_epochs=EPOCHS,
                             per_device_train_batch_size=BATCH_SIZE,
                             per_device_eval_batch_size=200, learning_rate=LR, weight_decay=0.0,
                             lr_scheduler_type="constant", max_grad_norm=1.0, logging_steps=1,
                             save_strategy="no", report_to="none", use_cpu=True, seed=seed,
                             disable_tqdm=True)
    # >>> training
    trainer = Trainer(model=model, args=args, train_dataset=train_dataset,
                      eval_dataset=eval_dataset, compute_metrics=compute_metrics)
    trainer.train()
    # <<< training
    report(trainer.model, DataLoader(test_dataset, batch_size=200), **trainer_facts(trainer))
