"""The recommended change for a LightningModule trained with Lightning's ``Trainer``, in
Lightning's own terms.

- Weight decay: the module's own ``configure_optimizers`` runs with ``self.parameters()``
  giving the decay and no-decay param groups, so its optimizer keeps its class and
  hyperparameters and its scheduler (with its ``interval``, ``frequency`` and ``monitor``) is
  built on the grouped optimizer, as regadvisor rebuilt it (Adam's decoupled decay is the group
  setting ``decoupled_weight_decay=True``: AdamW's update). This needs a ``configure_optimizers``
  that builds its optimizer on ``self.parameters()``, which the header says.
- Dropout: ``apply_dropout(model)``, in the module, as for a plain loop.
- L1: the module's ``training_step`` with the penalty added to the loss it returns.
- Early stopping: ``EarlyStopping`` and ``ModelCheckpoint`` watching a figure the code logs
  itself (``ValidationScore``: the task's loss and the accuracy of the logits on each
  validation batch, as regadvisor measured every arm), so that what the callbacks watch does
  not depend on what the user's ``validation_step`` logs; for accuracy the score ranks an equal
  accuracy with a lower validation loss higher, regadvisor's rule. The best checkpoint's
  weights are loaded after ``fit``.

Label smoothing is never part of it: regadvisor cannot put it inside the loss the user's
``training_step`` computes, and does not search it.
"""

from __future__ import annotations

from regadvisor.report.code._common import CodePart, expected_names, g, names, one_line
from regadvisor.report.code._context import CodeContext
from regadvisor.report.code._torch import RULE, dropout_part

__all__ = ["SCORE", "lightning_trainer"]

#: The key under which the code logs the figure its callbacks watch.
SCORE = "regadvisor_val_score"


def lightning_trainer(ctx: CodeContext) -> list[CodePart]:
    """The pieces for a LightningModule fitted by ``Trainer.fit``, in the order a script
    defines them.

    Returns:
        ``header``, ``dropout``, ``optimizer``, ``l1``, ``early_stopping`` and ``training`` (the
        pieces that apply; ``training`` always), or nothing when the configuration changes
        nothing.
    """
    parts = [dropout_part(ctx), _optimizer(ctx), _l1(ctx), _early_stopping(ctx)]
    present = [p for p in parts if p is not None]
    if not ctx.changes_training and not present:
        return []
    keys = {p.key for p in present}
    return [_header(ctx, keys), *present, _training(ctx, keys)]


def _on_loss(ctx: CodeContext) -> bool:
    return ctx.config.monitor == "val_loss" or not ctx.classification


def _header(ctx: CodeContext, keys: set[str]) -> CodePart:
    expects = [("model", f"your {one_line(ctx.model_class)} (a LightningModule), built and "
                "not yet trained"),
               ("datamodule", "your LightningDataModule"),
               ("trainer", "your Trainer, built and not yet fitted (one validation per epoch)")]
    lines = ["# regadvisor's recommended change for a LightningModule fitted with Lightning's "
             "Trainer,",
             "# as it was trained and verified. Paste it in place of your trainer.fit(...). It "
             "expects",
             "# these names from your script:"]
    lines += expected_names(expects)
    if "optimizer" in keys:
        lines += ["# Your configure_optimizers stays: it must build its optimizer on "
                  "self.parameters(), which",
                  "# then gives the param groups below; your schedule"
                  + (f" ({one_line(ctx.schedule.describe())})" if ctx.schedule else "")
                  + " is built on it as before."]
    lines.append("# It leaves `model` trained"
                 + (" with the best epoch's weights." if "early_stopping" in keys else "."))
    return CodePart("header", "what the code expects from your script", (), "\n".join(lines), ())


