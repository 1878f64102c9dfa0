"""The fleet inventory: extra labels per certificate file, and where each PKCS#12 file's password is.

A fleet's certificate files say nothing about the device, resource or team they belong to, and a PFX
cannot be opened without its password.  A small TOML file (read with :mod:`tomllib`) maps paths to both::

    # /etc/caiso-pki/inventory.toml
    [[file]]
    match = "rig/rig-0007.pem"                # relative to this file's folder
    labels = { device_id = "RIG-0007", resource_id = "SCE_RIG_07", owner = "telemetry" }

    [[file]]
    match = "api/"                             # a trailing / matches everything under the folder
    password_file = "/etc/caiso-pki/api-pfx.pass"

    [[file]]
    match = "ui/*.p12"                         # * ? [...] as in fnmatch; * also crosses folders
    password_env = "CAISO_UI_PFX_PASSWORD"
    labels = { owner = "market-ops" }

Every ``[[file]]`` entry whose ``match`` fits a file applies to it, in the order written: later entries
override the labels and the password source of earlier ones.  Patterns and ``password_file`` paths that
are relative are taken from the inventory file's folder; files are compared by their absolute path
(symbolic links are not resolved).  A password is read from its file (first line, as ``openssl -passin
file:`` reads it, by the same rules as every ``--password-file``) or from an environment variable each
time it is needed, so a rotated password is picked up without a restart; it never appears on a command
line, in a log line, in an error or in a metric.  An empty first line, or an empty variable, is the
empty password (some Windows and Java exports use one), as for every PKCS#12 password caiso-pki reads.

Label names follow Prometheus' rules (``[a-zA-Z_][a-zA-Z0-9_]*``, not starting with ``__``) and may
not reuse a name the metrics already carry (:data:`RESERVED_LABELS`).
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Final

import attrs

from caiso_pki._convert import (
    field_check,
    instances,
    optional_instance,
    optional_path,
    optional_text,
    text,
    text_pairs,
)
from caiso_pki._convert import path as checked_path
from caiso_pki._source import first_line_secret
from caiso_pki._text import display_path, path_text, printable
from caiso_pki._toml import decode_toml, parse_toml
from caiso_pki.errors import MalformedInputError, PasswordError

__all__ = [
    "RESERVED_LABELS",
    "Inventory",
    "InventoryEntry",
    "PasswordSource",
    "load_inventory",
]

#: Labels the certificate metrics already carry; an inventory cannot redefine them.
RESERVED_LABELS: Final = frozenset(
    {
        "path",
        "position",
        "endpoint",
        "subject",
        "issuer",
        "serial",
        "kind",
        "anchor_labels",
        "code",
        "reason",
        "source",
        "root",
        "fingerprint_sha256",
        "check",
        "instance",
        "job",
        "le",
        "quantile",
    }
)
_LABEL_NAME: Final = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
_ENV_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ENTRY_KEYS: Final = frozenset({"match", "labels", "password_file", "password_env"})
_MAX_LABEL_VALUE: Final = 1024
_MAX_PASSWORD_FILE: Final = 64 * 1024
_MAX_INVENTORY: Final = 4 * 1024 * 1024


def _password_file(value: str | os.PathLike[str] | None) -> Path | None:
    return optional_path(value, "file")


@attrs.frozen(kw_only=True)
class PasswordSource:
    """Where a PKCS#12 password is: the first line of ``file``, or the environment variable ``env``.

    Exactly one of the two is set.  :meth:`read` fetches the password each time it is called; the
    password itself is never stored here, so a ``repr`` or a log line cannot show it.
    """

    file: Path | None = attrs.field(default=None, converter=_password_file)
    env: str | None = attrs.field(default=None, validator=field_check(optional_text))

    def __attrs_post_init__(self) -> None:
        if (self.file is None) == (self.env is None):
            raise MalformedInputError("PasswordSource: give exactly one of file and env")
        if self.env is not None and not _ENV_NAME.fullmatch(self.env):
            raise MalformedInputError(
                f"password_env {printable(self.env)!r}: not an environment variable name"
            )

    @property
    def description(self) -> str:
        """Where the password comes from, for messages (never the password)."""
        if self.file is not None:
            return f"password file {display_path(self.file)}"
        return f"environment variable {self.env}"

    def read(self) -> str:
        """The password; :class:`~caiso_pki.errors.PasswordError` naming the source when it is unset
        or unreadable.

        The file's first line is read by :func:`caiso_pki._source.first_line_secret`, the rule of every
        ``--password-file``; an empty first line or an empty (but set) variable is the empty password.
        """
        if self.env is not None:
            value = os.environ.get(self.env)
            if value is None:
                raise PasswordError(f"environment variable {self.env} is not set")
            return value
        assert self.file is not None
        try:
            with self.file.open("rb") as handle:
                data = handle.read(_MAX_PASSWORD_FILE)
        except OSError as exc:
            raise PasswordError(
                f"{self.description}: cannot read it ({exc.strerror or type(exc).__name__})"
            ) from exc
        return first_line_secret(data, self.description, allow_empty=True)


def _labels(value: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return text_pairs(value, "labels")


def _password(value: object, what: str) -> PasswordSource | None:
    return optional_instance(
        value, PasswordSource, what, "a PasswordSource (a file or an environment variable)"
    )


@attrs.frozen
class InventoryEntry:
    """One ``[[file]]`` entry: an absolute ``match`` pattern, the labels it adds, its password source.

    A pattern ending in ``/`` (or the platform's separator) matches every file below that folder;
    otherwise it is an :func:`fnmatch.fnmatchcase` pattern over the absolute path.
    """

    match: str = attrs.field(validator=field_check(text))
    labels: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_labels)
    password: PasswordSource | None = attrs.field(
        default=None, validator=field_check(_password), kw_only=True
    )

    def matches(self, path: str) -> bool:
        """Whether this entry applies to the file at the absolute ``path``."""
        if self.match.endswith(("/", os.sep)):
            return path.startswith(self.match)
        return fnmatch.fnmatchcase(path, self.match)


def _absolute(path: str | os.PathLike[str]) -> str:
    return path_text(os.path.abspath(os.fspath(path)))


def _entries(values: Iterable[InventoryEntry]) -> tuple[InventoryEntry, ...]:
    return instances(values, InventoryEntry, "entries", "InventoryEntry values")


@attrs.frozen
class Inventory:
    """Extra labels and PKCS#12 password sources by file (see the module docs for the file format)."""

    entries: tuple[InventoryEntry, ...] = attrs.field(default=(), converter=_entries)
    source: str | None = attrs.field(default=None, validator=field_check(optional_text), kw_only=True)

    @property
    def label_names(self) -> tuple[str, ...]:
        """Every extra label name any entry sets, sorted (each certificate series carries them all)."""
        return tuple(sorted({name for entry in self.entries for name, _ in entry.labels}))

    def _matching(self, file: str | os.PathLike[str]) -> list[InventoryEntry]:
        absolute = _absolute(checked_path(file, "path"))
        return [entry for entry in self.entries if entry.matches(absolute)]

    def labels_for(self, path: str | os.PathLike[str]) -> dict[str, str]:
        """The extra labels of the file at ``path`` (later entries override earlier ones)."""
        found: dict[str, str] = {}
        for entry in self._matching(path):
            found.update(entry.labels)
        return found

    def password_for(self, path: str | os.PathLike[str]) -> PasswordSource | None:
        """Where the password of the PKCS#12 file at ``path`` is (the last matching entry that says)."""
        source = None
        for entry in self._matching(path):
            if entry.password is not None:
                source = entry.password
        return source


def _problem(name: str, where: str, message: str) -> MalformedInputError:
    return MalformedInputError(f"{name}: {where}: {message}")


def _entry(record: object, index: int, base: Path, name: str) -> InventoryEntry:
    where = f"[[file]] entry {index + 1}"
    if not isinstance(record, dict):
        raise _problem(name, where, "expected a table")
    unknown = sorted(set(record) - _ENTRY_KEYS)
    if unknown:
        raise _problem(
            name, where, f"unknown key(s) {', '.join(unknown)}; use {', '.join(sorted(_ENTRY_KEYS))}"
        )
    pattern = record.get("match")
    if not isinstance(pattern, str) or not pattern.strip():
        raise _problem(name, where, "'match' must be a non-empty string (a path or a glob pattern)")
    folder = pattern.endswith(("/", os.sep))
    absolute = _absolute(base / pattern) + (os.sep if folder else "")
    labels = record.get("labels", {})
    if not isinstance(labels, dict):
        raise _problem(name, where, "'labels' must be a table of names to strings")
    for label, value in labels.items():
        if not _LABEL_NAME.fullmatch(label) or label.startswith("__"):
            raise _problem(
                name,
                where,
                f"label name {printable(label)!r} is not a Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)",
            )
        if label in RESERVED_LABELS:
            raise _problem(
                name, where, f"label name {label!r} is already used by the metrics; choose another"
            )
        if not isinstance(value, str) or len(value) > _MAX_LABEL_VALUE:
            raise _problem(
                name, where, f"label {label!r} must be a string of at most {_MAX_LABEL_VALUE} characters"
            )
    password_file = record.get("password_file")
    password_env = record.get("password_env")
    if password_file is not None and password_env is not None:
        raise _problem(name, where, "give password_file or password_env, not both")
    password = None
    if password_file is not None:
        if not isinstance(password_file, str) or not password_file:
            raise _problem(name, where, "'password_file' must be a path")
        password = PasswordSource(file=base / password_file)
    elif password_env is not None:
        if not isinstance(password_env, str) or not _ENV_NAME.fullmatch(password_env):
            raise _problem(name, where, "'password_env' must be an environment variable name")
        password = PasswordSource(env=password_env)
    return InventoryEntry(absolute, labels, password=password)


def _inventory_path(source: object) -> Path:
    return checked_path(source, "source")


def load_inventory(source: str | os.PathLike[str]) -> Inventory:
    """Read an inventory TOML file (format in the module docs).

    Raises :class:`~caiso_pki.errors.MalformedInputError` naming the file, the entry and the problem:
    a file that cannot be read, TOML syntax errors, unknown keys, bad label names or values, a
    ``match`` missing, or both password sources in one entry.
    """
    path = _inventory_path(source)
    name = display_path(path)
    try:
        with path.open("rb") as handle:
            raw = handle.read(_MAX_INVENTORY + 1)
        if len(raw) > _MAX_INVENTORY:
            raise MalformedInputError(f"{name}: the inventory is larger than {_MAX_INVENTORY // 1024} KiB")
    except OSError as exc:
        raise MalformedInputError(f"{name}: cannot read the inventory: {exc.strerror or exc}") from exc
    text = decode_toml(raw, name, what="fleet inventory", error=MalformedInputError)
    document = parse_toml(text, name, error=MalformedInputError)
    unknown = sorted(set(document) - {"file"})
    if unknown:
        raise MalformedInputError(
            f"{name}: unknown top-level key(s) {', '.join(unknown)}; use [[file]] entries"
        )
    records = document.get("file", [])
    if not isinstance(records, list):
        raise MalformedInputError(f"{name}: 'file' must be an array of tables ([[file]])")
    base = path.absolute().parent
    entries = tuple(_entry(record, index, base, name) for index, record in enumerate(records))
    return Inventory(entries, source=path_text(path))
