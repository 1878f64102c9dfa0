"""The strict profiles: structural rules of RFC 5280 (and the CA/Browser Forum's for ``"webpki"``).

pyhanko-certvalidator implements the path validation algorithm of RFC 5280 section 6; it does not
check that each certificate is well formed per sections 4.1 and 4.2.  This module does: :data:`RULES`
is a table of small rules, each with its own stable failure code, the section it comes from, the
certificates it applies to and the profile that turns it on.  A reader can audit the table against the
standard line by line, and ``tests/test_rules.py`` breaks each rule with a certificate of its own.

Every certificate of the path is held to the rules, with one exception: the rules about how a CA issues
a certificate (scope ``"issued"``: serial number, key identifiers, time encodings, criticality of the
informational extensions, SAN syntax) are not applied to the trust anchor's own certificate.  A trust
anchor is a name and a key the relying party chose to trust (RFC 5280 6.1.1 (d)); what is still checked
on it is what it asserts: its validity, its constraints and how they are marked, its name, its key, and
in the ``"webpki"`` profile the CA/Browser Forum's rules for roots (``docs/choices.md``, "Trust anchors").
Where the RFC leaves a choice to the validator, the rules choose as Go's ``crypto/x509`` and BoringSSL do:

* version 1 trust anchors without extensions are accepted (no basicConstraints, no key identifiers);
* GeneralizedTime before 2050 is accepted (NIST PKITS test 4.2.4 requires it), but every time must be
  in the exact form of RFC 5280 4.1.2.5 (seconds present, ``Z``, no fractions);
* anyExtendedKeyUsage satisfies a requested purpose, except in the ``"webpki"`` profile;
* an intermediate (or anchor) with an extendedKeyUsage extension constrains the leaf: it must allow
  the requested purposes or anyExtendedKeyUsage (the check lives in the engine);
* the leaf's own key, like every key, is held to the :class:`~caiso_pki.validation.AlgorithmPolicy`.

Rules read the certificate through asn1crypto (the same objects pyhanko validates) and raw DER where
text must not be decoded (DNS names are compared as bytes, never through an IDNA codec).
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Final, Literal, NamedTuple

from asn1crypto import core
from asn1crypto.core import Void

from caiso_pki.certificate import Certificate
from caiso_pki.validation.results import ValidationFailure

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509

    from caiso_pki.validation.options import AlgorithmPolicy

__all__ = ["RULES", "WAIVABLE", "CertView", "Rule", "check_path"]

Scope = Literal["any", "anchor", "ca", "leaf", "issued"]

_AKI: Final = "2.5.29.35"
_SKI: Final = "2.5.29.14"
_KU: Final = "2.5.29.15"
_SAN: Final = "2.5.29.17"
_BC: Final = "2.5.29.19"
_NC: Final = "2.5.29.30"
_PC: Final = "2.5.29.36"
_EKU: Final = "2.5.29.37"
_AIA: Final = "1.3.6.1.5.5.7.1.1"
_SERVER_AUTH: Final = "1.3.6.1.5.5.7.3.1"
_ANY_EKU: Final = "2.5.29.37.0"

_LABEL: Final = re.compile(rb"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_UTC_TIME: Final = re.compile(rb"\d{12}Z")
_GENERALIZED_TIME: Final = re.compile(rb"\d{14}Z")
_WEBPKI_CURVES: Final = frozenset({"secp256r1", "secp384r1", "secp521r1"})


class _Undecodable(Exception):
    """An extension value that cannot be decoded."""


class CertView:
    """One certificate of the path as the rules see it: parsed once, errors kept, never raised."""

    __slots__ = (
        "_decoded",
        "_first",
        "algorithms",
        "asn1",
        "cert",
        "extensions",
        "is_anchor",
        "is_leaf",
        "issues",
        "undecodable",
    )

    def __init__(
        self, cert: Certificate, is_anchor: bool, is_leaf: bool, issues: bool, algorithms: AlgorithmPolicy
    ) -> None:
        self.cert = cert
        self.is_anchor = is_anchor
        self.is_leaf = is_leaf  # the last certificate of the path
        self.issues = issues  # it issues the next certificate of the path
        self.algorithms = algorithms
        self.extensions: list[tuple[str, bool, Any]] = []
        self.undecodable: dict[str, str] = {}
        self._first: dict[str, tuple[bool, Any]] = {}
        self._decoded: dict[str, tuple[bool, Any]] = {}
        self.asn1: asn1_x509.Certificate = cert.asn1
        raw = self.asn1["tbs_certificate"]["extensions"]
        if raw.contents is None:
            return
        for ext in raw:
            oid = ext["extn_id"].dotted
            critical = bool(ext["critical"].native)
            self.extensions.append((oid, critical, ext))
            self._first.setdefault(oid, (critical, ext))

    def find(self, oid: str) -> tuple[bool, Any] | None:
        """(critical, decoded value) of the first extension ``oid``, ``None`` when absent.

        Raises :class:`_Undecodable` when the value cannot be decoded (reported by its own rule).
        """
        decoded = self._decoded.get(oid)
        if decoded is not None:
            return decoded
        if oid in self.undecodable:
            raise _Undecodable(self.undecodable[oid])
        first = self._first.get(oid)
        if first is None:
            return None
        critical, ext = first
        try:
            value = _decode(oid, ext)
        except Exception as exc:  # asn1crypto raises many types on bad DER
            self.undecodable[oid] = f"{type(exc).__name__}: {exc}"
            raise _Undecodable(self.undecodable[oid]) from exc
        self._decoded[oid] = (critical, value)
        return critical, value

    def has(self, oid: str) -> bool:
        """Whether an extension ``oid`` is present (decodable or not)."""
        return oid in self._first

    def critical(self, oid: str) -> bool:
        """Whether the (first) extension ``oid`` is marked critical."""
        first = self._first.get(oid)
        return first is not None and first[0]

    def is_ca(self) -> bool:
        """basicConstraints cA=TRUE."""
        found = self.find(_BC)
        return bool(found and found[1]["ca"].native)

    def self_issued(self) -> bool:
        """Issuer and subject names match (RFC 5280 3.2: a self-issued certificate)."""
        return bool(self.asn1.issuer == self.asn1.subject)


Check = Callable[[CertView], "str | None"]


class Rule(NamedTuple):
    """One structural rule: ``check`` returns what is wrong with a certificate, or ``None``."""

    code: str
    source: str
    scope: Scope
    profile: Literal["rfc5280", "webpki"]
    check: Check
    summary: str = ""
    #: a profile that does not enforce this rule (the CA/Browser Forum relaxes a few of RFC 5280's)
    dropped_by: Literal["webpki"] | None = None

    def applies(self, view: CertView) -> bool:
        """Whether this rule looks at ``view`` at all."""
        if self.scope == "anchor":
            return view.is_anchor
        if self.scope == "leaf":
            return view.is_leaf and not view.is_anchor
        if self.scope == "issued":
            return not view.is_anchor
        if self.scope == "ca":
            try:
                return view.is_ca()
            except _Undecodable:
                return False
        return True


# -- the rules -------------------------------------------------------------------------------------


# GeneralName forms held as IA5String: read as their bytes, never decoded as text
_RAW_FORMS: Final = frozenset({"dns_name", "rfc822_name", "uniform_resource_identifier"})


def _decode(oid: str, ext: Any) -> Any:
    """The parsed value of ``ext``, decoded all through now (raises on bad DER).

    The dNSName, rfc822Name and URI values of a subjectAltName and of name constraints stay raw bytes:
    asn1crypto decodes them through the IDNA codec (and parses URIs), which refuses names that are
    well-formed DER and ASCII (``xn--zz`` hosts, URIs with odd ports).  Their syntax is judged where it
    matters: ``invalid-dns-name``, the name-constraint rules, and name constraints themselves.
    """
    value = ext["extn_value"].parsed
    if oid == _SAN:
        for general in value:
            _frame(general)
    elif oid == _NC:
        for field in ("permitted_subtrees", "excluded_subtrees"):
            subtrees = value[field]
            if isinstance(subtrees, Void):
                continue
            for subtree in subtrees:
                _frame(subtree["base"])
                subtree["minimum"].native  # noqa: B018
                subtree["maximum"].native  # noqa: B018
    else:
        value.native  # noqa: B018 -- decode it all now
    return value


def _frame(general: Any) -> None:
    if general.name in _RAW_FORMS:
        general.chosen.contents  # noqa: B018 -- framing only
    else:
        general.native  # noqa: B018


def _malformed_extension(view: CertView) -> str | None:
    bad = []
    seen = set()
    for oid, _, ext in view.extensions:
        try:
            if oid in seen:
                _decode(oid, ext)  # a repeated extension: its value must decode too
            else:
                view.find(oid)
        except _Undecodable as exc:
            bad.append(f"{_name(oid)} ({exc})")
        except Exception as exc:  # asn1crypto raises many types on bad DER
            bad.append(f"{_name(oid)} ({type(exc).__name__}: {exc})")
        seen.add(oid)
    return f"cannot decode {'; '.join(bad)}" if bad else None


def _cryptography_problem(view: CertView) -> str | None:
    """What cryptography cannot decode in extensions asn1crypto reads (checked in :func:`_verdicts`).

    cryptography is stricter (an empty extendedKeyUsage, a repeated extension, a non-ASCII dNSName):
    when a rule already names the defect of the certificate, this vaguer finding is not added.
    """
    cx = view.cert._x509
    if cx is None:
        return None
    try:
        cx.extensions  # noqa: B018 -- cryptography decodes every extension it knows
    except Exception as exc:  # ValueError, DuplicateExtension, UnsupportedGeneralNameType ...
        return f"cannot decode an extension cryptography cannot decode ({type(exc).__name__}: {exc})"
    return None


def _serial(view: CertView) -> str | None:
    raw = view.asn1["tbs_certificate"]["serial_number"].contents
    value = int.from_bytes(raw, "big", signed=True)
    if value == 0:
        return "the serial number is zero"
    if value < 0:
        return "the serial number is negative"
    if len(raw) > 20:
        return f"the serial number is {len(raw)} octets long (at most 20)"
    return None


def _duplicates(view: CertView) -> str | None:
    counts = Counter(oid for oid, _, _ in view.extensions)
    repeated = sorted(oid for oid, count in counts.items() if count > 1)
    return f"extension(s) {', '.join(_name(o) for o in repeated)} appear more than once" if repeated else None


def _missing_aki(view: CertView) -> str | None:
    if view.has(_AKI) or view.asn1.self_signed in ("yes", "maybe") or not view.extensions:
        return None
    return "no authorityKeyIdentifier (required in every certificate that is not self-signed)"


def _missing_ski(view: CertView) -> str | None:
    if view.has(_SKI) or not view.is_ca():
        return None
    return "a CA certificate without subjectKeyIdentifier"


def _not_critical(oid: str, what: str) -> Check:
    def check(view: CertView) -> str | None:
        if view.has(oid) and not view.critical(oid):
            return f"{what} is not marked critical"
        return None

    return check


def _critical(oid: str, what: str) -> Check:
    def check(view: CertView) -> str | None:
        return f"{what} is marked critical" if view.critical(oid) else None

    return check


def _anchor_not_ca(view: CertView) -> str | None:
    if not view.issues or not view.extensions:
        return None  # a v1 anchor (no extensions) or a trusted leaf
    found = view.find(_BC)
    if found is None:
        return "the trust anchor issues certificates but has no basicConstraints"
    if not found[1]["ca"].native:
        return "the trust anchor issues certificates but its basicConstraints say cA=FALSE"
    return None


def _anchor_key_usage(view: CertView) -> str | None:
    if not view.issues:
        return None
    found = view.find(_KU)
    if found is not None and "key_cert_sign" not in found[1].native:
        return "the trust anchor issues certificates but its keyUsage lacks keyCertSign"
    return None


def _anchor_critical(view: CertView) -> str | None:
    from caiso_pki.validation.pkix import UNDERSTOOD

    unknown = sorted(
        {_name(oid) for oid, critical, _ in view.extensions if critical and oid not in UNDERSTOOD}
    )
    return (
        f"the trust anchor has unsupported critical extension(s): {', '.join(unknown)}" if unknown else None
    )


def _cert_sign_without_ca(view: CertView) -> str | None:
    found = view.find(_KU)
    if found is None or "key_cert_sign" not in found[1].native:
        return None
    return None if view.is_ca() else "keyUsage asserts keyCertSign but basicConstraints does not say cA=TRUE"


def _ca_basic_constraints_critical(view: CertView) -> str | None:
    return "basicConstraints of a CA certificate is not marked critical" if not view.critical(_BC) else None


def _ca_empty_subject(view: CertView) -> str | None:
    return "a CA certificate with an empty subject" if not view.asn1.subject.chosen else None


def _empty_subject_san(view: CertView) -> str | None:
    if view.asn1.subject.chosen:
        return None
    if not view.has(_SAN):
        return "the subject is empty and there is no subjectAltName"
    return None if view.critical(_SAN) else "the subject is empty but subjectAltName is not marked critical"


def _empty_ku(view: CertView) -> str | None:
    found = view.find(_KU)
    return "keyUsage asserts no bit" if found is not None and not found[1].native else None


def _empty_eku(view: CertView) -> str | None:
    found = view.find(_EKU)
    return "extendedKeyUsage holds no purpose" if found is not None and len(found[1]) == 0 else None


def _nc_in_leaf(view: CertView) -> str | None:
    if not view.has(_NC):
        return None
    try:
        if view.is_ca():
            return None
    except _Undecodable:
        return None
    return "nameConstraints in a certificate that is not a CA"


def _nc_values(view: CertView) -> str | None:
    found = view.find(_NC)
    if found is None:
        return None
    value = found[1]
    problems = []
    for field in ("permitted_subtrees", "excluded_subtrees"):
        subtrees = value[field]
        if isinstance(subtrees, Void):
            continue
        if len(subtrees) == 0:
            problems.append(f"{field} is empty")
        for subtree in subtrees:
            if subtree["minimum"].native not in (0, None) or subtree["maximum"].native is not None:
                problems.append("minimum/maximum must be absent")
            problem = _constraint_problem(subtree["base"])
            if problem:
                problems.append(problem)
    if isinstance(value["permitted_subtrees"], Void) and isinstance(value["excluded_subtrees"], Void):
        problems.append("neither permitted nor excluded subtrees")
    return f"nameConstraints: {'; '.join(problems)}" if problems else None


def _constraint_problem(base: Any) -> str | None:
    kind = base.name
    if kind == "ip_address":
        raw = base.chosen.contents
        if len(raw) not in (8, 32):
            return f"an iPAddress constraint of {len(raw)} octets (address and mask: 8 or 32)"
        half = len(raw) // 2
        mask = int.from_bytes(raw[half:], "big")
        bits = half * 8
        inverted = ~mask & ((1 << bits) - 1)
        if inverted & (inverted + 1):
            return "an iPAddress constraint with a non-contiguous mask"
        return None
    if kind == "dns_name":
        raw = base.chosen.contents
        text = raw[1:] if raw.startswith(b".") else raw
        if raw and not dns_ok(text, wildcard=False):
            return f"a dNSName constraint that is not a DNS name: {raw!r}"
        return None
    if kind in ("rfc822_name", "uniform_resource_identifier"):
        raw = base.chosen.contents
        if any(byte > 0x7E or byte < 0x21 for byte in raw):
            return f"an {kind} constraint with characters outside printable ASCII: {raw!r}"
    if kind == "rfc822_name":
        from caiso_pki.validation.names import dns_name, mailbox

        raw = base.chosen.contents
        host = raw[1:] if raw.startswith(b".") else raw
        if raw and (mailbox(raw) is None if b"@" in raw else dns_name(host, wildcard=False) is None):
            return f"an rfc822Name constraint that is not a mailbox, a host or a .domain: {raw!r}"
    return None


def dns_ok(raw: bytes, *, wildcard: bool) -> bool:
    """Whether ``raw`` is a DNS name in the preferred syntax (a left-most ``*`` label with ``wildcard``)."""
    if not raw or len(raw) > 253 or raw.endswith(b"."):
        return False
    labels = raw.split(b".")
    if wildcard and labels[0] == b"*" and len(labels) > 1:
        labels = labels[1:]
    return all(_LABEL.fullmatch(label) for label in labels)


def _san_names(view: CertView) -> Iterator[tuple[str, bytes]]:
    found = view.find(_SAN)
    if found is None:
        return
    for general in found[1]:
        yield general.name, general.chosen.contents if general.name != "directory_name" else b""


def _dns_names(view: CertView) -> str | None:
    bad = [raw for kind, raw in _san_names(view) if kind == "dns_name" and not dns_ok(raw, wildcard=True)]
    if not bad:
        return None
    shown = ", ".join(repr(raw.decode("ascii", "backslashreplace")) for raw in bad)
    return f"subjectAltName dNSName not in the preferred name syntax (letters, digits, hyphens): {shown}"


def _times(view: CertView) -> str | None:
    validity = view.asn1["tbs_certificate"]["validity"]
    bad = []
    for field in ("not_before", "not_after"):
        choice = validity[field]
        raw = choice.chosen.contents
        pattern = _UTC_TIME if choice.name == "utc_time" else _GENERALIZED_TIME
        if not pattern.fullmatch(raw):
            bad.append(f"{field} {raw.decode('ascii', 'backslashreplace')!r}")
    return (
        f"validity times not in RFC 5280 form (seconds, Z, no fractions): {', '.join(bad)}" if bad else None
    )


#: Key algorithms a certificate's key may use (rsaEncryption, RSASSA-PSS, DSA, EC, Ed25519, Ed448): any
#: other key, GOST for one, cannot be judged against the policy, so it fails closed.
_KEY_ALGORITHMS: Final = frozenset(
    {
        "1.2.840.113549.1.1.1",
        "1.2.840.113549.1.1.10",
        "1.2.840.10040.4.1",
        "1.2.840.10045.2.1",
        "1.3.101.112",
        "1.3.101.113",
    }
)


def _key_oid(spki: Any) -> str:
    """The key's algorithm OID, read generically: asn1crypto cannot parse a key it does not know."""
    return str(core.Sequence.load(spki.dump())[0][0].dotted)


