"""Bundled experiments, each a module that follows the experiment contract.

``digits_noisy`` is the default of the CLI when no experiment is given.
"""

EXAMPLES = {
    "digits_noisy": "Digits, 300 training samples with 20 % wrong labels, wide MLP, Adam",
    "digits_mlp": "Digits, 300 clean training samples, wide MLP, Adam",
    "digits_cnn": "Digits as 8×8 images, conv net with BatchNorm and dropout",
    "diabetes": "Diabetes regression, MLP, Adam",
    "sparse_linear": "Linear regression, 400 features of which 10 matter, 150 samples",
    "digits_onecycle": "Digits with 20 % wrong labels, wide MLP, AdamW under a one-cycle "
                       "learning-rate schedule stepped every batch",
    "tabular_embeddings": "Tabular rows, numeric columns and two categorical ones (embeddings); "
                          "batches (x_num, x_cat, y), model(x_num, x_cat)",
    "digits_augment": "Digits images, 200 training samples, wide MLP; data(augment=s) exposes "
                      "the strength of random shifts and noise, which tuning searches",
    "bert_tokens": "Generated token sequences, a tiny BertForSequenceClassification built from a "
                   "config, dict batches with labels (needs transformers: regadvisor[hf])",
    "digits_lightning": "Digits with 20 % wrong labels as a LightningModule (warm-up in its "
                        "configure_optimizers) and a LightningDataModule; needs lightning",
}
DEFAULT_EXAMPLE = "digits_noisy"

__all__ = ["DEFAULT_EXAMPLE", "EXAMPLES"]
