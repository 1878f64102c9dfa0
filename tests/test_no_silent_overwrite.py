"""Nothing replaces an existing file unless asked: every public function and command that writes one.

One table row per writer.  Each row puts a file where the writer will write, runs it without
``overwrite=True`` / ``--force`` (refused: a ``CaisoPkiError`` or status 2, the file untouched), then with
it (the file replaced).  Two completeness checks keep the table whole: every module that calls the
atomic writer has rows, and every command with an output parameter or a ``--force`` option has a row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import attrs
import click
import pytest

from _cli import run_cli
from _commands import LEAVES
from caiso_pki import TrustStore, export_pkcs12, generate_private_key, save_private_key, testing
from caiso_pki.cli._common import OutputFile
from caiso_pki.errors import CaisoPkiError
from caiso_pki.truststore_io import export, write_der_directory, write_openssl_directory
from conftest import REPO_ROOT

PRECIOUS = b"precious\n"


@attrs.frozen
class World:
    pki: testing.DemoPki
    d: Path


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    d = tmp_path_factory.mktemp("overwrite-material")
    pki = testing.DemoPki.create()
    issued = pki.issuing_ca.issue("rig", "rig-0001.example.com")
    (d / "rig.pem").write_text(issued.certificate.pem)
    (d / "rig.key").write_bytes(issued.key_pem())
    (d / "chain.pem").write_text("".join(cert.pem for cert in issued.chain))
    (d / "root.pem").write_text(pki.root.certificate.pem)
    (d / "pw.txt").write_text("a-password\n")
    TrustStore.init(d / "store").add(pki.root.certificate).save()
    return World(pki, d)


@attrs.frozen
class Writer:
    """``write(world, target, force)`` writes to ``target`` (a file, or a directory for directory
    writers), raising or returning a status; ``module`` is where the writing code lives."""

    name: str
    module: str
    write: Callable[[World, Path, bool], int]
    directory: bool = False


def _api(call: Callable[[World, Path, bool], object]) -> Callable[[World, Path, bool], int]:
    def run(world: World, target: Path, force: bool) -> int:
        message = ""
        try:
            call(world, target, force)
        except CaisoPkiError as exc:
            message = str(exc)
        assert not message or "already" in message, message
        return 2 if message else 0

    return run


def _cli(*argv: str, force_flag: str = "--force") -> Callable[[World, Path, bool], int]:
    def run(world: World, target: Path, force: bool) -> int:
        args = [part.format(d=world.d, target=target) for part in argv]
        result = run_cli([*args, *([force_flag] if force else [])], cwd=world.d)
        if result.returncode == 2:
            assert "already" in result.err or "not empty" in result.err, result.err
        return result.returncode

    return run


def _store(world: World) -> TrustStore:
    return TrustStore.open(world.d / "store")


WRITERS = [
    Writer(
        "save_private_key",
        "keys",
        _api(lambda w, t, f: save_private_key(generate_private_key("ec-p256"), t, overwrite=f)),
    ),
    Writer(
        "export_pkcs12(path=)",
        "pkcs12",
        _api(
            lambda w, t, f: export_pkcs12(
                (w.d / "rig.key").read_bytes(),
                w.d / "rig.pem",
                chain=w.d / "chain.pem",
                password="pw",
                path=t,
                overwrite=f,
            )
        ),
    ),
    *(
        Writer(
            f"truststore_io.export({fmt})",
            "truststore_io",
            _api(lambda w, t, f, fmt=fmt: export(_store(w), fmt, t, overwrite=f)),
        )
        for fmt in ("pem", "pkcs7", "pkcs12")
    ),
    *(
        Writer(
            f"truststore_io.export({fmt})",
            "truststore_io",
            _api(lambda w, t, f, fmt=fmt: export(_store(w), fmt, t, overwrite=f)),
            directory=True,
        )
        for fmt in ("der", "openssl-dir")
    ),
    Writer(
        "write_openssl_directory",
        "truststore_io",
        _api(lambda w, t, f: write_openssl_directory(_store(w), t, overwrite=f)),
        directory=True,
    ),
    Writer(
        "write_der_directory",
        "truststore_io",
        _api(lambda w, t, f: write_der_directory(_store(w), t, overwrite=f)),
        directory=True,
    ),
    Writer(
        "TrustStore.save(another store)",
        "truststore",
        _api(lambda w, t, f: (t.mkdir(exist_ok=True), _store(w).save(t, overwrite=f))),
        directory=True,
    ),
    Writer("DemoPki.write", "testing", _api(lambda w, t, f: w.pki.write(t, overwrite=f)), directory=True),
    Writer(
        "csr new --csr-out",
        "cli/csr",
        _cli("csr", "new", "--subject", "CN=x.example.com", "--key", "{d}/rig.key", "--csr-out", "{target}"),
    ),
    Writer(
        "csr new --key-out",
        "cli/csr",
        _cli(
            "csr",
            "new",
            "--subject",
            "CN=x.example.com",
            "--key-spec",
            "ec-p256",
            "--no-password",
            "--key-out",
            "{target}",
            "--csr-out",
            "{target}.csr",
        ),
    ),
    Writer(
        "csr renew --csr-out",
        "cli/csr",
        _cli("csr", "renew", "--cert", "{d}/rig.pem", "--key", "{d}/rig.key", "--csr-out", "{target}"),
    ),
    Writer(
        "csr renew --key-out",
        "cli/csr",
        _cli(
            "csr",
            "renew",
            "--cert",
            "{d}/rig.pem",
            "--rekey",
            "ec-p256",
            "--no-password",
            "--key-out",
            "{target}",
            "--csr-out",
            "{target}.csr",
        ),
    ),
    Writer("store export (file)", "cli/store", _cli("store", "--store", "{d}/store", "export", "{target}")),
    Writer(
        "store export (directory)",
        "cli/store",
        _cli("store", "--store", "{d}/store", "export", "--format", "openssl-dir", "{target}"),
        directory=True,
    ),
    Writer(
        "audit --out",
        "cli/audit",
        _cli("audit", "{d}/rig.pem", "--trust", "{d}/root.pem", "--revocation", "off", "--out", "{target}"),
    ),
    Writer(
        "pkcs12 build --out",
        "cli/pkcs12",
        _cli(
            "pkcs12",
            "build",
            "--key",
            "{d}/rig.key",
            "--cert",
            "{d}/rig.pem",
            "--out",
            "{target}",
            "--password-file",
            "{d}/pw.txt",
        ),
    ),
    Writer("demo --dir", "cli/demo", _cli("demo", "--dir", "{target}"), directory=True),
    Writer(
        "exporter --once --out",
        "cli/exporter",
        _cli("exporter", "{d}/rig.pem", "--store", "{d}/store", "--once", "--out", "{target}"),
    ),
]


@pytest.mark.parametrize("writer", WRITERS, ids=lambda writer: writer.name)
def test_an_existing_file_is_kept_unless_asked(world: World, writer: Writer, tmp_path: Path) -> None:
    target = tmp_path / "target"
    if writer.directory:
        # what the writer would write there already exists: an earlier run of the same writer
        assert writer.write(world, target, True) in (0, 1)
        before = {path: path.read_bytes() for path in target.rglob("*") if path.is_file()}
    else:
        target.write_bytes(PRECIOUS)
        before = {target: PRECIOUS}
    assert writer.write(world, target, False) == 2
    assert {path: path.read_bytes() for path in before} == before, "refused, and nothing changed"
    assert writer.write(world, target, True) in (0, 1)
    if not writer.directory:
        assert target.read_bytes() != PRECIOUS


def _writer_modules() -> set[str]:
    """Modules that call the atomic writer (every file caiso-pki writes goes through it)."""
    root = REPO_ROOT / "src" / "caiso_pki"
    return {
        path.relative_to(root).with_suffix("").as_posix()
        for path in root.rglob("*.py")
        if path.name != "_atomic.py" and re.search(r"\batomic_write_bytes\(", path.read_text())
    }


def test_every_module_that_writes_files_has_rows() -> None:
    covered = {writer.module for writer in WRITERS}
    missing = _writer_modules() - covered
    assert missing == set(), f"writers without a row: {sorted(missing)}"


def _writes(command: click.Command) -> bool:
    return any(isinstance(param.type, OutputFile) or param.name == "force" for param in command.params)


def test_every_command_that_writes_has_rows() -> None:
    writing = {leaf.name for leaf in LEAVES if _writes(leaf.command)}
    covered = {writer.name.split(" --")[0].split(" (")[0] for writer in WRITERS}
    assert writing <= covered, f"commands without a row: {sorted(writing - covered)}"
