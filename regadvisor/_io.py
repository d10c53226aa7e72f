"""Writing files so that a crash never leaves a half-written file under the final name."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from regadvisor._secrets import scrub
from regadvisor.errors import ConfigError

__all__ = ["atomic_write_text", "make_run_dir"]


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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


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
