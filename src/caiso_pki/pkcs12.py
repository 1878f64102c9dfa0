"""PKCS#12 (PFX) bundles for copying a certificate and its key to Windows, Java or another machine.

:func:`export_pkcs12` packs a private key, its certificate and the chain into one password-protected
file; :func:`load_pkcs12` unpacks one into a :class:`Pkcs12Bundle` (the key, its certificate and the
chain, leaf side first), checking that the key belongs to the certificate.  The default
encryption is modern (AES-256-CBC keys and certificates, PBKDF2-HMAC-SHA256, SHA-256 MAC), which
Windows 10 1709+/Server 2019+, Java 8u301+ and OpenSSL 1.1+ read.  ``legacy=True`` produces what
older Windows imports need (pbeWithSHAAnd3-KeyTripleDES-CBC and a SHA-1 MAC).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Final

import attrs

from caiso_pki._atomic import atomic_write_bytes
from caiso_pki._encoding import ASN1_ERRORS, is_rust_panic, pfx_has_mac
from caiso_pki._kdf import MAX_KDF_ITERATIONS, kdf_iterations
from caiso_pki._key_holder import OptionalKeyHolder
from caiso_pki._source import Password, password_bytes, read_source
from caiso_pki.certificate import Certificate, load_certificate, load_certificates
from caiso_pki.errors import CaisoPkiError, MalformedInputError, PasswordError, UnsupportedAlgorithmError
from caiso_pki.keys import key_matches_certificate, load_private_key

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

    from caiso_pki.types import CertificateInput, CertificatesInput, PrivateKeyInput, SourceInput

__all__ = ["Pkcs12Bundle", "export_pkcs12", "load_pkcs12", "order_chain"]

#: PBKDF2 iterations for the modern profile (OpenSSL's default is 2048; Windows and Java accept more).
MODERN_KDF_ROUNDS: Final = 100_000
#: Iterations for the legacy profile, matching what old Windows versions expect.
LEGACY_KDF_ROUNDS: Final = 2048


_RAW: Final = (bytes, bytearray, memoryview, str, os.PathLike)


def _certificate(value: CertificateInput, what: str) -> Certificate:
    from cryptography import x509

    from caiso_pki.types import CertificateHolder

    if isinstance(value, Certificate):
        return value
    if isinstance(value, x509.Certificate):
        return Certificate.from_cryptography(value)
    if isinstance(value, _RAW):
        return load_certificate(value)
    if isinstance(value, CertificateHolder) and isinstance(value.certificate, Certificate):
        return value.certificate
    raise MalformedInputError(f"<{what}>: expected a Certificate, cryptography certificate, bytes or path")


def certificates_from(values: CertificatesInput | None, what: str) -> list[Certificate]:
    """Certificates from an iterable of certificate inputs or from one input (a bundle file, PEM text
    or bytes give every certificate they hold)."""
    if values is None:
        return []
    if isinstance(values, _RAW):
        return list(load_certificates(values))
    if isinstance(values, Iterable):
        return [_certificate(value, what) for value in values]
    return [_certificate(values, what)]


def private_key_from(value: PrivateKeyInput, password: Password = None) -> PrivateKeyTypes:
    """A cryptography private key from a key object, PEM/DER bytes, PEM text or a path."""
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    key_types = (
        rsa.RSAPrivateKey,
        ec.EllipticCurvePrivateKey,
        ed25519.Ed25519PrivateKey,
        ed448.Ed448PrivateKey,
        dsa.DSAPrivateKey,
    )
    if isinstance(value, key_types):
        return value
    if isinstance(value, _RAW):
        return load_private_key(value, password=password)
    raise MalformedInputError("<private key>: expected a private key object, PEM/DER bytes or a path")


def check_key_matches(key: PrivateKeyTypes, certificate: Certificate, name: str | None = None) -> None:
    """Raise :class:`MalformedInputError` unless ``key`` is the private half of ``certificate``'s key."""
    if not key_matches_certificate(key, certificate):
        where = f"{name}: " if name is not None else ""
        raise MalformedInputError(
            f"{where}the private key does not belong to the certificate {certificate.subject.rfc4514!r}"
        )