def _optimizer(ctx: CodeContext) -> CodePart | None:
    """``with_param_groups(model)``: the module's configure_optimizers on the param groups."""
    config, placement = ctx.config, ctx.placement
    wd = float(config.weight_decay)
    if wd <= 0:
        return None
    user = config.optimizer.name
    built = placement.optimizer or user
    kwargs = placement.optimizer_kwargs
    decoupled = (user != built and built == "AdamW") or bool(kwargs.get("decoupled_weight_decay"))
    extra = ', "decoupled_weight_decay": True' if decoupled else ""
    lr = ""
    if ctx.baseline is not None and config.lr is not None and config.lr != ctx.baseline.lr:
        lr = f', "lr": {float(config.lr)!r}'
    keep = ctx.keep_undecayed
    by_rule = config.exempt == "bias_and_norm"
    test = " or ".join(([RULE] if by_rule else []) + (["name in keep_undecayed"] if keep else []))
    test = test or "False"
    lines = [
        "def with_param_groups(model):",
        f"    # Your configure_optimizers, its optimizer built on two param groups: weight "
        f"decay {g(wd)}",
        "    # " + ("(decoupled, AdamW's update) " if decoupled else "")
        + "on the weight matrices, none on "
        + ("biases and 1-D parameters (norm scales and shifts)" if by_rule
           else "the parameters you exempt") + (" nor on keep_undecayed." if keep and by_rule
                                                 else "."),
        f"    #   decayed:     {names(list(placement.decay))}",
        f"    #   not decayed: {names(list(placement.no_decay))}",
    ]
    if keep:
        lines.append(f"    keep_undecayed = {{{', '.join(repr(one_line(n)) for n in keep)}}}"
                     f"  # {ctx.keep_why}")
    lines += [
        "    configure_optimizers = model.configure_optimizers  # yours",
        "",
        "    def configure_with_groups():",
        "        decay, no_decay = [], []",
        "        for name, p in model.named_parameters():",
        "            if p.requires_grad:",
        f"                (no_decay if {test} else decay).append(p)",
        f'        groups = [{{"params": decay, "weight_decay": {g(wd)}{extra}{lr}}},',
        f'                  {{"params": no_decay, "weight_decay": 0.0{extra}{lr}}}]',
        "        model.parameters = lambda recurse=True: iter(groups)",
        "        try:",
        "            return configure_optimizers()",
        "        finally:",
        "            del model.parameters",
        "",
        "    model.configure_optimizers = configure_with_groups",
    ]
    title = (f"{user} with weight decay {g(wd)} on the weights, none on "
             + ("biases and norms" if by_rule else "the parameters you exempt")
             + ", in your configure_optimizers")
    return CodePart("optimizer", title, (), "\n".join(lines),
                    ("optimizer", "weight_decay", "exempt"))


def _l1(ctx: CodeContext) -> CodePart | None:
    l1 = float(ctx.config.l1)
    if l1 <= 0:
        return None
    keep = ctx.keep_undecayed
    test = "p.ndim >= 2" + (f" and name not in {{{', '.join(repr(n) for n in keep)}}}"
                            if keep else "")
    body = "\n".join([
        "def with_l1(model):",
        f"    # Your training_step with an L1 penalty {g(l1)} on the weight matrices (not biases)",
        "    # added to the loss it returns.",
        f"    weights = [p for name, p in model.named_parameters() if {test}]",
        "    training_step = model.training_step  # yours",
        "",
        "    def training_step_with_l1(batch, batch_idx):",
        "        out = training_step(batch, batch_idx)",
        f"        penalty = {g(l1)} * sum(p.abs().sum() for p in weights)",
        '        if isinstance(out, dict):',
        '            return {**out, "loss": out["loss"] + penalty}',
        "        return out + penalty",
        "",
        "    model.training_step = training_step_with_l1",
    ])
    return CodePart("l1", f"L1 penalty {g(l1)}", (), body, ("l1",))


