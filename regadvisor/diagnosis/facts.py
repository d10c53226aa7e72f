"""The facts table: every named value a rule may use, with its type and meaning.

A diagnosis produces one :class:`Facts` mapping (name → value). The rules loader rejects a
condition that names a fact not listed in :data:`FACT_SPECS`. A value may be ``None`` when it does
not apply (``n_classes`` for a regression); a comparison with ``None`` is false.

``docs/facts.md`` is generated from this table (``python -m regadvisor.diagnosis.facts``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["FACT_SPECS", "FactSpec", "Facts", "facts_markdown"]


@dataclass(frozen=True)
class FactSpec:
    """One fact: ``kind`` is ``"number"``, ``"bool"`` or ``"str"``; ``doc`` says what it means."""

    kind: str
    doc: str
    group: str


def _specs(group: str, kind: str, items: dict[str, str]) -> dict[str, FactSpec]:
    return {name: FactSpec(kind, doc, group) for name, doc in items.items()}


FACT_SPECS: dict[str, FactSpec] = {
    **_specs("curves", "number", {
        "train_loss": "Training loss (eval mode) at the best epoch (lowest validation loss).",
        "val_loss": "Validation loss at the best epoch (its minimum).",
        "train_loss_last": "Training loss (eval mode) at the last epoch.",
        "val_loss_last": "Validation loss at the last epoch.",
        "train_metric": "Training metric at the best epoch (accuracy as a fraction, or the loss).",
        "val_metric": "Validation metric at the best epoch.",
        "train_metric_last": "Training metric at the last epoch.",
        "val_metric_last": "Validation metric at the last epoch.",
        "val_metric_best": "Best validation metric over all epochs.",
        "gap": "val_loss − train_loss at the best epoch.",
        "gap_last": "val_loss_last − train_loss_last.",
        "gap_ratio": "gap_last / val_loss_last: the share of the validation loss that training "
                     "does not show (0: none, near 1: training loss near zero).",
        "gap_vs_chance": "gap_last / chance_loss: the gap on the scale of the problem (a gap of "
                         "0.02 nats when a constant prediction scores 1.1 is no gap to act on, "
                         "however large gap_ratio is).",
        "metric_gap": "train_metric_last − val_metric_last for classification, as a fraction "
                      "(0.27 = 27 points); None for regression.",
        "chance_loss": "Loss of the constant predictor: log K for K classes, the training "
                       "target variance for regression (MSE).",
        "train_loss_vs_chance": "train_loss_last / chance_loss (1: no better than a constant).",
        "val_loss_vs_chance": "val_loss / chance_loss at the best epoch.",
        "val_loss_noise": "Epoch-to-epoch noise of the validation loss near the end: the standard "
                          "deviation of its successive differences over the last third of the "
                          "epochs, divided by √2.",
        "gap_over_noise": "gap_last / val_loss_noise: how large the gap is against the noise.",
        "val_loss_rise": "val_loss_last − val_loss: how far the validation loss rose from its "
                         "minimum.",
        "val_loss_rise_over_noise": "val_loss_rise / val_loss_noise.",
        "val_loss_rise_ratio": "val_loss_rise / val_loss: how far the validation loss rose, as a "
                               "share of its minimum (0.1: 10 % above it).",
        "epochs_since_best": "Epochs since the validation loss was lowest.",
        "epochs_since_best_metric": "Epochs since the validation metric was best.",
        "epochs_run": "Epochs the diagnostic training ran.",
        "user_epochs": "How long the user trains (the experiment's epochs).",
        "diagnostic_fraction": "epochs_run / user_epochs: the share of the user's training the "
                               "verdict rests on.",
        "best_epoch": "Epoch of the lowest validation loss (1-based).",
        "best_epoch_fraction": "best_epoch / epochs_run.",
        "train_loss_slope": "Relative fall of the training loss per epoch over the last third of "
                            "the epochs (0.05: 5 % a epoch; negative: rising).",
        "val_loss_slope": "Relative fall of the validation loss per epoch over the last third of "
                          "the epochs (negative: rising).",
        "gap_slope": "How much gap_last grows per epoch: the least-squares slope of "
                     "val_loss − train_loss over the last third of the epochs (negative: "
                     "closing).",
        "gap_growth_to_end": "gap_slope × the epochs the user's training has left after the "
                             "diagnostic run, on the scale of chance_loss: how much larger "
                             "gap_vs_chance would be at the user's last epoch if the gap kept "
                             "opening as it does now (0 once the run is at full length).",
        "seconds_per_epoch": "Median wall time of one diagnostic epoch.",
        "chance_metric": "Accuracy of a uniform guess, exp(−chance_loss) = 1/K (classification; "
                         "None for regression).",
        "best_learned_epoch": "Epoch of the lowest validation loss among the epochs where the "
                              "model had learned: validation accuracy above chance_metric by "
                              "more than its sampling noise (z standard errors of an accuracy "
                              "of chance_metric on n_val samples, z holding the chance that any "
                              "epoch at chance passes to 5 % over all epochs), or for "
                              "regression a validation loss below chance_loss. None when it "
                              "never left chance.",
        "val_loss_rise_learned": "val_loss_last − the validation loss at best_learned_epoch "
                                 "(None when the model never left chance).",
    }),
    **_specs("curves", "bool", {
        "diverged": "The training or validation loss became NaN or infinite.",
        "left_chance": "Some epoch of the diagnostic run had learned (see best_learned_epoch).",
        "can_train_longer": "The diagnostic training could still go on: it has not reached the "
                            "user's epochs and its time budget is not spent. While the verdict "
                            "rules say 'undecided', it does.",
    }),
    **_specs("model", "number", {
        "n_params": "Trainable parameters.",
        "n_params_decayed": "Trainable parameters the user's optimizer applies weight decay to.",
        "params_per_sample": "n_params / n_train.",
        "n_linear": "Fully connected (nn.Linear) layers.",
        "n_dropout_targets": "Fully connected layers that injected dropout would go in front of: "
                             "those reading hidden units (not the input layer; for regression "
                             "not the output layer either), in the order the forward pass runs "
                             "them.",
        "n_conv": "Convolution layers.",
        "n_norm": "Normalisation layers (BatchNorm, LayerNorm, GroupNorm, InstanceNorm).",
        "n_dropout": "Dropout modules.",
        "dropout_p": "Largest dropout probability in the model (0 without dropout).",
        "input_dropout_p": "p of a dropout module that acts on the raw inputs (before the first "
                           "linear or convolutional layer); 0 when there is none.",
    }),
    **_specs("model", "bool", {
        "has_batchnorm": "The model has BatchNorm layers.",
        "has_layernorm": "The model has LayerNorm or GroupNorm layers.",
        "has_dropout": "The model has dropout modules with p > 0.",
        "has_conv": "The model has convolution layers.",
        "has_embedding": "The model has embedding layers.",
        "dropout_before_batchnorm": "A dropout module comes right before a BatchNorm layer.",
        "is_linear": "The model is a single affine map (one Linear layer, nothing else with "
                     "parameters or nonlinearity).",
    }),
    **_specs("model", "str", {
        "model_class": "Class name of the model.",
    }),
    **_specs("optimizer", "str", {
        "optimizer": "Class name of the user's optimizer (Adam, AdamW, SGD, ...).",
    }),
    **_specs("optimizer", "number", {
        "lr": "The user's learning rate (under a schedule, the peak it reached in the diagnosis).",
        "weight_decay": "The user's weight decay (largest over param groups).",
        "label_smoothing": "The user's label smoothing ε (0 when none).",
        "implied_l2": "Early stopping's implied L2 strength 1/(η·t) at the best epoch, with t the "
                      "optimizer steps taken until then (under a schedule, 1/Σ η over those "
                      "steps).",
    }),
    **_specs("optimizer", "bool", {
        "optimizer_is_adaptive": "The optimizer divides by a second-moment estimate (Adam family).",
        "has_lr_schedule": "The experiment defines scheduler(optimizer): the learning rate follows "
                           "a schedule (lr is then its peak, implied_l2 sums the scheduled rate).",
        "decoupled_weight_decay": "The user's weight decay is decoupled (AdamW).",
        "decays_biases": "The user's optimizer applies weight decay to biases.",
        "decays_norms": "The user's optimizer applies weight decay to normalisation scales and "
                        "shifts (1-D parameters that are not biases).",
        "decays_embeddings": "The user's optimizer applies weight decay to embedding tables.",
        "early_stopping": "The user's setup stops early (the contract has no early stopping, so "
                          "this is false for a plain experiment).",
        "has_training_step": "The experiment defines training_step(model, batch): its own loss "
                             "trains, so label smoothing cannot be applied (or searched).",
    }),
    **_specs("data", "number", {
        "n_train": "Training samples.",
        "n_val": "Validation samples.",
        "batch_size": "Training batch size.",
        "batch_fraction": "batch_size / n_train.",
        "n_classes": "Classes (classification); None for regression.",
        "n_features": "Input features of a flat input (None for images and sequences).",
        "features_per_sample": "n_features / n_train.",
        "max_feature_correlation": "Largest absolute correlation between two input features "
                                   "(flat inputs with at most 2,000 features; None otherwise).",
        "target_variance": "Variance of the training targets (regression); None otherwise.",
        "augment_strength": "The augmentation strength s of the experiment's data(augment=s) "
                            "(its default, in [0, 1]); None when data() takes no augment.",
    }),
    **_specs("data", "bool", {
        "has_augmentation": "Reading the same training sample twice gives different inputs "
                            "(random transforms), or data(augment=s) trains with s > 0.",
        "augment_exposed": "data() takes augment=s: regadvisor can search the augmentation "
                           "strength with the other regularizers.",
    }),
    **_specs("verdict", "str", {
        "verdict": "The verdict of the verdict rules: 'diverging', 'underfitting', "
                   "'not_converged', 'overfitting' or 'good_fit'. Set before the other rules "
                   "are evaluated, so they can depend on it.",
    }),
    **_specs("data", "str", {
        "task": "'classification' or 'regression'.",
        "metric": "'accuracy' or 'loss': the figure the user cares about.",
    }),
}


class Facts(dict):
    """The facts of one diagnosis: a plain ``dict`` of name → value (number, bool, str or None)."""


def facts_markdown() -> str:
    """The facts table as Markdown, grouped."""
    lines = ["# Facts", "",
             "Every named value a rule condition may use. Generated from "
             "`regadvisor/diagnosis/facts.py` by `python -m regadvisor.diagnosis.facts`.", ""]
    for group in ("verdict", "curves", "model", "optimizer", "data"):
        lines += [f"## {group}", "", "| fact | type | meaning |", "|---|---|---|"]
        for name, spec in FACT_SPECS.items():
            if spec.group == group:
                lines.append(f"| `{name}` | {spec.kind} | {spec.doc} |")
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    print(facts_markdown())
