"""``caiso-pki demo``: the main job on the built-in demo PKI."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from _cli import run_cli
from caiso_pki import load_certificate, load_csr, load_private_key
from caiso_pki.cli import main


def test_demo_reports_a_valid_chain_and_writes_its_files(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    out = result.output
    assert "Demo CAISO Root CA" in out
    assert "Demo CAISO Issuing CA 1" in out
    assert "rig-0001.demo-participant.example" in out
    assert "the chain is VALID" in out
    assert "refused: distrusted-anchor" in out
    leaf = load_certificate(tmp_path / "rig.pem")
    assert leaf.issuer.common_name == "Demo CAISO Issuing CA 1"
    csr = load_csr(tmp_path / "rig.csr")
    assert csr.subject == leaf.subject
    assert stat.S_IMODE((tmp_path / "rig.key").stat().st_mode) == 0o600
    key = load_private_key(tmp_path / "rig.key")
    assert key.public_key() == leaf.x509.public_key()


def test_demo_json_output(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["validation"]["valid"] is True
    assert [entry["subject"].split(",")[0] for entry in report["validation"]["path"]] == [
        "CN=Demo CAISO Root CA",
        "CN=Demo CAISO Issuing CA 1",
        "CN=rig-0001.demo-participant.example",
    ]
    assert report["retired_root_refused"] is True
    assert report["findings"] == []
    assert "PRIVATE KEY" not in result.output


def test_demo_console_script_runs(tmp_path: Path) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "caiso_pki", "demo", "--dir", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "the chain is VALID" in run.stdout


def test_demo_dir_that_cannot_be_created_is_bad_input(tmp_path: Path) -> None:
    # issue 13 defect 11: demo --dir /proc/nope gave a FileNotFoundError traceback
    for target in ("/proc/nope", str(tmp_path / "file" / "sub")):
        (tmp_path / "file").write_text("a file, not a directory")
        result = run_cli(["demo", "--dir", target])
        assert result.returncode == 2, result.output
        assert result.err.startswith(f"error: demo --dir {target}: cannot create the directory: ")
        assert "Traceback" not in result.output


def test_demo_refuses_a_directory_that_is_not_empty(tmp_path: Path) -> None:
    # issue 13 defect 11: a second run silently overwrote the CA and RIG private keys
    assert CliRunner().invoke(main, ["demo", "--dir", str(tmp_path)]).exit_code == 0
    keys = {path: path.read_bytes() for path in tmp_path.rglob("*.key")}
    again = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path)])
    assert again.exit_code == 2
    assert "the directory is not empty" in again.stderr and "use --force" in again.stderr
    assert {path: path.read_bytes() for path in tmp_path.rglob("*.key")} == keys
    forced = CliRunner().invoke(main, ["demo", "--dir", str(tmp_path), "--force"])
    assert forced.exit_code == 0, forced.output
    assert (tmp_path / "rig.key").read_bytes() != keys[tmp_path / "rig.key"]
