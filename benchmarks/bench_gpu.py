"""GPU: regadvisor's engine against the textbook loop on a CNN that loads the GPU, and a check
that regadvisor's step loop makes no host synchronisation.

Prepared for a machine with one CUDA GPU; it runs in about 2 minutes there (well under 10).
Synthetic data (random 3×32×32 images, 10 classes) in an in-memory ``TensorDataset`` behind a
shuffling DataLoader, so regadvisor holds it on the GPU (its fast path) while the textbook loop
copies each batch (``.to(device)``) and reads ``loss.item()`` every step, with default Adam.

1. Speed: per-epoch median over interleaved repeats of textbook fp32, regadvisor fp32, textbook
   bf16 autocast, regadvisor ``amp=True`` (bf16 autocast), and regadvisor's trial loop (no
   eval-mode training figures) in fp32 and bf16; ratios measured in the same run.
2. Host synchronisation: ``torch.cuda.set_sync_debug_mode("warn")`` makes every synchronising
   CUDA call warn; the warnings are counted for two datasets that differ only in steps per epoch
   (50 and 200). Equal counts mean no synchronisation per step (only per epoch). The textbook
   loop, which syncs every step with ``loss.item()``, is counted too as the positive control.

Without CUDA it says so, runs every code path once on the CPU on tiny data (a smoke test), and
writes ``results/gpu_cpu_smoke.json``; on a GPU it writes ``results/gpu.json``.

    python benchmarks/bench_gpu.py [--epochs 3] [--repeats 3] [--batch 256]
"""

from __future__ import annotations

import argparse
import collections
import sys
import time
import warnings
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import Clock, median, write_result  # noqa: E402
from regadvisor.training import RegConfig, train  # noqa: E402


def make_model(width: int) -> nn.Module:
    w = width

    def block(cin, cout):
        return [nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                nn.ReLU(inplace=True)]

    return nn.Sequential(
        *block(3, w), *block(w, w), nn.MaxPool2d(2),
        *block(w, 2 * w), *block(2 * w, 2 * w), nn.MaxPool2d(2),
        *block(2 * w, 4 * w), *block(4 * w, 4 * w), nn.AdaptiveAvgPool2d(1),
        nn.Flatten(), nn.Linear(4 * w, 256), nn.ReLU(inplace=True), nn.Dropout(0.2),
        nn.Linear(256, 10),
    )


def make_loaders(steps: int, batch: int, val: int, size: int, seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    n = steps * batch
    x = torch.randn(n + val, 3, size, size, generator=g)
    y = torch.randint(0, 10, (n + val,), generator=g)
    return (DataLoader(TensorDataset(x[:n], y[:n]), batch_size=batch, shuffle=True),
            DataLoader(TensorDataset(x[n:], y[n:]), batch_size=batch))


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def textbook(width, loaders, epochs, seed, device, amp) -> float:
    torch.manual_seed(seed)
    sync(device)
    start = time.perf_counter()
    model = make_model(width).to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=amp)
    train_loader, val_loader = loaders
    for _ in range(epochs):
        model.train()
        running = 0.0
        for x, y in train_loader:
            x, y = x.to(device), y.to(device)
            optimizer.zero_grad()
            with autocast:
                out = model(x)
            loss = criterion(out.float(), y)
            loss.backward()
            optimizer.step()
            running += loss.item() * len(y)
        model.eval()
        correct, total, val_loss = 0, 0, 0.0
        with torch.no_grad():
            for x, y in val_loader:
                x, y = x.to(device), y.to(device)
                with autocast:
                    out = model(x)
                val_loss += criterion(out.float(), y).item() * len(y)
                correct += (out.argmax(1) == y).sum().item()
                total += len(y)
    sync(device)
    return time.perf_counter() - start


def regadvisor(width, loaders, epochs, seed, device, amp, figures=True) -> float:
    config = RegConfig(max_epochs=epochs, seed=seed)
    sync(device)
    start = time.perf_counter()
    train(lambda: make_model(width), *loaders, config, device=device, amp=amp,
          train_figures=figures)
    sync(device)
    return time.perf_counter() - start


