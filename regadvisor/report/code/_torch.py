"""The recommended change as a plain PyTorch training: functions and the loop that calls them.

The code trains as regadvisor's loop trained the recommendation, so that pasted in place of the
user's own training it reproduces what verification measured: the optimizer with the decay and
no-decay groups by parameter name, dropout, label smoothing, L1, the user's learning-rate
schedule stepped when theirs steps (every batch, or after each epoch's validation;
``ReduceLROnPlateau`` with the validation loss), and early stopping with regadvisor's rule
(an equal accuracy with a lower validation loss counts as an improvement), restoring the best
epoch's weights. Batches are read as regadvisor read them: ``(inputs, targets)``, the
experiment's ``batch(b)``, or a dict whose ``labels`` are the targets; the logits are taken
where the model returns them. An experiment's own ``training_step(model, batch)`` gives the
training loss (the batch as the loader yields it, on the device) and its ``clip_grad(model)``
runs between the backward pass and the optimizer step, as in regadvisor's loop.
"""

from __future__ import annotations

from regadvisor._record import to_plain
from regadvisor.report.code._common import CodePart, expected_names, g, names, one_line
from regadvisor.report.code._context import CodeContext
from regadvisor.training.param_groups import EXEMPT_CODE

__all__ = ["torch_loop"]

#: Optimizer arguments left out of the code when they hold torch's default.
_DEFAULTS = {"betas": [0.9, 0.999], "eps": 1e-8, "amsgrad": False, "momentum": 0, "dampening": 0,
             "nesterov": False, "maximize": False, "capturable": False, "differentiable": False,
             "foreach": None, "fused": None, "decoupled_weight_decay": False}
#: regadvisor's no-decay rule (biases and 1-D parameters), as code.
RULE = EXEMPT_CODE


def torch_loop(ctx: CodeContext) -> list[CodePart]:
    """The pieces for a plain PyTorch training loop, in the order a script defines them.

    Returns:
        ``header``, ``dropout``, ``optimizer``, ``augment``, ``loss``, ``l1``,
        ``early_stopping`` and ``training`` (the pieces that apply; ``training`` always), or
        nothing when the configuration changes nothing.
    """
    parts = [dropout_part(ctx), optimizer_part(ctx), _augment(ctx), _loss(ctx), _l1(ctx),
             _early_stopping(ctx)]
    present = [p for p in parts if p is not None]
    if not ctx.changes_training and not [p for p in present
                                         if p.key != "optimizer" or ctx.decays]:
        return []
    keys = {p.key for p in present}
    return [_header(ctx, keys), *present, _training(ctx, keys)]


# ---------------------------------------------------------------------------------------------
# The pieces
# ---------------------------------------------------------------------------------------------

def _header(ctx: CodeContext, keys: set[str]) -> CodePart:
    expects = [("model", f"your {one_line(ctx.model_class)}, built and not yet trained"),
               ("train_loader, val_loader", "your training and validation loaders"
                + (" (dict batches: their\n'labels' are the targets)" if ctx.dict_batch
                   else "")),
               ("criterion", "your loss module" + (
                   " (it measures the validation loss; your\ntraining_step's loss trains)"
                   if ctx.training_step else ""))]
    if ctx.training_step:
        expects.append(("training_step(model, batch)", "your training step, the loss of one "
                        "batch, as in your\nexperiment file"))
    if ctx.clip_grad:
        expects.append(("clip_grad(model)", "your gradient clipping, as in your experiment "
                        "file"))
    if ctx.schedule is not None:
        expects.append(("scheduler(optimizer)", "your learning-rate schedule "
                        f"({one_line(ctx.schedule.describe())}), built on the\n"
                        "optimizer it is given: the function of your experiment file"))
    if ctx.batch_fn:
        expects.append(("batch(b)", "your batch(b) -> (inputs, targets), as in your experiment "
                        "file"))
    if "augment" in keys:
        expects.append(("data(augment=s)", "your data(), as in your experiment file"))
    lines = ["# regadvisor's recommended change for a plain PyTorch training loop, as it was",
             "# trained and verified. Paste it in place of your optimizer, schedule and training",
             "# loop. It expects these names from your script:"]
    lines += expected_names(expects)
    lines += ["# and leaves `model` trained (with the best epoch's weights when it stops early)."]
    return CodePart("header", "what the code expects from your script", (), "\n".join(lines), ())


