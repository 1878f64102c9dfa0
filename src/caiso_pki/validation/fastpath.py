"""The fast path: a leaf answered from a template learnt on an earlier leaf of the same shape.

Most of a fleet looks alike: every RIG certificate of a participant hangs under the same issuing CA,
asserts the same policies and points at the same CRL.  A :class:`~caiso_pki.validation.Validator`
therefore learns, from a valid leaf that went through full validation (:mod:`~caiso_pki.validation.engine`),
a *template* for its shape: the validated anchor-to-issuer prefix with its revocation statuses, the
policies that survived RFC 5280 policy processing, and the warnings.  A shape
(:mod:`~caiso_pki.validation.shapes`) is everything validation reads from a leaf besides its own
signature, validity period, serial number and names: the issuer name and authority key identifier, the
set of extensions and their criticality and values, the asserted policy OIDs, the signature algorithm
and the key's type and size.  Each later leaf of that shape needs only the last step of RFC 5280 path
validation, done here with ``cryptography``: its signature by the issuer's key, its validity at ``at``,
the server name and ``distrust_after`` checks, and a lookup of its serial number in the (already
validated) CRL of the issuer.

Which leaves it declines (they take the full path, so failure codes, indices and messages always come
from full validation): a leaf whose shape is not known yet (a single :meth:`Validator.validate` learns
from the second valid leaf of a shape, a batch from the first); every leaf the fast checks do not pass
(not current, bad signature, name mismatch, distrusted anchor, revoked for a reason not seen yet); a
leaf that :func:`~caiso_pki.validation.shapes.shape` finds unusual (see there: odd serials, times, keys,
names, extensions); a leaf named like its issuer, a CA leaf, an RSASSA-PSS signature, name constraints
anywhere in the prefix, policy mappings or constraints in the leaf; and no template is made under the
webpki profile, with fetching on, with OCSP responses that could speak for the leaf, or with scoped,
delta or indirect CRLs, when the path had a choice of issuers, or when the prefix's certificates and
revocation answers are not all current at one time window.

Equality with full validation is a tested property, not an assumption: ``tests/test_fastpath_differential.py``
mutates leaves one property at a time under several chain shapes and compares every answer with a
fresh full validation (``tests/fuzz`` runs ten times as many).

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
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Final, Literal, TypeAlias

import attrs

from caiso_pki._time import iso as _iso
from caiso_pki.certificate import Certificate
from caiso_pki.errors import CaisoPkiError, MalformedInputError
from caiso_pki.types import LeafInput
from caiso_pki.validation.building import name_keys
from caiso_pki.validation.names import name_matches
from caiso_pki.validation.options import ProgressCallback, TrustSet, certificate_list, certificates
from caiso_pki.validation.results import RevocationStatus, ValidationFailure, ValidationResult
from caiso_pki.validation.shapes import Parsed, Shape, rfc4514, shape

__all__ = [
    "FleetCache",
    "FleetStats",
    "HashedKey",
    "LeafInput",
    "Lookup",
    "Pool",
    "ProgressCallback",
    "Settings",
    "iterate",
    "learn",
    "lookup",
    "split_item",
]


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


@attrs.frozen
class Settings:
    """What the fast path needs to know of a Validator's options (built once by the Validator).

    ``key`` identifies every option that can change an answer; ``learn`` is false for the one-shot
    validators of :func:`~caiso_pki.validation.validate_chain`, which have nothing to reuse.
    """

    key: HashedKey
    trust: TrustSet
    revocation: str
    crls: tuple[bytes, ...]
    ocsp: bool
    fetch: bool
    profile: str
    learn: bool = True


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
        self, leaf: Certificate, issuer: Certificate, parsed: Parsed, verify: _Verify | None
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


# -- the fast path -----------------------------------------------------------------------------------


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
    parsed: Parsed,
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
    if not lo < at < hi:
        return None  # a prefix certificate or revocation answer is not current at ``at``
    cert = leaf.x509
    not_before = cert.not_valid_before_utc
    if not (not_before < at < cert.not_valid_after_utc):
        return None
    if subject_der == shape.issuer:
        return None  # a leaf named like its issuer: let pyhanko judge it
    if template.distrust_after is not None and not_before > template.distrust_after:
        return None
    if server_name is not None and not name_matches(leaf, server_name):
        return None
    if not cache._signature_ok(leaf, template.issuer, parsed, template.verify):
        return None
    index = len(template.prefix)
    subject = rfc4514(subject_der) or cert.subject.rfc4514_string()
    crl = template.crl
    if template.revoked and serial in template.revoked:
        if crl is None:
            return None
        date, reason = crl.entries[serial]
        if date >= at:
            return None  # revoked only from its revocationDate on (and exactly then): the full path says
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
    shape: Shape,
    result: ValidationResult,
    *,
    pool: Pool,
    settings: Settings,
    cache: FleetCache,
) -> _Template | None:
    """A template from a valid full result, or ``None`` when later leaves could be answered differently."""
    path = result.path
    trust = settings.trust
    if not result.valid or len(path) < 2 or path[-1] != leaf or path[0].der not in trust.anchor_ders:
        return None
    if settings.fetch and settings.revocation != "off":
        return None
    if settings.profile == "webpki":
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
    if settings.revocation == "off":
        if leaf_status.status != "not-checked":
            return None
        kind = "not-checked"
    else:
        if settings.ocsp and any(oid == _AIA for oid, _, _ in shape.extensions):
            return None  # an OCSP answer could speak for another leaf
        indexed = [cache._crl_index(der) for der in settings.crls]
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


def split_item(item: LeafInput, position: int) -> tuple[Certificate, list[Certificate]]:
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


class Pool:
    """The intermediates and anchors a leaf can chain through, with a name index built once."""

    def __init__(self, certs: Sequence[Certificate], trust: TrustSet) -> None:
        self.certificates = tuple(certs)
        self.ders_sorted = tuple(sorted({cert.der for cert in certs}))
        self.key = HashedKey(*self.ders_sorted)
        self.ders = frozenset(self.ders_sorted) | trust.anchor_ders
        self._anchors = trust.anchors
        self._groups: Counter[object] | None = None

    def issuers_of(self, cert: Certificate) -> int:
        """How many certificates of the pool or anchors are named as ``cert``'s issuer (normalised)."""
        if self._groups is None:
            anchors = (anchor.certificate for anchor in self._anchors)
            groups: Counter[object] = Counter()
            for candidate in {cert.der: cert for cert in (*self.certificates, *anchors)}.values():
                groups[name_keys(candidate)[0]] += 1
            self._groups = groups
        return self._groups[name_keys(cert)[1]]