def count_syncs(fn) -> tuple[int, list[str]]:
    """Synchronising CUDA calls made by ``fn()`` (with where they came from)."""
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("warn")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fn()
    finally:
        torch.cuda.set_sync_debug_mode(0)
    # "called a synchronizing CUDA operation" (not the notice that the mode is a prototype)
    hits = [w for w in caught if "synchronizing" in str(w.message).lower()]
    where = collections.Counter(f"{Path(w.filename).name}:{w.lineno}" for w in hits)
    return len(hits), [f"{k} ×{v}" for k, v in where.most_common(10)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--quick", action="store_true", help="2 repeats of 2 epochs")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.epochs = 2, 2
    cuda = torch.cuda.is_available()
    clock = Clock()
    if cuda:
        device = torch.device("cuda")
        torch.backends.cudnn.benchmark = True
        width, steps, batch, size, val = args.width, args.steps, args.batch, 32, 4096
        epochs, repeats = args.epochs, args.repeats
    else:
        print("CUDA is not available: skipping the GPU timings and the host-synchronisation "
              "check; running each code path once on the CPU on tiny data (smoke test).")
        device = torch.device("cpu")
        width, steps, batch, size, val = 4, 3, 8, 8, 16
        epochs, repeats = 1, 1
    loaders = make_loaders(steps, batch, val, size)
    arms = {
        "textbook_fp32": lambda r: textbook(width, loaders, epochs, r, device, False),
        "regadvisor_fp32": lambda r: regadvisor(width, loaders, epochs, r, device, False),
        "textbook_bf16": lambda r: textbook(width, loaders, epochs, r, device, True),
        "regadvisor_bf16": lambda r: regadvisor(width, loaders, epochs, r, device, True),
        "regadvisor_trial_fp32": lambda r: regadvisor(width, loaders, epochs, r, device, False,
                                                      figures=False),
        "regadvisor_trial_bf16": lambda r: regadvisor(width, loaders, epochs, r, device, True,
                                                      figures=False),
    }
    if cuda:
        for fn in arms.values():  # warm-up: cuDNN autotuning, allocator
            fn(0)
    times = {k: [] for k in arms}
    for r in range(repeats):
        for key, fn in arms.items():
            times[key].append(fn(r) / epochs)
    ms = {k: 1000 * median(v) for k, v in times.items()}
    speed = {
        "ms_per_epoch": ms,
        "ms_per_epoch_all": {k: [round(1000 * t, 2) for t in v] for k, v in times.items()},
        "speedup_fp32": ms["textbook_fp32"] / ms["regadvisor_fp32"],
        "speedup_bf16": ms["textbook_bf16"] / ms["regadvisor_bf16"],
        "speedup_trial_fp32": ms["textbook_fp32"] / ms["regadvisor_trial_fp32"],
        "speedup_trial_bf16": ms["textbook_bf16"] / ms["regadvisor_trial_bf16"],
        "bf16_gain_regadvisor": ms["regadvisor_fp32"] / ms["regadvisor_bf16"],
        "bf16_gain_textbook": ms["textbook_fp32"] / ms["textbook_bf16"],
        "steps_per_epoch": steps, "batch": batch, "image": [3, size, size], "width": width,
        "params": sum(p.numel() for p in make_model(width).parameters()),
        "epochs_per_run": epochs, "repeats": repeats,
    }
    note = "" if cuda else " (CPU smoke test on tiny data: not a measurement)"
    print(", ".join(f"{k} {v:.1f} ms/epoch" for k, v in ms.items()) + note)
    print(f"speed-up fp32 {speed['speedup_fp32']:.2f}x, bf16 {speed['speedup_bf16']:.2f}x; "
          f"trial loop fp32 {speed['speedup_trial_fp32']:.2f}x, bf16 "
          f"{speed['speedup_trial_bf16']:.2f}x{note}")

    syncs = None
    if cuda:
        short = make_loaders(50, batch, val, size, seed=1)
        long = make_loaders(200, batch, val, size, seed=1)
        syncs = {}
        for label, fn in (
            ("regadvisor_fp32", lambda ld: regadvisor(width, ld, 2, 0, device, False)),
            ("regadvisor_bf16", lambda ld: regadvisor(width, ld, 2, 0, device, True)),
            ("regadvisor_trial_bf16", lambda ld: regadvisor(width, ld, 2, 0, device, True,
                                                            figures=False)),
            ("textbook_fp32", lambda ld: textbook(width, ld, 2, 0, device, False)),
        ):
            n50, where50 = count_syncs(lambda fn=fn: fn(short))
            n200, where200 = count_syncs(lambda fn=fn: fn(long))
            syncs[label] = {"steps_50": n50, "steps_200": n200,
                            "per_step_syncs": (n200 - n50) / (2 * 150),
                            "where_50": where50, "where_200": where200}
            print(f"sync warnings {label}: {n50} (2 epochs × 50 steps) vs {n200} "
                  f"(2 epochs × 200 steps)")
        syncs["no_per_step_sync"] = (syncs["regadvisor_fp32"]["steps_50"]
                                     == syncs["regadvisor_fp32"]["steps_200"]
                                     and syncs["regadvisor_bf16"]["steps_50"]
                                     == syncs["regadvisor_bf16"]["steps_200"]
                                     and syncs["regadvisor_trial_bf16"]["steps_50"]
                                     == syncs["regadvisor_trial_bf16"]["steps_200"])
        print(f"regadvisor step loop free of host syncs: {syncs['no_per_step_sync']}")
    name = "gpu" if cuda else "gpu_cpu_smoke"
    path = write_result(name, {
        "skipped": not cuda,
        "device": torch.cuda.get_device_name(0) if cuda else "cpu (smoke test only)",
        "speed": speed, "sync_check": syncs,
    }, clock)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
