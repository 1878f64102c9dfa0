"""The metrics model (caiso_pki.monitoring) and its Prometheus text (caiso_pki.exposition).

The audit tests are what ``caiso-pki audit --format prometheus`` writes: ``render_prometheus`` over
``fleet_metrics(audit_paths(...))``, parsed back with prometheus_client's own parser.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from caiso_pki import Validator, audit_paths, testing
from caiso_pki._revocation_server import RevocationServer
from caiso_pki.audit import AuditEntry, AuditReport
from caiso_pki.certificate import Certificate
from caiso_pki.errors import InvalidTimeError, MalformedInputError
from caiso_pki.exposition import SnapshotCollector, render_prometheus
from caiso_pki.monitoring import (
    CERTIFICATE_LABELS,
    METRICS,
    CertificateSample,
    CrlFreshness,
    EndpointStatus,
    FleetMetrics,
    ReadError,
    crl_freshness,
    fleet_kind,
    fleet_metrics,
)
from caiso_pki.truststore import TrustStore

Samples = dict[str, list[tuple[dict[str, str], float]]]


def parse(text: str) -> Samples:
    """Every sample of the exposition by name (prometheus_client's parser: it must accept the text)."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return found


def one(samples: Samples, name: str, **labels: str) -> tuple[dict[str, str], float]:
    matching = [(got, value) for got, value in samples.get(name, []) if labels.items() <= got.items()]
    assert len(matching) == 1, (name, labels, samples.get(name))
    return matching[0]


@pytest.fixture
def fleet(tmp_path: Path) -> dict[str, object]:
    """A folder with a valid, an expired, a revoked and an unreadable certificate file, and a CRL."""
    pki = testing.DemoPki.create()
    ca = pki.issuing_ca
    valid = ca.issue("rig", "rig-0001.example.com")
    expired = ca.issue(
        "api-client",
        "api-expired",
        not_before=pki.now - dt.timedelta(days=400),
        validity=dt.timedelta(days=30),
    )
    revoked = ca.issue("ui-client", "ui-revoked")
    ca.revoke(revoked)
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / "valid.pem").write_text(valid.certificate.pem)
    (certs / "expired.pem").write_text(expired.certificate.pem)
    (certs / "revoked.der").write_bytes(revoked.certificate.der)
    (certs / "broken.pem").write_text(
        "-----BEGIN CERTIFICATE-----\nnot base64 at all!\n-----END CERTIFICATE-----\n"
    )
    crl = tmp_path / "issuing.crl"
    crl.write_bytes(ca.crl())
    root_crl = tmp_path / "root.crl"
    root_crl.write_bytes(pki.root.crl())
    return {
        "pki": pki,
        "certs": certs,
        "crls": [crl, root_crl],
        "store": pki.trust_store(),
        "valid": valid,
        "expired": expired,
        "revoked": revoked,
    }


def _audit_exposition(fleet: dict[str, object]) -> str:
    """What ``caiso-pki audit --format prometheus`` writes for the fleet."""
    store = fleet["store"]
    assert isinstance(store, TrustStore)
    crls = fleet["crls"]
    assert isinstance(crls, list)
    report = audit_paths([fleet["certs"]], trust=store, crls=crls, revocation="require")  # type: ignore[list-item]
    return render_prometheus(fleet_metrics(report, store=store, crls=crls))


def test_audit_prometheus_output_parses_with_prometheus_client(fleet: dict[str, object]) -> None:
    samples = parse(_audit_exposition(fleet))
    for spec in METRICS:
        if spec.name.startswith("caiso_pki_endpoint"):
            continue  # no endpoint probed by an audit
        assert spec.name in samples, spec.name


