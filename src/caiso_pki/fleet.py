"""Fleet-scale validation: many leaves against one set of anchors, with what can be shared shared.

:func:`validate_many` gives, for every leaf, exactly the :class:`~caiso_pki.validation.ValidationResult`
that :func:`~caiso_pki.validation.validate_chain` would give with the same inputs, but checks hundreds
or thousands of leaves at a time much faster, because most of a fleet looks alike: every RIG certificate
of a participant hangs under the same issuing CA, asserts the same policies and points at the same CRL.

How it stays exact.  The first leaf of each *shape* goes through :func:`validate_chain` (pyhanko's full
RFC 5280 path validation).  When that leaf is valid, its result becomes a template for the shape: the
validated anchor-to-issuer prefix with its revocation statuses, the policies that survived RFC 5280
policy processing, and the warnings.  A shape is everything validation reads from a leaf besides its
own signature, validity period, serial number and names: the issuer name and authority key identifier,
the set of extensions and their criticality, the asserted policy OIDs, the signature algorithm, the
CRL distribution points and OCSP URLs.  Each later leaf of that shape needs only the last step of RFC
5280 path validation, done here with ``cryptography``: its signature by the issuer's key, its validity
at ``at``, the key usage, extended key usage, server name and ``distrust_after`` checks, and a lookup of
its serial number in the (already validated) CRL of the issuer.  Any doubt sends the leaf down the full
path: a shape whose answer could depend on the leaf (name constraints in the prefix, policy constraints
or mappings in the leaf, a CA or self-issued leaf, OCSP answers, fetching, several candidate issuers
or CRLs), and every leaf that fails a fast check, so failure codes, indices and messages always come
from :func:`validate_chain` itself.  ``tests/test_fleet.py`` runs NIST PKITS and a mixed demo fleet
through both functions and compares every field.

What is cached, and for how long: parsed CRLs (their revoked serial numbers) and signature checks
are kept for any validation time; templates are keyed by every input that can change an answer (the
anchors with their ``distrust_after``, the intermediates offered, the policy inputs, key usages, server
name, path length cap, revocation mode, the CRLs and OCSP responses given, the algorithm policy) and by
the validation time itself, so a template made at one ``at`` is never used at another.  Pass one
:class:`FleetCache` to several calls to share this across them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import os
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Final, Literal, TypeAlias

import attrs

from caiso_pki.certificate import Certificate, ensure_aware
from caiso_pki.errors import CaisoPkiError, MalformedInputError
from caiso_pki.policy import PolicyRequirement
from caiso_pki.validation import (
    _MODES,
    _TOLERANCE,
    AlgorithmPolicy,
    RevocationMode,
    RevocationStatus,
    ValidationFailure,
    ValidationResult,
    _certificate_list,
    _certificates,
    _crl_ders,
    _eku_oids,
    _iso,
    _key_usage_names,
    _load_crls,
    _load_ocsps,
    _name_matches,
    _policy_params,
    _trust_inputs,
    validate_chain_async,
)

__all__ = [
    "FleetCache",
    "FleetStats",
    "FleetSummary",
    "LeafInput",
    "summarize",
    "validate_many",
    "validate_many_async",
]

#: A leaf: anything :func:`~caiso_pki.validation.validate_chain` takes as its leaf, or a pair
#: ``(leaf, intermediates)`` whose intermediates are offered for that leaf only.
LeafInput: TypeAlias = Any

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
# Requested key usages the fast path reads from cryptography (asn1crypto name -> attribute).
_KU_ATTRIBUTES: Final[dict[str, str]] = {
    "digital_signature": "digital_signature",
    "non_repudiation": "content_commitment",
    "key_encipherment": "key_encipherment",
    "data_encipherment": "data_encipherment",
    "key_agreement": "key_agreement",
    "key_cert_sign": "key_cert_sign",
    "crl_sign": "crl_sign",
}
_SOFT_FAIL_NOTE: Final = "no revocation information for {} (soft-fail: accepted without it)"


@attrs.define
class FleetStats:
    """How the leaves of a :class:`FleetCache` were decided (for tuning and for tests).

    ``fast``: decided by the cached prefix and the leaf's own last step; ``full``: went through
    :func:`~caiso_pki.validation.validate_chain`; ``templates``: validated prefixes cached.
    """

    fast: int = 0
    full: int = 0
    templates: int = 0


@attrs.define(eq=False)
class _CrlIndex:
    issuer: Any  # asn1crypto's normalised (hashable) form of the issuer name
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
    # reason -> warnings of a revoked leaf, once validate_chain's answer for one matched ours
    revoked_warnings: dict[str | None, tuple[str, ...]] = attrs.field(factory=dict, eq=False)


class FleetCache:
    """What :func:`validate_many` learns, reusable across calls (keyed so it is reused only when right).

    Holds validated prefixes (templates) keyed by every validation input including the time, indexed
    CRLs and signature checks.  Not thread-safe: give each thread its own.  ``max_signatures`` bounds
    the memory used by remembered signature checks (the oldest half is dropped when full).
    """

    def __init__(self, *, max_signatures: int = 100_000) -> None:
        self.stats = FleetStats()
        self._templates: dict[tuple[Any, ...], _Template | None] = {}
        self._crls: dict[bytes, _CrlIndex | None] = {}
        self._signatures: dict[tuple[bytes, bytes], bool] = {}
        self._max_signatures = max_signatures

    def __repr__(self) -> str:
        return f"<FleetCache templates={len(self._templates)} stats={self.stats}>"

    def clear(self) -> None:
        """Forget everything (the statistics too)."""
        self.stats = FleetStats()
        self._templates.clear()
        self._crls.clear()
        self._signatures.clear()

    def _signature_ok(self, leaf: Certificate, issuer: Certificate) -> bool:
        key = (issuer.der, leaf.der)
        known = self._signatures.get(key)
        if known is not None:
            return known
        try:
            leaf.x509.verify_directly_issued_by(issuer.x509)
            ok = True
        except Exception:  # InvalidSignature, ValueError, TypeError ...: the full path will say which
            ok = False
        if len(self._signatures) >= self._max_signatures:
            for stale in list(self._signatures)[: self._max_signatures // 2]:
                del self._signatures[stale]
        self._signatures[key] = ok
        return ok

    def _crl_index(self, der: bytes) -> _CrlIndex | None:
        if der in self._crls:
            return self._crls[der]
        index: _CrlIndex | None
        try:
            index = _index_crl(der)
        except Exception:  # cryptography cannot read it: leaves that need it take the full path
            index = None
        self._crls[der] = index
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "total": self.total,
            "valid": self.valid,
            "invalid": self.invalid,
            "by_code": dict(self.by_code),
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


# -- inputs ------------------------------------------------------------------------------------------


def _split_item(item: LeafInput, position: int) -> tuple[Certificate, list[Certificate]]:
    """``(leaf, intermediates)`` for one input: a certificate-like value or a pair."""
    try:
        if isinstance(item, tuple) and len(item) == 2:
            leaf_part, extra = item
            found = _certificates(leaf_part, "certificate")
            pool = _certificate_list(extra, "intermediate")
        else:
            found = _certificates(item, "certificate")
            pool = []
    except CaisoPkiError as exc:
        raise MalformedInputError(f"leaves[{position}]: {exc}") from exc
    if not found:
        raise MalformedInputError(f"leaves[{position}]: no certificate given")
    return found[0], [*found[1:], *pool]


@attrs.frozen
class _Options:
    """Everything but the leaf that validate_chain takes, checked once, plus the template key."""

    trust: Any
    at: dt.datetime
    key_usage: Any
    extended_key_usage: Any
    server_name: str | None
    policy: PolicyRequirement | None
    max_path_length: int | None
    revocation: RevocationMode
    crls: tuple[bytes, ...]
    ocsp_responses: tuple[bytes, ...]
    fetch: bool
    timeout: float
    algorithm_policy: AlgorithmPolicy | None
    revocation_cache: Any
    ku_names: frozenset[str]
    eku_oids: frozenset[str]
    anchors: tuple[Any, ...]
    anchor_ders: frozenset[bytes]
    store_intermediates: tuple[Certificate, ...]
    key: tuple[Any, ...]

    def slow_kwargs(self) -> dict[str, Any]:
        return {
            "trust": self.trust,
            "at": self.at,
            "key_usage": self.key_usage,
            "extended_key_usage": self.extended_key_usage,
            "server_name": self.server_name,
            "policy": self.policy,
            "max_path_length": self.max_path_length,
            "revocation": self.revocation,
            "crls": self.crls,
            "ocsp_responses": self.ocsp_responses,
            "fetch": self.fetch,
            "timeout": self.timeout,
            "algorithm_policy": self.algorithm_policy,
            "revocation_cache": self.revocation_cache,
        }


def _options(**given: Any) -> _Options:
    at = ensure_aware(given["at"], what="at")
    revocation = given["revocation"]
    if revocation not in _MODES:
        raise MalformedInputError(f"revocation mode {revocation!r}: use one of {', '.join(_MODES)}")
    max_path_length = given["max_path_length"]
    if max_path_length is not None and max_path_length < 0:
        raise MalformedInputError(f"max_path_length {max_path_length} must be zero or more")
    ku_names = _key_usage_names(given["key_usage"])
    eku_oids = _eku_oids(given["extended_key_usage"])
    _policy_params(given["policy"])  # type check now, not once per leaf
    anchors, store_intermediates = _trust_inputs(given["trust"])
    crls = tuple(_crl_ders(given["crls"]))
    ocsps: tuple[bytes, ...] = ()
    if revocation != "off":
        _load_crls(crls)  # raise on a bad CRL up front, as validate_chain would for every leaf
        ocsps = tuple(item.dump() for item in _load_ocsps(given["ocsp_responses"]))
    algorithm_policy = given["algorithm_policy"]
    key = (
        tuple((a.certificate.der, a.distrust_after, a.label) for a in anchors),
        tuple(cert.der for cert in store_intermediates),
        at,
        ku_names,
        eku_oids,
        given["server_name"],
        given["policy"],
        max_path_length,
        revocation,
        frozenset(crls) if revocation != "off" else frozenset(),
        frozenset(ocsps),
        bool(given["fetch"]) and revocation != "off",
        algorithm_policy or AlgorithmPolicy(),
    )
    return _Options(
        trust=given["trust"],
        at=at,
        key_usage=given["key_usage"],
        extended_key_usage=given["extended_key_usage"],
        server_name=given["server_name"],
        policy=given["policy"],
        max_path_length=max_path_length,
        revocation=revocation,
        crls=crls,
        ocsp_responses=ocsps,
        fetch=bool(given["fetch"]),
        timeout=float(given["timeout"]),
        algorithm_policy=algorithm_policy,
        revocation_cache=given["revocation_cache"],
        ku_names=ku_names,
        eku_oids=eku_oids,
        anchors=tuple(anchors),
        anchor_ders=frozenset(a.certificate.der for a in anchors),
        store_intermediates=tuple(store_intermediates),
        key=key,
    )


class _Pool:
    """The intermediates and anchors a leaf can chain through, with a name index built once."""

    def __init__(self, certificates: Sequence[Certificate], options: _Options) -> None:
        self.certificates = tuple(certificates)
        self.key = tuple(sorted({cert.der for cert in certificates}))
        self.ders = frozenset(self.key) | options.anchor_ders
        self._groups: Counter[Any] | None = None
        unique = {cert.der: cert for cert in (*certificates, *(a.certificate for a in options.anchors))}
        self._all = list(unique.values())

    def candidates(self, name: Any) -> int:
        """How many certificates of the pool or anchors have the (normalised) subject ``name``."""
        if self._groups is None:
            groups: Counter[Any] = Counter()
            for cert in self._all:
                groups[cert.asn1.subject.hashable] += 1
            self._groups = groups
        return self._groups[name.hashable]


# -- the fast path -----------------------------------------------------------------------------------


# The leaf extensions whose value path validation reads (the others count by OID and criticality only):
# authorityKeyIdentifier, basicConstraints, keyUsage, extendedKeyUsage, certificatePolicies, CRL
# distribution points, freshestCRL, nameConstraints, policyConstraints, policyMappings,
# inhibitAnyPolicy (DER of 2.5.29.x) and authorityInfoAccess.
_VALUE_READ: Final = frozenset(
    {bytes([0x55, 0x1D, arc]) for arc in (35, 19, 15, 37, 32, 31, 46, 30, 36, 33, 54)}
    | {bytes.fromhex("2b06010505070101")}
)


@attrs.frozen
class _Shape:
    """What path validation reads from a leaf, besides its signature, validity, serial and names.

    Raw DER pieces of the to-be-signed certificate: two leaves with equal shapes under the same
    prefix get the same answer from every step of path validation except those :func:`_fast` redoes.
    """

    issuer: bytes
    signature_algorithm: bytes
    extensions: tuple[tuple[bytes, bool, bytes], ...]


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


def _shape(cert: Any) -> tuple[_Shape, bytes, int] | None:
    """The leaf's shape, raw subject name and serial number, or ``None`` for anything unusual."""
    try:
        tbs = cert.tbs_certificate_bytes
        tag, pos, end = _tlv(tbs, 0)
        tag, start, stop = _tlv(tbs, pos)
        if tag == 0xA0:  # version
            tag, start, stop = _tlv(tbs, stop)
        if tag != 0x02:  # serial
            return None
        serial = int.from_bytes(tbs[start:stop], "big", signed=True)
        _, start, stop = _tlv(tbs, stop)
        signature_algorithm = tbs[start:stop]
        head = stop
        _, start, stop = _tlv(tbs, head)
        issuer = tbs[head:stop]
        _, start, stop = _tlv(tbs, stop)  # validity
        head = stop
        _, start, stop = _tlv(tbs, head)
        subject = tbs[head:stop]
        _, start, stop = _tlv(tbs, stop)  # subjectPublicKeyInfo
        extensions: list[tuple[bytes, bool, bytes]] = []
        if stop < end:
            tag, start, stop = _tlv(tbs, stop)
            if tag != 0xA3 or stop != end:
                return None  # unique identifiers or trailing data: unusual, take the full path
            _, pos, limit = _tlv(tbs, start)
            while pos < limit:
                _, inner, after = _tlv(tbs, pos)
                _, oid_start, oid_end = _tlv(tbs, inner)
                oid = tbs[oid_start:oid_end]
                critical = False
                tag, value_start, value_end = _tlv(tbs, oid_end)
                if tag == 0x01:
                    critical = tbs[value_start:value_end] != b"\x00"
                    tag, value_start, value_end = _tlv(tbs, value_end)
                value = tbs[value_start:value_end] if oid in _VALUE_READ else b""
                extensions.append((oid, critical, value))
                pos = after
        return _Shape(issuer, signature_algorithm, tuple(extensions)), subject, serial
    except (IndexError, ValueError):
        return None


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
            _, set_start, set_end = _tlv(name, pos)
            _, inner, attribute_end = _tlv(name, set_start)
            if attribute_end != set_end:
                return None  # multi-valued RDN
            _, oid_start, oid_end = _tlv(name, inner)
            short = _SHORT_NAMES.get(name[oid_start:oid_end])
            tag, value_start, value_end = _tlv(name, oid_end)
            if short is None or tag not in (0x0C, 0x13) or value_end != attribute_end:
                return None
            value = name[value_start:value_end].decode("utf-8" if tag == 0x0C else "ascii")
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
    shape: _Shape,
    subject_der: bytes,
    serial: int,
    *,
    template: _Template,
    options: _Options,
    cache: FleetCache,
) -> ValidationResult | None:
    """The result for ``leaf`` from ``template``, or ``None`` when the full path must decide.

    Key usage and extended key usage need no check here: their DER is part of the shape, so they are
    the template leaf's, which passed.
    """
    at = options.at
    cert = leaf.x509
    not_before = cert.not_valid_before_utc
    if not (not_before + _TOLERANCE < at < cert.not_valid_after_utc - _TOLERANCE):
        return None
    if subject_der == shape.issuer:
        return None  # a leaf named like its issuer: let pyhanko judge it
    if template.distrust_after is not None and not_before > template.distrust_after:
        return None
    if options.server_name is not None and not _name_matches(leaf, options.server_name):
        return None
    if not cache._signature_ok(leaf, template.issuer):
        return None
    index = len(template.prefix)
    subject = _rfc4514(subject_der) or cert.subject.rfc4514_string()
    crl = template.crl
    if template.revoked and serial in template.revoked:
        if crl is None:
            return None
        date, reason = crl.entries[serial]
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
        warnings=tuple(_SOFT_FAIL_NOTE.format(subject) if w is None else w for w in template.warnings),
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
        valid_policies=frozenset(),
        revocation=(*template.prefix_statuses, status),
        warnings=warnings,
        at=at,
    )


