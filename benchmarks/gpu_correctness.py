"""CUDA correctness of the training engine: learning, AMP, the fast path, divergence.

Run on a machine with a GPU (a CPU run checks the same code paths on the CPU):

    python benchmarks/gpu_correctness.py
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from regadvisor.examples import digits_mlp  # noqa: E402
from regadvisor.training import OptimizerSpec, RegConfig, StopReason, train  # noqa: E402


def main() -> None:
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    tr, va, te = digits_mlp.data()
    checks = {}

    def acc(model):
        x, y = te.dataset.tensors
        with torch.no_grad():
            return float((model.eval()(x.to(device)).argmax(1).cpu() == y).float().mean())

    cfg = RegConfig(max_epochs=30, weight_decay=1e-2, dropout=0.2, inject_dropout=True,
                    patience_epochs=10, seed=0)
    for amp in (False, True):
        t = time.perf_counter()
        r = train(digits_mlp.model, tr, va, cfg, device=device, amp=amp)
        checks[f"learns_amp_{amp}"] = {
            "test_accuracy": acc(r.model), "best_val_accuracy": r.history.best.val_metric,
            "epochs": r.history.epochs_run, "fast_path": r.history.fast_path,
            "device": r.history.device, "seconds": time.perf_counter() - t}
        assert acc(r.model) > 0.9, checks

    fast = train(digits_mlp.model, tr, va, cfg.replace(max_epochs=5), device=device).history
    slow = train(digits_mlp.model, tr, va, cfg.replace(max_epochs=5), device=device,
                 fast_path=False).history
    diffs = [abs(a.step_loss - b.step_loss) for a, b in zip(fast.records, slow.records,
                                                            strict=True)]
    checks["fast_vs_dataloader_path"] = {"max_step_loss_diff": max(diffs),
                                         "fast": fast.fast_path, "slow": slow.fast_path}
    assert max(diffs) < 1e-3, checks

    class NaNAfter(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(64, 10)
            self.calls = 0

        def forward(self, x):
            out = self.lin(x)
            if self.training:
                self.calls += 1
                if self.calls >= 15:
                    out = out * float("nan")
            return out

    h = train(NaNAfter, tr, va, RegConfig(max_epochs=5), device=device).history
    checks["diverged"] = {"reason": h.stop_reason.value, "at": h.diverged_at}
    assert h.stop_reason is StopReason.DIVERGED and h.diverged_at == (2, 5), checks

    h = train(digits_mlp.model, tr, va, RegConfig(max_epochs=3, optimizer=OptimizerSpec(
        name="SGD", lr=0.05, kwargs={"momentum": 0.9}), weight_decay=5e-4), device=device).history
    checks["sgd"] = {"val_accuracy": h.last.val_metric}
    print(json.dumps({"device": str(device), "name": torch.cuda.get_device_name(0)
                      if device.type == "cuda" else "cpu", "torch": torch.__version__,
                      "checks": checks}, indent=2))


if __name__ == "__main__":
    main()
