"""Regression tests for issue 22 (a second hostile new user) that belong to no single command's file:
wrong-typed arguments that name their parameter, trust inputs accepted alike, error wording, trailing
bytes, certificates with algorithms caiso-pki cannot use, file names in JSON, the demo's files, and
the errors that now name their option or file."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from _cli import run_cli
from caiso_pki import (
    PolicyRequirement,
    TrustStore,
    build_csr,
    check_csr,
    client_ssl_context,
    cps_kind,
    generate_private_key,
    load_certificate,
    load_private_key,
    load_request_profile,
    save_private_key,
    testing,
    validate_chain,
    validate_many,
)
from caiso_pki.errors import CaisoPkiError, MalformedInputError, PasswordError


@pytest.fixture(scope="module")
def pki() -> testing.DemoPki:
    return testing.DemoPki.create()


# -- defect 10: wrong types name the parameter -----------------------------------------------------


def _cases(pki: testing.DemoPki, tmp: Path) -> list[tuple[str, object, str]]:
    key = generate_private_key("ec-p256")
    csr = build_csr(key, "CN=x.example.com")
    return [
        ("dns_names=123", lambda: build_csr(key, "CN=x", dns_names=123), "dns_names"),
        ("profile=123", lambda: build_csr(key, "CN=x", profile=123), "profile"),
        (
            "challenge_password=123",
            lambda: build_csr(key, "CN=x", challenge_password=123),
            "challenge_password",
        ),
        ("check_csr(path, None)", lambda: check_csr(csr, None), "profile"),
        ("save_private_key(k, None)", lambda: save_private_key(key, None), "path"),
        ("save_private_key(None, path)", lambda: save_private_key(None, tmp / "k.pem"), "key"),
        ("TrustStore.open(None)", lambda: TrustStore.open(None), "directory"),
        ("TrustStore.from_certificates(None)", lambda: TrustStore.from_certificates(None), "certificates"),
        ("PolicyRequirement(None)", lambda: PolicyRequirement(None), "acceptable"),
        ("load_request_profile(None)", lambda: load_request_profile(None), "profile"),
        ("cps_kind(None)", lambda: cps_kind(None), "cert"),
    ]


@pytest.mark.parametrize("index", range(11))
def test_wrong_types_raise_a_caiso_pki_error_naming_the_parameter(
    pki: testing.DemoPki, tmp_path: Path, index: int
) -> None:
    label, call, parameter = _cases(pki, tmp_path)[index]
    with pytest.raises(CaisoPkiError) as caught:
        call()  # type: ignore[operator]
    assert parameter in str(caught.value), (label, str(caught.value))
    assert not list(tmp_path.iterdir()), "nothing written"


def test_validate_many_none_names_the_parameter(pki: testing.DemoPki) -> None:
    with pytest.raises(CaisoPkiError, match="leaves"):
        validate_many(None, trust=[pki.root.certificate])  # type: ignore[arg-type]


@pytest.mark.parametrize("password", [123, True, 1.5, [1]])
def test_a_password_that_is_not_text_is_refused_not_used(
    pki: testing.DemoPki, tmp_path: Path, password: object
) -> None:
    """``password=123`` encrypted the key under 123 NUL bytes, ``True`` under one."""
    key = generate_private_key("ec-p256")
    with pytest.raises(PasswordError, match="password: expected str or bytes"):
        save_private_key(key, tmp_path / "k.pem", password=password)  # type: ignore[arg-type]
    assert not (tmp_path / "k.pem").exists()


# -- defect 11: the same trust inputs everywhere ------------------------------------------------------


def test_client_ssl_context_takes_a_list_of_paths_like_validation(
    pki: testing.DemoPki, tmp_path: Path
) -> None:
    issued = pki.issuing_ca.issue("api-client", "api.example.com")
    root = tmp_path / "root.pem"
    root.write_text(pki.root.certificate.pem)
    assert validate_chain(issued.certificate, issued.chain, trust=[str(root)], revocation="off").valid
    ctx = client_ssl_context(issued.certificate, issued.key, trust=[str(root)], chain=issued.chain)
    assert len(ctx.get_ca_certs()) == 1
    mixed = client_ssl_context(issued.certificate, issued.key, trust=[root, pki.entrust_root.certificate])
    assert len(mixed.get_ca_certs()) == 2


def test_a_bad_trust_item_is_blamed_on_trust(pki: testing.DemoPki) -> None:
    issued = pki.issuing_ca.issue("api-client", "api.example.com")
    with pytest.raises(CaisoPkiError, match=r"^trust\[1\]: expected"):
        client_ssl_context(issued.certificate, issued.key, trust=[pki.root.certificate, 42])
    with pytest.raises(MalformedInputError, match=r"missing\.pem: no such file"):
        client_ssl_context(issued.certificate, issued.key, trust=["missing.pem"])


# -- defect 13: wording ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["verify", "{leaf}", "--trust", "{dir}"],
        ["verify", "{leaf}", "--trust", "{root}", "--chain", "{dir}"],
        ["verify", "{leaf}", "--trust", "{root}", "--crl", "{dir}"],
        ["lint", "{dir}", "--profile", "caiso-demo"],
        ["store", "--store", "{store}", "add", "{dir}"],
    ],
    ids=["--trust", "--chain", "--crl", "lint", "store add"],
)
def test_a_directory_given_as_a_file_is_said_once(
    pki: testing.DemoPki, tmp_path: Path, argv: list[str]
) -> None:
    (tmp_path / "adir").mkdir()
    (tmp_path / "leaf.pem").write_text(pki.issuing_ca.issue("rig", "rig.example.com").certificate.pem)
    (tmp_path / "root.pem").write_text(pki.root.certificate.pem)
    TrustStore.init(tmp_path / "store")
    values = {"leaf": tmp_path / "leaf.pem", "dir": tmp_path / "adir", "root": tmp_path / "root.pem"}
    values["store"] = tmp_path / "store"
    run = run_cli([part.format(**{k: os.fspath(v) for k, v in values.items()}) for part in argv])
    assert run.returncode == 2
    assert "file file" not in run.err
    assert f"{tmp_path / 'adir'} is a directory, not a file" in run.err


def test_an_empty_path_is_not_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(MalformedInputError) as caught:
        load_certificate("")
    assert "the path is empty" in str(caught.value) and "directory" not in str(caught.value)


# -- gaps: trailing bytes, odd certificates, file names ------------------------------------------


def test_der_with_trailing_bytes_says_so(pki: testing.DemoPki, tmp_path: Path) -> None:
    path = tmp_path / "trailing.der"
    path.write_bytes(pki.root.certificate.der + b"\x00junk")
    with pytest.raises(MalformedInputError, match="trailing data after the certificate"):
        load_certificate(path)
    run = run_cli(["inspect", path])
    assert run.returncode == 2
    assert "trailing data after the certificate (5 bytes" in run.err
    assert "not a certificate, CSR" not in run.err


def _vector(relative: str) -> Path:
    vectors = pytest.importorskip("cryptography_vectors")
    return Path(vectors.__file__).parent / relative


@pytest.mark.parametrize(
    ("relative", "named"),
    [
        ("x509/e-trust.ru.der", "public key algorithm GOST R 34.10-2001: not supported"),
        (
            "x509/custom/unsupported_subject_public_key_info.pem",
            "public key algorithm 1.3.6.1.4.1.8432.1.1.2: not supported",
        ),
    ],
)
def test_inspect_describes_certificates_with_unsupported_algorithms(relative: str, named: str) -> None:
    path = _vector(relative)
    run = run_cli(["inspect", path])
    assert run.returncode == 0, run.output
    assert named in run.out
    data = json.loads(run_cli(["inspect", "--json", path]).out)
    assert named in data["certificates"][0]["unsupported"]
    assert load_certificate(path).unsupported[0] == named


def test_an_unsupported_key_never_validates_under_another_anchor(pki: testing.DemoPki) -> None:
    for relative in ("x509/e-trust.ru.der", "x509/custom/unsupported_subject_public_key_info.pem"):
        cert = load_certificate(_vector(relative))
        assert validate_chain(cert, [], trust=[pki.root.certificate], revocation="off").valid is False


def test_a_gost_certificate_is_refused_even_as_its_own_anchor() -> None:
    cert = load_certificate(_vector("x509/e-trust.ru.der"))
    result = validate_chain(cert, [], trust=[cert], revocation="off", waive=["weak-key"])
    assert result.valid is False
    assert [failure.code for failure in result.failures] == ["unsupported-algorithm"]


@pytest.mark.parametrize(
    "raw", [b"caf\xe9.pem", b"plain.pem", b"back\\slash.pem", b"lit\\xff.pem", b"\xff\xfe"]
)
def test_file_names_in_json_are_unambiguous(raw: bytes) -> None:
    from caiso_pki._text import path_bytes, path_text

    text = path_text(raw)
    assert path_bytes(text) == raw
    text.encode("utf-8")  # no lone surrogate reaches JSON
    # a name holding the four characters \xff and a name holding the byte 0xff differ
    assert path_text(b"lit\\xff.pem") != path_text(b"lit\xff.pem")


def test_audit_json_keeps_byte_names_apart(pki: testing.DemoPki, tmp_path: Path) -> None:
    from caiso_pki._text import path_bytes

    folder = tmp_path / "names"
    folder.mkdir()
    pem = pki.issuing_ca.issue("rig", "rig.example.com").certificate.pem.encode()
    for raw in (b"\xff\xfe.pem", b"\\xff\\xfe.pem"):
        Path(os.fsdecode(os.path.join(os.fsencode(folder), raw))).write_bytes(pem)
    (tmp_path / "root.pem").write_text(pki.root.certificate.pem)
    run = run_cli(
        ["audit", folder, "--trust", tmp_path / "root.pem", "--revocation", "off", "--format", "json"]
    )
    names = sorted(Path(entry["path"]).name for entry in json.loads(run.out)["entries"])
    assert len(set(names)) == 2
    assert sorted(path_bytes(name) for name in names) == sorted([b"\xff\xfe.pem", b"\\xff\\xfe.pem"])


# -- gaps: the demo leaves nothing behind --------------------------------------------------------


def test_demo_without_dir_removes_its_files(tmp_path: Path) -> None:
    run = run_cli(["demo"], env={"TMPDIR": os.fspath(tmp_path)})
    assert run.returncode == 0, run.output
    assert "files deleted at the end; use --dir DIR to keep them" in run.out
    assert list(tmp_path.iterdir()) == []
    kept = run_cli(["demo", "--dir", tmp_path / "kept", "--json"])
    assert json.loads(kept.out)["directory"] == os.fspath(tmp_path / "kept")
    assert (tmp_path / "kept" / "pki" / "caiso-root.key").exists()
    again = run_cli(["demo", "--dir", tmp_path / "kept"])
    assert again.returncode == 2 and "--force" in again.err


def test_demo_pki_write_refuses_existing_files(pki: testing.DemoPki, tmp_path: Path) -> None:
    pki.write(tmp_path)
    before = (tmp_path / "caiso-root.key").read_bytes()
    with pytest.raises(CaisoPkiError, match="already exists"):
        testing.DemoPki.create().write(tmp_path)
    assert (tmp_path / "caiso-root.key").read_bytes() == before
    testing.DemoPki.create().write(tmp_path, overwrite=True)
    assert (tmp_path / "caiso-root.key").read_bytes() != before


# -- gaps: errors that name their option or file --------------------------------------------------


def test_errors_name_their_option(pki: testing.DemoPki, tmp_path: Path) -> None:
    (tmp_path / "root.pem").write_text(pki.root.certificate.pem)
    root = os.fspath(tmp_path / "root.pem")
    checks = [
        (
            ["csr", "new", "--subject", "CN=x", "--key-spec", "rsa-1024", "--key-out", "k", "--csr-out", "c"],
            "--key-spec",
        ),
        (["verify", root, "--trust", root, "--policy", "notanoid"], "--policy"),
        (["verify", root, "--trust", root, "--server-name", ""], "--server-name"),
        (["verify", root, "--trust", root, "--server-name", "bad name!"], "--server-name 'bad name!'"),
        (
            [
                "connect",
                "https://127.0.0.1:1/",
                "--no-client-cert",
                "--trust",
                root,
                "--server-name",
                "bad name!",
            ],
            "--server-name",
        ),
    ]
    for argv, option in checks:
        run = run_cli(argv, cwd=tmp_path)
        assert run.returncode == 2, (argv, run.output)
        assert run.err.startswith(f"error: {option}"), (argv, run.err)


def test_a_cps_profile_that_extends_an_unknown_one_names_the_file(tmp_path: Path) -> None:
    profile = tmp_path / "mine.toml"
    profile.write_text('extends = "nope"\n')
    run = run_cli(["profile", "validate", profile])
    assert run.returncode == 2
    assert run.err.startswith(f"error: {profile}: extends = 'nope': unknown CPS profile 'nope'")


def test_renewal_key_mismatch_names_the_key_file(pki: testing.DemoPki, tmp_path: Path) -> None:
    issued = pki.issuing_ca.issue("rig", "rig.example.com")
    (tmp_path / "rig.pem").write_text(issued.certificate.pem)
    save_private_key(generate_private_key("ec-p256"), tmp_path / "other.key")
    run = run_cli(
        ["csr", "renew", "--cert", "rig.pem", "--key", "other.key", "--csr-out", "r.csr"], cwd=tmp_path
    )
    assert run.returncode == 2
    assert run.err.startswith(
        "error: --key other.key: this private key does not belong to the certificate rig.pem"
    )
    assert not (tmp_path / "r.csr").exists()


def test_renew_with_rekey_takes_two_passwords(pki: testing.DemoPki, tmp_path: Path) -> None:
    issued = pki.issuing_ca.issue("rig", "rig.example.com")
    (tmp_path / "rig.pem").write_text(issued.certificate.pem)
    assert issued.key is not None
    save_private_key(issued.key, tmp_path / "old.key", password="old secret")
    (tmp_path / "old.txt").write_text("old secret\n")
    (tmp_path / "new.txt").write_text("new secret\n")
    argv = ["csr", "renew", "--cert", "rig.pem", "--key", "old.key", "--password-file", "old.txt"]
    argv += [
        "--rekey",
        "ec-p256",
        "--new-password-file",
        "new.txt",
        "--key-out",
        "new.key",
        "--csr-out",
        "n.csr",
    ]
    run = run_cli(argv, cwd=tmp_path)
    assert run.returncode == 0, run.output
    assert load_private_key(tmp_path / "new.key", password="new secret")
    with pytest.raises(PasswordError):
        load_private_key(tmp_path / "new.key", password="old secret")


def test_the_empty_pfx_password_rule_is_the_same_everywhere(pki: testing.DemoPki, tmp_path: Path) -> None:
    """Empty only when given: an empty first line and an empty variable both mean "", never a guess."""
    import subprocess

    (tmp_path / "root.pem").write_text(pki.root.certificate.pem)
    pfx = tmp_path / "empty.pfx"
    subprocess.run(
        [
            "openssl",
            "pkcs12",
            "-export",
            "-nokeys",
            "-in",
            tmp_path / "root.pem",
            "-out",
            pfx,
            "-passout",
            "pass:",
        ],
        check=True,
        capture_output=True,
    )
    (tmp_path / "empty.txt").write_text("\n")
    TrustStore.init(tmp_path / "store")
    by_file = ["--password-file", tmp_path / "empty.txt"]
    by_env = ["--password-env", "EMPTY"]
    env = {"EMPTY": ""}
    for given in (by_file, by_env):
        assert run_cli(["inspect", pfx, *given], env=env).returncode == 0
        assert (
            run_cli(
                ["audit", pfx, "--trust", tmp_path / "root.pem", "--revocation", "off", *given], env=env
            ).returncode
            == 0
        )
    assert run_cli(["store", "--store", tmp_path / "store", "add", pfx, *by_env], env=env).returncode == 0
    # without a password source: never tried on its own
    assert run_cli(["inspect", pfx]).returncode == 2
    assert run_cli(["audit", pfx, "--trust", tmp_path / "root.pem", "--revocation", "off"]).returncode == 1
    assert run_cli(["store", "--store", tmp_path / "store", "add", pfx]).returncode == 2


# -- defect 16: the cli extra is enough for every command ------------------------------------------


def test_the_cli_extra_brings_pyopenssl_for_connect() -> None:
    """The full check installs ``.[cli]`` into a fresh venv and runs every command's example
    (``python .ci/check_cli_extra.py``); this keeps the declaration that it depends on."""
    import tomllib

    from conftest import REPO_ROOT

    extras = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert any(requirement.lower().startswith("pyopenssl") for requirement in extras["cli"])
    assert (REPO_ROOT / ".ci" / "check_cli_extra.py").exists()


def test_profile_list_has_json() -> None:
    run = run_cli(["profile", "list", "--json"])
    assert run.returncode == 0, run.output
    profiles = {entry["name"]: entry for entry in json.loads(run.out)["profiles"]}
    assert {"caiso-demo", "caiso-basic-assurance"} <= set(profiles)
    assert "rig" in profiles["caiso-demo"]["kinds"]


def _stale_crl_listing(pki: testing.DemoPki, serial: int) -> bytes:
    """A CRL signed by the issuing CA, past its nextUpdate, that lists ``serial`` (keyCompromise)."""
    import datetime as dt

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization

    ca = pki.issuing_ca
    this_update = pki.now - dt.timedelta(days=20)
    revoked = (
        x509.RevokedCertificateBuilder()
        .serial_number(serial)
        .revocation_date(dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
        .add_extension(x509.CRLReason(x509.ReasonFlags.key_compromise), critical=False)
        .build()
    )
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.certificate.x509.subject)
        .last_update(this_update)
        .next_update(this_update + dt.timedelta(days=7))
        .add_extension(x509.CRLNumber(9), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()), critical=False
        )
        .add_revoked_certificate(revoked)
        .sign(ca.key, hashes.SHA256())
    )
    return crl.public_bytes(serialization.Encoding.DER)


@pytest.mark.parametrize("command", ["verify", "audit"])
def test_a_stale_crl_listing_the_leaf_is_shown_in_the_text(
    pki: testing.DemoPki, tmp_path: Path, command: str
) -> None:
    """Defect 4: the text of verify and audit shows the revoked entry a stale CRL lists."""
    issued = pki.issuing_ca.issue("rig", "stale-listed.example.com", reuse_key=True)
    (tmp_path / "fleet").mkdir()
    leaf = tmp_path / "fleet" / "leaf.pem"
    leaf.write_text(issued.certificate.pem)
    chain = tmp_path / "chain.pem"
    chain.write_text("".join(cert.pem for cert in issued.chain))
    roots = tmp_path / "roots.pem"
    roots.write_text("".join(cert.pem for cert in pki.trust_anchors))
    stale = tmp_path / "stale.crl"
    stale.write_bytes(_stale_crl_listing(pki, issued.certificate.serial_number))
    root_crl = tmp_path / "root.crl"
    root_crl.write_bytes(pki.root.crl())
    crls = ["--crl", os.fspath(stale), "--crl", os.fspath(root_crl)]
    if command == "verify":
        run = run_cli(["verify", leaf, "--chain", chain, "--trust", roots, *crls])
    else:
        leaf.write_text(issued.certificate.pem + chain.read_text())  # audit reads the chain from the file
        run = run_cli(["audit", tmp_path / "fleet", "--trust", roots, *crls])
    assert run.returncode != 0, run.output
    text = run.out
    assert "revoked" in text, text
    assert "keyCompromise" in text, text
    assert "2026-01-02" in text, text
