"""The errors regadvisor raises on purpose.

Every error a user can meet is a :class:`RegAdvisorError`: its message is one line that says what
went wrong, where, and how to fix it, and its ``exit_code`` is what the CLI exits with (2 for a
mistake in the user's input, 1 for a run that failed). The CLI prints the message and no traceback
(``--debug`` shows it).
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "DiskFullError",
    "ExperimentError",
    "RegAdvisorError",
    "RulesError",
    "RunError",
    "StorageError",
]


class RegAdvisorError(Exception):
    """Base class of regadvisor's own errors.

    Args:
        message: One line: what, where, how to fix.
    """

    exit_code: int = 1

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class ExperimentError(RegAdvisorError):
    """The user's experiment (model, data, optimizer, loss) breaks the contract."""

    exit_code = 2


class ConfigError(RegAdvisorError):
    """A flag, a search space or another setting is out of range."""

    exit_code = 2


class RulesError(RegAdvisorError):
    """A rules file is malformed, names an unknown fact or tries to run code."""

    exit_code = 2


class StorageError(RegAdvisorError):
    """The Optuna storage cannot be reached or holds an incompatible study."""

    exit_code = 1


class RunError(RegAdvisorError):
    """A run failed for a reason that is not a mistake in the input."""

    exit_code = 1


class DiskFullError(RunError):
    """The disk (or the user's quota) filled up while regadvisor wrote to it.

    Args:
        where: What was being written, as it follows "ran out of space (...)": "writing
            '…/report.html'", "in the study storage …".
        reason: The system's words ("No space left on device", "Disk quota exceeded", SQLite's
            "database or disk is full").
        then: What is kept and how to go on.
    """

    def __init__(self, where: str, reason: str,
                 then: str = "Free space there and run the same command again.") -> None:
        super().__init__(f"The disk ran out of space ({reason}) {where}. {then}")
        self.where = where
        self.reason = reason
