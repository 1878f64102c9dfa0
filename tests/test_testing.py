"""The public test PKI: shape of the hierarchies, issuing, revocation, CRLs, OCSP and the HTTP server."""

from __future__ import annotations

import datetime as dt
import stat
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.x509 import ocsp
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from caiso_pki import testing
from caiso_pki._forge import raw_extension, resign
from caiso_pki._revocation_server import RevocationServer
from caiso_pki.certificate import Certificate
from caiso_pki.errors import CaisoPkiError
from caiso_pki.oids import DEMO_BASIC_ASSURANCE_POLICY


def test_hierarchies_have_the_caiso_shape(demo_pki: testing.DemoPki) -> None:
    root = demo_pki.root.certificate
    issuing = demo_pki.issuing_ca.certificate
    assert root.is_self_issued and root.is_ca
    assert issuing.issuer == root.subject
    assert issuing.is_ca and issuing.path_length == 0
    assert issuing.policy_oids == (DEMO_BASIC_ASSURANCE_POLICY,)
    assert issuing.policies[0].cps_uris == (testing.DEMO_CPS_URL,)
    assert demo_pki.entrust_intermediate.certificate.issuer == demo_pki.entrust_root.certificate.subject
    assert demo_pki.retired_issuing_ca.certificate.issuer == demo_pki.retired_root.certificate.subject
    assert demo_pki.retired_root.certificate.not_before < testing.CYBERTRUST_END_OF_LIFE
    assert demo_pki.trust_anchors == (root, demo_pki.entrust_root.certificate)


@pytest.mark.parametrize(
    ("kind", "ekus"),
    [
        ("rig", {ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH}),
        ("dpg", {ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH}),
        ("iccp", {ExtendedKeyUsageOID.CLIENT_AUTH, ExtendedKeyUsageOID.SERVER_AUTH}),
        ("api-client", {ExtendedKeyUsageOID.CLIENT_AUTH}),
        ("server", {ExtendedKeyUsageOID.SERVER_AUTH}),
        ("ocsp-responder", {ExtendedKeyUsageOID.OCSP_SIGNING}),
    ],
)
def test_issue_kinds(
    demo_pki: testing.DemoPki, kind: testing.LeafKind, ekus: set[x509.ObjectIdentifier]
) -> None:
    issued = demo_pki.issuing_ca.issue(kind, "device-7.example.com")
    cert = issued.certificate
    assert set(cert.extended_key_usage) == {oid.dotted_string for oid in ekus}
    assert not cert.is_ca
    assert cert.policy_oids == (DEMO_BASIC_ASSURANCE_POLICY,)
    assert cert.crl_distribution_points == (demo_pki.issuing_ca.crl_url,)
    assert cert.ocsp_urls == (demo_pki.issuing_ca.ocsp_url,)
    assert issued.chain == (demo_pki.issuing_ca.certificate,)
    assert issued.root == demo_pki.root.certificate
    assert "PRIVATE" not in repr(issued)


def test_openssl_accepts_the_demo_chain(demo_pki: testing.DemoPki, tmp_path: Path, openssl_bin: str) -> None:
    leaf = demo_pki.issuing_ca.issue("rig", "rig-42.example.com")
    (tmp_path / "root.pem").write_text(demo_pki.root.certificate.pem)
    (tmp_path / "chain.pem").write_text(demo_pki.issuing_ca.certificate.pem)
    (tmp_path / "leaf.pem").write_text(leaf.certificate.pem)
    run = subprocess.run(
        [
            openssl_bin,
            "verify",
            "-CAfile",
            "root.pem",
            "-untrusted",
            "chain.pem",
            "-policy",
            DEMO_BASIC_ASSURANCE_POLICY,
            "-explicit_policy",
            "-purpose",
            "sslclient",
            "leaf.pem",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr


def test_issue_from_csr_keeps_subject_key_and_sans(demo_pki: testing.DemoPki) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "dpg-9.example.com")]))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("dpg-9.example.com")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    issued = demo_pki.issuing_ca.issue_from_csr(csr, kind="dpg")
    assert issued.key is None
    assert issued.certificate.subject.common_name == "dpg-9.example.com"
    assert issued.certificate.subject_alt_names.dns == ("dpg-9.example.com",)
    assert issued.certificate.x509.public_key() == key.public_key()


