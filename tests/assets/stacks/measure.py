"""What the tests read from a user's script after it trained: the learning rate of every
optimizer step and the trained model's figures on the test loader, printed as one JSON line.

Not part of the user's training: the scripts here import it to report what their training did.
"""

import json

import torch
from torch.optim.optimizer import register_optimizer_step_pre_hook

LRS = []


def _record_lr(optimizer, args, kwargs):
    LRS.append(float(optimizer.param_groups[0]["lr"]))


register_optimizer_step_pre_hook(_record_lr)


def _logits(outputs):
    """The logits in what a model returns: a tensor, a ModelOutput or dict's ``logits``, or the
    first element of a tuple."""
    if isinstance(outputs, dict) or hasattr(outputs, "logits"):
        return outputs["logits"]
    return outputs[0] if isinstance(outputs, (tuple, list)) else outputs


def report(model, test_loader, **extra):
    """Print the test accuracy and the learning rates as one JSON line. The test batches are
    ``(x, y)`` or dicts whose ``labels`` are the targets."""
    model.eval()
    device = next(model.parameters()).device
    hits = 0
    with torch.no_grad():
        for batch in test_loader:
            if isinstance(batch, dict):
                inputs = {k: v.to(device) for k, v in batch.items() if k != "labels"}
                outputs, y = model(**inputs), batch["labels"]
            else:
                x, y = batch
                outputs = model(x.to(device))
            hits += int((_logits(outputs).argmax(-1).cpu() == y).sum())
    print(json.dumps({"test_accuracy": hits / len(test_loader.dataset), "lrs": LRS, **extra}))


def report_trainer(trainer):
    """Print :func:`trainer_facts` as one JSON line."""
    print(json.dumps(trainer_facts(trainer)))


def trainer_facts(trainer):
    """What a transformers Trainer did: the logged learning rates and training losses, the
    evaluations, the optimizer's groups by parameter name, the label smoothing, the dropout of
    every module, the callbacks, and the final evaluation."""
    from torch import nn

    state = trainer.state
    model = trainer.model
    names = {id(p): n for n, p in model.named_parameters()}
    groups = [{"weight_decay": g["weight_decay"], "names": [names[id(p)] for p in g["params"]]}
              for g in trainer.optimizer.param_groups]
    smoother = trainer.label_smoother
    return {
        "lrs": [h["learning_rate"] for h in state.log_history if "loss" in h],
        "losses": [h["loss"] for h in state.log_history if "loss" in h],
        "evals": [h["eval_accuracy"] for h in state.log_history if "eval_accuracy" in h],
        "epoch": state.epoch, "best_metric": state.best_metric,
        "final_accuracy": trainer.evaluate()["eval_accuracy"],
        "groups": groups, "label_smoothing": smoother.epsilon if smoother else 0.0,
        "dropout": {n: m.p for n, m in model.named_modules() if isinstance(m, nn.Dropout)},
        "callbacks": [type(c).__name__ for c in trainer.callback_handler.callbacks],
        "max_grad_norm": trainer.args.max_grad_norm,
    }


def _ece(probs, labels, n_bins=15):
    """Expected calibration error: equal-width confidence bins, count-weighted |acc − conf|."""
    conf, pred = probs.max(-1)
    hit = (pred == labels).double()
    total = 0.0
    for k in range(n_bins):
        mask = (conf > k / n_bins) & (conf <= (k + 1) / n_bins)
        if mask.any():
            total += float(mask.sum()) / len(labels) * abs(float(hit[mask].mean())
                                                           - float(conf[mask].double().mean()))
    return total


def report_calibration(model, test_loader, temperature):
    """Print the test accuracy and ECE without and with ``temperature`` as one JSON line."""
    model.eval()
    with torch.no_grad():
        logits = torch.cat([model(x) for x, _ in test_loader]).double()
    labels = torch.cat([y for _, y in test_loader])
    print(json.dumps({
        "temperature": float(temperature),
        "test_accuracy": float((logits.argmax(-1) == labels).double().mean()),
        "scaled_accuracy": float(((logits / temperature).argmax(-1) == labels).double().mean()),
        "ece_before": _ece(logits.softmax(-1), labels),
        "ece_after": _ece((logits / temperature).softmax(-1), labels)}))
