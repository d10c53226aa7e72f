"""Training-engine speed: regadvisor's loop against a textbook PyTorch loop.

Both train the same model on the same data for the same epochs with the same thread count.
The textbook loop is what a tutorial writes: a DataLoader, default (for-loop) Adam,
``loss.item()`` per step, and a validation pass per epoch. regadvisor's loop also measures the
training figures in eval mode every epoch. Reported: the per-epoch median over repeats and the
ratio, measured in the same run, interleaved.

    python benchmarks/bench_engine.py [--examples digits_mlp digits_cnn] [--threads 2]
"""

from __future__ import annotations

import argparse
import importlib
import sys
import time
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import median, write_result  # noqa: E402
from regadvisor.experiment import baseline_config, load_experiment  # noqa: E402
from regadvisor.training import train  # noqa: E402


def textbook_epoch_seconds(module, epochs: int, seed: int) -> float:
    torch.manual_seed(seed)
    model = module.model()
    train_loader, val_loader, _ = module.data()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
    start = time.perf_counter()
    for _ in range(epochs):
        model.train()
        running = 0.0
        for x, y in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(x), y)
            loss.backward()
            optimizer.step()
            running += loss.item() * len(y)
        model.eval()
        correct, total, val_loss = 0, 0, 0.0
        with torch.no_grad():
            for x, y in val_loader:
                out = model(x)
                val_loss += criterion(out, y).item() * len(y)
                correct += (out.argmax(1) == y).sum().item()
                total += len(y)
    return (time.perf_counter() - start) / epochs


def regadvisor_epoch_seconds(exp, epochs: int, seed: int, fast_path: bool = True) -> float:
    config = baseline_config(exp, seed=seed, max_epochs=epochs)
    start = time.perf_counter()
    train(exp.model_factory, exp.train_loader, exp.val_loader, config, task=exp.task,
          loss_factory=exp.loss_factory, fast_path=fast_path)
    return (time.perf_counter() - start) / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", nargs="+", default=["digits_mlp", "digits_cnn"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    rows = []
    for name in args.examples:
        module = importlib.import_module(f"regadvisor.examples.{name}")
        exp = load_experiment(name)
        textbook_epoch_seconds(module, 2, 0)  # warm-up
        regadvisor_epoch_seconds(exp, 2, 0)
        tb, ra, ra_loader = [], [], []
        for r in range(args.repeats):
            tb.append(textbook_epoch_seconds(module, args.epochs, r))
            ra.append(regadvisor_epoch_seconds(exp, args.epochs, r))
            ra_loader.append(regadvisor_epoch_seconds(exp, args.epochs, r, fast_path=False))
        row = {
            "example": name,
            "threads": args.threads,
            "epochs_per_run": args.epochs,
            "repeats": args.repeats,
            "textbook_ms_per_epoch": 1000 * median(tb),
            "regadvisor_ms_per_epoch": 1000 * median(ra),
            "regadvisor_dataloader_path_ms_per_epoch": 1000 * median(ra_loader),
            "speedup": median(tb) / median(ra),
        }
        rows.append(row)
        print(f"{name}: textbook {row['textbook_ms_per_epoch']:.1f} ms/epoch, regadvisor "
              f"{row['regadvisor_ms_per_epoch']:.1f} ms/epoch (DataLoader path "
              f"{row['regadvisor_dataloader_path_ms_per_epoch']:.1f}); "
              f"speed-up {row['speedup']:.2f}x")
    path = write_result(f"engine_threads{args.threads}", {"rows": rows})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
