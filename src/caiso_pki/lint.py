"""The CPS linter: check certificates, CSRs and chains against a CPS profile, with citations.

Each problem is a :class:`Finding` with a stable ``code`` (``"CPS-KEY-SIZE"``), a :class:`Severity`, a
message that says what is wrong and what was expected, and the citation (document and section) of the
rule it breaks.  The rules come from a :class:`~caiso_pki.profiles.cps.CpsProfile` (see
``docs/cps-profiles.md``); :data:`~caiso_pki.profiles.cps.RULE_CODES` lists every code.

>>> from caiso_pki import testing
>>> pki = testing.DemoPki.create()
>>> rig = pki.issuing_ca.issue("rig", "rig-0001.example.com")
>>> lint_certificate(rig.certificate, "caiso-demo")
FindingList([])

:func:`check_chain` runs RFC 5280 path validation with the profile's policy requirement (explicit
policy, the kind's acceptable policy OIDs) and lints the validated path: both answers in one
:class:`ChainCheck`.

A path runs **anchor first** everywhere in caiso-pki, the order of RFC 5280 6.1: the root (or the
top certificate), its intermediates, the leaf last.  :func:`lint_chain` takes a path that way, exactly
as :attr:`ValidationResult.path <caiso_pki.validation.ValidationResult.path>` returns one, and a
finding's ``certificate_index`` counts in that path as a failure's ``index`` does.  A chain as a file
or a TLS server sends it runs leaf first: reverse it (``chain[::-1]``) to make it a path.
"""

from __future__ import annotations

import datetime as dt
import enum
import os
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Final, SupportsIndex, overload

import attrs

from caiso_pki import oids
from caiso_pki._key_usage import names_from_cryptography
from caiso_pki.certificate import Certificate, UnsupportedCertificateError
from caiso_pki.errors import MalformedInputError, ProfileError
from caiso_pki.general_names import SubjectAltNames
from caiso_pki.name import DistinguishedName
from caiso_pki.oids import ANY_POLICY, oid_name
from caiso_pki.profiles.cps import KINDS, Citation, CpsProfile, Rule, load_cps_profile

if TYPE_CHECKING:
    from typing import Unpack

    from cryptography import x509
    from rich.console import RenderableType

    from caiso_pki.types import CertificateInput, CertificatesInput, CsrInput, JsonDict, TrustInput
    from caiso_pki.validation import ValidationResult
    from caiso_pki.validation.validator import UsageAndRevocationOptions

__all__ = [
    "CODE_DESCRIPTIONS",
    "ChainCheck",
    "Finding",
    "FindingList",
    "Severity",
    "check_chain",
    "cps_kind",
    "lint_certificate",
    "lint_chain",
    "lint_csr",
    "worst_severity",
]

ProfileInput = CpsProfile | str | os.PathLike[str]


class Severity(enum.StrEnum):
    """How bad a finding is, worst first: ``error``, ``warning``, ``notice``, ``info``."""

    ERROR = "error"
    WARNING = "warning"
    NOTICE = "notice"
    INFO = "info"

    @classmethod
    def _missing_(cls, value: object) -> Severity:
        raise MalformedInputError(
            f"severity {value!r}: use one of {', '.join(member.value for member in cls)}"
        )

    @property
    def rank(self) -> int:
        """3 for error down to 0 for info, for comparisons."""
        return _RANK[self.value]


_RANK: Final = {"error": 3, "warning": 2, "notice": 1, "info": 0}


