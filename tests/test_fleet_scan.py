"""FleetMonitor: the inputs a real fleet has, read again at each scan (caiso_pki.fleet_scan)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from caiso_pki import export_pkcs12, testing
from caiso_pki.errors import MalformedInputError
from caiso_pki.fleet_scan import FleetMonitor, scan_fleet
from caiso_pki.inventory import PasswordSource, load_inventory
from caiso_pki.monitoring import CertificateSample, FleetMetrics

PASSWORD = "fleet-pfx-password"


def by_serial(metrics: FleetMetrics) -> dict[str, CertificateSample]:
    return {sample.serial: sample for sample in metrics.certificates}


def errors(metrics: FleetMetrics) -> dict[str, str]:
    return {error.path: error.reason for error in metrics.read_errors}


@pytest.fixture
def pki() -> testing.DemoPki:
    return testing.DemoPki.create()


def _pfx(pki: testing.DemoPki, path: Path, *, kind: str = "api-client", name: str = "api-client-01") -> str:
    issued = pki.issuing_ca.issue(kind, name)  # type: ignore[arg-type]
    export_pkcs12(issued.key, issued.certificate, chain=issued.chain, password=PASSWORD, path=path)
    return issued.certificate.serial_hex


def test_pem_der_and_pkcs7_files_and_folders(tmp_path: Path, pki: testing.DemoPki) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding, pkcs7

    rig = pki.issuing_ca.issue("rig", "rig-0001.example.com")
    dpg = pki.entrust_intermediate.issue("dpg", "dpg-0001.example.com")
    iccp = pki.issuing_ca.issue("iccp", "iccp-0001.example.com")
    (tmp_path / "fleet" / "sub").mkdir(parents=True)
    (tmp_path / "fleet" / "rig.pem").write_text(rig.pem_bundle())
    (tmp_path / "fleet" / "sub" / "dpg.der").write_bytes(dpg.certificate.der)
    p7 = pkcs7.serialize_certificates([iccp.certificate.x509, *(c.x509 for c in iccp.chain)], Encoding.DER)
    (tmp_path / "fleet" / "sub" / "iccp.p7b").write_bytes(p7)
    (tmp_path / "dpg-chain.pem").write_text(pki.entrust_intermediate.certificate.pem)
    metrics = scan_fleet([tmp_path / "fleet", tmp_path / "dpg-chain.pem"], trust=pki.trust_store())
    found = by_serial(metrics)
    assert found[rig.certificate.serial_hex].valid
    assert found[rig.certificate.serial_hex].kind == "rig"
    assert found[rig.certificate.serial_hex].anchor_labels == "caiso"
    assert found[dpg.certificate.serial_hex].valid  # the Entrust intermediate came from another file
    assert found[dpg.certificate.serial_hex].kind == "dpg"
    assert found[dpg.certificate.serial_hex].anchor_labels == "rig"
    assert found[iccp.certificate.serial_hex].valid
    assert found[iccp.certificate.serial_hex].path.endswith("iccp.p7b")
    assert dict(metrics.files)["certificates"] == 4
    assert metrics.read_errors == ()


def test_pkcs12_with_a_password_file(tmp_path: Path, pki: testing.DemoPki) -> None:
    (tmp_path / "api").mkdir()
    serial = _pfx(pki, tmp_path / "api" / "client.pfx")
    (tmp_path / "pfx.pass").write_text(PASSWORD + "\n")
    metrics = scan_fleet(
        [tmp_path / "api"],
        trust=pki.trust_store(),
        password=PasswordSource(file=tmp_path / "pfx.pass"),
    )
    sample = by_serial(metrics)[serial]
    assert sample.valid
    assert sample.kind == "api-client"
    assert sample.position == 0
    assert metrics.read_errors == ()


def test_pkcs12_passwords_per_file_and_per_folder(
    tmp_path: Path, pki: testing.DemoPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "ui").mkdir()
    (tmp_path / "api").mkdir()
    ui_serial = _pfx(
        pki, tmp_path / "ui" / "operator.bin", kind="ui-client", name="jane.operator"
    )  # no suffix
    api_serial = _pfx(pki, tmp_path / "api" / "client.p12")
    (tmp_path / "api.pass").write_text(PASSWORD + "\n")
    monkeypatch.setenv("CAISO_PKI_TEST_UI_PFX", PASSWORD)
    inventory = load_inventory(
        _write(
            tmp_path / "inventory.toml",
            """
            [[file]]
            match = "ui/operator.bin"
            password_env = "CAISO_PKI_TEST_UI_PFX"
            labels = { owner = "market-ops" }

            [[file]]
            match = "api/"
            password_file = "api.pass"
            labels = { resource_id = "SCE_API_1" }
            """,
        )
    )
    metrics = scan_fleet([tmp_path / "ui", tmp_path / "api"], trust=pki.trust_store(), inventory=inventory)
    found = by_serial(metrics)
    assert found[ui_serial].valid and found[ui_serial].kind == "ui-client"
    assert dict(found[ui_serial].labels) == {"owner": "market-ops"}
    assert found[api_serial].valid
    assert dict(found[api_serial].labels) == {"resource_id": "SCE_API_1"}
    assert metrics.label_names == ("owner", "resource_id")


def test_pkcs12_wrong_or_missing_password_is_a_read_error(
    tmp_path: Path, pki: testing.DemoPki, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pfx(pki, tmp_path / "client.p12")
    metrics = scan_fleet([tmp_path / "client.p12"], trust=pki.trust_store())
    assert "password needed" in errors(metrics)[str(tmp_path / "client.p12")]
    monkeypatch.setenv("CAISO_PKI_TEST_WRONG_PFX", "not-the-password")
    metrics = scan_fleet(
        [tmp_path / "client.p12"],
        trust=pki.trust_store(),
        password=PasswordSource(env="CAISO_PKI_TEST_WRONG_PFX"),
    )
    reason = errors(metrics)[str(tmp_path / "client.p12")]
    assert "wrong PKCS#12 password" in reason
    assert "not-the-password" not in reason
    monkeypatch.delenv("CAISO_PKI_TEST_WRONG_PFX")
    metrics = scan_fleet(
        [tmp_path / "client.p12"],
        trust=pki.trust_store(),
        password=PasswordSource(env="CAISO_PKI_TEST_WRONG_PFX"),
    )
    assert "CAISO_PKI_TEST_WRONG_PFX is not set" in errors(metrics)[str(tmp_path / "client.p12")]


def test_unreadable_inputs_are_read_errors_never_exceptions(tmp_path: Path, pki: testing.DemoPki) -> None:
    fleet = tmp_path / "fleet"
    fleet.mkdir()
    (fleet / "garbage.der").write_bytes(os.urandom(300))
    (fleet / "truncated.pem").write_text(pki.root.certificate.pem[:200])
    (fleet / "dangling.pem").symlink_to(tmp_path / "nowhere.pem")
    os.mkfifo(fleet / "a-fifo")  # never opened: only regular files are read
    metrics = scan_fleet([fleet, tmp_path / "vanished-folder"], trust=pki.trust_store())
    found = errors(metrics)
    assert set(found) == {
        str(fleet / "garbage.der"),
        str(fleet / "truncated.pem"),
        str(fleet / "dangling.pem"),
        str(tmp_path / "vanished-folder"),
    }
    assert found[str(fleet / "dangling.pem")] == "dangling symbolic link"
    assert found[str(tmp_path / "vanished-folder")] == "no such file or directory"
    assert dict(metrics.files)["error"] == 4  # the vanished folder counts too
    assert metrics.certificates == ()


def test_keys_csrs_and_hidden_files_are_not_errors(tmp_path: Path, pki: testing.DemoPki) -> None:
    from caiso_pki import build_csr, generate_private_key

    issued = pki.issuing_ca.issue("rig", "rig-0003.example.com")
    (tmp_path / "rig.pem").write_text(issued.certificate.pem)
    (tmp_path / "rig.key").write_bytes(issued.key_pem())
    key = generate_private_key("ec-p256")
    (tmp_path / "rig.csr").write_text(build_csr(key, "CN=rig-0003.example.com,O=X,C=US").pem)
    (tmp_path / ".hidden.pem").write_text("garbage")
    (tmp_path / "..data").mkdir()
    (tmp_path / "..data" / "rig.pem").write_text(issued.certificate.pem)  # a Kubernetes secret's copy
    metrics = scan_fleet([tmp_path], trust=pki.trust_store())
    assert metrics.read_errors == ()
    assert [sample.path for sample in metrics.certificates] == [str(tmp_path / "rig.pem")]
    assert dict(metrics.files) == {"certificates": 1, "crl": 0, "error": 0, "ignored": 2}


def test_crls_found_and_given_check_revocation(tmp_path: Path, pki: testing.DemoPki) -> None:
    revoked = pki.issuing_ca.issue("rig", "rig-0004.example.com")
    pki.issuing_ca.revoke(revoked)
    (tmp_path / "fleet").mkdir()
    (tmp_path / "fleet" / "rig.pem").write_text(revoked.certificate.pem)
    (tmp_path / "fleet" / "issuing.crl").write_bytes(pki.issuing_ca.crl())  # DER, found by its name
    (tmp_path / "root.crl").write_bytes(pki.root.crl())
    metrics = scan_fleet(
        [tmp_path / "fleet"], trust=pki.trust_store(), crls=[tmp_path / "root.crl"], revocation="require"
    )
    sample = by_serial(metrics)[revoked.certificate.serial_hex]
    assert not sample.valid and sample.code == "revoked"
    assert {crl.source for crl in metrics.crls} == {
        str(tmp_path / "fleet" / "issuing.crl"),
        str(tmp_path / "root.crl"),
    }
    assert dict(metrics.files)["crl"] == 1


def test_a_rescan_sees_added_changed_and_removed_files(tmp_path: Path, pki: testing.DemoPki) -> None:
    first = pki.issuing_ca.issue("rig", "rig-0005.example.com")
    second = pki.issuing_ca.issue("rig", "rig-0006.example.com")
    replacement = pki.issuing_ca.issue("rig", "rig-0007.example.com")
    (tmp_path / "a.pem").write_text(first.certificate.pem)
    monitor = FleetMonitor([tmp_path])
    store = pki.trust_store()
    assert set(by_serial(monitor.scan(trust=store))) == {first.certificate.serial_hex}
    (tmp_path / "b.pem").write_text(second.certificate.pem)
    assert set(by_serial(monitor.scan(trust=store))) == {
        first.certificate.serial_hex,
        second.certificate.serial_hex,
    }
    (tmp_path / "a.pem").unlink()
    (tmp_path / "b.pem").write_text(replacement.certificate.pem + "\n")  # same name, new content
    assert set(by_serial(monitor.scan(trust=store))) == {replacement.certificate.serial_hex}


def test_each_scan_validates_at_its_own_time(tmp_path: Path, pki: testing.DemoPki) -> None:
    leaf = pki.issuing_ca.issue("rig", "rig-0008.example.com", validity=dt.timedelta(days=10))
    (tmp_path / "a.pem").write_text(leaf.certificate.pem)
    monitor = FleetMonitor([tmp_path])
    store = pki.trust_store()
    assert by_serial(monitor.scan(trust=store))[leaf.certificate.serial_hex].valid
    later = monitor.scan(trust=store, at=pki.now + dt.timedelta(days=20))
    sample = by_serial(later)[leaf.certificate.serial_hex]
    assert not sample.valid and "expired" in sample.code


def test_a_new_trust_store_is_used_at_the_next_scan(tmp_path: Path, pki: testing.DemoPki) -> None:
    rig = pki.entrust_intermediate.issue("rig", "rig-0009.example.com")
    (tmp_path / "rig.pem").write_text(rig.pem_bundle())
    monitor = FleetMonitor([tmp_path])
    only_caiso = pki.trust_store().filter(label="caiso")
    assert not by_serial(monitor.scan(trust=only_caiso))[rig.certificate.serial_hex].valid
    assert by_serial(monitor.scan(trust=pki.trust_store()))[rig.certificate.serial_hex].valid


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"endpoints": ["http://example.com/"]}, "https://"),
        ({"endpoints": ["example.com"]}, "HOST:PORT"),
        ({"revocation": "sometimes"}, "revocation"),
        ({"timeout": 0}, "timeout"),
        ({"paths": ""}, "^paths: the path is empty"),  # it would have scanned the working directory
        ({"paths": ["certs", ""]}, r"^paths\[1\]: the path is empty"),
        ({"paths": None}, "^paths: expected a path or a list of paths"),
        ({"crls": [b"x.crl"]}, r"^crls\[0\]: expected a path"),
        ({"endpoints": [443]}, r"^endpoints\[0\]: expected text"),
        ({"inventory": "inventory.toml"}, "^FleetMonitor.inventory: expected an Inventory"),
        ({"client": "client.pfx"}, "^FleetMonitor.client: expected a ClientCredential"),
        ({"password": "secret"}, "^FleetMonitor.password: expected a PasswordSource"),
    ],
)
def test_bad_options_raise_at_construction(options: dict[str, object], message: str) -> None:
    with pytest.raises(MalformedInputError, match=message):
        FleetMonitor(**{"paths": ["certs"], **options})  # type: ignore[arg-type]
    with pytest.raises(MalformedInputError, match="at least one"):
        FleetMonitor([])


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_one_path_is_one_input_and_the_trust_is_a_store(tmp_path: Path, pki: testing.DemoPki) -> None:
    crl = tmp_path / "issuing.crl"
    crl.write_bytes(pki.issuing_ca.crl())
    monitor = FleetMonitor(str(tmp_path / "empty-folder"), crls=str(crl), endpoints="127.0.0.1:1")
    assert monitor.paths == (str(tmp_path / "empty-folder"),)
    assert monitor.crls == (str(crl),)
    assert monitor.endpoints == ("127.0.0.1:1",)
    (tmp_path / "empty-folder").mkdir()
    # a list of certificates is not a trust store: refused before anything is read (no files here, so
    # nothing would have validated and the store would only have been touched at the end)
    with pytest.raises(MalformedInputError, match=r"^trust: expected a TrustStore"):
        FleetMonitor(tmp_path / "empty-folder").scan(trust=[pki.root.certificate])  # type: ignore[arg-type]
