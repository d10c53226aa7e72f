"""The one package that calls the stages in order.

experiment → inspect + diagnostic training (diagnosis) → rules → (tuning → verification → report)

:func:`run_stages` runs them for a loaded experiment in a run folder with :class:`AdviseOptions`
(the CLI and the benchmarks call it); :func:`regadvisor.advise` is the Python API around it.
"""

from regadvisor.pipeline._diagnosis import DIAGNOSIS_SCHEMA_VERSION, Diagnosis, diagnose, judge
from regadvisor.pipeline._identity import check_owner
from regadvisor.pipeline._options import AdviseOptions, Hooks
from regadvisor.pipeline._record import (
    RECORD_FILES,
    RUN_SCHEMA_VERSION,
    ArmPlacement,
    Recommendation,
    RunResult,
    archive,
    previous_run,
    read_record,
    report_schema,
    versions,
    write_outputs,
    write_trials_csv,
)
from regadvisor.pipeline._runner import STAGES, run_stages

__all__ = [
    "DIAGNOSIS_SCHEMA_VERSION",
    "RECORD_FILES",
    "RUN_SCHEMA_VERSION",
    "STAGES",
    "AdviseOptions",
    "ArmPlacement",
    "Diagnosis",
    "Hooks",
    "Recommendation",
    "RunResult",
    "archive",
    "check_owner",
    "diagnose",
    "judge",
    "previous_run",
    "read_record",
    "report_schema",
    "run_stages",
    "versions",
    "write_outputs",
    "write_trials_csv",
]