def test_revocation_shows_in_crl_and_ocsp(fresh_pki: testing.DemoPki) -> None:
    ca = fresh_pki.issuing_ca
    good = ca.issue("api-client", "client-good")
    bad = ca.issue("api-client", "client-bad")
    ca.revoke(bad, reason="keyCompromise")
    crl = x509.load_der_x509_crl(ca.crl())
    assert crl.is_signature_valid(ca.certificate.x509.public_key())  # type: ignore[arg-type]
    entry = crl.get_revoked_certificate_by_serial_number(bad.certificate.serial_number)
    assert entry is not None
    assert (
        entry.extensions.get_extension_for_class(x509.CRLReason).value.reason
        == x509.ReasonFlags.key_compromise
    )
    assert crl.get_revoked_certificate_by_serial_number(good.certificate.serial_number) is None

    for issued, status in ((good, ocsp.OCSPCertStatus.GOOD), (bad, ocsp.OCSPCertStatus.REVOKED)):
        request = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(issued.certificate.x509, ca.certificate.x509, hashes.SHA256())
            .build()
        )
        response = ocsp.load_der_ocsp_response(
            ca.ocsp_response(request.public_bytes(serialization.Encoding.DER))
        )
        assert response.response_status == ocsp.OCSPResponseStatus.SUCCESSFUL
        assert response.certificate_status == status
        assert response.serial_number == issued.certificate.serial_number


def test_ocsp_for_unknown_certificate_is_unauthorized(
    fresh_pki: testing.DemoPki, demo_pki: testing.DemoPki
) -> None:
    stranger = demo_pki.issuing_ca.issue("api-client", "stranger")
    response = ocsp.load_der_ocsp_response(fresh_pki.issuing_ca.ocsp_response(cert=stranger.certificate))
    assert response.response_status == ocsp.OCSPResponseStatus.UNAUTHORIZED


def test_revocation_server_serves_crl_ocsp_and_ca_certificates() -> None:
    with RevocationServer() as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        pki = testing.DemoPki.create(base_url=server.base_url)
        server.serve(pki)
        leaf = pki.issuing_ca.issue("rig", "rig-1.example.com")
        pki.issuing_ca.revoke(leaf, reason="superseded")
        with urllib.request.urlopen(leaf.certificate.crl_distribution_points[0], timeout=5) as reply:
            crl = x509.load_der_x509_crl(reply.read())
        assert crl.get_revoked_certificate_by_serial_number(leaf.certificate.serial_number) is not None
        request = (
            ocsp.OCSPRequestBuilder()
            .add_certificate(leaf.certificate.x509, pki.issuing_ca.certificate.x509, hashes.SHA1())
            .build()
        )
        post = urllib.request.Request(
            leaf.certificate.ocsp_urls[0],
            data=request.public_bytes(serialization.Encoding.DER),
            headers={"Content-Type": "application/ocsp-request"},
        )
        with urllib.request.urlopen(post, timeout=5) as reply:
            response = ocsp.load_der_ocsp_response(reply.read())
        assert response.certificate_status == ocsp.OCSPCertStatus.REVOKED
        assert response.revocation_reason == x509.ReasonFlags.superseded
        with urllib.request.urlopen(leaf.certificate.ca_issuers_urls[0], timeout=5) as reply:
            assert reply.read() == pki.issuing_ca.certificate.der
        assert server.requests == ["/crl/caiso-issuing.crl", "/ocsp/caiso-issuing", "/ca/caiso-issuing.cer"]


def test_write_creates_files_with_private_keys_0600(demo_pki: testing.DemoPki, tmp_path: Path) -> None:
    paths = demo_pki.write(tmp_path / "demo")
    assert stat.S_IMODE(paths["caiso-issuing.key"].stat().st_mode) == 0o600
    assert "BEGIN CERTIFICATE" in paths["caiso-root.pem"].read_text()
    crl = x509.load_der_x509_crl(paths["caiso-issuing.crl"].read_bytes())
    assert crl.issuer == demo_pki.issuing_ca.certificate.x509.subject


def test_broken_variants_and_bad_input(demo_pki: testing.DemoPki) -> None:
    expired = demo_pki.issuing_ca.issue(
        "rig",
        "old.example.com",
        not_before=demo_pki.now - dt.timedelta(days=400),
        validity=dt.timedelta(days=30),
    )
    assert not expired.certificate.is_valid_at(demo_pki.now)
    no_policy = demo_pki.issuing_ca.issue("rig", "nopolicy.example.com", policies=())
    assert no_policy.certificate.policies == ()
    with pytest.raises(CaisoPkiError):
        demo_pki.issuing_ca.revoke(no_policy, reason="because")
    with pytest.raises(CaisoPkiError):
        demo_pki.issuing_ca.issue("rig", "x.example.com", key_spec="rsa-512")
    with pytest.raises(CaisoPkiError):
        demo_pki.issuing_ca.issue("rig", "x.example.com", not_before=dt.datetime(2030, 1, 1))


