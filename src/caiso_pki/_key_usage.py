"""The keyUsage bits: one table of their RFC 5280 names and how cryptography and asn1crypto spell them.

caiso-pki shows and takes key usages by their RFC 5280 names (``digitalSignature``, ``cRLSign``), the
spelling openssl prints.  cryptography's ``x509.KeyUsage`` names the same bits ``digital_signature``
and ``crl_sign`` (and ``nonRepudiation`` ``content_commitment``, its X.509 2008 name); asn1crypto,
which path validation reads, names them ``digital_signature`` and ``non_repudiation``.
:data:`KEY_USAGE_BITS` is the one place these three spellings meet; the certificate and CSR views, the
CSR builder, the linter and validation's ``key_usage=`` all read it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from caiso_pki.errors import UnsupportedAlgorithmError

if TYPE_CHECKING:
    from collections.abc import Iterable

    from cryptography import x509

__all__ = [
    "KEY_USAGE_BITS",
    "KEY_USAGE_NAMES",
    "key_usage_extension",
    "key_usage_name",
    "names_from_asn1",
    "names_from_cryptography",
]

#: Every keyUsage bit in bit order: (RFC 5280 name, cryptography ``KeyUsage`` attribute, asn1crypto name).
KEY_USAGE_BITS: Final = (
    ("digitalSignature", "digital_signature", "digital_signature"),
    ("nonRepudiation", "content_commitment", "non_repudiation"),
    ("keyEncipherment", "key_encipherment", "key_encipherment"),
    ("dataEncipherment", "data_encipherment", "data_encipherment"),
    ("keyAgreement", "key_agreement", "key_agreement"),
    ("keyCertSign", "key_cert_sign", "key_cert_sign"),
    ("cRLSign", "crl_sign", "crl_sign"),
    ("encipherOnly", "encipher_only", "encipher_only"),
    ("decipherOnly", "decipher_only", "decipher_only"),
)

#: RFC 5280 key usage bit names, in bit order; ``contentCommitment`` is accepted as ``nonRepudiation``.
KEY_USAGE_NAMES: Final = tuple(name for name, _, _ in KEY_USAGE_BITS)

#: Bits that cryptography reads only when keyAgreement is set (its ``encipher_only`` raises otherwise).
_AGREEMENT_ONLY: Final = frozenset({"encipherOnly", "decipherOnly"})

_LOOKUP: Final = {name.lower(): name for name in KEY_USAGE_NAMES} | {
    "contentcommitment": "nonRepudiation",
    "crlsign": "cRLSign",
}


def key_usage_name(name: str) -> str:
    """Canonical RFC 5280 name of a key usage bit; raises UnsupportedAlgorithmError for unknown names."""
    canonical = _LOOKUP.get(name.strip().lower().replace("_", "").replace("-", ""))
    if canonical is None:
        raise UnsupportedAlgorithmError(
            f"unknown key usage {name!r}; use one of {', '.join(KEY_USAGE_NAMES)}"
        )
    return canonical


def names_from_cryptography(value: x509.KeyUsage) -> tuple[str, ...]:
    """The RFC 5280 names of the bits a ``cryptography`` KeyUsage asserts, in bit order."""
    return tuple(
        name
        for name, attribute, _ in KEY_USAGE_BITS
        if (name not in _AGREEMENT_ONLY or value.key_agreement) and getattr(value, attribute)
    )


def names_from_asn1(bits: Iterable[str]) -> tuple[str, ...]:
    """The RFC 5280 names of asn1crypto's key usage bit names (``{"digital_signature"}``), in bit order."""
    chosen = set(bits)
    return tuple(name for name, _, asn1 in KEY_USAGE_BITS if asn1 in chosen)


def key_usage_extension(names: Iterable[str]) -> x509.KeyUsage:
    """A ``cryptography`` KeyUsage asserting the bits named (RFC 5280 names, already canonical).

    encipherOnly and decipherOnly assert keyAgreement too: RFC 5280 gives them meaning only with it.
    """
    from cryptography import x509

    chosen = frozenset(names)
    flags = {attribute: name in chosen for name, attribute, _ in KEY_USAGE_BITS}
    flags["key_agreement"] = flags["key_agreement"] or bool(chosen & _AGREEMENT_ONLY)
    return x509.KeyUsage(**flags)
