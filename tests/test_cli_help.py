"""Each command's ``--help`` against what the command does (issue 13: help and behaviour agree).

Checked for every command and subcommand walked from :data:`caiso_pki.cli.COMMANDS` (a command whose
module cannot be found, or one added without its rows in the tables here, fails
``test_every_command_is_covered``):

* the options ``--help`` lists are exactly the command's options, and every option named anywhere in
  the help (listed, in the text, in an example) is accepted by the command's parser, with its value;
* every example in the help runs that very command and parses;
* every parameter that reads a file says ``- for stdin`` and really reads standard input for ``-``;
* every "first line" claim about a password file holds (a two-line file opens with its first line);
* the exit statuses each help names are exactly those on record (:data:`NAMED_STATUSES`), and a real
  run gives each of them, and 0 and 2 for every command (the main help's contract, which the CLI
  reference states): no command's case passes by finding nothing to check.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
from collections.abc import Callable, Iterator
from pathlib import Path

import attrs
import click
import pytest
from click.testing import CliRunner

from _commands import LEAVES, PASSWORD_ENV, PFX_PASSWORD, Leaf, Material, build_argv, make_material
from _tls_servers import TlsServer, server_context
from caiso_pki import build_csr, generate_private_key, load_private_key, testing
from caiso_pki.cli import COMMANDS, main
from caiso_pki.cli._common import EXIT_CODES, STDIN_HELP, Directory, OutputFile, PathParam
from caiso_pki.pkcs12 import export_pkcs12, load_pkcs12
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
        main, [*argv, "--csr-out", str(tmp / "new.csr"), "--password-file", str(secret)]
    )
    assert result.exit_code == 0, result.output
    load_private_key(key, password=FIRST_LINE)


def _first_line_csr_renew(m: Material, secret: Path, tmp: Path) -> None:
    key = tmp / "renewed.key"
    argv = ["csr", "renew", "--cert", str(m.leaf), "--rekey", "ec-p256", "--key-out", str(key)]
    result = CliRunner().invoke(
        main, [*argv, "--csr-out", str(tmp / "r.csr"), "--password-file", str(secret)]
    )
    assert result.exit_code == 0, result.output
    load_private_key(key, password=FIRST_LINE)


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
    assert load_pkcs12(out, password=FIRST_LINE).chain


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
        export_pkcs12(load_private_key(m.leaf_key), certs[0], chain=certs[1:], password=FIRST_LINE, path=path)
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
            "--new-password-file",
            str(secret),
        ],
    )
    assert result.exit_code == 0, result.output
    load_private_key(key, password=FIRST_LINE)


def _first_line_pfx_build(m: Material, secret: Path, tmp: Path) -> None:
    out = tmp / "built.pfx"
    argv = ["pkcs12", "build", "--key", str(m.leaf_key), "--cert", str(m.leaf), "--out", str(out)]
    result = CliRunner().invoke(main, [*argv, "--password-file", str(secret)])
    assert result.exit_code == 0, result.output
    assert load_pkcs12(out, password=FIRST_LINE).key is not None


def _first_line_pfx_key(m: Material, secret: Path, tmp: Path) -> None:
    from caiso_pki import save_private_key

    encrypted = tmp / "encrypted-leaf.key"
    if not encrypted.exists():
        save_private_key(load_private_key(m.leaf_key), encrypted, password=FIRST_LINE)
    (tmp / "pfx-pass.txt").write_text("pfx-password\n")
    argv = ["pkcs12", "build", "--key", str(encrypted), "--cert", str(m.leaf), "--out", str(tmp / "k.pfx")]
    argv += ["--password-file", str(tmp / "pfx-pass.txt"), "--key-password-file", str(secret)]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 0, result.output


FIRST_LINE_CHECKS = {
    (("store", "add"), "password_file"): _first_line_store_add,
    (("audit",), "password_file"): _first_line_audit,
    (("csr", "renew"), "new_password_file"): _first_line_renew_new,
    (("pkcs12", "build"), "password_file"): _first_line_pfx_build,
    (("pkcs12", "build"), "key_password_file"): _first_line_pfx_key,
    (("inspect",), "password_file"): _first_line_inspect,
    (("csr", "new"), "password_file"): _first_line_csr_new,
    (("csr", "renew"), "password_file"): _first_line_csr_renew,
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

#: Every exit status that each command's own ``--help`` names, exactly (the claims are read by
#: :func:`named_statuses`; a command whose help names none has an empty set).  Every command is a key:
#: a new command fails :func:`test_every_command_is_covered` until its claims are written here.
NAMED_STATUSES: dict[tuple[str, ...], frozenset[int]] = {
    ("audit",): frozenset({1}),
    ("connect",): frozenset(),
    ("csr", "check"): frozenset({0, 1, 2}),
    ("csr", "new"): frozenset(),
    ("csr", "renew"): frozenset(),
    ("csr", "show"): frozenset(),
    ("demo",): frozenset({0, 1, 2}),
    ("exporter",): frozenset({0}),
    ("inspect",): frozenset({2}),
    ("lint",): frozenset({0, 1, 2}),
    ("pkcs12", "build"): frozenset(),
    ("profile", "list"): frozenset(),
    ("profile", "show"): frozenset(),
    ("profile", "validate"): frozenset({0, 2}),
    ("store", "add"): frozenset(),
    ("store", "diff"): frozenset(),
    ("store", "edit"): frozenset(),
    ("store", "expiring"): frozenset({0, 1, 2}),
    ("store", "export"): frozenset(),
    ("store", "init"): frozenset(),
    ("store", "list"): frozenset(),
    ("store", "remove"): frozenset(),
    ("verify",): frozenset({0, 1, 2}),
}

#: "Exit status: 0 ..., 1 ..., 2 ..." (a list up to the end of its sentence), "(exit 2)", "exit 0",
#: "Exit 1 when", "Exit with status 1", "exit status 1".
_STATUS_LIST = re.compile(r"\b[Ee]xit status(?:es)?(?: of every command)?:?\s+(.*?)(?:\.(?:\s|$)|$)")
_STATUS_ONE = re.compile(r"\b[Ee]xit(?: with)?(?: status)?:? (\d)\b")


def named_statuses(text: str) -> set[int]:
    """The exit statuses a help text names (``text`` with its words joined by single spaces)."""
    named = {int(code) for claim in _STATUS_LIST.findall(text) for code in re.findall(r"\b(\d)\b", claim)}
    return named | {int(code) for code in _STATUS_ONE.findall(text)}


def test_named_statuses_reads_every_form() -> None:
    """The reader of the claims, on each form the help texts use (so an empty set means "none")."""
    assert named_statuses("Exit status: 0 it conforms, 1 it breaks the profile, 2 bad input.") == {0, 1, 2}
    assert named_statuses("Exit status 0 when valid, 1 when not, 2 on bad input (a --dir).") == {0, 1, 2}
    assert named_statuses("make the audit incomplete: exit status 1.  Keys are listed") == {1}
    assert named_statuses("well formed (exit 0) or not (exit 2).") == {0, 2}
    assert named_statuses("Exit with status 1 when anything is listed.") == {1}
    assert named_statuses("Exit 1 when a finding is at least this severe.") == {1}
    assert named_statuses("0 when no finding reaches --fail- on, 1 when one does.") == set()
    assert named_statuses(
        "Exit status: 0, or 1 with --exit-code when anything is listed; 2 on bad input."
    ) == {
        0,
        1,
        2,
    }


def _all_help(leaf: Leaf) -> str:
    """The words of the command's ``--help`` page and of every option's help (some not shown)."""
    parts = [_help(leaf), *(getattr(param, "help", None) or "" for param in leaf.command.params)]
    return _words(" ".join(parts))


@pytest.mark.parametrize("leaf", LEAVES, ids=[leaf.name for leaf in LEAVES])
def test_help_names_exactly_the_statuses_on_record(leaf: Leaf) -> None:
    named = named_statuses(_all_help(leaf))
    assert named <= set(EXIT_CODES), f"{leaf.name}: {sorted(named - set(EXIT_CODES))} are not exit statuses"
    assert named == NAMED_STATUSES[leaf.path], f"{leaf.name} --help names the exit statuses {sorted(named)}"


@attrs.frozen
class Env:
    """What the exit-status runs work with: the sound material, a junk file, a TLS server's URL and
    the root it chains to, and the run's own directory."""

    m: Material
    junk: Path
    tls_url: str
    tls_root: Path
    tmp: Path

    def store_copy(self) -> str:
        """A copy of the material's store in the run's directory (for the runs that change a store)."""
        target = self.tmp / "store-copy"
        if not target.exists():
            shutil.copytree(self.m.store, target)
        return os.fspath(target)

    def fingerprint(self) -> str:
        return TrustStore.open(self.m.store).entries[0].fingerprint[:16]


