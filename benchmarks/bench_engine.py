"""Training-engine speed: regadvisor's loop against a textbook PyTorch loop (and Lightning).

All loops train the same model on the same data for the same epochs with the same thread count.
The textbook loop is what a tutorial writes: a DataLoader, default (for-loop) Adam,
``loss.item()`` per step, and a validation pass per epoch. regadvisor's loop also measures the
training figures in eval mode every epoch where they are read. PyTorch Lightning's ``Trainer``
runs the same model (logging the validation loss and accuracy per epoch) when ``lightning`` is
installed.

Two cases per example:

* ``in-memory``: the bundled ``TensorDataset`` loaders; regadvisor holds them on the device
  (its fast path). Also timed: regadvisor forced through the DataLoader, and ``floor``: the
  least any loop can do with the same steps (held tensors, fused Adam, one validation pass per
  epoch and nothing else), which bounds what a faster loop could reach.

Both cases also time ``regadvisor_trial``: the loop as tuning trials, the noise-aware re-runs and
the unplotted verification seeds run it, without the eval-mode training figures (nobody reads
them there). ``regadvisor`` is the loop of the diagnosis and the plotted runs, figures included.
* ``transforms``: the training set is a ``Dataset`` that adds fresh Gaussian noise to each sample
  on every access (a random transform), so every loop must go through the DataLoader. Target:
  regadvisor within 5 % of the textbook loop.

Each repeat runs every loop once, interleaved (A, B, C, A, B, C, ...); reported: the median over
repeats of the per-epoch time (a run's wall time / its epochs, model building included) and
ratios of medians measured in the same run. The CPU time of the process (all its threads, from
``time.process_time``) is recorded beside the wall time: on a shared machine it is less
disturbed by other jobs (with one thread it is close to the work done).

    python benchmarks/bench_engine.py [--examples digits_mlp digits_cnn] [--threads 2]
                                      [--epochs 10] [--repeats 7] [--quick]
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
import time
import warnings
from pathlib import Path

import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._common import Clock, median, write_result  # noqa: E402
from regadvisor.experiment import baseline_config, build_experiment  # noqa: E402
from regadvisor.training import train  # noqa: E402


class NoisyDataset(Dataset):
    """A random transform: each access returns the sample plus fresh Gaussian noise."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, sigma: float = 0.05) -> None:
        self.x, self.y, self.sigma = x, y, sigma

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int):
        x = self.x[i]
        return x + self.sigma * torch.randn_like(x), self.y[i]


def make_loaders(module, case: str):
    """(train, val) loaders of an example, as given or with the noise transform."""
    train_loader, val_loader, *_ = module.data()
    if case == "in-memory":
        return train_loader, val_loader
    x, y = train_loader.dataset.tensors
    return (DataLoader(NoisyDataset(x, y), batch_size=train_loader.batch_size, shuffle=True),
            val_loader)


def textbook_seconds(module, loaders, epochs: int, seed: int) -> float:
    torch.manual_seed(seed)
    start, cpu = time.perf_counter(), time.process_time()
    model = module.model()
    train_loader, val_loader = loaders
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    criterion = nn.CrossEntropyLoss()
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
    return time.perf_counter() - start, time.process_time() - cpu