def test_trust_store_holds_every_hierarchy(demo_pki: testing.DemoPki) -> None:
    store = demo_pki.trust_store()
    assert len(store) == 6
    assert set(store.anchors()) == {
        demo_pki.root.certificate,
        demo_pki.entrust_root.certificate,
        demo_pki.retired_root.certificate,
    }
    retired = store.get(demo_pki.retired_root.certificate.fingerprint_sha256)
    assert retired.distrust_after == testing.CYBERTRUST_END_OF_LIFE
    assert {entry.certificate for entry in store.filter(labels={"rig"})} == {
        demo_pki.entrust_root.certificate,
        demo_pki.entrust_intermediate.certificate,
    }


# -- re-signing edited certificates (raw DER) -----------------------------------------------------


def _verifies(cert: Certificate, issuer_key: Any) -> bool:
    from cryptography.exceptions import InvalidSignature

    try:
        issuer_key.public_key().verify(
            cert.asn1["signature_value"].native,
            cert.asn1["tbs_certificate"].dump(),
            *(
                (ec.ECDSA(hashes.SHA256()),)
                if isinstance(issuer_key, ec.EllipticCurvePrivateKey)
                else (padding.PKCS1v15(), hashes.SHA256())
            ),
        )
    except InvalidSignature:
        return False
    return True


def test_resign_without_edit_is_the_same_certificate(demo_pki: testing.DemoPki) -> None:
    issuing = demo_pki.issuing_ca
    issued = issuing.issue("rig", "same.example.com")
    again = issuing.resign(issued)
    # RSA PKCS#1 v1.5 signatures are deterministic: nothing changed, not even the signature
    assert again.der == issued.certificate.der


def test_resign_mints_what_the_builder_refuses(demo_pki: testing.DemoPki) -> None:
    from asn1crypto import core

    issuing = demo_pki.issuing_ca
    issued = issuing.issue("rig", "zero.example.com")

    def defects(tbs: Any) -> None:
        tbs["serial_number"] = core.Integer(contents=b"\x00")
        san = next(e for e in tbs["extensions"] if e["extn_id"].dotted == "2.5.29.17")
        tbs["extensions"] = [*tbs["extensions"], san.copy(), raw_extension("2.5.29.37", b"\x30\x00")]

    broken = issuing.resign(issued, defects)
    tbs = broken.asn1["tbs_certificate"]
    assert tbs["serial_number"].contents == b"\x00"
    oids = [e["extn_id"].dotted for e in tbs["extensions"]]
    assert oids.count("2.5.29.17") == 2 and oids.count("2.5.29.37") == 2
    assert _verifies(broken, issuing.key)
    assert issuing.issued[0] == broken  # recorded like anything the CA issues


def test_resign_takes_raw_der_and_any_key(demo_pki: testing.DemoPki) -> None:
    issued = demo_pki.issuing_ca.issue("rig", "raw.example.com")
    other = ec.generate_private_key(ec.SECP256R1())
    tbs_der = issued.certificate.asn1["tbs_certificate"].dump()

    def sha256_ecdsa(tbs: Any) -> bytes:
        tbs["signature"] = {"algorithm": "sha256_ecdsa"}
        return bytes(tbs.dump())

    cert = resign(issued, other, sha256_ecdsa)
    assert cert.asn1["signature_algorithm"]["algorithm"].native == "sha256_ecdsa"
    assert cert.asn1["tbs_certificate"]["signature"].dump() == cert.asn1["signature_algorithm"].dump()
    assert _verifies(cert, other)
    assert cert.asn1["tbs_certificate"].dump() != tbs_der  # the algorithm field changed


def test_raw_extension_keeps_bytes_that_are_not_der() -> None:
    extension = raw_extension("subjectAltName", b"\x30\x05\x82\x03ab", critical=True)
    assert extension["extn_id"].dotted == "2.5.29.17"
    assert extension["critical"].native is True
    assert extension.dump().endswith(b"\x04\x06\x30\x05\x82\x03ab")  # asn1crypto would refuse to parse it


def test_resign_refuses_an_edit_that_is_not_a_certificate(demo_pki: testing.DemoPki) -> None:
    issued = demo_pki.issuing_ca.issue("rig", "junk.example.com")
    with pytest.raises(CaisoPkiError, match="does not parse"):
        demo_pki.issuing_ca.resign(issued, lambda tbs: b"\x30\x03\x02\x01")
