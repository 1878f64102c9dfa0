"""Secrets hygiene: keys and passwords (of keys and PKCS#12 files) never show up where they should not.

Checked surfaces: ``repr``/``str`` of every value that holds a key, error messages (and their whole
traceback, causes included) for wrong, missing or odd passwords, log records at DEBUG across the
key/CSR/PKCS#12/trust-store operations, and the CLI's text and ``--json`` output.  Key files: created
0600 even with umask 0, and a thread polling the directory while many keys are written never sees
a file readable by group or others (temporary files included).
"""

from __future__ import annotations

import json
import logging
import os
import stat
import threading
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from caiso_pki import testing
from caiso_pki._atomic import atomic_write_bytes
from caiso_pki.cli import main
from caiso_pki.csr import build_csr
from caiso_pki.errors import CaisoPkiError, PasswordError
from caiso_pki.keys import generate_private_key, load_private_key, private_key_pem, save_private_key
from caiso_pki.pkcs12 import export_pkcs12, load_pkcs12

KEY_PASSWORD = "Sekr1t-Password-4711"
P12_PASSWORD = "P12-Password-0815-xyzzy"
WRONG = "Wrong-Guess-31337-plugh"


def key_fingerprints(key: object) -> list[str]:
    """Strings that would betray the private key: its PEM body lines and private numbers."""
    marks: list[str] = []
    if isinstance(key, ec.EllipticCurvePrivateKey):
        value = key.private_numbers().private_value
        marks += [str(value), f"{value:x}", f"{value:X}"]
    elif isinstance(key, rsa.RSAPrivateKey):
        numbers = key.private_numbers()
        for value in (numbers.d, numbers.p, numbers.q):
            marks += [str(value), f"{value:x}"]
    pem = key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    marks += [line for line in pem.splitlines()[1:-1] if len(line) >= 32]
    der = key.private_bytes(  # type: ignore[attr-defined]
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    marks.append(der.hex())
    return marks


def assert_clean(text: str, secrets: list[str], where: str) -> None:
    for secret in secrets:
        assert secret not in text, f"{where} contains a secret ({secret[:12]}...)"


def error_text(call: Callable[[], object]) -> str:
    """Message, repr and full formatted traceback (causes and contexts) of the CaisoPkiError raised."""
    with pytest.raises(CaisoPkiError) as info:
        call()
    exc = info.value
    return "\n".join([str(exc), repr(exc), *traceback.format_exception(exc)])


@pytest.fixture(scope="module")
def pki() -> testing.DemoPki:
    return testing.DemoPki.create()


@pytest.fixture(scope="module")
def issued(pki: testing.DemoPki) -> testing.IssuedCertificate:
    return pki.issuing_ca.issue("rig", "rig-secrets.example.com", dns_names=("rig-secrets.example.com",))


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory, issued: testing.IssuedCertificate) -> dict[str, Path]:
    """An encrypted key, an unencrypted key and a PKCS#12 file with known secrets."""
    root = tmp_path_factory.mktemp("secrets")
    assert issued.key is not None
    save_private_key(issued.key, root / "enc.pem", password=KEY_PASSWORD)
    save_private_key(issued.key, root / "plain.pem")
    p12 = export_pkcs12(issued.key, issued.certificate, chain=issued.chain, password=P12_PASSWORD)
    (root / "bundle.p12").write_bytes(p12)
    (root / "pass.txt").write_text(KEY_PASSWORD + "\n")
    (root / "p12pass.txt").write_text(P12_PASSWORD + "\n")
    (root / "wrong.txt").write_text(WRONG + "\n")
    return {
        name: root / name
        for name in ("enc.pem", "plain.pem", "bundle.p12", "pass.txt", "p12pass.txt", "wrong.txt")
    }


def test_detector_finds_a_leaked_key(issued: testing.IssuedCertificate) -> None:
    """The marks used below really identify the key: its own PEM contains them."""
    with pytest.raises(AssertionError):
        assert_clean(f"oops {issued.key_pem().decode()}", key_fingerprints(issued.key), "leak")


# -- repr and str ----------------------------------------------------------------------------------