def floor_seconds(module, loaders, epochs: int, seed: int) -> float:
    """The least a loop can do per epoch: the same steps on held tensors with fused Adam, one
    shuffle per epoch, and one validation pass; no early stopping, no records, no checks."""
    torch.manual_seed(seed)
    start, cpu = time.perf_counter(), time.process_time()
    model = module.model()
    train_loader, val_loader = loaders
    x, y = train_loader.dataset.tensors
    vx, vy = val_loader.dataset.tensors
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3, fused=True)
    criterion = nn.CrossEntropyLoss()
    bs, n = train_loader.batch_size, len(y)
    for _ in range(epochs):
        model.train()
        order = torch.randperm(n)
        for i in range(0, n, bs):
            idx = order[i:i + bs]
            loss = criterion(model(x[idx]), y[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            out = model(vx)
            float(criterion(out, vy))
            int((out.argmax(1) == vy).sum())
    return time.perf_counter() - start, time.process_time() - cpu


def regadvisor_seconds(exp, epochs: int, seed: int, **kwargs) -> float:
    config = baseline_config(exp, seed=seed, max_epochs=epochs)
    start, cpu = time.perf_counter(), time.process_time()
    train(exp.model_factory, exp.train_loader, exp.val_loader, config, task=exp.task,
          loss_factory=exp.loss_factory, **kwargs)
    return time.perf_counter() - start, time.process_time() - cpu


def lightning_available() -> str | None:
    try:
        import lightning
    except ImportError:
        return None
    return lightning.__version__


def lightning_seconds(module, loaders, epochs: int, seed: int) -> float:
    import lightning as L

    class Wrapped(L.LightningModule):
        def __init__(self, net):
            super().__init__()
            self.net = net
            self.criterion = nn.CrossEntropyLoss()

        def training_step(self, batch, batch_idx):
            x, y = batch
            return self.criterion(self.net(x), y)

        def validation_step(self, batch, batch_idx):
            x, y = batch
            out = self.net(x)
            self.log("val_loss", self.criterion(out, y), prog_bar=False)
            self.log("val_acc", (out.argmax(1) == y).float().mean(), prog_bar=False)

        def configure_optimizers(self):
            return torch.optim.Adam(self.parameters(), lr=1e-3)

    torch.manual_seed(seed)
    start, cpu = time.perf_counter(), time.process_time()
    model = Wrapped(module.model())
    trainer = L.Trainer(max_epochs=epochs, accelerator="cpu", devices=1, logger=False,
                        enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, num_sanity_val_steps=0)
    trainer.fit(model, *loaders)
    return time.perf_counter() - start, time.process_time() - cpu


def run_case(name: str, case: str, args, lightning: bool) -> dict:
    module = importlib.import_module(f"regadvisor.examples.{name}")
    loaders = make_loaders(module, case)
    exp = build_experiment(model=module.model, data=lambda: loaders,
                           optimizer=module.optimizer, task=module.task, epochs=args.epochs,
                           name=f"{name}-{case}", source=f"bundled example {name}")
    arms = {
        "textbook": lambda r: textbook_seconds(module, loaders, args.epochs, r),
        "regadvisor": lambda r: regadvisor_seconds(exp, args.epochs, r),
    }
    if case == "in-memory":
        arms["regadvisor_dataloader_path"] = lambda r: regadvisor_seconds(
            exp, args.epochs, r, fast_path=False)
        arms["floor"] = lambda r: floor_seconds(module, loaders, args.epochs, r)
    arms["regadvisor_trial"] = lambda r: regadvisor_seconds(
        exp, args.epochs, r, train_figures=False)
    if lightning:
        arms["lightning"] = lambda r: lightning_seconds(module, loaders, args.epochs, r)
    for fn in arms.values():  # warm-up (one run each, not timed)
        fn(0)
    times: dict[str, list[float]] = {k: [] for k in arms}
    cpu: dict[str, list[float]] = {k: [] for k in arms}
    for r in range(args.repeats):
        for key, fn in arms.items():
            wall, used = fn(r)
            times[key].append(wall / args.epochs)
            cpu[key].append(used / args.epochs)
    ms = {k: 1000 * median(v) for k, v in times.items()}
    cpu_ms = {k: 1000 * median(v) for k, v in cpu.items()}
    row = {"example": name, "case": case, "threads": args.threads,
           "epochs_per_run": args.epochs, "repeats": args.repeats,
           "ms_per_epoch": ms,
           "ms_per_epoch_all": {k: [round(1000 * t, 3) for t in v] for k, v in times.items()},
           "speedup_vs_textbook": {k: ms["textbook"] / v for k, v in ms.items()
                                   if k != "textbook"},
           "cpu_ms_per_epoch": cpu_ms,
           "cpu_speedup_vs_textbook": {k: cpu_ms["textbook"] / v for k, v in cpu_ms.items()
                                       if k != "textbook"}}
    row["regadvisor_overhead_vs_textbook"] = ms["regadvisor"] / ms["textbook"] - 1
    row["regadvisor_overhead_vs_textbook_cpu"] = cpu_ms["regadvisor"] / cpu_ms["textbook"] - 1
    print(f"{name} [{case}]: " + ", ".join(f"{k} {v:.1f} ms/epoch" for k, v in ms.items())
          + f"; regadvisor speed-up {ms['textbook'] / ms['regadvisor']:.2f}x (CPU time "
          f"{cpu_ms['textbook'] / cpu_ms['regadvisor']:.2f}x)", flush=True)
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", nargs="+", default=["digits_mlp", "digits_cnn"])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--no-lightning", action="store_true")
    parser.add_argument("--quick", action="store_true", help="3 repeats of 5 epochs")
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.epochs = 3, 5
    torch.set_num_threads(args.threads)
    lightning_version = None if args.no_lightning else lightning_available()
    if lightning_version:
        logging.getLogger("lightning").setLevel(logging.ERROR)
        logging.getLogger("lightning.pytorch").setLevel(logging.ERROR)
        warnings.filterwarnings("ignore", module="lightning")
        warnings.filterwarnings("ignore", message=".*num_workers.*")
    else:
        print("PyTorch Lightning is not installed (pip install lightning): its column is left out.")
    clock = Clock()
    rows = []
    for name in args.examples:
        for case in ("in-memory", "transforms"):
            rows.append(run_case(name, case, args, bool(lightning_version)))
    path = write_result(f"engine_threads{args.threads}", {
        "lightning": lightning_version,
        "rows": rows,
    }, clock)
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
