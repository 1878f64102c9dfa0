"""``caiso-pki lint`` and ``caiso-pki profile``: formats, exit statuses, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from caiso_pki import testing
from caiso_pki.cli import main


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pki = testing.DemoPki.create()
    out = tmp_path_factory.mktemp("lint")
    good = pki.issuing_ca.issue("rig", "rig-0001.example.com")
    weak = pki.issuing_ca.issue("rig", "rig-0002.example.com", key_spec="rsa-1024")
    serial = pki.issuing_ca.issue("rig", "rig-0003.example.com", serial=1)
    paths = {
        "good": out / "good.pem",
        "chain": out / "chain.pem",
        "weak": out / "weak.pem",
        "serial": out / "serial.pem",
        "csr": out / "rig.csr",
        "key": out / "key.pem",
    }
    paths["good"].write_text(good.certificate.pem)
    paths["chain"].write_text(good.pem_bundle() + good.root.pem)
    paths["weak"].write_text(weak.certificate.pem)
    paths["serial"].write_text(serial.certificate.pem)
    key = ec.generate_private_key(ec.SECP256R1())
    csr = (
        x509.CertificateSigningRequestBuilder()
        .subject_name(
            x509.Name(
                [
                    x509.NameAttribute(NameOID.COMMON_NAME, "rig-0004.example.com"),
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Demo Participant"),
                ]
            )
        )
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("rig-0004.example.com")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    paths["csr"].write_bytes(csr.public_bytes(serialization.Encoding.PEM))
    paths["key"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return paths


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_clean_certificate_and_chain(files: dict[str, Path]) -> None:
    code, out, _ = run("lint", "--profile", "caiso-demo", str(files["good"]), str(files["chain"]))
    assert code == 0
    assert "clean against caiso-demo" in out


def test_builtin_profile_notices_do_not_fail(files: dict[str, Path]) -> None:
    code, out, _ = run("lint", str(files["good"]))
    assert code == 0
    assert "CPS-POLICY-UNCONFIGURED" in out
    code, _, _ = run("lint", "--fail-on", "notice", str(files["good"]))
    assert code == 1


def test_error_finding_exits_1_with_citation(files: dict[str, Path]) -> None:
    code, out, _ = run("lint", "-p", "caiso-demo", str(files["weak"]))
    assert code == 1
    assert "error   CPS-KEY-SIZE" in out
    assert "see CA/Browser Forum Baseline Requirements §6.1.5" in out
    code, _, _ = run("lint", "-p", "caiso-demo", "--fail-on", "never", str(files["weak"]))
    assert code == 0


def test_warning_threshold(files: dict[str, Path]) -> None:
    assert run("lint", "-p", "caiso-demo", str(files["serial"]))[0] == 1
    assert run("lint", "-p", "caiso-demo", "--fail-on", "error", str(files["serial"]))[0] == 0


def test_json_output(files: dict[str, Path]) -> None:
    code, out, _ = run("lint", "-p", "caiso-demo", "--format", "json", str(files["weak"]), str(files["good"]))
    assert code == 1
    data = json.loads(out)
    assert data["profile"] == "caiso-demo"
    weak, good = data["files"]
    assert [f["code"] for f in weak["findings"]] == ["CPS-KEY-SIZE"]
    assert weak["findings"][0]["citation"]["section"] == "6.1.5"
    assert good["findings"] == []


def test_sarif_output(files: dict[str, Path]) -> None:
    code, out, _ = run("lint", "-p", "caiso-demo", "--format", "sarif", str(files["weak"]))
    assert code == 1
    log = json.loads(out)
    assert log["version"] == "2.1.0"
    assert log["runs"][0]["results"][0]["ruleId"] == "CPS-KEY-SIZE"


def test_csr_needs_kind(files: dict[str, Path]) -> None:
    code, _, err = run("lint", "-p", "caiso-demo", str(files["csr"]))
    assert code == 2
    assert "--kind" in err
    code, out, _ = run("lint", "-p", "caiso-demo", "--kind", "rig", str(files["csr"]))
    assert code == 0, out


def test_bad_input_exits_2(files: dict[str, Path], tmp_path: Path) -> None:
    code, _, err = run("lint", str(files["key"]))
    assert code == 2
    assert "private-key" in err
    garbage = tmp_path / "garbage.pem"
    garbage.write_text("not a certificate")
    assert run("lint", str(garbage))[0] == 2
    assert run("lint", str(tmp_path / "missing.pem"))[0] == 2
    assert run("lint", "--profile", "caiso-gold", str(files["good"]))[0] == 2


def test_profile_show_and_validate(tmp_path: Path) -> None:
    code, out, _ = run("profile", "show", "caiso-basic-assurance")
    assert code == 0
    assert "[rig]" in out
    assert "user-supplied (not configured)" in out
    code, out, _ = run("profile", "show", "caiso-demo", "--json")
    assert code == 0
    assert json.loads(out)["lineage"] == ["caiso-basic-assurance", "caiso-demo"]
    code, out, _ = run("profile", "list")
    assert out.split() == ["caiso-basic-assurance", "caiso-demo"]
    good = tmp_path / "mine.toml"
    good.write_text('extends = "caiso-basic-assurance"\nname = "mine"\n')
    code, out, _ = run("profile", "validate", str(good))
    assert code == 0
    assert "ok (mine" in out
    assert "user-supplied" in out
    bad = tmp_path / "bad.toml"
    bad.write_text('extends = "caiso-basic-assurance"\n[kinds.router.key]\nmin_rsa_bits = 1\n')
    code, _, err = run("profile", "validate", str(bad))
    assert code == 2
    assert "bad.toml" in err
    assert "kinds.router" in err


def test_console_script(files: dict[str, Path]) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "caiso_pki", "lint", "-p", "caiso-demo", str(files["weak"])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1, result.stderr
    assert "CPS-KEY-SIZE" in result.stdout
