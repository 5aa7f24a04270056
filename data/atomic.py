"""Atomic writes: a reader sees the old file or the new one, never half of one.

Every writer in the project goes through these helpers, so a failed or killed run leaves the
previous outputs untouched: content goes to a temporary sibling first and is renamed into place
(``os.replace`` is atomic on one file system).

The temporary file or directory is private while it is written (``mkstemp``/``mkdtemp`` create it
0600/0700); what is renamed into place gets the mode a plain ``open``/``mkdir`` would have given
it (0666/0777 less the umask), or keeps the mode of the file it replaces, so an export a CRM sync
account reads, or a data file another job reads, stays readable.
"""
from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; on success it replaces ``target``.

    On any exception the temporary file is removed and ``target`` is left as it was.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.chmod(tmp_path, _published_mode(target, directory=tmp_path.is_dir()))
        os.replace(tmp_path, target)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_dir(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary directory beside ``target``; on success it replaces ``target`` whole.

    The old directory is moved aside, the new one renamed in, then the old one deleted, so at
    every instant either the complete old or the complete new directory is at ``target``.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    try:
        os.chmod(tmp, _published_mode(target, directory=True))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if target.exists():
        old = target.with_name(f".{target.name}.old-{os.getpid()}")
        os.replace(target, old)
    os.replace(tmp, target)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_bytes_atomic(target: str | os.PathLike[str], payload: bytes) -> None:
    """Write ``payload`` to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_bytes(payload)


def _published_mode(target: Path, *, directory: bool) -> int:
    """The permission bits for what replaces ``target``: the replaced file's own, else the default
    for a new file or directory under the process's umask."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        return (0o777 if directory else 0o666) & ~_umask()


def _umask() -> int:
    """The process's umask, read without changing it where the system allows (Linux); elsewhere
    by setting and restoring it."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