def order_chain(leaf: Certificate | None, others: Sequence[Certificate]) -> tuple[Certificate, ...]:
    """``others`` ordered from the leaf's issuer upwards; certificates off that path follow in input order."""
    remaining = list(dict.fromkeys(others))
    ordered: list[Certificate] = []
    current = leaf
    while current is not None and remaining:
        parent = next((c for c in remaining if c.subject.rfc4514 == current.issuer.rfc4514), None)
        if parent is None or parent == current:
            break
        ordered.append(parent)
        remaining.remove(parent)
        current = None if parent.is_self_issued else parent
    return (*ordered, *remaining)


def export_pkcs12(
    key: PrivateKeyInput,
    cert: CertificateInput,
    *,
    chain: CertificatesInput = (),
    password: str | bytes,
    friendly_name: str | None = None,
    legacy: bool = False,
    key_password: Password = None,
    path: str | os.PathLike[str] | None = None,
    overwrite: bool = False,
) -> bytes:
    """A password-protected PKCS#12 holding ``key``, ``cert`` and ``chain`` (intermediates, root optional).

    ``key`` is a private key object, PEM/DER bytes or a path (``key_password`` if encrypted);
    ``cert`` and ``chain`` accept certificates, bytes, PEM text or paths (``chain`` may be one bundle).
    ``friendly_name`` is the alias Windows and Java show (default: the certificate's common name).
    With ``path`` the bundle is also written there atomically with mode 0600.
    """
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import PrivateFormat, pkcs12

    if password is None or password in ("", b""):
        raise PasswordError("export_pkcs12: a non-empty password is required to protect the private key")
    if not isinstance(password, (str, bytes)):
        raise PasswordError("export_pkcs12: the password must be str or bytes")
    secret = password.encode("utf-8") if isinstance(password, str) else password
    private_key = private_key_from(key, key_password)
    certificate = _certificate(cert, "certificate")
    check_key_matches(private_key, certificate)
    extra = order_chain(certificate, [c for c in certificates_from(chain, "chain") if c != certificate])
    from caiso_pki._convert import optional_text
    from caiso_pki._convert import path as checked_path

    name = optional_text(friendly_name, "friendly_name")
    name = name if name is not None else certificate.subject.common_name
    target = checked_path(path, "path") if path is not None else None
    builder = PrivateFormat.PKCS12.encryption_builder()
    if legacy:
        builder = (
            builder.kdf_rounds(LEGACY_KDF_ROUNDS)
            .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
            .hmac_hash(hashes.SHA1())  # noqa: S303 -- required by the legacy Windows format
        )
    else:
        builder = (
            builder.kdf_rounds(MODERN_KDF_ROUNDS)
            .key_cert_algorithm(pkcs12.PBES.PBESv2SHA256AndAES256CBC)
            .hmac_hash(hashes.SHA256())
        )
    try:
        data = pkcs12.serialize_key_and_certificates(
            name.encode("utf-8") if name else None,
            private_key,  # type: ignore[arg-type]
            certificate.x509,
            [c.x509 for c in extra] or None,
            builder.build(secret),
        )
    except (TypeError, ValueError) as exc:
        raise UnsupportedAlgorithmError(f"cannot put this key type into a PKCS#12 bundle: {exc}") from exc
    if target is not None:
        atomic_write_bytes(target, data, mode=0o600, overwrite=overwrite, error=CaisoPkiError)
    return data