@attrs.frozen
class Finding:
    """One way a certificate, CSR or chain departs from the CPS profile.

    ``field`` names the certificate part concerned (``"extensions.keyUsage"``, ``"subject"`` ...);
    ``certificate_index`` is the position in the linted chain (0 = leaf) or ``None`` for a single
    certificate; ``certificate_subject`` its subject (RFC 4514).
    """

    code: str
    severity: Severity
    message: str
    citation: Citation | None = None
    field: str | None = None
    certificate_index: int | None = None
    certificate_subject: str | None = None

    def __str__(self) -> str:
        where = f"[{self.certificate_index}] " if self.certificate_index is not None else ""
        cite = f" ({self.citation})" if self.citation else ""
        return f"{where}{self.severity.value}: {self.code}: {self.message}{cite}"

    def to_dict(self) -> JsonDict:
        """JSON-ready form."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "citation": self.citation.to_dict() if self.citation else None,
            "field": self.field,
            "certificate_index": self.certificate_index,
            "certificate_subject": self.certificate_subject,
        }

    def _repr_html_(self) -> str:
        from caiso_pki.display import findings_html

        return findings_html([self])

    def __rich__(self) -> RenderableType:
        from caiso_pki.display import findings_rich

        return findings_rich([self])


class FindingList(tuple[Finding, ...]):
    """What the linters return: a tuple of :class:`Finding` values, worst first within each certificate.

    :func:`lint_certificate`, :func:`lint_csr`, :func:`lint_chain` and :attr:`ChainCheck.findings`
    give one.  It is a tuple (compare it with ``()``, index it, unpack it; it equals a plain tuple of
    the same findings and pickles as its findings) that also renders itself as a table in Jupyter
    and in ``rich``.
    """

    __slots__ = ()

    def __new__(cls, iterable: Iterable[Finding] = ()) -> FindingList:
        """Hold ``iterable``, which must yield :class:`Finding` values (in the order given)."""
        from caiso_pki._convert import instances

        return super().__new__(cls, instances(iterable, Finding, "iterable", "Finding objects"))

    @overload
    def __getitem__(self, index: SupportsIndex) -> Finding: ...
    @overload
    def __getitem__(self, index: slice) -> FindingList: ...
    def __getitem__(self, index: SupportsIndex | slice) -> Finding | FindingList:
        if isinstance(index, slice):
            return FindingList(super().__getitem__(index))
        return super().__getitem__(index)

    def __repr__(self) -> str:
        return f"FindingList({list(self)!r})"

    def _repr_html_(self) -> str:
        from caiso_pki.display import findings_html

        return findings_html(self)

    def __rich__(self) -> RenderableType:
        from caiso_pki.display import findings_rich

        return findings_rich(self)


#: One-line description of every finding code (SARIF rule descriptions, ``docs/cps-profiles.md``).
CODE_DESCRIPTIONS: Final[dict[str, str]] = {
    "CPS-POLICY-UNCONFIGURED": "Policy OIDs or CPS URL are still 'user-supplied' in the profile",
    "CPS-POLICY-MISSING": "A policy OID the profile requires is not asserted in certificatePolicies",
    "CPS-POLICY-UNACCEPTABLE": "certificatePolicies asserts a policy OID the profile does not accept",
    "CPS-POLICY-QUALIFIER": "A policy lacks the CPS-pointer qualifier the profile requires",
    "CPS-SIG-ALG": "The signature algorithm is not allowed",
    "CPS-KEY-ALG": "The public key algorithm is not allowed",
    "CPS-KEY-SIZE": "The RSA key is shorter than the minimum",
    "CPS-KEY-CURVE": "The elliptic curve is not allowed",
    "CPS-VALIDITY-UNCONFIGURED": "The profile's maximum validity is 'user-supplied' and not yet configured",
    "CPS-VALIDITY-MAX": "The validity period is longer than the maximum",
    "CPS-EXT-MISSING": "A required extension is absent",
    "CPS-EXT-FORBIDDEN": "An extension not allowed in this kind of certificate is present",
    "CPS-EXT-CRITICALITY": "An extension has the wrong criticality",
    "CPS-KEY-USAGE": "keyUsage is absent, lacks a required bit or asserts a forbidden one",
    "CPS-EKU": "extendedKeyUsage lacks a required purpose or has one not allowed",
    "CPS-BASIC-CONSTRAINTS": "basicConstraints (cA flag, pathLenConstraint) does not fit the kind",
    "CPS-SUBJECT": "The subject name lacks required attributes or breaks a naming rule",
    "CPS-SAN": "subjectAltName is missing or has name types not allowed",
    "CPS-CRLDP": "No usable CRL distribution point",
    "CPS-AIA": "authorityInfoAccess lacks a required OCSP or caIssuers URL",
    "CPS-SERIAL": "The serial number is not positive, too long or too short to be random",
    "CPS-ISSUER-RETIRED": "Issued by a retired hierarchy (Cybertrust) and valid past its end of life",
    "CPS-CHAIN-POLICY-SUBSET": "A certificate asserts a policy its issuer does not assert",
    "CPS-CHAIN-VALIDITY-NESTING": "A certificate's validity does not nest inside its issuer's",
    "CPS-CHAIN-NAME": "A certificate's issuer name is not the next certificate's subject",
    "CPS-CSR-SIGNATURE": "The CSR's self-signature does not verify (no proof of possession)",
    "CPS-UNPARSEABLE": "The certificate cannot be fully parsed, so it was not linted",
    "CPS-MALFORMED": "A part of the certificate is malformed",
}


def worst_severity(findings: Iterable[Finding]) -> Severity | None:
    """The worst severity among ``findings`` (``None`` when there are none)."""
    from caiso_pki._convert import instances

    worst: Severity | None = None
    for finding in instances(findings, Finding, "findings", "Finding objects"):
        if worst is None or finding.severity.rank > worst.rank:
            worst = finding.severity
    return worst


# -- the thing being linted: a certificate or a CSR, seen the same way ------------------------------


@attrs.frozen
class _View:
    """What the rules look at, taken from a certificate or from a CSR's requested extensions."""

    subject: DistinguishedName
    key_algorithm: str
    key_size: int | None
    key_curve: str | None
    signature_oid: str
    extensions: dict[str, bool]
    key_usage: tuple[str, ...]
    extended_key_usage: tuple[str, ...]
    is_ca: bool
    path_length: int | None
    san: SubjectAltNames


def _certificate_view(cert: Certificate) -> _View:
    return _View(
        subject=cert.subject,
        key_algorithm=cert.key_algorithm,
        # asn1crypto cannot size Ed25519/Ed448 keys (certificate.key_size then fails), and they need none
        key_size=cert.key_size if cert.key_algorithm in ("RSA", "EC", "DSA") else None,
        key_curve=cert.key_curve,
        signature_oid=cert.signature_algorithm_oid,
        extensions=dict(cert.extension_oids),
        key_usage=cert.key_usage,
        extended_key_usage=cert.extended_key_usage,
        is_ca=cert.is_ca,
        path_length=cert.path_length,
        san=cert.subject_alt_names,
    )


