"""The training engine: the one loop that diagnosis, tuning and verification call."""

from regadvisor.training.config import OptimizerSpec, RegConfig
from regadvisor.training.device import resolve_device
from regadvisor.training.dropout import inject_dropout, set_dropout
from regadvisor.training.early_stopping import EarlyStopping, StopReason, StopTraining
from regadvisor.training.history import EpochRecord, History
from regadvisor.training.loop import EpochCallback, TrainResult, train, train_experiment
from regadvisor.training.param_groups import ParamSplit, is_exempt, split_parameters
from regadvisor.training.placement import Placement, apply_regularization, placement
from regadvisor.training.schedule import Schedule

__all__ = [
    "EarlyStopping",
    "EpochCallback",
    "EpochRecord",
    "History",
    "OptimizerSpec",
    "ParamSplit",
    "Placement",
    "RegConfig",
    "Schedule",
    "StopReason",
    "StopTraining",
    "TrainResult",
    "apply_regularization",
    "inject_dropout",
    "is_exempt",
    "placement",
    "resolve_device",
    "set_dropout",
    "split_parameters",
    "train",
    "train_experiment",
]