def _csr_breaking_rig(e: Env) -> str:
    path = e.tmp / "no-san.csr"
    key = generate_private_key("ec-p256")
    path.write_text(build_csr(key, "CN=rig-0001.example.com,O=Example,C=US").pem)  # rig needs a DNS SAN
    return os.fspath(path)


def _busy_dir(e: Env) -> str:
    (e.tmp / "busy").mkdir(exist_ok=True)
    (e.tmp / "busy" / "something.txt").write_text("not empty\n")
    return os.fspath(e.tmp / "busy")


def _existing_file(e: Env) -> str:
    (e.tmp / "exists.pem").write_text("an earlier export\n")
    return os.fspath(e.tmp / "exists.pem")


def f(path: Path) -> str:
    return os.fspath(path)


_OFF = ["--revocation", "off"]

#: For every command, a run giving each exit status the command can give: 0 and 2 for all (the main
#: help's contract for every command: "0 success, ... 2 bad input or usage"), 1 where there is a
#: negative answer.  Each builds its argv from an :class:`Env`; the run must exit with the status.
EXIT_RUNS: dict[tuple[tuple[str, ...], int], Callable[[Env], list[str]]] = {
    (("audit",), 0): lambda e: ["audit", f(e.m.certs), "--trust", f(e.m.roots), *_OFF],
    (("audit",), 1): lambda e: ["audit", f(e.m.certs), f(e.junk), "--trust", f(e.m.roots), *_OFF],
    (("audit",), 2): lambda e: ["audit", f(e.tmp / "missing"), "--trust", f(e.m.roots), *_OFF],
    (("connect",), 0): lambda e: ["connect", e.tls_url, "--no-client-cert", "--trust", f(e.tls_root)],
    (("connect",), 1): lambda e: ["connect", e.tls_url, "--no-client-cert", "--trust", f(e.m.roots)],
    (("connect",), 2): lambda e: ["connect", e.tls_url, "--no-client-cert", "--trust", f(e.junk)],
    (("csr", "check"), 0): lambda e: ["csr", "check", f(e.m.csr), "--profile", "rig"],
    (("csr", "check"), 1): lambda e: ["csr", "check", _csr_breaking_rig(e), "--profile", "rig"],
    (("csr", "check"), 2): lambda e: ["csr", "check", f(e.junk), "--profile", "rig"],
    (("csr", "new"), 0): lambda e: [
        *("csr", "new", "--subject", "CN=svc,O=Example", "--key-spec", "ec-p256", "--no-password"),
        *("--key-out", f(e.tmp / "new.key"), "--csr-out", f(e.tmp / "new.csr")),
    ],
    (("csr", "new"), 2): lambda e: [
        *("csr", "new", "--subject", "not a name", "--key-spec", "ec-p256", "--no-password"),
        *("--key-out", f(e.tmp / "new.key"), "--csr-out", f(e.tmp / "new.csr")),
    ],
    (("csr", "renew"), 0): lambda e: [
        *("csr", "renew", "--cert", f(e.m.leaf), "--rekey", "ec-p256", "--no-password"),
        *("--key-out", f(e.tmp / "renewed.key"), "--csr-out", f(e.tmp / "renewed.csr")),
    ],
    (("csr", "renew"), 2): lambda e: [
        *("csr", "renew", "--cert", f(e.junk), "--rekey", "ec-p256", "--no-password"),
        *("--key-out", f(e.tmp / "renewed.key"), "--csr-out", f(e.tmp / "renewed.csr")),
    ],
    (("csr", "show"), 0): lambda e: ["csr", "show", f(e.m.csr)],
    (("csr", "show"), 2): lambda e: ["csr", "show", f(e.junk)],
    (("demo",), 0): lambda e: ["demo", "--dir", f(e.tmp / "demo")],
    (("demo",), 2): lambda e: ["demo", "--dir", _busy_dir(e)],
    (("exporter",), 0): lambda e: ["exporter", f(e.m.certs), "--store", f(e.m.store), "--once"],
    (("exporter",), 2): lambda e: ["exporter", f(e.m.certs), "--store", f(e.tmp / "no-store"), "--once"],
    (("inspect",), 0): lambda e: ["inspect", f(e.m.leaf)],
    (("inspect",), 2): lambda e: ["inspect", f(e.m.p12)],  # a PFX, no password and no terminal
    (("lint",), 0): lambda e: ["lint", f(e.m.leaf), "--fail-on", "never"],
    (("lint",), 1): lambda e: ["lint", f(e.m.leaf), "--fail-on", "info"],
    (("lint",), 2): lambda e: ["lint", f(e.junk)],
    (("pkcs12", "build"), 0): lambda e: [
        *("pkcs12", "build", "--key", f(e.m.leaf_key), "--cert", f(e.m.leaf)),
        *("--out", f(e.tmp / "id.pfx"), "--password-env", PASSWORD_ENV),
    ],
    (("pkcs12", "build"), 2): lambda e: [
        *("pkcs12", "build", "--key", f(e.m.key), "--cert", f(e.m.leaf)),  # not the certificate's key
        *("--out", f(e.tmp / "id.pfx"), "--password-env", PASSWORD_ENV),
    ],
    (("profile", "list"), 0): lambda e: ["profile", "list"],
    (("profile", "list"), 2): lambda e: ["profile", "list", "--no-such-option"],
    (("profile", "show"), 0): lambda e: ["profile", "show", "caiso-demo"],
    (("profile", "show"), 2): lambda e: ["profile", "show", "no-such-profile"],
    (("profile", "validate"), 0): lambda e: ["profile", "validate", f(e.m.profile)],
    (("profile", "validate"), 2): lambda e: ["profile", "validate", f(e.junk)],
    (("store", "add"), 0): lambda e: ["store", "--store", e.store_copy(), "add", f(e.m.roots)],
    (("store", "add"), 2): lambda e: ["store", "--store", e.store_copy(), "add", f(e.m.leaf)],
    (("store", "diff"), 0): lambda e: ["store", "--store", f(e.m.store), "diff", f(e.m.roots)],
    (("store", "diff"), 2): lambda e: ["store", "--store", f(e.m.store), "diff", f(e.junk)],
    (("store", "edit"), 0): lambda e: [
        "store",
        "--store",
        e.store_copy(),
        "edit",
        e.fingerprint(),
        "--note",
        "n",
    ],
    (("store", "edit"), 2): lambda e: ["store", "--store", e.store_copy(), "edit", "00", "--note", "n"],
    (("store", "expiring"), 0): lambda e: ["store", "--store", f(e.m.store), "expiring", "--exit-code"],
    (("store", "expiring"), 1): lambda e: [
        *("store", "--store", f(e.m.store), "expiring", "--within", "100000", "--exit-code"),
    ],
    (("store", "expiring"), 2): lambda e: ["store", "--store", f(e.m.store), "expiring", "--at", "soon"],
    (("store", "export"), 0): lambda e: ["store", "--store", f(e.m.store), "export", f(e.tmp / "out.pem")],
    (("store", "export"), 2): lambda e: ["store", "--store", f(e.m.store), "export", _existing_file(e)],
    (("store", "init"), 0): lambda e: ["store", "--store", f(e.tmp / "new-store"), "init"],
    (("store", "init"), 2): lambda e: ["store", "--store", f(e.m.store), "init"],
    (("store", "list"), 0): lambda e: ["store", "--store", f(e.m.store), "list"],
    (("store", "list"), 2): lambda e: ["store", "--store", f(e.tmp / "no-store"), "list"],
    (("store", "remove"), 0): lambda e: ["store", "--store", e.store_copy(), "remove", e.fingerprint()],
    (("store", "remove"), 2): lambda e: ["store", "--store", e.store_copy(), "remove", "00"],
    (("verify",), 0): lambda e: ["verify", f(e.m.cert), "--trust", f(e.m.roots), *_OFF],
    (("verify",), 1): lambda e: ["verify", f(e.m.leaf), "--trust", f(e.m.roots), *_OFF],  # no chain
    (("verify",), 2): lambda e: ["verify", f(e.junk), "--trust", f(e.m.roots), *_OFF],
}