def _key(view: CertView) -> str | None:
    policy = view.algorithms
    spki = view.asn1.public_key
    if _key_oid(spki) not in _KEY_ALGORITHMS:
        return None  # _unknown_key reports it
    algorithm = spki.algorithm
    if algorithm in {"rsa", "rsassa_pss"}:
        bits = _exact_bits(spki)
        return (
            f"an RSA key of {bits} bits (at least {policy.min_rsa_bits})"
            if bits < policy.min_rsa_bits
            else None
        )
    if algorithm == "dsa":
        if not policy.allow_dsa:
            return "a DSA key (the algorithm policy refuses DSA)"
        params = spki["algorithm"]["parameters"]
        if params.native is None:
            return None  # parameters inherited from the issuer (RFC 3279 2.3.2)
        bits = _exact_bits(spki)
        return (
            f"a DSA key of {bits} bits (at least {policy.min_dsa_bits})"
            if bits < policy.min_dsa_bits
            else None
        )
    if algorithm == "ec":
        params = spki["algorithm"]["parameters"]
        if params.name != "named":
            return None  # _explicit_curve reports it
        curve = str(params.chosen.native)
        if curve in policy.curves:
            return None
        return f"an EC key on curve {curve} (the algorithm policy accepts {', '.join(sorted(policy.curves))})"
    return None


