"""Endpoint probes of the fleet monitor against real mutual-TLS servers on 127.0.0.1.

The server asks for a client certificate without requiring one and records, for each handshake,
whether the client presented one, so the tests can tell when a credential was sent.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from _mtls import context_for, serving
from caiso_pki import ClientCredential, testing
from caiso_pki.exposition import render_prometheus
from caiso_pki.fleet_scan import FleetMonitor
from caiso_pki.monitoring import EndpointStatus
from caiso_pki.testing import IssuedCertificate
from caiso_pki.truststore import TrustStore


@pytest.fixture(scope="module")
def pki() -> testing.DemoPki:
    return testing.DemoPki.create()


def server_cert(ca: testing.CertificateAuthority, name: str = "localhost") -> IssuedCertificate:
    return ca.issue("server", name, dns_names=["localhost"], ip_addresses=["127.0.0.1"])


def probe(monitor: FleetMonitor, store: TrustStore) -> EndpointStatus:
    (status,) = monitor.scan(trust=store).endpoints
    return status


def test_probe_reports_the_chain_expiry_and_chain_info(tmp_path: Path, pki: testing.DemoPki) -> None:
    server = server_cert(pki.issuing_ca)
    store = pki.trust_store()
    with serving(context_for(server, [pki.root.certificate])) as tls:
        monitor = FleetMonitor([tmp_path], endpoints=[tls.endpoint], timeout=5)
        metrics = monitor.scan(trust=store)
    (status,) = metrics.endpoints
    assert status.up
    assert [sample.position for sample in status.chain] == [0, 1]
    leaf, intermediate = status.chain
    assert leaf.valid and leaf.code == "" and leaf.endpoint == tls.endpoint
    assert leaf.not_after == server.certificate.not_after
    assert intermediate.valid and intermediate.kind == "ca"
    assert intermediate.not_after == pki.issuing_ca.certificate.not_after
    assert status.issuer == pki.issuing_ca.certificate.subject.rfc4514
    assert status.root == pki.root.certificate.subject.rfc4514
    assert status.fingerprint_sha256 == server.certificate.fingerprint_sha256
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(render_prometheus(metrics))
        for sample in family.samples
    }
    info = [
        dict(labels)
        for (name, labels), value in samples.items()
        if name == "caiso_pki_endpoint_chain_info" and value == 1
    ]
    assert info == [
        {
            "endpoint": tls.endpoint,
            "fingerprint_sha256": server.certificate.fingerprint_sha256,
            "issuer": pki.issuing_ca.certificate.subject.rfc4514,
            "root": pki.root.certificate.subject.rfc4514,
        }
    ]
    assert samples[("caiso_pki_endpoint_up", (("endpoint", tls.endpoint),))] == 1.0
    expiry = [
        (dict(labels), value)
        for (name, labels), value in samples.items()
        if name == "caiso_pki_certificate_not_after_timestamp_seconds"
        and dict(labels)["endpoint"] == tls.endpoint
    ]
    assert {(labels["position"], value) for labels, value in expiry} == {
        ("0", server.certificate.not_after.timestamp()),
        ("1", pki.issuing_ca.certificate.not_after.timestamp()),
    }


def test_a_reissued_chain_under_another_ca_changes_the_chain_info(
    tmp_path: Path, pki: testing.DemoPki
) -> None:
    caiso = server_cert(pki.issuing_ca)
    entrust = server_cert(pki.entrust_intermediate)
    store = pki.trust_store()
    with serving(context_for(caiso, [pki.root.certificate])) as tls:
        monitor = FleetMonitor([tmp_path], endpoints=[tls.endpoint], timeout=5)
        before = probe(monitor, store)
        tls.context = context_for(entrust, [pki.root.certificate])  # the operator moved to another CA
        after = probe(monitor, store)
    assert before.chain[0].valid and after.chain[0].valid
    assert (before.issuer, before.root) == (
        pki.issuing_ca.certificate.subject.rfc4514,
        pki.root.certificate.subject.rfc4514,
    )
    assert (after.issuer, after.root) == (
        pki.entrust_intermediate.certificate.subject.rfc4514,
        pki.entrust_root.certificate.subject.rfc4514,
    )
    assert after.fingerprint_sha256 == entrust.certificate.fingerprint_sha256 != before.fingerprint_sha256


def test_the_client_certificate_goes_to_a_server_whose_chain_passes(
    tmp_path: Path, pki: testing.DemoPki
) -> None:
    client = pki.issuing_ca.issue("api-client", "api-client-01")
    credential = ClientCredential(client.certificate, client.key, client.chain)
    with serving(context_for(server_cert(pki.issuing_ca), [pki.root.certificate])) as tls:
        monitor = FleetMonitor([tmp_path], endpoints=[tls.endpoint], client=credential, timeout=5)
        status = probe(monitor, pki.trust_store())
    assert status.up and status.chain[0].valid
    assert True in tls.presented
    assert dict(status.checks)["client-auth"] is True


def test_a_server_whose_chain_fails_gets_no_client_certificate(tmp_path: Path, pki: testing.DemoPki) -> None:
    stranger = testing.DemoPki.create()  # a CA the store does not hold
    client = pki.issuing_ca.issue("api-client", "api-client-02")
    credential = ClientCredential(client.certificate, client.key, client.chain)
    with serving(context_for(server_cert(stranger.issuing_ca), [pki.root.certificate])) as tls:
        monitor = FleetMonitor([tmp_path], endpoints=[tls.endpoint], client=credential, timeout=5)
        status = probe(monitor, pki.trust_store())
    assert status.chain and not status.chain[0].valid and status.chain[0].code
    assert True not in tls.presented  # no handshake went on with our certificate


def test_an_unreachable_endpoint_is_down_without_chain_info(tmp_path: Path, pki: testing.DemoPki) -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
        endpoint = f"127.0.0.1:{closed.getsockname()[1]}"
        monitor = FleetMonitor([tmp_path], endpoints=[endpoint], timeout=2)
        metrics = monitor.scan(trust=pki.trust_store())
    (status,) = metrics.endpoints
    assert not status.up
    assert status.chain == () and status.fingerprint_sha256 == ""
    assert dict(status.checks)["tls"] is False
    names = {
        family.name for family in text_string_to_metric_families(render_prometheus(metrics)) if family.samples
    }
    assert "caiso_pki_endpoint_chain_info" not in names


def test_an_endpoint_connect_refuses_is_a_read_error_not_a_failed_scan(
    tmp_path: Path, pki: testing.DemoPki
) -> None:
    monitor = FleetMonitor([tmp_path], endpoints=["bad host:8443"], timeout=2)
    metrics = monitor.scan(trust=pki.trust_store())
    (status,) = metrics.endpoints
    assert not status.up
    assert [error.path for error in metrics.read_errors] == ["bad host:8443"]