def _csr_view(request: x509.CertificateSigningRequest) -> _View:
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    key = request.public_key()
    algorithm, size, curve = "unknown", None, None
    if isinstance(key, rsa.RSAPublicKey):
        algorithm, size = "RSA", key.key_size
    elif isinstance(key, ec.EllipticCurvePublicKey):
        algorithm, size, curve = "EC", key.curve.key_size, key.curve.name
    elif isinstance(key, dsa.DSAPublicKey):
        algorithm, size = "DSA", key.key_size
    elif isinstance(key, ed25519.Ed25519PublicKey):
        algorithm = "Ed25519"
    elif isinstance(key, ed448.Ed448PublicKey):
        algorithm = "Ed448"
    try:
        extensions = list(request.extensions)
    except ValueError as exc:
        raise MalformedInputError(
            f"CSR {request.subject.rfc4514_string()!r}: malformed extension: {exc}"
        ) from exc
    present = {ext.oid.dotted_string: ext.critical for ext in extensions}
    key_usage: tuple[str, ...] = ()
    eku: tuple[str, ...] = ()
    is_ca, path_length = False, None
    san = SubjectAltNames()
    for ext in extensions:
        value = ext.value
        if isinstance(value, cx509.KeyUsage):
            key_usage = names_from_cryptography(value)
        elif isinstance(value, cx509.ExtendedKeyUsage):
            eku = tuple(oid.dotted_string for oid in value)
        elif isinstance(value, cx509.BasicConstraints):
            is_ca, path_length = value.ca, value.path_length
        elif isinstance(value, cx509.SubjectAlternativeName):
            san = SubjectAltNames(
                dns=tuple(value.get_values_for_type(cx509.DNSName)),
                ip=tuple(str(ip) for ip in value.get_values_for_type(cx509.IPAddress)),
                uri=tuple(value.get_values_for_type(cx509.UniformResourceIdentifier)),
                email=tuple(value.get_values_for_type(cx509.RFC822Name)),
            )
    return _View(
        subject=DistinguishedName.from_cryptography(request.subject),
        key_algorithm=algorithm,
        key_size=size,
        key_curve=curve,
        signature_oid=request.signature_algorithm_oid.dotted_string,
        extensions=present,
        key_usage=key_usage,
        extended_key_usage=eku,
        is_ca=is_ca,
        path_length=path_length,
        san=san,
    )


# -- kind detection ----------------------------------------------------------------------------------

_LABEL: Final = re.compile(r"[a-z0-9]+")


def _labels(view: _View) -> set[str]:
    texts = [*view.subject.get("CN"), *view.subject.get("OU"), *view.san.dns]
    return {token for text in texts for token in _LABEL.findall(text.lower())}


def _detect(view: _View, *, self_issued: bool) -> str:
    if view.is_ca:
        return "root-ca" if self_issued else "issuing-ca"
    ekus = set(view.extended_key_usage)
    if oids.OCSP_SIGNING in ekus:
        return "ocsp-responder"
    labels = _labels(view)
    for device in ("rig", "dpg", "iccp"):
        if device in labels:
            return device
    if ekus & {oids.EMAIL_PROTECTION, oids.SMARTCARD_LOGON}:
        return "end-user-client"
    if oids.SERVER_AUTH in ekus:
        return "rig"
    return "api-client"


def cps_kind(cert: Certificate) -> str:
    """Guess the CPS kind of ``cert``.

    CA certificates are ``root-ca`` (self-issued) or ``issuing-ca``; an OCSPSigning EKU makes an
    ``ocsp-responder``; a ``rig``/``dpg``/``iccp`` label in the CN, an OU or a DNS name picks that device
    kind; emailProtection or smartcardLogon make an ``end-user-client``; serverAuth (with clientAuth)
    a device (``rig``); anything else (clientAuth only, or no EKU) an ``api-client``.  Pass ``kind``
    explicitly whenever you know it.
    """
    certificate = _as_certificate(cert)
    return _detect(_certificate_view(certificate), self_issued=certificate.is_self_issued)


# -- rules -------------------------------------------------------------------------------------------


class _Sink:
    """Collects findings for one certificate (or CSR) with its index and subject."""

    def __init__(self, index: int | None, subject: str | None) -> None:
        self.index = index
        self.subject = subject
        self.findings: list[Finding] = []

    def add(
        self, code: str, rule: Rule | None, message: str, field: str, severity: str | None = None
    ) -> None:
        level = Severity(severity or (rule.severity if rule else "error"))
        if rule is not None and rule.note and severity == "notice":
            message = f"{message} ({rule.note})"
        self.findings.append(
            Finding(
                code=code,
                severity=level,
                message=message,
                citation=rule.citation if rule else None,
                field=field,
                certificate_index=self.index,
                certificate_subject=self.subject,
            )
        )


def _names(oids: Iterable[str]) -> str:
    return ", ".join(oid_name(oid) for oid in oids)