def _unknown_key(view: CertView) -> str | None:
    oid = _key_oid(view.asn1.public_key)
    return None if oid in _KEY_ALGORITHMS else f"a key of an algorithm not known here ({oid})"


def _exact_bits(spki: Any) -> int:
    """The RSA modulus's or DSA prime's exact size: asn1crypto's ``bit_size`` rounds up to whole octets,
    which would let a 2041-bit key pass a 2048-bit minimum."""
    if spki.algorithm == "dsa":
        return int(spki["algorithm"]["parameters"]["p"].native).bit_length()
    return int(spki["public_key"].parsed["modulus"].native).bit_length()


def _explicit_curve(view: CertView) -> str | None:
    spki = view.asn1.public_key
    if _key_oid(spki) != "1.2.840.10045.2.1":
        return None
    params = spki["algorithm"]["parameters"]
    if params.name == "named":
        return None
    if params.name == "implicit_ca":
        return "an EC key with NULL (implicitlyCA) parameters (RFC 5480 requires a named curve)"
    return "an EC key with explicit curve parameters (RFC 5480 requires a named curve)"


def _tlvs(data: bytes) -> Iterator[tuple[int, bytes]]:
    """(tag octet, contents) of each DER element in ``data``, one after the other (single-octet tags)."""
    at = 0
    while at < len(data):
        tag, first = data[at], data[at + 1]
        at += 2
        size = first
        if first & 0x80:
            count = first & 0x7F
            size = int.from_bytes(data[at : at + count], "big")
            at += count
        yield tag, data[at : at + size]
        at += size