def _early_stopping(ctx: CodeContext) -> CodePart | None:
    patience = ctx.config.patience_epochs
    if patience is None:
        return None
    on_loss = _on_loss(ctx)
    loss = ("F.cross_entropy(logits, targets, reduction=\"sum\")" if ctx.classification
            else "F.mse_loss(logits.view(targets.shape).to(targets.dtype), targets, "
                 "reduction=\"sum\")")
    lines = [
        "class ValidationScore(Callback):",
        "    # The validation figures regadvisor judged by, from the logits of each validation "
        "batch",
        f"    # in eval mode, logged as {SCORE!r}: "
        + ("the validation loss." if on_loss else
           "the validation accuracy less loss / (1 + loss) / n"),
    ]
    if not on_loss:
        lines += ["    # (n: validation samples), so that an equal accuracy with a lower "
                  "validation loss",
                  "    # scores higher (accuracy moves in coarse steps)."]
    lines += [
        "",
        "    def on_validation_epoch_start(self, trainer, module):",
        "        self.loss_sum, self.hits, self.n = 0.0, 0, 0",
        "",
        "    def on_validation_batch_end(self, trainer, module, outputs, batch, batch_idx,",
        "                                dataloader_idx=0):",
        "        *inputs, targets = batch",
        "        logits = module(*inputs)",
        f"        self.loss_sum += float({loss})",
    ]
    if not on_loss:
        lines.append("        self.hits += int((logits.argmax(-1) == targets).sum())")
    lines += [
        "        self.n += targets.shape[0]",
        "",
        "    def on_validation_epoch_end(self, trainer, module):",
        "        loss = self.loss_sum / self.n",
    ]
    if on_loss:
        lines.append(f'        module.log("{SCORE}", loss)')
    else:
        lines.append(f'        module.log("{SCORE}", self.hits / self.n - loss / (1 + loss) / '
                     "self.n)")
    delta = float(ctx.config.min_delta)
    mode = '"min"' if on_loss else '"max"'
    figure = "validation loss" if on_loss else "validation accuracy"
    lines += [
        "",
        "",
        "def regularized_callbacks():",
        f"    # Early stopping after {patience} epochs without improvement of the {figure} by "
        f"more than {g(delta) if delta else 0},",
        "    # and the best epoch's checkpoint.",
        f"    stop = EarlyStopping(monitor=\"{SCORE}\", mode={mode}, patience={patience},",
        f"                         min_delta={g(delta) if delta else '0.0'})",
        f"    checkpoint = ModelCheckpoint(monitor=\"{SCORE}\", mode={mode}, save_top_k=1)",
        "    return [ValidationScore(), stop, checkpoint]",
    ]
    imports = ("import torch.nn.functional as F",
               "from lightning.pytorch.callbacks import Callback, EarlyStopping, ModelCheckpoint")
    return CodePart("early_stopping", f"early stopping on the {figure}, patience {patience} "
                    "epochs, and the best checkpoint", imports, "\n".join(lines),
                    ("patience_epochs", "monitor", "min_delta"))


def _training(ctx: CodeContext, keys: set[str]) -> CodePart:
    lines = []
    if "dropout" in keys:
        lines.append("apply_dropout(model)")
    if "optimizer" in keys:
        lines.append("with_param_groups(model)")
    if "l1" in keys:
        lines.append("with_l1(model)")
    if "early_stopping" in keys:
        lines.append("callbacks = regularized_callbacks()")
        lines.append("trainer.callbacks.extend(callbacks)")
    if ctx.baseline is not None and ctx.config.max_epochs != ctx.baseline.max_epochs:
        lines.append(f"trainer.fit_loop.max_epochs = {int(ctx.config.max_epochs)}")
    lines.append("trainer.fit(model, datamodule=datamodule)")
    imports: tuple[str, ...] = ()
    if "early_stopping" in keys:
        lines += ["# The best epoch's weights, from its checkpoint:",
                  "best = torch.load(callbacks[-1].best_model_path, weights_only=False)",
                  'model.load_state_dict(best["state_dict"])']
        imports = ("import torch",)
    title = "Trainer.fit with the change" + (
        " and early stopping" if "early_stopping" in keys else "")
    return CodePart("training", title, imports, "\n".join(lines), ())
