"""``caiso-pki pkcs12 build``: a PFX from a key, a certificate and a chain, in both encryptions, read back
by ``openssl pkcs12 -info`` and by caiso-pki, never replacing a file without ``--force``."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import attrs
import pytest

from _cli import run_cli
from caiso_pki import load_pkcs12, save_private_key, testing

PASSWORD = "pfx-build-password-9"


@attrs.frozen
class Files:
    issued: testing.IssuedCertificate
    d: Path


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    d = tmp_path_factory.mktemp("pfx-build")
    pki = testing.DemoPki.create()
    issued = pki.issuing_ca.issue("rig", "rig-0009.example.com")
    (d / "rig.pem").write_text(issued.certificate.pem)
    (d / "chain.pem").write_text("".join(cert.pem for cert in issued.chain))
    (d / "rig.key").write_bytes(issued.key_pem())
    assert issued.key is not None
    save_private_key(issued.key, d / "rig-encrypted.key", password="key-secret")
    (d / "key-pass.txt").write_text("key-secret\n")
    (d / "password.txt").write_text(PASSWORD + "\n")
    (d / "empty.txt").write_text("\n")
    return Files(issued, d)


def build(files: Files, out: Path, *extra: str) -> list[str]:
    return [
        "pkcs12",
        "build",
        "--key",
        os.fspath(files.d / "rig.key"),
        "--cert",
        os.fspath(files.d / "rig.pem"),
        "--chain",
        os.fspath(files.d / "chain.pem"),
        "--out",
        os.fspath(out),
        "--password-file",
        os.fspath(files.d / "password.txt"),
        *extra,
    ]


@pytest.mark.openssl
@pytest.mark.parametrize(
    ("encryption", "expected"),
    [
        ("modern", ["MAC: sha256", "PBES2, PBKDF2, AES-256-CBC"]),
        ("legacy", ["MAC: sha1", "pbeWithSHA1And3-KeyTripleDES-CBC"]),
    ],
)
def test_openssl_reads_both_encryptions(
    files: Files, tmp_path: Path, encryption: str, expected: list[str]
) -> None:
    out = tmp_path / f"{encryption}.pfx"
    run = run_cli(build(files, out, "--encryption", encryption))
    assert run.returncode == 0, run.output
    assert f"encryption: {encryption}" in run.out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    openssl = shutil.which("openssl")
    assert openssl is not None
    info = subprocess.run(
        [openssl, "pkcs12", "-info", "-in", out, "-passin", f"file:{files.d / 'password.txt'}", "-noout"],
        capture_output=True,
        check=False,
    )
    text = (info.stdout + info.stderr).decode()
    assert info.returncode == 0, text
    for fragment in expected:
        assert fragment in text
    assert text.count("Certificate bag") == 1 + len(files.issued.chain)
    bundle = load_pkcs12(out.read_bytes(), password=PASSWORD)
    assert bundle.certificate == files.issued.certificate
    assert bundle.chain == tuple(files.issued.chain)


def test_an_existing_file_is_kept_without_force(files: Files, tmp_path: Path) -> None:
    out = tmp_path / "rig.pfx"
    out.write_bytes(b"precious")
    run = run_cli(build(files, out))
    assert run.returncode == 2
    assert "already exists; use --force" in run.err
    assert out.read_bytes() == b"precious"
    assert run_cli(build(files, out, "--force")).returncode == 0
    assert load_pkcs12(out.read_bytes(), password=PASSWORD).certificate == files.issued.certificate


def test_an_encrypted_key_with_its_password_file(files: Files, tmp_path: Path) -> None:
    out = tmp_path / "enc.pfx"
    argv = build(files, out, "--key-password-file", os.fspath(files.d / "key-pass.txt"))
    argv[argv.index("--key") + 1] = os.fspath(files.d / "rig-encrypted.key")
    run = run_cli(argv)
    assert run.returncode == 0, run.output
    assert load_pkcs12(out.read_bytes(), password=PASSWORD).key is not None


def test_an_encrypted_key_without_a_terminal_names_the_option(files: Files, tmp_path: Path) -> None:
    argv = build(files, tmp_path / "x.pfx")
    argv[argv.index("--key") + 1] = os.fspath(files.d / "rig-encrypted.key")
    run = run_cli(argv)
    assert run.returncode == 2
    assert "rig-encrypted.key" in run.err and "--key-password-file" in run.err
    assert not (tmp_path / "x.pfx").exists()


def test_an_empty_password_is_refused(files: Files, tmp_path: Path) -> None:
    argv = build(files, tmp_path / "x.pfx")
    argv[argv.index("--password-file") + 1] = os.fspath(files.d / "empty.txt")
    run = run_cli(argv)
    assert run.returncode == 2
    assert "empty" in run.err and "needs a password" in run.err
    assert not (tmp_path / "x.pfx").exists()


def test_a_key_of_another_certificate_names_the_key_file(files: Files, tmp_path: Path) -> None:
    other = tmp_path / "other.key"
    save_private_key(testing.DemoPki.create().root.key, other)
    argv = build(files, tmp_path / "x.pfx")
    argv[argv.index("--key") + 1] = os.fspath(other)
    run = run_cli(argv)
    assert run.returncode == 2
    assert run.err.startswith(f"error: --key {other}: the private key does not belong")
    assert not (tmp_path / "x.pfx").exists()


def test_the_password_never_appears_in_output(files: Files, tmp_path: Path) -> None:
    run = run_cli([*build(files, tmp_path / "x.pfx"), "--json"])
    assert run.returncode == 0
    assert PASSWORD not in run.output and "PRIVATE KEY" not in run.output