def _check_policy(rule: Rule, cert: Certificate, sink: _Sink) -> None:
    unset = [key for key in ("required", "acceptable", "cps_uri") if rule.unconfigured(key)]
    if unset:
        sink.add(
            "CPS-POLICY-UNCONFIGURED",
            rule,
            f"the profile leaves policy {', '.join(unset)} as 'user-supplied'; policy rules are not checked "
            "until an override file sets them",
            "extensions.certificatePolicies",
            severity="notice",
        )
    asserted = cert.policy_oids
    required = rule.strings("required")
    if required:
        missing = [oid for oid in required if oid not in asserted]
        if missing:
            sink.add(
                "CPS-POLICY-MISSING",
                rule,
                f"certificatePolicies lacks required policy {_names(missing)} ({', '.join(missing)})",
                "extensions.certificatePolicies",
            )
    acceptable = rule.strings("acceptable")
    if acceptable and ANY_POLICY not in acceptable:
        extra = [oid for oid in asserted if oid not in acceptable]
        if extra:
            sink.add(
                "CPS-POLICY-UNACCEPTABLE",
                rule,
                f"asserts policy {', '.join(extra)} that the profile does not accept "
                f"(acceptable: {', '.join(acceptable)})",
                "extensions.certificatePolicies",
            )
    cps_uri = rule.text("cps_uri")
    if cps_uri:
        targets = [policy for policy in cert.policies if policy.oid != ANY_POLICY]
        lacking = [policy.oid for policy in targets if cps_uri not in policy.cps_uris]
        if lacking:
            sink.add(
                "CPS-POLICY-QUALIFIER",
                rule,
                f"policy {', '.join(lacking)} lacks the CPS-pointer qualifier {cps_uri}",
                "extensions.certificatePolicies",
            )


def _check_signature(rule: Rule, view: _View, sink: _Sink) -> None:
    allowed = rule.strings("algorithms")
    if allowed and view.signature_oid not in allowed:
        sink.add(
            "CPS-SIG-ALG",
            rule,
            f"signature algorithm {oid_name(view.signature_oid)} is not allowed (allowed: {_names(allowed)})",
            "signatureAlgorithm",
        )


def _check_key(rule: Rule, view: _View, sink: _Sink) -> None:
    algorithms = rule.strings("algorithms")
    if algorithms and view.key_algorithm not in algorithms:
        sink.add(
            "CPS-KEY-ALG",
            rule,
            f"{view.key_algorithm} keys are not allowed (allowed: {', '.join(algorithms)})",
            "subjectPublicKeyInfo.algorithm",
        )
        return
    minimum = rule.integer("min_rsa_bits")
    if view.key_algorithm == "RSA" and minimum is not None and (view.key_size or 0) < minimum:
        sink.add(
            "CPS-KEY-SIZE",
            rule,
            f"RSA key of {view.key_size} bits is below the minimum of {minimum}",
            "subjectPublicKeyInfo",
        )
    curves = rule.strings("curves")
    if view.key_algorithm == "EC" and curves and (view.key_curve or "").lower() not in curves:
        sink.add(
            "CPS-KEY-CURVE",
            rule,
            f"EC curve {view.key_curve} is not allowed (allowed: {', '.join(curves)})",
            "subjectPublicKeyInfo.curve",
        )


def _check_validity(rule: Rule, cert: Certificate, sink: _Sink) -> None:
    if rule.unconfigured("max_days"):
        sink.add(
            "CPS-VALIDITY-UNCONFIGURED",
            rule,
            "the profile leaves the maximum validity as 'user-supplied'; the validity period is not checked",
            "validity",
            severity="notice",
        )
        return
    limit = rule.integer("max_days")
    if limit is None:
        return
    period = cert.not_after - cert.not_before
    if period > dt.timedelta(days=limit):
        sink.add(
            "CPS-VALIDITY-MAX",
            rule,
            f"validity of {period.days} days exceeds the maximum of {limit} days",
            "validity",
        )


def _check_extensions(rule: Rule, view: _View, sink: _Sink) -> None:
    present = view.extensions
    missing = [oid for oid in rule.strings("required") or () if oid not in present]
    if missing:
        sink.add("CPS-EXT-MISSING", rule, f"required extension {_names(missing)} is absent", "extensions")
    forbidden = [oid for oid in rule.strings("forbidden") or () if oid in present]
    if forbidden:
        sink.add(
            "CPS-EXT-FORBIDDEN",
            rule,
            f"extension {_names(forbidden)} is not allowed in this kind of certificate",
            "extensions",
        )
    should_be_critical = [oid for oid in rule.strings("critical") or () if present.get(oid) is False]
    should_not = [oid for oid in rule.strings("non_critical") or () if present.get(oid) is True]
    if should_be_critical or should_not:
        parts = []
        if should_be_critical:
            parts.append(f"{_names(should_be_critical)} must be critical")
        if should_not:
            parts.append(f"{_names(should_not)} must not be critical")
        sink.add("CPS-EXT-CRITICALITY", rule, "; ".join(parts), "extensions")


def _check_key_usage(rule: Rule, view: _View, sink: _Sink, *, csr: bool) -> None:
    required = rule.strings("required") or ()
    if oids.KEY_USAGE not in view.extensions:
        if required and not csr:
            sink.add(
                "CPS-KEY-USAGE",
                rule,
                f"keyUsage is absent (needs {', '.join(required)})",
                "extensions.keyUsage",
            )
        return
    missing = [bit for bit in required if bit not in view.key_usage]
    extra = [bit for bit in rule.strings("forbidden") or () if bit in view.key_usage]
    parts = []
    if missing:
        parts.append(f"lacks {', '.join(missing)}")
    if extra:
        parts.append(f"asserts forbidden {', '.join(extra)}")
    if parts:
        sink.add("CPS-KEY-USAGE", rule, f"keyUsage {' and '.join(parts)}", "extensions.keyUsage")


