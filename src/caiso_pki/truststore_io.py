"""Moving trust stores in and out: PEM, DER, PKCS#7, PKCS#12, OpenSSL hashed directories, OS bundles.

Exports are for tools that cannot enforce ``distrust_after`` (OpenSSL, Java, Windows), so by default
they leave out retired entries (:meth:`TrustStore.trusted`); pass ``include_retired=True`` to keep them.

The OpenSSL hashed directory (``c_rehash`` layout: ``<subject_hash>.0``) works as
``openssl verify -CApath DIR`` and as ``SSL_CERT_DIR``.  The hash is OpenSSL's ``X509_NAME_hash``:
SHA-1 of the canonical encoding of the subject name, first four bytes read little-endian.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import ssl
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal

from caiso_pki._atomic import atomic_write_bytes
from caiso_pki._text import display_path, printable
from caiso_pki.errors import CaisoPkiError, MalformedInputError, TrustStoreError
from caiso_pki.truststore import Role, TrustStore

if TYPE_CHECKING:
    from caiso_pki._source import Password
    from caiso_pki.certificate import Certificate
    from caiso_pki.types import SourceInput

__all__ = [
    "ExportFormat",
    "certifi_bundle",
    "export",
    "load_bundle",
    "subject_hash",
    "system_bundle",
    "to_pem",
    "to_pkcs7",
    "to_pkcs12",
    "write_der_directory",
    "write_openssl_directory",
]

ExportFormat = Literal["pem", "der", "pkcs7", "pkcs12", "openssl-dir"]
EXPORT_FORMATS: Final[tuple[str, ...]] = ("pem", "der", "pkcs7", "pkcs12", "openssl-dir")

_HASH_FILE: Final = re.compile(r"^[0-9a-f]{8}\.[0-9]+$")
_DER_FILE: Final = re.compile(r"^[0-9a-f]{64}\.der$")
_WHITESPACE: Final = b" \t\n\v\f\r"
_SYSTEM_BUNDLES: Final = (
    "/etc/ssl/certs/ca-certificates.crt",  # Debian, Ubuntu, Alpine
    "/etc/pki/tls/certs/ca-bundle.crt",  # Fedora, RHEL
    "/etc/ssl/cert.pem",  # macOS, BSD
    "/etc/ssl/ca-bundle.pem",  # openSUSE
)


# -- OpenSSL subject hash ----------------------------------------------------------------------------


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _tlv(tag: int, body: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(body)) + body


def _canonical_text(text: str) -> bytes:
    """OpenSSL's asn1_string_canon: trim, collapse whitespace runs, lower-case ASCII letters."""
    data = text.encode("utf-8").strip(_WHITESPACE)
    out = bytearray()
    previous_space = False
    for byte in data:
        if byte in _WHITESPACE:
            if not previous_space:
                out.append(0x20)
            previous_space = True
            continue
        previous_space = False
        out.append(byte + 32 if 0x41 <= byte <= 0x5A else byte)
    return bytes(out)


def _canonical_name(certificate: Certificate) -> bytes:
    from asn1crypto import core

    canonical_strings = (
        core.UTF8String,
        core.BMPString,
        core.UniversalString,
        core.PrintableString,
        core.TeletexString,
        core.IA5String,
        core.VisibleString,
    )
    name = certificate.asn1.subject
    encoded = bytearray()
    for rdn in name.chosen:
        members = []
        for type_and_value in rdn:
            value = type_and_value["value"]
            inner = value.chosen if isinstance(value, core.Choice) else value
            if isinstance(inner, canonical_strings):
                value_der = _tlv(0x0C, _canonical_text(inner.native))
            else:
                value_der = value.dump()
            members.append(_tlv(0x30, type_and_value["type"].dump() + value_der))
        encoded += _tlv(0x31, b"".join(sorted(members)))
    return bytes(encoded)


def subject_hash(certificate: Certificate) -> str:
    """``openssl x509 -hash`` of ``certificate``: 8 lower-case hex digits."""
    try:
        canonical = _canonical_name(certificate)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise MalformedInputError(
            f"{certificate.subject.rfc4514!r}: cannot canonicalize the subject"
        ) from exc
    digest = hashlib.sha1(canonical, usedforsecurity=False).digest()
    return f"{int.from_bytes(digest[:4], 'little'):08x}"


# -- import ------------------------------------------------------------------------------------------