def test_audit_prometheus_valid_certificate(fleet: dict[str, object]) -> None:
    samples = parse(_audit_exposition(fleet))
    valid = fleet["valid"]
    assert isinstance(valid, testing.IssuedCertificate)
    cert = valid.certificate
    labels, value = one(samples, "caiso_pki_certificate_valid", serial=cert.serial_hex)
    assert value == 1.0
    assert labels["code"] == ""
    assert labels["path"].endswith("valid.pem")
    assert labels["subject"] == cert.subject.rfc4514
    assert labels["issuer"] == cert.issuer.rfc4514
    assert labels["kind"] == "rig"
    assert labels["anchor_labels"] == "caiso"
    assert labels["position"] == "0"
    _, not_after = one(samples, "caiso_pki_certificate_not_after_timestamp_seconds", serial=cert.serial_hex)
    _, not_before = one(samples, "caiso_pki_certificate_not_before_timestamp_seconds", serial=cert.serial_hex)
    assert not_after == cert.not_after.timestamp()
    assert not_before == cert.not_before.timestamp()


def test_audit_prometheus_expired_certificate(fleet: dict[str, object]) -> None:
    samples = parse(_audit_exposition(fleet))
    expired = fleet["expired"]
    assert isinstance(expired, testing.IssuedCertificate)
    labels, value = one(samples, "caiso_pki_certificate_valid", serial=expired.certificate.serial_hex)
    assert value == 0.0
    assert "expired" in labels["code"]
    assert labels["kind"] == "api-client"
    _, not_after = one(
        samples, "caiso_pki_certificate_not_after_timestamp_seconds", serial=expired.certificate.serial_hex
    )
    assert not_after < dt.datetime.now(dt.UTC).timestamp()


def test_audit_prometheus_revoked_certificate(fleet: dict[str, object]) -> None:
    samples = parse(_audit_exposition(fleet))
    revoked = fleet["revoked"]
    assert isinstance(revoked, testing.IssuedCertificate)
    labels, value = one(samples, "caiso_pki_certificate_valid", serial=revoked.certificate.serial_hex)
    assert value == 0.0
    assert labels["code"] == "revoked"
    assert labels["kind"] == "ui-client"
    assert labels["path"].endswith("revoked.der")


def test_audit_prometheus_unreadable_file(fleet: dict[str, object]) -> None:
    samples = parse(_audit_exposition(fleet))
    labels, value = one(samples, "caiso_pki_read_errors")
    assert value == 1.0
    assert labels["path"].endswith("broken.pem")
    assert labels["reason"]
    assert "broken.pem" not in labels["reason"]  # the path is its own label


def test_audit_prometheus_crl_freshness_and_timestamp(fleet: dict[str, object]) -> None:
    samples = parse(_audit_exposition(fleet))
    pki = fleet["pki"]
    assert isinstance(pki, testing.DemoPki)
    issuing = pki.issuing_ca.certificate.subject.rfc4514
    labels, next_update = one(samples, "caiso_pki_crl_next_update_timestamp_seconds", issuer=issuing)
    assert labels["source"].endswith("issuing.crl")
    from cryptography import x509

    crls = fleet["crls"]
    assert isinstance(crls, list)
    written = x509.load_der_x509_crl(crls[0].read_bytes()).next_update_utc
    assert written is not None
    assert next_update == written.timestamp()
    assert len(samples["caiso_pki_crl_next_update_timestamp_seconds"]) == 2  # the root's CRL too
    ((_, at),) = samples["caiso_pki_audit_timestamp_seconds"]
    assert abs(at - dt.datetime.now(dt.UTC).timestamp()) < 3600


def test_every_sample_carries_every_label_of_its_family(fleet: dict[str, object]) -> None:
    samples = parse(_audit_exposition(fleet))
    for name in (
        "caiso_pki_certificate_not_after_timestamp_seconds",
        "caiso_pki_certificate_not_before_timestamp_seconds",
    ):
        for labels, _ in samples[name]:
            assert set(labels) == set(CERTIFICATE_LABELS)
    for labels, _ in samples["caiso_pki_certificate_valid"]:
        assert set(labels) == {*CERTIFICATE_LABELS, "code"}


