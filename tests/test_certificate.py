"""The certificate model: every view on openssl-made RSA and EC certificates, PKITS, the fallback."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import pytest

from caiso_pki.certificate import (
    Certificate,
    DistinguishedName,
    PolicyInformation,
    UnsupportedCertificateError,
    UserNotice,
    ensure_aware,
    load_certificate,
    load_certificates,
)
from caiso_pki.errors import CaisoPkiError, InvalidTimeError, MalformedInputError
from caiso_pki.revocation_data import load_crl
from conftest import OpensslMaterial

UTC = dt.UTC


def _openssl(path: Path, *args: str) -> str:
    return subprocess.run(
        ["openssl", "x509", "-in", str(path), "-noout", *args], capture_output=True, check=True, text=True
    ).stdout


def _openssl_date(text: str) -> dt.datetime:
    return dt.datetime.strptime(text.strip(), "%b %d %H:%M:%S %Y GMT").replace(tzinfo=UTC)


@pytest.fixture(scope="module")
def leaf(openssl_material: OpensslMaterial) -> Certificate:
    return load_certificate(openssl_material.leaf_pem)


@pytest.fixture(scope="module")
def ca(openssl_material: OpensslMaterial) -> Certificate:
    return load_certificate(openssl_material.ca_pem)


@pytest.fixture(scope="module")
def ec_cert(openssl_material: OpensslMaterial) -> Certificate:
    return load_certificate(openssl_material.ec_pem)


def test_names(leaf: Certificate, ca: Certificate) -> None:
    assert leaf.subject.rfc4514 == "CN=rig-0001.example.com,OU=Metering,OU=RIG,O=Demo Participant,C=US"
    assert leaf.subject.common_name == "rig-0001.example.com"
    assert leaf.subject.organization == "Demo Participant"
    assert leaf.subject.organizational_units == ["RIG", "Metering"]
    assert leaf.subject.get("OU") == ["RIG", "Metering"] == leaf.subject.get("2.5.4.11")
    assert leaf.subject.country == "US"
    assert leaf.subject.get("L") == []
    assert str(leaf.issuer) == "CN=OpenSSL Test CA,O=OpenSSL Test,C=US"
    assert leaf.issuer == ca.subject
    assert not leaf.is_self_issued
    assert ca.is_self_issued


def test_serial_and_validity_match_openssl(openssl_material: OpensslMaterial, leaf: Certificate) -> None:
    assert leaf.serial_hex == _openssl(openssl_material.leaf_pem, "-serial").strip().split("=")[1]
    assert leaf.serial_hex == "A1B2C3D4E5F60718"
    assert leaf.serial_number == 0xA1B2C3D4E5F60718
    dates = dict(line.split("=", 1) for line in _openssl(openssl_material.leaf_pem, "-dates").splitlines())
    assert leaf.not_before == _openssl_date(dates["notBefore"])
    assert leaf.not_after == _openssl_date(dates["notAfter"])
    assert leaf.not_before.tzinfo is not None and leaf.not_before.utcoffset() == dt.timedelta(0)
    assert leaf.not_after - leaf.not_before == dt.timedelta(days=397)


def test_days_remaining_and_is_valid_at(leaf: Certificate) -> None:
    start, end = leaf.not_before, leaf.not_after
    assert leaf.days_remaining(start) == 397
    assert leaf.days_remaining(end) == 0
    assert leaf.days_remaining(end + dt.timedelta(seconds=1)) == -1
    assert leaf.days_remaining(end - dt.timedelta(days=10, hours=1)) == 10
    assert leaf.is_valid_at(start) and leaf.is_valid_at(end)
    assert not leaf.is_valid_at(start - dt.timedelta(seconds=1))
    assert not leaf.is_valid_at(end + dt.timedelta(seconds=1))
    # Other time zones are converted, not misread.
    pacific = dt.timezone(dt.timedelta(hours=-8))
    assert leaf.is_valid_at(start.astimezone(pacific))
    assert leaf.days_remaining(start.astimezone(pacific)) == 397
    assert isinstance(leaf.days_remaining(), int)


@pytest.mark.parametrize("method", ["days_remaining", "is_valid_at"])
@pytest.mark.parametrize(
    "value", [dt.datetime(2027, 1, 1), dt.date(2027, 1, 1), "2027-01-01T00:00:00Z", 1_800_000_000]
)
def test_time_views_reject_naive_and_non_datetimes(leaf: Certificate, method: str, value: object) -> None:
    with pytest.raises(InvalidTimeError, match="at"):
        getattr(leaf, method)(value)


def test_ensure_aware() -> None:
    now = ensure_aware(None)
    assert now.tzinfo is UTC
    tokyo = dt.datetime(2030, 1, 1, 9, tzinfo=dt.timezone(dt.timedelta(hours=9)))
    assert ensure_aware(tokyo) == dt.datetime(2030, 1, 1, 0, tzinfo=UTC)
    assert ensure_aware(tokyo).tzinfo is UTC
    with pytest.raises(InvalidTimeError, match="naive"):
        ensure_aware(dt.datetime(2030, 1, 1), what="not_after")


def test_fingerprints_match_openssl(openssl_material: OpensslMaterial, leaf: Certificate) -> None:
    sha256 = _openssl(openssl_material.leaf_pem, "-fingerprint", "-sha256").split("=", 1)[1]
    sha1 = _openssl(openssl_material.leaf_pem, "-fingerprint", "-sha1").split("=", 1)[1]
    assert leaf.fingerprint_sha256 == sha256.strip().replace(":", "").lower()
    assert leaf.fingerprint_sha1 == sha1.strip().replace(":", "").lower()


def test_rsa_key_and_signature(leaf: Certificate) -> None:
    assert leaf.key_algorithm == "RSA"
    assert leaf.key_size == 2048
    assert leaf.key_curve is None
    assert leaf.signature_algorithm == "sha256WithRSAEncryption"
    assert leaf.signature_algorithm_oid == "1.2.840.113549.1.1.11"


def test_ec_certificate(ec_cert: Certificate, openssl_material: OpensslMaterial) -> None:
    assert ec_cert.key_algorithm == "EC"
    assert ec_cert.key_size == 256
    assert ec_cert.key_curve == "secp256r1"
    assert ec_cert.signature_algorithm == "ecdsa-with-SHA384"
    assert ec_cert.subject_alt_names.dns == ("ec.example.com",)
    assert ec_cert.key_usage == ("digitalSignature",)
    assert ec_cert.extended_key_usage == ()
    assert ec_cert.policies == ()
    assert ec_cert.crl_distribution_points == ()
    assert ec_cert.ocsp_urls == () and ec_cert.ca_issuers_urls == ()
    assert ec_cert.is_self_issued
    assert ec_cert.not_after - ec_cert.not_before == dt.timedelta(days=30)
    serial = _openssl(openssl_material.ec_pem, "-serial").strip().split("=")[1]
    assert ec_cert.serial_hex == serial


def test_ca_constraints(ca: Certificate, leaf: Certificate) -> None:
    assert ca.is_ca and ca.path_length == 1
    assert ca.key_usage == ("keyCertSign", "cRLSign")
    assert not leaf.is_ca and leaf.path_length is None
    assert leaf.authority_key_identifier == ca.subject_key_identifier
    assert ca.subject_key_identifier is not None and len(ca.subject_key_identifier) == 40


def test_leaf_extensions(leaf: Certificate) -> None:
    assert leaf.key_usage == ("digitalSignature", "keyEncipherment")
    assert leaf.extended_key_usage == ("1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2", "1.3.6.1.4.1.311.20.2.2")
    sans = leaf.subject_alt_names
    assert sans.dns == ("rig-0001.example.com", "alt.example.com")
    assert sans.ip == ("127.0.0.1", "2001:db8::1")
    assert sans.email == ("ops@example.com",)
    assert sans.uri == ("https://participant.example.com/id",)
    assert sans and not sans.directory and not sans.other
    assert leaf.policies == (
        PolicyInformation(
            oid="2.999.2008.1.1",
            cps_uris=("https://pki.example.com/cps",),
            user_notices=(
                UserNotice(
                    explicit_text="Demo Basic Assurance",
                    organization="Demo California ISO",
                    notice_numbers=(1, 2),
                ),
            ),
        ),
        PolicyInformation(oid="2.999.2008.1.2"),
    )
    assert leaf.policy_oids == ("2.999.2008.1.1", "2.999.2008.1.2")
    assert leaf.policies[0].name == "demoBasicAssurance"
    assert leaf.crl_distribution_points == ("http://127.0.0.1:8080/issuing.crl",)
    assert leaf.ocsp_urls == ("http://127.0.0.1:8080/ocsp",)
    assert leaf.ca_issuers_urls == ("http://127.0.0.1:8080/issuing.cer",)
    assert ("2.5.29.15", True) in leaf.extension_oids
    assert ("2.5.29.17", False) in leaf.extension_oids
    assert len(leaf.extension_oids) == 9


def test_key_identifiers_match_openssl(openssl_material: OpensslMaterial, leaf: Certificate) -> None:
    text = _openssl(openssl_material.leaf_pem, "-ext", "subjectKeyIdentifier,authorityKeyIdentifier")
    hex_lines = [line.strip() for line in text.splitlines() if ":" in line and "X509v3" not in line]
    values = [line.removeprefix("keyid:").replace(":", "").lower() for line in hex_lines]
    assert leaf.subject_key_identifier in values
    assert leaf.authority_key_identifier in values


def test_to_dict_is_json_ready(leaf: Certificate) -> None:
    data = json.loads(json.dumps(leaf.to_dict()))
    assert data["serial"] == "A1B2C3D4E5F60718"
    assert data["not_after"].endswith("Z")
    assert data["subject"]["rfc4514"] == leaf.subject.rfc4514
    assert data["extended_key_usage"][0] == {"oid": "1.3.6.1.5.5.7.3.1", "name": "serverAuth"}
    assert data["policies"][0]["user_notices"][0]["notice_numbers"] == [1, 2]
    assert data["subject_alt_names"]["ip"] == ["127.0.0.1", "2001:db8::1"]
    assert {"oid": "2.5.29.15", "name": "keyUsage", "critical": True} in data["extensions"]


def test_identity_pem_and_repr(openssl_material: OpensslMaterial, leaf: Certificate) -> None:
    assert leaf.pem == openssl_material.leaf_pem.read_text()
    assert load_certificate(leaf.pem) == leaf
    again = Certificate.from_cryptography(leaf.x509)
    assert again == leaf and hash(again) == hash(leaf)
    assert len({leaf, again, load_certificate(openssl_material.ca_pem)}) == 2
    assert leaf != "not a certificate"
    text = repr(leaf)
    assert "rig-0001.example.com" in text and "A1B2C3D4E5F60718" in text
    assert leaf.asn1.subject.native["common_name"] == "rig-0001.example.com"
    assert leaf.parsed_by_cryptography


def test_from_der_rejects_non_bytes() -> None:
    with pytest.raises(MalformedInputError, match=r"x\.der"):
        Certificate.from_der("not bytes", source_name="x.der")  # type: ignore[arg-type]


def test_asn1_fallback_views_agree_with_cryptography(openssl_material: OpensslMaterial) -> None:
    for path in (openssl_material.leaf_pem, openssl_material.ca_pem, openssl_material.ec_pem):
        cert = load_certificate(path)
        fallback = Certificate(cert.der, x509_obj=None)
        assert not fallback.parsed_by_cryptography
        assert fallback.to_dict() == cert.to_dict()


def test_distinguished_name_from_asn1_multivalued_rdn() -> None:
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    name = x509.Name(
        [
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "US")]),
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "A, Inc"),
                    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Ops"),
                ]
            ),
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COMMON_NAME, " lead+trail ")]),
        ]
    )
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    # Read both views from the same DER (a SET OF is sorted on encoding).
    key = ec.generate_private_key(ec.SECP256R1())
    csr = x509.CertificateSigningRequestBuilder().subject_name(name).sign(key, hashes.SHA256())
    via_asn1 = DistinguishedName.from_asn1(asn1_x509.Name.load(csr.subject.public_bytes()))
    via_cryptography = DistinguishedName.from_cryptography(csr.subject)
    assert via_asn1 == via_cryptography
    assert via_asn1.organization == "A, Inc" and via_asn1.common_name == " lead+trail "


# -- NIST PKITS -----------------------------------------------------------------------------------


def test_every_pkits_certificate_loads(pkits: Path) -> None:
    paths = sorted((pkits / "certs").glob("*.crt"))
    assert len(paths) >= 400
    fallbacks = []
    for path in paths:
        cert = load_certificate(path)
        data = cert.to_dict()  # every view works, whichever parser read it
        assert data["serial"] == cert.serial_hex
        assert cert.not_before.tzinfo is not None
        repr(cert)
        if not cert.parsed_by_cryptography:
            fallbacks.append(path.name)
    assert sorted(fallbacks) == [
        "DSAParametersInheritedCACert.crt",
        "ValidDSAParameterInheritanceTest5EE.crt",
    ]


@pytest.mark.parametrize(
    "name", ["DSAParametersInheritedCACert.crt", "ValidDSAParameterInheritanceTest5EE.crt"]
)
def test_pkits_dsa_parameter_inheritance_uses_the_fallback(pkits: Path, name: str) -> None:
    cert = load_certificate(pkits / "certs" / name)
    assert not cert.parsed_by_cryptography
    with pytest.raises(UnsupportedCertificateError, match=name):
        _ = cert.x509
    assert cert.key_algorithm == "DSA"
    assert cert.key_size is None  # the parameters live in the issuer's certificate
    assert cert.issuer.organization == "Test Certificates 2011"
    assert cert.not_before == dt.datetime(2010, 1, 1, 8, 30, tzinfo=UTC)
    assert cert.not_after == dt.datetime(2030, 12, 31, 8, 30, tzinfo=UTC)
    assert cert.signature_algorithm == "dsa-with-sha1"
    assert cert.subject_key_identifier is not None and cert.authority_key_identifier is not None
    assert cert.policy_oids == ("2.16.840.1.101.3.2.1.48.1",)
    if name.startswith("DSAParameters"):
        assert cert.subject.common_name == "DSA Parameters Inherited CA"
        assert cert.issuer.common_name == "DSA CA"
        assert cert.serial_hex == "02"
        assert cert.is_ca and cert.key_usage == ("keyCertSign", "cRLSign")
    else:
        assert cert.issuer.common_name == "DSA Parameters Inherited CA"
        assert cert.serial_hex == "01"
        assert not cert.is_ca


def test_pkits_negative_serial(pkits: Path) -> None:
    cert = load_certificate(pkits / "certs" / "InvalidNegativeSerialNumberTest15EE.crt")
    assert cert.serial_number < 0
    assert cert.serial_hex.startswith("-")
    assert cert.serial_hex == "-" + format(-cert.serial_number, "X").rjust(2, "0")


def test_pkits_views_fallback_agrees_on_every_certificate(pkits: Path) -> None:
    # The asn1crypto fallback gives the same view as cryptography on all 400+ PKITS certificates
    # (user notices, directory names, IP and email SANs, name constraints ...).
    for path in sorted((pkits / "certs").glob("*.crt")):
        cert = load_certificate(path)
        if cert.parsed_by_cryptography:
            assert Certificate(cert.der, x509_obj=None).to_dict() == cert.to_dict(), path.name


def test_every_pkits_crl_loads(pkits: Path) -> None:
    paths = sorted((pkits / "crls").glob("*.crl"))
    assert len(paths) >= 170
    loaded = 0
    refused = []
    for path in paths:
        try:
            crl = load_crl(path)
        except CaisoPkiError as exc:
            refused.append((path.name, str(exc)))
            continue
        loaded += 1
        for entry in crl:
            assert entry.revocation_date_utc.tzinfo is not None
    assert all(name in message for name, message in refused)
    assert loaded >= 170


def test_pkits_certificates_as_one_bundle(pkits: Path, tmp_path: Path) -> None:
    paths = sorted((pkits / "certs").glob("*.crt"))[:25]
    bundle = tmp_path / "bundle.pem"
    bundle.write_text("".join(load_certificate(path).pem for path in paths))
    assert [cert.der for cert in load_certificates(bundle)] == [path.read_bytes() for path in paths]


@pytest.mark.parametrize(("make_key", "bits"), [("ed25519", 256), ("ed448", 456)])
def test_edwards_key_sizes(make_key: str, bits: int) -> None:
    """Regression: asn1crypto raised UnboundLocalError computing the size of Edwards keys."""
    import datetime as _dt

    from cryptography import x509 as _x509
    from cryptography.hazmat.primitives.asymmetric import ed448 as _ed448
    from cryptography.hazmat.primitives.asymmetric import ed25519 as _ed25519
    from cryptography.x509.oid import NameOID as _NameOID

    key = (
        _ed25519.Ed25519PrivateKey.generate() if make_key == "ed25519" else _ed448.Ed448PrivateKey.generate()
    )
    name = _x509.Name([_x509.NameAttribute(_NameOID.COMMON_NAME, "edwards")])
    now = _dt.datetime.now(_dt.UTC)
    built = (
        _x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + _dt.timedelta(days=1))
        .sign(key, None)
    )
    cert = Certificate.from_cryptography(built)
    assert cert.key_size == bits
    assert cert.to_dict()["key_size"] == bits