def test_values_holding_keys_hide_them(
    issued: testing.IssuedCertificate, material: dict[str, Path], pki: testing.DemoPki
) -> None:
    secrets = key_fingerprints(issued.key)
    bundle = load_pkcs12(material["bundle.p12"], password=P12_PASSWORD)
    for value in (issued, bundle, pki.issuing_ca, pki):
        assert_clean(repr(value), secrets, f"repr({type(value).__name__})")
        assert_clean(str(value), secrets, f"str({type(value).__name__})")
    assert bundle.key is not None  # the key is there, just not shown


# -- error messages --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "call"),
    [
        ("wrong key password", lambda m: load_private_key(m["enc.pem"], password=WRONG)),
        (
            "wrong key password (bytes)",
            lambda m: load_private_key(m["enc.pem"].read_bytes(), password=WRONG.encode()),
        ),
        ("password for an unencrypted key", lambda m: load_private_key(m["plain.pem"], password=WRONG)),
        ("wrong PKCS#12 password", lambda m: load_pkcs12(m["bundle.p12"], password=WRONG)),
        ("NUL in PKCS#12 password", lambda m: load_pkcs12(m["bundle.p12"], password=WRONG + "\x00")),
        ("PKCS#12 password for a key file", lambda m: load_pkcs12(m["enc.pem"], password=WRONG)),
        (
            "wrong key password for export",
            lambda m: export_pkcs12(m["enc.pem"], None, password=WRONG, key_password=WRONG + "!"),
        ),
    ],
)
def test_errors_do_not_echo_passwords(
    label: str, call: Callable[[dict[str, Path]], object], material: dict[str, Path]
) -> None:
    text = error_text(lambda: call(material))
    assert_clean(text, [WRONG, KEY_PASSWORD, P12_PASSWORD], label)
    assert_clean(text, key_fingerprints(load_private_key(material["plain.pem"])), label)


def test_empty_password_error_is_clean(issued: testing.IssuedCertificate) -> None:
    with pytest.raises(PasswordError) as info:
        private_key_pem(issued.key, password="")  # type: ignore[arg-type]
    assert_clean(str(info.value), key_fingerprints(issued.key), "empty password error")


# -- logs ------------------------------------------------------------------------------------------


def test_debug_logs_hold_no_secrets(
    caplog: pytest.LogCaptureFixture, tmp_path: Path, pki: testing.DemoPki, material: dict[str, Path]
) -> None:
    from caiso_pki.truststore import TrustStore

    caplog.set_level(logging.DEBUG)
    key = generate_private_key("ec-p256")
    save_private_key(key, tmp_path / "k.pem", password=KEY_PASSWORD)
    loaded = load_private_key(tmp_path / "k.pem", password=KEY_PASSWORD)
    for bad in (WRONG, None):
        with pytest.raises(PasswordError):
            load_private_key(tmp_path / "k.pem", password=bad)
    csr = build_csr(
        loaded,
        "CN=rig-logs.example.com,O=Demo Participant,C=US",
        profile="rig",
        dns_names=["rig-logs.example.com"],
    )
    issued = pki.issuing_ca.issue_from_csr(csr, kind="rig")
    p12 = export_pkcs12(
        tmp_path / "k.pem",
        issued.certificate,
        chain=issued.chain,
        password=P12_PASSWORD,
        key_password=KEY_PASSWORD,
    )
    load_pkcs12(p12, password=P12_PASSWORD)
    with pytest.raises(PasswordError):
        load_pkcs12(p12, password=WRONG)
    store = TrustStore.init(tmp_path / "store").add(pki.root.certificate)
    store.save()
    TrustStore.open(tmp_path / "store")
    logged = "\n".join(
        f"{record.getMessage()} {record.args!r} {record.exc_text or ''}" for record in caplog.records
    )
    assert_clean(logged, [KEY_PASSWORD, P12_PASSWORD, WRONG, *key_fingerprints(loaded)], "DEBUG log")


# -- CLI output ------------------------------------------------------------------------------------


