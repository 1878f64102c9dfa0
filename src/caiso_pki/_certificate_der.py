"""Reading a certificate's DER: with cryptography, and with asn1crypto where cryptography cannot.

:class:`~caiso_pki.certificate.Certificate` reads its views from ``cryptography``; a few certificates
in the wild and in NIST PKITS (DSA keys that inherit their parameters, non-canonical encodings) are
refused by it and read from ``asn1crypto`` instead.  Path validation always reads asn1crypto.  These
are the parsers both need: each returns a parsed object or raises one of
:data:`~caiso_pki._encoding.ASN1_ERRORS`, which the model turns into
:class:`~caiso_pki.errors.MalformedInputError` naming the input.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any, ClassVar

from caiso_pki._encoding import ASN1_ERRORS, is_rust_panic

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509 as cx509

__all__ = ["check_asn1", "faithful_asn1", "parse_cryptography", "spki_algorithm_oid"]


_FAITHFUL_CLASS: Any = None


def faithful_asn1(der: bytes) -> asn1_x509.Certificate:
    """An asn1crypto certificate that dumps as exactly ``der`` (see :attr:`Certificate.asn1`)."""
    global _FAITHFUL_CLASS  # noqa: PLW0603 -- built once, on first use, to keep asn1crypto lazy
    if _FAITHFUL_CLASS is None:
        from asn1crypto import x509 as asn1_x509

        class FaithfulCertificate(asn1_x509.Certificate):  # type: ignore[misc]
            _caiso_der: bytes | None = None

            def dump(self, force: bool = False) -> bytes:
                if not force and self._caiso_der is not None:
                    return self._caiso_der
                result: bytes = super().dump(force)
                return result

        _FAITHFUL_CLASS = FaithfulCertificate
    parsed: asn1_x509.Certificate = _FAITHFUL_CLASS.load(der)
    parsed._caiso_der = der
    return parsed


def parse_cryptography(der: bytes) -> cx509.Certificate | None:
    """The ``cryptography`` certificate with its basic view read, or ``None`` when it refuses ``der``."""
    from cryptography import x509 as cx509
    from cryptography.utils import CryptographyDeprecationWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            cert = cx509.load_der_x509_certificate(der)
            # Force the lazy parts of the basic view, so damage is found at load time.
            cert.serial_number  # noqa: B018
            cert.subject  # noqa: B018
            cert.issuer  # noqa: B018
            cert.not_valid_before_utc  # noqa: B018
            cert.not_valid_after_utc  # noqa: B018
            cert.signature_algorithm_oid  # noqa: B018
    except (*ASN1_ERRORS, cx509.InvalidVersion):  # InvalidVersion is not a ValueError
        return None
    except BaseException as exc:
        if is_rust_panic(exc):
            return None
        raise
    return cert


_GENERIC_SPKI: Any = None


def spki_algorithm_oid(spki_der: bytes) -> str:
    """The dotted key algorithm OID of a SubjectPublicKeyInfo, read without interpreting the key.

    asn1crypto picks the key's parser from the algorithm and raises ``KeyError`` for an algorithm it
    does not know (GOST, vendor OIDs), so the algorithm is read with a generic structure instead.
    """
    global _GENERIC_SPKI  # noqa: PLW0603 -- built once, on first use, to keep asn1crypto lazy
    if _GENERIC_SPKI is None:
        from asn1crypto import core

        class _Algorithm(core.Sequence):  # type: ignore[misc]
            _fields: ClassVar = [
                ("algorithm", core.ObjectIdentifier),
                ("parameters", core.Any, {"optional": True}),
            ]

        class _Spki(core.Sequence):  # type: ignore[misc]
            _fields: ClassVar = [("algorithm", _Algorithm), ("public_key", core.BitString)]

        _GENERIC_SPKI = _Spki
    return str(_GENERIC_SPKI.load(spki_der)["algorithm"]["algorithm"].dotted)


def check_asn1(der: bytes, *, full: bool) -> None:
    """Parse with asn1crypto what path validation and the key views use; raise on damage.

    ``full=False`` when cryptography has already read the names, serial and validity: re-reading the
    names with asn1crypto costs most of a load, so only the framing and algorithms are checked then.
    """
    from asn1crypto import x509 as asn1_x509

    cert = asn1_x509.Certificate.load(der, strict=True)
    tbs = cert["tbs_certificate"]
    if full:
        tbs["serial_number"].native  # noqa: B018
        tbs["subject"].native  # noqa: B018
        tbs["issuer"].native  # noqa: B018
        tbs["validity"].native  # noqa: B018
    spki_algorithm_oid(tbs["subject_public_key_info"].dump())
    cert["signature_algorithm"]["algorithm"].dotted  # noqa: B018
