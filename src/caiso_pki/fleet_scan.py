"""Scan a fleet for monitoring: read every certificate file, validate, probe endpoints, build metrics.

:class:`FleetMonitor` holds what to watch, built once: files and folders, an
:class:`~caiso_pki.inventory.Inventory` (extra labels, PKCS#12 passwords), CRL files, TLS endpoints
and the client credential to present to them.  Each :meth:`FleetMonitor.scan` reads everything again
and returns an immutable :class:`~caiso_pki.monitoring.FleetMetrics`::

    monitor = FleetMonitor(["/etc/caiso/certs"], inventory=load_inventory("inventory.toml"),
                           endpoints=["https://api.example.com/"])
    metrics = monitor.scan(trust=TrustStore.open("/etc/caiso/trust"))

What a real fleet holds, and what becomes of it:

* PEM, DER and PKCS#7 certificate files: every certificate is validated against the trust store with
  :func:`~caiso_pki.audit.audit_paths` (the CA certificates found are offered as intermediates);
* PKCS#12 files (recognised by their structure, or named ``.p12``/``.pfx``): opened with the password
  of the last inventory entry that matches the file and names one, else ``pkcs12_password``; the
  certificate and its chain are validated like the rest;
* CRL files (PEM ``X509 CRL``, or DER named ``*.crl``) found under the paths, and those given as
  ``crls``: used to check revocation, and reported with their nextUpdate;
* private keys, CSRs and other PEM blocks: ignored (counted as ``ignored``);
* anything unreadable (a missing or vanished path, a folder that cannot be listed, a damaged file, a
  wrong or missing password, a dangling symbolic link): a :class:`~caiso_pki.monitoring.ReadError`,
  never an exception.

Folders are walked recursively without following symbolic links to folders; hidden files and
folders (a leading ``.``, such as a Kubernetes secret's ``..data``) are skipped; only regular files
are read.  Endpoint probes reuse :func:`~caiso_pki.connection.connect`: the chain the server sends is
validated against the same store, the client credential goes only where ``connect`` sends it, and
each network step is bounded by ``timeout``.
"""

from __future__ import annotations

import datetime as dt
import os
import stat
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

import attrs

from caiso_pki._io import NamedBytes
from caiso_pki._text import path_text
from caiso_pki.certificate import ensure_aware
from caiso_pki.errors import CaisoPkiError, MalformedInputError, PassphraseError
from caiso_pki.inventory import Inventory, PasswordSource
from caiso_pki.monitoring import (
    CrlFreshness,
    EndpointStatus,
    FleetMetrics,
    ReadError,
    crl_freshness,
    endpoint_status,
    fleet_metrics,
)

if TYPE_CHECKING:
    from caiso_pki.connection import ClientCredential
    from caiso_pki.truststore import TrustStore
    from caiso_pki.validation import RevocationMode

__all__ = ["PKCS12_SUFFIXES", "FleetMonitor", "scan_fleet"]

#: File name endings read as PKCS#12 (PFX) without an inventory entry saying so.
PKCS12_SUFFIXES: Final = frozenset({".p12", ".pfx"})
_CRL_SUFFIXES: Final = frozenset({".crl"})
_MODES: Final = ("off", "soft-fail", "hard-fail", "require")

FileOutcome = Literal["certificates", "crl", "ignored", "error"]


def _paths(values: Iterable[str | os.PathLike[str]] | str | os.PathLike[str]) -> tuple[str, ...]:
    if isinstance(values, (str, os.PathLike)):
        values = [values]
    result = tuple(os.fspath(value) for value in values)
    if not result:
        raise MalformedInputError("FleetMonitor: give at least one file or folder to watch")
    return result


def _strings(values: Iterable[str | os.PathLike[str]] | str | os.PathLike[str]) -> tuple[str, ...]:
    if isinstance(values, (str, os.PathLike)):
        values = [values]
    return tuple(os.fspath(value) for value in values)


def _check_endpoints(
    instance: object, attribute: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]
) -> None:
    for endpoint in value:
        text = endpoint.strip()
        if "://" in text:
            if not text.lower().startswith("https://"):
                raise MalformedInputError(f"endpoint {endpoint!r}: use an https:// URL or HOST:PORT")
        elif not text.rpartition(":")[2].isdigit():
            raise MalformedInputError(f"endpoint {endpoint!r}: give HOST:PORT or an https:// URL")


