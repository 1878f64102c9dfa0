"""Every subcommand against hostile inputs and environments (issue 13's acceptance test).

The commands come from :data:`caiso_pki.cli.COMMANDS` (groups walked to their subcommands), and each
run is built from the command's own parameters: every parameter that names a file or a directory is a
*slot*, and each slot in turn receives each hostile input while the other required parameters get
sound values (``tests/_commands.py``).  A new command is therefore covered without editing this file;
the tables there only make runs go further than a usage error.

Inputs: empty, truncated, binary, huge (over the 32 MiB cap), a non-UTF-8 file name, a directory, a
FIFO, ``/dev/null``, a missing path and binary standard input.  Environments: in-process without a
terminal (every command x slot x input), then real processes without a terminal, with ``NO_COLOR`` and
on a pseudo-terminal (every command x environment, inputs rotated).  Every run must exit 0, 1 or 2,
print no traceback and no internal error, and leave no partial output file.
"""

from __future__ import annotations

import errno
import os
import random
import shutil
import threading
from collections.abc import Callable
from pathlib import Path

import attrs
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from _cli import Run, run_cli, run_in_pty
from _commands import (
    LEAVES,
    PASSWORD_ENV,
    PFX_PASSWORD,
    SLOTS,
    Leaf,
    Material,
    build_argv,
    make_material,
    slot_names,
)
from caiso_pki._source import MAX_INPUT_BYTES
from caiso_pki.cli import COMMANDS, main
from caiso_pki.truststore import TrustStore


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> Material:
    return make_material(tmp_path_factory.mktemp("sound"))


@pytest.fixture(autouse=True)
def _pfx_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PFX_PASSWORD)  # runs name it with --password-env


def test_every_command_in_commands_is_exercised() -> None:
    assert {leaf.path[0] for leaf in LEAVES} == set(COMMANDS)
    assert {leaf for leaf, _, _ in ENV_CASES} == set(LEAVES)  # every leaf runs in every environment
    with_slots = {leaf for leaf, _, _ in SLOTS}
    assert with_slots == {leaf for leaf in LEAVES if slot_names(leaf)}


# -- hostile inputs --------------------------------------------------------------------------------


class FifoWriter:
    """Serves ``data`` to every reader that opens the FIFO, until stopped (never blocks a run)."""

    def __init__(self, path: Path, data: bytes) -> None:
        os.mkfifo(path)
        self.path, self.data = path, data
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stop.is_set():
            try:
                fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:
                if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                    raise
                self.stop.wait(0.005)
                continue
            try:
                os.set_blocking(fd, True)
                os.write(fd, self.data)
            except BrokenPipeError:
                pass  # the reader gave up early (a size or type check): fine
            finally:
                os.close(fd)

    def close(self) -> None:
        self.stop.set()
        self.thread.join()


HOSTILE: tuple[str, ...] = (
    "empty",
    "truncated",
    "binary",
    "huge",
    "non-utf8-name",
    "directory",
    "fifo",
    "dev-null",
    "missing",
    "stdin",
)


@attrs.frozen
class Hostile:
    value: str
    stdin: bytes = b""
    cleanup: Callable[[], None] = lambda: None


