"""A leaf certificate's *shape*: what path validation reads from it besides its own per-leaf values.

The fast path (:mod:`caiso_pki.validation.fastpath`) answers a leaf from a template learnt on an
earlier leaf of the same shape under the same issuer.  :func:`shape` walks the leaf's DER once, without
building parsed objects (it runs for every leaf of a fleet), and returns ``None`` for anything unusual,
which sends the leaf down the full path.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from caiso_pki.validation.rules import dns_ok

__all__ = ["Parsed", "Shape", "rfc4514", "shape"]

# The leaf extensions whose value varies from leaf to leaf without changing path validation: the
# subjectAltName (its names are checked per leaf, here and by the server-name check) and the
# subjectKeyIdentifier (checked to be well formed).  Every other extension value is part of the shape.
_PER_LEAF: Final = frozenset({bytes([0x55, 0x1D, 17]), bytes([0x55, 0x1D, 14])})
_SAN_OID: Final = bytes([0x55, 0x1D, 17])
_SKI_OID: Final = bytes([0x55, 0x1D, 14])
_RSA_OID: Final = bytes.fromhex("2a864886f70d010101")
_EC_OID: Final = bytes.fromhex("2a8648ce3d0201")
_EDDSA_OIDS: Final = frozenset({bytes.fromhex("2b6570"), bytes.fromhex("2b6571")})
_V3: Final = bytes.fromhex("a003020102")
_NULL: Final = b"\x05\x00"
#: The prime curves whose points the shape checks (field prime, b; a = p - 3), by curve OID.
_CURVES: Final[dict[bytes, tuple[int, int]]] = {
    bytes.fromhex("2a8648ce3d030107"): (
        0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF,
        0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B,
    ),
    bytes.fromhex("2b81040022"): (
        2**384 - 2**128 - 2**96 + 2**32 - 1,
        0xB3312FA7E23EE7E4988E056BE3F82D19181D9C6EFE8141120314088F5013875AC656398D8A2ED19D2A85C8EDD3EC2AEF,
    ),
    bytes.fromhex("2b81040023"): (
        2**521 - 1,
        int(
            "0051953EB9618E1C9A1F929A21A0B68540EEA2DA725B99B315F3B8B489918EF109E156193951EC7E937B1652C0BD3BB1BF"
            "073573DF883D2C34F1EF451FD46B503F00",
            16,
        ),
    ),
}
_UTC: Final = re.compile(rb"\d{12}Z")
_GENERALIZED: Final = re.compile(rb"\d{14}Z")


class Parsed(NamedTuple):
    """A leaf as the fast path reads it: its shape and the values that differ from leaf to leaf."""

    shape: Shape
    subject: bytes
    serial: int
    tbs: bytes
    signature: bytes


class Shape(NamedTuple):
    """What path validation reads from a leaf, besides its signature, validity, serial and names.

    Raw DER pieces of the to-be-signed certificate: two leaves with equal shapes under the same
    prefix get the same answer from every step of path validation except those the fast path redoes.
    """

    issuer: bytes
    signature_algorithm: bytes
    extensions: tuple[tuple[bytes, bool, bytes], ...]
    key: tuple[bytes, bytes, int]  # (algorithm OID, curve OID, RSA modulus bits) of the leaf's key


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the DER element at ``pos``; raises ``ValueError`` for a
    length that is not in DER's minimal form (cryptography refuses those, so the full path must see them)."""
    tag = data[pos]
    length = data[pos + 1]
    if length < 0x80:
        return tag, pos + 2, pos + 2 + length
    count = length & 0x7F
    if count == 0 or count > 4:
        raise ValueError("indefinite or oversized length")
    raw = data[pos + 2 : pos + 2 + count]
    size = int.from_bytes(raw, "big")
    if len(raw) != count or raw[0] == 0 or size < 0x80:
        raise ValueError("a length not in its minimal form")
    return tag, pos + 2 + count, pos + 2 + count + size