def _learn_revoked(leaf: Certificate, result: ValidationResult, template: _Template) -> None:
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
        template.revoked_warnings[reason] = result.warnings


def _make_template(
    leaf: Certificate,
    shape: _Shape,
    result: ValidationResult,
    *,
    pool: _Pool,
    options: _Options,
    cache: FleetCache,
) -> _Template | None:
    """A template from a valid full result, or ``None`` when later leaves could be answered differently."""
    path = result.path
    if not result.valid or len(path) < 2 or path[-1] != leaf or path[0].der not in options.anchor_ders:
        return None
    if options.fetch:
        return None
    issuer = path[-2]
    try:
        if issuer.x509.subject.public_bytes() != shape.issuer:
            return None
        for cert in path[:-1]:
            if any(oid == _NAME_CONSTRAINTS for oid, _ in cert.extension_oids):
                return None  # the leaf's names would be checked against the prefix's subtrees
        # One candidate issuer per certificate, so path building has no choice to make.
        for cert in path[1:]:
            if pool.candidates(cert.asn1.issuer) != 1:
                return None
    except Exception:  # a prefix certificate cryptography cannot read: no template
        return None
    if sum(1 for a in options.anchors if a.certificate.der == path[0].der) != 1:
        return None
    anchor = next(a for a in options.anchors if a.certificate.der == path[0].der)
    statuses = result.revocation
    if len(statuses) != len(path):
        return None
    leaf_status = statuses[-1]
    subject = leaf.subject.rfc4514
    crl: _CrlIndex | None = None
    revoked: frozenset[int] = frozenset()
    kind: Literal["not-checked", "unknown", "crl"]
    if options.revocation == "off":
        if leaf_status.status != "not-checked":
            return None
        kind = "not-checked"
    else:
        if options.ocsp_responses and any(oid == _AIA for oid, _, _ in shape.extensions):
            return None  # an OCSP answer could speak for another leaf
        indexed = [cache._crl_index(der) for der in options.crls]
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
            if pool.candidates(leaf.asn1.issuer) != 1:
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
    return _Template(
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


# -- the engine --------------------------------------------------------------------------------------


def validate_many(
    leaves: Iterable[LeafInput],
    intermediates: Iterable[Any] = (),
    *,
    trust: Any,
    at: dt.datetime | None = None,
    key_usage: Iterable[str] | None = None,
    extended_key_usage: Iterable[str] | str | None = None,
    server_name: str | None = None,
    policy: PolicyRequirement | None = None,
    max_path_length: int | None = None,
    revocation: RevocationMode = "soft-fail",
    crls: Iterable[Any] = (),
    ocsp_responses: Iterable[Any] = (),
    fetch: bool = False,
    timeout: float = 10.0,
    algorithm_policy: AlgorithmPolicy | None = None,
    revocation_cache: Any = None,
    cache: FleetCache | None = None,
    progress: ProgressCallback | None = None,
) -> list[ValidationResult]:
    """Validate every leaf as :func:`~caiso_pki.validation.validate_chain` would, much faster in bulk.

    ``leaves`` holds certificates (anything ``validate_chain`` takes as its leaf: :class:`Certificate`,
    cryptography certificates, DER/PEM bytes, PEM text, paths; a file with several certificates gives
    the leaf first and intermediates after) or ``(leaf, intermediates)`` pairs whose intermediates are
    offered for that leaf only.  ``intermediates`` are offered for every leaf.  Every keyword option
    means what it means for ``validate_chain``; ``at`` defaults to one "now" for the whole call.
    ``cache`` (a :class:`FleetCache`) carries what was learnt into later calls; ``progress`` is called
    as ``progress(done, total)`` after each leaf.

    Returns one :class:`~caiso_pki.validation.ValidationResult` per leaf, in input order, equal to what
    ``validate_chain(leaf, [*pair_intermediates, *intermediates], ...)`` returns.  Raises
    :class:`~caiso_pki.errors.MalformedInputError` for bad input (naming ``leaves[i]``) before any
    validation.  Safe to call inside a running event loop (it then runs on a worker thread).
    """
    coroutine = validate_many_async(
        leaves,
        intermediates,
        trust=trust,
        at=at,
        key_usage=key_usage,
        extended_key_usage=extended_key_usage,
        server_name=server_name,
        policy=policy,
        max_path_length=max_path_length,
        revocation=revocation,
        crls=crls,
        ocsp_responses=ocsp_responses,
        fetch=fetch,
        timeout=timeout,
        algorithm_policy=algorithm_policy,
        revocation_cache=revocation_cache,
        cache=cache,
        progress=progress,
    )
    box: list[list[ValidationResult]] = []

    async def main() -> None:
        box.append(await coroutine)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        asyncio.run(main())
    else:
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, main()).result()
    return box[0]