def _check_eku(rule: Rule, view: _View, sink: _Sink, *, csr: bool) -> None:
    ekus = view.extended_key_usage
    if csr and oids.EXTENDED_KEY_USAGE not in view.extensions:
        return
    parts = []
    missing = [oid for oid in rule.strings("required") or () if oid not in ekus]
    if missing:
        parts.append(f"lacks {_names(missing)}")
    allowed = rule.strings("allowed")
    if allowed is not None:
        extra = [oid for oid in ekus if oid not in allowed]
        if extra:
            parts.append(f"has {_names(extra)}, outside the allowed {_names(allowed)}")
    forbidden = [oid for oid in rule.strings("forbidden") or () if oid in ekus]
    if forbidden:
        parts.append(f"has forbidden {_names(forbidden)}")
    if parts:
        sink.add("CPS-EKU", rule, f"extendedKeyUsage {'; '.join(parts)}", "extensions.extendedKeyUsage")


def _check_basic_constraints(rule: Rule, view: _View, sink: _Sink, *, csr: bool) -> None:
    parts = []
    want_ca = rule.params.get("ca")
    if want_ca is True and not view.is_ca:
        parts.append("a CA certificate needs basicConstraints cA=TRUE")
    elif want_ca is False and view.is_ca:
        parts.append("an end-entity certificate must not assert cA=TRUE")
    if view.is_ca and not csr:
        if rule.flag("require_path_length") and view.path_length is None:
            parts.append("pathLenConstraint is absent")
        limit = rule.integer("max_path_length")
        if limit is not None and view.path_length is not None and view.path_length > limit:
            parts.append(f"pathLenConstraint {view.path_length} exceeds {limit}")
    if parts:
        sink.add("CPS-BASIC-CONSTRAINTS", rule, "; ".join(parts), "extensions.basicConstraints")


def _check_subject(rule: Rule, view: _View, sink: _Sink) -> None:
    parts = []
    missing = [attr for attr in rule.strings("required_attributes") or () if not view.subject.get(attr)]
    if missing:
        parts.append(f"lacks {', '.join(missing)}")
    countries = rule.strings("countries")
    if countries:
        bad = [c for c in view.subject.get("C") if c not in countries]
        if bad:
            parts.append(f"country {', '.join(bad)} is not one of {', '.join(countries)}")
    if rule.flag("common_name_in_san") and (view.san.dns or view.san.ip):
        names = {name.lower() for name in (*view.san.dns, *view.san.ip)}
        absent = [cn for cn in view.subject.get("CN") if cn.lower() not in names]
        if absent:
            parts.append(f"CN {', '.join(absent)} is not among the subjectAltName entries")
    if parts:
        sink.add("CPS-SUBJECT", rule, f"subject {view.subject.rfc4514!r} {'; '.join(parts)}", "subject")


def _check_san(rule: Rule, view: _View, sink: _Sink) -> None:
    types = rule.strings("types") or ("dns", "ip", "uri", "email")
    present = {
        kind: getattr(view.san, kind) for kind in ("dns", "ip", "uri", "email") if getattr(view.san, kind)
    }
    if rule.flag("required") and not any(kind in present for kind in types):
        sink.add(
            "CPS-SAN",
            rule,
            f"subjectAltName with a {' or '.join(types)} name is required",
            "extensions.subjectAltName",
        )
        return
    other = [kind for kind in present if kind not in types]
    if other or view.san.other or view.san.directory:
        shown = other + (["other"] if view.san.other else []) + (["directory"] if view.san.directory else [])
        sink.add(
            "CPS-SAN",
            rule,
            f"subjectAltName has {', '.join(shown)} names; allowed types: {', '.join(types)}",
            "extensions.subjectAltName",
        )


def _scheme(url: str) -> str:
    return url.split(":", 1)[0].lower() if ":" in url else ""


def _check_crldp(rule: Rule, cert: Certificate, sink: _Sink) -> None:
    urls = cert.crl_distribution_points
    if rule.flag("required") and not urls:
        sink.add("CPS-CRLDP", rule, "no CRL distribution point URL", "extensions.cRLDistributionPoints")
        return
    schemes = rule.strings("schemes")
    bad = [url for url in urls if schemes and _scheme(url) not in schemes]
    if bad:
        sink.add(
            "CPS-CRLDP",
            rule,
            f"CRL distribution point {', '.join(bad)} does not use {' or '.join(schemes or ())}",
            "extensions.cRLDistributionPoints",
        )


def _check_aia(rule: Rule, cert: Certificate, sink: _Sink) -> None:
    parts = []
    if rule.flag("ocsp_required") and not cert.ocsp_urls:
        parts.append("no OCSP responder URL")
    if rule.flag("ca_issuers_required") and not cert.ca_issuers_urls:
        parts.append("no caIssuers URL")
    schemes = rule.strings("schemes")
    bad = [url for url in (*cert.ocsp_urls, *cert.ca_issuers_urls) if schemes and _scheme(url) not in schemes]
    if bad:
        parts.append(f"{', '.join(bad)} does not use {' or '.join(schemes or ())}")
    if parts:
        sink.add(
            "CPS-AIA", rule, f"authorityInfoAccess: {'; '.join(parts)}", "extensions.authorityInfoAccess"
        )


