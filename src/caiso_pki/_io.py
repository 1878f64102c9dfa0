"""Reading inputs and detecting their format: PEM, DER, PKCS#7 and PKCS#12.

Every public loader accepts ``bytes``, a ``str`` holding PEM text, or a path (``str`` or
``os.PathLike``).  Whatever goes wrong, the caller gets a :class:`~caiso_pki.errors.CaisoPkiError`
subclass whose message names the input; no exception from cryptography or asn1crypto escapes.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import stat
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Final, Literal

import attrs

from caiso_pki.errors import (
    CaisoPkiError,
    MalformedInputError,
    PassphraseError,
    UnsupportedAlgorithmError,
)

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
    from cryptography.x509 import ocsp as cx_ocsp

    from caiso_pki.certificate import Certificate
    from caiso_pki.csr import Csr

__all__ = [
    "MAX_INPUT_BYTES",
    "NamedBytes",
    "PemBlock",
    "Pkcs12Bundle",
    "Source",
    "detect_kind",
    "first_line_secret",
    "load_ocsp_response",
    "is_pem",
    "is_rust_panic",
    "load_certificate",
    "load_certificates",
    "load_crl",
    "load_csr",
    "load_pkcs12",
    "load_private_key",
    "read_file",
    "read_source",
    "read_stream",
    "split_pem",
]

Source = bytes | bytearray | memoryview | str | os.PathLike[str]
Password = str | bytes | None

#: Inputs larger than this are refused before parsing, so a hostile file cannot exhaust memory.
MAX_INPUT_BYTES: Final = 32 * 1024 * 1024

#: What asn1crypto raises on damaged input (it has no exception hierarchy of its own).
ASN1_ERRORS: Final = (
    ValueError,
    TypeError,
    KeyError,
    AttributeError,
    IndexError,
    OverflowError,
    RecursionError,
)

_PEM_BLOCK: Final = re.compile(
    rb"-----BEGIN (?P<label>[A-Z0-9 #/_-]{1,64})-----(?P<body>.*?)-----END (?P<end>[A-Z0-9 #/_-]{1,64})-----",
    re.DOTALL,
)
_PEM_BEGIN: Final = re.compile(rb"-----BEGIN [A-Z0-9 #/_-]{1,64}-----")
_CERT_LABELS: Final = frozenset({"CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"})
_PKCS7_LABELS: Final = frozenset({"PKCS7", "CMS", "PKCS #7 SIGNED DATA"})
_CSR_LABELS: Final = frozenset({"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"})
_CRL_LABELS: Final = frozenset({"X509 CRL"})
_KEY_LABELS: Final = frozenset(
    {"PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY"}
)


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


@attrs.frozen
class PemBlock:
    """One ``-----BEGIN X-----`` block: its label, decoded DER and the original text."""

    label: str
    der: bytes
    text: bytes = attrs.field(repr=False)


def read_source(source: Source, *, what: str = "input") -> tuple[bytes, str]:
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


def is_rust_panic(exc: BaseException) -> bool:
    """True for pyo3's ``PanicException`` (a Rust panic inside cryptography), which is a BaseException."""
    kind = type(exc)
    return kind.__name__ == "PanicException" and kind.__module__ == "pyo3_runtime"


def is_pem(data: bytes) -> bool:
    """True when ``data`` contains a PEM BEGIN line."""
    return _PEM_BEGIN.search(data) is not None