def shape(der: bytes) -> Parsed | None:
    """The leaf's shape, raw subject name and serial number, or ``None`` for anything unusual.

    ``None`` also when any of the leaf's own values could break a structural rule
    (:mod:`caiso_pki.validation.rules`): a version that is not an explicit v3, a serial that is not
    positive or is longer than 20 octets, times not in the exact RFC 5280 form, an empty subject, a key
    other than RSA (NULL parameters, an odd exponent of at least 3), an EC point on P-256, P-384 or
    P-521, or EdDSA of the right length (each with no unused bits), a subjectAltName with anything but
    well-formed DNS names, IP addresses, e-mail addresses and URIs, a malformed subjectKeyIdentifier.
    Such leaves always take the full path, so the rules'
    verdict on them never comes from a template.
    """
    try:
        _, outer, der_end = _tlv(der, 0)
        _, _, tbs_end = _tlv(der, outer)
        tbs = der[outer:tbs_end]
        _, outer_algorithm_start, outer_algorithm_end = _tlv(der, tbs_end)
        tag, bits_start, bits_end = _tlv(der, outer_algorithm_end)
        if tag != 0x03 or bits_end != der_end or der[bits_start] != 0:
            return None
        signature = der[bits_start + 1 : bits_end]
        tag, pos, end = _tlv(tbs, 0)
        if tbs[pos : pos + 5] != _V3:
            return None  # any version but an explicit v3: the rule invalid-version decides
        tag, start, stop = _tlv(tbs, pos + 5)
        if tag != 0x02:  # serial
            return None
        raw_serial = tbs[start:stop]
        if not 1 <= len(raw_serial) <= 20 or raw_serial[0] & 0x80 or not any(raw_serial):
            return None
        serial = int.from_bytes(raw_serial, "big", signed=True)
        _, start, stop = _tlv(tbs, stop)
        signature_algorithm = tbs[start:stop]
        if der[outer_algorithm_start:outer_algorithm_end] != signature_algorithm:
            return None  # the outer signatureAlgorithm must repeat the inner one (RFC 5280 4.1.1.2)
        head = stop
        _, start, stop = _tlv(tbs, head)
        issuer = tbs[head:stop]
        _, start, stop = _tlv(tbs, stop)  # validity
        if not _times_ok(tbs, start, stop):
            return None
        head = stop
        _, start, stop = _tlv(tbs, head)
        subject = tbs[head:stop]
        if subject == b"\x30\x00":
            return None
        _, start, stop = _tlv(tbs, stop)  # subjectPublicKeyInfo
        key = _key_class(tbs, start, stop)
        if key is None:
            return None
        extensions: list[tuple[bytes, bool, bytes]] = []
        if stop < end:
            tag, start, stop = _tlv(tbs, stop)
            if tag != 0xA3 or stop != end:
                return None  # unique identifiers or trailing data: unusual, take the full path
            _, pos, limit = _tlv(tbs, start)
            while pos < limit:
                # Extension ::= SEQUENCE { extnID OID, critical BOOLEAN DEFAULT FALSE, extnValue OCTET
                # STRING }: short lengths are read inline (this loop runs for every leaf of a fleet).
                size = tbs[pos + 1]
                if size < 0x80:
                    inner, after = pos + 2, pos + 2 + size
                else:
                    _, inner, after = _tlv(tbs, pos)
                if tbs[inner] != 0x06 or tbs[inner + 1] >= 0x80:
                    return None
                oid_start = inner + 2
                oid_end = oid_start + tbs[inner + 1]
                oid = tbs[oid_start:oid_end]
                critical = False
                head = oid_end
                if tbs[head] == 0x01:  # critical BOOLEAN: always one octet in DER
                    if tbs[head + 1] != 1:
                        return None
                    critical = tbs[head + 2] != 0
                    head += 3
                size = tbs[head + 1]
                if tbs[head] != 0x04:
                    return None
                if size < 0x80:
                    value_start, value_end = head + 2, head + 2 + size
                else:
                    _, value_start, value_end = _tlv(tbs, head)
                if value_end != after:
                    return None
                if oid == _SAN_OID and not _san_ok(tbs, value_start, value_end):
                    return None
                if oid == _SKI_OID and not _ski_ok(tbs, value_start, value_end):
                    return None
                value = b"" if oid in _PER_LEAF else tbs[value_start:value_end]
                extensions.append((oid, critical, value))
                pos = after
        return Parsed(
            Shape(issuer, signature_algorithm, tuple(extensions), key), subject, serial, tbs, signature
        )
    except (IndexError, ValueError):
        return None


def _times_ok(der: bytes, start: int, stop: int) -> bool:
    pos = start
    for _ in range(2):
        tag, value_start, value_end = _tlv(der, pos)
        pattern = _UTC if tag == 0x17 else _GENERALIZED if tag == 0x18 else None
        if pattern is None or not pattern.fullmatch(der[value_start:value_end]):
            return False
        pos = value_end
    return pos == stop