def _version(view: CertView) -> str | None:
    fields = list(_tlvs(view.asn1["tbs_certificate"].contents))
    tags = {tag for tag, _ in fields}
    if fields[0][0] == 0xA0:
        raw = fields[0][1]
        value = int.from_bytes(raw[2:], "big", signed=True) if raw[:1] == b"\x02" else -1
        if value == 0:
            return "version 1 is encoded explicitly (DER omits a DEFAULT value, X.690 11.5)"
        if value not in (1, 2):
            return f"version field {raw.hex()} is not v1, v2 or v3"
    else:
        value = 0
    if 0xA3 in tags and value != 2:
        return f"a version {value + 1} certificate with extensions (extensions require version 3)"
    if tags & {0x81, 0x82} and value == 0:
        return "a version 1 certificate with a unique identifier (it requires version 2 or 3)"
    return None


_ECDSA_SIGNATURES: Final = frozenset({"1.2.840.10045.4.1", *(f"1.2.840.10045.4.3.{n}" for n in range(1, 5))})
_DSA_SIGNATURES: Final = frozenset({"1.2.840.10040.4.3", "2.16.840.1.101.3.4.3.1", "2.16.840.1.101.3.4.3.2"})
_EDDSA: Final = frozenset({"1.3.101.112", "1.3.101.113"})
_RSA_PKCS1_SIGNATURES: Final = frozenset(f"1.2.840.113549.1.1.{n}" for n in (2, 3, 4, 5, 11, 12, 13, 14))
_RSASSA_PSS: Final = "1.2.840.113549.1.1.10"
_NULL: Final = b"\x05\x00"


def _algorithm_parts(algorithm: Any) -> tuple[str, bytes | None]:
    """(OID, parameters DER or None when absent) of an AlgorithmIdentifier, read generically."""
    fields = list(_tlvs(algorithm.contents))
    oid = str(core.ObjectIdentifier.load(bytes([0x06, len(fields[0][1])]) + fields[0][1]).dotted)
    if len(fields) == 1:
        return oid, None
    rest = algorithm.contents[len(core.ObjectIdentifier(oid).dump()) :]
    return oid, bytes(rest)


def _signature_mismatch(view: CertView) -> str | None:
    inner = view.asn1["tbs_certificate"]["signature"].dump()
    outer = view.asn1["signature_algorithm"].dump()
    if inner == outer:
        return None
    return f"signatureAlgorithm ({outer.hex()}) differs from the to-be-signed signature field ({inner.hex()})"


