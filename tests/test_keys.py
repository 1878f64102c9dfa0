"""Key specs, key generation and crash-safe, private key files."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from tests.conftest import run_openssl

import caiso_pki
from caiso_pki import KeySpec, generate_private_key, save_private_key
from caiso_pki.errors import CaisoPkiError, PasswordError, UnsupportedAlgorithmError
from caiso_pki.keys import key_usage_fits, key_usage_name


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("rsa-2048", "rsa-2048"),
        ("RSA2048", "rsa-2048"),
        ("rsa_3072", "rsa-3072"),
        ("rsa-4096", "rsa-4096"),
        ("ec-p256", "ec-p256"),
        ("EC-P-256", "ec-p256"),
        ("ecdsa-secp256r1", "ec-p256"),
        ("prime256v1", "ec-p256"),
        ("ec-p384", "ec-p384"),
        ("p-384", "ec-p384"),
    ],
)
def test_key_spec_parse(text: str, canonical: str) -> None:
    spec = KeySpec.parse(text)
    assert str(spec) == canonical
    assert KeySpec.parse(str(spec)) == spec


@pytest.mark.parametrize("text", ["rsa-1024", "rsa-2047", "ec-p521", "ed25519", "dsa-2048", "", "rsa-"])
def test_key_spec_rejects_unsupported(text: str) -> None:
    with pytest.raises(UnsupportedAlgorithmError):
        KeySpec.parse(text)


def test_key_spec_hash() -> None:
    assert KeySpec.parse("ec-p384").hash_name == "sha384"
    assert KeySpec.parse("ec-p256").hash_name == "sha256"
    assert KeySpec.parse("rsa-4096").hash_name == "sha256"


@pytest.mark.parametrize("spec", ["rsa-2048", "rsa-3072", "rsa-4096", "ec-p256", "ec-p384"])
def test_generate_private_key(spec: str) -> None:
    key = generate_private_key(spec)
    assert KeySpec.of_key(key) == KeySpec.parse(spec)
    assert KeySpec.of_key(key.public_key()) == KeySpec.parse(spec)
    if spec.startswith("rsa"):
        assert isinstance(key, rsa.RSAPrivateKey)
        assert key.private_numbers().public_numbers.e == 65537
    else:
        assert isinstance(key, ec.EllipticCurvePrivateKey)


def test_generate_accepts_key_spec_value() -> None:
    key = generate_private_key(KeySpec("ec", 384, curve="p384"))
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    assert key.curve.name == "secp384r1"


def test_of_key_rejects_other_algorithms() -> None:
    with pytest.raises(UnsupportedAlgorithmError, match="Ed25519"):
        KeySpec.of_key(ed25519.Ed25519PrivateKey.generate())
    with pytest.raises(UnsupportedAlgorithmError, match="1024"):
        KeySpec.of_key(rsa.generate_private_key(65537, 1024))


def test_key_usage_names() -> None:
    assert key_usage_name("contentCommitment") == "nonRepudiation"
    assert key_usage_name("key_encipherment") == "keyEncipherment"
    with pytest.raises(UnsupportedAlgorithmError, match="signEverything"):
        key_usage_name("signEverything")
    assert not key_usage_fits("keyEncipherment", KeySpec.parse("ec-p256"))
    assert key_usage_fits("keyEncipherment", KeySpec.parse("rsa-2048"))
    assert not key_usage_fits("keyAgreement", KeySpec.parse("rsa-2048"))


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("spec", ["rsa-2048", "ec-p256"])
def test_save_unencrypted_pkcs8_0600(tmp_path: Path, spec: str) -> None:
    key = generate_private_key(spec)
    path = save_private_key(key, tmp_path / "key.pem")
    assert _mode(path) == 0o600
    text = path.read_text()
    assert text.startswith("-----BEGIN PRIVATE KEY-----")
    loaded = caiso_pki.load_private_key(path)
    assert loaded.public_key() == key.public_key()
    run_openssl("pkey", "-in", path, "-noout")


def test_save_encrypted_and_wrong_password(tmp_path: Path) -> None:
    key = generate_private_key("ec-p384")
    path = save_private_key(key, tmp_path / "key.pem", password="correct horse")
    assert _mode(path) == 0o600
    assert path.read_text().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    assert caiso_pki.load_private_key(path, password="correct horse").public_key() == key.public_key()
    with pytest.raises(PasswordError, match="wrong password"):
        caiso_pki.load_private_key(path, password="wrong horse")
    with pytest.raises(PasswordError, match="encrypted"):
        caiso_pki.load_private_key(path)
    # openssl reads it with the right password and refuses the wrong one
    run_openssl("pkey", "-in", path, "-passin", "pass:correct horse", "-noout")
    proc = subprocess.run(
        ["openssl", "pkey", "-in", str(path), "-passin", "pass:wrong", "-noout"],
        capture_output=True,
        check=False,
    )
    assert proc.returncode != 0


def test_password_never_in_error(tmp_path: Path) -> None:
    path = save_private_key(generate_private_key("ec-p256"), tmp_path / "k.pem", password=b"s3cret-value")
    with pytest.raises(PasswordError) as info:
        caiso_pki.load_private_key(path, password="not-the-s3cret")
    assert "s3cret" not in str(info.value)


def test_empty_password_refused(tmp_path: Path) -> None:
    with pytest.raises(PasswordError):
        save_private_key(generate_private_key("ec-p256"), tmp_path / "k.pem", password="")
    assert not (tmp_path / "k.pem").exists()


def test_refuses_overwrite_unless_asked(tmp_path: Path) -> None:
    path = tmp_path / "key.pem"
    path.write_text("old")
    key = generate_private_key("ec-p256")
    with pytest.raises(CaisoPkiError, match="already exists"):
        save_private_key(key, path)
    assert path.read_text() == "old"
    save_private_key(key, path, overwrite=True)
    assert caiso_pki.load_private_key(path).public_key() == key.public_key()
    assert _mode(path) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == ["key.pem"]


def test_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(CaisoPkiError, match="does not exist"):
        save_private_key(generate_private_key("ec-p256"), tmp_path / "nope" / "key.pem")


@pytest.mark.parametrize("existing", [False, True])
def test_failed_fsync_leaves_nothing_half_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, existing: bool
) -> None:
    path = tmp_path / "key.pem"
    if existing:
        path.write_text("previous key")

    def broken_fsync(fd: int) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(CaisoPkiError, match="cannot write the private key"):
        save_private_key(generate_private_key("ec-p256"), path, overwrite=True)
    monkeypatch.undo()
    if existing:
        assert path.read_text() == "previous key"
        assert sorted(p.name for p in tmp_path.iterdir()) == ["key.pem"]
    else:
        assert list(tmp_path.iterdir()) == []


_CHILD = textwrap.dedent(
    """
    import os, sys, time
    from caiso_pki import generate_private_key, save_private_key

    key = generate_private_key("rsa-2048")
    real_fsync = os.fsync

    def slow_fsync(fd):
        sys.stdout.write("writing\\n")
        sys.stdout.flush()
        time.sleep(60)
        real_fsync(fd)

    os.fsync = slow_fsync
    save_private_key(key, sys.argv[1], overwrite=True)
    """
)


@pytest.mark.parametrize("existing", [False, True])
def test_sigkill_mid_write_never_exposes_partial_key(tmp_path: Path, existing: bool) -> None:
    target = tmp_path / "key.pem"
    if existing:
        target.write_text("previous key")
    child = subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(target)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        line = child.stdout.readline()
        assert line == b"writing\n", child.stderr.read() if child.stderr else line
        child.send_signal(signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        for stream in (child.stdout, child.stderr):
            if stream is not None:
                stream.close()
    assert child.returncode == -signal.SIGKILL
    if existing:
        assert target.read_text() == "previous key"
    else:
        assert not target.exists()
    # A SIGKILL cannot clean up: what may remain is only the private (0600) temporary file, never the target.
    leftovers = [p for p in tmp_path.iterdir() if p != target]
    for leftover in leftovers:
        assert leftover.name.startswith(".key.pem.")
        assert leftover.name.endswith(".tmp")
        assert _mode(leftover) == 0o600


def test_saving_to_a_directory_says_it_is_a_directory(tmp_path: Path) -> None:
    # issue 13 defect 10: save_private_key(key, "/tmp") said "already exists"
    with pytest.raises(CaisoPkiError, match=r"is a directory; give a file path") as info:
        save_private_key(generate_private_key("ec-p256"), tmp_path)
    assert "already exists" not in str(info.value)
    existing = tmp_path / "key.pem"
    existing.write_text("old")
    with pytest.raises(CaisoPkiError, match="already exists; pass overwrite=True to replace it") as again:
        save_private_key(generate_private_key("ec-p256"), existing)
    assert again.value.remedy == "overwrite"  # the command line words it as --force