# -- kinds ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "common_name", "expected"),
    [
        ("rig", "rig-0001.example.com", "rig"),
        ("dpg", "dpg-0001.example.com", "dpg"),
        ("iccp", "iccp-link-01.example.com", "iccp"),
        ("api-client", "market-api-client", "api-client"),
        ("ui-client", "jane.operator", "ui-client"),
        ("server", "www.example.com", "other"),
        ("ocsp-responder", "Demo OCSP Responder", "other"),
    ],
)
def test_certificate_kind(demo_pki: testing.DemoPki, kind: str, common_name: str, expected: str) -> None:
    issued = demo_pki.issuing_ca.issue(kind, common_name)  # type: ignore[arg-type]
    assert fleet_kind(issued.certificate) == expected


def test_certificate_kind_of_cas(demo_pki: testing.DemoPki) -> None:
    assert fleet_kind(demo_pki.root.certificate) == "ca"
    assert fleet_kind(demo_pki.issuing_ca.certificate) == "ca"


# -- fetched CRLs --------------------------------------------------------------------------------------


def test_fetched_crls_are_reported_with_their_url() -> None:
    with RevocationServer() as server:
        pki = testing.DemoPki.create(base_url=server.base_url)
        server.serve(pki)
        server.override("/ocsp", b"", status=503)  # no OCSP: validation falls back to the CRLs
        leaf = pki.issuing_ca.issue("rig", "rig-0002.example.com").certificate
        validator = Validator(trust=[pki.root.certificate], revocation="require", fetch=True, timeout=5)
        (result,) = validator.validate_many([leaf], [pki.issuing_ca.certificate])
    assert result.valid, result.failures
    report = AuditReport(at=result.at, paths=("given",), entries=(AuditEntry("given.pem", 0, leaf, result),))
    samples = parse(render_prometheus(fleet_metrics(report)))
    sources = {labels["source"] for labels, _ in samples["caiso_pki_crl_next_update_timestamp_seconds"]}
    assert pki.issuing_ca.crl_url in sources


# -- the snapshot and its rendering ------------------------------------------------------------------


def _sample(**changes: object) -> CertificateSample:
    values: dict[str, object] = {
        "subject": "CN=x",
        "issuer": "CN=y",
        "serial": "01",
        "kind": "rig",
        "not_before": dt.datetime(2025, 1, 1, tzinfo=dt.UTC),
        "not_after": dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
        "valid": True,
    }
    values.update(changes)
    return CertificateSample(**values)  # type: ignore[arg-type]


def test_hostile_names_cannot_forge_series() -> None:
    forged = 'CN=a"} 1\ncaiso_pki_certificate_valid{path="x'
    metrics = FleetMetrics(
        at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC),
        certificates=(_sample(subject=forged, path="a\\b\n.pem"),),
        read_errors=(ReadError('bad"\n.pem', "reason with \\ and \n"),),
    )
    samples = parse(render_prometheus(metrics))
    ((labels, _),) = samples["caiso_pki_certificate_valid"]
    assert labels["subject"] == forged
    assert labels["path"] == "a\\b\n.pem"
    ((labels, _),) = samples["caiso_pki_read_errors"]
    assert labels == {"path": 'bad"\n.pem', "reason": "reason with \\ and \n"}


def test_inventory_labels_fill_every_series() -> None:
    metrics = FleetMetrics(
        at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC),
        certificates=(_sample(labels={"device_id": "RIG-7"}), _sample(serial="02")),
        label_names=("device_id",),
    )
    samples = parse(render_prometheus(metrics))
    assert sorted(labels["device_id"] for labels, _ in samples["caiso_pki_certificate_valid"]) == [
        "",
        "RIG-7",
    ]


