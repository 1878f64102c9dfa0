"""Building, describing, checking and renewing CSRs; openssl is the interop peer."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtensionOID
from tests.conftest import run_openssl

import caiso_pki
from caiso_pki import (
    Csr,
    Subject,
    build_csr,
    check_csr,
    generate_private_key,
    load_csr,
    renewal_csr,
    testing,
)
from caiso_pki.errors import (
    InvalidSubjectError,
    MalformedInputError,
    ProfileViolationError,
    UnsupportedAlgorithmError,
)

SUBJECT = "CN=rig-01.example.com,OU=Metering,O=Example Power,L=Folsom,ST=CA,C=US"


def openssl_verify_text(tmp_path: Path, csr: Csr) -> str:
    """``openssl req -verify -text`` on the CSR; fails the test when openssl does not verify it."""
    path = tmp_path / "request.csr"
    path.write_text(csr.pem)
    proc = subprocess.run(
        ["openssl", "req", "-in", str(path), "-noout", "-verify", "-text"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    # openssl 3.0 exits 0 even when the signature fails: read its verdict
    assert "self-signature verify OK" in proc.stdout + proc.stderr
    assert "failure" not in proc.stderr
    return proc.stdout


@pytest.mark.parametrize(
    ("spec", "signature"),
    [
        ("rsa-2048", "sha256WithRSAEncryption"),
        ("rsa-3072", "sha256WithRSAEncryption"),
        ("ec-p256", "ecdsa-with-SHA256"),
        ("ec-p384", "ecdsa-with-SHA384"),
    ],
)
def test_build_csr_every_key_spec(tmp_path: Path, spec: str, signature: str) -> None:
    key = generate_private_key(spec)
    csr = build_csr(key, SUBJECT, dns_names=["rig-01.example.com"], profile="rig")
    text = openssl_verify_text(tmp_path, csr)
    assert (
        "Subject: C = US, ST = CA, L = Folsom, O = Example Power, OU = Metering, CN = rig-01.example.com"
        in text
    )
    assert f"Signature Algorithm: {signature}" in text
    assert "DNS:rig-01.example.com" in text
    assert "TLS Web Server Authentication, TLS Web Client Authentication" in text
    # keyEncipherment is requested for RSA keys only
    assert ("Key Encipherment" in text) == spec.startswith("rsa")
    assert csr.signature_valid is True
    assert check_csr(csr, "rig") == ()


def test_every_requested_extension_shows_in_openssl(tmp_path: Path) -> None:
    key = generate_private_key("ec-p256")
    csr = build_csr(
        key,
        Subject(common_name="api.example.com", organization="Example", country="US", email="ops@example.com"),
        dns_names=["api.example.com", "api2.example.com"],
        ip_addresses=["192.0.2.10", "2001:db8::5"],
        uris=["https://participant.example.com/id"],
        emails=["ops@example.com"],
        key_usage=["digitalSignature", "keyAgreement"],
        extended_key_usage=["clientAuth", "1.3.6.1.4.1.311.20.2.2"],
        challenge_password="one-time-123",
    )
    text = openssl_verify_text(tmp_path, csr)
    assert "Subject: C = US, O = Example, CN = api.example.com, emailAddress = ops@example.com" in text
    for expected in (
        "DNS:api.example.com",
        "DNS:api2.example.com",
        "IP Address:192.0.2.10",
        "IP Address:2001:DB8:0:0:0:0:0:5",
        "URI:https://participant.example.com/id",
        "email:ops@example.com",
        "X509v3 Key Usage: critical",
        "Digital Signature, Key Agreement",
        "TLS Web Client Authentication, Microsoft Smartcard Login",
        "challengePassword",
    ):
        assert expected in text, expected
    described = csr.describe()
    assert described.challenge_password is True
    assert described.key_usage == ("digitalSignature", "keyAgreement")
    assert described.extended_key_usage == ("1.3.6.1.5.5.7.3.2", "1.3.6.1.4.1.311.20.2.2")
    assert described.subject_alt_names.ip == ("192.0.2.10", "2001:db8::5")
    # the challenge password is a secret: only its presence is reported
    assert "one-time-123" not in json.dumps(csr.to_dict())
    assert "one-time-123" not in repr(csr)


def test_no_profile_means_no_usage_extensions(tmp_path: Path) -> None:
    csr = build_csr(generate_private_key("ec-p256"), "CN=plain.example.com")
    text = openssl_verify_text(tmp_path, csr)
    assert "X509v3" not in text
    assert csr.key_usage is None
    assert csr.extended_key_usage is None


def test_describe_is_json_ready() -> None:
    csr = build_csr(
        generate_private_key("rsa-2048"), SUBJECT, dns_names=["rig-01.example.com"], profile="rig"
    )
    data = json.loads(json.dumps(load_csr(csr.pem).describe().to_dict()))
    assert data["subject"]["rfc4514"] == SUBJECT
    assert data["key"] == {"algorithm": "RSA", "size": 2048, "curve": None, "spec": "rsa-2048"}
    assert data["signature_valid"] is True
    assert data["signature_algorithm"] == "sha256WithRSAEncryption"
    assert data["subject_alt_names"]["dns"] == ["rig-01.example.com"]
    assert data["key_usage"] == ["digitalSignature", "keyEncipherment"]
    assert [e["name"] for e in data["extended_key_usage"]] == ["serverAuth", "clientAuth"]
    assert [e["name"] for e in data["requested_extensions"]] == [
        "subjectAltName",
        "keyUsage",
        "extendedKeyUsage",
    ]
    assert csr.to_dict() == csr.describe().to_dict()


def test_csr_value_semantics() -> None:
    csr = build_csr(generate_private_key("ec-p256"), "CN=a.example.com")
    again = caiso_pki.load_csr(csr.der)
    assert again == csr
    assert hash(again) == hash(csr)
    assert repr(csr) == "<Csr subject='CN=a.example.com'>"
    assert csr.subject.common_name == "a.example.com"
    assert isinstance(csr.x509, x509.CertificateSigningRequest)


def test_tampered_csr_fails_verification(tmp_path: Path) -> None:
    csr = build_csr(
        generate_private_key("rsa-2048"), SUBJECT, dns_names=["rig-01.example.com"], profile="rig"
    )
    der = bytearray(csr.der)
    # change one character of the CN inside the signed part: "rig-01" -> "rig-02"
    index = der.find(b"rig-01.example.com")
    der[index + 5] = ord("2")
    tampered = caiso_pki.load_csr(bytes(der))
    assert tampered.signature_valid is False
    codes = {finding.code for finding in check_csr(tampered, "rig")}
    assert "REQ-SIGNATURE" in codes
    path = tmp_path / "bad.csr"
    path.write_bytes(bytes(der))
    proc = subprocess.run(
        ["openssl", "req", "-inform", "DER", "-in", str(path), "-noout", "-verify"],
        capture_output=True,
        check=False,
    )
    # openssl 3.0 exits 0 here; the verdict is in its message
    assert b"verify failure" in proc.stdout + proc.stderr


def test_signature_valid_from_every_source_and_garbage_refused(tmp_path: Path) -> None:
    csr = build_csr(generate_private_key("ec-p256"), "CN=a.example.com")
    path = tmp_path / "a.csr"
    path.write_text(csr.pem)
    assert load_csr(path).signature_valid is True
    assert load_csr(str(path)).signature_valid is True
    assert load_csr(csr.der).signature_valid is True
    assert Csr(csr.x509).signature_valid is True
    with pytest.raises(MalformedInputError):
        load_csr(b"\x30\x03\x02\x01\x00")


def test_openssl_made_csr_is_loaded_and_checked(tmp_path: Path) -> None:
    run_openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", tmp_path / "k.pem")
    run_openssl(
        "req", "-new", "-key", tmp_path / "k.pem", "-sha256", "-out", tmp_path / "good.csr",
        "-subj", "/C=US/O=Example Power/CN=rig-07.example.com",
        "-addext", "subjectAltName=DNS:rig-07.example.com,IP:192.0.2.7",
        "-addext", "keyUsage=critical,digitalSignature",
        "-addext", "extendedKeyUsage=serverAuth,clientAuth",
    )  # fmt: skip
    assert check_csr(tmp_path / "good.csr", "rig") == ()
    described = load_csr(tmp_path / "good.csr").describe()
    assert described.key_spec == "ec-p256"
    assert described.subject_alt_names.ip == ("192.0.2.7",)

    run_openssl(
        "req", "-new", "-key", tmp_path / "k.pem", "-sha256", "-out", tmp_path / "bad.csr",
        "-subj", "/C=CA/CN=rig-08.example.com/emailAddress=ops@example.com",
        "-addext", "basicConstraints=critical,CA:TRUE",
    )  # fmt: skip
    codes = {finding.code for finding in check_csr(tmp_path / "bad.csr", "rig")}
    assert codes == {
        "REQ-SUBJECT-MISSING",
        "REQ-SUBJECT-FORBIDDEN",
        "REQ-SUBJECT-VALUE",
        "REQ-SAN-MISSING",
        "REQ-SAN-CN-NOT-IN-DNS",
        "REQ-SAN-COUNT",
        "REQ-KU-ABSENT",
        "REQ-EKU-ABSENT",
        "REQ-CA-REQUESTED",
    }


def test_profile_violation_lists_every_finding_and_signs_nothing() -> None:
    key = generate_private_key("ec-p256")
    with pytest.raises(ProfileViolationError) as info:
        build_csr(
            key, "CN=x,C=CA", dns_names=["*.example.com"], extended_key_usage=["codeSigning"], profile="rig"
        )
    codes = [finding.code for finding in info.value.findings]
    assert codes == [
        "REQ-SUBJECT-MISSING",
        "REQ-SUBJECT-VALUE",
        "REQ-SAN-WILDCARD",
        "REQ-SAN-CN-NOT-IN-DNS",
        "REQ-EKU-MISSING",
        "REQ-EKU-EXTRA",
    ]
    assert "rig" in str(info.value)


def test_bad_inputs_raise_caiso_errors() -> None:
    key = generate_private_key("ec-p256")
    with pytest.raises(InvalidSubjectError):
        build_csr(key, "CN=x,C=USA")
    with pytest.raises(InvalidSubjectError):
        build_csr(key, 42)  # type: ignore[arg-type]
    with pytest.raises(MalformedInputError, match="ip_addresses"):
        build_csr(key, "CN=x", ip_addresses=["999.1.1.1"])
    with pytest.raises(MalformedInputError, match="dns_names"):
        build_csr(key, "CN=x", dns_names=["bad name.example.com"])
    with pytest.raises(MalformedInputError, match="uris"):
        build_csr(key, "CN=x", uris=["no-scheme"])
    with pytest.raises(MalformedInputError, match="emails"):
        build_csr(key, "CN=x", emails=["nobody"])
    with pytest.raises(UnsupportedAlgorithmError):
        build_csr(key, "CN=x", key_usage=["everything"])
    with pytest.raises(caiso_pki.UnknownOidError):
        build_csr(key, "CN=x", extended_key_usage=["notAnEku"])
    with pytest.raises(UnsupportedAlgorithmError):
        build_csr(key.public_key(), "CN=x")  # type: ignore[arg-type]


# -- renewal ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def rig_cert() -> testing.IssuedCertificate:
    pki = testing.DemoPki.create()
    return pki.issuing_ca.issue(
        "rig", "rig-0042.example.com", dns_names=["rig-0042.example.com", "rig42.example.com"],
        ip_addresses=["192.0.2.42"], key_spec="rsa-2048",
    )  # fmt: skip


def _extension(csr: Csr, oid: x509.ObjectIdentifier) -> x509.ExtensionType:
    return csr.x509.extensions.get_extension_for_oid(oid).value


def test_renewal_with_the_same_key(tmp_path: Path, rig_cert: testing.IssuedCertificate) -> None:
    cert = rig_cert.certificate
    result = renewal_csr(cert, rig_cert.key)
    assert result.rekeyed is False
    assert result.key is rig_cert.key
    assert result.csr.x509.subject.public_bytes() == cert.x509.subject.public_bytes()
    assert (
        _extension(result.csr, ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
        == cert.x509.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
    )
    assert result.csr.extended_key_usage == cert.extended_key_usage
    assert result.csr.key_usage == cert.key_usage
    assert result.csr.public_key == cert.x509.public_key()
    text = openssl_verify_text(tmp_path, result.csr)
    assert "DNS:rig-0042.example.com, DNS:rig42.example.com, IP Address:192.0.2.42" in text
    assert check_csr(result.csr, "rig") == ()


def test_renewal_rekey_to_ec_drops_rsa_only_usage(
    tmp_path: Path, rig_cert: testing.IssuedCertificate
) -> None:
    result = renewal_csr(rig_cert.certificate.pem, None, new_key_spec="ec-p384")
    assert result.rekeyed is True
    assert isinstance(result.key, ec.EllipticCurvePrivateKey)
    assert result.csr.public_key == result.key.public_key()
    assert result.csr.key_usage == ("digitalSignature",)
    assert result.csr.x509.signature_hash_algorithm is not None
    assert isinstance(result.csr.x509.signature_hash_algorithm, hashes.SHA384)
    assert "key=" not in repr(result)
    assert "PRIVATE" not in repr(result)
    openssl_verify_text(tmp_path, result.csr)
    # the demo CA issues from our renewal CSR
    pki = testing.DemoPki.create()
    issued = pki.issuing_ca.issue_from_csr(result.csr, kind="rig")
    assert issued.certificate.subject.rfc4514 == rig_cert.certificate.subject.rfc4514
    assert issued.certificate.x509.public_key() == result.key.public_key()


def test_renewal_rekey_rsa_3072(rig_cert: testing.IssuedCertificate) -> None:
    result = renewal_csr(rig_cert.certificate, rig_cert.key, new_key_spec="rsa-3072")
    assert result.csr.key_spec is not None
    assert str(result.csr.key_spec) == "rsa-3072"
    assert result.csr.public_key != rig_cert.certificate.x509.public_key()


def test_renewal_refuses_someone_elses_key(rig_cert: testing.IssuedCertificate) -> None:
    with pytest.raises(MalformedInputError, match="does not belong"):
        renewal_csr(rig_cert.certificate, generate_private_key("rsa-2048"))
    with pytest.raises(MalformedInputError, match="needs the certificate's key"):
        renewal_csr(rig_cert.certificate, None)