def _check_serial(rule: Rule, cert: Certificate, sink: _Sink) -> None:
    serial = cert.serial_number
    parts = []
    if serial <= 0:
        parts.append("is not a positive integer")
    octets = serial.bit_length() // 8 + 1 if serial > 0 else 0
    max_octets = rule.integer("max_octets")
    if max_octets is not None and octets > max_octets:
        parts.append(f"takes {octets} octets, more than {max_octets}")
    min_bits = rule.integer("min_bits")
    if min_bits is not None and serial > 0 and serial.bit_length() < min_bits:
        parts.append(
            f"has {serial.bit_length()} bits, fewer than the {min_bits} bits of random output expected"
        )
    if parts:
        sink.add("CPS-SERIAL", rule, f"serial number {cert.serial_hex} {'; '.join(parts)}", "serialNumber")


def _check_issuer(rule: Rule, cert: Certificate, sink: _Sink) -> None:
    issuer = cert.issuer.rfc4514
    since = rule.date("retired_since")
    for pattern in rule.strings("retired") or ():
        if pattern.lower() in issuer.lower() and (since is None or cert.not_after > since):
            when = f" on {since.date().isoformat()}" if since else ""
            sink.add(
                "CPS-ISSUER-RETIRED",
                rule,
                f"issued by {issuer!r}, a hierarchy retired{when}, yet valid until "
                f"{cert.not_after.date().isoformat()}; replace it with a certificate from a current CA",
                "issuer",
            )
            return


def _resolve_profile(profile: ProfileInput) -> CpsProfile:
    return load_cps_profile(profile)


def _resolve_kind(profile: CpsProfile, kind: str | None, detected: str) -> str:
    chosen = kind or detected
    if chosen == "ui-client":  # the test PKI's name for the same thing
        chosen = "end-user-client"
    if chosen not in KINDS:
        raise ProfileError(f"unknown certificate kind {chosen!r}; use one of {', '.join(KINDS)}")
    profile.kind(chosen)
    return chosen


def _as_certificate(cert: CertificateInput, what: str = "cert") -> Certificate:
    if isinstance(cert, Certificate):
        return cert
    from cryptography import x509 as cx509

    if isinstance(cert, cx509.Certificate):
        return Certificate.from_cryptography(cert)
    from caiso_pki.types import CertificateHolder

    if isinstance(cert, CertificateHolder):
        return cert.certificate
    from caiso_pki.certificate import load_certificate

    if not isinstance(cert, (bytes, bytearray, memoryview, str, os.PathLike)):
        raise MalformedInputError(
            f"{what}: expected a Certificate, DER or PEM bytes, PEM text or a path, got "
            f"{type(cert).__name__ if cert is not None else 'None'}"
        )
    return load_certificate(cert)


def _lint_certificate(
    cert: Certificate, profile: CpsProfile, kind: str | None, index: int | None
) -> list[Finding]:
    sink = _Sink(index, cert.subject.rfc4514)
    try:
        view = _certificate_view(cert)
        chosen = _resolve_kind(profile, kind, _detect(view, self_issued=cert.is_self_issued))
        rules = profile.kind(chosen).rules
        checks = {
            "policy": lambda r: _check_policy(r, cert, sink),
            "signature": lambda r: _check_signature(r, view, sink),
            "key": lambda r: _check_key(r, view, sink),
            "validity": lambda r: _check_validity(r, cert, sink),
            "extensions": lambda r: _check_extensions(r, view, sink),
            "key_usage": lambda r: _check_key_usage(r, view, sink, csr=False),
            "extended_key_usage": lambda r: _check_eku(r, view, sink, csr=False),
            "basic_constraints": lambda r: _check_basic_constraints(r, view, sink, csr=False),
            "subject": lambda r: _check_subject(r, view, sink),
            "subject_alt_name": lambda r: _check_san(r, view, sink),
            "crl_distribution_points": lambda r: _check_crldp(r, cert, sink),
            "authority_info_access": lambda r: _check_aia(r, cert, sink),
            "serial": lambda r: _check_serial(r, cert, sink),
            "issuer": lambda r: _check_issuer(r, cert, sink),
        }
        for name, rule in rules.items():
            checks[name](rule)
    except UnsupportedCertificateError as exc:
        sink.add(
            "CPS-UNPARSEABLE", None, f"certificate cannot be fully parsed, not linted: {exc}", "", "warning"
        )
    except ProfileError:
        raise
    except MalformedInputError as exc:
        sink.add("CPS-MALFORMED", None, f"certificate has a malformed part: {exc}", "", "error")
    return sink.findings


def lint_certificate(
    cert: CertificateInput, profile: ProfileInput, *, kind: str | None = None
) -> FindingList:
    """Check one certificate against ``profile`` (a :class:`CpsProfile`, built-in name, path or TOML text).

    ``kind`` is one of :data:`~caiso_pki.profiles.cps.KINDS`; when ``None`` it is detected
    (:func:`cps_kind`).  ``cert`` may be a :class:`Certificate`, a ``cryptography`` certificate, or
    anything :func:`caiso_pki.load_certificate` reads.  Returns a :class:`FindingList`, worst first.
    """
    loaded = _resolve_profile(profile)
    return _sorted(_lint_certificate(_as_certificate(cert), loaded, kind, None))