def dropout_part(ctx: CodeContext) -> CodePart | None:
    """``apply_dropout(model)``: p on the model's own dropout modules, or dropout injected in
    front of the layers regadvisor chose."""
    p = ctx.config.dropout
    if p is None:
        return None
    changed = list(ctx.placement.dropout_changed)
    injected = list(ctx.placement.dropout_injected)
    if changed:
        return CodePart("dropout", f"dropout p = {g(p)} in your dropout modules", (),
                        module_dropout(changed, p), ("dropout",))
    if not injected or not p:
        return None
    shapes = {x.name: x.detail for x in ctx.layers}
    where = one_line(", ".join(f"{n} ({shapes[n]})" if shapes.get(n) else n for n in injected))
    body = "\n".join([
        "def apply_dropout(model):",
        f"    # nn.Dropout({g(p)}) in front of the fully connected layers that read hidden units:",
        f"    # {where}.",
        f"    for name in {injected!r}:",
        '        parent, _, child = name.rpartition(".")',
        "        owner = model.get_submodule(parent) if parent else model",
        f"        setattr(owner, child, nn.Sequential(nn.Dropout({g(p)}), getattr(owner, child)))",
    ])
    return CodePart("dropout", f"dropout p = {g(p)} before {len(injected)} linear layer"
                    f"{'s' if len(injected) != 1 else ''}", ("from torch import nn",), body,
                    ("dropout",))


def module_dropout(changed: list[str], p: float) -> str:
    """``apply_dropout(model)`` setting p on the model's own dropout modules, by name."""
    return "\n".join([
        "def apply_dropout(model):",
        f"    # Your dropout modules ({names(changed)}) with p = {g(p)}:",
        f"    for name in {changed!r}:",
        f"        model.get_submodule(name).p = {g(p)}",
    ])


def optimizer_part(ctx: CodeContext) -> CodePart:
    """``make_optimizer(model)``: the optimizer regadvisor built, by parameter name."""
    config, placement = ctx.config, ctx.placement
    wd = float(config.weight_decay)
    opt = config.optimizer
    name = placement.optimizer or opt.name
    module = opt.module or "torch.optim"
    cls = f"torch.optim.{name}" if module.startswith("torch.optim") else f"{module}.{name}"
    lr = config.lr or opt.lr
    kwargs = to_plain(placement.optimizer_kwargs)  # lists, as _DEFAULTS and the code write them
    extra = [f"{k}={v!r}" for k, v in kwargs.items() if _DEFAULTS.get(k, object()) != v]
    args = ", ".join([f"lr={float(lr)!r}", *extra])
    settings = ("optimizer", "weight_decay", "exempt")
    imports = ("import torch",) if cls.startswith("torch.") else ("import torch",
                                                                  f"import {module}")
    no_decay = list(placement.no_decay)
    if wd <= 0 or not no_decay:
        decay = f", weight_decay={g(wd)}" if wd > 0 else ""
        body = "\n".join(["def make_optimizer(model):",
                          f"    return {cls}(model.parameters(), {args}{decay})"])
        title = (f"{name} with weight decay {g(wd)} on every parameter" if wd > 0
                 else f"{name} without weight decay")
        return CodePart("optimizer", title, imports, body, settings)
    keep = ctx.keep_undecayed
    by_rule = config.exempt == "bias_and_norm"
    test = " or ".join(([RULE] if by_rule else []) + (["name in keep_undecayed"] if keep else []))
    lines = ["def make_optimizer(model):"]
    if by_rule:
        lines += ["    # Weight decay on the weight matrices only; biases and 1-D parameters "
                  "(norm scales",
                  "    # and shifts) are exempt" + (", and so are the parameters named in "
                                                    "keep_undecayed." if keep else ".")]
    else:
        lines.append("    # Weight decay on every parameter but those named in keep_undecayed.")
    lines += [
        f"    # For your {one_line(ctx.model_class)} (names as in your model, before any "
        "dropout is added):",
        f"    #   decayed:     {names(list(placement.decay))}",
        f"    #   not decayed: {names(no_decay)}",
    ]
    if keep:
        lines.append(f"    keep_undecayed = {_name_set(keep)}  # {ctx.keep_why}")
    lines += [
        "    decay, no_decay = [], []",
        "    for name, p in model.named_parameters():",
        "        if p.requires_grad:",
        f"            (no_decay if {test} else decay).append(p)",
        f"    return {cls}(",
        f'        [{{"params": decay, "weight_decay": {g(wd)}}},',
        '         {"params": no_decay, "weight_decay": 0.0}],',
        f"        {args},",
        "    )",
    ]
    title = (f"{name} with weight decay {g(wd)} on the weights, none on "
             + ("biases and norms" if by_rule else "the parameters you exempt"))
    return CodePart("optimizer", title, imports, "\n".join(lines), settings)


