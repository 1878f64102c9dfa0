"""Fleet-scale validation: many leaves against one set of anchors, with what can be shared shared.

:meth:`Validator.validate_many <caiso_pki.validation.Validator.validate_many>` (and the
:func:`validate_many` wrapper) gives, for every leaf, exactly the
:class:`~caiso_pki.validation.ValidationResult` that a fresh full validation would give with the same
inputs, but checks hundreds or thousands of leaves at a time much faster, because most of a fleet looks
alike: every RIG certificate of a participant hangs under the same issuing CA, asserts the same policies
and points at the same CRL.  :meth:`Validator.validate <caiso_pki.validation.Validator.validate>` uses
the same machinery one leaf at a time, so a service validating peer after peer gets the fast path too.

How it stays exact.  The first leaf of each *shape* goes through full validation (pyhanko's RFC 5280
path validation).  When that leaf is valid, its result becomes a template for the shape: the validated
anchor-to-issuer prefix with its revocation statuses, the policies that survived RFC 5280 policy
processing, and the warnings.  A shape is everything validation reads from a leaf besides its own
signature, validity period, serial number and names: the issuer name and authority key identifier, the
set of extensions and their criticality, the asserted policy OIDs, the signature algorithm, the CRL
distribution points and OCSP URLs.  Each later leaf of that shape needs only the last step of RFC 5280
path validation, done here with ``cryptography``: its signature by the issuer's key, its validity at
``at``, the server name and ``distrust_after`` checks, and a lookup of its serial number in the
(already validated) CRL of the issuer.  Any doubt sends the leaf down the full path: a shape whose
answer could depend on the leaf (name constraints in the prefix, policy constraints or mappings in the
leaf, a CA or self-issued leaf, OCSP answers, fetching, several candidate issuers or CRLs), and every
leaf that fails a fast check, so failure codes, indices and messages always come from full validation.
``tests/test_fleet.py`` runs NIST PKITS and a mixed demo fleet through both and compares every field.

What is cached, and for how long: parsed CRLs (their revoked serial numbers) and signature checks are
kept for any validation time; templates are keyed by every option that can change an answer (the
anchors with their ``distrust_after``, the intermediates offered, the policy inputs, key usages, path
length cap, revocation mode, the CRLs and OCSP responses given, the algorithm policy, the profile) and
carry the time window in which every certificate and revocation answer of their prefix is current, so
a template is used only for a validation time inside that window.  Every cache is bounded and
thread-safe (:class:`FleetCache`).
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import os
import re
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final, Literal, NamedTuple, TypeAlias

import attrs

from caiso_pki.certificate import Certificate
from caiso_pki.errors import CaisoPkiError, MalformedInputError
from caiso_pki.types import CertificateInput, CertificatesInput, JsonDict, TrustInput
from caiso_pki.validation.engine import TOLERANCE as _TOLERANCE
from caiso_pki.validation.engine import name_matches as _name_matches
from caiso_pki.validation.options import (
    certificate_list,
    certificates,
)
from caiso_pki.validation.results import RevocationStatus, ValidationFailure, ValidationResult
from caiso_pki.validation.results import iso as _iso

if TYPE_CHECKING:
    from typing import Unpack

    from caiso_pki.validation.validator import Validator, ValidatorOptions

__all__ = [
    "FleetCache",
    "FleetStats",
    "FleetSummary",
    "LeafInput",
    "ProgressCallback",
    "summarize",
    "validate_many",
    "validate_many_async",
]

#: A leaf: anything :func:`~caiso_pki.validation.validate_chain` takes as its leaf, or a pair
#: ``(leaf, intermediates)`` whose intermediates are offered for that leaf only.
LeafInput: TypeAlias = CertificateInput | tuple[CertificateInput, CertificatesInput]

#: ``progress(done, total)``, called after each leaf.
ProgressCallback: TypeAlias = Callable[[int, int], None]

# Extensions whose content, not just presence, can change path validation of the last certificate.
_CONTENT_SENSITIVE: Final = frozenset(
    {
        "2.5.29.30",  # nameConstraints
        "2.5.29.33",  # policyMappings
        "2.5.29.36",  # policyConstraints
        "2.5.29.54",  # inhibitAnyPolicy
        "2.5.29.27",  # deltaCRLIndicator
        "2.5.29.28",  # issuingDistributionPoint
    }
)
_NAME_CONSTRAINTS: Final = "2.5.29.30"
_RSASSA_PSS: Final = "1.2.840.113549.1.1.10"
_AIA: Final = bytes.fromhex("2b06010505070101")
_SOFT_FAIL_NOTE: Final = "no revocation information for {} (soft-fail: accepted without it)"

#: Default bounds of a :class:`FleetCache`.
DEFAULT_MAX_TEMPLATES: Final = 1024
DEFAULT_MAX_CRLS: Final = 256
DEFAULT_MAX_SIGNATURES: Final = 65_536


_UNKNOWN: Final = object()
_ONCE: Final = object()  # a shape seen once: learning waits for a second leaf of it
Seen: TypeAlias = Literal["new", "once", "settled"]


class HashedKey:
    """A tuple of values hashed once, compared by identity first (template keys are looked up per leaf)."""

    __slots__ = ("_hash", "values")

    def __init__(self, *values: object) -> None:
        self.values = values
        self._hash = hash(values)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return self is other or (
            isinstance(other, HashedKey) and self._hash == other._hash and self.values == other.values
        )


@attrs.define
class FleetStats:
    """How the leaves of a :class:`FleetCache` were decided (for tuning and for tests).

    ``fast``: decided by the cached prefix and the leaf's own last step; ``full``: went through full
    validation; ``templates``: validated prefixes cached.
    """

    fast: int = 0
    full: int = 0
    templates: int = 0


@attrs.define(eq=False)
class _CrlIndex:
    issuer: object  # asn1crypto's normalised (hashable) form of the issuer name
    this_update: dt.datetime
    next_update: dt.datetime | None
    entries: dict[int, tuple[dt.datetime, str | None]]  # serial -> (revocation date, reason name)
    simple: bool  # full CRL, no IDP/delta/indirect entries, no critical extensions we would need


@attrs.frozen
class _Template:
    issuer: Certificate
    prefix: tuple[Certificate, ...]
    prefix_statuses: tuple[RevocationStatus, ...]
    valid_policies: frozenset[str]
    leaf_revocation: Literal["not-checked", "unknown", "crl"]
    crl: _CrlIndex | None
    revoked: frozenset[int]  # serials on any CRL of the issuer (all of them on ``crl`` for kind "crl")
    warnings: tuple[str | None, ...]  # None marks the leaf's own soft-fail note
    distrust_after: dt.datetime | None
    # when every prefix certificate and revocation answer is current (exclusive bounds)
    window: tuple[dt.datetime, dt.datetime]
    # verify(signature, tbs) with the issuer's key and the shape's algorithm (None: cryptography decides)
    verify: _Verify | None
    # reason -> warnings of a revoked leaf, once full validation's answer for one matched ours
    revoked_warnings: dict[str | None, tuple[str, ...]] = attrs.field(factory=dict, eq=False)


class FleetCache:
    """What fast validation learns, reusable across calls (keyed so it is reused only when right).

    Holds validated prefixes (templates), indexed CRLs and signature checks.  Thread-safe; each kind
    is bounded (least recently used templates and CRL indexes go first; the oldest half of the
    signature checks is dropped when full).  A :class:`~caiso_pki.validation.Validator` owns one; pass
    one to several :func:`validate_many` calls to share it across them.  At the default bounds it holds
    at most about 20 MB plus the templates' certificates (measured in ``benchmarks/bench_memory.py``).
    """

    def __init__(
        self,
        *,
        max_templates: int = DEFAULT_MAX_TEMPLATES,
        max_crls: int = DEFAULT_MAX_CRLS,
        max_signatures: int = DEFAULT_MAX_SIGNATURES,
    ) -> None:
        for name, value in (
            ("max_templates", max_templates),
            ("max_crls", max_crls),
            ("max_signatures", max_signatures),
        ):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise MalformedInputError(f"FleetCache {name}: expected a positive integer, got {value!r}")
        self.stats = FleetStats()
        self._lock = threading.RLock()
        self._templates: collections.OrderedDict[HashedKey, object] = collections.OrderedDict()
        self._crls: collections.OrderedDict[bytes, _CrlIndex | None] = collections.OrderedDict()
        self._signatures: dict[bytes, bool] = {}
        self._max_templates = max_templates
        self._max_crls = max_crls
        self._max_signatures = max_signatures

    def __repr__(self) -> str:
        return f"<FleetCache templates={len(self._templates)} stats={self.stats}>"

    def __len__(self) -> int:
        with self._lock:
            return len(self._templates) + len(self._crls) + len(self._signatures)

    def clear(self) -> None:
        """Forget everything (the statistics too)."""
        with self._lock:
            self.stats = FleetStats()
            self._templates.clear()
            self._crls.clear()
            self._signatures.clear()

    def _template(self, key: HashedKey) -> tuple[Seen, _Template | None]:
        """What is known of ``key``: ``"new"``, ``"once"`` (one valid leaf seen) or ``"settled"``."""
        with self._lock:
            found = self._templates.get(key, _UNKNOWN)
            if found is _UNKNOWN:
                return "new", None
            self._templates.move_to_end(key)
            if found is _ONCE:
                return "once", None
            return "settled", found  # type: ignore[return-value]

    def _seen_once(self, key: HashedKey) -> None:
        """Note a shape's first valid leaf; its template is made when a second one comes."""
        with self._lock:
            if key not in self._templates:
                self._templates[key] = _ONCE
                while len(self._templates) > self._max_templates:
                    self._templates.popitem(last=False)

    def _remember(self, key: HashedKey, template: _Template | None) -> None:
        with self._lock:
            if self._templates.get(key, _UNKNOWN) not in (_UNKNOWN, _ONCE):
                return
            self._templates[key] = template
            if template is not None:
                self.stats.templates += 1
            while len(self._templates) > self._max_templates:
                self._templates.popitem(last=False)

    def _count(self, *, fast: bool) -> None:
        with self._lock:
            if fast:
                self.stats.fast += 1
            else:
                self.stats.full += 1

    def _signature_ok(
        self, leaf: Certificate, issuer: Certificate, parsed: _Parsed, verify: _Verify | None
    ) -> bool:
        digest = hashlib.blake2b(issuer.der, digest_size=16)
        digest.update(leaf.der)
        key = digest.digest()
        with self._lock:
            known = self._signatures.get(key)
        if known is not None:
            return known
        try:
            if verify is not None:  # the issuer's key, parsed once per template
                verify(parsed.signature, parsed.tbs)
            else:
                leaf.x509.verify_directly_issued_by(issuer.x509)
            ok = True
        except Exception:  # InvalidSignature, ValueError, TypeError ...: the full path will say which
            ok = False
        with self._lock:
            if len(self._signatures) >= self._max_signatures:
                for stale in list(self._signatures)[: max(1, self._max_signatures // 2)]:
                    del self._signatures[stale]
            self._signatures[key] = ok
        return ok

    def _crl_index(self, der: bytes) -> _CrlIndex | None:
        with self._lock:
            if der in self._crls:
                self._crls.move_to_end(der)
                return self._crls[der]
        index: _CrlIndex | None
        try:
            index = _index_crl(der)
        except Exception:  # cryptography cannot read it: leaves that need it take the full path
            index = None
        with self._lock:
            self._crls[der] = index
            while len(self._crls) > self._max_crls:
                self._crls.popitem(last=False)
        return index


def _index_crl(der: bytes) -> _CrlIndex:
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509

    crl = x509.load_der_x509_crl(der)
    simple = True
    for ext in crl.extensions:
        if (
            ext.oid.dotted_string in _CONTENT_SENSITIVE
            or ext.oid.dotted_string == "2.5.29.46"
            or ext.critical
        ):
            simple = False  # IDP scopes, deltas, freshest-CRL pointers: let pyhanko decide
    entries: dict[int, tuple[dt.datetime, str | None]] = {}
    for entry in crl:
        reason: str | None = None
        for ext in entry.extensions:
            if ext.critical or ext.oid.dotted_string == "2.5.29.29":
                simple = False  # certificateIssuer: an indirect CRL
            if isinstance(ext.value, x509.CRLReason):
                reason = ext.value.reason.value
        entries[entry.serial_number] = (entry.revocation_date_utc, reason)
    return _CrlIndex(
        issuer=asn1_x509.Name.load(crl.issuer.public_bytes()).hashable,
        this_update=crl.last_update_utc,
        next_update=crl.next_update_utc,
        entries=entries,
        simple=simple,
    )


@attrs.frozen
class FleetSummary:
    """Totals over a list of results: how many are valid, and how often each failure code occurs."""

    total: int
    valid: int
    invalid: int
    by_code: Mapping[str, int]

    def to_dict(self) -> JsonDict:
        """JSON-ready form."""
        return {
            "total": self.total,
            "valid": self.valid,
            "invalid": self.invalid,
            "by_code": {code: count for code, count in self.by_code.items()},
        }


def summarize(results: Iterable[ValidationResult]) -> FleetSummary:
    """Count valid and invalid results and the failure codes (each code once per result)."""
    total = valid = 0
    codes: Counter[str] = Counter()
    for result in results:
        total += 1
        if result.valid:
            valid += 1
        codes.update(dict.fromkeys(result.codes, 1))
    return FleetSummary(total, valid, total - valid, dict(sorted(codes.items())))


# -- the fast path -----------------------------------------------------------------------------------


# The leaf extensions whose value varies from leaf to leaf without changing path validation: the
# subjectAltName (its names are checked per leaf, here and by the server-name check) and the
# subjectKeyIdentifier (checked to be well formed).  Every other extension value is part of the shape.
_PER_LEAF: Final = frozenset({bytes([0x55, 0x1D, 17]), bytes([0x55, 0x1D, 14])})
_SAN_OID: Final = bytes([0x55, 0x1D, 17])
_SKI_OID: Final = bytes([0x55, 0x1D, 14])
_RSA_OID: Final = bytes.fromhex("2a864886f70d010101")
_EC_OID: Final = bytes.fromhex("2a8648ce3d0201")
_EDDSA_OIDS: Final = frozenset({bytes.fromhex("2b6570"), bytes.fromhex("2b6571")})
_UTC: Final = re.compile(rb"\d{12}Z")
_GENERALIZED: Final = re.compile(rb"\d{14}Z")


class _Parsed(NamedTuple):
    """A leaf as the fast path reads it: its shape and the values that differ from leaf to leaf."""

    shape: _Shape
    subject: bytes
    serial: int
    tbs: bytes
    signature: bytes


class _Shape(NamedTuple):
    """What path validation reads from a leaf, besides its signature, validity, serial and names.

    Raw DER pieces of the to-be-signed certificate: two leaves with equal shapes under the same
    prefix get the same answer from every step of path validation except those :func:`_fast` redoes.
    """

    issuer: bytes
    signature_algorithm: bytes
    extensions: tuple[tuple[bytes, bool, bytes], ...]
    key: tuple[bytes, bytes, int]  # (algorithm OID, curve OID, RSA modulus bits) of the leaf's key


def _tlv(data: bytes, pos: int) -> tuple[int, int, int]:
    """(tag, start of value, end of value) of the DER element at ``pos``."""
    tag = data[pos]
    length = data[pos + 1]
    if length < 0x80:
        return tag, pos + 2, pos + 2 + length
    count = length & 0x7F
    if count == 0 or count > 4:
        raise ValueError("indefinite or oversized length")
    size = int.from_bytes(data[pos + 2 : pos + 2 + count], "big")
    return tag, pos + 2 + count, pos + 2 + count + size


def _shape(der: bytes) -> _Parsed | None:
    """The leaf's shape, raw subject name and serial number, or ``None`` for anything unusual.

    ``None`` also when any of the leaf's own values could break a structural rule
    (:mod:`caiso_pki.validation.rules`): a serial that is not positive or is longer than 20 octets,
    times not in the exact RFC 5280 form, an empty subject, a key that is not RSA, named-curve EC or
    EdDSA, a subjectAltName with anything but well-formed DNS names, IP addresses, e-mail addresses
    and URIs, a malformed subjectKeyIdentifier.  Such leaves always take the full path, so the rules'
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
        tag, start, stop = _tlv(tbs, pos)
        if tag == 0xA0:  # version
            tag, start, stop = _tlv(tbs, stop)
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
        shape = _Shape(issuer, signature_algorithm, tuple(extensions), key)
        return _Parsed(shape, subject, serial, tbs, signature)
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
    if algorithm in _EDDSA_OIDS:
        return (algorithm, b"", 0) if oid_end == algorithm_end else None
    if algorithm == _EC_OID:
        if oid_end >= algorithm_end:
            return None
        tag, curve_start, curve_end = _tlv(der, oid_end)
        if tag != 0x06 or curve_end != algorithm_end:
            return None  # explicit curve parameters: the rules decide
        return algorithm, der[curve_start:curve_end], 0
    if algorithm == _RSA_OID:
        if der[bits_start] != 0:
            return None
        _, key_start, _ = _tlv(der, bits_start + 1)
        tag, modulus_start, modulus_end = _tlv(der, key_start)
        if tag != 0x02:
            return None
        modulus = der[modulus_start:modulus_end].lstrip(b"\x00")
        if not modulus:
            return None
        return algorithm, b"", (len(modulus) - 1) * 8 + modulus[0].bit_length()
    return None


def _san_ok(der: bytes, start: int, stop: int) -> bool:
    from caiso_pki.validation.rules import dns_ok

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


def _rfc4514(name: bytes) -> str | None:
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


def _eligible(leaf: Certificate) -> bool:
    """Whether later leaves of this leaf's shape could be answered from its result (decoded properly)."""
    from cryptography import x509

    try:
        cert = leaf.x509
        if cert.signature_algorithm_oid.dotted_string == _RSASSA_PSS:
            return False
        if cert.issuer.public_bytes() == cert.subject.public_bytes():
            return False
        for ext in cert.extensions:
            if ext.oid.dotted_string in _CONTENT_SENSITIVE:
                return False
            if isinstance(ext.value, x509.BasicConstraints) and ext.value.ca:
                return False
    except Exception:  # anything cryptography cannot read goes down the full path
        return False
    return True


def _fast(
    leaf: Certificate,
    parsed: _Parsed,
    *,
    template: _Template,
    at: dt.datetime,
    server_name: str | None,
    cache: FleetCache,
) -> ValidationResult | None:
    """The result for ``leaf`` from ``template``, or ``None`` when the full path must decide.

    Key usage and extended key usage need no check here: their DER is part of the shape, so they are
    the template leaf's, which passed.
    """
    shape, subject_der, serial = parsed.shape, parsed.subject, parsed.serial
    lo, hi = template.window
    if not lo + _TOLERANCE < at < hi - _TOLERANCE:
        return None  # a prefix certificate or revocation answer is not current at ``at``
    cert = leaf.x509
    not_before = cert.not_valid_before_utc
    if not (not_before + _TOLERANCE < at < cert.not_valid_after_utc - _TOLERANCE):
        return None
    if subject_der == shape.issuer:
        return None  # a leaf named like its issuer: let pyhanko judge it
    if template.distrust_after is not None and not_before > template.distrust_after:
        return None
    if server_name is not None and not _name_matches(leaf, server_name):
        return None
    if not cache._signature_ok(leaf, template.issuer, parsed, template.verify):
        return None
    index = len(template.prefix)
    subject = _rfc4514(subject_der) or cert.subject.rfc4514_string()
    crl = template.crl
    if template.revoked and serial in template.revoked:
        if crl is None:
            return None
        date, reason = crl.entries[serial]
        with cache._lock:
            warnings = template.revoked_warnings.get(reason)
        if warnings is None:
            return None  # the first revoked leaf of each reason goes the full way (see _learn_revoked)
        return _revoked_result(
            leaf, template, subject=subject, date=date, reason=reason, warnings=warnings, at=at
        )
    if template.leaf_revocation == "crl" and crl is not None:
        status = RevocationStatus(index, subject, "good", "crl", None, crl.this_update, crl.next_update)
    else:
        state: Literal["unknown", "not-checked"] = (
            "not-checked" if template.leaf_revocation == "not-checked" else "unknown"
        )
        status = RevocationStatus(index, subject, state)
    return ValidationResult(
        valid=True,
        path=(*template.prefix, leaf),
        failures=(),
        valid_policies=template.valid_policies,
        revocation=(*template.prefix_statuses, status),
        warnings=(
            tuple(_SOFT_FAIL_NOTE.format(subject) if w is None else w for w in template.warnings)
            if template.warnings
            else ()
        ),
        at=at,
    )


def _revoked_result(
    leaf: Certificate,
    template: _Template,
    *,
    subject: str,
    date: dt.datetime,
    reason: str | None,
    warnings: tuple[str, ...],
    at: dt.datetime,
) -> ValidationResult:
    """What validate_chain reports for a leaf on its issuer's CRL (checked against it once per reason)."""
    crl = template.crl
    index = len(template.prefix)
    message = f"{subject} was revoked at {_iso(date)} (reason: {reason or 'unspecified'}), according to CRL"
    status = RevocationStatus(
        index,
        subject,
        "revoked",
        "crl",
        None,
        crl.this_update if crl is not None else None,
        crl.next_update if crl is not None else None,
        reason,
        date,
    )
    return ValidationResult(
        valid=False,
        path=(*template.prefix, leaf),
        failures=(ValidationFailure("revoked", message, index, subject),),
        valid_policies=template.valid_policies,
        revocation=(*template.prefix_statuses, status),
        warnings=warnings,
        at=at,
    )


def _learn_revoked(
    leaf: Certificate, result: ValidationResult, template: _Template, cache: FleetCache
) -> None:
    """Remember how validate_chain words a revoked leaf of ``template``, if our rendering matches it."""
    crl = template.crl
    if crl is None or template.leaf_revocation != "crl" or leaf.serial_number not in crl.entries:
        return
    date, reason = crl.entries[leaf.serial_number]
    subject = leaf.x509.subject.rfc4514_string()
    if any(subject in warning for warning in result.warnings):
        return
    predicted = _revoked_result(
        leaf, template, subject=subject, date=date, reason=reason, warnings=result.warnings, at=result.at
    )
    if predicted == result and predicted.to_dict() == result.to_dict():
        with cache._lock:
            template.revoked_warnings[reason] = result.warnings


def _make_template(
    leaf: Certificate,
    shape: _Shape,
    result: ValidationResult,
    *,
    pool: _Pool,
    validator: Validator,
    cache: FleetCache,
) -> _Template | None:
    """A template from a valid full result, or ``None`` when later leaves could be answered differently."""
    path = result.path
    trust = validator.trust
    if not result.valid or len(path) < 2 or path[-1] != leaf or path[0].der not in trust.anchor_ders:
        return None
    if validator.fetch and validator.revocation != "off":
        return None
    if validator.profile == "webpki":
        return None  # its rules read the leaf's names (commonName, wildcards): every leaf is checked in full
    issuer = path[-2]
    try:
        if issuer.x509.subject.public_bytes() != shape.issuer:
            return None
        for cert in path[:-1]:
            if any(oid == _NAME_CONSTRAINTS for oid, _ in cert.extension_oids):
                return None  # the leaf's names would be checked against the prefix's subtrees
        # One candidate issuer per certificate, so path building has no choice to make.
        for cert in path[1:]:
            if pool.issuers_of(cert) != 1:
                return None
    except Exception:  # a prefix certificate cryptography cannot read: no template
        return None
    if sum(1 for a in trust.anchors if a.certificate.der == path[0].der) != 1:
        return None
    anchor = next(a for a in trust.anchors if a.certificate.der == path[0].der)
    statuses = result.revocation
    if len(statuses) != len(path):
        return None
    leaf_status = statuses[-1]
    subject = leaf.subject.rfc4514
    crl: _CrlIndex | None = None
    revoked: frozenset[int] = frozenset()
    kind: Literal["not-checked", "unknown", "crl"]
    if validator.revocation == "off":
        if leaf_status.status != "not-checked":
            return None
        kind = "not-checked"
    else:
        if validator.ocsp_responses and any(oid == _AIA for oid, _, _ in shape.extensions):
            return None  # an OCSP answer could speak for another leaf
        indexed = [cache._crl_index(der) for der in validator.crls]
        simple = [index for index in indexed if index is not None and index.simple]
        if len(simple) != len(indexed):
            return None  # delta, scoped or indirect CRLs (or unreadable ones): pyhanko decides every leaf
        issuer_name = leaf.asn1.issuer.hashable
        same_issuer = [index for index in simple if index.issuer == issuer_name]
        revoked = frozenset().union(*(index.entries for index in same_issuer))
        if leaf_status.status == "good" and leaf_status.source == "crl" and leaf_status.url is None:
            if len(same_issuer) != 1:
                return None
            crl = same_issuer[0]
            if (crl.this_update, crl.next_update) != (leaf_status.this_update, leaf_status.next_update):
                return None
            if pool.issuers_of(leaf) != 1:
                return None
            kind = "crl"
        elif leaf_status.status == "unknown" and leaf_status.source is None:
            kind = "unknown"
        else:
            return None
    warnings: list[str | None] = []
    for warning in result.warnings:
        if warning == _SOFT_FAIL_NOTE.format(subject):
            warnings.append(None)
        elif subject in warning or warning.startswith("revocation check soft-failed"):
            return None
        else:
            warnings.append(warning)
    window = _window(path[:-1], statuses[:-1], crl)
    if window is None:
        return None
    return _Template(
        window=window,
        verify=_verifier_for(issuer, leaf),
        issuer=issuer,
        prefix=path[:-1],
        prefix_statuses=statuses[:-1],
        valid_policies=result.valid_policies,
        leaf_revocation=kind,
        crl=crl,
        revoked=revoked,
        warnings=tuple(warnings),
        distrust_after=anchor.distrust_after,
    )


_Verify: TypeAlias = Callable[[bytes, bytes], None]


def _verifier_for(issuer: Certificate, leaf: Certificate) -> _Verify | None:
    """A check of a signature by ``issuer``'s key in the algorithm of ``leaf``'s shape, or ``None``.

    The shape fixes the signature algorithm (its DER is part of it), so every leaf of the template
    is verified the same way, with the issuer's public key parsed once.  RSA PKCS#1 v1.5, ECDSA and
    EdDSA only; anything else is left to ``verify_directly_issued_by``.
    """
    from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, padding, rsa

    try:
        key = issuer.x509.public_key()
        algorithm = leaf.x509.signature_hash_algorithm
        oid = leaf.x509.signature_algorithm_oid.dotted_string
    except Exception:  # anything unusual: cryptography's own check per leaf
        return None
    if isinstance(key, rsa.RSAPublicKey) and oid in _RSA_PKCS1 and algorithm is not None:
        rsa_key, rsa_hash = key, algorithm
        return lambda signature, data: rsa_key.verify(signature, data, padding.PKCS1v15(), rsa_hash)
    if isinstance(key, ec.EllipticCurvePublicKey) and oid in _ECDSA and algorithm is not None:
        ec_key, ecdsa = key, ec.ECDSA(algorithm)
        return lambda signature, data: ec_key.verify(signature, data, ecdsa)
    if isinstance(key, (ed25519.Ed25519PublicKey, ed448.Ed448PublicKey)) and oid in _EDDSA:
        return key.verify
    return None


_RSA_PKCS1: Final = frozenset(
    {"1.2.840.113549.1.1.11", "1.2.840.113549.1.1.12", "1.2.840.113549.1.1.13", "1.2.840.113549.1.1.14"}
)
_ECDSA: Final = frozenset({"1.2.840.10045.4.3.2", "1.2.840.10045.4.3.3", "1.2.840.10045.4.3.4"})
_EDDSA: Final = frozenset({"1.3.101.112", "1.3.101.113"})


def _window(
    prefix: Sequence[Certificate], statuses: Sequence[RevocationStatus], crl: _CrlIndex | None
) -> tuple[dt.datetime, dt.datetime] | None:
    """When every prefix certificate, prefix revocation answer and the leaf's CRL are all current."""
    lows: list[dt.datetime] = []
    highs: list[dt.datetime] = []
    for cert in prefix:
        lows.append(cert.not_before)
        highs.append(cert.not_after)
    for status in statuses:
        if status.source is None:
            continue
        if status.this_update is None or status.next_update is None:
            return None  # an answer without nextUpdate is never reused
        lows.append(status.this_update)
        highs.append(status.next_update)
    if crl is not None:
        if crl.next_update is None:
            return None
        lows.append(crl.this_update)
        highs.append(crl.next_update)
    lo, hi = max(lows), min(highs)
    return (lo, hi) if lo < hi else None


# -- inputs ------------------------------------------------------------------------------------------


def _split_item(item: LeafInput, position: int) -> tuple[Certificate, list[Certificate]]:
    """``(leaf, intermediates)`` for one input: a certificate-like value or a pair."""
    try:
        if isinstance(item, tuple) and len(item) == 2:
            leaf_part, extra = item
            found = certificates(leaf_part, "certificate")
            pool = certificate_list(extra, "intermediate")
        else:
            found = certificates(item, "certificate")
            pool = []
    except CaisoPkiError as exc:
        raise MalformedInputError(f"leaves[{position}]: {exc}") from exc
    if not found:
        raise MalformedInputError(f"leaves[{position}]: no certificate given")
    return found[0], [*found[1:], *pool]


class _Pool:
    """The intermediates and anchors a leaf can chain through, with a name index built once."""

    def __init__(self, certs: Sequence[Certificate], validator: Validator) -> None:
        self.certificates = tuple(certs)
        self.ders_sorted = tuple(sorted({cert.der for cert in certs}))
        self.key = HashedKey(*self.ders_sorted)
        self.ders = frozenset(self.ders_sorted) | validator.trust.anchor_ders
        self._groups: Counter[object] | None = None
        anchors = (a.certificate for a in validator.trust.anchors)
        self._all = list({cert.der: cert for cert in (*certs, *anchors)}.values())

    def issuers_of(self, cert: Certificate) -> int:
        """How many certificates of the pool or anchors are named as ``cert``'s issuer (normalised)."""
        from caiso_pki.validation.building import name_keys

        if self._groups is None:
            groups: Counter[object] = Counter()
            for candidate in self._all:
                groups[name_keys(candidate)[0]] += 1
            self._groups = groups
        return self._groups[name_keys(cert)[1]]


# -- the engine --------------------------------------------------------------------------------------


@attrs.define
class Lookup:
    """What the cache knows about one leaf: the fast answer, or what full validation must teach it."""

    leaf: Certificate
    offered: Sequence[Certificate]
    pool: _Pool | None
    result: ValidationResult | None = None
    found: _Parsed | None = None
    key: HashedKey | None = None
    template: _Template | None = None
    known: Seen = "new"
    eager: bool = False  # learn a shape from its first valid leaf (a batch: more are coming)


def lookup(
    validator: Validator,
    leaf: Certificate,
    offered: Sequence[Certificate],
    *,
    at: dt.datetime,
    server_name: str | None,
    pool: _Pool | None = None,
    eager: bool = False,
) -> Lookup:
    """The cached answer for ``leaf`` when a template gives it exactly (synchronous: no I/O).

    ``eager``: learn the shape from this leaf if it is the first valid one (batches); otherwise a
    shape is learnt from its second valid leaf, so a service meeting one peer once pays nothing.
    """
    if not validator._state.learn:
        return Lookup(leaf, offered, None)
    cache = validator.cache
    if pool is None:
        pool = _Pool([*offered, *validator.trust.intermediates], validator)
    found = None
    if leaf.der not in pool.ders:
        try:
            leaf.x509  # noqa: B018 -- a certificate only asn1crypto reads takes the full path
            found = _shape(leaf.der)
        except CaisoPkiError:  # a certificate only asn1crypto reads: the full path
            found = None
    state = Lookup(leaf, offered, pool, found=found, eager=eager)
    if found is None:
        return state
    shape = found.shape
    state.key = HashedKey(validator._state.options_key, pool.key, shape)
    state.known, state.template = cache._template(state.key)
    if state.template is not None:
        state.result = _fast(
            leaf,
            found,
            template=state.template,
            at=at,
            server_name=server_name,
            cache=cache,
        )
        if state.result is not None:
            cache._count(fast=True)
    return state


async def finish(
    validator: Validator, state: Lookup, *, at: dt.datetime, server_name: str | None
) -> ValidationResult:
    """Full validation of a leaf the cache could not answer, and what the cache learns from it."""
    if state.result is not None:
        return state.result
    cache = validator.cache
    leaf = state.leaf
    result = await validator._full(leaf, state.offered, at=at, server_name=server_name)
    cache._count(fast=False)
    if state.found is None or state.key is None or state.pool is None:
        return result
    if state.template is not None:
        if result.codes == ("revoked",):
            _learn_revoked(leaf, result, state.template, cache)
    elif state.known == "new" and result.valid and not state.eager:
        # Most shapes met once are never met again (a single peer); learning waits for the second.
        cache._seen_once(state.key)
    elif state.known in ("new", "once") and result.valid:
        made = None
        if _eligible(leaf):
            made = _make_template(
                leaf, state.found.shape, result, pool=state.pool, validator=validator, cache=cache
            )
        cache._remember(state.key, made)
    return result


async def validate_leaf(
    validator: Validator,
    leaf: Certificate,
    offered: Sequence[Certificate],
    *,
    at: dt.datetime,
    server_name: str | None,
    pool: _Pool | None = None,
    eager: bool = False,
) -> ValidationResult:
    """One leaf through ``validator``: from a cached template when exact, else full validation."""
    state = lookup(validator, leaf, offered, at=at, server_name=server_name, pool=pool, eager=eager)
    return await finish(validator, state, at=at, server_name=server_name)


async def validate_leaves(
    validator: Validator,
    leaves: Iterable[LeafInput],
    intermediates: CertificatesInput,
    *,
    at: dt.datetime,
    progress: ProgressCallback | None,
) -> list[ValidationResult]:
    """Every leaf through ``validator`` (see :meth:`Validator.validate_many`)."""
    shared = certificate_list(intermediates, "intermediate")
    items = [_split_item(item, position) for position, item in enumerate(_iterate(leaves))]
    pools: dict[HashedKey, _Pool] = {}
    shared_pool: _Pool | None = None
    results: list[ValidationResult] = []
    total = len(items)
    for leaf, own in items:
        offered = [*own, *shared]
        if own:
            candidate = _Pool([*offered, *validator.trust.intermediates], validator)
            pool = pools.setdefault(candidate.key, candidate)
        else:
            if shared_pool is None:
                shared_pool = _Pool([*shared, *validator.trust.intermediates], validator)
            pool = shared_pool
        state = lookup(validator, leaf, offered, at=at, server_name=None, pool=pool, eager=True)
        found = state.result
        if found is None:
            found = await finish(validator, state, at=at, server_name=None)
        results.append(found)
        if progress is not None:
            progress(len(results), total)
    return results


def _iterate(leaves: Iterable[LeafInput]) -> list[LeafInput]:
    if isinstance(leaves, (bytes, bytearray, memoryview, str, os.PathLike, Certificate)):
        return [leaves]  # one certificate (or one file) is a fleet of one
    return list(leaves)


def validate_many(
    leaves: Iterable[LeafInput],
    intermediates: CertificatesInput = (),
    *,
    trust: TrustInput,
    at: dt.datetime | None = None,
    server_name: str | None = None,
    cache: FleetCache | None = None,
    progress: ProgressCallback | None = None,
    **options: Unpack[ValidatorOptions],
) -> list[ValidationResult]:
    """Validate every leaf as :func:`~caiso_pki.validation.validate_chain` would, much faster in bulk.

    A thin wrapper over :meth:`Validator.validate_many <caiso_pki.validation.Validator.validate_many>`:
    every other keyword option means what it means for :class:`~caiso_pki.validation.Validator`, and
    ``server_name`` is checked for every leaf.  ``cache`` (a :class:`FleetCache`) carries what was
    learnt into later calls.

    Returns one :class:`~caiso_pki.validation.ValidationResult` per leaf, in input order, equal to what
    ``validate_chain(leaf, [*pair_intermediates, *intermediates], ...)`` returns.  Raises
    :class:`~caiso_pki.errors.MalformedInputError` for bad input (naming ``leaves[i]``) before any
    validation.  Safe to call inside a running event loop (it then runs on a worker thread).
    """
    from caiso_pki.validation.validator import _run_sync

    return _run_sync(
        validate_many_async(
            leaves,
            intermediates,
            trust=trust,
            at=at,
            server_name=server_name,
            cache=cache,
            progress=progress,
            **options,
        )
    )


async def validate_many_async(
    leaves: Iterable[LeafInput],
    intermediates: CertificatesInput = (),
    *,
    trust: TrustInput,
    at: dt.datetime | None = None,
    server_name: str | None = None,
    cache: FleetCache | None = None,
    progress: ProgressCallback | None = None,
    **options: Unpack[ValidatorOptions],
) -> list[ValidationResult]:
    """Asynchronous :func:`validate_many` (same parameters and results); fetches run on the event loop."""
    from caiso_pki.validation.options import server_name_text, validation_time
    from caiso_pki.validation.validator import Validator

    validator = Validator(trust=trust, **options)
    if cache is not None:
        if not isinstance(cache, FleetCache):
            raise MalformedInputError(f"cache: expected a FleetCache, got {type(cache).__name__}")
        validator._with_fleet_cache(cache)
    when = validation_time(at)
    name = server_name_text(server_name)
    if name is None:
        return await validator.validate_many_async(leaves, intermediates, at=when, progress=progress)
    shared = certificate_list(intermediates, "intermediate")
    items = [_split_item(item, position) for position, item in enumerate(_iterate(leaves))]
    results: list[ValidationResult] = []
    for leaf, own in items:
        offered = [*own, *shared]
        results.append(await validate_leaf(validator, leaf, offered, at=when, server_name=name, eager=True))
        if progress is not None:
            progress(len(results), len(items))
    return results
