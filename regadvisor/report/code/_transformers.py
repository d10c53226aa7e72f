"""The recommended change for ``transformers.Trainer`` users, in Trainer's own knobs.

``TrainingArguments(weight_decay=…, label_smoothing_factor=…)``; early stopping through
``EarlyStoppingCallback`` with an evaluation every epoch, ``load_best_model_at_end`` and
``metric_for_best_model``; dropout through the model's config (``hidden_dropout_prob``,
``attention_probs_dropout_prob``, ``classifier_dropout``) when the dropout modules are those a
BERT-style config sets, else on the modules by name. Trainer's optimizer already leaves biases
and LayerNorm weights undecayed (``Trainer.get_decay_parameter_names``); a subclass overrides
that split only where regadvisor's differs from it (embedding tables exempt, other 1-D
parameters, the user's own undecayed parameters). The user's schedule stays in their
``TrainingArguments``: Trainer steps it after every optimizer step, as before.
"""

from __future__ import annotations

import re

from regadvisor.report.code._common import CodePart, expected_names, g, names, one_line
from regadvisor.report.code._context import CodeContext
from regadvisor.report.code._torch import RULE
from regadvisor.report.code._torch import dropout_part as torch_dropout

__all__ = ["transformers_trainer"]

#: Module names of a BERT-style model's dropout → the config key that sets its p.
_CONFIG_DROPOUT = (
    (re.compile(r"(^|\.)attention\.self\.dropout$"), "attention_probs_dropout_prob"),
    (re.compile(r"(^|\.)(embeddings|output)\.dropout$"), "hidden_dropout_prob"),
    (re.compile(r"^(classifier\.)?dropout$"), "classifier_dropout"),
)
#: The name patterns Trainer.get_decay_parameter_names exempts (besides nn.LayerNorm modules).
_TRAINER_EXEMPT = tuple(re.compile(p) for p in (r"bias", r"layernorm", r"rmsnorm",
                                                 r"(?:^|\.)norm(?:$|\.)", r"_norm(?:$|\.)"))


def transformers_trainer(ctx: CodeContext) -> list[CodePart]:
    """The pieces for a ``transformers.Trainer`` script, in the order a script defines them.

    Returns:
        ``header``, ``dropout``, ``optimizer`` (the subclass, where Trainer's own split
        differs), ``loss`` and ``l1`` (in that subclass), ``early_stopping`` and ``training``
        (``regularized_args`` and ``regularized_trainer``); nothing when the configuration
        changes nothing.
    """
    dropout = _dropout(ctx)
    trainer_class = _trainer_class(ctx)
    args = _args(ctx)
    if dropout is None and trainer_class is None and not args:
        return []
    patience = ctx.config.patience_epochs
    parts = [_header(ctx), *([dropout] if dropout else []),
             *([trainer_class] if trainer_class else []),
             _training(ctx, args, dropout is not None, trainer_class is not None, patience)]
    return parts


def _header(ctx: CodeContext) -> CodePart:
    on_loss = _on_loss(ctx)
    expects = [("model", f"your {one_line(ctx.model_class)}, built and not yet trained"),
               ("args", "your TrainingArguments (your learning rate, schedule and batch\n"
                        "size stay as they are)"),
               ("train_dataset, eval_dataset", "your datasets")]
    if ctx.config.patience_epochs is not None and not on_loss:
        expects.append(("compute_metrics", 'your metrics function; it returns {"accuracy": ...}'))
    lines = ["# regadvisor's recommended change for training with transformers.Trainer, as it",
             "# was trained and verified. Paste it in place of your Trainer(...) and",
             "# trainer.train(). It expects these names from your script:"]
    lines += expected_names(expects)
    if ctx.schedule is not None:
        lines.append(f"# Your schedule ({one_line(ctx.schedule.describe())}) stays in your "
                     "TrainingArguments; Trainer steps it.")
    lines.append("# It leaves `trainer` trained and `model` its model"
                 + (" (the best epoch's weights)." if ctx.config.patience_epochs
                    is not None else "."))
    return CodePart("header", "what the code expects from your script", (), "\n".join(lines), ())


def _on_loss(ctx: CodeContext) -> bool:
    return ctx.config.monitor == "val_loss" or not ctx.classification