@attrs.frozen
class Pkcs12Bundle(OptionalKeyHolder):
    """What a PKCS#12 (PFX) file holds: a private key, its certificate and the chain.

    ``chain`` holds the other certificates, leaf side first: from the certificate's issuer up to its
    root, then any certificate off that path in file order.  A trust-only bundle (certificates, no key)
    has ``key=None``, ``certificate=None`` and every certificate in ``chain``.  The key never appears in
    ``repr``, so a bundle can be printed or logged.  A trust-only bundle pickles (its certificates as
    their DER); one holding a key refuses with :class:`~caiso_pki.errors.NotPicklableError`.
    """

    key: PrivateKeyTypes | None = attrs.field(repr=False)
    certificate: Certificate | None
    chain: tuple[Certificate, ...] = ()
    friendly_name: str | None = None

    @property
    def certificates(self) -> tuple[Certificate, ...]:
        """Every certificate of the bundle: the key's certificate (when there is one), then the chain."""
        return self.chain if self.certificate is None else (self.certificate, *self.chain)


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
                counts.append(kdf_iterations(algorithm))
            elif info["content_type"].native == "data":
                for bag in pkcs12.SafeContents.load(info["content"].native):
                    if bag["bag_id"].native == "pkcs8_shrouded_key_bag":
                        counts.append(kdf_iterations(bag["bag_value"]["encryption_algorithm"]))
    except ASN1_ERRORS:
        pass
    return max(counts)


def load_pkcs12(source: SourceInput, *, password: Password = None) -> Pkcs12Bundle:
    """Open a PKCS#12 / PFX (from Windows, Java, OpenSSL): the key, its certificate and the chain.

    The bundle's ``chain`` is ordered leaf side first (the certificate's issuer, then upwards to the
    root; certificates off that path follow in file order), and the key is checked to belong to the
    certificate (:class:`MalformedInputError` when it does not).  A wrong or missing password raises
    :class:`PasswordError`.

    ``password=None`` means no password: it reads only an unprotected bundle (no MAC).  A bundle
    protected by an empty password (some Windows and Java exports) is read with ``password=""``; an
    empty password is never tried unless it is given.
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import pkcs12

    data, name = read_source(source, what="PKCS#12")
    secret = password_bytes(password, name)
    if secret is not None and b"\x00" in secret:
        # OpenSSL takes the password as a C string; cryptography panics on an embedded NUL.
        raise PasswordError(f"{name}: a PKCS#12 password cannot contain a NUL character")
    has_mac = pfx_has_mac(data)
    if has_mac is None:
        raise MalformedInputError(f"{name}: not a PKCS#12 (PFX) file")
    if has_mac and secret is None:
        raise PasswordError(
            f'{name}: the PKCS#12 is password-protected; give its password (an empty one as "")'
        )
    iterations = _pfx_kdf_iterations(data)
    if iterations > MAX_KDF_ITERATIONS:
        raise UnsupportedAlgorithmError(
            f"{name}: the PKCS#12 password derivation asks for {iterations} iterations "
            f"(more than {MAX_KDF_ITERATIONS}); refusing a file that would take minutes to open"
        )
    try:
        loaded = pkcs12.load_pkcs12(data, password=secret)
    except UnsupportedAlgorithm as exc:
        raise UnsupportedAlgorithmError(f"{name}: PKCS#12 uses an unsupported algorithm") from exc
    except ValueError as exc:
        if has_mac:
            raise PasswordError(f"{name}: wrong PKCS#12 password (or damaged PFX)") from exc
        raise MalformedInputError(f"{name}: cannot read PKCS#12 contents") from exc
    except BaseException as exc:
        # cryptography raises assorted types for damaged bags, and its Rust code can panic (a friendly
        # name with a NUL byte), which surfaces as pyo3's PanicException, a BaseException.
        if isinstance(exc, Exception) or is_rust_panic(exc):
            raise MalformedInputError(f"{name}: cannot read PKCS#12 contents ({type(exc).__name__})") from exc
        raise
    cert = loaded.cert
    friendly = cert.friendly_name.decode("utf-8", "replace") if cert and cert.friendly_name else None
    certificate = Certificate.from_cryptography(cert.certificate, source_name=name) if cert else None
    others = [Certificate.from_cryptography(c.certificate, source_name=name) for c in loaded.additional_certs]
    if loaded.key is not None and certificate is not None:
        check_key_matches(loaded.key, certificate, name)
    return Pkcs12Bundle(
        key=loaded.key,
        certificate=certificate,
        chain=order_chain(certificate, [c for c in others if c != certificate]),
        friendly_name=friendly,
    )