def lint_csr(csr: CsrInput, profile: ProfileInput, *, kind: str) -> FindingList:
    """Does this CSR meet the CPS profile's rules for a ``kind`` certificate?  Cited findings, worst first.

    Use it to audit a request against the CPS (``profile``: a :class:`CpsProfile`, built-in name or
    path) before or after it is submitted; ``kind`` is one of :data:`~caiso_pki.profiles.cps.KINDS`
    (a CSR does not say what it is for, so it is required).  Only what a CSR carries is checked: its
    signature (proof of possession), key, signature algorithm, subject, and any requested keyUsage,
    extendedKeyUsage, basicConstraints and subjectAltName.  Each :class:`Finding` has a ``CPS-...``
    code and the citation of the rule.

    Its companion :func:`caiso_pki.csr.check_csr` answers another question: does the request fit the
    CAISO *request* profile (RIG, DPG, ICCP, API or UI client) so that CAISO accepts it?  Run
    ``check_csr`` before you submit a request, ``lint_csr`` to audit it against the CPS.
    """
    from cryptography import x509 as cx509

    from caiso_pki.csr import Csr

    loaded = _resolve_profile(profile)
    if isinstance(csr, Csr):
        request = csr.x509
    elif isinstance(csr, cx509.CertificateSigningRequest):
        request = csr
    else:
        from caiso_pki.csr import load_csr

        request = load_csr(csr).x509
    view = _csr_view(request)
    chosen = _resolve_kind(loaded, kind, kind)
    rules = loaded.kind(chosen).rules
    sink = _Sink(None, view.subject.rfc4514)
    if not request.is_signature_valid:
        sink.add(
            "CPS-CSR-SIGNATURE",
            None,
            "the CSR's self-signature does not verify: it does not prove possession of the private key",
            "signature",
        )
    checks = {
        "signature": lambda r: _check_signature(r, view, sink),
        "key": lambda r: _check_key(r, view, sink),
        "key_usage": lambda r: _check_key_usage(r, view, sink, csr=True),
        "extended_key_usage": lambda r: _check_eku(r, view, sink, csr=True),
        "basic_constraints": lambda r: _check_basic_constraints(r, view, sink, csr=True),
        "subject": lambda r: _check_subject(r, view, sink),
        "subject_alt_name": lambda r: _check_san(r, view, sink),
    }
    for name, rule in rules.items():
        if name in checks:
            checks[name](rule)
    return _sorted(sink.findings)


# -- chains ------------------------------------------------------------------------------------------


def _policy_mappings(cert: Certificate) -> list[tuple[str, str]]:
    value = cert.asn1.policy_mappings_value
    if value is None:
        return []
    return [(item["issuer_domain_policy"].dotted, item["subject_domain_policy"].dotted) for item in value]


def _chain_findings(path: Sequence[Certificate], profile: CpsProfile) -> list[Finding]:
    findings: list[Finding] = []
    rules = profile.chain_rules
    for index in range(1, len(path)):
        child, issuer = path[index], path[index - 1]
        sink = _Sink(index, child.subject.rfc4514)
        anchor = index == 1 and issuer.is_self_issued
        name_rule = rules.get("name_chaining")
        if name_rule is not None and child.asn1.issuer != issuer.asn1.subject:
            sink.add(
                "CPS-CHAIN-NAME",
                name_rule,
                f"issuer {child.issuer.rfc4514!r} is not the next certificate's subject "
                f"{issuer.subject.rfc4514!r}",
                "issuer",
            )
        subset_rule = rules.get("policy_subset")
        if subset_rule is not None and not anchor:
            try:
                issuer_policies = set(issuer.policy_oids)
                child_policies = set(child.policy_oids)
                mapped = {
                    sub
                    for iss, sub in _policy_mappings(issuer)
                    if iss in issuer_policies or ANY_POLICY in issuer_policies
                }
            except MalformedInputError:
                issuer_policies, child_policies, mapped = {ANY_POLICY}, set(), set()
            if ANY_POLICY not in issuer_policies:
                extra = sorted(child_policies - issuer_policies - mapped)
                if extra:
                    sink.add(
                        "CPS-CHAIN-POLICY-SUBSET",
                        subset_rule,
                        f"asserts policy {', '.join(extra)} that its issuer {issuer.subject.rfc4514!r} "
                        "does not assert (nor anyPolicy, nor maps to)",
                        "extensions.certificatePolicies",
                    )
        nesting_rule = rules.get("validity_nesting")
        if nesting_rule is not None and (
            child.not_before < issuer.not_before or child.not_after > issuer.not_after
        ):
            sink.add(
                "CPS-CHAIN-VALIDITY-NESTING",
                nesting_rule,
                f"validity {_span(child)} is not inside its issuer's {_span(issuer)}",
                "validity",
            )
        findings.extend(sink.findings)
    return findings


def _span(cert: Certificate) -> str:
    return f"{cert.not_before.date().isoformat()}..{cert.not_after.date().isoformat()}"


def _path_certificates(path: Sequence[CertificateInput]) -> list[Certificate]:
    """The certificates of ``path`` in the order given (never reordered: what is linted is what was given)."""
    if path is None or isinstance(path, (str, bytes, bytearray)) or not isinstance(path, Iterable):
        raise MalformedInputError(f"path: expected a list of certificates, got {type(path).__name__}")
    return [_as_certificate(item, f"path[{index}]") for index, item in enumerate(path)]