def _dropout(ctx: CodeContext) -> CodePart | None:
    p = ctx.config.dropout
    changed = list(ctx.placement.dropout_changed)
    injected = list(ctx.placement.dropout_injected)
    if p is None or not (changed or injected):
        return None
    keys = {_config_key(n) for n in changed}
    if injected or None in keys:
        # Not (only) the modules a BERT-style config sets: set p on the modules by name.
        part = torch_dropout(ctx)
        if part is None:
            return None
        body = part.body.replace("def apply_dropout(model):", "def with_dropout(model):")
        return CodePart("dropout", part.title, part.imports, body + "\n    return model",
                        ("dropout",))
    config = "{" + ", ".join(f'"{k}": {g(p)}' for k in sorted(keys)) + "}"
    body = "\n".join([
        f"# Dropout p = {g(p)} in your model's dropout modules, through its config:",
        f"#   {names(changed)}",
        "# Where you build the model, pass MODEL_DROPOUT: from_pretrained(name, **MODEL_DROPOUT)",
        "# or YourConfig(..., **MODEL_DROPOUT); or rebuild it with with_dropout(model).",
        f"MODEL_DROPOUT = {config}",
        "",
        "",
        "def with_dropout(model):",
        "    # Your model rebuilt from its own config with MODEL_DROPOUT, its weights kept.",
        "    config = copy.deepcopy(model.config)",
        "    for key, value in MODEL_DROPOUT.items():",
        "        setattr(config, key, value)",
        "    rebuilt = type(model)(config)",
        "    rebuilt.load_state_dict(model.state_dict())",
        "    return rebuilt",
    ])
    return CodePart("dropout", f"dropout p = {g(p)} through the model's config",
                    ("import copy",), body, ("dropout",))


def _config_key(module: str) -> str | None:
    for pattern, key in _CONFIG_DROPOUT:
        if pattern.search(module):
            return key
    return None


def _trainer_exempts(name: str) -> bool:
    lowered = name.lower()
    return any(p.search(lowered) for p in _TRAINER_EXEMPT)


def _trainer_class(ctx: CodeContext) -> CodePart | None:
    """A Trainer subclass for what Trainer's own optimizer and loss do not do: another decay
    split, an L1 penalty."""
    decay = list(ctx.placement.decay)
    no_decay = list(ctx.placement.no_decay)
    keep = ctx.keep_undecayed
    split_differs = ctx.decays and (
        any(_trainer_exempts(n) for n in decay) or not all(_trainer_exempts(n) for n in no_decay))
    l1 = float(ctx.config.l1)
    if not split_differs and l1 <= 0:
        return None
    lines = ["class RegularizedTrainer(Trainer):"]
    if keep:
        lines.append(f"    keep_undecayed = {{{', '.join(repr(one_line(n)) for n in keep)}}}"
                     f"  # {ctx.keep_why}")
    test = " or ".join(([RULE] if ctx.config.exempt == "bias_and_norm" else [])
                       + (["name in self.keep_undecayed"] if keep else [])) or "False"
    if split_differs:
        lines += [
            "",
            "    def get_decay_parameter_names(self, model):",
            "        # Weight decay on the weight matrices only; biases and 1-D parameters "
            "(norm scales and",
            "        # shifts) are exempt" + (", and so are the parameters in keep_undecayed."
                                              if keep else "."),
            f"        #   decayed:     {names(decay)}",
            f"        #   not decayed: {names(no_decay)}",
            "        return [name for name, p in model.named_parameters()",
            f"                if not ({test})]",
        ]
    if l1 > 0:
        exempt = " and name not in self.keep_undecayed" if keep else ""
        lines += [
            "",
            "    def compute_loss(self, model, inputs, return_outputs=False, **kwargs):",
            f"        # L1 penalty {g(l1)} on the weight matrices (not biases), added to the "
            "training loss.",
            "        result = super().compute_loss(model, inputs, return_outputs=return_outputs,",
            "                                      **kwargs)",
            f"        penalty = {g(l1)} * sum(p.abs().sum() for name, p in "
            "model.named_parameters()",
            f"                              if p.ndim >= 2{exempt})",
            "        if return_outputs:",
            "            return result[0] + penalty, result[1]",
            "        return result + penalty",
        ]
    what = [w for w, on in (("weight decay split by parameter name", split_differs),
                            (f"L1 penalty {g(l1)}", l1 > 0)) if on]
    settings = (("optimizer", "weight_decay", "exempt") if split_differs else ()) + (
        ("l1",) if l1 > 0 else ())
    return CodePart("optimizer" if split_differs else "l1", "Trainer with " + " and ".join(what),
                    ("from transformers import Trainer",), "\n".join(lines), settings)