#: Statuses a help names that no run here can give, with the reason and where they are tested.
NOT_RUN: dict[tuple[tuple[str, ...], int], str] = {
    (("demo",), 1): "the demo's RIG chain is valid by construction: 1 would be a bug of the demo itself",
}


def test_every_command_is_covered() -> None:
    """Every command and subcommand of the click group has its claims on record and its runs here, and
    nothing is on record for a command that does not exist (a renamed or removed one)."""
    ctx = click.Context(main, info_name="caiso-pki")
    assert main.list_commands(ctx) == sorted(COMMANDS), "a command's module was not found"
    walked: set[tuple[str, ...]] = set()
    for name in COMMANDS:
        command = main.get_command(ctx, name)
        assert command is not None, name
        if isinstance(command, click.Group):
            sub_ctx = click.Context(command, info_name=name, parent=ctx)
            subcommands = command.list_commands(sub_ctx)
            assert subcommands, f"{name} has no subcommands"
            for sub in subcommands:
                assert not isinstance(command.get_command(sub_ctx, sub), click.Group), "nested groups"
                walked.add((name, sub))
        else:
            walked.add((name,))
    assert {leaf.path for leaf in LEAVES} == walked
    assert set(NAMED_STATUSES) == walked
    assert {path for path, _ in EXIT_RUNS} == walked
    assert {path for path, _ in NOT_RUN} <= walked
    for path in walked:
        ran = {code for where, code in EXIT_RUNS if where == path}
        skipped = {code for where, code in NOT_RUN if where == path}
        assert {0, 2} <= ran, f"{' '.join(path)}: no run for 0 or 2 (every command's contract)"
        assert NAMED_STATUSES[path] <= ran | skipped, f"{' '.join(path)}: a status its help names is not run"
        assert ran <= set(EXIT_CODES)


