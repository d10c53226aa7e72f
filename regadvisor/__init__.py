"""regadvisor: an automated regularization advisor for PyTorch."""

from __future__ import annotations

__version__ = "0.1.0"

from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING, Any  # noqa: E402

from regadvisor._lazy import lazy_names  # noqa: E402
from regadvisor.errors import RegAdvisorError  # noqa: E402

if TYPE_CHECKING:
    from regadvisor.experiment import Experiment, build_experiment, load_experiment
    from regadvisor.pipeline import RunResult
    from regadvisor.training import History, RegConfig, train

# Importing regadvisor (as `regadvisor --version` and `--help` do) does not import torch.
__getattr__ = lazy_names(__name__, {
    "Experiment": "regadvisor.experiment", "build_experiment": "regadvisor.experiment",
    "load_experiment": "regadvisor.experiment", "History": "regadvisor.training",
    "RegConfig": "regadvisor.training", "train": "regadvisor.training"})


def advise(
    experiment: str | Experiment | None = None,
    *,
    model: Any = None,
    data: Any = None,
    optimizer: Any = None,
    loss: Any = None,
    scheduler: Any = None,
    scheduler_interval: str | None = None,
    training_step: Any = None,
    clip_grad: Any = None,
    task: str | None = None,
    epochs: int | None = None,
    metric: str | None = None,
    output: str | Path | None = None,
    device: str = "auto",
    **options: Any,
) -> RunResult:
    """Diagnose, tune, verify and report: the Python API of ``regadvisor advise``.

    Give an experiment (a path, module or bundled example name, or an :class:`Experiment`), or
    its pieces as objects (``model=`` and ``data=`` factories, optionally ``optimizer=``,
    ``loss=``, ``scheduler=`` with ``scheduler_interval=``, ``training_step=``, ``clip_grad=``,
    ``task=``, ``epochs=``, ``metric=``). A second call with the same ``output``
    folder resumes the run (a complete one is returned as it is).

    Args:
        experiment: A ``.py`` path, a module name, a bundled example's name, or an
            :class:`Experiment`; None (with no pieces given) means the bundled default
            (``digits_noisy``).
        model, data, optimizer, loss, scheduler, scheduler_interval, training_step, clip_grad,
            task, epochs, metric: The experiment's pieces, as
            :func:`regadvisor.experiment.build_experiment` takes and documents them.
        output: The run folder; None makes ``reports/<name>-<timestamp>``.
        device: ``"auto"`` (CUDA, then MPS, then the CPU) or a device name.
        **options: :class:`~regadvisor.pipeline.AdviseOptions` fields (``n_trials``,
            ``seeds``, ``objective``, ``pruner``, ``storage``, ...).

    Returns:
        The RunResult; the run folder holds report.html, report.json and the CSVs.

    Raises:
        ExperimentError: The experiment cannot be loaded or breaks the contract.
        ConfigError: The device is not available here, or the run folder cannot be written,
            holds a run of another experiment, or another run holds it now.
        RunError: The experiment's code failed, or no trial completed.
    """
    from regadvisor._io import make_run_dir
    from regadvisor.experiment import Experiment, build_experiment, load_experiment
    from regadvisor.pipeline import AdviseOptions, run_stages
    from regadvisor.training import resolve_device

    dev = resolve_device(device)
    if isinstance(experiment, Experiment):
        exp = experiment
    elif model is not None or data is not None:
        exp = build_experiment(model=model, data=data, optimizer=optimizer, loss=loss,
                               scheduler=scheduler, scheduler_interval=scheduler_interval,
                               training_step=training_step, clip_grad=clip_grad, task=task,
                               epochs=epochs, metric=metric, device=dev)
    else:
        exp = load_experiment(experiment, device=str(dev))
    run_dir = make_run_dir(output, exp.name)
    opts = AdviseOptions(device=dev, **options)
    return run_stages(exp, run_dir, opts)


__all__ = [
    "advise",
    "Experiment",
    "History",
    "RegAdvisorError",
    "RegConfig",
    "__version__",
    "build_experiment",
    "load_experiment",
    "train",
]
