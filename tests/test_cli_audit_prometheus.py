"""``caiso-pki audit --format prometheus`` (and ``--fetch``): the metrics of the monitoring guide.

The output is read back with prometheus_client's own parser, so it must be valid text exposition; the
values are checked against the certificates and CRLs the demo PKI made.  ``--fetch`` runs against
:class:`caiso_pki._revocation_server.RevocationServer`, a real HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import urllib.request
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner, Result
from cryptography import x509
from prometheus_client.parser import text_string_to_metric_families

from caiso_pki import TrustStore, export_pkcs12, testing
from caiso_pki._revocation_server import RevocationServer
from caiso_pki.cli import main
from caiso_pki.monitoring import METRICS

Samples = dict[str, list[tuple[dict[str, str], float]]]
PFX_PASSWORD = "pfx-Passw0rd-for-the-audit"


def parse(text: str) -> Samples:
    """Every sample by name; prometheus_client's parser raises on text that is not valid exposition."""
    found: Samples = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return found


def one(samples: Samples, name: str, **labels: str) -> tuple[dict[str, str], float]:
    matching = [(got, value) for got, value in samples.get(name, []) if labels.items() <= got.items()]
    assert len(matching) == 1, (name, labels, samples.get(name))
    return matching[0]


@attrs.frozen
class Fleet:
    pki: testing.DemoPki
    certs: Path
    store: Path
    crls: tuple[Path, ...]
    password_file: Path
    valid: testing.IssuedCertificate
    expired: testing.IssuedCertificate
    revoked: testing.IssuedCertificate
    in_pfx: testing.IssuedCertificate

    def args(self, *extra: str | Path) -> list[str]:
        crls = [arg for crl in self.crls for arg in ("--crl", str(crl))]
        return ["audit", str(self.certs), "--store", str(self.store), *crls, *(str(e) for e in extra)]


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Fleet:
    """A folder with a valid, an expired and a revoked certificate, a damaged file and a PFX."""
    tmp_path = tmp_path_factory.mktemp("audit-prometheus")
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
    in_pfx = ca.issue("api-client", "api-in-a-pfx")
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / "valid.pem").write_text(valid.certificate.pem)
    (certs / "expired.pem").write_text(expired.certificate.pem)
    (certs / "revoked.der").write_bytes(revoked.certificate.der)
    (certs / "broken.pem").write_text("-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")
    (certs / "client.pfx").write_bytes(
        export_pkcs12(in_pfx.key, in_pfx.certificate, chain=list(in_pfx.chain), password=PFX_PASSWORD)
    )
    password_file = tmp_path / "pfx.pass"
    password_file.write_text(PFX_PASSWORD + "\n")
    crls = (tmp_path / "issuing.crl", tmp_path / "root.crl")
    crls[0].write_bytes(ca.crl())
    crls[1].write_bytes(pki.root.crl())
    store = tmp_path / "store"
    TrustStore.init(store)
    pki.trust_store().filter(label="caiso").save(store)
    return Fleet(pki, certs, store, crls, password_file, valid, expired, revoked, in_pfx)


def run(*args: str | Path) -> Result:
    return CliRunner().invoke(main, [str(arg) for arg in args])


@pytest.fixture(scope="module")
def samples(fleet: Fleet) -> Samples:
    result = run(
        *fleet.args(
            "--revocation", "require", "--password-file", fleet.password_file, "--format", "prometheus"
        )
    )
    assert result.exit_code == 1, result.output  # expired, revoked and unreadable: not clean
    return parse(result.stdout)


def test_every_audit_metric_of_the_contract_is_written(samples: Samples) -> None:
    for spec in METRICS:
        if spec.name.startswith("caiso_pki_endpoint"):
            continue  # an audit probes no endpoint
        assert spec.name in samples, spec.name