async def validate_many_async(
    leaves: Iterable[LeafInput],
    intermediates: Iterable[Any] = (),
    *,
    trust: Any,
    at: dt.datetime | None = None,
    key_usage: Iterable[str] | None = None,
    extended_key_usage: Iterable[str] | str | None = None,
    server_name: str | None = None,
    policy: PolicyRequirement | None = None,
    max_path_length: int | None = None,
    revocation: RevocationMode = "soft-fail",
    crls: Iterable[Any] = (),
    ocsp_responses: Iterable[Any] = (),
    fetch: bool = False,
    timeout: float = 10.0,
    algorithm_policy: AlgorithmPolicy | None = None,
    revocation_cache: Any = None,
    cache: FleetCache | None = None,
    progress: ProgressCallback | None = None,
) -> list[ValidationResult]:
    """Asynchronous :func:`validate_many` (same parameters and results); fetches run on the event loop."""
    options = _options(
        trust=trust,
        at=at,
        key_usage=key_usage,
        extended_key_usage=extended_key_usage,
        server_name=server_name,
        policy=policy,
        max_path_length=max_path_length,
        revocation=revocation,
        crls=crls,
        ocsp_responses=ocsp_responses,
        fetch=fetch,
        timeout=timeout,
        algorithm_policy=algorithm_policy,
        revocation_cache=revocation_cache,
    )
    shared = _certificate_list(intermediates, "intermediate")
    items = [_split_item(item, position) for position, item in enumerate(_iterate(leaves))]
    cache = cache if cache is not None else FleetCache()
    pools: dict[tuple[bytes, ...], _Pool] = {}
    shared_pool: _Pool | None = None
    results: list[ValidationResult] = []
    total = len(items)
    for leaf, own in items:
        offered = [*own, *shared]
        if own:
            candidate = _Pool([*offered, *options.store_intermediates], options)
            pool = pools.setdefault(candidate.key, candidate)
        else:
            if shared_pool is None:
                shared_pool = _Pool([*shared, *options.store_intermediates], options)
            pool = shared_pool
        result = await _validate_one(leaf, offered, pool, options, cache)
        results.append(result)
        if progress is not None:
            progress(len(results), total)
    return results