def load_bundle(
    source: SourceInput,
    *,
    password: Password = None,
    labels: Iterable[str] | str = (),
    source_name: str | None = None,
    role: Role | None = None,
    distrust_after: dt.datetime | None = None,
) -> TrustStore:
    """A store of every certificate in ``source``: PEM (many), DER, PKCS#7, or PKCS#12 with ``password``.

    Entries are labelled ``labels`` and record ``source_name`` (default: the file name).  The result
    may hold duplicates; call :meth:`TrustStore.dedupe` if the bundle might repeat certificates.
    """
    from caiso_pki._source import read_source
    from caiso_pki.certificate import load_certificates
    from caiso_pki.kinds import file_kind
    from caiso_pki.pkcs12 import load_pkcs12

    _, name = read_source(source, what="certificate bundle")
    if file_kind(source) == "pkcs12":
        certificates = list(load_pkcs12(source, password=password).certificates)
    else:
        certificates = load_certificates(source)
    if not certificates:
        raise MalformedInputError(f"{name}: holds no certificates")
    return TrustStore.from_certificates(
        certificates, labels=labels, source=source_name or name, role=role, distrust_after=distrust_after
    )


def system_bundle(path: str | os.PathLike[str] | None = None) -> TrustStore:
    """The operating system's CA bundle (or the bundle at ``path``) labelled ``system``, for comparison.

    Without ``path`` the bundle is what :func:`ssl.get_default_verify_paths` names, else the first of
    the usual distribution locations that exists.
    """
    if path is None:
        candidates = [ssl.get_default_verify_paths().cafile, *_SYSTEM_BUNDLES]
        found = next((c for c in candidates if c and Path(c).is_file()), None)
        if found is None:
            raise TrustStoreError(
                "no system CA bundle found (looked at the OpenSSL default and "
                + ", ".join(_SYSTEM_BUNDLES)
                + ")"
            )
        path = found
    return load_bundle(path, labels="system", source_name=f"system:{path}").dedupe()


def certifi_bundle() -> TrustStore:
    """The ``certifi`` (Mozilla) bundle labelled ``system``, for comparison; needs ``certifi`` installed."""
    try:
        import certifi
    except ImportError as exc:
        raise TrustStoreError("certifi is not installed: pip install certifi") from exc
    path = certifi.where()
    return load_bundle(path, labels="system", source_name=f"certifi:{path}").dedupe()


# -- export ------------------------------------------------------------------------------------------


def _certificates(store: TrustStore, at: dt.datetime | None, include_retired: bool) -> list[Certificate]:
    return list(store.dedupe().trusted(at=at, include_retired=include_retired).certificates())


def to_pem(store: TrustStore, *, at: dt.datetime | None = None, include_retired: bool = False) -> bytes:
    """A PEM bundle with a comment line naming each certificate (usable as ``cafile``)."""
    parts = []
    for cert in _certificates(store, at, include_retired):
        subject = printable(cert.subject.rfc4514)  # a comment line: no line break, no terminal codes
        parts.append(f"# {subject}\n# SHA256 {cert.fingerprint_sha256}\n{cert.pem}")
    return "".join(parts).encode("utf-8")


def to_pkcs7(
    store: TrustStore, *, pem: bool = False, at: dt.datetime | None = None, include_retired: bool = False
) -> bytes:
    """A certs-only PKCS#7 (``.p7b``), DER unless ``pem=True``."""
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

    certs = _certificates(store, at, include_retired)
    if not certs:
        raise TrustStoreError("nothing to export: the store (after filtering) is empty")
    return pkcs7.serialize_certificates([c.x509 for c in certs], Encoding.PEM if pem else Encoding.DER)


def to_pkcs12(
    store: TrustStore,
    *,
    password: str | bytes | None = None,
    at: dt.datetime | None = None,
    include_retired: bool = False,
) -> bytes:
    """A trust-only PKCS#12 (no key), each certificate marked trusted for Java ``keytool``/``KeyStore``.

    With a password the bundle carries an AES-256/PBKDF2 encryption and a SHA-256 MAC (Java wants a
    store password, conventionally ``changeit``); without one (or with ``""``) its contents are not
    encrypted and its MAC uses the empty password, so it is read back with ``password=""`` (an empty
    password is never tried unless given); that is fine for public certificates.
    """
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import (
        KeySerializationEncryption,
        NoEncryption,
        PrivateFormat,
        pkcs12,
    )

    certs = _certificates(store, at, include_retired)
    if not certs:
        raise TrustStoreError("nothing to export: the store (after filtering) is empty")
    secret = password.encode("utf-8") if isinstance(password, str) else password
    encryption: KeySerializationEncryption
    if secret:
        encryption = (
            PrivateFormat.PKCS12.encryption_builder()
            .kdf_rounds(50_000)
            .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256())
            .build(secret)
        )
    else:
        encryption = NoEncryption()
    bags = [
        pkcs12.PKCS12Certificate(c.x509, (c.subject.common_name or c.fingerprint_sha256[:16]).encode("utf-8"))
        for c in certs
    ]
    try:
        return pkcs12.serialize_java_truststore(bags, encryption)
    except (ValueError, TypeError) as exc:
        raise TrustStoreError(f"cannot build the PKCS#12 trust bundle: {exc}") from exc