def test_a_valid_certificate(fleet: Fleet, samples: Samples) -> None:
    cert = fleet.valid.certificate
    labels, value = one(samples, "caiso_pki_certificate_valid", serial=cert.serial_hex)
    assert value == 1.0
    assert labels["code"] == ""
    assert labels["path"].endswith("valid.pem")
    assert labels["kind"] == "rig"
    assert labels["anchor_labels"] == "caiso"
    _, not_after = one(samples, "caiso_pki_certificate_not_after_timestamp_seconds", serial=cert.serial_hex)
    assert not_after == cert.not_after.timestamp()


def test_an_expired_certificate(fleet: Fleet, samples: Samples) -> None:
    labels, value = one(samples, "caiso_pki_certificate_valid", serial=fleet.expired.certificate.serial_hex)
    assert value == 0.0
    assert "expired" in labels["code"]


def test_a_revoked_certificate(fleet: Fleet, samples: Samples) -> None:
    labels, value = one(samples, "caiso_pki_certificate_valid", serial=fleet.revoked.certificate.serial_hex)
    assert value == 0.0
    assert labels["code"] == "revoked"
    assert labels["path"].endswith("revoked.der")


def test_an_unreadable_file(samples: Samples) -> None:
    (labels, value), *others = [
        (labels, value)
        for labels, value in samples["caiso_pki_read_errors"]
        if labels["path"].endswith(".pem")
    ]
    assert not others
    assert value == 1.0
    assert labels["path"].endswith("broken.pem")
    assert labels["reason"] and "broken.pem" not in labels["reason"]
    assert not any(labels["path"].endswith(".pfx") for labels, _ in samples["caiso_pki_read_errors"])


def test_a_pfx_read_with_its_password_file(fleet: Fleet, samples: Samples) -> None:
    cert = fleet.in_pfx.certificate
    labels, value = one(samples, "caiso_pki_certificate_valid", serial=cert.serial_hex)
    assert value == 1.0
    assert labels["path"].endswith("client.pfx")
    assert labels["kind"] == "api-client"
    text = run(
        *fleet.args(
            "--revocation", "require", "--password-file", fleet.password_file, "--format", "prometheus"
        )
    ).stdout
    assert PFX_PASSWORD not in text


def test_a_pfx_without_its_password_is_a_read_error(fleet: Fleet) -> None:
    result = run(*fleet.args("--revocation", "require", "--format", "prometheus"))
    assert result.exit_code == 1, result.output
    samples = parse(result.stdout)
    labels, value = one(samples, "caiso_pki_read_errors", path=str(fleet.certs / "client.pfx"))
    assert value == 1.0
    assert "password" in labels["reason"]
    assert fleet.in_pfx.certificate.serial_hex not in {
        labels["serial"] for labels, _ in samples["caiso_pki_certificate_valid"]
    }


def test_crl_freshness_anchors_and_files(fleet: Fleet, samples: Samples) -> None:
    issuer = fleet.pki.issuing_ca.certificate.subject.rfc4514
    labels, next_update = one(samples, "caiso_pki_crl_next_update_timestamp_seconds", issuer=issuer)
    assert labels["source"].endswith("issuing.crl")
    written = x509.load_der_x509_crl(fleet.crls[0].read_bytes()).next_update_utc
    assert written is not None and next_update == written.timestamp()
    assert len(samples["caiso_pki_crl_next_update_timestamp_seconds"]) == 2
    ((_, anchors),) = samples["caiso_pki_trust_store_anchors"]
    assert anchors == len(TrustStore.open(fleet.store).anchors())
    files = {labels["outcome"]: value for labels, value in samples["caiso_pki_files"]}
    assert files == {"certificates": 4.0, "error": 1.0}


