"""Trust-store import and export, checked against the openssl command line tool."""

from __future__ import annotations

import datetime as dt
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from caiso_pki import testing
from caiso_pki.certificate import Certificate, load_certificates
from caiso_pki.errors import MalformedInputError, TrustStoreError
from caiso_pki.pkcs12 import load_pkcs12
from caiso_pki.truststore import TrustStore
from caiso_pki.truststore_io import (
    certifi_bundle,
    export,
    load_bundle,
    subject_hash,
    system_bundle,
    to_pem,
    to_pkcs7,
    to_pkcs12,
)

pytestmark = pytest.mark.openssl


@pytest.fixture(scope="module")
def pki() -> testing.DemoPki:
    return testing.DemoPki.create()


@pytest.fixture(scope="module")
def store(pki: testing.DemoPki) -> TrustStore:
    return pki.trust_store()


def _openssl(openssl_bin: str, *args: str, data: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [openssl_bin, *args],
        input=data.decode() if data else None,
        capture_output=True,
        text=True,
        check=False,
    )


def _odd_name_certificate(pki: testing.DemoPki) -> Certificate:
    name = x509.Name(
        [
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "US")]),
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ünïcode   Org  X"),
                    x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "a\tB"),
                ]
            ),
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.EMAIL_ADDRESS, "Foo@Example.COM")]),
            x509.RelativeDistinguishedName(
                [x509.NameAttribute(NameOID.COMMON_NAME, "  Mixed   CASE  Name ", _ASN1Type.BMPString)]
            ),
        ]
    )
    return pki.issuing_ca.issue("server", "odd", subject=name, reuse_key=True).certificate


def test_subject_hash_matches_openssl(pki: testing.DemoPki, openssl_bin: str) -> None:
    certs = [ca.certificate for ca in pki.authorities.values()] + [_odd_name_certificate(pki)]
    for cert in certs:
        expected = _openssl(openssl_bin, "x509", "-noout", "-hash", data=cert.pem.encode()).stdout.strip()
        assert subject_hash(cert) == expected, cert.subject.rfc4514


def test_subject_hash_matches_openssl_for_the_system_bundle(openssl_bin: str) -> None:
    system = system_bundle()
    assert len(system) > 50
    mismatches = []
    for entry in system.entries[:25]:
        expected = _openssl(openssl_bin, "x509", "-noout", "-hash", data=entry.certificate.pem.encode())
        if subject_hash(entry.certificate) != expected.stdout.strip():
            mismatches.append(entry.subject)
    assert mismatches == []


def test_openssl_dir_export_works_as_capath(
    tmp_path: Path, store: TrustStore, pki: testing.DemoPki, openssl_bin: str
) -> None:
    out = tmp_path / "capath"
    written = export(store, "openssl-dir", out, at=pki.now)
    names = sorted(p.name for p in written)
    assert len(names) == 5  # retired root left out; its intermediate stays but leads nowhere
    assert all(name.endswith(".0") for name in names)
    leaf = pki.issuing_ca.issue("api-client", "client-1", reuse_key=True).certificate
    rig = pki.entrust_intermediate.issue("rig", "rig-1.example.com", reuse_key=True).certificate
    retired = pki.retired_issuing_ca.issue("rig", "old-rig.example.com", reuse_key=True).certificate
    leaf_file, rig_file, retired_file = tmp_path / "leaf.pem", tmp_path / "rig.pem", tmp_path / "old.pem"
    leaf_file.write_text(leaf.pem)
    rig_file.write_text(rig.pem)
    retired_file.write_text(retired.pem)
    for good in (leaf_file, rig_file):
        result = _openssl(openssl_bin, "verify", "-CApath", str(out), str(good))
        assert result.returncode == 0, result.stdout + result.stderr
        assert result.stdout.strip().endswith("OK")
    refused = _openssl(openssl_bin, "verify", "-CApath", str(out), str(retired_file))
    assert refused.returncode != 0
    assert "unable to get issuer certificate" in refused.stdout + refused.stderr
    # with the retired root included the same leaf verifies (openssl cannot enforce distrust_after)
    export(store, "openssl-dir", out, at=pki.now, include_retired=True, overwrite=True)
    assert len(list(out.iterdir())) == 6
    assert _openssl(openssl_bin, "verify", "-CApath", str(out), str(retired_file)).returncode == 0
    # re-exporting a smaller store removes stale hash files but leaves other files alone
    (out / "README").write_text("mine")
    export(store.filter(label="rig"), "openssl-dir", out, overwrite=True)
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["README", f"{subject_hash(pki.entrust_root.certificate)}.0", f"{subject_hash(rig_issuer(pki))}.0"]
    )


def rig_issuer(pki: testing.DemoPki) -> Certificate:
    return pki.entrust_intermediate.certificate


