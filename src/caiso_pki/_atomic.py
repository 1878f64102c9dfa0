"""Crash-safe file writes: a file on disk is always either the old complete version or the new one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from caiso_pki._text import display_path
from caiso_pki.errors import CaisoPkiError

__all__ = ["atomic_write_bytes", "check_target", "fsync_directory"]


def fsync_directory(directory: Path) -> None:
    """Flush a directory entry so a rename inside it survives a power cut (best effort on non-POSIX)."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def check_target(
    path: str | os.PathLike[str], *, overwrite: bool = False, error: type[CaisoPkiError] = CaisoPkiError
) -> Path:
    """Refuse a path :func:`atomic_write_bytes` could not write: a directory, a missing parent directory,
    or (with ``overwrite=False``) an existing file.

    Commands that write several files call it for each before writing any, so a refused second output
    never leaves the first one behind.
    """
    target = Path(path)
    name = display_path(target)
    if target.is_dir():
        raise error(f"{name} is a directory; give a file path")
    directory = target.parent if str(target.parent) else Path(".")
    if not directory.is_dir():
        raise error(f"{name}: directory {display_path(directory)} does not exist")
    if not overwrite and (target.exists() or target.is_symlink()):
        raise error(f"{name} already exists", remedy="overwrite")
    return target


def atomic_write_bytes(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    mode: int = 0o644,
    overwrite: bool = False,
    error: type[CaisoPkiError] = CaisoPkiError,
    what: str = "the file",
) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same directory, fsync, then rename.

    The temporary file is created with mode 0600 by :func:`tempfile.mkstemp`, so a private key is never
    readable by others, not even for an instant.  With ``overwrite=False`` the final step is a hard link,
    which fails atomically when ``path`` already exists.  Every failure, an operating-system one
    included (no permission, disk full), raises ``error`` naming the path and ``what`` was written.
    """
    target = check_target(path, overwrite=overwrite, error=error)
    try:
        return _write(target, data, mode=mode, overwrite=overwrite, error=error)
    except OSError as exc:
        raise error(f"{display_path(target)}: cannot write {what}: {exc.strerror or exc}") from exc


def _write(target: Path, data: bytes, *, mode: int, overwrite: bool, error: type[CaisoPkiError]) -> Path:
    directory = target.parent if str(target.parent) else Path(".")
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name[:200]}.", suffix=".tmp", dir=directory)
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
                raise error(f"{display_path(target)} already exists", remedy="overwrite") from exc
            tmp.unlink()
        fsync_directory(directory)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    return target
