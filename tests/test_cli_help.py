"""Each command's ``--help`` against what the command does (issue 13: help and behaviour agree).

Checked for every command walked from :data:`caiso_pki.cli.COMMANDS`: the options ``--help`` lists
are exactly the command's options, and every option the help text mentions exists; every parameter
that reads a file says ``- for stdin`` and really reads standard input for ``-``; every "first line"
claim about a password file holds (a two-line file opens with its first line only); every exit status
a help text names is part of the contract, which the CLI reference states.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from _commands import LEAVES, PASSWORD_ENV, PFX_PASSWORD, Leaf, Material, build_argv, make_material
from caiso_pki import load_private_key
from caiso_pki.cli import main
from caiso_pki.cli._common import EXIT_CODES, STDIN_HELP, Directory, OutputFile, PathParam
from caiso_pki.pkcs12 import export_pkcs12, import_pkcs12
from caiso_pki.truststore import TrustStore
from conftest import REPO_ROOT

_OPTION = re.compile(r"(?<![\w-])(--[a-z][a-z0-9-]*)")


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> Material:
    return make_material(tmp_path_factory.mktemp("help"))


@pytest.fixture(autouse=True)
def _pfx_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PFX_PASSWORD)


def _help(leaf: Leaf) -> str:
    result = CliRunner().invoke(main, [*leaf.path, "--help"], terminal_width=100)
    assert result.exit_code == 0, result.output
    return result.output


def _words(text: str | None) -> str:
    return " ".join((text or "").split())


def _long_options(params: list[click.Parameter] | tuple[click.Parameter, ...]) -> set[str]:
    options = [param for param in params if isinstance(param, click.Option)]
    return {opt for param in options for opt in param.opts + param.secondary_opts if opt.startswith("--")}


@pytest.mark.parametrize("leaf", LEAVES, ids=[leaf.name for leaf in LEAVES])
def test_help_lists_exactly_the_options_the_command_has(leaf: Leaf) -> None:
    text = _help(leaf)
    options_part = text.split("\nOptions:\n", 1)[1]
    names = [
        line.strip().split("  ")[0] for line in options_part.splitlines() if line.lstrip().startswith("-")
    ]
    listed = {option for name in names for option in _OPTION.findall(name)}
    assert listed == _long_options(leaf.command.params) | {"--help"}
    raw = [leaf.command.help or "", *(getattr(param, "help", None) or "" for param in leaf.command.params)]
    mentioned = {option for part in raw for option in _OPTION.findall(part)}
    known = _long_options(leaf.command.params) | _long_options(leaf.group_params) | {"--help", "--version"}
    assert mentioned <= known, f"{leaf.name} --help mentions {sorted(mentioned - known)}"


def _reads_stdin(param: click.Parameter) -> bool:
    if isinstance(param.type, (OutputFile, Directory)):
        return False
    if isinstance(param.type, PathParam):
        return True
    return param.name == "other"  # store diff OTHER: a store directory, a bundle file or -


STDIN_CASES = [
    (leaf, param.name or "")
    for leaf in LEAVES
    for param, in_group in leaf.params()
    if not in_group and _reads_stdin(param)
]


def _stdin_case(leaf: Leaf, name: str) -> object:
    return pytest.param(leaf, name, id=f"{leaf.name}:{name}")


@pytest.mark.parametrize(("leaf", "name"), [_stdin_case(leaf, name) for leaf, name in STDIN_CASES])
def test_every_file_parameter_says_and_does_stdin(
    leaf: Leaf, name: str, material: Material, tmp_path: Path
) -> None:
    param = next(param for param, _ in leaf.params() if param.name == name)
    where = param.help if isinstance(param, click.Option) else leaf.command.help
    assert STDIN_HELP in _words(where), f"{leaf.name}: the help of {name} does not say '{STDIN_HELP}'"
    out = tmp_path / "out"
    out.mkdir()
    argv, _ = build_argv(leaf, name, "-", material, out)
    result = CliRunner().invoke(main, argv, input=b"\xff\xfe not what was expected \x00")
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    written = "".join(path.read_text(errors="replace") for path in out.iterdir())  # audit --out
    assert "<stdin>" in result.output + written, f"caiso-pki {' '.join(argv)}\n{result.output}"
    assert "no such file" not in result.output


# -- "first line" --------------------------------------------------------------------------------

FIRST_LINE = "right first line"
TWO_LINES = (FIRST_LINE + "\nsecond line\n").encode()


def _first_line_inspect(m: Material, secret: Path, tmp: Path) -> None:
    p12 = _p12(m, tmp)
    ok = CliRunner().invoke(main, ["inspect", str(p12), "--password-file", str(secret)])
    assert ok.exit_code == 0, ok.output


def _first_line_csr_new(m: Material, secret: Path, tmp: Path) -> None:
    key = tmp / "new.key"
    argv = ["csr", "new", "--subject", "CN=svc,O=X", "--key-spec", "ec-p256", "--key-out", str(key)]
    result = CliRunner().invoke(
        main, [*argv, "--csr-out", str(tmp / "new.csr"), "--passphrase-file", str(secret)]
    )
    assert result.exit_code == 0, result.output
    load_private_key(key, FIRST_LINE)


def _first_line_csr_renew(m: Material, secret: Path, tmp: Path) -> None:
    key = tmp / "renewed.key"
    argv = ["csr", "renew", "--cert", str(m.leaf), "--rekey", "ec-p256", "--key-out", str(key)]
    result = CliRunner().invoke(
        main, [*argv, "--csr-out", str(tmp / "r.csr"), "--passphrase-file", str(secret)]
    )
    assert result.exit_code == 0, result.output
    load_private_key(key, FIRST_LINE)


def _first_line_store_export(m: Material, secret: Path, tmp: Path) -> None:
    out = tmp / "trust.p12"
    argv = [
        "store",
        "--store",
        str(m.store),
        "export",
        "--format",
        "pkcs12",
        str(out),
        "--password-file",
        str(secret),
    ]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.output
    assert import_pkcs12(out, FIRST_LINE).chain


def _first_line_connect(m: Material, secret: Path, tmp: Path) -> None:
    p12 = _p12(m, tmp)
    argv = ["connect", "https://127.0.0.1:1/", "--p12", str(p12), "--trust", str(m.roots), "--timeout", "2"]
    right = CliRunner().invoke(main, [*argv, "--password-file", str(secret)])
    wrong_file = tmp / "wrong.txt"
    wrong_file.write_bytes(b"second line\n" + FIRST_LINE.encode() + b"\n")
    wrong = CliRunner().invoke(main, [*argv, "--password-file", str(wrong_file)])
    assert wrong.exit_code == 2 and "password" in wrong.output, wrong.output
    assert "password" not in right.output.lower().replace("--password-file", ""), right.output


def _first_line_exporter_pkcs12(m: Material, secret: Path, tmp: Path) -> None:
    folder = tmp / "pfx-folder"
    folder.mkdir()
    _p12(m, folder)
    argv = ["exporter", str(folder), "--store", str(m.store), "--once", "--pkcs12-password-file"]
    right = CliRunner().invoke(main, [*argv, str(secret)])
    assert right.exit_code == 0, right.output
    assert "caiso_pki_certificate_valid{" in right.output and "caiso_pki_read_errors{" not in right.output
    wrong_file = tmp / "wrong.txt"
    wrong_file.write_bytes(b"second line\n" + FIRST_LINE.encode() + b"\n")
    wrong = CliRunner().invoke(main, [*argv, str(wrong_file)])
    assert "wrong PKCS#12 password" in wrong.output, wrong.output


def _first_line_exporter_client(m: Material, secret: Path, tmp: Path) -> None:
    p12 = _p12(m, tmp)
    argv = ["exporter", str(m.certs), "--store", str(m.store), "--once", "--client-p12", str(p12)]
    right = CliRunner().invoke(main, [*argv, "--client-password-file", str(secret)])
    assert right.exit_code == 0, right.output
    wrong_file = tmp / "wrong.txt"
    wrong_file.write_bytes(b"second line\n" + FIRST_LINE.encode() + b"\n")
    wrong = CliRunner().invoke(main, [*argv, "--client-password-file", str(wrong_file)])
    assert wrong.exit_code == 2 and "password" in wrong.output, wrong.output


def _p12(m: Material, tmp: Path) -> Path:
    from caiso_pki import load_certificates

    path = tmp / "first-line.p12"
    if not path.exists():
        certs = load_certificates(m.cert)
        export_pkcs12(load_private_key(m.leaf_key), certs[0], certs[1:], FIRST_LINE, path=path)
    return path


def _first_line_store_add(m: Material, secret: Path, tmp: Path) -> None:
    store = tmp / "store-first-line"
    TrustStore.init(store)
    argv = [
        "store",
        "--store",
        str(store),
        "add",
        str(_p12(m, tmp)),
        "--ca-only",
        "--password-file",
        str(secret),
    ]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.output
    assert len(TrustStore.open(store)) >= 1


def _first_line_audit(m: Material, secret: Path, tmp: Path) -> None:
    argv = [
        "audit",
        str(_p12(m, tmp)),
        "--trust",
        str(m.roots),
        "--revocation",
        "off",
        "--password-file",
        str(secret),
    ]
    result = CliRunner().invoke(main, [*argv, "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    assert json.loads(result.stdout)["totals"]["total"] >= 1


def _first_line_renew_new(m: Material, secret: Path, tmp: Path) -> None:
    key = tmp / "renewed-new.key"
    argv = ["csr", "renew", "--cert", str(m.leaf), "--key", str(m.leaf_key), "--rekey", "ec-p256"]
    result = CliRunner().invoke(
        main,
        [
            *argv,
            "--key-out",
            str(key),
            "--csr-out",
            str(tmp / "rn.csr"),
            "--new-passphrase-file",
            str(secret),
        ],
    )
    assert result.exit_code == 0, result.output
    load_private_key(key, FIRST_LINE)


def _first_line_pfx_build(m: Material, secret: Path, tmp: Path) -> None:
    out = tmp / "built.pfx"
    argv = ["pkcs12", "build", "--key", str(m.leaf_key), "--cert", str(m.leaf), "--out", str(out)]
    result = CliRunner().invoke(main, [*argv, "--password-file", str(secret)])
    assert result.exit_code == 0, result.output
    assert import_pkcs12(out, FIRST_LINE).key is not None


def _first_line_pfx_key(m: Material, secret: Path, tmp: Path) -> None:
    from caiso_pki import save_private_key

    encrypted = tmp / "encrypted-leaf.key"
    if not encrypted.exists():
        save_private_key(load_private_key(m.leaf_key), encrypted, passphrase=FIRST_LINE)
    (tmp / "pfx-pass.txt").write_text("pfx-password\n")
    argv = ["pkcs12", "build", "--key", str(encrypted), "--cert", str(m.leaf), "--out", str(tmp / "k.pfx")]
    argv += ["--password-file", str(tmp / "pfx-pass.txt"), "--key-passphrase-file", str(secret)]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.output


FIRST_LINE_CHECKS = {
    (("store", "add"), "password_file"): _first_line_store_add,
    (("audit",), "password_file"): _first_line_audit,
    (("csr", "renew"), "new_passphrase_file"): _first_line_renew_new,
    (("pkcs12", "build"), "password_file"): _first_line_pfx_build,
    (("pkcs12", "build"), "key_passphrase_file"): _first_line_pfx_key,
    (("inspect",), "password_file"): _first_line_inspect,
    (("csr", "new"), "passphrase_file"): _first_line_csr_new,
    (("csr", "renew"), "passphrase_file"): _first_line_csr_renew,
    (("store", "export"), "password_file"): _first_line_store_export,
    (("connect",), "password_file"): _first_line_connect,
    (("exporter",), "pkcs12_password_file"): _first_line_exporter_pkcs12,
    (("exporter",), "client_password_file"): _first_line_exporter_client,
}


def test_every_first_line_claim_is_checked() -> None:
    claims = {
        (leaf.path, param.name)
        for leaf in LEAVES
        for param, _ in leaf.params()
        if isinstance(param, click.Option) and "first line" in _words(param.help)
    }
    assert claims == set(FIRST_LINE_CHECKS)


@pytest.mark.parametrize(
    "case", sorted(FIRST_LINE_CHECKS), ids=lambda case: " ".join(case[0]) + ":" + case[1]
)
def test_first_line_claims_hold(
    case: tuple[tuple[str, ...], str], material: Material, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(TWO_LINES)
    FIRST_LINE_CHECKS[case](material, secret, tmp_path)


# -- exit statuses ---------------------------------------------------------------------------------


@pytest.mark.parametrize("leaf", LEAVES, ids=[leaf.name for leaf in LEAVES])
def test_exit_statuses_named_in_help_are_the_contract(leaf: Leaf) -> None:
    text = _words(_help(leaf))
    for claim in re.findall(r"[Ee]xit status(?:es)?:? (.*?)(?:\.|$)", text):
        codes = {int(code) for code in re.findall(r"\b(\d)\b", claim)}
        assert codes <= set(EXIT_CODES), f"{leaf.name}: {claim}"


def test_cli_reference_states_the_contract() -> None:
    import sys

    sys.path.insert(0, os.fspath(REPO_ROOT / "docs"))
    try:
        import gen_cli
    finally:
        sys.path.pop(0)
    page = gen_cli.render((REPO_ROOT / "docs" / "cli.md").read_text())
    for code, meaning in EXIT_CODES.items():
        assert f"| {code} | {meaning} |" in page
    for leaf in LEAVES:
        assert f"`caiso-pki {leaf.name}`" in page
    main_help = CliRunner().invoke(main, ["--help"]).output
    assert "0 success, 1 a negative answer" in _words(main_help) and "2 bad input or usage" in _words(
        main_help
    )