def make_hostile(kind: str, directory: Path, m: Material) -> Hostile:
    """One hostile input, made fresh in ``directory`` (commands may write into directories)."""
    pem = m.cert.read_bytes()
    garbage = random.Random(kind).randbytes(4096)
    if kind == "empty":
        (directory / "empty.pem").write_bytes(b"")
        return Hostile(os.fspath(directory / "empty.pem"))
    if kind == "truncated":
        (directory / "truncated.pem").write_bytes(pem[: len(pem) // 2])
        return Hostile(os.fspath(directory / "truncated.pem"))
    if kind == "binary":
        (directory / "binary.der").write_bytes(garbage)
        return Hostile(os.fspath(directory / "binary.der"))
    if kind == "huge":
        with (directory / "huge.pem").open("wb") as handle:
            handle.write(pem)
            handle.truncate(MAX_INPUT_BYTES + 1)  # sparse: cheap to make, still read up to the cap
        return Hostile(os.fspath(directory / "huge.pem"))
    if kind == "non-utf8-name":
        path = directory / os.fsdecode(b"caf\xe9\x1b[31m.pem")
        path.write_bytes(pem)
        return Hostile(os.fspath(path))
    if kind == "directory":
        (directory / "a-directory").mkdir()
        (directory / "a-directory" / "notes.txt").write_text("not a certificate\n")
        return Hostile(os.fspath(directory / "a-directory"))
    if kind == "fifo":
        writer = FifoWriter(directory / "input.fifo", pem)
        return Hostile(os.fspath(directory / "input.fifo"), cleanup=writer.close)
    if kind == "dev-null":
        return Hostile("/dev/null")
    if kind == "missing":
        return Hostile(os.fspath(directory / "missing.pem"))
    assert kind == "stdin"
    return Hostile("-", stdin=garbage)


# -- the checks ------------------------------------------------------------------------------------


def run_dir(base: Path, m: Material) -> tuple[Path, Path]:
    """A fresh directory for one run (with its own copy of the store) and its output subdirectory."""
    base.mkdir(parents=True)
    shutil.copytree(m.store, base / "store")
    (base / "out").mkdir()
    return base, base / "out"


def with_own_store(argv: list[str], m: Material, base: Path) -> list[str]:
    return [str(base / "store") if arg == os.fspath(m.store) else arg for arg in argv]


def _shown(argv: list[str]) -> str:
    """The command line for an assertion message, ASCII only (xdist cannot send lone surrogates)."""
    return "caiso-pki " + " ".join(ascii(arg)[1:-1] for arg in argv)


def check(run: Run, argv: list[str], outputs: list[Path], base: Path) -> None:
    where = _shown(argv)
    assert run.returncode in (0, 1, 2), f"{where}: status {run.returncode}\n{run.output}"
    assert "Traceback" not in run.output, f"{where}\n{run.output}"
    assert "internal error" not in run.output, f"{where}\n{run.output}"
    leftovers = [p for p in base.rglob("*") if p.name.endswith(".tmp")]
    assert not leftovers, f"{where}: temporary files left: {leftovers}"
    if run.returncode == 2:
        written = [path for path in outputs if path.exists()]
        assert not written, f"{where}: status 2 but wrote {written}"
    if (base / "store").is_dir():
        TrustStore.open(base / "store")  # still a readable store, whatever the run did


def _in_process(argv: list[str], stdin: bytes, cwd: Path) -> Run:
    """Run in this process, in ``cwd`` (a relative output such as a directory named ``-`` lands there)."""
    before = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(main, argv, input=stdin)
    finally:
        os.chdir(before)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"{_shown(argv)} raised {result.exception!r}") from result.exception
    return Run(result.exit_code, result.stdout_bytes, result.stderr_bytes)


@pytest.mark.parametrize(
    ("leaf", "slot", "in_group"),
    SLOTS,
    ids=[f"{leaf.name}:{slot}" for leaf, slot, _ in SLOTS],
)
def test_every_slot_takes_every_hostile_input(
    leaf: Leaf, slot: str, in_group: bool, material: Material, tmp_path: Path
) -> None:
    for kind in HOSTILE:
        base, out = run_dir(tmp_path / kind, material)
        hostile = make_hostile(kind, base, material)
        try:
            argv, outputs = build_argv(leaf, slot, hostile.value, material, out)
            argv = with_own_store(argv, material, base)
            check(_in_process(argv, hostile.stdin, base), argv, outputs, base)
        finally:
            hostile.cleanup()


# -- real processes: no terminal, NO_COLOR, a pseudo-terminal -------------------------------------

ENVIRONMENTS = ("no-terminal", "no-color", "pty")
#: The inputs each environment run gets, rotated over the commands so every input meets every
#: environment across the matrix while each command runs a handful of times.
ROTATION = ("binary", "non-utf8-name", "fifo", "dev-null", "truncated", "directory", "empty", "stdin")


def _first_slot(leaf: Leaf) -> str:
    names = slot_names(leaf)
    return names[0] if names else ""


ENV_CASES = [
    (leaf, env, ROTATION[(index * 2 + offset) % len(ROTATION)])
    for index, leaf in enumerate(LEAVES)
    for env in ENVIRONMENTS
    for offset in range(2)
]


@pytest.mark.parametrize(
    ("leaf", "env", "kind"),
    ENV_CASES,
    ids=[f"{leaf.name}:{env}:{kind}" for leaf, env, kind in ENV_CASES],
)
def test_real_processes_in_every_environment(
    leaf: Leaf, env: str, kind: str, material: Material, tmp_path: Path
) -> None:
    base, out = run_dir(tmp_path / "run", material)
    hostile = make_hostile(kind, base, material)
    try:
        slot = _first_slot(leaf)
        argv, outputs = build_argv(leaf, slot, hostile.value, material, out)
        argv = with_own_store(argv, material, base)
        if env == "pty":
            if hostile.value == "-":  # a terminal's stdin is the terminal: give the run a file instead
                argv = [os.fspath(material.cert) if arg == "-" else arg for arg in argv]
            run = run_in_pty(argv, answers=["not-the-password"] * 3, cwd=base)
        else:
            extra = {"NO_COLOR": "1"} if env == "no-color" else {}
            run = run_cli(argv, stdin=hostile.stdin, env=extra, cwd=base)
        check(run, argv, outputs, base)
        if env != "pty":
            assert b"\x1b[" not in run.stdout, "colour codes without a terminal"
    finally:
        hostile.cleanup()


# -- generated content -------------------------------------------------------------------------------

READERS = [
    leaf for leaf in LEAVES if leaf.path in {("inspect",), ("lint",), ("csr", "show"), ("store", "add")}
]


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    data=st.one_of(
        st.binary(max_size=2048),
        st.builds(
            lambda body: b"-----BEGIN CERTIFICATE-----\n" + body + b"\n-----END CERTIFICATE-----\n",
            st.binary(max_size=512),
        ),
        st.text(max_size=256).map(str.encode),
    ),
    index=st.integers(min_value=0, max_value=len(READERS) - 1),
    as_json=st.booleans(),
)
def test_generated_content_on_stdin(
    data: bytes, index: int, as_json: bool, material: Material, tmp_path_factory: pytest.TempPathFactory
) -> None:
    leaf = READERS[index]
    store = tmp_path_factory.mktemp("gen") / "store"
    shutil.copytree(material.store, store)
    group = ["--store", os.fspath(store)] if leaf.path[0] == "store" else []
    flags = ["--json"] if as_json and leaf.path != ("lint",) else (["--format", "json"] if as_json else [])
    argv = [leaf.path[0], *group, *leaf.path[1:], "-", *flags]
    run = _in_process(argv, data, store.parent)
    assert run.returncode in (0, 1, 2), run.output
    assert "Traceback" not in run.output and "internal error" not in run.output, run.output
