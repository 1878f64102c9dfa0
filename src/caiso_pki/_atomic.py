"""Crash-safe file writes: a file on disk is always either the old complete version or the new one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from caiso_pki.errors import CaisoPkiError

__all__ = ["atomic_write_bytes", "fsync_directory"]


def fsync_directory(directory: Path) -> None:
    """Flush a directory entry so a rename inside it survives a power cut (best effort on non-POSIX)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    mode: int = 0o644,
    overwrite: bool = True,
    error: type[CaisoPkiError] = CaisoPkiError,
) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same directory, fsync, then rename.

    The temporary file is created with mode 0600 by :func:`tempfile.mkstemp`, so a private key is never
    readable by others, not even for an instant.  With ``overwrite=False`` the final step is a hard link,
    which fails atomically when ``path`` already exists; the error raised is ``error``.
    """
    target = Path(path)
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise error(f"{target}: directory {directory} does not exist")
    if not overwrite and target.exists():
        raise error(f"{target} already exists; pass overwrite=True to replace it")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, mode)
        if overwrite:
            os.replace(tmp, target)
        else:
            try:
                os.link(tmp, target)
            except FileExistsError as exc:
                raise error(f"{target} already exists; pass overwrite=True to replace it") from exc
            tmp.unlink()
        fsync_directory(directory)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return target