def _iterate(leaves: Iterable[LeafInput]) -> list[LeafInput]:
    if isinstance(leaves, (bytes, bytearray, memoryview, str, os.PathLike, Certificate)):
        return [leaves]  # one certificate (or one file) is a fleet of one
    return list(leaves)


async def _validate_one(
    leaf: Certificate, offered: list[Certificate], pool: _Pool, options: _Options, cache: FleetCache
) -> ValidationResult:
    found = None
    if leaf.der not in pool.ders:
        try:
            found = _shape(leaf.x509)
        except CaisoPkiError:  # a certificate only asn1crypto reads: the full path
            found = None
    key: tuple[Any, ...] | None = None
    template: _Template | None = None
    if found is not None:
        shape, subject_der, serial = found
        key = (options.key, pool.key, shape)
        template = cache._templates.get(key)
        if template is not None:
            fast = _fast(leaf, shape, subject_der, serial, template=template, options=options, cache=cache)
            if fast is not None:
                cache.stats.fast += 1
                return fast
    result = await validate_chain_async(leaf, offered, **options.slow_kwargs())
    cache.stats.full += 1
    if found is None or key is None:
        return result
    if template is not None:
        if result.codes == ("revoked",):
            _learn_revoked(leaf, result, template)
    elif key not in cache._templates and result.valid and _eligible(leaf):
        made = _make_template(leaf, found[0], result, pool=pool, options=options, cache=cache)
        cache._templates[key] = made
        if made is not None:
            cache.stats.templates += 1
    return result