def _signature_parameters(view: CertView) -> str | None:
    oid, params = _algorithm_parts(view.asn1["tbs_certificate"]["signature"])
    if oid in _ECDSA_SIGNATURES | _DSA_SIGNATURES | _EDDSA:
        if params is not None:
            return f"signature algorithm {oid} with parameters {params.hex()} (they must be absent)"
    elif oid in _RSA_PKCS1_SIGNATURES:
        if params not in (None, _NULL):  # RFC 4055 5: NULL, and absent MUST be accepted
            return f"signature algorithm {oid} with parameters {params.hex()} (they must be NULL)"
    elif oid == _RSASSA_PSS and params is None:
        return "RSASSA-PSS signature algorithm without RSASSA-PSS-params"
    return None


def _signature_value(view: CertView) -> str | None:
    unused = view.asn1["signature_value"].contents[:1]
    if unused in (b"\x00", b"") or unused[0] > 7:
        return None  # eight or more is no BIT STRING at all: path validation reports it malformed
    return f"the signatureValue BIT STRING has {unused[0]} unused bits (a signature is whole octets)"


_RSA_KEY: Final = "1.2.840.113549.1.1.1"
_DSA_KEY: Final = "1.2.840.10040.4.1"


def _public_key(view: CertView) -> str | None:
    spki = view.asn1.public_key
    if _key_oid(spki) not in _KEY_ALGORITHMS:
        return None  # _unknown_key reports it
    oid, params = _algorithm_parts(spki["algorithm"])
    unused = spki["public_key"].contents[:1]
    if unused != b"\x00":
        return f"the subjectPublicKey BIT STRING has {unused.hex() or 'no'} unused-bits octet (must be 00)"
    if oid == _RSA_KEY and params != _NULL:
        return "an rsaEncryption key whose parameters are not NULL (RFC 3279 2.3.1)"
    if oid in _EDDSA and params is not None:
        return "an EdDSA key with parameters (RFC 8410 3: they must be absent)"
    if oid == _DSA_KEY and params is None:
        return None  # parameters inherited from the issuer: nothing to decode on its own
    problem = _key_decodes(view)
    if problem is not None:
        return problem
    if oid in (_RSA_KEY, _RSASSA_PSS):
        numbers = spki["public_key"].parsed
        modulus, exponent = int(numbers["modulus"].native), int(numbers["public_exponent"].native)
        if exponent < 3 or exponent % 2 == 0 or exponent >= modulus:
            return f"an RSA key with public exponent {exponent} (RFC 8017 3.1: odd, 3 <= e < n)"
        if modulus % 2 == 0:
            return "an RSA key with an even modulus"
    return None


def _key_decodes(view: CertView) -> str | None:
    """What cryptography says when it cannot build the key (a point off the curve, a short Ed25519 key)."""
    from cryptography.exceptions import UnsupportedAlgorithm

    cx = view.cert._x509
    try:
        if cx is not None:
            cx.public_key()
        else:
            from cryptography.hazmat.primitives.serialization import load_der_public_key

            load_der_public_key(view.asn1.public_key.dump())
    except UnsupportedAlgorithm:
        return None  # a key this cryptography does not build is judged by the policy rules
    except ValueError as exc:
        return f"the public key does not decode ({exc})"
    return None


def _empty_san(view: CertView) -> str | None:
    found = view.find(_SAN)
    return "subjectAltName holds no name" if found is not None and len(found[1]) == 0 else None


def _rfc822_names(view: CertView) -> str | None:
    bad = [
        raw
        for kind, raw in _san_names(view)
        if kind == "rfc822_name" and (not raw or any(byte < 0x20 or byte > 0x7E for byte in raw))
    ]
    if not bad:
        return None
    shown = ", ".join(repr(raw.decode("ascii", "backslashreplace")) for raw in bad)
    return (
        f"subjectAltName rfc822Name that is not an RFC 5321 Mailbox (empty, or not printable ASCII): {shown}"
    )


# -- webpki --------------------------------------------------------------------------------------


def _webpki_eku(view: CertView) -> str | None:
    found = view.find(_EKU)
    if found is None:
        return "no extendedKeyUsage (a TLS server certificate needs serverAuth)"
    purposes = {purpose.dotted for purpose in found[1]}
    return (
        None
        if _SERVER_AUTH in purposes
        else "extendedKeyUsage lacks serverAuth (anyExtendedKeyUsage does not count)"
    )


#: Purposes CABF BR 7.1.2.7.10 forbids in a subscriber (server) certificate, with their names.
_FORBIDDEN_PURPOSES: Final = {
    _ANY_EKU: "anyExtendedKeyUsage",
    "1.3.6.1.5.5.7.3.3": "codeSigning",
    "1.3.6.1.5.5.7.3.4": "emailProtection",
    "1.3.6.1.5.5.7.3.8": "timeStamping",
    "1.3.6.1.5.5.7.3.9": "OCSPSigning",
    "1.3.6.1.4.1.11129.2.4.4": "Precertificate Signing Certificate",
}


def _webpki_forbidden_eku(view: CertView) -> str | None:
    found = view.find(_EKU)
    if found is None:
        return None  # webpki-server-auth reports the missing extension
    present = {purpose.dotted for purpose in found[1]}
    forbidden = [name for oid, name in _FORBIDDEN_PURPOSES.items() if oid in present]
    return (
        f"extendedKeyUsage holds {', '.join(forbidden)} (forbidden in a server certificate)"
        if forbidden
        else None
    )


def _webpki_critical_eku(view: CertView) -> str | None:
    return (
        "extendedKeyUsage is marked critical (a server certificate's must not be)"
        if view.critical(_EKU)
        else None
    )


def _webpki_root_eku(view: CertView) -> str | None:
    return "a root certificate with extendedKeyUsage" if view.has(_EKU) else None


def _webpki_leaf_ca(view: CertView) -> str | None:
    return "the server certificate is a CA (basicConstraints cA=TRUE)" if view.is_ca() else None


