"""regadvisor: an automated regularization advisor for PyTorch."""

from __future__ import annotations

__version__ = "0.1.0"

from regadvisor.errors import RegAdvisorError  # noqa: E402
from regadvisor.experiment import Experiment, build_experiment, load_experiment  # noqa: E402
from regadvisor.training import History, RegConfig, train  # noqa: E402


def advise(*args, **kwargs):
    """Diagnose, tune, verify and report (see :func:`regadvisor.pipeline.run_advise`)."""
    from regadvisor.pipeline import run_advise

    return run_advise(*args, **kwargs)


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
