"""Forging test certificates: re-signing a certificate after editing what cryptography would not write.

cryptography's builder refuses many defects a validator must reject: a repeated extension, a zero,
negative or 21-octet serial number, GeneralizedTime with fractions, a flipped criticality, explicit
curve parameters and other values that are not valid X.509.  :func:`resign` takes a certificate, lets
the test edit its to-be-signed part with asn1crypto or as raw DER, and signs the result again, so each
defect is a real, correctly signed certificate; :func:`raw_extension` makes an extension holding any
bytes.  :meth:`caiso_pki.testing.CertificateAuthority.resign` is the public way to use it with a demo CA.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final, TypeAlias

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes

from caiso_pki._encoding import der_tlv
from caiso_pki.certificate import Certificate
from caiso_pki.errors import MalformedInputError, UnsupportedAlgorithmError
from caiso_pki.oids import parse_oid
from caiso_pki.types import CertificateHolder

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509

__all__ = ["TbsEdit", "raw_extension", "resign", "signing_hash"]

#: Edits a to-be-signed certificate for :func:`resign`: change the asn1crypto ``TbsCertificate`` it is
#: given in place (and return ``None``), or return the complete to-be-signed DER to use instead.
TbsEdit: TypeAlias = Callable[["asn1_x509.TbsCertificate"], "bytes | None"]


def signing_hash(key: CertificateIssuerPrivateKeyTypes) -> hashes.SHA256 | hashes.SHA384:
    """The hash the demo PKI signs with: SHA-384 for a P-384 key or larger, SHA-256 otherwise."""
    if isinstance(key, ec.EllipticCurvePrivateKey) and key.curve.key_size >= 384:
        return hashes.SHA384()
    return hashes.SHA256()


def resign(
    certificate: Certificate | CertificateHolder,
    signing_key: CertificateIssuerPrivateKeyTypes,
    edit: TbsEdit | None = None,
) -> Certificate:
    """A certificate whose to-be-signed part ``edit`` changed, signed with ``signing_key``.

    Why: cryptography's builder refuses many defects a validator must reject (repeated extensions, a
    zero, negative or over-long serial, GeneralizedTime with fractions, an empty extendedKeyUsage, DNS
    names with underscores or raw UTF-8, explicit curve parameters, undecodable extension values).
    Build the closest certificate with :meth:`caiso_pki.testing.CertificateAuthority.issue`, then edit
    what the builder would not write; the result is still correctly signed, so only the defect is wrong
    with it.

    ``edit`` receives a fresh asn1crypto ``TbsCertificate``: change it in place (set
    ``tbs["serial_number"]``, append to ``tbs["extensions"]``, flip an extension's ``"critical"`` ...),
    or return the complete to-be-signed DER for what asn1crypto cannot express.  The signature uses the
    algorithm named in the to-be-signed ``signature`` field (the outer signatureAlgorithm is a copy of
    it); when the key cannot make that algorithm, an unknown OID say, the key's usual algorithm signs,
    so the certificate names an algorithm its signature does not use.  Raises
    :class:`~caiso_pki.errors.MalformedInputError` when the result is not a certificate at all.
    """
    from asn1crypto import x509 as asn1_x509

    cert = certificate.certificate if isinstance(certificate, CertificateHolder) else certificate
    tbs = asn1_x509.Certificate.load(cert.der)["tbs_certificate"].copy()
    replaced = edit(tbs) if edit is not None else None
    tbs_der = bytes(replaced) if replaced is not None else tbs.dump()
    try:
        algorithm = asn1_x509.TbsCertificate.load(tbs_der)["signature"]
        algorithm_der = algorithm.dump()
    except Exception as exc:  # asn1crypto raises many types on bad DER
        raise MalformedInputError(
            f"resign: the edited to-be-signed certificate does not parse: {exc}"
        ) from exc
    signature = _signature(signing_key, tbs_der, algorithm)
    der = der_tlv(0x30, tbs_der + algorithm_der + der_tlv(0x03, b"\x00" + signature))
    return Certificate.from_der(der, source_name="<re-signed test certificate>")


def raw_extension(oid: str, value: bytes, *, critical: bool = False) -> asn1_x509.Extension:
    """An asn1crypto extension holding ``value`` (the DER inside extnValue) exactly as given.

    For :func:`resign` edits: ``value`` is not checked, so it may be a repeat of an extension already
    present, an empty sequence, or bytes that are not DER at all.
    """
    from asn1crypto import core
    from asn1crypto import x509 as asn1_x509

    # Loaded from DER rather than built, so asn1crypto does not parse (and refuse) the value.
    identifier = core.ObjectIdentifier(parse_oid(oid)).dump()
    flag = b"\x01\x01\xff" if critical else b""
    return asn1_x509.Extension.load(der_tlv(0x30, identifier + flag + der_tlv(0x04, bytes(value))))


_HASHES: Final[dict[str, type[hashes.HashAlgorithm]]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
    "md5": hashes.MD5,
}


def _signature(key: CertificateIssuerPrivateKeyTypes, data: bytes, algorithm: Any) -> bytes:
    """``data`` signed by ``key`` as ``algorithm`` names, or as the key usually signs when it cannot."""
    try:
        mechanism = algorithm.signature_algo
        hash_class = _HASHES.get(algorithm.hash_algo)
    except (ValueError, KeyError):  # an algorithm asn1crypto does not know
        mechanism, hash_class = None, None
    chosen = hash_class() if hash_class is not None else signing_hash(key)
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed448.Ed448PrivateKey)):
        return key.sign(data)
    if isinstance(key, rsa.RSAPrivateKey):
        if mechanism == "rsassa_pss":
            raise UnsupportedAlgorithmError(
                "resign: RSASSA-PSS signatures are not supported; use PKCS#1 v1.5"
            )
        return key.sign(data, padding.PKCS1v15(), chosen)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return key.sign(data, ec.ECDSA(chosen))
    if isinstance(key, dsa.DSAPrivateKey):
        return key.sign(data, chosen)
    raise UnsupportedAlgorithmError(f"resign: cannot sign with a {type(key).__name__}")