# -- the engine --------------------------------------------------------------------------------------


@attrs.define
class Lookup:
    """What the cache knows about one leaf: the fast answer, or what full validation must teach it."""

    leaf: Certificate
    offered: Sequence[Certificate]
    pool: Pool | None
    result: ValidationResult | None = None
    found: Parsed | None = None
    key: HashedKey | None = None
    template: _Template | None = None
    known: Seen = "new"
    eager: bool = False  # learn a shape from its first valid leaf (a batch: more are coming)


def lookup(
    cache: FleetCache,
    settings: Settings,
    leaf: Certificate,
    offered: Sequence[Certificate],
    *,
    at: dt.datetime,
    server_name: str | None,
    pool: Pool | None = None,
    eager: bool = False,
) -> Lookup:
    """The cached answer for ``leaf`` when a template gives it exactly (no I/O).

    ``eager``: learn the shape from this leaf if it is the first valid one (batches); otherwise a
    shape is learnt from its second valid leaf, so a service meeting one peer once pays nothing.
    """
    if not settings.learn:
        return Lookup(leaf, offered, None)
    if pool is None:
        pool = Pool([*offered, *settings.trust.intermediates], settings.trust)
    found = None
    if leaf.der not in pool.ders:
        try:
            leaf.x509  # noqa: B018 -- a certificate only asn1crypto reads takes the full path
            found = shape(leaf.der)
        except CaisoPkiError:  # a certificate only asn1crypto reads: the full path
            found = None
    state = Lookup(leaf, offered, pool, found=found, eager=eager)
    if found is None:
        return state
    state.key = HashedKey(settings.key, pool.key, found.shape)
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


def learn(cache: FleetCache, settings: Settings, state: Lookup, result: ValidationResult) -> None:
    """What the cache learns from the full validation of a leaf it could not answer."""
    cache._count(fast=False)
    leaf = state.leaf
    if state.found is None or state.key is None or state.pool is None:
        return
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
                leaf, state.found.shape, result, pool=state.pool, settings=settings, cache=cache
            )
        cache._remember(state.key, made)


def iterate(leaves: Iterable[LeafInput]) -> list[LeafInput]:
    """The leaves of one call as a list; a single certificate, or a single file, is a fleet of one."""
    if isinstance(leaves, (bytes, bytearray, memoryview, str, os.PathLike, Certificate)):
        return [leaves]  # one certificate (or one file) is a fleet of one
    if not isinstance(leaves, Iterable):
        raise MalformedInputError(
            "leaves: expected certificates, files or (leaf, intermediates) pairs, "
            f"got {type(leaves).__name__}"
        )
    return list(leaves)