def _run(args: list[str], env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(main, args, env=env, catch_exceptions=False)
    return f"{result.output}\n{getattr(result, 'stderr', '')}\nexit={result.exit_code}"


@pytest.mark.parametrize("as_json", [True, False], ids=["json", "text"])
def test_cli_inspect_output_holds_no_secrets(material: dict[str, Path], as_json: bool) -> None:
    flag = ["--json"] if as_json else []
    secrets = [KEY_PASSWORD, P12_PASSWORD, WRONG, *key_fingerprints(load_private_key(material["plain.pem"]))]
    outputs = {
        "key": _run(
            ["inspect", *flag, "--password-file", str(material["pass.txt"]), str(material["enc.pem"])]
        ),
        "plain key": _run(["inspect", *flag, str(material["plain.pem"])]),
        "p12": _run(
            ["inspect", *flag, "--password-env", "P12PW", str(material["bundle.p12"])],
            env={"P12PW": P12_PASSWORD},
        ),
        "wrong key": _run(
            ["inspect", *flag, "--password-file", str(material["wrong.txt"]), str(material["enc.pem"])]
        ),
        "wrong p12": _run(
            ["inspect", *flag, "--password-env", "P12PW", str(material["bundle.p12"])], env={"P12PW": WRONG}
        ),
    }
    for label, output in outputs.items():
        assert_clean(output, secrets, f"inspect {label}")
    if as_json:
        document = json.loads(outputs["key"].split("\nexit=")[0].strip())
        assert document  # a real description came out


def test_cli_csr_new_output_holds_no_secrets(tmp_path: Path) -> None:
    output = _run(
        [
            "csr",
            "new",
            "--profile",
            "rig",
            "--subject",
            "CN=rig-cli.example.com,O=Demo Participant,C=US",
            "--dns",
            "rig-cli.example.com",
            "--key-spec",
            "ec-p256",
            "--key-out",
            str(tmp_path / "key.pem"),
            "--csr-out",
            str(tmp_path / "csr.pem"),
            "--password-env",
            "KEYPW",
            "--json",
        ],
        env={"KEYPW": KEY_PASSWORD},
    )
    assert "exit=0" in output, output
    key = load_private_key(tmp_path / "key.pem", password=KEY_PASSWORD)
    assert_clean(output, [KEY_PASSWORD, *key_fingerprints(key)], "csr new --json")
    assert stat.S_IMODE((tmp_path / "key.pem").stat().st_mode) == 0o600


# -- key file permissions --------------------------------------------------------------------------


@pytest.fixture
def umask_zero() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def test_key_files_are_0600_with_umask_zero(tmp_path: Path, umask_zero: None) -> None:
    key = generate_private_key("ec-p256")
    for name, password in (("plain.pem", None), ("enc.pem", KEY_PASSWORD)):
        path = save_private_key(key, tmp_path / name, password=password)
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path = save_private_key(key, tmp_path / "plain.pem", overwrite=True)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_no_window_where_a_key_file_is_world_readable(tmp_path: Path, umask_zero: None) -> None:
    """Poll the directory while 200 keys are written (new files and overwrites): every file seen,
    temporary ones included, is 0600 from the moment it exists."""
    keys = [generate_private_key("ec-p256") for _ in range(2)]
    stop = threading.Event()
    seen: list[str] = []
    exposed: list[tuple[str, int]] = []

    def poll() -> None:
        while not stop.is_set():
            with os.scandir(tmp_path) as entries:
                for entry in entries:
                    try:
                        mode = stat.S_IMODE(entry.stat(follow_symlinks=False).st_mode)
                    except FileNotFoundError:
                        continue  # a temporary file renamed away under us
                    seen.append(entry.name)
                    if mode & 0o077:
                        exposed.append((entry.name, mode))

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    try:
        for index in range(200):
            save_private_key(keys[index % 2], tmp_path / f"key-{index % 10}.pem", overwrite=True)
    finally:
        stop.set()
        watcher.join()
    assert not exposed, f"files readable by others: {exposed[:5]}"
    assert seen, "the poller never saw a file"


def test_atomic_write_temp_file_is_private_before_chmod(tmp_path: Path, umask_zero: None) -> None:
    """A 0644 public file goes through a 0600 temporary file; a 0600 file never becomes 0644."""
    atomic_write_bytes(tmp_path / "cert.pem", b"public", mode=0o644)
    assert stat.S_IMODE((tmp_path / "cert.pem").stat().st_mode) == 0o644
    atomic_write_bytes(tmp_path / "key.pem", b"secret", mode=0o600)
    assert stat.S_IMODE((tmp_path / "key.pem").stat().st_mode) == 0o600
    atomic_write_bytes(tmp_path / "key.pem", b"secret2", mode=0o600, overwrite=True)
    assert stat.S_IMODE((tmp_path / "key.pem").stat().st_mode) == 0o600
    assert not list(tmp_path.glob(".*.tmp"))