def _args(ctx: CodeContext) -> list[tuple[str, str, str]]:
    """``(argument, value, why)`` of the TrainingArguments the change sets."""
    config, baseline = ctx.config, ctx.baseline
    out = []
    if ctx.decays:
        out.append(("weight_decay", g(config.weight_decay), "AdamW's decoupled weight decay"))
    eps = float(config.label_smoothing)
    if eps > 0 or (baseline is not None and baseline.label_smoothing > 0):
        out.append(("label_smoothing_factor", g(eps) if eps > 0 else "0.0",
                    "on the logits, in place of the model's own loss"))
    if baseline is not None and config.lr is not None and config.lr != baseline.lr:
        out.append(("learning_rate", repr(float(config.lr)), "the tuned learning rate"))
    if baseline is not None and config.max_epochs != baseline.max_epochs:
        out.append(("num_train_epochs", str(int(config.max_epochs)), "epochs at most"))
    if config.patience_epochs is not None:
        on_loss = _on_loss(ctx)
        out += [("eval_strategy", '"epoch"', "early stopping: validate every epoch,"),
                ("save_strategy", '"epoch"', "keep each epoch's checkpoint,"),
                ("load_best_model_at_end", "True", "load the best one at the end,"),
                ("metric_for_best_model", '"loss"' if on_loss else '"accuracy"',
                 "judged by the validation " + ("loss" if on_loss else "accuracy")),
                ("greater_is_better", "False" if on_loss else "True", "")]
    return out


def _training(ctx: CodeContext, args: list[tuple[str, str, str]], dropout: bool,
              subclass: bool, patience: int | None) -> CodePart:
    lines = ["def regularized_args(args):"]
    if args:
        lines.append("    return dataclasses.replace(")
        lines.append("        args,")
        for key, value, why in args:
            lines.append(f"        {key}={value},  # {why}" if why else f"        {key}={value},")
        lines.append("    )")
    else:
        lines.append("    return args")
    delta = float(ctx.config.min_delta)
    cls = "RegularizedTrainer" if subclass else "Trainer"
    lines += ["", "", "def regularized_trainer(model, args, **kwargs):",
              f"    # {cls}(model=..., args=..., ...) with the recommended change; the same "
              "arguments."]
    if patience is not None:
        lines += [
            f"    # Early stopping after {patience} evaluations (epochs) without improvement by "
            f"more than {g(delta) if delta else 0}.",
            "    stop = EarlyStoppingCallback(early_stopping_patience="
            f"{patience}, early_stopping_threshold={g(delta) if delta else '0.0'})",
            '    kwargs["callbacks"] = [*(kwargs.get("callbacks") or []), stop]',
        ]
    model = "with_dropout(model)" if dropout else "model"
    lines += [f"    return {cls}(model={model}, args=regularized_args(args), **kwargs)",
              "", "",
              "trainer = regularized_trainer(model, args, train_dataset=train_dataset,",
              "                              eval_dataset=eval_dataset"
              + (", compute_metrics=compute_metrics)"
                 if patience is not None and not _on_loss(ctx) else ")"),
              "trainer.train()",
              "model = trainer.model"]
    imports = ["import dataclasses", "from transformers import Trainer"]
    if patience is not None:
        imports.append("from transformers import EarlyStoppingCallback")
    title = "TrainingArguments and Trainer" + (
        f" with early stopping (patience {patience})" if patience is not None else "")
    settings = tuple(k for k, on in (
        ("weight_decay", ctx.decays), ("label_smoothing", any(a[0] == "label_smoothing_factor"
                                                              for a in args)),
        ("patience_epochs", patience is not None), ("monitor", patience is not None),
        ("min_delta", patience is not None)) if on)
    return CodePart("training", title, tuple(imports), "\n".join(lines), settings)