def _webpki_cn(view: CertView) -> str | None:
    values = []
    for rdn in view.asn1.subject.chosen:
        for attribute in rdn:
            if attribute["type"].native == "common_name":
                values.append(str(attribute["value"].native))
    if not values:
        return None
    allowed = set()
    for kind, raw in _san_names(view):
        if kind == "dns_name":
            allowed.add(raw.decode("ascii", "backslashreplace"))
        elif kind == "ip_address" and len(raw) in (4, 16):
            allowed.add(str(ipaddress.ip_address(raw)))
    missing = [value for value in values if value not in allowed]
    return (
        f"commonName {missing[0]!r} is not one of the subjectAltName values, byte for byte"
        if missing
        else None
    )


def _webpki_wildcard(view: CertView) -> str | None:
    from publicsuffixlist import PublicSuffixList  # type: ignore[import-not-found,unused-ignore]

    psl = _public_suffixes(PublicSuffixList)
    for kind, raw in _san_names(view):
        if kind != "dns_name" or b"*" not in raw:
            continue
        text = raw.decode("ascii", "backslashreplace").lower()
        labels = text.split(".")
        if labels[0] != "*" or "*" in ".".join(labels[1:]):
            return f"wildcard {text!r}: only a whole left-most label may be a wildcard"
        suffix = ".".join(labels[1:])
        if not suffix or psl.is_public(suffix):
            return f"wildcard {text!r} covers a public suffix ({suffix or 'the root'})"
    return None


_PSL: list[Any] = []


def _public_suffixes(factory: Callable[..., Any]) -> Any:
    if not _PSL:
        _PSL.append(factory(only_icann=True))
    return _PSL[0]


def _webpki_key(view: CertView) -> str | None:
    spki = view.asn1.public_key
    algorithm = spki.algorithm
    if algorithm == "rsa":
        bits = _exact_bits(spki)
        if bits < 2048 or bits % 8:
            return f"an RSA key of {bits} bits (the Baseline Requirements need 2048 or more, a multiple of 8)"
        return None
    if algorithm == "ec":
        params = spki["algorithm"]["parameters"]
        curve = str(params.chosen.native) if params.name == "named" else "explicit"
        return (
            None
            if curve in _WEBPKI_CURVES
            else f"an EC key on {curve} (the Baseline Requirements allow P-256, P-384, P-521)"
        )
    return f"a {algorithm} key (the Baseline Requirements allow RSA and ECDSA keys only)"


#: The AlgorithmIdentifier encodings CABF BR 7.1.3.2 allows, byte for byte (RSASSA-PKCS1-v1_5 with
#: NULL parameters, RSASSA-PSS with the three parameter sets, ECDSA without parameters).
_WEBPKI_SIGNATURES: Final = frozenset(
    bytes.fromhex(value)
    for value in (
        "300d06092a864886f70d01010b0500",
        "300d06092a864886f70d01010c0500",
        "300d06092a864886f70d01010d0500",
        "304106092a864886f70d01010a3034a00f300d06096086480165030402010500a11c301a06092a864886f70d0101"
        "08300d06096086480165030402010500a203020120",
        "304106092a864886f70d01010a3034a00f300d06096086480165030402020500a11c301a06092a864886f70d0101"
        "08300d06096086480165030402020500a203020130",
        "304106092a864886f70d01010a3034a00f300d06096086480165030402030500a11c301a06092a864886f70d0101"
        "08300d06096086480165030402030500a203020140",
        "300a06082a8648ce3d040302",
        "300a06082a8648ce3d040303",
        "300a06082a8648ce3d040304",
    )
)


def _webpki_signature(view: CertView) -> str | None:
    encoded = view.asn1["tbs_certificate"]["signature"].dump()
    if encoded in _WEBPKI_SIGNATURES:
        return None
    return f"signature AlgorithmIdentifier {encoded.hex()} is not one the Baseline Requirements allow"


def _webpki_root_aki(view: CertView) -> str | None:
    found = view.find(_AKI)
    if found is None:
        return None
    value = found[1]
    if (
        value["authority_cert_issuer"].native is not None
        or value["authority_cert_serial_number"].native is not None
    ):
        return "the root's authorityKeyIdentifier holds more than keyIdentifier"
    return None


def _webpki_root_key_id(view: CertView) -> str | None:
    if not view.self_issued():
        return None  # an anchor that is not a root (a trusted intermediate) names its issuer's key
    found = view.find(_AKI)
    if found is None:
        return None  # a root's AKI is optional (CABF BR 7.1.2.1.2)
    key_id = found[1]["key_identifier"].native
    if key_id is None:
        return "the root's authorityKeyIdentifier has no keyIdentifier"
    ski = view.find(_SKI)
    if ski is None or ski[1].native != key_id:
        return "the root's authorityKeyIdentifier keyIdentifier differs from its subjectKeyIdentifier"
    return None


