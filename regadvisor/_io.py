"""Writing files so that a crash never leaves a half-written file under the final name, and
the run folder that one run at a time writes."""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

from regadvisor._secrets import scrub
from regadvisor.errors import ConfigError, DiskFullError

__all__ = ["LOCK_FILE", "atomic_write_text", "check_run_dir", "lock_run_dir", "make_run_dir",
           "no_space"]


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


#: The lock file of a run folder: while a run holds the folder, it names the run's pid.
LOCK_FILE = ".regadvisor.lock"

# The folders this process holds, by (real path, thread): a command takes its folder's lock
# once it knows the folder, and the pipeline takes it again; the inner one is a no-op.
_held: dict[tuple[str, int], int] = {}
_held_guard = threading.Lock()


@contextlib.contextmanager
def lock_run_dir(path: str | Path, command: str) -> Iterator[Path]:
    """Hold the run folder ``path`` (it exists) for one run: a second run on it is refused.

    The lock is ``flock`` on ``.regadvisor.lock`` in the folder, held while the run lasts.
    The operating system releases it when the process ends, however it ends (SIGKILL, a
    power cut), so a killed run never blocks the next one; the pid, host, command and start
    written in the file only name the holder in the refusal. The file is never replaced or
    deleted (another process may be waiting on it); a run that ends clears its content. The
    folder's SQLite study (``study.db``) keeps its own locking for the worker processes of the
    run that holds the folder. Taking the lock again in the same thread is a no-op.

    Args:
        path: The run folder.
        command: What holds the folder (``advise``, ``tune``, ...), named in a refusal.

    Raises:
        ConfigError: Another run holds the folder, or its file system has no file locks.
    """
    path = Path(path)
    key = (os.path.realpath(path), threading.get_ident())
    with _held_guard:
        nested = key in _held
        if nested:
            _held[key] += 1
    if nested:
        try:
            yield path
        finally:
            with _held_guard:
                _held[key] -= 1
        return
    fd = _acquire(path, command)
    with _held_guard:
        _held[key] = 1
    try:
        yield path
    finally:
        with _held_guard:
            del _held[key]
        _release(fd)


def _acquire(path: Path, command: str) -> int:
    """Open and lock the folder's lock file, write who holds it, and return its descriptor."""
    import fcntl
    import json
    import socket
    import time

    lock = path / LOCK_FILE
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, FILE_MODE)
    except OSError as e:
        raise ConfigError(f"Run folder '{path}' cannot be written ({e.strerror or e}). Pass "
                          "--output with a folder you can write to.") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError as e:
        os.close(fd)
        if e.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
            raise ConfigError(f"Run folder '{path}' is in use by {_holder(lock)}. Wait for it "
                              "to finish, or pass another --output folder.") from None
        # A file system without locks (some network mounts): running unlocked could mix two
        # runs, so the folder is refused rather than used without the guarantee.
        raise ConfigError(f"Run folder '{path}' cannot be locked ({e.strerror or e}): its file "
                          "system has no file locks. Pass --output with a folder on a local "
                          "disk.") from None
    holder = {"pid": os.getpid(), "host": socket.gethostname(), "command": command,
              "started": time.strftime("%Y-%m-%d %H:%M:%S")}
    os.ftruncate(fd, 0)
    os.pwrite(fd, json.dumps(holder).encode(), 0)
    return fd


def _release(fd: int) -> None:
    """Clear the holder's name from the lock file and let go of it."""
    try:
        os.ftruncate(fd, 0)
    except OSError:
        pass
    os.close(fd)  # closing the only descriptor releases the flock


def _holder(lock: Path) -> str:
    """The run that holds a lock file, in words, from what it wrote there."""
    import json
    import socket

    try:
        info = json.loads(lock.read_text(encoding="utf-8"))
        pid, host = int(info["pid"]), str(info.get("host", ""))
    except (OSError, ValueError, KeyError, TypeError):
        return "another regadvisor run (it has not written its pid yet)"
    where = "" if host in ("", socket.gethostname()) else f" on {host}"
    return (f"another regadvisor run ('regadvisor {info.get('command', '?')}', pid {pid}{where}"
            f", since {info.get('started', '?')})")


def check_run_dir(path: Path, files: Iterable[str] = (), folders: Iterable[str] = ()) -> None:
    """Refuse a run folder where something of the wrong kind stands in the way of what a run
    writes: a folder named like a file it writes, a file named like a folder it keeps.

    Raises:
        ConfigError: One is in the way; nothing has been changed.
    """
    for names, kind, wrong in ((files, "file", Path.is_dir), (folders, "folder", Path.is_file)):
        for name in names:
            if wrong(path / name):
                other = "folder" if kind == "file" else "file"
                raise ConfigError(
                    f"Run folder '{path}': '{name}' is a {other}, where regadvisor keeps a "
                    f"{kind}. Nothing was changed; move it out of the way, or pass another "
                    "--output folder.")
