"""``caiso-pki csr``: new, check, show and renew, driven the way a user types them."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from tests.conftest import run_openssl

import caiso_pki
from _cli import run_cli, run_in_pty
from caiso_pki import testing
from caiso_pki.cli import main
from caiso_pki.errors import PasswordError

SUBJECT = "CN=rig-01.example.com,O=Example Power,C=US"


def invoke(*args: str | Path, input: str | None = None, env: dict[str, str] | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["csr", *map(str, args)], input=input, env=env)
    return result.exit_code, result.output


def openssl_verifies(path: Path) -> str:
    out = run_openssl("req", "-in", path, "-noout", "-verify", "-text").decode()
    return out


def test_new_with_password_env(tmp_path: Path) -> None:
    key, csr = tmp_path / "rig.key", tmp_path / "rig.csr"
    code, out = invoke(
        "new",
        "--profile",
        "rig",
        "--subject",
        SUBJECT,
        "--dns",
        "rig-01.example.com",
        "--ip",
        "192.0.2.1",
        "--key-spec",
        "ec-p256",
        "--key-out",
        key,
        "--csr-out",
        csr,
        "--password-env",
        "RIG_PASS",
        env={"RIG_PASS": "env-secret"},
    )
    assert code == 0, out
    assert "profile: rig (conforms)" in out
    assert "env-secret" not in out
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().startswith("-----BEGIN ENCRYPTED PRIVATE KEY-----")
    loaded = caiso_pki.load_private_key(key, password="env-secret")
    with pytest.raises(PasswordError):
        caiso_pki.load_private_key(key, password="wrong")
    text = openssl_verifies(csr)
    assert "Subject: C = US, O = Example Power, CN = rig-01.example.com" in text
    assert "DNS:rig-01.example.com, IP Address:192.0.2.1" in text
    assert caiso_pki.load_csr(csr).public_key == loaded.public_key()


def test_new_with_password_file_and_prompt(tmp_path: Path) -> None:
    secret = tmp_path / "pass.txt"
    secret.write_text("file-secret\n")
    code, out = invoke(
        "new",
        "--profile",
        "api-client",
        "--subject",
        "CN=svc-billing,O=Example",
        "--key-out",
        tmp_path / "a.key",
        "--csr-out",
        tmp_path / "a.csr",
        "--password-file",
        secret,
    )
    assert code == 0, out
    assert caiso_pki.load_private_key(tmp_path / "a.key", password="file-secret")
    assert "(rsa-2048, encrypted" in out  # the profile's default key spec
    prompted = run_in_pty(
        [
            "csr",
            "new",
            "--subject",
            "CN=jo,O=Example",
            "--key-spec",
            "ec-p384",
            "--key-out",
            tmp_path / "b.key",
            "--csr-out",
            tmp_path / "b.csr",
            "--prompt-password",
        ],
        answers=["typed-secret", "typed-secret"],
    )
    assert prompted.returncode == 0, prompted.output
    assert "typed-secret" not in prompted.output
    assert caiso_pki.load_private_key(tmp_path / "b.key", password="typed-secret")
    openssl_verifies(tmp_path / "b.csr")


def test_new_requires_a_password_decision(tmp_path: Path) -> None:
    code, out = invoke("new", "--subject", "CN=x", "--key-out", tmp_path / "k", "--csr-out", tmp_path / "c")
    assert code == 2
    assert "--no-password" in out
    assert list(tmp_path.iterdir()) == []
    code, _ = invoke(
        "new",
        "--subject",
        "CN=x",
        "--key-out",
        tmp_path / "k",
        "--csr-out",
        tmp_path / "c",
        "--password",
        "plain",
    )
    assert code == 2  # no such option: passwords are never plain arguments
    code, out = invoke(
        "new",
        "--subject",
        "CN=x",
        "--key-spec",
        "ec-p256",
        "--key-out",
        tmp_path / "k",
        "--csr-out",
        tmp_path / "c",
        "--no-password",
    )
    assert code == 0, out
    assert "UNENCRYPTED" in out
    assert caiso_pki.load_private_key(tmp_path / "k")


def test_new_profile_violation_writes_nothing(tmp_path: Path) -> None:
    code, out = invoke(
        "new",
        "--profile",
        "rig",
        "--subject",
        "CN=x,C=CA",
        "--key-out",
        tmp_path / "k",
        "--csr-out",
        tmp_path / "c",
        "--no-password",
    )
    assert code == 1
    assert "REQ-SUBJECT-VALUE" in out
    assert "REQ-SAN-MISSING" in out
    assert list(tmp_path.iterdir()) == []


def test_new_with_existing_key_and_no_overwrite(tmp_path: Path) -> None:
    key = caiso_pki.generate_private_key("ec-p256")
    caiso_pki.save_private_key(key, tmp_path / "k.pem", password="pw")
    (tmp_path / "c.csr").write_text("old")
    args = ["new", "--subject", "CN=svc,O=X", "--key", tmp_path / "k.pem", "--csr-out", tmp_path / "c.csr"]
    code, out = invoke(*args, "--password-env", "PW", env={"PW": "pw"})
    assert code == 2
    assert "already exists" in out
    assert (tmp_path / "c.csr").read_text() == "old"
    code, out = invoke(*args, "--password-env", "PW", "--force", "--json", env={"PW": "pw"})
    assert code == 0, out
    assert json.loads(out)["key"]["spec"] == "ec-p256"
    assert caiso_pki.load_csr(tmp_path / "c.csr").public_key == key.public_key()
    code, out = invoke(*args, "--force", "--password-env", "PW", env={"PW": "bad"})
    assert code == 2
    assert "wrong password" in out


def test_check(tmp_path: Path) -> None:
    run_openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", tmp_path / "k.pem")
    run_openssl(
        "req",
        "-new",
        "-key",
        tmp_path / "k.pem",
        "-out",
        tmp_path / "dev.csr",
        "-subj",
        "/C=US/O=Example/CN=rig-09.example.com",
        "-addext",
        "subjectAltName=DNS:rig-09.example.com",
        "-addext",
        "extendedKeyUsage=serverAuth,clientAuth",
    )
    code, out = invoke("check", tmp_path / "dev.csr", "--profile", "rig")
    assert code == 0, out
    assert "conforms to profile rig (0 error(s), 1 warning(s))" in out
    assert "REQ-KU-ABSENT" in out
    code, out = invoke("check", tmp_path / "dev.csr", "--profile", "api-client", "--json")
    assert code == 1
    data = json.loads(out)
    assert data["conforms"] is False
    assert [f["code"] for f in data["findings"]] == ["REQ-KU-ABSENT", "REQ-EKU-EXTRA"]
    assert data["csr"]["subject"]["rfc4514"] == "CN=rig-09.example.com,O=Example,C=US"
    code, out = invoke("check", tmp_path / "k.pem", "--profile", "rig")
    assert code == 2
    assert "k.pem: holds EC PRIVATE KEY; expected one CERTIFICATE REQUEST" in out
    code, out = invoke("check", tmp_path / "dev.csr", "--profile", "nope")
    assert code == 2
    assert "unknown request profile" in out


def test_show(tmp_path: Path) -> None:
    csr = caiso_pki.build_csr(
        caiso_pki.generate_private_key("ec-p256"), SUBJECT, dns_names=["rig-01.example.com"], profile="rig"
    )
    (tmp_path / "c.csr").write_text(csr.pem)
    code, out = invoke("show", tmp_path / "c.csr")
    assert code == 0, out
    assert "signature: ecdsa-with-SHA256 (valid)" in out
    assert "extended key usage: serverAuth, clientAuth" in out
    code, out = invoke("show", tmp_path / "c.csr", "--json")
    assert json.loads(out) == csr.to_dict()


def test_renew_same_key_and_rekey(tmp_path: Path) -> None:
    pki = testing.DemoPki.create()
    issued = pki.issuing_ca.issue("rig", "rig-0100.example.com", key_spec="ec-p256")
    (tmp_path / "cert.pem").write_text(issued.certificate.pem)
    assert issued.key is not None
    caiso_pki.save_private_key(issued.key, tmp_path / "key.pem", password="old-pw")
    code, out = invoke(
        "renew",
        "--cert",
        tmp_path / "cert.pem",
        "--key",
        tmp_path / "key.pem",
        "--csr-out",
        tmp_path / "r.csr",
        "--password-env",
        "PW",
        env={"PW": "old-pw"},
    )
    assert code == 0, out
    renewed = caiso_pki.load_csr(tmp_path / "r.csr")
    assert renewed.public_key == issued.key.public_key()
    assert renewed.subject == issued.certificate.subject
    assert "DNS:rig-0100.example.com" in openssl_verifies(tmp_path / "r.csr")

    code, out = invoke(
        "renew",
        "--cert",
        tmp_path / "cert.pem",
        "--rekey",
        "rsa-3072",
        "--csr-out",
        tmp_path / "n.csr",
        "--key-out",
        tmp_path / "n.key",
        "--no-password",
    )
    assert code == 0, out
    new_key = caiso_pki.load_private_key(tmp_path / "n.key")
    assert stat.S_IMODE((tmp_path / "n.key").stat().st_mode) == 0o600
    rekeyed = caiso_pki.load_csr(tmp_path / "n.csr")
    assert rekeyed.public_key == new_key.public_key()
    assert str(rekeyed.key_spec) == "rsa-3072"
    openssl_verifies(tmp_path / "n.csr")

    code, out = invoke("renew", "--cert", tmp_path / "cert.pem", "--csr-out", tmp_path / "x.csr")
    assert code == 2
    assert "--key" in out
    other = caiso_pki.generate_private_key("ec-p256")
    caiso_pki.save_private_key(other, tmp_path / "other.pem")
    code, out = invoke(
        "renew",
        "--cert",
        tmp_path / "cert.pem",
        "--key",
        tmp_path / "other.pem",
        "--csr-out",
        tmp_path / "x.csr",
        "--no-password",
    )
    assert code == 2
    assert "does not belong" in out
    assert not (tmp_path / "x.csr").exists()


# -- issue 13 ------------------------------------------------------------------------------------

NEW_KEY = ["new", "--subject", "CN=svc-billing,O=Example", "--key-spec", "ec-p256"]


@pytest.mark.parametrize(
    ("content", "first_line"),
    [
        (b"secret one\nsecond line\n", "secret one"),
        (b"secret one\r\nsecond line\r\n", "secret one"),
        (b"\xef\xbb\xbfsecret one\n", "secret one"),
        (b"secret one", "secret one"),
        ("pässwörd\nx\n".encode(), "pässwörd"),
    ],
    ids=["lf", "crlf", "bom", "no-newline", "utf-8"],
)
def test_password_file_is_its_first_line(
    tmp_path: Path, openssl_bin: str, content: bytes, first_line: str
) -> None:
    # issue 13 defect 2: the whole file was the password ("secret\nsecond\n", a BOM included)
    secret = tmp_path / "pass.txt"
    secret.write_bytes(content)
    key = tmp_path / "k.pem"
    args = [*NEW_KEY, "--key-out", key, "--csr-out", tmp_path / "c.csr", "--password-file", secret]
    code, out = invoke(*args)
    assert code == 0, out
    assert caiso_pki.load_private_key(key, password=first_line)
    run_openssl("pkey", "-in", key, "-noout", "-passin", f"pass:{first_line}")
    if b"\r" not in content and not content.startswith(b"\xef\xbb\xbf"):
        # the same file works for openssl's -passin file:, which reads the first line the same way
        run_openssl("pkey", "-in", key, "-noout", "-passin", f"file:{secret}")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"caf\xe9\n", "the password file is not UTF-8 text (byte 4 of its first line); save it as UTF-8"),
        (b"\nsecret\n", "the first line of the password file is empty"),
    ],
)
def test_unusable_password_file_is_bad_input(tmp_path: Path, content: bytes, message: str) -> None:
    # issue 13 defect 2: a non-UTF-8 file gave a UnicodeDecodeError traceback
    secret = tmp_path / "pass.txt"
    secret.write_bytes(content)
    result = run_cli(
        [
            "csr",
            *NEW_KEY,
            "--key-out",
            tmp_path / "k",
            "--csr-out",
            tmp_path / "c",
            "--password-file",
            secret,
        ]
    )
    assert result.returncode == 2, result.output
    assert result.err == f"error: {secret}: {message}\n"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["pass.txt"]


def test_password_from_stdin(tmp_path: Path) -> None:
    key = tmp_path / "k.pem"
    result = run_cli(
        ["csr", *NEW_KEY, "--key-out", key, "--csr-out", tmp_path / "c.csr", "--password-file", "-"],
        stdin=b"piped secret\n",
    )
    assert result.returncode == 0, result.output
    assert caiso_pki.load_private_key(key, password="piped secret")


def test_prompt_without_a_terminal_is_bad_input(tmp_path: Path) -> None:
    # issue 13 defect 7: GetPassWarning, then "Aborted!" with status 1
    result = run_cli(
        ["csr", *NEW_KEY, "--key-out", tmp_path / "k", "--csr-out", tmp_path / "c", "--prompt-password"]
    )
    assert result.returncode == 2, result.output
    assert result.err == (
        "error: the new private key: it needs a key password and there is no terminal to ask for it; "
        "use --password-file or --password-env\n"
    )
    assert list(tmp_path.iterdir()) == []


def test_existing_csr_out_leaves_no_orphan_key(tmp_path: Path) -> None:
    # issue 13 defect 9: the key was written, then --csr-out refused; the rerun failed on the key
    (tmp_path / "c.csr").write_text("old")
    args = [*NEW_KEY, "--key-out", tmp_path / "k.pem", "--csr-out", tmp_path / "c.csr", "--no-password"]
    code, out = invoke(*args)
    assert code == 2
    # issue 13 defect 10: the CLI option, not the Python keyword
    assert f"error: {tmp_path / 'c.csr'} already exists; use --force to replace it" in out
    assert "overwrite=True" not in out
    assert sorted(path.name for path in tmp_path.iterdir()) == ["c.csr"]
    code, out = invoke(*args, "--force")
    assert code == 0, out
    assert (
        caiso_pki.load_csr(tmp_path / "c.csr").public_key
        == caiso_pki.load_private_key(tmp_path / "k.pem").public_key()
    )


def test_only_one_output_goes_to_stdout(tmp_path: Path) -> None:
    # issue 13 defect 9: "--key-out - --csr-out -" created a file literally named "-"
    result = run_cli(["csr", *NEW_KEY, "--key-out", "-", "--csr-out", "-", "--no-password"], cwd=tmp_path)
    assert result.returncode == 2, result.output
    assert "--key-out and --csr-out all write to standard output; only one can" in result.err
    assert list(tmp_path.iterdir()) == []
    result = run_cli(["csr", *NEW_KEY, "--key-out", "k.pem", "--csr-out", "-", "--no-password"], cwd=tmp_path)
    assert result.returncode == 0, result.output
    assert caiso_pki.load_csr(result.stdout).subject.common_name == "svc-billing"
    assert "csr: <stdout>" in result.err and "BEGIN" not in result.err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["k.pem"]
    result = run_cli(["csr", *NEW_KEY, "--key-out", "k2.pem", "--csr-out", "-", "--json", "--no-password"])
    assert result.returncode == 2 and "--csr-out and --json" in result.err


def test_bidi_override_in_the_subject_is_refused(tmp_path: Path) -> None:
    # issue 13 defect 1: U+202E was accepted in csr new --subject
    code, out = invoke(
        "new",
        "--subject",
        "CN=evil\u202emoc.elpmaxe,O=X",
        "--key-out",
        tmp_path / "k",
        "--csr-out",
        tmp_path / "c",
        "--no-password",
    )
    assert code == 2
    assert "U+202E (right-to-left override)" in out
    assert list(tmp_path.iterdir()) == []