def test_the_help_lists_every_command_and_subcommand() -> None:
    """``caiso-pki --help`` lists every command, and each group's ``--help`` each of its subcommands."""

    def listed(argv: list[str]) -> set[str]:
        text = CliRunner().invoke(main, [*argv, "--help"], terminal_width=200).output
        return {line.split()[0] for line in text.split("\nCommands:\n", 1)[1].splitlines() if line.strip()}

    assert listed([]) == set(COMMANDS)
    for group in {leaf.path[0] for leaf in LEAVES if len(leaf.path) > 1}:
        assert listed([group]) == {leaf.path[1] for leaf in LEAVES if leaf.path[0] == group}


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A real TLS server on 127.0.0.1 (no client certificate asked for) and its root in a file."""
    pki = testing.DemoPki.create()
    issued = pki.issuing_ca.issue("server", "localhost", dns_names=["localhost"], ip_addresses=["127.0.0.1"])
    root = tmp_path_factory.mktemp("tls-root") / "root.pem"
    root.write_text(pki.root.certificate.pem)
    with TlsServer(server_context(issued)) as server:
        yield server.url, root


@pytest.mark.parametrize(
    ("path", "code"), sorted(EXIT_RUNS), ids=[f"{' '.join(path)}:{code}" for path, code in sorted(EXIT_RUNS)]
)
def test_exit_status(
    path: tuple[str, ...], code: int, material: Material, tls_server: tuple[str, Path], tmp_path: Path
) -> None:
    junk = tmp_path / "junk.pem"
    junk.write_bytes(b"neither PEM nor DER\n")
    env = Env(m=material, junk=junk, tls_url=tls_server[0], tls_root=tls_server[1], tmp=tmp_path)
    argv = EXIT_RUNS[path, code](env)
    assert argv[: len(path)] == list(path) or argv[0] == path[0] == "store"
    result = CliRunner().invoke(main, argv)
    shown = f"caiso-pki {' '.join(argv)}\n{result.output}"
    assert result.exception is None or isinstance(result.exception, SystemExit), shown
    assert result.exit_code == code, shown
    assert "Traceback" not in result.output and "internal error" not in result.output, shown


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_exporter_stops_with_status_0_on_sigterm_and_sigint(material: Material, signum: int) -> None:
    """The exporter's help: "SIGTERM or SIGINT stops it (exit 0)", on the real server process."""
    from test_cli_exporter import ExporterProcess

    exporter = ExporterProcess(os.fspath(material.certs), "--store", os.fspath(material.store))
    try:
        assert b"caiso_pki_certificate_valid{" in exporter.get()
        returncode, err = exporter.stop(signum)
    finally:
        exporter.kill()
    assert returncode == 0, err
    assert "Traceback" not in err


