"""The training engine: the one loop that diagnosis, tuning and verification call."""

from regadvisor.training.config import OptimizerSpec, RegConfig
from regadvisor.training.device import resolve_device
from regadvisor.training.dropout import inject_dropout, set_dropout
from regadvisor.training.early_stopping import EarlyStopping, StopReason
from regadvisor.training.history import EpochRecord, History
from regadvisor.training.loop import EpochCallback, TrainResult, train
from regadvisor.training.param_groups import ParamSplit, is_exempt, split_parameters

__all__ = [
    "EarlyStopping",
    "EpochCallback",
    "EpochRecord",
    "History",
    "OptimizerSpec",
    "ParamSplit",
    "RegConfig",
    "StopReason",
    "TrainResult",
    "inject_dropout",
    "is_exempt",
    "resolve_device",
    "set_dropout",
    "split_parameters",
    "train",
]
