"""Encodings below the models: PEM blocks, DER framing, PKCS#7 certificate lists, and parse errors.

What every loader needs before it knows what it holds: the PEM blocks of a text and their labels, the
DER of each certificate in a PEM file or PKCS#7 bundle, whether bytes are a PFX, the length of a DER
element, and which exceptions asn1crypto and cryptography raise on damaged input
(:data:`ASN1_ERRORS`, :func:`is_rust_panic`), so each loader can turn them into
:class:`~caiso_pki.errors.MalformedInputError`.  This module knows no model class.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Final

import attrs

from caiso_pki.errors import CaisoPkiError, MalformedInputError

__all__ = [
    "ASN1_ERRORS",
    "CERT_LABELS",
    "CRL_LABELS",
    "CSR_LABELS",
    "KEY_LABELS",
    "PKCS7_LABELS",
    "PemBlock",
    "certificate_ders",
    "der_element_length",
    "der_tlv",
    "describe_labels",
    "is_pem",
    "is_rust_panic",
    "looks_like_pkcs7",
    "one_block_der",
    "pfx_has_mac",
    "split_pem",
]

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
CERT_LABELS: Final = frozenset({"CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"})
PKCS7_LABELS: Final = frozenset({"PKCS7", "CMS", "PKCS #7 SIGNED DATA"})
CSR_LABELS: Final = frozenset({"CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"})
CRL_LABELS: Final = frozenset({"X509 CRL"})
KEY_LABELS: Final = frozenset(
    {"PRIVATE KEY", "ENCRYPTED PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY", "DSA PRIVATE KEY"}
)


@attrs.frozen
class PemBlock:
    """One ``-----BEGIN X-----`` block: its label, decoded DER and the original text."""

    label: str
    der: bytes
    text: bytes = attrs.field(repr=False)


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


def describe_labels(blocks: list[PemBlock]) -> str:
    """The labels of ``blocks`` for messages ("CERTIFICATE, PRIVATE KEY"), or "nothing"."""
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


def looks_like_pkcs7(der: bytes) -> bool:
    """True when DER bytes start like a PKCS#7 signed-data structure (a certificate bundle)."""
    # SEQUENCE { OID 1.2.840.113549.1.7.2 ...}: the OID's bytes appear within the first bytes.
    return b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x02" in der[:24]


def certificate_ders(data: bytes, name: str) -> list[bytes]:
    """The DER of every certificate in ``data``: PEM (certificate and PKCS#7 blocks), PKCS#7 or DER.

    Other PEM blocks beside certificates (a key in a combined file) are skipped; PEM with no certificate
    raises :class:`MalformedInputError` saying what it held instead.  Bytes that are neither PEM nor
    PKCS#7 are returned as one DER certificate, for the certificate parser to judge.
    """
    if is_pem(data):
        blocks = split_pem(data, name)
        ders: list[bytes] = []
        for block in blocks:
            if block.label in CERT_LABELS:
                ders.append(block.der)
            elif block.label in PKCS7_LABELS:
                ders.extend(_pkcs7_certificate_ders(block.der, name))
        if not ders:
            raise MalformedInputError(f"{name}: holds {describe_labels(blocks)}, no certificate")
        return ders
    if looks_like_pkcs7(data):
        ders = _pkcs7_certificate_ders(data, name)
        if not ders:
            raise MalformedInputError(f"{name}: PKCS#7 bundle holds no certificate")
        return ders
    return [data]


def one_block_der(data: bytes, name: str, labels: frozenset[str], expected: str) -> bytes:
    """The DER of the one PEM block of ``labels`` in ``data`` (``data`` itself when it is not PEM).

    ``expected`` names the block for the message when there is none or several ("X509 CRL").
    """
    if not is_pem(data):
        return data
    blocks = split_pem(data, name)
    found = [block for block in blocks if block.label in labels]
    if len(found) != 1:
        raise MalformedInputError(f"{name}: holds {describe_labels(blocks)}; expected one {expected}")
    return found[0].der


def pfx_has_mac(data: bytes) -> bool | None:
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


def der_tlv(tag: int, content: bytes) -> bytes:
    """One DER element: ``tag``, the definite length of ``content``, then ``content``."""
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def der_element_length(data: bytes) -> int | None:
    """The length of the DER element at the start of ``data`` (tag, length and contents), if it is one."""
    if len(data) < 2 or data[0] & 0x1F == 0x1F:  # no room, or a multi-byte tag (never a certificate)
        return None
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 8 or len(data) < 2 + count:
        return None
    return 2 + count + int.from_bytes(data[2 : 2 + count], "big")