# -- every option the help names is accepted; every example parses ----------------------------------

_ANY_OPTION = re.compile(r"(?<![\w-])(--?[a-zA-Z][a-z0-9-]*)")


def _options_listed(leaf: Leaf) -> set[str]:
    """Every option (long and short forms) in the Options section of the command's ``--help``."""
    options_part = _help(leaf).split("\nOptions:\n", 1)[1]
    names = [
        line.strip().split("  ")[0] for line in options_part.splitlines() if line.lstrip().startswith("-")
    ]
    return {option for name in names for option in _ANY_OPTION.findall(name)}


def _owner(leaf: Leaf, option: str) -> tuple[str, click.Option | None]:
    """Where ``option`` goes: the group's (``store --store``) or else the command's (the command's
    parameter taking it, or None when none does: the parser must then refuse it)."""
    for param in leaf.group_params:
        if isinstance(param, click.Option) and option in (*param.opts, *param.secondary_opts):
            return "group", param
    for param in leaf.command.params:
        if isinstance(param, click.Option) and option in (*param.opts, *param.secondary_opts):
            return "command", param
    return "command", None


def _with_option(leaf: Leaf, option: str, material: Material) -> list[str]:
    """The command line giving ``option`` (with placeholder values) where it belongs, then ``--help``.

    ``--help`` is eager: click parses every option first (an unknown one is a usage error, status 2),
    then shows the help before any value is converted or any required parameter is missed.
    """
    where, param = _owner(leaf, option)
    values: list[str] = []
    if param is not None and not param.is_flag and not param.count:
        values = ["placeholder"] * max(1, param.nargs)
    given = [option, *values]
    group = ["--store", os.fspath(material.store)] if leaf.path[0] == "store" else []
    if where == "group":
        return [leaf.path[0], *given, *leaf.path[1:], "--help"]
    return [leaf.path[0], *group, *leaf.path[1:], *given, "--help"]