def test_with_trust_instead_of_a_store_there_are_no_anchor_labels(fleet: Fleet, tmp_path: Path) -> None:
    root = tmp_path / "root.pem"
    root.write_text(fleet.pki.root.certificate.pem)
    issuing = tmp_path / "issuing.pem"
    issuing.write_text(fleet.pki.issuing_ca.certificate.pem)
    valid = fleet.certs / "valid.pem"
    result = run("audit", valid, issuing, "--trust", root, "--revocation", "off", "--format", "prometheus")
    assert result.exit_code == 0, result.output
    samples = parse(result.stdout)
    labels, value = one(samples, "caiso_pki_certificate_valid", serial=fleet.valid.certificate.serial_hex)
    assert value == 1.0 and labels["anchor_labels"] == ""
    assert "caiso_pki_trust_store_anchors" not in samples


def test_out_is_written_atomically_and_kept_without_force(fleet: Fleet, tmp_path: Path) -> None:
    out = tmp_path / "caiso_pki.prom"
    base = ["audit", fleet.certs / "valid.pem", "--store", fleet.store, "--revocation", "off"]
    first = run(*base, "--format", "prometheus", "--out", out)
    assert first.exit_code == 0, first.output
    assert "metrics written to" in first.stderr
    assert parse(out.read_text())["caiso_pki_certificate_valid"][0][1] == 1.0
    out.write_text("# the previous run\n")
    refused = run(*base, "--format", "prometheus", "--out", out)
    assert refused.exit_code == 2
    assert "--force" in refused.stderr
    assert out.read_text() == "# the previous run\n"
    replaced = run(*base, "--format", "prometheus", "--out", out, "--force")
    assert replaced.exit_code == 0, replaced.output
    assert "caiso_pki_certificate_valid{" in out.read_text()
    assert not [name for name in tmp_path.iterdir() if name.name != out.name]  # no temporary file left


# -- --fetch ---------------------------------------------------------------------------------------


def test_fetch_reports_the_fetched_crl_and_finds_a_revoked_certificate(tmp_path: Path) -> None:
    with RevocationServer() as server:
        pki = testing.DemoPki.create(base_url=server.base_url)
        server.serve(pki)
        server.override("/ocsp", b"", status=503)  # no OCSP answer: revocation comes from the CRLs
        good = pki.issuing_ca.issue("rig", "rig-0002.example.com")
        revoked = pki.issuing_ca.issue("rig", "rig-0003.example.com")
        pki.issuing_ca.revoke(revoked)
        certs = tmp_path / "certs"
        certs.mkdir()
        (certs / "good.pem").write_text(good.certificate.pem)
        (certs / "revoked.pem").write_text(revoked.certificate.pem)
        store = tmp_path / "store"
        TrustStore.init(store)
        pki.trust_store().filter(label="caiso").save(store)
        result = run(
            "audit", certs, "--store", store, "--revocation", "require", "--fetch", "--timeout", "5",
            "--format", "prometheus",
        )  # fmt: skip
        with urllib.request.urlopen(pki.issuing_ca.crl_url, timeout=5) as answer:
            served = x509.load_der_x509_crl(answer.read())
        crl_path = pki.issuing_ca.crl_url.removeprefix(server.base_url)
        assert crl_path in server.requests
    assert result.exit_code == 1, result.output  # one certificate is revoked
    samples = parse(result.stdout)
    issuer = pki.issuing_ca.certificate.subject.rfc4514
    labels, next_update = one(samples, "caiso_pki_crl_next_update_timestamp_seconds", issuer=issuer)
    assert labels["source"] == pki.issuing_ca.crl_url
    assert served.next_update_utc is not None
    assert next_update == served.next_update_utc.timestamp()
    _, this_update = one(samples, "caiso_pki_crl_this_update_timestamp_seconds", issuer=issuer)
    assert this_update == served.last_update_utc.timestamp()
    labels, value = one(samples, "caiso_pki_certificate_valid", serial=revoked.certificate.serial_hex)
    assert value == 0.0 and labels["code"] == "revoked"
    _, value = one(samples, "caiso_pki_certificate_valid", serial=good.certificate.serial_hex)
    assert value == 1.0