def test_exposition_grows_linearly_with_the_fleet() -> None:
    def size(count: int) -> int:
        certificates = tuple(_sample(serial=f"{i:08X}", path=f"fleet/{i:08d}.pem") for i in range(count))
        return len(
            render_prometheus(
                FleetMetrics(at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC), certificates=certificates)
            )
        )

    base = size(0)
    per_100 = size(100) - base
    assert size(400) - base == 4 * per_100  # same-width values: exactly linear


def test_snapshot_collector_reports_the_latest_snapshot() -> None:
    from prometheus_client import CollectorRegistry, generate_latest

    current = [FleetMetrics(at=dt.datetime(2025, 6, 1, tzinfo=dt.UTC), certificates=(_sample(),))]
    registry = CollectorRegistry()
    registry.register(SnapshotCollector(lambda: current[0]))  # type: ignore[arg-type]
    first = parse(generate_latest(registry).decode())
    current[0] = FleetMetrics(at=dt.datetime(2025, 6, 2, tzinfo=dt.UTC))
    second = parse(generate_latest(registry).decode())
    assert len(first["caiso_pki_certificate_valid"]) == 1
    assert "caiso_pki_certificate_valid" not in second
    assert (
        second["caiso_pki_audit_timestamp_seconds"][0][1]
        == dt.datetime(2025, 6, 2, tzinfo=dt.UTC).timestamp()
    )


def test_crl_freshness_of_a_file(tmp_path: Path, demo_pki: testing.DemoPki) -> None:
    path = tmp_path / "root.crl"
    path.write_bytes(demo_pki.root.crl())
    freshness = crl_freshness(path)
    assert freshness.issuer == demo_pki.root.certificate.subject.rfc4514
    assert freshness.source == str(path)
    assert freshness.next_update is not None
    assert freshness.next_update - freshness.this_update == dt.timedelta(days=7)


def test_an_unreadable_crl_is_a_read_error(tmp_path: Path, demo_pki: testing.DemoPki) -> None:
    bad = tmp_path / "bad.crl"
    bad.write_bytes(b"not a crl")
    leaf = demo_pki.issuing_ca.issue("rig").certificate
    report = audit_paths([_pem(tmp_path, leaf)], trust=demo_pki.trust_store(), revocation="off")
    metrics = fleet_metrics(report, crls=[bad])
    assert [error.path for error in metrics.read_errors] == [str(bad)]
    assert metrics.crls == ()


def _pem(directory: Path, cert: Certificate) -> Path:
    path = directory / "leaf.pem"
    path.write_text(cert.pem)
    return path


# -- wrong types are refused where the values are made, not when they are rendered -------------------