def lint_chain(
    path: Sequence[CertificateInput], profile: ProfileInput, *, kind: str | None = None
) -> FindingList:
    """Lint every certificate of ``path`` and the chain rules between neighbours.

    ``path`` runs **anchor first**, as every path in caiso-pki: the root (or the top certificate),
    each intermediate, the leaf last; the order of RFC 5280 6.1 and of
    :attr:`ValidationResult.path <caiso_pki.validation.ValidationResult.path>`, so
    ``lint_chain(result.path, profile)`` lints a validated path.  It is linted exactly as given, never
    reordered: ``path[-1]`` is the leaf and each certificate's issuer is the one before it.  A chain
    as a PEM bundle or a TLS server sends it runs leaf first: pass ``chain[::-1]``.  A finding's
    ``certificate_index`` counts in ``path`` (0 is the top), as a failure's ``index`` does.

    ``kind`` is the leaf's kind (detected when ``None``); the other certificates' kinds are detected.
    Chain rules: each certificate's policies are a subset of its issuer's (unless the issuer asserts
    anyPolicy or maps to them; a self-issued first certificate, the trust anchor, is not compared),
    validity nests inside the issuer's, names chain.  The findings come leaf first, worst first.
    """
    loaded = _resolve_profile(profile)
    certs = _path_certificates(path)
    findings: list[Finding] = []
    for index, cert in enumerate(certs):
        findings.extend(_lint_certificate(cert, loaded, kind if index == len(certs) - 1 else None, index))
    findings.extend(_chain_findings(certs, loaded))
    return _sorted(findings)


def _sorted(findings: Iterable[Finding]) -> FindingList:
    return FindingList(
        sorted(
            findings,
            key=lambda f: (  # the leaf (the last of a path) first
                -f.certificate_index if f.certificate_index is not None else 1,
                -f.severity.rank,
                f.code,
            ),
        )
    )


@attrs.frozen
class ChainCheck:
    """Both answers of :func:`check_chain`: RFC 5280 validation and the CPS findings on the path.

    ``validation.path`` runs anchor first, as every path in caiso-pki, and ``findings`` come from
    linting that path, so a finding's ``certificate_index`` and a failure's ``index`` name the same
    certificate.  When no path was built, the findings are those of the leaf under the intermediates
    as given (see :func:`check_chain`).  ``ok`` is true when the chain validates and no finding is an
    error.
    """

    validation: ValidationResult
    findings: FindingList = attrs.field(converter=FindingList)
    ok: bool
    kind: str

    def to_dict(self) -> JsonDict:
        """JSON-ready form."""
        return {
            "ok": self.ok,
            "kind": self.kind,
            "validation": self.validation.to_dict(),
            "findings": [finding.to_dict() for finding in self.findings],
        }

    def _repr_html_(self) -> str:
        from caiso_pki.display import chain_check_html

        return chain_check_html(self)

    def __rich__(self) -> RenderableType:
        from caiso_pki.display import chain_check_rich

        return chain_check_rich(self)


def check_chain(
    leaf: CertificateInput,
    intermediates: CertificatesInput = (),
    *,
    trust: TrustInput,
    profile: ProfileInput = "caiso-basic-assurance",
    kind: str | None = None,
    at: dt.datetime | None = None,
    **options: Unpack[UsageAndRevocationOptions],
) -> ChainCheck:
    """Validate ``leaf`` with the profile's policy requirement, then lint the path that was built.

    Called as :func:`~caiso_pki.validation.validate_chain` is: ``leaf``, ``intermediates`` (any order),
    ``trust`` and any other :class:`~caiso_pki.validation.Validator` option as a keyword (``crls``,
    ``revocation``, ``algorithm_policy``, ``extended_key_usage`` ...), except ``policy``, which the
    CPS ``profile`` decides: path validation runs with ``policy=profile.policy_requirement(kind)``
    (explicit policy, the kind's acceptable policy OIDs).  ``profile`` here is the CPS profile; the
    Validator's ``profile`` (``rfc5280``/``webpki``) stays at its default.

    The validated path (``validation.path``, anchor first) is what is linted, so finding and failure
    indexes agree.  When no path could be built, the path linted is ``intermediates`` as given, taken
    as a chain runs (the leaf's issuer first), turned into a path: ``[*reversed(intermediates), leaf]``.
    """
    from caiso_pki.validation import Validator
    from caiso_pki.validation.options import certificate_list

    if "policy" in options:  # not an option here; callers without a type checker may try
        raise ProfileError("check_chain takes the policy requirement from the profile; do not pass policy=")
    loaded = _resolve_profile(profile)
    leaf_cert = _as_certificate(leaf)
    others = certificate_list(intermediates, "intermediate")
    try:
        detected = cps_kind(leaf_cert)
    except MalformedInputError:
        detected = "api-client"
    chosen = _resolve_kind(loaded, kind, detected)
    requirement = loaded.policy_requirement(chosen)
    validator = Validator(trust=trust, policy=requirement, **options)
    result = validator.validate(leaf_cert, others, at=at)
    if result.path and result.path[-1] == leaf_cert:
        path: list[Certificate] = list(result.path)
    else:
        path = [*reversed(others), leaf_cert]
    findings = lint_chain(path, loaded, kind=chosen)
    ok = result.valid and not any(f.severity is Severity.ERROR for f in findings)
    return ChainCheck(validation=result, findings=findings, ok=ok, kind=chosen)
