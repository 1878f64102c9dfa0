"""PKCS#12 bundles for moving a certificate and key, checked against the openssl command line tool."""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from caiso_pki import testing
from caiso_pki.errors import CaisoPkiError, MalformedInputError, PasswordError
from caiso_pki.pkcs12 import export_pkcs12, load_pkcs12, order_chain

PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def pki() -> testing.DemoPki:
    return testing.DemoPki.create()


@pytest.fixture(scope="module")
def client(pki: testing.DemoPki) -> testing.IssuedCertificate:
    return pki.issuing_ca.issue("api-client", "participant-api-1", key_spec="rsa-2048")


def _public(key: object) -> bytes:
    return key.public_key().public_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _openssl(openssl_bin: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([openssl_bin, *args], capture_output=True, text=True, check=False)


@pytest.mark.openssl
@pytest.mark.parametrize(
    ("legacy", "encryption", "mac"),
    [
        (False, "PBES2, PBKDF2, AES-256-CBC", "MAC: sha256"),
        (True, "pbeWithSHA1And3-KeyTripleDES-CBC", "MAC: sha1"),
    ],
)
def test_export_is_readable_by_openssl(
    tmp_path: Path,
    client: testing.IssuedCertificate,
    pki: testing.DemoPki,
    openssl_bin: str,
    legacy: bool,
    encryption: str,
    mac: str,
) -> None:
    path = tmp_path / "client.pfx"
    data = export_pkcs12(
        client.key,
        client.certificate,
        chain=[pki.root.certificate, *client.chain],
        password=PASSWORD,
        friendly_name="CAISO API client",
        legacy=legacy,
        path=path,
    )
    assert path.read_bytes() == data
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    info = _openssl(
        openssl_bin, "pkcs12", "-info", "-nokeys", "-in", str(path), "-passin", f"pass:{PASSWORD}"
    )
    assert info.returncode == 0, info.stderr
    assert encryption in info.stderr
    assert mac in info.stderr
    assert info.stdout.count("-----BEGIN CERTIFICATE-----") == 3
    assert "friendlyName: CAISO API client" in info.stdout
    keys = _openssl(
        openssl_bin, "pkcs12", "-in", str(path), "-nocerts", "-nodes", "-passin", f"pass:{PASSWORD}"
    )
    assert keys.returncode == 0, keys.stderr
    assert "PRIVATE KEY-----" in keys.stdout
    wrong = _openssl(openssl_bin, "pkcs12", "-info", "-nokeys", "-in", str(path), "-passin", "pass:nope")
    assert wrong.returncode != 0


@pytest.mark.openssl
@pytest.mark.parametrize(
    "extra",
    [
        (),
        ("-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg", "sha1"),
    ],
)
def test_openssl_made_bundle_imports_intact(
    tmp_path: Path,
    client: testing.IssuedCertificate,
    pki: testing.DemoPki,
    openssl_bin: str,
    extra: tuple[str, ...],
) -> None:
    cert_file, key_file, chain_file = tmp_path / "c.pem", tmp_path / "k.pem", tmp_path / "chain.pem"
    cert_file.write_text(client.certificate.pem)
    key_file.write_bytes(client.key_pem())
    # root first on purpose: the import orders the chain leaf side first
    chain_file.write_text(pki.root.certificate.pem + pki.issuing_ca.certificate.pem)
    out = tmp_path / "from-openssl.p12"
    made = _openssl(
        openssl_bin, "pkcs12", "-export", "-in", str(cert_file), "-inkey", str(key_file),
        "-certfile", str(chain_file), "-name", "my alias", "-out", str(out), "-passout", f"pass:{PASSWORD}",
        *extra,
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    bundle = load_pkcs12(out, password=PASSWORD)
    assert bundle.certificate == client.certificate
    assert _public(bundle.key) == _public(client.key)
    assert bundle.chain == (pki.issuing_ca.certificate, pki.root.certificate)
    assert load_pkcs12(out.read_bytes(), password=PASSWORD.encode()).friendly_name == "my alias"


def test_round_trip_from_paths_and_bundles(
    tmp_path: Path, client: testing.IssuedCertificate, pki: testing.DemoPki
) -> None:
    key_file = tmp_path / "client.key"
    assert client.key is not None
    key_file.write_bytes(
        client.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"key-pass"),
        )
    )
    cert_file = tmp_path / "client.pem"
    cert_file.write_text(client.certificate.pem)
    chain_file = tmp_path / "chain.pem"
    chain_file.write_text(pki.root.certificate.pem + pki.issuing_ca.certificate.pem)
    data = export_pkcs12(key_file, cert_file, chain=chain_file, password=PASSWORD, key_password="key-pass")
    bundle = load_pkcs12(data, password=PASSWORD)
    assert bundle.certificate == client.certificate
    assert bundle.chain == (pki.issuing_ca.certificate, pki.root.certificate)
    assert bundle.certificates == (client.certificate, *bundle.chain)
    assert bundle.friendly_name == "participant-api-1"  # defaults to the common name
    assert _public(bundle.key) == _public(client.key)
    assert "key=" not in repr(bundle)


def test_passwords_are_required_and_checked(tmp_path: Path, client: testing.IssuedCertificate) -> None:
    for empty in (None, "", b""):
        with pytest.raises(PasswordError, match="non-empty password"):
            export_pkcs12(client.key, client.certificate, password=empty)
    data = export_pkcs12(client.key, client.certificate, password=PASSWORD)
    with pytest.raises(PasswordError, match="wrong PKCS#12 password") as info:
        load_pkcs12(data, password="wrong")
    assert PASSWORD not in str(info.value)


def test_mismatched_key_is_refused(pki: testing.DemoPki, client: testing.IssuedCertificate) -> None:
    other = pki.issuing_ca.issue("api-client", "someone-else")
    with pytest.raises(MalformedInputError, match="does not belong"):
        export_pkcs12(other.key, client.certificate, password=PASSWORD)


def test_path_is_not_overwritten_by_default(tmp_path: Path, client: testing.IssuedCertificate) -> None:
    path = tmp_path / "c.pfx"
    path.write_text("existing")
    with pytest.raises(CaisoPkiError, match="already exists"):
        export_pkcs12(client.key, client.certificate, password=PASSWORD, path=path)
    assert path.read_text() == "existing"
    export_pkcs12(client.key, client.certificate, password=PASSWORD, path=path, overwrite=True)
    assert load_pkcs12(path, password=PASSWORD).certificate == client.certificate


def test_order_chain_follows_issuers(pki: testing.DemoPki) -> None:
    leaf = pki.entrust_intermediate.issue("rig", "rig-9.example.com", reuse_key=True).certificate
    stray = pki.root.certificate
    shuffled = [pki.entrust_root.certificate, stray, pki.entrust_intermediate.certificate]
    assert order_chain(leaf, shuffled) == (
        pki.entrust_intermediate.certificate,
        pki.entrust_root.certificate,
        stray,
    )
    assert order_chain(None, shuffled) == tuple(shuffled)
