"""Temperature scaling as code: the part every flavour gets when the verification advises it.

The fit is the one the verification measured (:func:`regadvisor.verification.calibration.
fit_temperature`): the T that minimizes the validation set's negative log-likelihood of
``softmax(logits / T)``, found by a golden-section search over log T. The plain loop's code
collects the validation logits with its own ``forward_batch`` and fits T after training; the
other flavours get the function, called on the validation logits the user collects.
"""

from __future__ import annotations

from regadvisor.report.code._common import CodePart
from regadvisor.report.code._context import CodeContext

__all__ = ["temperature_part"]

_FIT = [
    "def fit_temperature(logits, labels):",
    "    # Temperature scaling: the T > 0 minimizing the negative log-likelihood of",
    "    # softmax(logits / T) on the validation set (logits (N, C), labels (N,) class",
    "    # indices), by a golden-section search over log T in [0.05, 20]. Dividing the logits",
    "    # by T changes no predicted class, only how confident the model says it is.",
    "    z, y = logits.double(), labels.long()",
    "",
    "    def nll(log_t):",
    "        return float(torch.nn.functional.cross_entropy(z / math.exp(log_t), y))",
    "",
    "    lo, hi = math.log(0.05), math.log(20.0)",
    "    ratio = (math.sqrt(5) - 1) / 2",
    "    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)",
    "    fa, fb = nll(a), nll(b)",
    "    for _ in range(60):",
    "        if fa <= fb:",
    "            hi, b, fb = b, a, fa",
    "            a = hi - ratio * (hi - lo)",
    "            fa = nll(a)",
    "        else:",
    "            lo, a, fa = a, b, fb",
    "            b = lo + ratio * (hi - lo)",
    "            fb = nll(b)",
    "    return math.exp((lo + hi) / 2)",
]

_COLLECT = [
    "def validation_logits(model, loader):",
    "    # The model's logits and the class labels over a loader, in eval mode.",
    "    model.eval()",
    "    device = next(model.parameters()).device",
    "    logits, labels = [], []",
    "    with torch.no_grad():",
    "        for b in loader:",
    "            outputs, targets = forward_batch(model, b, device)",
    "            logits.append(outputs.float().cpu())",
    "            labels.append((targets.argmax(-1) if targets.ndim > 1 else targets).cpu())",
    "    return torch.cat(logits), torch.cat(labels)",
]


def temperature_part(ctx: CodeContext, stack: str) -> CodePart:
    """The ``temperature`` part: with the plain loop (``stack == "torch"``), T fitted on the
    validation set after ``fit``; in the other flavours, the function to call on the
    validation logits."""
    if stack == "torch":
        body = [*_FIT, "", "", *_COLLECT, "", "",
                "# Fit T on the validation set once training is done; at inference divide the",
                "# logits by it: probabilities = (logits / temperature).softmax(-1).",
                "temperature = fit_temperature(*validation_logits(model, val_loader))"]
        title = "temperature scaling: T fitted on the validation set after training"
    else:
        body = [*_FIT, "", "",
                "# After training: collect the model's logits and labels on your validation",
                "# set (eval mode), temperature = fit_temperature(logits, labels), and at",
                "# inference divide the logits by it: (logits / temperature).softmax(-1)."]
        title = "temperature scaling: a function to call on the validation logits"
    return CodePart("temperature", title, ("import math", "import torch"), "\n".join(body),
                    ("temperature",))