def split_pem(data: bytes, name: str) -> list[PemBlock]:
    """Split PEM text into blocks, checking each label pair and its base64 strictly."""
    blocks: list[PemBlock] = []
    begins = len(_PEM_BEGIN.findall(data))
    for match in _PEM_BLOCK.finditer(data):
        label = match.group("label").decode("ascii")
        end = match.group("end").decode("ascii")
        if end != label:
            raise MalformedInputError(f"{name}: PEM block BEGIN {label} ends with END {end}")
        body = match.group("body")
        if b":" in body:
            # RFC 1421 headers (legacy encrypted keys); keep the text for cryptography to read.
            blocks.append(PemBlock(label=label, der=b"", text=match.group(0)))
            continue
        compact = re.sub(rb"\s+", b"", body)
        try:
            der = base64.b64decode(compact, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise MalformedInputError(f"{name}: PEM block {label} has invalid base64") from exc
        if not der:
            raise MalformedInputError(f"{name}: PEM block {label} is empty")
        blocks.append(PemBlock(label=label, der=der, text=match.group(0)))
    if begins != len(blocks):
        raise MalformedInputError(
            f"{name}: PEM is truncated or damaged ({begins} BEGIN lines, {len(blocks)} complete blocks)"
        )
    return blocks


def _labels(blocks: list[PemBlock]) -> str:
    return ", ".join(sorted({block.label for block in blocks})) or "nothing"


def _pkcs7_certificate_ders(der: bytes, name: str) -> list[bytes]:
    from asn1crypto import cms

    try:
        info = cms.ContentInfo.load(der, strict=True)
        content_type = info["content_type"].native
        if content_type != "signed_data":
            raise MalformedInputError(f"{name}: PKCS#7 content is {content_type}, not signed data")
        certs = info["content"]["certificates"]
        if isinstance(certs, cms.CertificateSet):
            result = [choice.chosen.dump() for choice in certs if choice.name == "certificate"]
        else:  # the OPTIONAL field is absent (asn1crypto gives a Void)
            result = []
    except CaisoPkiError:
        raise
    except ASN1_ERRORS as exc:
        raise MalformedInputError(f"{name}: not a valid PKCS#7 structure ({exc.__class__.__name__})") from exc
    return result


def _looks_like_pkcs7(der: bytes) -> bool:
    # SEQUENCE { OID 1.2.840.113549.1.7.2 ...}: the OID's bytes appear within the first bytes.
    return b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02" in der[:24]


def _certificates_from(data: bytes, name: str) -> list[Certificate]:
    from caiso_pki.certificate import Certificate

    ders: list[bytes] = []
    if is_pem(data):
        blocks = split_pem(data, name)
        for block in blocks:
            if block.label in _CERT_LABELS:
                ders.append(block.der)
            elif block.label in _PKCS7_LABELS:
                ders.extend(_pkcs7_certificate_ders(block.der, name))
        if not ders:
            raise MalformedInputError(f"{name}: holds {_labels(blocks)}, no certificate")
    elif _looks_like_pkcs7(data):
        ders = _pkcs7_certificate_ders(data, name)
        if not ders:
            raise MalformedInputError(f"{name}: PKCS#7 bundle holds no certificate")
    else:
        ders = [data]
    return [Certificate.from_der(der, source_name=name) for der in ders]


def load_certificates(source: Source) -> list[Certificate]:
    """Load every certificate in ``source``: PEM (one or many blocks), DER, or PKCS#7 in PEM or DER.

    Non-certificate PEM blocks beside certificates (a key in a combined file) are skipped; a source with
    no certificate at all raises :class:`MalformedInputError` saying what it held instead.
    """
    data, name = read_source(source, what="certificate")
    return _certificates_from(data, name)


def load_certificate(source: Source) -> Certificate:
    """Load exactly one certificate; raise :class:`MalformedInputError` when there are none or several."""
    data, name = read_source(source, what="certificate")
    certs = _certificates_from(data, name)
    if len(certs) != 1:
        raise MalformedInputError(f"{name}: expected exactly one certificate, found {len(certs)}")
    return certs[0]


_BOM: Final = b"\xef\xbb\xbf"


def first_line_secret(data: bytes, name: str, *, allow_empty: bool = False) -> str:
    """The passphrase in a file's content: its first line, as ``openssl -passin file:`` reads it.

    The one reading of a password file, for the command line's ``--password-file`` options and the
    monitoring inventory's ``password_file`` alike.  A UTF-8 byte order mark is dropped and the line's
    trailing LF or CRLF is removed (openssl keeps a CR; Windows editors write one, and nobody means it
    as part of a passphrase).  Bytes that are not UTF-8 raise :class:`PassphraseError` naming ``name``;
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
        raise PassphraseError(
            f"{name}: the passphrase file is not UTF-8 text (byte {exc.start + 1} of its first line); "
            "save it as UTF-8"
        ) from exc
    if not secret and not allow_empty:
        raise PassphraseError(f"{name}: the first line of the passphrase file is empty")
    return secret


def _password_bytes(password: Password, name: str) -> bytes | None:
    if password is None:
        return None
    if isinstance(password, str):
        return password.encode("utf-8")
    if isinstance(password, (bytes, bytearray, memoryview)):
        return bytes(password)
    raise PassphraseError(f"{name}: passphrase must be str or bytes, not {type(password).__name__}")


def _is_encrypted_der_key(der: bytes) -> bool:
    from asn1crypto import keys

    try:
        info = keys.EncryptedPrivateKeyInfo.load(der, strict=True)
        info["encryption_algorithm"]["algorithm"].native  # noqa: B018 -- force the lazy parse
        info["encrypted_data"].native  # noqa: B018
    except ASN1_ERRORS:
        return False
    return True


#: Key-derivation iteration counts above this are refused before any work is done: a hostile encrypted
#: key or PFX could otherwise make a load spin for minutes (PBKDF2 at 2**31 rounds).  Real files use
#: 2,048 (OpenSSL) to 600,000 (OWASP 2023); 10 million takes about a second.
MAX_KDF_ITERATIONS: Final = 10_000_000


def _kdf_iterations(algorithm: object) -> int:
    """The iteration count of a PBES1/PBES2/PKCS#12-PBE AlgorithmIdentifier (asn1crypto), or 0."""
    from asn1crypto import algos

    if not isinstance(algorithm, algos.EncryptionAlgorithm):
        return 0
    try:
        return int(algorithm.kdf_iterations)
    except ASN1_ERRORS:  # not a password-based scheme, or damaged parameters (the loader will say so)
        return 0


def _check_kdf_cost(der: bytes, name: str) -> None:
    from asn1crypto import keys

    try:
        info = keys.EncryptedPrivateKeyInfo.load(der, strict=True)
        iterations = _kdf_iterations(info["encryption_algorithm"])
    except ASN1_ERRORS:
        return
    if iterations > MAX_KDF_ITERATIONS:
        raise UnsupportedAlgorithmError(
            f"{name}: the key's passphrase derivation asks for {iterations} iterations "
            f"(more than {MAX_KDF_ITERATIONS}); refusing a file that would take minutes to open"
        )


def load_private_key(source: Source, password: Password = None) -> PrivateKeyTypes:
    """Load a private key: PKCS#1, PKCS#8 or SEC1, PEM or DER, encrypted or not.

    Raises :class:`PassphraseError` when the key is encrypted and the passphrase is missing or wrong,
    or when a passphrase is given for an unencrypted key.
    """
    from cryptography.exceptions import InternalError, UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization

    data, name = read_source(source, what="private key")
    secret = _password_bytes(password, name)
    if is_pem(data):
        blocks = split_pem(data, name)
        keys = [block for block in blocks if block.label in _KEY_LABELS]
        if not keys:
            raise MalformedInputError(f"{name}: holds {_labels(blocks)}, no private key")
        if len(keys) > 1:
            raise MalformedInputError(f"{name}: holds {len(keys)} private keys, expected one")
        block = keys[0]
        encrypted = block.label == "ENCRYPTED PRIVATE KEY" or b"Proc-Type: 4,ENCRYPTED" in block.text
        if not encrypted and block.der:
            encrypted = _is_encrypted_der_key(block.der)
        loader = serialization.load_pem_private_key
        payload = block.text
    else:
        encrypted = _is_encrypted_der_key(data)
        loader = serialization.load_der_private_key
        payload = data
    if encrypted and secret is None:
        raise PassphraseError(f"{name}: the private key is encrypted; a passphrase is required")
    if encrypted:
        _check_kdf_cost(block.der if payload is not data else data, name)

    def attempt(password: bytes | None) -> PrivateKeyTypes:
        try:
            return loader(payload, password=password)
        except UnsupportedAlgorithm as exc:
            raise UnsupportedAlgorithmError(
                f"{name}: unsupported private key algorithm or encryption"
            ) from exc
        except (ValueError, InternalError) as exc:
            if password is not None:
                raise PassphraseError(
                    f"{name}: wrong passphrase for the private key (or damaged key)"
                ) from exc
            raise MalformedInputError(f"{name}: not a valid private key") from exc
        except BaseException as exc:
            if is_rust_panic(exc):
                raise MalformedInputError(f"{name}: not a valid private key") from exc
            raise

    try:
        # An unencrypted key is read without the passphrase, so damage is reported as damage.
        key = attempt(secret if encrypted else None)
    except TypeError as exc:
        # cryptography found encryption the structural check missed (unusual legacy PEM headers).
        if secret is None:
            raise PassphraseError(f"{name}: the private key is encrypted; a passphrase is required") from exc
        encrypted = True
        try:
            key = attempt(secret)
        except TypeError as again:
            raise MalformedInputError(f"{name}: not a valid private key") from again
    if not encrypted and secret is not None:
        raise PassphraseError(f"{name}: a passphrase was given but the private key is not encrypted")
    return key


def load_csr(source: Source) -> Csr:
    """Load a PKCS#10 certificate signing request from PEM or DER."""
    from cryptography import x509
    from cryptography.exceptions import UnsupportedAlgorithm

    from caiso_pki.csr import Csr

    data, name = read_source(source, what="CSR")
    if is_pem(data):
        blocks = split_pem(data, name)
        found = [block for block in blocks if block.label in _CSR_LABELS]
        if len(found) != 1:
            raise MalformedInputError(f"{name}: holds {_labels(blocks)}; expected one CERTIFICATE REQUEST")
        der = found[0].der
    else:
        der = data
    try:
        parsed = x509.load_der_x509_csr(der)
        # Force every lazy parse so damage surfaces here, not in a later view.
        parsed.subject  # noqa: B018
        parsed.extensions  # noqa: B018
        list(parsed.attributes)
        parsed.signature_algorithm_oid  # noqa: B018
        parsed.public_key()
    except UnsupportedAlgorithm as exc:
        raise UnsupportedAlgorithmError(f"{name}: the CSR's key algorithm is not supported") from exc
    except (
        ValueError,
        TypeError,  # cryptography refuses some name attribute types (BIT STRING outside x500UniqueIdentifier)
        x509.InvalidVersion,
        x509.DuplicateExtension,
        x509.UnsupportedGeneralNameType,
    ) as exc:
        raise MalformedInputError(f"{name}: not a valid certificate signing request") from exc
    except BaseException as exc:
        if is_rust_panic(exc):
            raise MalformedInputError(f"{name}: not a valid certificate signing request") from exc
        raise
    return Csr(parsed)


def load_crl(source: Source) -> x509.CertificateRevocationList:
    """Load an X.509 CRL from PEM or DER.

    Every revoked entry is read once here, so iterating the returned CRL cannot fail later.
    """
    from cryptography import x509
    from cryptography.utils import CryptographyDeprecationWarning

    data, name = read_source(source, what="CRL")
    if is_pem(data):
        blocks = split_pem(data, name)
        found = [block for block in blocks if block.label in _CRL_LABELS]
        if len(found) != 1:
            raise MalformedInputError(f"{name}: holds {_labels(blocks)}; expected one X509 CRL")
        der = found[0].der
    else:
        der = data
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            crl = x509.load_der_x509_crl(der)
            crl.issuer  # noqa: B018
            crl.extensions  # noqa: B018
            crl.last_update_utc  # noqa: B018
            crl.next_update_utc  # noqa: B018
            crl.signature_algorithm_oid  # noqa: B018
            for entry in crl:
                entry.serial_number  # noqa: B018
                entry.revocation_date_utc  # noqa: B018
                entry.extensions  # noqa: B018
    except (
        ValueError,
        TypeError,
        x509.InvalidVersion,
        x509.DuplicateExtension,
        x509.UnsupportedGeneralNameType,
    ) as exc:
        raise MalformedInputError(f"{name}: not a valid CRL") from exc
    except BaseException as exc:
        if is_rust_panic(exc):
            raise MalformedInputError(f"{name}: not a valid CRL") from exc
        raise
    return crl


@attrs.frozen
class Pkcs12Bundle:
    """What a PKCS#12 (PFX) file holds: a key, its certificate and extra (chain) certificates.

    The key is excluded from ``repr`` so a bundle can be printed or logged safely.
    """

    key: PrivateKeyTypes | None = attrs.field(repr=False)
    certificate: Certificate | None
    additional_certificates: tuple[Certificate, ...] = ()
    friendly_name: str | None = None


def _pfx_has_mac(data: bytes) -> bool | None:
    """Whether a PFX carries a MAC; ``None`` when ``data`` is not a PFX (version 3, data/signed auth-safe)."""
    from asn1crypto import pkcs12

    try:
        pfx = pkcs12.Pfx.load(data, strict=True)
        if pfx["version"].native not in {3, "v3"}:
            return None
        if pfx["auth_safe"]["content_type"].native not in {"data", "signed_data"}:
            return None
        pfx["auth_safe"]["content"].contents  # noqa: B018
        return bool(pfx["mac_data"].native is not None)
    except ASN1_ERRORS:
        return None


def _pfx_kdf_iterations(data: bytes) -> int:
    """The largest iteration count a PFX asks for before its password is known (MAC, encrypted
    contents, shrouded key bags in plain contents); 0 when the structure cannot be read."""
    from asn1crypto import pkcs12

    counts = [0]
    try:
        pfx = pkcs12.Pfx.load(data, strict=True)
        mac = pfx["mac_data"]
        if mac.native is not None:
            counts.append(int(mac["iterations"].native))
        for info in pfx.authenticated_safe:
            if info["content_type"].native == "encrypted_data":
                algorithm = info["content"]["encrypted_content_info"]["content_encryption_algorithm"]
                counts.append(_kdf_iterations(algorithm))
            elif info["content_type"].native == "data":
                for bag in pkcs12.SafeContents.load(info["content"].native):
                    if bag["bag_id"].native == "pkcs8_shrouded_key_bag":
                        counts.append(_kdf_iterations(bag["bag_value"]["encryption_algorithm"]))
    except ASN1_ERRORS:
        pass
    return max(counts)


def load_pkcs12(source: Source, password: Password) -> Pkcs12Bundle:
    """Load a PKCS#12 / PFX bundle; raise :class:`PassphraseError` for a wrong or missing password.

    ``password=None`` means no password: it reads only an unprotected bundle (no MAC).  A bundle
    protected by an empty password (some Windows and Java exports) is read with ``password=""``; an
    empty password is never tried unless it is given.
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import pkcs12

    from caiso_pki.certificate import Certificate

    data, name = read_source(source, what="PKCS#12")
    secret = _password_bytes(password, name)
    if secret is not None and b"\x00" in secret:
        # OpenSSL takes the password as a C string; cryptography panics on an embedded NUL.
        raise PassphraseError(f"{name}: a PKCS#12 password cannot contain a NUL character")
    has_mac = _pfx_has_mac(data)
    if has_mac is None:
        raise MalformedInputError(f"{name}: not a PKCS#12 (PFX) file")
    if has_mac and secret is None:
        raise PassphraseError(
            f'{name}: the PKCS#12 is password-protected; give its password (an empty one as "")'
        )
    iterations = _pfx_kdf_iterations(data)
    if iterations > MAX_KDF_ITERATIONS:
        raise UnsupportedAlgorithmError(
            f"{name}: the PKCS#12 password derivation asks for {iterations} iterations "
            f"(more than {MAX_KDF_ITERATIONS}); refusing a file that would take minutes to open"
        )
    try:
        loaded = pkcs12.load_pkcs12(data, secret)
    except UnsupportedAlgorithm as exc:
        raise UnsupportedAlgorithmError(f"{name}: PKCS#12 uses an unsupported algorithm") from exc
    except ValueError as exc:
        if has_mac:
            raise PassphraseError(f"{name}: wrong PKCS#12 password (or damaged PFX)") from exc
        raise MalformedInputError(f"{name}: cannot read PKCS#12 contents") from exc
    except BaseException as exc:
        # cryptography raises assorted types for damaged bags, and its Rust code can panic (a friendly
        # name with a NUL byte), which surfaces as pyo3's PanicException, a BaseException.
        if isinstance(exc, Exception) or is_rust_panic(exc):
            raise MalformedInputError(f"{name}: cannot read PKCS#12 contents ({type(exc).__name__})") from exc
        raise
    cert = loaded.cert
    friendly = cert.friendly_name.decode("utf-8", "replace") if cert and cert.friendly_name else None
    return Pkcs12Bundle(
        key=loaded.key,
        certificate=Certificate.from_cryptography(cert.certificate, source_name=name) if cert else None,
        additional_certificates=tuple(
            Certificate.from_cryptography(extra.certificate, source_name=name)
            for extra in loaded.additional_certs
        ),
        friendly_name=friendly,
    )


Kind = Literal["certificate", "pkcs7", "csr", "crl", "ocsp-response", "private-key", "pkcs12", "unknown"]

_PEM_KINDS: Final[tuple[tuple[frozenset[str], Kind], ...]] = (
    (_CERT_LABELS, "certificate"),
    (_PKCS7_LABELS, "pkcs7"),
    (_CSR_LABELS, "csr"),
    (_CRL_LABELS, "crl"),
    (_KEY_LABELS, "private-key"),
)


def load_ocsp_response(source: Source) -> cx_ocsp.OCSPResponse:
    """Load a DER OCSP response (bytes or a path) and check that it parses.

    Use it for offline revocation data handed to validation.  A response whose status is not
    ``successful`` still loads (check ``response_status``); anything that is not an OCSP response
    raises :class:`~caiso_pki.errors.MalformedInputError` naming the input.
    """
    from cryptography.x509 import ocsp as cx_ocsp_module

    data, name = read_source(source, what="OCSP response")
    if is_pem(data):
        raise MalformedInputError(f"{name}: PEM is not a format for OCSP responses; pass the DER bytes")
    try:
        response = cx_ocsp_module.load_der_ocsp_response(data)
        if response.response_status == cx_ocsp_module.OCSPResponseStatus.SUCCESSFUL:
            response.responder_name  # noqa: B018
            response.produced_at_utc  # noqa: B018
            response.extensions  # noqa: B018
            for single in response.responses:
                single.serial_number  # noqa: B018
                single.certificate_status  # noqa: B018
                single.this_update_utc  # noqa: B018
                single.next_update_utc  # noqa: B018
    except Exception as exc:  # ValueError, or anything else cryptography's parser throws at damage
        raise MalformedInputError(f"{name}: not a DER OCSP response ({type(exc).__name__}: {exc})") from exc
    return response


def _is_ocsp_response(data: bytes) -> bool:
    try:
        load_ocsp_response(data)
    except (CaisoPkiError, ValueError, TypeError):
        return False
    return True


def detect_kind(source: Source) -> Kind:
    """Guess what ``source`` holds without needing a password (used by ``caiso-pki inspect``).

    PEM is classified by its labels; DER by which loader accepts it.  Returns ``"unknown"`` when
    nothing fits; raises only for unreadable sources (missing file, empty, damaged PEM).
    """
    data, name = read_source(source)
    if is_pem(data):
        labels = {block.label for block in split_pem(data, name)}
        for group, kind in _PEM_KINDS:
            if labels & group:
                return kind
        return "unknown"
    if _looks_like_pkcs7(data):
        return "pkcs7"
    if _pfx_has_mac(data) is not None:
        return "pkcs12"
    from caiso_pki.certificate import TrailingDataError

    try:
        _certificates_from(data, name)
    except TrailingDataError:  # a certificate all the same: its loader says what is wrong with it
        return "certificate"
    except CaisoPkiError:
        pass
    else:
        return "certificate"
    for kind, loader in (("csr", load_csr), ("crl", load_crl)):
        try:
            loader(data)
        except CaisoPkiError:
            continue
        return kind
    if _is_ocsp_response(data):
        return "ocsp-response"
    try:
        load_private_key(data)
    except PassphraseError:
        return "private-key"
    except CaisoPkiError:
        return "unknown"
    return "private-key"