#: The rules of both profiles, in the order they are checked.  ``"webpki"`` adds its rules to RFC 5280's.
RULES: Final[tuple[Rule, ...]] = (
    Rule(
        "malformed-extension",
        "RFC 5280 4.2",
        "any",
        "rfc5280",
        _malformed_extension,
        "every extension decodes",
    ),
    Rule(
        "invalid-serial-number",
        "RFC 5280 4.1.2.2",
        "issued",
        "rfc5280",
        _serial,
        "positive, at most 20 octets",
    ),
    Rule("duplicate-extension", "RFC 5280 4.2", "any", "rfc5280", _duplicates, "each extension at most once"),
    Rule(
        "invalid-version",
        "RFC 5280 4.1.2.1",
        "any",
        "rfc5280",
        _version,
        "v3 when there are extensions, v1 never encoded explicitly, no undefined version",
    ),
    Rule(
        "signature-algorithm-mismatch",
        "RFC 5280 4.1.1.2",
        "any",
        "rfc5280",
        _signature_mismatch,
        "signatureAlgorithm equals the to-be-signed signature field",
    ),
    Rule(
        "invalid-signature-value",
        "RFC 5280 4.1.1.3",
        "issued",
        "rfc5280",
        _signature_value,
        "the signatureValue BIT STRING has no unused bits",
    ),
    Rule(
        "invalid-signature-algorithm",
        "RFC 5280 4.1.1.2, RFC 5758 3.2, RFC 8410 3, RFC 4055 5",
        "issued",
        "rfc5280",
        _signature_parameters,
        "algorithm parameters as its RFC says (absent: ECDSA, DSA, EdDSA; NULL or absent: RSA)",
    ),
    Rule(
        "invalid-time-encoding",
        "RFC 5280 4.1.2.5",
        "issued",
        "rfc5280",
        _times,
        "UTCTime/GeneralizedTime form",
    ),
    Rule(
        "missing-authority-key-id",
        "RFC 5280 4.2.1.1",
        "issued",
        "rfc5280",
        _missing_aki,
        "AKI in every certificate that is not self-signed",
    ),
    Rule(
        "missing-subject-key-id",
        "RFC 5280 4.2.1.2",
        "issued",
        "rfc5280",
        _missing_ski,
        "SKI in every CA certificate",
    ),
    Rule(
        "critical-authority-key-id",
        "RFC 5280 4.2.1.1",
        "any",
        "rfc5280",
        _critical(_AKI, "authorityKeyIdentifier"),
        "AKI MUST NOT be critical",
    ),
    Rule(
        "critical-subject-key-id",
        "RFC 5280 4.2.1.2",
        "any",
        "rfc5280",
        _critical(_SKI, "subjectKeyIdentifier"),
        "SKI MUST NOT be critical",
    ),
    Rule(
        "critical-authority-info-access",
        "RFC 5280 4.2.2.1",
        "any",
        "rfc5280",
        _critical(_AIA, "authorityInfoAccess"),
        "AIA MUST NOT be critical",
    ),
    Rule(
        "basic-constraints-not-critical",
        "RFC 5280 4.2.1.9",
        "ca",
        "rfc5280",
        _ca_basic_constraints_critical,
        "basicConstraints critical in CA certificates",
    ),
    Rule(
        "not-a-ca",
        "RFC 5280 4.2.1.9, 6.1.4 (k)",
        "anchor",
        "rfc5280",
        _anchor_not_ca,
        "an issuing anchor is a CA",
    ),
    Rule(
        "key-usage",
        "RFC 5280 4.2.1.3, 6.1.4 (n)",
        "anchor",
        "rfc5280",
        _anchor_key_usage,
        "an issuing anchor may sign certificates",
    ),
    Rule(
        "critical-extension",
        "RFC 5280 6.1.4 (o), RFC 5937",
        "anchor",
        "rfc5280",
        _anchor_critical,
        "no unsupported critical extension in the anchor",
    ),
    Rule(
        "key-cert-sign-without-ca",
        "RFC 5280 4.2.1.3",
        "any",
        "rfc5280",
        _cert_sign_without_ca,
        "keyCertSign only with cA=TRUE",
    ),
    Rule("ca-empty-subject", "RFC 5280 4.1.2.6", "ca", "rfc5280", _ca_empty_subject, "CAs have a subject"),
    Rule(
        "subject-alt-name-not-critical",
        "RFC 5280 4.1.2.6, 4.2.1.6",
        "issued",
        "rfc5280",
        _empty_subject_san,
        "an empty subject needs a critical SAN",
    ),
    Rule("empty-key-usage", "RFC 5280 4.2.1.3", "any", "rfc5280", _empty_ku, "keyUsage asserts a bit"),
    Rule(
        "empty-extended-key-usage", "RFC 5280 4.2.1.12", "any", "rfc5280", _empty_eku, "EKU holds a purpose"
    ),
    Rule(
        "empty-subject-alt-name",
        "RFC 5280 4.2.1.6",
        "issued",
        "rfc5280",
        _empty_san,
        "subjectAltName holds a name",
    ),
    Rule(
        "invalid-rfc822-name",
        "RFC 5280 4.2.1.6",
        "issued",
        "rfc5280",
        _rfc822_names,
        "rfc822Name SANs are non-empty printable ASCII (an RFC 5321 Mailbox has no other octets)",
    ),
    Rule(
        "name-constraints-not-critical",
        "RFC 5280 4.2.1.10",
        "any",
        "rfc5280",
        _not_critical(_NC, "nameConstraints"),
        "nameConstraints critical (not in webpki: CABF BR 7.1.2.5.2 allows it non-critical)",
        dropped_by="webpki",
    ),
    Rule(
        "policy-constraints-not-critical",
        "RFC 5280 4.2.1.11",
        "any",
        "rfc5280",
        _not_critical(_PC, "policyConstraints"),
        "policyConstraints critical",
    ),
    Rule(
        "name-constraints-in-end-entity",
        "RFC 5280 4.2.1.10",
        "any",
        "rfc5280",
        _nc_in_leaf,
        "nameConstraints only in CA certificates",
    ),
    Rule(
        "malformed-name-constraints",
        "RFC 5280 4.2.1.10",
        "any",
        "rfc5280",
        _nc_values,
        "well-formed subtrees",
    ),
    Rule(
        "invalid-dns-name",
        "RFC 5280 4.2.1.6",
        "issued",
        "rfc5280",
        _dns_names,
        "DNS SANs in preferred syntax",
    ),
    Rule(
        "unsupported-algorithm",
        "RFC 5280 4.1.2.7",
        "any",
        "rfc5280",
        _unknown_key,
        "every key is of an algorithm known here (RSA, DSA, EC, Ed25519, Ed448)",
    ),
    Rule(
        "invalid-public-key",
        "RFC 5280 4.1.2.7, RFC 3279 2.3, RFC 5480 2.2, RFC 8410 3, RFC 8017 3.1",
        "any",
        "rfc5280",
        _public_key,
        "the key decodes: whole octets, its parameters, EC point on the curve, RSA e odd >= 3",
    ),
    Rule(
        "weak-key",
        "caiso-pki AlgorithmPolicy",
        "any",
        "rfc5280",
        _key,
        "every key meets the algorithm policy",
    ),
    Rule(
        "explicit-curve-parameters",
        "RFC 5480 2.1.1",
        "any",
        "rfc5280",
        _explicit_curve,
        "EC keys name their curve",
    ),
    Rule(
        "webpki-server-auth",
        "CABF BR 7.1.2.7.10",
        "leaf",
        "webpki",
        _webpki_eku,
        "the leaf's EKU includes serverAuth",
    ),
    Rule(
        "webpki-forbidden-eku",
        "CABF BR 7.1.2.7.10",
        "leaf",
        "webpki",
        _webpki_forbidden_eku,
        "the leaf's EKU holds no purpose the BRs forbid (anyExtendedKeyUsage, codeSigning ...)",
    ),
    Rule(
        "webpki-critical-eku",
        "CABF BR 7.1.2.7.6",
        "leaf",
        "webpki",
        _webpki_critical_eku,
        "the leaf's EKU is not critical",
    ),
    Rule("webpki-root-eku", "CABF BR 7.1.2.1.2", "anchor", "webpki", _webpki_root_eku, "roots carry no EKU"),
    Rule("webpki-leaf-is-ca", "CABF BR 7.1.2.7.8", "leaf", "webpki", _webpki_leaf_ca, "the leaf is not a CA"),
    Rule(
        "webpki-cn-not-in-san",
        "CABF BR 7.1.4.3",
        "leaf",
        "webpki",
        _webpki_cn,
        "a commonName repeats a SAN value exactly",
    ),
    Rule(
        "webpki-wildcard",
        "CABF BR 3.2.2.6, 7.1.2.7.12",
        "leaf",
        "webpki",
        _webpki_wildcard,
        "a wildcard covers one label, never a public suffix",
    ),
    Rule(
        "webpki-key",
        "CABF BR 6.1.5, 6.1.1.3",
        "any",
        "webpki",
        _webpki_key,
        "key sizes and curves of the BRs",
    ),
    Rule(
        "webpki-signature-algorithm",
        "CABF BR 7.1.3.2",
        "issued",
        "webpki",
        _webpki_signature,
        "the signature AlgorithmIdentifier is one of the BRs' encodings, byte for byte",
    ),
    Rule(
        "webpki-root-aki",
        "CABF BR 7.1.2.1.3",
        "anchor",
        "webpki",
        _webpki_root_aki,
        "a root's AKI holds keyIdentifier only",
    ),
    Rule(
        "webpki-root-aki-key-id",
        "CABF BR 7.1.2.1.3",
        "anchor",
        "webpki",
        _webpki_root_key_id,
        "a root's AKI, when present, holds keyIdentifier equal to its SKI",
    ),
)