OPTION_CASES = [
    pytest.param(leaf, option, id=f"{leaf.name}:{option}")
    for leaf in LEAVES
    for option in sorted(
        _options_listed(leaf)
        | set(
            _OPTION.findall(
                " ".join(
                    [leaf.command.help or "", *(getattr(p, "help", None) or "" for p in leaf.command.params)]
                )
            )
        )
    )
    if option not in ("--help", "-h", "--version")
]


@pytest.mark.parametrize(("leaf", "option"), OPTION_CASES)
def test_every_option_the_help_names_is_accepted(leaf: Leaf, option: str, material: Material) -> None:
    """Listed under Options or named in the text: the command's parser takes it (with its value)."""
    argv = _with_option(leaf, option, material)
    result = CliRunner().invoke(main, argv, terminal_width=100)
    assert result.exit_code == 0, f"caiso-pki {' '.join(argv)}\n{result.output}"
    assert result.output.startswith(f"Usage: main {leaf.name} "), result.output


def test_every_command_has_its_options_checked() -> None:
    """Each command's own options, long and short, are all among the checked cases."""
    checked = {(leaf.path, option) for leaf, option in (case.values for case in OPTION_CASES)}
    for leaf in LEAVES:
        own = {
            opt
            for param in leaf.command.params
            if isinstance(param, click.Option)
            for opt in param.opts + param.secondary_opts
        }
        assert {(leaf.path, opt) for opt in own} <= checked, leaf.name


def _examples(leaf: Leaf) -> list[list[str]]:
    """The command lines under ``Example:``/``Examples:`` in the raw help, continuation lines joined."""
    text = leaf.command.help or ""
    found = []
    in_examples = False
    pending = ""
    for line in text.splitlines():
        stripped = line.strip()
        if stripped in ("Example:", "Examples:"):
            in_examples = True
            continue
        if not in_examples or not stripped:
            continue
        pending += stripped.removesuffix("\\") + " "
        if not stripped.endswith("\\"):
            found.append(shlex.split(pending))
            pending = ""
    return found


#: Commands whose help has no example (none: .ci/check_cli_extra.py runs each command's first one).
WITHOUT_EXAMPLES: frozenset[tuple[str, ...]] = frozenset()


@pytest.mark.parametrize("leaf", LEAVES, ids=[leaf.name for leaf in LEAVES])
def test_every_example_in_the_help_parses(
    leaf: Leaf, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each example runs this very command, and the command's parser takes every option of it."""
    examples = _examples(leaf)
    assert bool(examples) is (leaf.path not in WITHOUT_EXAMPLES), f"{leaf.name}: {examples}"
    monkeypatch.chdir(tmp_path)  # the examples name relative files; nothing may land in the checkout
    for argv in examples:
        assert argv[0] == "caiso-pki", argv
        words = [word for word in argv[1:] if not word.startswith("-")]
        assert words[0] == leaf.path[0], argv
        if len(leaf.path) > 1:
            group_options = argv[2 : argv.index(leaf.path[1])]
            assert all(word not in COMMANDS for word in group_options), argv
        result = CliRunner().invoke(main, [*argv[1:], "--help"], terminal_width=100)
        assert result.exit_code == 0, f"{' '.join(argv)}\n{result.output}"
        assert result.output.startswith(f"Usage: main {leaf.name} "), f"{' '.join(argv)}\n{result.output}"
    assert list(tmp_path.iterdir()) == []


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
