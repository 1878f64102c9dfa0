"""PKCS#12 (PFX) bundles for copying a certificate and its key to Windows, Java or another machine.

:func:`export_pkcs12` packs a private key, its certificate and the chain into one password-protected
file; :func:`import_pkcs12` unpacks one.  The default encryption is modern (AES-256-CBC keys and
certificates, PBKDF2-HMAC-SHA256, SHA-256 MAC), which Windows 10 1709+/Server 2019+, Java 8u301+ and
OpenSSL 1.1+ read.  ``legacy=True`` produces what older Windows imports need
(pbeWithSHAAnd3-KeyTripleDES-CBC and a SHA-1 MAC).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Final

import attrs

from caiso_pki._atomic import atomic_write_bytes
from caiso_pki.certificate import Certificate
from caiso_pki.errors import CaisoPkiError, MalformedInputError, PassphraseError, UnsupportedAlgorithmError

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

    from caiso_pki._io import Password, Source

    CertificateInput = Certificate | x509.Certificate | bytes | str | os.PathLike[str]

__all__ = ["Pkcs12Contents", "export_pkcs12", "import_pkcs12", "order_chain"]

#: PBKDF2 iterations for the modern profile (OpenSSL's default is 2048; Windows and Java accept more).
MODERN_KDF_ROUNDS: Final = 100_000
#: Iterations for the legacy profile, matching what old Windows versions expect.
LEGACY_KDF_ROUNDS: Final = 2048


@attrs.frozen
class Pkcs12Contents:
    """What :func:`import_pkcs12` found: the key, its certificate and the chain (leaf side first).

    Unpacks as ``key, certificate, chain = import_pkcs12(...)``.  The key never appears in ``repr``.
    """

    key: PrivateKeyTypes | None = attrs.field(repr=False)
    certificate: Certificate | None
    chain: tuple[Certificate, ...] = ()
    friendly_name: str | None = None

    def __iter__(self) -> Iterator[object]:
        return iter((self.key, self.certificate, self.chain))


def _certificate(value: object, what: str) -> Certificate:
    from cryptography import x509

    from caiso_pki._io import load_certificate

    if isinstance(value, Certificate):
        return value
    if isinstance(value, x509.Certificate):
        return Certificate.from_cryptography(value)
    if isinstance(value, (bytes, bytearray, str, os.PathLike)):
        return load_certificate(value)
    raise MalformedInputError(f"<{what}>: expected a Certificate, cryptography certificate, bytes or path")


def certificates_from(values: object, what: str) -> list[Certificate]:
    """Certificates from a sequence of certificate inputs or from one bundle (PEM text, bytes, path)."""
    from caiso_pki._io import load_certificates

    if values is None:
        return []
    if isinstance(values, (bytes, bytearray, str, os.PathLike)):
        return list(load_certificates(values))
    if isinstance(values, Sequence):
        return [_certificate(value, what) for value in values]
    return [_certificate(values, what)]


def private_key_from(value: object, password: Password = None) -> PrivateKeyTypes:
    """A cryptography private key from a key object, PEM/DER bytes, PEM text or a path."""
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    from caiso_pki._io import load_private_key

    key_types = (
        rsa.RSAPrivateKey,
        ec.EllipticCurvePrivateKey,
        ed25519.Ed25519PrivateKey,
        ed448.Ed448PrivateKey,
        dsa.DSAPrivateKey,
    )
    if isinstance(value, key_types):
        return value
    if isinstance(value, (bytes, bytearray, str, os.PathLike)):
        return load_private_key(value, password)
    raise MalformedInputError("<private key>: expected a private key object, PEM/DER bytes or a path")


def check_key_matches(key: PrivateKeyTypes, certificate: Certificate) -> None:
    """Raise :class:`MalformedInputError` unless ``key`` is the private half of ``certificate``'s key."""
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

    public = key.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    expected = certificate.x509.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    if public != expected:
        raise MalformedInputError(
            f"the private key does not belong to the certificate {certificate.subject.rfc4514!r}"
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
    key: object,
    cert: CertificateInput,
    chain: object = (),
    password: str | bytes | None = None,
    friendly_name: str | None = None,
    *,
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
        raise PassphraseError("export_pkcs12: a non-empty password is required to protect the private key")
    if not isinstance(password, (str, bytes)):
        raise PassphraseError("export_pkcs12: the password must be str or bytes")
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


def import_pkcs12(source: Source, password: Password) -> Pkcs12Contents:
    """Open a PKCS#12 / PFX (from Windows, Java, OpenSSL): key, certificate and chain (leaf side first).

    A trust-only bundle (certificates, no key) gives ``key=None``, ``certificate=None`` and every
    certificate in ``chain``.  A wrong password raises :class:`PassphraseError`.
    """
    from caiso_pki._io import load_pkcs12

    bundle = load_pkcs12(source, password)
    chain = order_chain(bundle.certificate, bundle.additional_certificates)
    if bundle.key is not None and bundle.certificate is not None:
        check_key_matches(bundle.key, bundle.certificate)
    return Pkcs12Contents(
        key=bundle.key, certificate=bundle.certificate, chain=chain, friendly_name=bundle.friendly_name
    )