def _name_set(items: list[str]) -> str:
    return "{" + ", ".join(repr(one_line(n)) for n in items) + "}"


def _augment(ctx: CodeContext) -> CodePart | None:
    s = ctx.config.augment
    if s is None or (ctx.baseline is not None and ctx.baseline.augment == s):
        return None  # the strength the user's data() already has: nothing to change
    body = (f"# Your data() with augmentation strength {g(s)} for training (your validation "
            "loader stays):\n"
            f"train_loader = data(augment={g(s)})[0]")
    return CodePart("augment", f"augmentation strength {g(s)}", (), body, ("augment",))


def _loss(ctx: CodeContext) -> CodePart | None:
    eps = float(ctx.config.label_smoothing)
    yours = float(ctx.baseline.label_smoothing if ctx.baseline else 0.0)
    if (eps <= 0 and yours <= 0) or ctx.training_step:
        return None  # a training_step computes its own loss: nothing to smooth in
    body = "\n".join([
        "def smoothed(criterion):",
        f"    # Your cross-entropy loss with label smoothing {g(eps)} for training, and without "
        "it",
        "    # for measuring the validation loss.",
        "    train_criterion, eval_criterion = copy.deepcopy(criterion), copy.deepcopy(criterion)",
        f"    train_criterion.label_smoothing = {g(eps) if eps > 0 else '0.0'}",
        "    eval_criterion.label_smoothing = 0.0",
        "    return train_criterion, eval_criterion",
    ])
    return CodePart("loss", f"label smoothing ε = {g(eps)}" if eps > 0 else
                    "no label smoothing", ("import copy",), body, ("label_smoothing",))


def _l1(ctx: CodeContext) -> CodePart | None:
    l1 = float(ctx.config.l1)
    if l1 <= 0:
        return None
    keep = ctx.keep_undecayed
    test = "p.ndim >= 2" + (f" and name not in {_name_set(keep)}" if keep else "")
    body = "\n".join([
        "def l1_weights(model):",
        "    # The weight matrices the L1 penalty applies to (not biases"
        + (", nor the parameters kept undecayed)." if keep else ")."),
        f"    return [p for name, p in model.named_parameters() if {test}]",
        "",
        "",
        "def l1_penalty(weights):",
        f"    return {g(l1)} * sum(p.abs().sum() for p in weights)",
    ])
    return CodePart("l1", f"L1 penalty {g(l1)}", (), body, ("l1",))


def _figure(ctx: CodeContext) -> tuple[str, bool]:
    """The monitored figure in words, and whether it is the loss (lower is better)."""
    on_loss = ctx.config.monitor == "val_loss" or not ctx.classification
    return ("validation loss" if on_loss else "validation accuracy"), on_loss