def test_openssl_dir_numbers_hash_collisions(tmp_path: Path, pki: testing.DemoPki) -> None:
    # two certificates with the same subject (a re-keyed root) share one hash: .0 and .1
    rekeyed = pki.root.issue_intermediate("Demo CAISO Issuing CA 1", key_spec="ec-p256").certificate
    assert subject_hash(rekeyed) == subject_hash(pki.issuing_ca.certificate)
    written = export(
        TrustStore.from_certificates([pki.issuing_ca.certificate, rekeyed]), "openssl-dir", tmp_path
    )
    base = subject_hash(rekeyed)
    assert sorted(p.name for p in written) == [f"{base}.0", f"{base}.1"]


@pytest.mark.parametrize("fmt", ["pem", "pkcs7", "der"])
def test_bundle_exports_round_trip(tmp_path: Path, store: TrustStore, pki: testing.DemoPki, fmt: str) -> None:
    out = tmp_path / f"export.{fmt}"
    written = export(store, fmt, out, at=pki.now)  # type: ignore[arg-type]
    if fmt == "der":
        back = TrustStore().merge(entry for path in written for entry in load_bundle(path))
    else:
        back = load_bundle(out, labels={"caiso"})
    assert set(back.certificates()) == set(store.trusted(at=pki.now).certificates())
    assert pki.retired_root.certificate not in back


def test_load_bundle_reads_pkcs12_and_records_the_source(tmp_path: Path, store: TrustStore) -> None:
    path = tmp_path / "trust.p12"
    path.write_bytes(to_pkcs12(store, password="changeit", include_retired=True))
    loaded = load_bundle(path, password="changeit", labels=["imported"])
    assert set(loaded.certificates()) == set(store.certificates())
    assert {e.source for e in loaded} == {str(path)}
    assert loaded.labels() == {"imported"}
    with pytest.raises(MalformedInputError, match="no such file"):
        load_bundle(tmp_path / "missing.pem")


@pytest.mark.parametrize("password", ["changeit", None])
def test_pkcs12_trust_bundle_is_readable_by_openssl(
    tmp_path: Path, store: TrustStore, pki: testing.DemoPki, openssl_bin: str, password: str | None
) -> None:
    path = tmp_path / "trust.p12"
    path.write_bytes(to_pkcs12(store, password=password, at=pki.now))
    result = _openssl(
        openssl_bin, "pkcs12", "-info", "-nokeys", "-in", str(path), "-passin", f"pass:{password or ''}"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("-----BEGIN CERTIFICATE-----") == 5
    subjects = [line for line in result.stdout.splitlines() if line.startswith("subject=")]
    assert len(subjects) == 5
    assert not any("Demo Cybertrust Global Root" in line for line in subjects)
    if password:
        assert "PBES2, PBKDF2, AES-256-CBC" in result.stderr
    # without a password the MAC uses the empty one, which is read only when given (issue 22)
    bundle = load_pkcs12(path, password=password or "")
    assert bundle.key is None and bundle.certificate is None
    assert set(bundle.chain) == set(store.trusted(at=pki.now).certificates())


def test_pem_export_has_readable_comments(store: TrustStore, pki: testing.DemoPki) -> None:
    text = to_pem(store, at=pki.now).decode()
    assert f"# SHA256 {pki.root.certificate.fingerprint_sha256}" in text
    assert "# CN=Demo CAISO Root CA" in text
    assert len(load_certificates(text)) == 5


def test_exporting_nothing_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TrustStoreError, match="empty"):
        to_pkcs7(TrustStore())
    with pytest.raises(TrustStoreError, match="export format"):
        export(TrustStore(), "jks", tmp_path / "x")  # type: ignore[arg-type]


def test_system_bundles_are_labelled_for_comparison(store: TrustStore) -> None:
    system = system_bundle()
    assert system.labels() == {"system"}
    assert all(e.source.startswith("system:") for e in system)
    diff = store.diff(system)
    assert len(diff.removed) == len(store)  # none of the demo CAs is publicly trusted
    mozilla = certifi_bundle()
    assert mozilla.labels() == {"system"} and len(mozilla) > 50
    explicit = system_bundle(mozilla.entries[0].source.removeprefix("certifi:"))
    assert set(explicit.certificates()) == set(mozilla.certificates())


def test_system_bundle_path_must_exist(tmp_path: Path) -> None:
    with pytest.raises(MalformedInputError):
        system_bundle(tmp_path / "none.crt")


def test_export_refuses_overwrite_when_asked(tmp_path: Path, store: TrustStore) -> None:
    out = tmp_path / "bundle.pem"
    out.write_text("keep")
    with pytest.raises(TrustStoreError, match="already exists"):
        export(store, "pem", out, overwrite=False, at=dt.datetime(2030, 1, 1, tzinfo=dt.UTC))
    assert out.read_text() == "keep"
