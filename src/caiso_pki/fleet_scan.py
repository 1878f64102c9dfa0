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
  of the last inventory entry that matches the file and names one, else ``password``; the
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
import threading
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

import attrs

from caiso_pki._convert import field_check, instance, optional_instance, paths, texts
from caiso_pki._source import NamedBytes
from caiso_pki._text import path_text
from caiso_pki._time import ensure_aware
from caiso_pki.certificate import Certificate
from caiso_pki.errors import CaisoPkiError, MalformedInputError, PasswordError
from caiso_pki.inventory import Inventory, PasswordSource
from caiso_pki.monitoring import (
    CertificateFacts,
    CertificateSample,
    CrlFreshness,
    EndpointStatus,
    FleetMetrics,
    ReadError,
    anchor_labels,
    certificate_facts,
    certificate_sample,
    crl_freshness,
    endpoint_status,
    unique_crls,
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
    result = tuple(os.fspath(path) for path in paths(values, "paths"))
    if not result:
        raise MalformedInputError("paths: give at least one file or folder to watch")
    return result


def _crl_paths(values: Iterable[str | os.PathLike[str]] | str | os.PathLike[str]) -> tuple[str, ...]:
    return tuple(os.fspath(path) for path in paths(values, "crls"))


def _endpoints(values: Iterable[str] | str) -> tuple[str, ...]:
    return texts(values, "endpoints")


def _inventory(value: object, what: str) -> Inventory | None:
    return optional_instance(value, Inventory, what, "an Inventory (from load_inventory)")


def _password(value: object, what: str) -> PasswordSource | None:
    return optional_instance(value, PasswordSource, what, "a PasswordSource (a file or a variable)")


def _client(value: object, what: str) -> ClientCredential | None:
    if value is None:
        return None
    from caiso_pki.connection import ClientCredential  # only when a credential is given

    return instance(
        value, ClientCredential, what, "a ClientCredential (ClientCredential.from_pkcs12 or .load)"
    )


def _check_endpoints(
    instance: object, attribute: attrs.Attribute[tuple[str, ...]], value: tuple[str, ...]
) -> None:
    for endpoint in value:
        text = endpoint.strip()
        if "://" in text:
            if not text.lower().startswith("https://"):
                raise MalformedInputError(f"endpoint {endpoint!r}: use an https:// URL or HOST:PORT")
        else:
            port = text.rpartition(":")[2]
            if not port.isdigit() or not 0 < int(port) < 65536:
                raise MalformedInputError(
                    f"endpoint {endpoint!r}: give HOST:PORT (port 1-65535) or an https:// URL"
                )


def _check_mode(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in _MODES:
        raise MalformedInputError(f"revocation {value!r}: use one of {', '.join(_MODES)}")


def _check_timeout(instance: object, attribute: attrs.Attribute[float], value: float) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 600:
        raise MalformedInputError(f"timeout {value!r}: give a number of seconds from 0 to 600")


FileKey = tuple[int, int, int, int, int]


@attrs.frozen
class _FileEntry:
    """What one file held when it had this ``key`` (its stat): kept until the file changes."""

    key: FileKey
    outcome: FileOutcome
    certificates: tuple[tuple[Certificate, CertificateFacts], ...] = ()
    crl: tuple[bytes, CrlFreshness] | None = None
    labels: tuple[tuple[str, str], ...] = ()


class _State:
    """A monitor's caches: each file's content by stat key, and the fleet validation cache."""

    def __init__(self) -> None:
        from caiso_pki.validation import FleetCache

        self.lock = threading.Lock()
        self.files: dict[str, _FileEntry] = {}
        self.given_crls: dict[str, _FileEntry] = {}
        self.fleet = FleetCache()


@attrs.define
class _Scan:
    """What one scan collects: errors and counts of files by outcome."""

    errors: list[ReadError] = attrs.field(factory=list)
    outcomes: Counter[str] = attrs.field(factory=Counter)

    def error(self, name: str, reason: str, *, count: bool = True) -> None:
        self.errors.append(ReadError(name, reason))
        if count:
            self.outcomes["error"] += 1


def _os_reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def _reason(name: str, exc: CaisoPkiError) -> str:
    """An error's message without the file name in front (the ``path`` label carries it)."""
    return str(exc).replace(f"{name}: ", "", 1)


def _key(info: os.stat_result) -> FileKey:
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns, info.st_ctime_ns)


@attrs.frozen
class FleetMonitor:
    """What to watch, fixed once; :meth:`scan` reads it all and returns a metrics snapshot.

    :param paths: files and folders of certificates (PEM, DER, PKCS#7, PKCS#12) and CRLs.
    :param inventory: extra labels by file and PKCS#12 password sources (:mod:`caiso_pki.inventory`).
    :param crls: CRL files read at every scan, besides those found under ``paths``.
    :param endpoints: TLS endpoints to probe (``https://`` URLs or ``HOST:PORT``).
    :param client: the client credential to present to endpoints that ask for one (``connect`` sends
        it only as its rules allow).
    :param password: the password source for PKCS#12 files no inventory entry covers (the only secret
        a monitor is given; an inventory entry's own ``password`` wins for its files).
    :param revocation: the revocation mode (CRLs given or found under ``paths``; nothing is fetched).
    :param timeout: seconds for each network step of an endpoint probe.

    A monitor keeps what it read from each file until the file changes (same device, inode, size,
    modification and change times), and a :class:`~caiso_pki.validation.FleetCache` across scans, so a
    rescan of an unchanged fleet only validates again.  Validation itself is never cached across
    scans: each scan validates every certificate at its own time, with the store and CRLs of then.
    Scans of one monitor run one at a time.
    """

    paths: tuple[str, ...] = attrs.field(converter=_paths)
    inventory: Inventory | None = attrs.field(default=None, kw_only=True, validator=field_check(_inventory))
    crls: tuple[str, ...] = attrs.field(default=(), kw_only=True, converter=_crl_paths)
    endpoints: tuple[str, ...] = attrs.field(
        default=(), kw_only=True, converter=_endpoints, validator=_check_endpoints
    )
    client: ClientCredential | None = attrs.field(
        default=None, kw_only=True, repr=False, validator=field_check(_client)
    )
    password: PasswordSource | None = attrs.field(
        default=None, kw_only=True, validator=field_check(_password)
    )
    revocation: RevocationMode = attrs.field(default="soft-fail", kw_only=True, validator=_check_mode)
    timeout: float = attrs.field(default=10.0, kw_only=True, validator=_check_timeout)
    _state: _State = attrs.field(init=False, factory=_State, repr=False, eq=False, hash=False)

    def scan(self, *, trust: TrustStore, at: dt.datetime | None = None) -> FleetMetrics:
        """Read every path, validate every certificate found against ``trust`` at ``at`` (default now),
        probe every endpoint, and return the snapshot.

        Every certificate of every file is validated as a leaf, with the CA certificates found offered
        as intermediates (as :func:`~caiso_pki.audit.audit_paths` does).  Unreadable inputs are read
        errors in the snapshot.  Raises only for bad options (a
        :class:`~caiso_pki.errors.CaisoPkiError`), for example a trust store with no anchor.
        """
        from caiso_pki.truststore import TrustStore

        instance(trust, TrustStore, "trust", "a TrustStore (TrustStore.open(directory))")
        when = ensure_aware(at, what="at")
        with self._state.lock:
            scan = _Scan()
            files = self._state.files = self._read_all(self._files(scan), self._state.files, scan)
            given = self._state.given_crls = self._given_crls(scan)
            crls = [entry.crl for entry in (*files.values(), *given.values()) if entry.crl is not None]
            samples = self._validate(files, trust, when, [data for data, _ in crls])
            counts = {
                outcome: scan.outcomes[outcome] for outcome in ("certificates", "crl", "ignored", "error")
            }
        metrics = FleetMetrics(
            at=when,
            certificates=tuple(samples),
            read_errors=tuple(sorted(set(scan.errors), key=lambda error: (error.path, error.reason))),
            crls=unique_crls(freshness for _, freshness in crls),
            label_names=self.inventory.label_names if self.inventory is not None else (),
            files=tuple(sorted(counts.items())),
            trust_anchors=len(trust.anchors()),
        )
        probes = [self._probe(endpoint, trust) for endpoint in self.endpoints]
        problems = [error for _, error in probes if error is not None]
        if problems:
            metrics = attrs.evolve(metrics, read_errors=(*metrics.read_errors, *problems))
        return metrics.with_endpoints(status for status, _ in probes)

    # -- files ---------------------------------------------------------------------------------------

    def _files(self, scan: _Scan) -> list[tuple[Path, os.stat_result]]:
        files: list[tuple[Path, os.stat_result]] = []
        for given in self.paths:
            path = Path(given)
            try:
                info = path.stat()
            except FileNotFoundError:
                kind = "dangling symbolic link" if path.is_symlink() else "no such file or directory"
                scan.error(path_text(path), kind)
                continue
            except OSError as exc:
                scan.error(path_text(path), _os_reason(exc))
                continue
            if stat.S_ISDIR(info.st_mode):
                files.extend(_walk(path, scan))
            elif stat.S_ISREG(info.st_mode):
                files.append((path, info))
            else:
                scan.error(path_text(path), "not a regular file or folder")
        return files

    def _read_all(
        self, files: list[tuple[Path, os.stat_result]], cache: dict[str, _FileEntry], scan: _Scan
    ) -> dict[str, _FileEntry]:
        """Each file's entry, from the cache when its stat is unchanged (errors are never cached)."""
        entries: dict[str, _FileEntry] = {}
        for path, info in files:
            name = path_text(path)
            if name in entries:  # named twice (a file and its folder): once is enough
                continue
            key = _key(info)
            entry = cache.get(name)
            if entry is None or entry.key != key:
                entry = self._read(path, name, key, scan)
            if entry is not None:
                entries[name] = entry
                scan.outcomes[entry.outcome] += 1
        return entries

    def _read(self, path: Path, name: str, key: FileKey, scan: _Scan) -> _FileEntry | None:
        from caiso_pki._encoding import is_pem
        from caiso_pki._source import read_file
        from caiso_pki.certificate import load_certificates
        from caiso_pki.kinds import file_kind

        try:
            data = read_file(path, what="certificate")
            pem = is_pem(data)
            kind = file_kind(data) if pem else None
        except CaisoPkiError as exc:
            scan.error(name, _reason(name, exc))
            return None
        suffix = path.suffix.lower()
        if not pem and (suffix in PKCS12_SUFFIXES or _looks_like_pfx(data)):
            return self._read_pkcs12(path, name, key, data, scan)
        if kind == "crl" or (not pem and suffix in _CRL_SUFFIXES):
            crl = _crl(NamedBytes(data, name, path), name, scan)
            return _FileEntry(key, "crl", crl=crl) if crl is not None else None
        if kind not in (None, "certificate", "pkcs7"):
            return _FileEntry(key, "ignored")  # keys, CSRs, OCSP responses: not what this watches
        try:
            certificates = load_certificates(NamedBytes(data, name, path))
        except CaisoPkiError as exc:
            scan.error(name, f"no certificate read: {_reason(name, exc)}")
            return None
        return self._certificates(key, name, certificates, scan)

    def _certificates(
        self, key: FileKey, name: str, certificates: Sequence[Certificate], scan: _Scan
    ) -> _FileEntry | None:
        try:
            found = tuple((cert, certificate_facts(cert)) for cert in certificates)
        except CaisoPkiError as exc:
            scan.error(name, f"certificate not readable: {_reason(name, exc)}")
            return None
        labels = tuple(self.inventory.labels_for(name).items()) if self.inventory is not None else ()
        return _FileEntry(key, "certificates", certificates=found, labels=labels)

    def _read_pkcs12(
        self, path: Path, name: str, key: FileKey, data: bytes, scan: _Scan
    ) -> _FileEntry | None:
        from caiso_pki.pkcs12 import load_pkcs12

        password = self.inventory.password_for(path) if self.inventory is not None else None
        password = password or self.password
        try:
            secret = password.read() if password is not None else None
            bundle = load_pkcs12(NamedBytes(data, name, path), password=secret)
        except PasswordError as exc:
            if password is None:
                reason = "PKCS#12 password needed: give password_file or password_env for it in the inventory"
            else:
                reason = _reason(name, exc)
            scan.error(name, reason)
            return None
        except CaisoPkiError as exc:
            scan.error(name, _reason(name, exc))
            return None
        certificates = list(bundle.certificates)
        if not certificates:
            scan.error(name, "the PKCS#12 holds no certificate")
            return None
        return self._certificates(key, name, certificates, scan)

    def _given_crls(self, scan: _Scan) -> dict[str, _FileEntry]:
        from caiso_pki._source import read_file

        entries: dict[str, _FileEntry] = {}
        for given in self.crls:
            path = Path(given)
            name = path_text(path)
            try:
                key = _key(path.stat())
            except OSError as exc:
                scan.error(name, _os_reason(exc), count=False)
                continue
            entry = self._state.given_crls.get(name)
            if entry is None or entry.key != key:
                try:
                    data = read_file(path, what="CRL")
                except CaisoPkiError as exc:
                    scan.error(name, _reason(name, exc), count=False)
                    continue
                crl = _crl(data, name, scan, count=False)
                if crl is None:
                    continue
                entry = _FileEntry(key, "crl", crl=crl)
            entries[name] = entry
        return entries

    # -- validation ----------------------------------------------------------------------------------

    def _validate(
        self, files: dict[str, _FileEntry], trust: TrustStore, when: dt.datetime, crls: list[bytes]
    ) -> list[CertificateSample]:
        from caiso_pki.validation import validate_many

        found = [
            (name, position, cert, facts, entry.labels)
            for name, entry in sorted(files.items())
            for position, (cert, facts) in enumerate(entry.certificates)
        ]
        if not found:
            return []
        pool = list(
            {facts.fingerprint_sha256: cert for _, _, cert, facts, _ in found if facts.is_ca}.values()
        )
        leaves = [cert for _, _, cert, _, _ in found]
        results = validate_many(
            leaves,
            pool,
            trust=trust,
            at=when,
            revocation=self.revocation,
            crls=crls,
            fleet_cache=self._state.fleet,
        )
        anchors = anchor_labels(trust)
        return [
            certificate_sample(
                facts, result, anchors=anchors, path=name, position=position, labels=dict(labels)
            )
            for (name, position, _, facts, labels), result in zip(found, results, strict=True)
        ]

    # -- endpoints -----------------------------------------------------------------------------------

    def _probe(self, endpoint: str, trust: TrustStore) -> tuple[EndpointStatus, ReadError | None]:
        """The endpoint's status; what stops ``connect`` before it reaches the wire (pyOpenSSL missing,
        a host name that is not valid) is a read error for the endpoint, which is down."""
        from caiso_pki.connection import connect

        try:
            report = connect(
                endpoint, client=self.client, trust=trust, http_method=None, timeout=self.timeout
            )
        except CaisoPkiError as exc:
            return EndpointStatus(endpoint=endpoint, up=False), ReadError(endpoint, str(exc))
        return endpoint_status(report, store=trust), None


def _crl(
    data: NamedBytes, name: str, scan: _Scan, *, count: bool = True
) -> tuple[bytes, CrlFreshness] | None:
    try:
        freshness = crl_freshness(data)
    except CaisoPkiError as exc:
        scan.error(name, f"not a readable CRL: {_reason(name, exc)}", count=count)
        return None
    return bytes(data), freshness


def _looks_like_pfx(data: bytes) -> bool:
    """A DER SEQUENCE whose first element is INTEGER 3: a PFX (RFC 7292), never a certificate, whose
    first element is a SEQUENCE.  :func:`~caiso_pki.pkcs12.load_pkcs12` decides for certain."""
    if len(data) < 8 or data[0] != 0x30:
        return False
    header = 2 if data[1] < 0x80 else 2 + (data[1] & 0x7F)
    return data[header : header + 3] == b"\x02\x01\x03"


def _walk(root: Path, scan: _Scan) -> list[tuple[Path, os.stat_result]]:
    """Regular files under ``root``, sorted, hidden names skipped; unlistable folders are read errors."""

    def unlistable(exc: OSError) -> None:
        where = exc.filename if exc.filename is not None else root
        scan.error(path_text(where), f"cannot list the folder: {_os_reason(exc)}")

    files: list[tuple[Path, os.stat_result]] = []
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
                scan.error(path_text(path), reason)
                continue
            except OSError as exc:
                scan.error(path_text(path), _os_reason(exc))
                continue
            if stat.S_ISREG(info.st_mode):
                files.append((path, info))
    return files


def scan_fleet(
    paths: Sequence[str | os.PathLike[str]] | str | os.PathLike[str],
    *,
    trust: TrustStore,
    inventory: Inventory | None = None,
    crls: Iterable[str | os.PathLike[str]] = (),
    endpoints: Iterable[str] = (),
    client: ClientCredential | None = None,
    password: PasswordSource | None = None,
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
        password=password,
        revocation=revocation,
        timeout=timeout,
    )
    return monitor.scan(trust=trust, at=at)
