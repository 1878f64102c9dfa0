"""Reading inputs: bytes, PEM text, paths and standard input, with one size cap and one way to name them.

The bottom of the loading stack.  Every loader in caiso-pki starts with :func:`read_source`, which
turns what a caller passed (``bytes``, a ``str`` holding PEM text, or a path) into bytes and a name for
messages; files are read once, with :data:`MAX_INPUT_BYTES` as the cap, so a device such as
``/dev/zero`` or a pipe is handled like a file.  Passwords are read here too
(:func:`first_line_secret`).  This module knows no model class: what the bytes hold is decided by
the loader beside each model (:func:`caiso_pki.certificate.load_certificates`,
:func:`caiso_pki.csr.load_csr` ...).
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Final

from caiso_pki.errors import MalformedInputError, PasswordError

if TYPE_CHECKING:
    from caiso_pki.types import SourceInput

__all__ = [
    "MAX_INPUT_BYTES",
    "NamedBytes",
    "Password",
    "first_line_secret",
    "password_bytes",
    "read_file",
    "read_source",
    "read_stream",
]

#: A password as callers give it: text (UTF-8), bytes, or ``None`` for none.
Password = str | bytes | None

#: Inputs larger than this are refused before parsing, so a hostile file cannot exhaust memory.
MAX_INPUT_BYTES: Final = 32 * 1024 * 1024


class NamedBytes(bytes):
    """Bytes read from a named input (a file, ``<stdin>``), so loaders name it in their messages.

    It is ``bytes`` (every loader and API that takes bytes takes it) that remembers where it came from:
    ``read_file("chain.pem")`` gives ``NamedBytes`` named ``chain.pem``, and a later parse error says
    "chain.pem: ...", not "<certificate bytes>: ...".  Reading once and passing the bytes on is what lets
    a pipe or FIFO, which can be read only once, be detected and then loaded.  The ``repr`` shows the
    name and size, never the content (it may be a private key).
    """

    name: str
    #: the file it was read from (``None`` for standard input); profiles resolve ``extends`` against it
    path: Path | None

    def __new__(cls, data: bytes | bytearray | memoryview, name: str, path: Path | None = None) -> NamedBytes:
        """Wrap ``data`` read from the input called ``name`` (the file ``path``, when it was one)."""
        self = super().__new__(cls, data)
        self.name = name
        self.path = path
        return self

    def __repr__(self) -> str:
        return f"NamedBytes({self.name!r}, {len(self)} bytes)"

    def __reduce__(self) -> tuple[type[NamedBytes], tuple[bytes, str, Path | None]]:
        return (NamedBytes, (bytes(self), self.name, self.path))


def read_source(source: SourceInput, *, what: str = "input") -> tuple[bytes, str]:
    """Return the bytes of ``source`` and a name for it to use in messages.

    A ``str`` that contains ``-----BEGIN`` is PEM text; any other ``str`` is a path.  Files are read
    with a bound, so a device such as ``/dev/zero`` or a huge file is refused instead of read whole.
    """
    if isinstance(source, NamedBytes):
        data, name = bytes(source), source.name
    elif isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        name = f"<{what} bytes>"
    elif isinstance(source, str) and "-----BEGIN" in source:
        data = source.encode("utf-8", "replace")
        name = f"<{what} text>"
    elif isinstance(source, (str, os.PathLike)):
        data, name = _read_file(source, what)
    else:
        raise MalformedInputError(f"<{what} {type(source).__name__}>: expected bytes, PEM text or a path")
    _check_size(data, name)
    if not data.strip():
        raise MalformedInputError(f"{name} is empty (expected {_a(what)})")
    return data, name


def _a(what: str) -> str:
    return ("an " if what[:1].lower() in "aeiou" else "a ") + what


def read_file(path: str | os.PathLike[str], *, what: str = "input") -> NamedBytes:
    """Read a file once, whatever it is, with the :data:`MAX_INPUT_BYTES` cap.

    Regular files, FIFOs, ``/dev/stdin`` and process substitutions (``<(cat x.pem)``) are all streamed
    the same way, so a pipe is read once and can then be detected and loaded from the returned bytes.
    An input over the cap raises :class:`MalformedInputError`; so do directories, missing files and read
    errors, each naming the file.
    """
    data, name = _read_file(path, what)
    _check_size(data, name)
    return NamedBytes(data, name, Path(path))


def read_stream(stream: BinaryIO, name: str, *, what: str = "input") -> NamedBytes:
    """Read a binary stream (standard input) to its end, with the :data:`MAX_INPUT_BYTES` cap."""
    try:
        data = stream.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise MalformedInputError(f"{name}: cannot read {_a(what)}: {exc.strerror or exc}") from exc
    _check_size(data, name)
    return NamedBytes(data, name)


def _check_size(data: bytes, name: str) -> None:
    if len(data) > MAX_INPUT_BYTES:
        raise MalformedInputError(
            f"{name}: input is larger than the {MAX_INPUT_BYTES}-byte limit ({MAX_INPUT_BYTES // 2**20} MiB)"
        )


def _read_file(source: str | os.PathLike[str], what: str) -> tuple[bytes, str]:
    from caiso_pki._text import display_path

    try:
        raw = os.fspath(source)
        path = Path(source)
        name = display_path(path)
    except TypeError as exc:  # an os.PathLike whose __fspath__ returns something odd
        raise MalformedInputError(f"<{what} path>: not a usable path") from exc
    if not raw:  # Path("") is the current directory: never what someone passing "" meant
        raise MalformedInputError(f"<{what}>: the path is empty; give a file path, PEM text or bytes")
    try:
        with path.open("rb") as handle:
            data = _read_capped(handle)
    except IsADirectoryError as exc:
        raise MalformedInputError(f"{name} is a directory, not a file (expected {_a(what)})") from exc
    except FileNotFoundError as exc:
        raise MalformedInputError(f"{name}: no such file (expected {_a(what)})") from exc
    except OSError as exc:
        raise MalformedInputError(f"{name}: cannot read file: {exc.strerror or exc}") from exc
    except ValueError as exc:  # embedded NUL byte in the path
        raise MalformedInputError(f"{name}: not a valid path ({exc})") from exc
    return data, name


def _read_capped(handle: BinaryIO) -> bytes:
    """Up to :data:`MAX_INPUT_BYTES` + 1 bytes of a file just opened (nothing read from it yet).

    A pipe, FIFO or terminal is read in turns of a short ``poll``: a blocking ``read`` would never
    notice a Ctrl-C that arrived just before it started (CPython runs signal handlers between
    bytecodes), and the command would hang instead of exiting with 130.
    """
    descriptor = handle.fileno()
    if os.name != "posix" or stat.S_ISREG(os.fstat(descriptor).st_mode):
        return handle.read(MAX_INPUT_BYTES + 1)
    import select

    waiting = select.poll()
    waiting.register(descriptor, select.POLLIN)
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_INPUT_BYTES:
        if not waiting.poll(250):  # milliseconds
            continue
        chunk = os.read(descriptor, min(1 << 16, MAX_INPUT_BYTES + 1 - size))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


_BOM: Final = b"\xef\xbb\xbf"


def first_line_secret(data: bytes, name: str, *, allow_empty: bool = False) -> str:
    """The password in a file's content: its first line, as ``openssl -passin file:`` reads it.

    The one reading of a password file, for the command line's ``--password-file`` options and the
    monitoring inventory's ``password_file`` alike.  A UTF-8 byte order mark is dropped and the line's
    trailing LF or CRLF is removed (openssl keeps a CR; Windows editors write one, and nobody means it
    as part of a password).  Bytes that are not UTF-8 raise :class:`PasswordError` naming ``name``;
    so does an empty first line, unless ``allow_empty``: a PKCS#12 password may be empty (some Windows
    and Java exports use one), and an empty first line is then the empty password ``""``, given on
    purpose (docs/security.md, "One rule for empty PKCS#12 passwords").
    """
    if data.startswith(_BOM):
        data = data[len(_BOM) :]
    line = data.split(b"\n", 1)[0]
    if line.endswith(b"\r"):
        line = line[:-1]
    try:
        secret = line.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PasswordError(
            f"{name}: the password file is not UTF-8 text (byte {exc.start + 1} of its first line); "
            "save it as UTF-8"
        ) from exc
    if not secret and not allow_empty:
        raise PasswordError(f"{name}: the first line of the password file is empty")
    return secret


def password_bytes(password: Password, name: str) -> bytes | None:
    """``password`` as bytes (text is UTF-8); ``None`` for none.  Never shown in messages."""
    if password is None:
        return None
    if isinstance(password, str):
        return password.encode("utf-8")
    if isinstance(password, (bytes, bytearray, memoryview)):
        return bytes(password)
    raise PasswordError(f"{name}: password must be str or bytes, not {type(password).__name__}")
