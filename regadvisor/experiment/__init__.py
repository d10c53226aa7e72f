"""Loading the user's experiment (model factory, loaders, optimizer, loss) and checking it.

An experiment is a Python file or importable module that defines ``model()`` and ``data()`` (and
optionally ``optimizer(params)``, ``loss()``, ``scheduler(optimizer)``, ``batch(b)``,
``training_step(model, batch)``, ``clip_grad(model)``, ``task``, ``epochs``, ``metric``), or the
same pieces given as import strings or as Python objects. Loading it runs the user's code.
"""

from __future__ import annotations

from regadvisor.errors import ExperimentError
from regadvisor.experiment._fingerprint import identity_change
from regadvisor.experiment._load import import_experiment_module, import_object, resolve_target
from regadvisor.experiment._types import Experiment
from regadvisor.experiment._validate import MIN_SAMPLES, build_experiment, check_sample_counts

__all__ = ["MIN_SAMPLES", "Experiment", "build_experiment", "check_sample_counts",
           "identity_change", "load_experiment"]

_PIECES = ("model", "data", "optimizer", "loss", "scheduler", "batch", "training_step",
           "clip_grad")


def load_experiment(
    target: str | None = None,
    *,
    model: str | None = None,
    data: str | None = None,
    optimizer: str | None = None,
    loss: str | None = None,
    device: str = "cpu",
) -> Experiment:
    """Load an experiment from a file, a module, a bundled example, or import strings.

    Args:
        target: A ``.py`` path, a module name, a bundled example's name, or None for the
            bundled default (``digits_noisy``) when no import strings are given either.
        model, data, optimizer, loss: Import strings ``package.module:attr`` that replace (or,
            without ``target``, provide) the pieces of the contract.
        device: The device training will use.

    Raises:
        ExperimentError: The experiment cannot be found or imported, or breaks the contract.
    """
    overrides = {"model": model, "data": data, "optimizer": optimizer, "loss": loss}
    given = {k: v for k, v in overrides.items() if v is not None}
    pieces: dict[str, object] = {}
    settings: dict[str, object] = {}
    if target is None and given:
        missing = [k for k in ("model", "data") if k not in given]
        if missing:
            raise ExperimentError(
                f"--{missing[0]} is missing: with import strings, give both --model and --data "
                "(e.g. --model mypkg.models:build --data mypkg.data:loaders), or pass an "
                "experiment file.")
        name = given["model"].partition(":")[0].rsplit(".", 1)[-1]
        source = " ".join(f"--{k} {v}" for k, v in given.items())
        bundled = False
    else:
        kind, value = resolve_target(target)
        module, name, source = import_experiment_module(kind, value)
        bundled = kind == "example"
        for piece in _PIECES:
            if hasattr(module, piece):
                pieces[piece] = getattr(module, piece)
        for setting in ("task", "epochs", "metric", "scheduler_interval"):
            if hasattr(module, setting):
                settings[setting] = getattr(module, setting)
        for required in ("model", "data"):
            if required not in pieces and required not in given:
                raise ExperimentError(
                    f"{source} defines no '{required}' function. An experiment needs model() -> "
                    "nn.Module and data() -> (train_loader, val_loader[, test_loader]); see the "
                    "README's experiment contract.")
    for piece, spec in given.items():
        pieces[piece] = import_object(spec, f"--{piece}")
    return build_experiment(
        model=pieces["model"],  # type: ignore[arg-type]
        data=pieces["data"],  # type: ignore[arg-type]
        optimizer=pieces.get("optimizer"),  # type: ignore[arg-type]
        loss=pieces.get("loss"),  # type: ignore[arg-type]
        scheduler=pieces.get("scheduler"),  # type: ignore[arg-type]
        scheduler_interval=settings.get("scheduler_interval"),  # type: ignore[arg-type]
        batch=pieces.get("batch"),  # type: ignore[arg-type]
        training_step=pieces.get("training_step"),  # type: ignore[arg-type]
        clip_grad=pieces.get("clip_grad"),  # type: ignore[arg-type]
        task=settings.get("task"),  # type: ignore[arg-type]
        epochs=settings.get("epochs"),  # type: ignore[arg-type]
        metric=settings.get("metric"),  # type: ignore[arg-type]
        name=name,
        source=source,
        bundled=bundled,
        device=device,
    )


def baseline_config(experiment: Experiment, seed: int = 0, max_epochs: int | None = None):
    """The user's own setup as a RegConfig: their optimizer and weight decay, no extras.

    The parameters the user's optimizer leaves undecayed (its own no-decay param groups) stay
    undecayed.
    """
    from regadvisor.training.config import RegConfig

    spec = experiment.optimizer
    return RegConfig(
        weight_decay=spec.weight_decay,
        decoupled=spec.decoupled,
        exempt="none",
        no_decay=spec.undecayed_params,
        label_smoothing=experiment.label_smoothing,
        augment=experiment.augment,
        optimizer=spec,
        max_epochs=max_epochs or experiment.epochs,
        seed=seed,
        monitor="val_metric" if experiment.metric == "accuracy" else "val_loss",
    )


__all__ += ["ExperimentError", "baseline_config"]