def _check_mode(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in _MODES:
        raise MalformedInputError(f"revocation {value!r}: use one of {', '.join(_MODES)}")


def _check_timeout(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 600:
        raise MalformedInputError(f"timeout {value!r}: give a number of seconds from 0 to 600")


@attrs.define
class _Found:
    """What one scan read: certificate inputs for the audit, CRLs, errors and counts by outcome."""

    inputs: list[NamedBytes] = attrs.field(factory=list)
    crls: list[tuple[bytes, CrlFreshness]] = attrs.field(factory=list)
    errors: list[ReadError] = attrs.field(factory=list)
    outcomes: Counter[str] = attrs.field(factory=Counter)


def _os_reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def _reason(name: str, exc: CaisoPkiError) -> str:
    """An error's message without the file name in front (the ``path`` label carries it)."""
    return str(exc).replace(f"{name}: ", "", 1)


@attrs.frozen
class FleetMonitor:
    """What to watch, fixed once; :meth:`scan` reads it all and returns a metrics snapshot.

    :param paths: files and folders of certificates (PEM, DER, PKCS#7, PKCS#12) and CRLs.
    :param inventory: extra labels by file and PKCS#12 password sources (:mod:`caiso_pki.inventory`).
    :param crls: CRL files read at every scan, besides those found under ``paths``.
    :param endpoints: TLS endpoints to probe (``https://`` URLs or ``HOST:PORT``).
    :param client: the client credential to present to endpoints that ask for one (``connect`` sends
        it only as its rules allow).
    :param pkcs12_password: the password source for PKCS#12 files no inventory entry covers.
    :param revocation: the revocation mode of the audit (CRLs given or found; nothing is fetched).
    :param timeout: seconds for each network step of an endpoint probe.
    """

    paths: tuple[str, ...] = attrs.field(converter=_paths)
    inventory: Inventory | None = None
    crls: tuple[str, ...] = attrs.field(default=(), converter=_strings)
    endpoints: tuple[str, ...] = attrs.field(default=(), converter=_strings, validator=_check_endpoints)
    client: ClientCredential | None = attrs.field(default=None, repr=False)
    pkcs12_password: PasswordSource | None = None
    revocation: RevocationMode = attrs.field(default="soft-fail", validator=_check_mode)
    timeout: float = attrs.field(default=10.0, validator=_check_timeout)

    def scan(self, *, trust: TrustStore, at: dt.datetime | None = None) -> FleetMetrics:
        """Read every path, validate every certificate found against ``trust`` at ``at`` (default now),
        probe every endpoint, and return the snapshot.

        Unreadable inputs are read errors in the snapshot.  Raises only what the audit raises for bad
        options (a :class:`~caiso_pki.errors.CaisoPkiError`), for example a trust store with nothing in it.
        """
        from caiso_pki.audit import AuditReport, audit_paths

        when = ensure_aware(at, what="at")
        found = _Found()
        for path in self._files(found):
            self._read(path, found)
        for crl_path in self.crls:
            self._read_crl(Path(crl_path), found, given=True)
        crl_bytes = [data for data, _ in found.crls]
        if found.inputs:
            report = audit_paths(
                found.inputs, trust=trust, at=when, revocation=self.revocation, crls=crl_bytes
            )
        else:
            report = AuditReport(at=when, paths=self.paths, entries=())
        # files the audit could not read a certificate from are errors, not certificate files
        found.outcomes["certificates"] -= len(report.skipped)
        found.outcomes["error"] += len(report.skipped)
        metrics = fleet_metrics(
            report,
            store=trust,
            crls=[freshness for _, freshness in found.crls],
            inventory=self.inventory,
            read_errors=found.errors,
            files={
                outcome: found.outcomes[outcome] for outcome in ("certificates", "crl", "ignored", "error")
            },
        )
        return metrics.with_endpoints(self._probe(endpoint, trust) for endpoint in self.endpoints)

    # -- files ---------------------------------------------------------------------------------------

    def _files(self, found: _Found) -> list[Path]:
        files: list[Path] = []
        for given in self.paths:
            path = Path(given)
            try:
                info = path.stat()
            except FileNotFoundError:
                kind = "dangling symbolic link" if path.is_symlink() else "no such file or directory"
                found.errors.append(ReadError(path_text(path), kind))
                continue
            except OSError as exc:
                found.errors.append(ReadError(path_text(path), _os_reason(exc)))
                continue
            if stat.S_ISDIR(info.st_mode):
                files.extend(_walk(path, found))
            elif stat.S_ISREG(info.st_mode):
                files.append(path)
            else:
                found.errors.append(ReadError(path_text(path), "not a regular file or folder"))
        return files

    def _read(self, path: Path, found: _Found) -> None:
        from caiso_pki._io import detect_kind, is_pem, read_file

        name = path_text(path)
        try:
            data = read_file(path, what="certificate")
            pem = is_pem(data)
            kind = detect_kind(data) if pem else None
        except CaisoPkiError as exc:
            self._error(found, name, _reason(name, exc))
            return
        suffix = path.suffix.lower()
        if not pem and (suffix in PKCS12_SUFFIXES or _looks_like_pfx(data)):
            self._read_pkcs12(path, data, found)
        elif kind == "crl" or (not pem and suffix in _CRL_SUFFIXES):
            self._read_crl(path, found, given=False, data=data)
        elif kind in (None, "certificate", "pkcs7"):
            found.inputs.append(NamedBytes(data, name, path))
            found.outcomes["certificates"] += 1
        else:  # keys, CSRs, OCSP responses and other PEM blocks: not what this watches
            found.outcomes["ignored"] += 1

    def _read_pkcs12(self, path: Path, data: bytes, found: _Found) -> None:
        from caiso_pki._io import load_pkcs12

        name = path_text(path)
        password = self.inventory.password_for(path) if self.inventory is not None else None
        password = password or self.pkcs12_password
        try:
            secret = password.read() if password is not None else None
            bundle = load_pkcs12(NamedBytes(data, name, path), secret)
        except PassphraseError as exc:
            if password is None:
                self._error(
                    found,
                    name,
                    "PKCS#12 password needed: give password_file or password_env for it in the inventory",
                )
            else:
                self._error(found, name, _reason(name, exc))
            return
        except CaisoPkiError as exc:
            self._error(found, name, _reason(name, exc))
            return
        certificates = [
            cert for cert in (bundle.certificate, *bundle.additional_certificates) if cert is not None
        ]
        if not certificates:
            self._error(found, name, "the PKCS#12 holds no certificate")
            return
        pem = "".join(cert.pem for cert in certificates).encode("ascii")
        found.inputs.append(NamedBytes(pem, name, path))
        found.outcomes["certificates"] += 1

    def _read_crl(self, path: Path, found: _Found, *, given: bool, data: bytes | None = None) -> None:
        from caiso_pki._io import read_file

        name = path_text(path)
        try:
            content = NamedBytes(data, name, path) if data is not None else read_file(path, what="CRL")
            freshness = crl_freshness(content)
        except CaisoPkiError as exc:
            self._error(found, name, _reason(name, exc), count=not given)
            return
        found.crls.append((bytes(content), freshness))
        if not given:
            found.outcomes["crl"] += 1

    @staticmethod
    def _error(found: _Found, name: str, reason: str, *, count: bool = True) -> None:
        found.errors.append(ReadError(name, reason))
        if count:
            found.outcomes["error"] += 1

    # -- endpoints -----------------------------------------------------------------------------------

    def _probe(self, endpoint: str, trust: TrustStore) -> EndpointStatus:
        from caiso_pki.connection import connect

        report = connect(endpoint, client=self.client, trust=trust, http_method=None, timeout=self.timeout)
        return endpoint_status(report, store=trust)


def _looks_like_pfx(data: bytes) -> bool:
    """A DER SEQUENCE whose first element is INTEGER 3: a PFX (RFC 7292), never a certificate, whose
    first element is a SEQUENCE.  :func:`~caiso_pki._io.load_pkcs12` decides for certain."""
    if len(data) < 8 or data[0] != 0x30:
        return False
    header = 2 if data[1] < 0x80 else 2 + (data[1] & 0x7F)
    return data[header : header + 3] == b"\x02\x01\x03"


def _walk(root: Path, found: _Found) -> list[Path]:
    """Regular files under ``root``, sorted, hidden names skipped; unlistable folders are read errors."""

    def unlistable(exc: OSError) -> None:
        where = exc.filename if exc.filename is not None else root
        found.errors.append(ReadError(path_text(where), f"cannot list the folder: {_os_reason(exc)}"))
        found.outcomes["error"] += 1

    files: list[Path] = []
    for folder, subfolders, names in os.walk(root, onerror=unlistable):
        subfolders[:] = sorted(sub for sub in subfolders if not sub.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue
            path = Path(folder) / name
            try:
                info = path.stat()
            except FileNotFoundError:  # vanished since the listing, or a dangling link
                reason = "dangling symbolic link" if path.is_symlink() else "vanished while scanning"
                found.errors.append(ReadError(path_text(path), reason))
                found.outcomes["error"] += 1
                continue
            except OSError as exc:
                found.errors.append(ReadError(path_text(path), _os_reason(exc)))
                found.outcomes["error"] += 1
                continue
            if stat.S_ISREG(info.st_mode):
                files.append(path)
    return files


def scan_fleet(
    paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    trust: TrustStore,
    inventory: Inventory | None = None,
    crls: Iterable[str | os.PathLike[str]] = (),
    endpoints: Iterable[str] = (),
    client: ClientCredential | None = None,
    pkcs12_password: PasswordSource | None = None,
    revocation: RevocationMode = "soft-fail",
    timeout: float = 10.0,
    at: dt.datetime | None = None,
) -> FleetMetrics:
    """One scan with a :class:`FleetMonitor` built from these options (see there)."""
    monitor = FleetMonitor(
        paths,
        inventory=inventory,
        crls=crls,
        endpoints=endpoints,
        client=client,
        pkcs12_password=pkcs12_password,
        revocation=revocation,
        timeout=timeout,
    )
    return monitor.scan(trust=trust, at=at)