def _early_stopping(ctx: CodeContext) -> CodePart | None:
    patience = ctx.config.patience_epochs
    if patience is None:
        return None
    figure, on_loss = _figure(ctx)
    delta = float(ctx.config.min_delta)
    improved = "self.best is None or score < self.best - self.min_delta"
    lines = [
        "class EarlyStopping:",
        f"    # Stop after {patience} epochs without improvement of the {figure} by more than "
        "min_delta,",
        "    # and keep the best epoch's weights"
        + ("." if on_loss else "; an epoch with an equal accuracy and a lower validation loss "),
    ]
    if not on_loss:
        lines.append("    # also counts as an improvement (accuracy moves in coarse steps).")
    lines += [
        "",
        f"    def __init__(self, patience={patience}, min_delta={g(delta) if delta else '0.0'}):",
        "        self.patience, self.min_delta = patience, min_delta",
        "        self.best, self.best_loss, self.best_state, self.waited = None, math.inf, None, 0",
        "",
        "    def step(self, model, val_loss, val_accuracy):",
        "        # True when training should stop.",
        f"        score = {'val_loss' if on_loss else '-val_accuracy'}  # lower is better",
    ]
    if on_loss:
        lines.append(f"        if {improved}:")
    else:
        lines += [
            "        tied = (self.best is not None and abs(score - self.best) <= "
            "self.min_delta",
            "                and score <= self.best and val_loss < self.best_loss)",
            f"        if {improved} or tied:",
        ]
    lines += [
        "            self.best, self.best_loss, self.waited = score, val_loss, 0",
        "            self.best_state = copy.deepcopy(model.state_dict())",
        "            return False",
        "        self.waited += 1",
        "        return self.waited >= self.patience",
        "",
        "    def restore(self, model):",
        "        model.load_state_dict(self.best_state)",
    ]
    return CodePart("early_stopping", f"early stopping on the {figure}, patience {patience} "
                    "epochs", ("import copy", "import math"), "\n".join(lines),
                    ("patience_epochs", "monitor", "min_delta"))


def _forward(ctx: CodeContext) -> list[str]:
    """``forward_batch(model, b, device)``: the outputs and targets of one batch, read as
    regadvisor read the experiment's batches."""
    lines = ["def forward_batch(model, b, device):"]
    if ctx.batch_fn:
        lines += ["    inputs, targets = batch(b)  # your batch(b)", "    targets = "
                  "targets.to(device)"]
        if ctx.input_call == "dict":
            lines.append("    outputs = model(**{k: v.to(device) for k, v in inputs.items()})")
        elif ctx.input_call == "tuple":
            lines.append("    outputs = model(*(v.to(device) for v in inputs))")
        else:
            lines.append("    outputs = model(inputs.to(device))")
    elif ctx.dict_batch:
        lines += ["    inputs = {k: v.to(device) for k, v in b.items()}",
                  '    targets = inputs.pop("labels")  # the targets; the model gets the rest',
                  "    outputs = model(**inputs)"]
    else:
        lines += ["    *inputs, targets = (t.to(device) for t in b)",
                  "    outputs = model(*inputs)"]
    if ctx.logits_read == "logits":
        lines.append('    outputs = outputs["logits"]  # the logits in what your model returns')
    elif ctx.logits_read == "first":
        lines.append("    outputs = outputs[0]  # the logits: the first of what your model "
                     "returns")
    if not ctx.classification:
        lines += ["    if targets.shape != outputs.shape and targets.numel() == outputs.numel():",
                  "        targets = targets.view(outputs.shape).to(outputs.dtype)"]
    lines.append("    return outputs, targets")
    return lines


def _evaluate(ctx: CodeContext) -> list[str]:
    if ctx.classification:
        head = "def evaluate_figures(model, loader, criterion):"
        doc = "    # Mean loss and accuracy in eval mode."
        hits = ["            labels = targets.argmax(-1) if targets.ndim > 1 else targets",
                "            hits += int((outputs.argmax(-1) == labels).sum())"]
        result = "    return loss_sum / n, hits / n"
    else:
        head = "def evaluate_figures(model, loader, criterion):"
        doc = "    # Mean loss in eval mode (twice: the loss is the metric of a regression)."
        hits = []
        result = "    return loss_sum / n, loss_sum / n"
    return [head, doc,
            "    model.eval()",
            "    device = next(model.parameters()).device",
            "    loss_sum, hits, n = 0.0, 0, 0",
            "    with torch.no_grad():",
            "        for b in loader:",
            "            outputs, targets = forward_batch(model, b, device)",
            "            loss_sum += float(criterion(outputs, targets)) * targets.shape[0]",
            *hits,
            "            n += targets.shape[0]",
            result]