_AT = dt.datetime(2025, 6, 1, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("make", "error", "message"),
    [
        (lambda: _sample(subject=None), MalformedInputError, r"^CertificateSample\.subject: expected text"),
        (
            lambda: _sample(kind="server"),
            MalformedInputError,
            r"^CertificateSample\.kind: 'server' is not one",
        ),
        (lambda: _sample(valid=1), MalformedInputError, r"^CertificateSample\.valid: expected True or False"),
        (
            lambda: _sample(position=-1),
            MalformedInputError,
            r"^CertificateSample\.position: expected 0 or more",
        ),
        (lambda: _sample(not_after=dt.datetime(2026, 1, 1)), InvalidTimeError, r"not_after: .* is naive"),
        (lambda: _sample(labels={"owner": 7}), MalformedInputError, r"^labels\['owner'\]: expected text"),
        (lambda: _sample(labels=None), MalformedInputError, "^labels: expected a mapping"),
        (lambda: ReadError("x.pem", None), MalformedInputError, r"^ReadError\.reason: expected text"),
        (
            lambda: CrlFreshness("CN=y", "y.crl", _AT, "tomorrow"),
            InvalidTimeError,
            r"^CrlFreshness\.next_update: expected a datetime",
        ),
        (lambda: EndpointStatus("h:1", up=None), MalformedInputError, r"^EndpointStatus\.up: expected True"),
        (lambda: EndpointStatus("h:1", True, chain=[1]), MalformedInputError, r"^chain\[0\]: expected"),
        (
            lambda: EndpointStatus("h:1", True, checks=[("tls", "pass")]),
            MalformedInputError,
            r"^checks\[0\] passed: expected True or False",
        ),
        (lambda: FleetMetrics(at=None), InvalidTimeError, r"^FleetMetrics\.at: expected a datetime"),
        (lambda: FleetMetrics(_AT, certificates=None), MalformedInputError, "^certificates: expected a list"),
        (lambda: FleetMetrics(_AT, read_errors=["x"]), MalformedInputError, r"^read_errors\[0\]: expected"),
        (
            lambda: FleetMetrics(_AT, label_names=[1]),
            MalformedInputError,
            r"^label_names\[0\]: expected text",
        ),
        (lambda: FleetMetrics(_AT, files={"error": "2"}), MalformedInputError, r"^files\[0\] number"),
        (lambda: FleetMetrics(_AT, trust_anchors="1"), MalformedInputError, r"^FleetMetrics\.trust_anchors"),
    ],
)
def test_a_value_refuses_a_wrong_type_naming_the_field(
    make: Callable[[], object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        make()


def test_values_accept_what_callers_have() -> None:
    sample = _sample(labels=[("owner", "ops")])
    assert sample.labels == (("owner", "ops"),)
    metrics = FleetMetrics(_AT, certificates=[sample], files={"certificates": 1}, label_names="owner")
    assert metrics.certificates == (sample,)
    assert metrics.files == (("certificates", 1),)
    assert metrics.label_names == ("owner",)
    status = EndpointStatus("h:1", True, chain=[sample], checks=[["tls", True]])
    assert status.checks == (("tls", True),)


def test_fleet_metrics_checks_its_arguments(tmp_path: Path, demo_pki: testing.DemoPki) -> None:
    leaf = demo_pki.issuing_ca.issue("rig").certificate
    report = audit_paths([_pem(tmp_path, leaf)], trust=demo_pki.trust_store(), revocation="off")
    crl = tmp_path / "root.crl"
    crl.write_bytes(demo_pki.root.crl())
    # one path is one CRL, not a list of its letters
    assert [c.source for c in fleet_metrics(report, crls=str(crl)).crls] == [str(crl)]
    assert fleet_metrics(report, crls=str(crl)).read_errors == ()
    for kwargs, message in (
        ({"store": [demo_pki.root.certificate]}, "^store: expected a TrustStore"),
        ({"crls": [1]}, r"^crls\[0\]: expected CRL files"),
        ({"crls": None}, "^crls: expected a list of CRL files"),
        ({"inventory": "inventory.toml"}, "^inventory: expected an Inventory"),
        ({"read_errors": [("x", "y")]}, r"^read_errors\[0\]: expected"),
        ({"files": {"certificates": None}}, r"^files\[0\] number"),
    ):
        with pytest.raises(MalformedInputError, match=message):
            fleet_metrics(report, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(MalformedInputError, match=r"^report: expected an AuditReport"):
        fleet_metrics(report.to_dict())  # type: ignore[arg-type]


def test_snapshot_collector_and_rendering_check_what_they_are_given() -> None:
    with pytest.raises(MalformedInputError, match=r"^source: expected FleetMetrics or a function"):
        SnapshotCollector(None)  # type: ignore[arg-type]
    with pytest.raises(MalformedInputError, match=r"^extra: expected a function"):
        SnapshotCollector(FleetMetrics(_AT), extra=[])  # type: ignore[arg-type]
    collector = SnapshotCollector(lambda: None)  # type: ignore[arg-type,return-value]
    with pytest.raises(MalformedInputError, match=r"^source\(\): expected FleetMetrics, got None"):
        list(collector.collect())
    with pytest.raises(MalformedInputError, match=r"^metrics: expected FleetMetrics"):
        render_prometheus("caiso_pki_certificate_valid 1\n")  # type: ignore[arg-type]
