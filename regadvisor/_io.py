"""Writing files so that a crash never leaves a half-written file under the final name."""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

from regadvisor._secrets import scrub
from regadvisor.errors import ConfigError, DiskFullError

__all__ = ["atomic_write_text", "make_run_dir", "no_space"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: Permissions of written files: what ``open()`` would give (0666 less the umask), not the
#: 0600 of a temporary file.
FILE_MODE = 0o666 & ~_umask()


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place.

    The file gets the permissions a plain ``open(path, "w")`` would give it. Registered secrets
    (storage passwords) are scrubbed from ``text`` first: nothing secret is written to disk.
    """
    text = scrub(text)
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as e:
        _raise_write_error(path, e)
        raise
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        if isinstance(e, OSError):
            _raise_write_error(path, e)
        raise
    return path


def _raise_write_error(path: Path, error: OSError) -> None:
    """A full disk, or a folder that cannot be written, as regadvisor's one-line error (any other
    ``OSError`` is left to the caller to re-raise).

    Raises:
        DiskFullError: No space left on the device, or the user's quota used up.
        ConfigError: The folder is read-only or not the user's to write.
    """
    reason = no_space(error)
    if reason is not None:
        raise DiskFullError(f"writing '{path}'", reason) from error
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        raise ConfigError(f"'{path.parent}' cannot be written ({error.strerror}), so "
                          f"'{path.name}' was not saved. Make the folder writable, or pass "
                          "--output with a place you can write to.") from error


#: What the system says when a disk or a quota is full: ``OSError`` text for ENOSPC and EDQUOT,
#: and SQLite's SQLITE_FULL (a full disk under a study database).
_FULL_WORDS = ("No space left on device", "Disk quota exceeded", "database or disk is full")


def no_space(error: BaseException) -> str | None:
    """The system's words when ``error``, or an error it was raised from or while handling, says
    that the disk (or the user's quota) is full; ``None`` for any other error.

    Looks at ``errno`` (ENOSPC, EDQUOT) and at the message, so a full disk under a database
    (SQLite's "database or disk is full", PostgreSQL's "No space left on device") counts too.
    """
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return current.strerror or os.strerror(current.errno)
        text = str(current)
        for words in _FULL_WORDS:
            if words in text:
                return words
        current = current.__cause__ or current.__context__
    return None


def make_run_dir(output: str | Path | None, name: str, root: str | Path = "reports") -> Path:
    """Create the run folder: ``output`` as given, or ``reports/<name>-<timestamp>``.

    Raises:
        ConfigError: The folder cannot be created or written.
    """
    if output is None:
        import datetime

        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        output = Path(root) / f"{name}-{stamp}"
    path = Path(output)
    try:
        path.mkdir(parents=True, exist_ok=True)
        probe = path / ".regadvisor-write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise ConfigError(f"Run folder '{path}' cannot be written ({e.strerror or e}). Pass "
                          "--output with a folder you can write to.") from None
    return path