#: ``to_device(b, device)``: the batch as the loader yields it, every tensor in it on the
#: device, as regadvisor hands it to the experiment's ``training_step``
#: (:func:`regadvisor.training.batch.apply_to_tensors`: any mapping, a Hugging Face
#: ``BatchEncoding`` too, becomes a dict).
_TO_DEVICE = [
    "def to_device(b, device):",
    "    # The batch as your loader yields it, its tensors on the device: what your",
    "    # training_step(model, batch) gets.",
    "    if torch.is_tensor(b):",
    "        return b.to(device)",
    "    if isinstance(b, Mapping):",
    "        return {k: to_device(v, device) for k, v in b.items()}",
    "    if isinstance(b, (list, tuple)):",
    "        return type(b)(to_device(v, device) for v in b)",
    "    return b",
]


def _training(ctx: CodeContext, keys: set[str]) -> CodePart:
    schedule = ctx.schedule
    figure, _ = _figure(ctx)
    epochs = int(ctx.config.max_epochs)
    lines = [*_forward(ctx), "", "", *_evaluate(ctx), "", "",
             *([*_TO_DEVICE, "", ""] if ctx.training_step else []), f"EPOCHS = {epochs}", "", "",
             "def fit(model, train_loader, val_loader, criterion, epochs=EPOCHS):",
             "    optimizer = make_optimizer(model)"]
    if schedule is not None:
        lines.append("    lr_scheduler = scheduler(optimizer)  # your schedule, on this optimizer")
    if "l1" in keys:
        lines.append("    l1_params = l1_weights(model)")
    if "dropout" in keys:
        lines.append("    apply_dropout(model)  # after the optimizer: the parameters stay the "
                     "same")
    lines.append("    train_criterion, eval_criterion = smoothed(criterion)" if "loss" in keys
                 else "    train_criterion = eval_criterion = criterion")
    if "early_stopping" in keys:
        lines.append("    stopper = EarlyStopping()")
    l1 = " + l1_penalty(l1_params)" if "l1" in keys else ""
    lines += [
        "    device = next(model.parameters()).device",
        "    for epoch in range(epochs):",
        "        model.train()",
        "        for b in train_loader:",
    ]
    if ctx.training_step:
        lines.append(f"            loss = training_step(model, to_device(b, device)){l1}"
                     "  # your step's loss")
    else:
        lines += ["            outputs, targets = forward_batch(model, b, device)",
                  f"            loss = train_criterion(outputs, targets){l1}"]
    lines += ["            optimizer.zero_grad(set_to_none=True)",
              "            loss.backward()"]
    if ctx.clip_grad:
        lines.append("            clip_grad(model)  # your clipping, between backward and step")
    lines.append("            optimizer.step()")
    if schedule is not None and schedule.interval == "step":
        lines.append("            lr_scheduler.step()  # every batch, as your schedule steps")
    lines += [
        "        val_loss, val_figure = evaluate_figures(model, val_loader, eval_criterion)",
        '        print(f"epoch {epoch + 1}: validation loss {val_loss:.4f}'
        + (', accuracy {val_figure:.4f}' if ctx.classification else '') + '")',
    ]
    if schedule is not None and schedule.interval == "epoch":
        lines.append("        lr_scheduler.step(val_loss)  # ReduceLROnPlateau, on the validation "
                     "loss" if schedule.plateau else
                     "        lr_scheduler.step()  # after each epoch, as your schedule steps")
    if "early_stopping" in keys:
        lines += ["        if stopper.step(model, val_loss, val_figure):",
                  "            break",
                  "    stopper.restore(model)"]
    lines += ["    return model", "", "", "model = fit(model, train_loader, val_loader, criterion)"]
    how = ["your training_step"] if ctx.training_step else []
    how += ["your clip_grad"] if ctx.clip_grad else []
    how += [f"your {schedule.describe()}"] if schedule is not None else []
    if "early_stopping" in keys:
        how.append(f"early stopping on the {figure}")
    title = "the training loop" + (": " + ", ".join(how) if how else "")
    imports = ("import torch", *(("from collections.abc import Mapping",)
                                 if ctx.training_step else ()))
    return CodePart("training", title, imports, "\n".join(lines), ())

