"""Interrupts and broken outputs: Ctrl-C exits 130 leaving nothing partial, a closed pipe exits 141
quietly, a full disk on standard output is named with the system's reason (status 2, not "a bug").

Real subprocesses of the console script: the signal, the pipe and ``/dev/full`` are the operating
system's, not simulated.  The interrupt is sent while the command is blocked reading a FIFO that this
test holds open for writing, so it arrives mid-command without any timing guess.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from _cli import SAFETY_TIMEOUT, _env, console_script
from caiso_pki import testing


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``big/`` with 40 certificate files and ``roots.pem`` beside it."""
    d = tmp_path_factory.mktemp("fleet")
    pki = testing.DemoPki.create()
    (d / "big").mkdir()
    for index in range(40):
        issued = pki.issuing_ca.issue("rig", f"rig-{index:04d}.example.com")
        (d / "big" / f"rig-{index:04d}.pem").write_text(issued.pem_bundle())
    (d / "roots.pem").write_text("".join(cert.pem for cert in pki.trust_anchors))
    return d


#: Runs the command with SIGINT at its default disposition, as a command started from a shell prompt
#: has.  A suite run from a background job (``pytest &`` in a script, ``nohup``) inherits SIGINT ignored
#: (POSIX: a shell without job control starts asynchronous commands with SIGINT and SIGQUIT ignored);
#: the ignore survives ``exec``, Python then installs no KeyboardInterrupt handler, and the command
#: would rightly ignore the Ctrl-C these tests send (seen: the audit SIGINT tests hung under a nohup
#: run).  The wrapper resets it and ``exec``s the command, which keeps the wrapper's pid.
_FROM_A_TERMINAL = (
    "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def _start(args: list[str], cwd: Path, **kwargs: object) -> subprocess.Popen[bytes]:
    # PYTHONFAULTHANDLER: a child that hangs is sent SIGABRT (see _finish), which then prints where
    # every thread of it was.
    return subprocess.Popen(
        [sys.executable, "-c", _FROM_A_TERMINAL, console_script(), *args],
        cwd=cwd,
        env=_env({"PYTHONFAULTHANDLER": "1"}),
        start_new_session=True,
        **kwargs,  # type: ignore[arg-type]
    )


def _signal_state(pid: int) -> str:
    """The child's state and signal masks, and each thread's kernel wait channel (for a hang report)."""
    lines = []
    with contextlib.suppress(OSError):
        status = Path(f"/proc/{pid}/status").read_text()
        keep = ("State", "SigQ", "SigPnd", "ShdPnd", "SigBlk", "SigIgn", "SigCgt", "Threads")
        lines += [line for line in status.splitlines() if line.split(":")[0] in keep]
    with contextlib.suppress(OSError):
        for task in sorted(Path(f"/proc/{pid}/task").iterdir()):
            wchan = (task / "wchan").read_text()
            blocked = [x for x in (task / "status").read_text().splitlines() if x.startswith("SigBlk")]
            lines.append(f"thread {task.name}: wchan={wchan} {' '.join(blocked)}")
    return "\n".join(lines)


def _finish(proc: subprocess.Popen[bytes]) -> tuple[bytes, bytes]:
    """Wait for the child (``SAFETY_TIMEOUT`` at most, a hang guard); a hung child is reported with its
    signal state and its threads' Python tracebacks (SIGABRT with PYTHONFAULTHANDLER), then killed."""
    try:
        return proc.communicate(timeout=SAFETY_TIMEOUT)
    except subprocess.TimeoutExpired:
        state = _signal_state(proc.pid)
        proc.send_signal(signal.SIGABRT)
        try:
            _, stderr = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            _, stderr = proc.communicate()
        pytest.fail(
            f"caiso-pki did not end within {SAFETY_TIMEOUT} s of the signal\n{state}\n"
            + stderr.decode("utf-8", "replace")
        )
    finally:
        if proc.poll() is None:  # never leave a child (and its pipes) to a later test's garbage collection
            proc.kill()
            proc.communicate()


def _open_when_read(fifo: Path, proc: subprocess.Popen[bytes]) -> int:
    """The FIFO's write end, opened once ``proc`` has opened it for reading (fails if it never does)."""
    deadline = time.monotonic() + SAFETY_TIMEOUT
    while time.monotonic() < deadline:
        try:
            return os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError as exc:
            if exc.errno != errno.ENXIO:  # ENXIO: no reader yet
                raise
        if proc.poll() is not None:
            _, stderr = proc.communicate()
            pytest.fail(f"the command ended (status {proc.returncode}) without reading the FIFO: {stderr!r}")
        time.sleep(0.01)
    proc.kill()
    proc.communicate()
    pytest.fail("the command never opened the FIFO")


@pytest.mark.parametrize("existing", [False, True], ids=["new-out", "existing-out-with-force"])
def test_sigint_during_audit_exits_130_and_leaves_no_partial_output(
    fleet: Path, tmp_path: Path, existing: bool
) -> None:
    fifo = tmp_path / "more.pem"
    os.mkfifo(fifo)
    out = tmp_path / "r.json"
    if existing:
        out.write_text("the previous report\n")
    args = ["audit", os.fspath(fleet / "big"), os.fspath(fifo), "--trust", os.fspath(fleet / "roots.pem")]
    args += ["--out", os.fspath(out), "--no-progress", *(["--force"] if existing else [])]
    proc = _start(args, tmp_path, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Opening the FIFO for writing succeeds once the command has opened it for reading: it is then
    # running (its signal handling in place) and blocked in the middle of the audit.
    writer = _open_when_read(fifo, proc)
    try:
        proc.send_signal(signal.SIGINT)
        stdout, stderr = _finish(proc)
    finally:
        os.close(writer)
    assert proc.returncode == 130, stderr
    assert stdout == b""
    assert b"Traceback" not in stderr and b"Aborted!" not in stderr
    if existing:
        assert out.read_text() == "the previous report\n"
    else:
        assert not out.exists()
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted(
        ["more.pem", *(["r.json"] if existing else [])]
    ), "no temporary file left behind"


@pytest.mark.parametrize("json_output", [True, False], ids=["json", "text"])
def test_a_closed_pipe_exits_141_without_a_traceback(fleet: Path, json_output: bool) -> None:
    bundle = fleet / "bundle.pem"
    if not bundle.exists():
        bundle.write_text("".join(path.read_text() for path in sorted((fleet / "big").iterdir())) * 5)
    args = ["inspect", *(["--json"] if json_output else []), os.fspath(bundle)]
    proc = _start(args, fleet, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(10)  # a reader that stops early, as `| head -c 10` does
    proc.stdout.close()
    stderr = proc.stderr.read()
    proc.stderr.close()
    assert proc.wait(timeout=SAFETY_TIMEOUT) == 141, stderr
    assert stderr == b""


def test_a_full_disk_on_standard_output_names_it_and_exits_2(fleet: Path) -> None:
    if not Path("/dev/full").exists():
        pytest.fail("/dev/full is needed (Linux)")
    with open("/dev/full", "wb") as full:
        proc = _start(
            ["inspect", os.fspath(fleet / "roots.pem")],
            fleet,
            stdin=subprocess.DEVNULL,
            stdout=full,
            stderr=subprocess.PIPE,
        )
        _, stderr = _finish(proc)
    text = stderr.decode()
    assert proc.returncode == 2, text
    assert text.startswith("error: standard output (/dev/full): cannot write the output: ")
    assert "No space left on device" in text
    assert "bug" not in text and "Traceback" not in text
    assert len(text.splitlines()) == 1