def _prepare_directory(out: Path) -> None:
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise TrustStoreError(f"{out}: cannot create the output directory: {exc.strerror}") from exc


def _check_export_directory(out: Path, pattern: re.Pattern[str], *, overwrite: bool) -> None:
    """Refuse a directory that already holds an export of this kind (files it would replace or delete)."""
    if out.exists() and not out.is_dir():
        raise TrustStoreError(f"{display_path(out)} is not a directory; give a directory for this format")
    if overwrite or not out.is_dir():
        return
    try:
        existing = sorted(child.name for child in out.iterdir() if pattern.match(child.name))
    except OSError as exc:
        raise TrustStoreError(f"{display_path(out)}: cannot list the directory: {exc.strerror}") from exc
    if existing:
        raise TrustStoreError(
            f"{display_path(out)} already holds an export ({len(existing)} file(s) such as "
            f"{printable(existing[0])}) that this one would replace",
            remedy="overwrite",
        )


def _write_files(
    out: Path, files: dict[str, bytes], pattern: re.Pattern[str], *, overwrite: bool
) -> list[Path]:
    """Write ``files`` into ``out`` and delete files of the same naming scheme that are no longer wanted."""
    _check_export_directory(out, pattern, overwrite=overwrite)
    _prepare_directory(out)
    written = [
        atomic_write_bytes(out / name, data, mode=0o644, overwrite=True, error=TrustStoreError)
        for name, data in files.items()
    ]
    for child in out.iterdir():
        if pattern.match(child.name) and child.name not in files:
            child.unlink()
    return written


def write_openssl_directory(
    store: TrustStore,
    out: str | os.PathLike[str],
    *,
    at: dt.datetime | None = None,
    include_retired: bool = False,
    overwrite: bool = False,
) -> list[Path]:
    """Write a ``c_rehash``-style directory: ``<subject_hash>.<n>`` PEM files (intermediates included).

    A directory that already holds hash files (an earlier export) is refused unless ``overwrite``;
    then stale hash files are removed and other files are left alone.
    """
    files: dict[str, bytes] = {}
    for cert in _certificates(store, at, include_retired):
        base = subject_hash(cert)
        index = 0
        while f"{base}.{index}" in files:
            index += 1
        files[f"{base}.{index}"] = cert.pem.encode("ascii")
    return _write_files(Path(out), files, _HASH_FILE, overwrite=overwrite)


def write_der_directory(
    store: TrustStore,
    out: str | os.PathLike[str],
    *,
    at: dt.datetime | None = None,
    include_retired: bool = False,
    overwrite: bool = False,
) -> list[Path]:
    """Write one ``<sha256>.der`` file per certificate (for tools that import one DER at a time).

    A directory that already holds such files is refused unless ``overwrite``.
    """
    files = {f"{c.fingerprint_sha256}.der": c.der for c in _certificates(store, at, include_retired)}
    return _write_files(Path(out), files, _DER_FILE, overwrite=overwrite)


def export(
    store: TrustStore,
    format: ExportFormat,
    out: str | os.PathLike[str],
    *,
    password: str | bytes | None = None,
    at: dt.datetime | None = None,
    include_retired: bool = False,
    overwrite: bool = False,
) -> list[Path]:
    """Export ``store`` to ``out`` in ``format``; directories for ``der`` and ``openssl-dir``.

    An existing file (or a directory holding an earlier export) is kept unless ``overwrite``.
    Returns the paths written.
    """
    target = Path(out)
    try:
        if format == "openssl-dir":
            return write_openssl_directory(
                store, target, at=at, include_retired=include_retired, overwrite=overwrite
            )
        if format == "der":
            return write_der_directory(
                store, target, at=at, include_retired=include_retired, overwrite=overwrite
            )
        data: bytes
        if format == "pem":
            data = to_pem(store, at=at, include_retired=include_retired)
        elif format == "pkcs7":
            data = to_pkcs7(store, at=at, include_retired=include_retired)
        elif format == "pkcs12":
            data = to_pkcs12(store, password=password, at=at, include_retired=include_retired)
        else:
            raise TrustStoreError(f"export format {format!r}: use one of {', '.join(EXPORT_FORMATS)}")
        return [
            atomic_write_bytes(
                target, data, mode=0o644, overwrite=overwrite, error=TrustStoreError, what="the export"
            )
        ]
    except CaisoPkiError:
        raise
    except OSError as exc:
        raise TrustStoreError(f"{target}: cannot write the export: {exc.strerror}") from exc
