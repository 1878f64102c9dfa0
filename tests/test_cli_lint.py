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

from _cli import run_cli
from _hostile import HOSTILE_NAMES, hostile_leaf
from caiso_pki import load_certificate, testing
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


# -- issue 13 ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    pki = testing.DemoPki.create()
    out = tmp_path_factory.mktemp("lint-hostile")
    paths = {}
    for kind in HOSTILE_NAMES:
        paths[kind] = out / f"{kind}.pem"
        paths[kind].write_text(hostile_leaf(pki, kind).certificate.pem)
    return paths


@pytest.mark.parametrize(
    ("kind", "shown"),
    [("bmp-nul", "\\x00b\\x00m\\x00p"), ("newline", "line1\\nFAKE: VALID"), ("escape", "x\\x1b[31mRED")],
)
def test_names_are_escaped_in_text_output(hostile: dict[str, Path], kind: str, shown: str) -> None:
    # issue 13 defect 1: a BMPString subject printed NUL bytes; a newline split the lines
    result = run_cli(["lint", "--profile", "caiso-basic-assurance", hostile[kind]])
    assert result.returncode == 1, result.output
    assert shown in result.out
    assert b"\x00" not in result.stdout and b"\x1b" not in result.stdout
    assert not any(line.startswith("FAKE") for line in result.out.splitlines())
    data = json.loads(run_cli(["lint", "--format", "json", hostile[kind]]).out)
    subject = load_certificate(hostile[kind]).subject.rfc4514
    assert {f["certificate_subject"] for f in data["files"][0]["findings"]} == {subject}  # exact in JSON


def test_lint_reads_pipes_and_stdin(files: dict[str, Path]) -> None:
    # issue 13 defect 8: lint from a pipe said "is empty"
    pem = files["good"].read_bytes()
    for name in ("/dev/stdin", "-"):
        result = run_cli(["lint", "-p", "caiso-demo", name], stdin=pem)
        assert result.returncode == 0, result.output
        assert "clean against caiso-demo" in result.out


def test_out_of_range_profile_numbers_are_refused_when_loading(
    files: dict[str, Path], tmp_path: Path
) -> None:
    # issue 13 defect 3: max_days = 1000000000 passed "profile validate"; lint then raised OverflowError
    cases = {
        "validity.max_days": "[defaults.validity]\nmax_days = 1000000000\n",
        "key.min_rsa_bits": "[defaults.key]\nmin_rsa_bits = 99999999\n",
        "serial.max_octets": "[defaults.serial]\nmax_octets = 21\n",
        "serial.min_bits": "[defaults.serial]\nmin_bits = -1\n",
        "basic_constraints.max_path_length": (
            "[kinds.issuing-ca.basic_constraints]\nmax_path_length = 100000\n"
        ),
    }
    for key, body in cases.items():
        profile = tmp_path / f"{key}.toml"
        profile.write_text('extends = "caiso-demo"\n' + body)
        for args in (["profile", "validate", str(profile)], ["lint", "-p", str(profile), str(files["good"])]):
            result = run_cli(args)
            assert result.returncode == 2, (key, result.output)
            assert key in result.err and "expected an integer from" in result.err
            assert "Traceback" not in result.output


def test_check_chain_api_refuses_the_profile_too(tmp_path: Path) -> None:
    from caiso_pki import check_chain
    from caiso_pki.errors import ProfileError

    profile = tmp_path / "big.toml"
    profile.write_text('extends = "caiso-demo"\n[defaults.validity]\nmax_days = 1000000000\n')
    pki = testing.DemoPki.create()
    issued = pki.issuing_ca.issue("rig", "rig-0001.example.com")
    with pytest.raises(ProfileError, match="max_days"):
        check_chain(issued.certificate, issued.chain, profile=profile, trust=pki.trust_anchors)