#: Rule codes a caller may waive (``Validator(waive=...)``): the structural rules of their own, not
#: the codes they share with RFC 5280 path validation (``not-a-ca``, ``key-usage``, ``critical-extension``).
WAIVABLE: Final = frozenset(rule.code for rule in RULES) - {
    "not-a-ca",
    "key-usage",
    "critical-extension",
    "unsupported-algorithm",
}


def check_path(
    path: Sequence[Certificate],
    *,
    anchored: bool,
    profile: Literal["rfc5280", "webpki"],
    algorithms: AlgorithmPolicy,
    waive: frozenset[str] = frozenset(),
    only: Sequence[int] | None = None,
) -> list[ValidationFailure]:
    """Every rule of ``profile`` on every certificate of ``path`` (anchor first), as failures.

    ``anchored`` says whether ``path[0]`` is a trust anchor; rules whose code is in ``waive`` are
    skipped; ``only`` limits the check to those indices.  A rule that cannot run on a certificate (its
    extension does not decode) is skipped: ``malformed-extension`` reports the extension instead.
    """
    failures: list[ValidationFailure] = []
    last = len(path) - 1
    for index, cert in enumerate(path):
        if only is not None and index not in only:
            continue
        role = (anchored and index == 0, index == last, index < last)
        for code, problem in _verdicts(cert, role, algorithms, profile, waive):
            failures.append(ValidationFailure(code, problem, index, _subject(cert)))
    return failures


@functools.lru_cache(maxsize=4096)
def _verdicts(
    cert: Certificate,
    role: tuple[bool, bool, bool],
    algorithms: AlgorithmPolicy,
    profile: str,
    waive: frozenset[str],
) -> tuple[tuple[str, str], ...]:
    """(code, problem) of every rule ``cert`` breaks in ``role`` (anchor, leaf, issuer).

    A pure function of its arguments (certificates compare by DER), so verdicts are remembered: a
    service that sees the same anchors and intermediates again pays for them once.
    """
    is_anchor, is_leaf, issues = role
    try:
        view = CertView(cert, is_anchor, is_leaf, issues, algorithms)
    except Exception as exc:  # asn1crypto cannot even list the extensions
        return (("malformed-extension", f"cannot read the extensions: {exc}"),)
    found: list[tuple[str, str]] = []
    for rule in RULES:
        if (
            (rule.profile == "webpki" and profile != "webpki")
            or rule.dropped_by == profile
            or rule.code in waive
        ):
            continue
        try:
            if not rule.applies(view):
                continue
            problem = rule.check(view)
        except _Undecodable:
            continue
        except Exception as exc:  # fail closed: a rule that cannot decide is a failure
            problem = f"could not be checked ({type(exc).__name__}: {exc})"
        if problem:
            found.append((rule.code, problem))
    if not found and "malformed-extension" not in waive:
        try:
            problem = _cryptography_problem(view)
        except Exception as exc:  # fail closed
            problem = f"could not be checked ({type(exc).__name__}: {exc})"
        if problem:
            found.append(("malformed-extension", problem))
    return tuple(found)


def _subject(cert: Certificate) -> str | None:
    try:
        return cert.subject.rfc4514
    except Exception:  # a name that cannot be rendered must not hide the failure
        return None


def _name(oid: str) -> str:
    from caiso_pki.oids import oid_name

    return oid_name(oid)
