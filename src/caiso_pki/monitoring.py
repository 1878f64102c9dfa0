"""Fleet metrics: what an audit and endpoint probes found, as values ready for Prometheus.

:class:`FleetMetrics` is an immutable snapshot: each certificate with its dates, validity, first
failure code, kind and the labels of its chain's anchor in the trust store; the files that could not be
read; the CRLs used and when each must be replaced; and, for each probed TLS endpoint, whether it
answered, the chain it sent and who issued it.  Build one from an :class:`~caiso_pki.audit.AuditReport`
with :func:`fleet_metrics` (the ``caiso-pki audit --format prometheus`` path) or let
:class:`~caiso_pki.fleet_scan.FleetMonitor` scan a fleet; :func:`~caiso_pki.exposition.render_prometheus`
turns it into the Prometheus text format and ``caiso-pki exporter`` serves it::

    report = audit_paths(["certs/"], trust=store, crls=["issuing.crl"])
    text = render_prometheus(fleet_metrics(report, store=store, crls=["issuing.crl"]))

:data:`METRICS` lists every metric family with its type, help text and labels: that table is the
contract (the alert rules in ``docs/monitoring/alerts.yml`` are tested against it).  Times are Unix
timestamps in seconds (``time()`` in PromQL); a certificate's validity is 1 or 0, never "unknown":
a check that could not be completed counts as not valid (fail closed), with its code.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Final, Literal, TypeAlias, get_args

import attrs

from caiso_pki import oids
from caiso_pki._convert import (
    aware_time,
    boolean,
    choice,
    count,
    field_check,
    instance,
    instances,
    optional_aware_time,
    optional_count,
    optional_instance,
    text,
    text_pairs,
    texts,
)
from caiso_pki._source import NamedBytes
from caiso_pki._text import path_text
from caiso_pki.certificate import Certificate
from caiso_pki.errors import CaisoPkiError, MalformedInputError

if TYPE_CHECKING:
    from caiso_pki.audit import AuditReport
    from caiso_pki.connection import ConnectionReport
    from caiso_pki.inventory import Inventory
    from caiso_pki.truststore import TrustStore
    from caiso_pki.validation import ValidationResult

__all__ = [
    "CERTIFICATE_LABELS",
    "CertificateFacts",
    "METRICS",
    "CertificateKind",
    "CertificateSample",
    "CrlFreshness",
    "CrlSource",
    "EndpointStatus",
    "FleetMetrics",
    "MetricFamily",
    "MetricSpec",
    "ReadError",
    "anchor_labels",
    "certificate_facts",
    "fleet_kind",
    "certificate_sample",
    "crl_freshness",
    "endpoint_status",
    "fleet_metrics",
    "unique_crls",
]

CertificateKind: TypeAlias = Literal["rig", "dpg", "iccp", "api-client", "ui-client", "ca", "other"]
MetricType: TypeAlias = Literal["gauge", "counter"]
#: A CRL given to :func:`fleet_metrics`: a path, bytes read from a file (``NamedBytes`` keeps its name),
#: or PEM/DER bytes.
CrlSource: TypeAlias = str | os.PathLike[str] | bytes

#: The labels of every certificate series, in order (inventory labels follow them, sorted by name).
CERTIFICATE_LABELS: Final = (
    "path",
    "position",
    "endpoint",
    "subject",
    "issuer",
    "serial",
    "kind",
    "anchor_labels",
)


@attrs.frozen
class MetricSpec:
    """One metric family of the contract: name, type, help text and label names (``extra`` for the
    inventory's labels, added to the certificate families)."""

    name: str
    type: MetricType
    help: str
    labels: tuple[str, ...]
    extra: bool = False


#: Every metric family caiso-pki emits (the exporter adds the ``caiso_pki_exporter_*`` families).
METRICS: Final[tuple[MetricSpec, ...]] = (
    MetricSpec(
        "caiso_pki_certificate_not_after_timestamp_seconds",
        "gauge",
        "The certificate's notAfter, as a Unix time.",
        CERTIFICATE_LABELS,
        extra=True,
    ),
    MetricSpec(
        "caiso_pki_certificate_not_before_timestamp_seconds",
        "gauge",
        "The certificate's notBefore, as a Unix time.",
        CERTIFICATE_LABELS,
        extra=True,
    ),
    MetricSpec(
        "caiso_pki_certificate_valid",
        "gauge",
        "1 when the certificate's chain validates against the trust store, 0 when not; code is the first "
        "failure code.",
        (*CERTIFICATE_LABELS, "code"),
        extra=True,
    ),
    MetricSpec(
        "caiso_pki_read_errors",
        "gauge",
        "1 for each input that could not be read (a file, a folder, a password, the trust store).",
        ("path", "reason"),
    ),
    MetricSpec(
        "caiso_pki_crl_next_update_timestamp_seconds",
        "gauge",
        "The nextUpdate of each CRL used (given or fetched), as a Unix time.",
        ("issuer", "source"),
    ),
    MetricSpec(
        "caiso_pki_crl_this_update_timestamp_seconds",
        "gauge",
        "The thisUpdate of each CRL used (given or fetched), as a Unix time.",
        ("issuer", "source"),
    ),
    MetricSpec(
        "caiso_pki_audit_timestamp_seconds",
        "gauge",
        "When the data was collected, as a Unix time.",
        (),
    ),
    MetricSpec(
        "caiso_pki_files",
        "gauge",
        "Files named or found under the paths, by what they held: certificates, crl, ignored (keys, "
        "CSRs) or error (unreadable).",
        ("outcome",),
    ),
    MetricSpec(
        "caiso_pki_trust_store_anchors",
        "gauge",
        "Trust anchors in the trust store the certificates were validated against.",
        (),
    ),
    MetricSpec(
        "caiso_pki_endpoint_up",
        "gauge",
        "1 when the TLS endpoint completed a handshake, 0 when it could not be reached or spoke no TLS.",
        ("endpoint",),
    ),
    MetricSpec(
        "caiso_pki_endpoint_check_passed",
        "gauge",
        "1 when the connect check passed, 0 when it failed (checks that did not apply are left out).",
        ("endpoint", "check"),
    ),
    MetricSpec(
        "caiso_pki_endpoint_chain_info",
        "gauge",
        "Always 1: who issued the endpoint's certificate, the root its chain reached, and the leaf's "
        "SHA-256 fingerprint; a chain change is a change of these labels.",
        ("endpoint", "issuer", "root", "fingerprint_sha256"),
    ),
)

_KINDS: Final[dict[str, CertificateKind]] = {
    "rig": "rig",
    "dpg": "dpg",
    "iccp": "iccp",
    "api-client": "api-client",
    "end-user-client": "ui-client",
    "root-ca": "ca",
    "issuing-ca": "ca",
}


def fleet_kind(cert: Certificate) -> CertificateKind:
    """The fleet kind of ``cert``: rig, dpg, iccp, api-client, ui-client, ca or other.

    Built on :func:`caiso_pki.lint.cps_kind`: its ``root-ca`` and ``issuing-ca`` are ``ca``, its
    ``end-user-client`` (emailProtection or smartcardLogon) is ``ui-client``, and an OCSP responder is
    ``other``.  A certificate ``cps_kind`` calls a device only for its serverAuth purpose but that
    cannot be a TLS client (a web server's) is ``other``, and so is one it cannot read.
    """
    from caiso_pki.lint import cps_kind

    instance(cert, Certificate, "cert", "a Certificate (load it with load_certificate)")
    try:
        detected = cps_kind(cert)
        kind = _KINDS.get(detected, "other")
        if kind == "rig" and cert.extended_key_usage and oids.CLIENT_AUTH not in cert.extended_key_usage:
            labelled = cert.subject.common_name or ""
            return "rig" if "rig" in labelled.lower() else "other"
    except CaisoPkiError:
        return "other"
    return kind


def _stamp(value: dt.datetime) -> float:
    return value.timestamp()


# -- checks of the values' fields (a wrong type is refused here, not when the metrics are rendered) -----

_TEXT: Final = field_check(text)
_TIME: Final = field_check(aware_time)
_BOOL: Final = field_check(boolean)
_KIND_NAMES: Final = frozenset(get_args(CertificateKind))


def _kind(value: object, what: str) -> str:
    return choice(value, _KIND_NAMES, what)


def _labels(value: Mapping[str, str] | Iterable[tuple[str, str]]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(text_pairs(value, "labels")))


@attrs.frozen
class CertificateSample:
    """One certificate seen in a file (``path``, ``position`` in it) or sent by an ``endpoint``.

    ``code`` is the first failure code (empty when valid); ``anchor_labels`` the trust-store labels of
    the anchor its chain reached, comma-separated; ``labels`` the inventory's extra labels.
    """

    subject: str = attrs.field(validator=_TEXT)
    issuer: str = attrs.field(validator=_TEXT)
    serial: str = attrs.field(validator=_TEXT)
    kind: CertificateKind = attrs.field(validator=field_check(_kind))
    not_before: dt.datetime = attrs.field(validator=_TIME)
    not_after: dt.datetime = attrs.field(validator=_TIME)
    valid: bool = attrs.field(validator=_BOOL)
    code: str = attrs.field(default="", validator=_TEXT)
    anchor_labels: str = attrs.field(default="", validator=_TEXT)
    path: str = attrs.field(default="", validator=_TEXT)
    position: int = attrs.field(default=0, validator=field_check(count))
    endpoint: str = attrs.field(default="", validator=_TEXT)
    fingerprint_sha256: str = attrs.field(default="", validator=_TEXT)
    labels: tuple[tuple[str, str], ...] = attrs.field(default=(), converter=_labels)

    def label_values(self, *, extra: Sequence[str] = ()) -> tuple[str, ...]:
        """Values for :data:`CERTIFICATE_LABELS` then ``extra`` (missing extras are empty)."""
        mine = dict(self.labels)
        return (
            self.path,
            str(self.position),
            self.endpoint,
            self.subject,
            self.issuer,
            self.serial,
            self.kind,
            self.anchor_labels,
            *(mine.get(name, "") for name in extra),
        )


@attrs.frozen
class ReadError:
    """An input that could not be read, and why (never a password)."""

    path: str = attrs.field(validator=_TEXT)
    reason: str = attrs.field(validator=_TEXT)


@attrs.frozen
class CrlFreshness:
    """A CRL that was used: its issuer, where it came from (a file or the URL it was fetched from), its
    thisUpdate and nextUpdate (``None`` when the CRL names none)."""

    issuer: str = attrs.field(validator=_TEXT)
    source: str = attrs.field(validator=_TEXT)
    this_update: dt.datetime = attrs.field(validator=_TIME)
    next_update: dt.datetime | None = attrs.field(validator=field_check(optional_aware_time))


def _samples(value: Iterable[CertificateSample]) -> tuple[CertificateSample, ...]:
    return instances(value, CertificateSample, "chain", "CertificateSample values")


def _checks(value: Iterable[tuple[str, bool]]) -> tuple[tuple[str, bool], ...]:
    """(check name, passed) pairs."""
    pairs = _pairs(value, "checks", "(check name, passed) pairs")
    return tuple(
        (text(name, f"checks[{index}] name"), boolean(passed, f"checks[{index}] passed"))
        for index, (name, passed) in enumerate(pairs)
    )


def _pairs(value: object, what: str, expected: str) -> tuple[tuple[object, object], ...]:
    items: tuple[Sequence[object], ...] = instances(value, (tuple, list), what, expected)
    for index, item in enumerate(items):
        if len(item) != 2:
            raise MalformedInputError(f"{what}[{index}]: expected a pair, got {len(item)} items")
    return tuple((first, second) for first, second in items)


@attrs.frozen
class EndpointStatus:
    """What a probe of one TLS endpoint found (see :func:`endpoint_status`).

    ``up`` is true when the TLS handshake completed; ``chain`` holds each certificate the server sent,
    in the order sent (leaf first), with its position and validity; ``issuer``, ``root`` and
    ``fingerprint_sha256`` describe the chain (empty when the server sent none); ``checks`` the
    outcome of each connect check that applied.
    """

    endpoint: str = attrs.field(validator=_TEXT)
    up: bool = attrs.field(validator=_BOOL)
    chain: tuple[CertificateSample, ...] = attrs.field(default=(), converter=_samples)
    issuer: str = attrs.field(default="", validator=_TEXT)
    root: str = attrs.field(default="", validator=_TEXT)
    fingerprint_sha256: str = attrs.field(default="", validator=_TEXT)
    checks: tuple[tuple[str, bool], ...] = attrs.field(default=(), converter=_checks)


@attrs.frozen
class MetricFamily:
    """A metric family ready to render: its spec, the label names in order, and (label values, value)
    samples."""

    spec: MetricSpec
    label_names: tuple[str, ...]
    samples: tuple[tuple[tuple[str, ...], float], ...]


def _spec(name: str) -> MetricSpec:
    return next(spec for spec in METRICS if spec.name == name)


def _certificates(value: Iterable[CertificateSample]) -> tuple[CertificateSample, ...]:
    return instances(value, CertificateSample, "certificates", "CertificateSample values")


def _read_errors(value: Iterable[ReadError]) -> tuple[ReadError, ...]:
    return instances(value, ReadError, "read_errors", "ReadError values")


def _crls(value: Iterable[CrlFreshness]) -> tuple[CrlFreshness, ...]:
    return instances(value, CrlFreshness, "crls", "CrlFreshness values")


def _endpoints(value: Iterable[EndpointStatus]) -> tuple[EndpointStatus, ...]:
    return instances(value, EndpointStatus, "endpoints", "EndpointStatus values")


def _label_names(value: Iterable[str]) -> tuple[str, ...]:
    return texts(value, "label_names")


def _files(value: Mapping[str, int] | Iterable[tuple[str, int]]) -> tuple[tuple[str, int], ...]:
    """(outcome, number of files) pairs; a mapping is taken in its order."""
    if isinstance(value, Mapping):
        value = value.items()
    pairs = _pairs(value, "files", "(outcome, number of files) pairs")
    return tuple(
        (text(outcome, f"files[{index}] outcome"), count(number, f"files[{index}] number"))
        for index, (outcome, number) in enumerate(pairs)
    )


@attrs.frozen
class FleetMetrics:
    """An immutable snapshot of the fleet's metrics (build it with :func:`fleet_metrics` or
    :meth:`caiso_pki.fleet_scan.FleetMonitor.scan`; render it with
    :func:`~caiso_pki.exposition.render_prometheus`).

    ``label_names`` are the inventory label names every certificate series carries after
    :data:`CERTIFICATE_LABELS`; ``files`` counts files by outcome; ``trust_anchors`` is the number of
    anchors in the store used (``None`` when not known).
    """

    at: dt.datetime = attrs.field(validator=_TIME)
    certificates: tuple[CertificateSample, ...] = attrs.field(default=(), converter=_certificates)
    read_errors: tuple[ReadError, ...] = attrs.field(default=(), converter=_read_errors)
    crls: tuple[CrlFreshness, ...] = attrs.field(default=(), converter=_crls)
    endpoints: tuple[EndpointStatus, ...] = attrs.field(default=(), converter=_endpoints)
    label_names: tuple[str, ...] = attrs.field(default=(), converter=_label_names)
    files: tuple[tuple[str, int], ...] = attrs.field(default=(), converter=_files)
    trust_anchors: int | None = attrs.field(default=None, validator=field_check(optional_count))

    def with_endpoints(self, endpoints: Iterable[EndpointStatus]) -> FleetMetrics:
        """This snapshot with ``endpoints`` probed as well."""
        return attrs.evolve(self, endpoints=(*self.endpoints, *endpoints))

    @property
    def all_certificates(self) -> tuple[CertificateSample, ...]:
        """The certificates of files, then those the endpoints sent."""
        return (*self.certificates, *(sample for endpoint in self.endpoints for sample in endpoint.chain))

    def families(self) -> tuple[MetricFamily, ...]:
        """Every metric family of :data:`METRICS`, with its samples, in a stable order."""
        extra = self.label_names
        certificates = self.all_certificates

        def family(name: str, samples: Iterable[tuple[tuple[str, ...], float]]) -> MetricFamily:
            spec = _spec(name)
            names = (*spec.labels, *extra) if spec.extra else spec.labels
            return MetricFamily(spec, names, tuple(samples))

        def cert_family(name: str) -> MetricFamily:
            spec = _spec(name)
            names = (*spec.labels[: len(CERTIFICATE_LABELS)], *extra, *spec.labels[len(CERTIFICATE_LABELS) :])
            if name == "caiso_pki_certificate_valid":
                samples = (
                    ((*c.label_values(extra=extra), c.code), 1.0 if c.valid else 0.0) for c in certificates
                )
            elif name == "caiso_pki_certificate_not_after_timestamp_seconds":
                samples = ((c.label_values(extra=extra), _stamp(c.not_after)) for c in certificates)
            else:
                samples = ((c.label_values(extra=extra), _stamp(c.not_before)) for c in certificates)
            return MetricFamily(spec, names, tuple(samples))

        families = [
            cert_family("caiso_pki_certificate_not_after_timestamp_seconds"),
            cert_family("caiso_pki_certificate_not_before_timestamp_seconds"),
            cert_family("caiso_pki_certificate_valid"),
            family("caiso_pki_read_errors", (((e.path, e.reason), 1.0) for e in self.read_errors)),
            family(
                "caiso_pki_crl_next_update_timestamp_seconds",
                (((c.issuer, c.source), _stamp(c.next_update)) for c in self.crls if c.next_update),
            ),
            family(
                "caiso_pki_crl_this_update_timestamp_seconds",
                (((c.issuer, c.source), _stamp(c.this_update)) for c in self.crls),
            ),
            family("caiso_pki_audit_timestamp_seconds", [((), _stamp(self.at))]),
            family("caiso_pki_files", (((outcome,), float(count)) for outcome, count in self.files)),
            family(
                "caiso_pki_trust_store_anchors",
                [((), float(self.trust_anchors))] if self.trust_anchors is not None else [],
            ),
            family("caiso_pki_endpoint_up", (((e.endpoint,), 1.0 if e.up else 0.0) for e in self.endpoints)),
            family(
                "caiso_pki_endpoint_check_passed",
                (
                    ((e.endpoint, check), 1.0 if passed else 0.0)
                    for e in self.endpoints
                    for check, passed in e.checks
                ),
            ),
            family(
                "caiso_pki_endpoint_chain_info",
                (
                    ((e.endpoint, e.issuer, e.root, e.fingerprint_sha256), 1.0)
                    for e in self.endpoints
                    if e.fingerprint_sha256
                ),
            ),
        ]
        return tuple(families)


# -- building snapshots ------------------------------------------------------------------------------


def anchor_labels(store: TrustStore | None) -> dict[str, str]:
    """Each trust anchor's fingerprint mapped to its store labels, sorted and comma-joined."""
    if store is None:
        return {}
    return {
        entry.fingerprint: ",".join(sorted(entry.labels)) for entry in store.entries if entry.role == "anchor"
    }


@attrs.frozen
class CertificateFacts:
    """What a certificate's samples need from it that never changes: names, serial, kind, dates.

    Computed once per certificate (:func:`certificate_facts`); a monitor that rescans keeps them with
    the file, so a rescan does not parse what it has already read.
    """

    subject: str
    issuer: str
    serial: str
    kind: CertificateKind
    not_before: dt.datetime
    not_after: dt.datetime
    fingerprint_sha256: str
    is_ca: bool


def certificate_facts(cert: Certificate) -> CertificateFacts:
    """The :class:`CertificateFacts` of ``cert``."""
    kind = fleet_kind(cert)
    try:
        is_ca = cert.is_ca
    except CaisoPkiError:  # only asn1crypto reads it: never offered as an intermediate
        is_ca = False
    return CertificateFacts(
        subject=cert.subject.rfc4514,
        issuer=cert.issuer.rfc4514,
        serial=cert.serial_hex,
        kind=kind,
        not_before=cert.not_before,
        not_after=cert.not_after,
        fingerprint_sha256=cert.fingerprint_sha256,
        is_ca=is_ca,
    )


def certificate_sample(
    facts: CertificateFacts | Certificate,
    result: ValidationResult | None,
    *,
    anchors: Mapping[str, str],
    code: str | None = None,
    valid: bool | None = None,
    path: str = "",
    position: int = 0,
    endpoint: str = "",
    labels: Mapping[str, str] | None = None,
) -> CertificateSample:
    """One certificate's sample from its facts and its validation ``result``.

    ``anchors`` maps trust-anchor fingerprints to their comma-joined store labels; ``valid`` and
    ``code`` override what ``result`` says (an endpoint's intermediates); a missing ``result`` is not
    valid, with the code ``not-validated``.
    """
    if isinstance(facts, Certificate):
        facts = certificate_facts(facts)
    chain_valid = bool(result is not None and result.valid)
    first = result.failures[0].code if result is not None and result.failures else ""
    if result is None:
        first = "not-validated"
    # The path starts at an anchor whenever one was reached, valid or not (an expired leaf still
    # belongs to its hierarchy); a partial chain starts elsewhere and has no anchor labels.
    anchor = anchors.get(result.path[0].fingerprint_sha256, "") if result is not None and result.path else ""
    return CertificateSample(
        subject=facts.subject,
        issuer=facts.issuer,
        serial=facts.serial,
        kind=facts.kind,
        not_before=facts.not_before,
        not_after=facts.not_after,
        valid=chain_valid if valid is None else valid,
        code=(first or ("" if chain_valid else "invalid")) if code is None else code,
        anchor_labels=anchor,
        path=path,
        position=position,
        endpoint=endpoint,
        fingerprint_sha256=facts.fingerprint_sha256,
        labels=labels or {},
    )


def _crl_name(source: CrlSource) -> str:
    if isinstance(source, NamedBytes):
        return source.name
    if isinstance(source, (str, os.PathLike)) and not (isinstance(source, str) and "-----BEGIN" in source):
        return path_text(source)
    return "given"


def crl_freshness(source: CrlSource) -> CrlFreshness:
    """The issuer, thisUpdate and nextUpdate of a CRL file or CRL bytes (``source`` names the file).

    Raises a :class:`~caiso_pki.errors.CaisoPkiError` naming the input when it is not a readable CRL.
    """
    from caiso_pki.name import DistinguishedName
    from caiso_pki.revocation_data import load_crl

    loaded = load_crl(source)
    return CrlFreshness(
        issuer=DistinguishedName.from_cryptography(loaded.issuer).rfc4514,
        source=_crl_name(source),
        this_update=loaded.last_update_utc,
        next_update=loaded.next_update_utc,
    )


def _fetched_crls(report: AuditReport) -> list[CrlFreshness]:
    """The CRLs validation fetched (statuses with a URL); CRLs given offline are read from their files."""
    found: list[CrlFreshness] = []
    for entry in report.entries:
        result = entry.result
        for status in result.revocation:
            if status.source != "crl" or status.url is None or status.this_update is None:
                continue
            if not 0 <= status.index < len(result.path):
                continue
            issuer = result.path[status.index].issuer.rfc4514
            found.append(CrlFreshness(issuer, status.url, status.this_update, status.next_update))
    return found


def unique_crls(crls: Iterable[CrlFreshness]) -> tuple[CrlFreshness, ...]:
    """One series per (issuer, source): the newest CRL seen from each."""
    best: dict[tuple[str, str], CrlFreshness] = {}
    for crl in crls:
        key = (crl.issuer, crl.source)
        if key not in best or crl.this_update > best[key].this_update:
            best[key] = crl
    return tuple(best[key] for key in sorted(best))


def fleet_metrics(
    report: AuditReport,
    *,
    store: TrustStore | None = None,
    crls: Iterable[CrlSource | CrlFreshness] = (),
    inventory: Inventory | None = None,
    read_errors: Iterable[ReadError] = (),
    files: Mapping[str, int] | None = None,
) -> FleetMetrics:
    """The metrics of an audit: one sample per certificate, each skipped file as a read error, and the
    freshness of every CRL in ``crls`` (the ones given to the audit) and of every CRL it fetched.

    ``store`` is the trust store the audit used: its labels of each chain's anchor become the
    ``anchor_labels`` label and its anchors are counted.  ``inventory`` adds its extra labels to each
    file's certificates.  ``read_errors`` and ``files`` come from a scan that read the files itself
    (:class:`~caiso_pki.fleet_scan.FleetMonitor`); by default ``files`` is what the audit counted.
    A CRL in ``crls`` that cannot be read becomes a read error.
    """
    from caiso_pki.audit import AuditReport
    from caiso_pki.inventory import Inventory

    instance(report, AuditReport, "report", "an AuditReport (from audit_paths)")
    store = _store(store)
    inventory = optional_instance(inventory, Inventory, "inventory", "an Inventory (from load_inventory)")
    crls = _crl_inputs(crls)
    read_errors = instances(read_errors, ReadError, "read_errors", "ReadError values")
    counted = _files(files) if files is not None else None
    anchors = anchor_labels(store)
    certificates = [
        certificate_sample(
            entry.certificate,
            entry.result,
            anchors=anchors,
            path=entry.path,
            position=entry.position,
            labels=inventory.labels_for(entry.path) if inventory is not None else None,
        )
        for entry in report.entries
    ]
    certificates.sort(key=lambda sample: (sample.path, sample.position))
    errors = [
        *read_errors,
        *(ReadError(skip.path, _reason(skip.path, skip.reason)) for skip in report.skipped),
    ]
    given: list[CrlFreshness] = []
    for crl in crls:
        if isinstance(crl, CrlFreshness):
            given.append(crl)
            continue
        try:
            given.append(crl_freshness(crl))
        except CaisoPkiError as exc:
            errors.append(ReadError(_crl_name(crl), f"not a readable CRL: {exc}"))
    if counted is None:
        counted = tuple(_audit_files(report).items())
    return FleetMetrics(
        at=report.at,
        certificates=tuple(certificates),
        read_errors=tuple(sorted(set(errors), key=lambda error: (error.path, error.reason))),
        crls=unique_crls([*given, *_fetched_crls(report)]),
        label_names=inventory.label_names if inventory is not None else (),
        files=tuple(sorted(counted)),
        trust_anchors=len(store.anchors()) if store is not None else None,
    )


def _store(store: object) -> TrustStore | None:
    from caiso_pki.truststore import TrustStore

    return optional_instance(store, TrustStore, "store", "a TrustStore (TrustStore.open(directory))")


#: What :func:`fleet_metrics` takes as one CRL (a single one need not be in a list).
_CRL_KINDS: Final = (str, os.PathLike, bytes, bytearray, CrlFreshness)


def _crl_inputs(crls: object) -> tuple[CrlSource | CrlFreshness, ...]:
    if isinstance(crls, _CRL_KINDS):
        return (crls,)  # type: ignore[return-value]
    return instances(crls, _CRL_KINDS, "crls", "CRL files, CRL bytes or CrlFreshness values")


def _reason(path: str, reason: str) -> str:
    """``reason`` without the file name the loaders put in front of their messages (``path`` is a label
    of its own)."""
    return reason.replace(f"{path}: ", "", 1)


def _audit_files(report: AuditReport) -> dict[str, int]:
    read = len({entry.path for entry in report.entries})
    return {"certificates": read, "error": len(report.skipped)}


def endpoint_status(report: ConnectionReport, *, store: TrustStore | None = None) -> EndpointStatus:
    """What a :func:`~caiso_pki.connection.connect` report says about its endpoint.

    Each certificate the server sent is a sample with the endpoint and its position (0 for the leaf).
    A certificate counts as valid only when the whole chain validated and the certificate is part of
    the validated path; its code is the first failure about it, else the chain's first failure.
    ``root`` is the validated path's anchor, or, when the chain did not validate, the issuer named by
    the last certificate sent.
    """
    from caiso_pki.connection import ConnectionReport

    instance(report, ConnectionReport, "report", "a ConnectionReport (from connect)")
    store = _store(store)
    anchors = anchor_labels(store)
    result = report.server_validation
    tls = report.check("tls")
    up = tls.status == "pass"
    chain: list[CertificateSample] = []
    for position, cert in enumerate(report.server_chain):
        in_path = result is not None and cert in result.path
        own_codes = []
        if result is not None and in_path:
            index = result.path.index(cert)
            own_codes = [failure.code for failure in result.failures if failure.index == index]
        chain_code = result.failures[0].code if result is not None and result.failures else ""
        if result is None:
            chain_code = "not-validated"
        valid = bool(result is not None and result.valid and in_path)
        code = "" if valid else (own_codes[0] if own_codes else chain_code or "not-in-path")
        chain.append(
            certificate_sample(
                cert,
                result,
                anchors=anchors,
                code=code,
                valid=valid,
                endpoint=report.target,
                position=position,
            )
        )
    issuer = root = fingerprint = ""
    if report.server_chain:
        leaf = report.server_chain[0]
        issuer = leaf.issuer.rfc4514
        fingerprint = leaf.fingerprint_sha256
        if result is not None and result.valid and result.path:
            root = result.path[0].subject.rfc4514
        else:
            root = report.server_chain[-1].issuer.rfc4514
    checks = tuple((check.name, check.status == "pass") for check in report.checks if check.status != "n/a")
    return EndpointStatus(
        endpoint=report.target,
        up=up,
        chain=tuple(chain),
        issuer=issuer,
        root=root,
        fingerprint_sha256=fingerprint,
        checks=checks,
    )