def _key_class(der: bytes, start: int, stop: int) -> tuple[bytes, bytes, int] | None:
    """(algorithm, curve, RSA bits) of a subjectPublicKeyInfo, or ``None`` for anything else."""
    _, algorithm_start, algorithm_end = _tlv(der, start)
    tag, oid_start, oid_end = _tlv(der, algorithm_start)
    if tag != 0x06:
        return None
    algorithm = der[oid_start:oid_end]
    tag, bits_start, bits_end = _tlv(der, algorithm_end)
    if tag != 0x03 or bits_end != stop:
        return None
    if der[bits_start] != 0:
        return None  # unused bits in the key: the rule invalid-public-key decides
    if algorithm in _EDDSA_OIDS:
        size = 32 if algorithm == bytes.fromhex("2b6570") else 57
        return (algorithm, b"", 0) if oid_end == algorithm_end and bits_end - bits_start == size + 1 else None
    if algorithm == _EC_OID:
        if oid_end >= algorithm_end:
            return None
        tag, curve_start, curve_end = _tlv(der, oid_end)
        if tag != 0x06 or curve_end != algorithm_end:
            return None  # explicit curve parameters: the rules decide
        curve = der[curve_start:curve_end]
        if not _on_curve(curve, der[bits_start + 1 : bits_end]):
            return None  # a point the shape cannot vouch for: the rule invalid-public-key decides
        return algorithm, curve, 0
    if algorithm == _RSA_OID:
        if der[oid_end:algorithm_end] != _NULL:
            return None
        # RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }, nothing else
        tag, key_start, key_end = _tlv(der, bits_start + 1)
        if tag != 0x30 or key_end != bits_end:
            return None
        tag, modulus_start, modulus_end = _tlv(der, key_start)
        if tag != 0x02:
            return None
        tag, exponent_start, exponent_end = _tlv(der, modulus_end)
        if tag != 0x02 or exponent_end != key_end or exponent_start == exponent_end:
            return None
        for raw in (der[modulus_start:modulus_end], der[exponent_start:exponent_end]):
            if len(raw) > 1 and raw[0] == 0 and not raw[1] & 0x80:
                return None  # an INTEGER not in its minimal (DER) form
        modulus = der[modulus_start:modulus_end].lstrip(b"\x00")
        exponent = int.from_bytes(der[exponent_start:exponent_end], "big", signed=True)
        if not modulus or not modulus[-1] & 1 or exponent < 3 or not exponent & 1:
            return None  # RFC 8017 3.1: the rule invalid-public-key decides
        if exponent >= int.from_bytes(modulus, "big"):
            return None
        return algorithm, b"", (len(modulus) - 1) * 8 + modulus[0].bit_length()
    return None


def _on_curve(curve: bytes, point: bytes) -> bool:
    """Whether ``point`` is an uncompressed point on ``curve`` (P-256, P-384 or P-521): y^2 = x^3 - 3x + b."""
    known = _CURVES.get(curve)
    if known is None:
        return False
    p, b = known
    size = (p.bit_length() + 7) // 8
    if len(point) != 1 + 2 * size or point[0] != 0x04:
        return False
    x = int.from_bytes(point[1 : 1 + size], "big")
    y = int.from_bytes(point[1 + size :], "big")
    return x < p and y < p and (y * y - (x * x * x - 3 * x + b)) % p == 0


def _san_ok(der: bytes, start: int, stop: int) -> bool:
    tag, pos, end = _tlv(der, start)
    if tag != 0x30 or end != stop or pos == end:
        return False
    while pos < end:
        tag, value_start, value_end = _tlv(der, pos)
        value = der[value_start:value_end]
        if tag == 0x82:
            if not dns_ok(value, wildcard=True):
                return False
        elif tag == 0x87:
            if len(value) not in (4, 16):
                return False
        elif tag in (0x81, 0x86):
            if not value or any(byte < 0x21 or byte > 0x7E for byte in value):
                return False
        else:
            return False
        pos = value_end
    return True


def _ski_ok(der: bytes, start: int, stop: int) -> bool:
    tag, _, end = _tlv(der, start)
    return tag == 0x04 and end == stop


# RFC 4514 short names cryptography uses, for the attributes _rfc4514 renders itself.
_SHORT_NAMES: Final[dict[bytes, str]] = {
    bytes([0x55, 0x04, 3]): "CN",
    bytes([0x55, 0x04, 6]): "C",
    bytes([0x55, 0x04, 7]): "L",
    bytes([0x55, 0x04, 8]): "ST",
    bytes([0x55, 0x04, 10]): "O",
    bytes([0x55, 0x04, 11]): "OU",
}
_PLAIN: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9 .\-_@:/()'&*!?]*")


def rfc4514(name: bytes) -> str | None:
    """cryptography's ``rfc4514_string()`` of a DER name, for plain names only (``None`` otherwise).

    Covers single-valued RDNs of CN, C, L, ST, O and OU holding PrintableString or UTF8String text
    that needs no escaping; building cryptography's Name objects costs more than the signature check.
    """
    try:
        _, pos, end = _tlv(name, 0)
        parts = []
        while pos < end:
            # RDN SET { AttributeTypeAndValue SEQUENCE { OID, value } }: short forms only, inline
            if name[pos] != 0x31 or name[pos + 1] >= 0x80 or name[pos + 2] != 0x30 or name[pos + 3] >= 0x80:
                return None
            set_end = pos + 2 + name[pos + 1]
            attribute_end = pos + 4 + name[pos + 3]
            if attribute_end != set_end:
                return None  # multi-valued RDN
            oid_start = pos + 6
            if name[pos + 4] != 0x06 or name[pos + 5] >= 0x80:
                return None
            oid_end = oid_start + name[pos + 5]
            short = _SHORT_NAMES.get(name[oid_start:oid_end])
            tag, length = name[oid_end], name[oid_end + 1]
            if short is None or tag not in (0x0C, 0x13) or length >= 0x80 or oid_end + 2 + length != set_end:
                return None
            value = name[oid_end + 2 : set_end].decode("utf-8" if tag == 0x0C else "ascii")
            if not _PLAIN.fullmatch(value) or value.endswith(" "):
                return None
            parts.append(f"{short}={value}")
            pos = set_end
    except (IndexError, ValueError):  # UnicodeDecodeError is a ValueError
        return None
    return ",".join(reversed(parts))
