"""Run the real ``caiso-pki`` console script: without a terminal, or on a pseudo-terminal (``pty``).

CliRunner runs commands in-process with fake streams; what depends on the real process (a controlling
terminal for password prompts, pipes, FIFOs, ``NO_COLOR``) is tested through these helpers instead.
"""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

import attrs

#: Long enough for any command of the suite on a slow machine; only a guard against a hung child.
SAFETY_TIMEOUT = 120.0


def console_script() -> str:
    """The ``caiso-pki`` script next to the running interpreter (CI does not activate the venv)."""
    return str(Path(sys.executable).with_name("caiso-pki"))


def _env(extra: Mapping[str, str] | None) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key not in ("NO_COLOR", "FORCE_COLOR")}
    env.update({"COLUMNS": "120", "CAISO_PKI_TRACEBACK": ""})
    env.update(extra or {})
    return env


@attrs.frozen
class Run:
    """What a run printed and its exit status (stdout and stderr as bytes, undecoded)."""

    returncode: int
    stdout: bytes
    stderr: bytes = b""

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", "replace")

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", "replace")

    @property
    def output(self) -> str:
        return self.out + self.err


def run_cli(
    args: Sequence[str | os.PathLike[str]],
    *,
    stdin: bytes | None = None,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Run:
    """Run ``caiso-pki ARGS`` in a new session (so no controlling terminal), stdin from ``stdin`` or
    ``/dev/null``, stdout and stderr to pipes."""
    proc = subprocess.run(
        [console_script(), *map(os.fsdecode, args)],
        input=stdin if stdin is not None else b"",
        capture_output=True,
        env=_env(env),
        cwd=cwd,
        start_new_session=True,
        timeout=SAFETY_TIMEOUT,
        check=False,
    )
    return Run(proc.returncode, proc.stdout, proc.stderr)


def run_in_pty(
    args: Sequence[str | os.PathLike[str]],
    *,
    answers: Sequence[str] = (),
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> Run:
    """Run ``caiso-pki ARGS`` on a new pseudo-terminal, its controlling terminal, typing ``answers``.

    Each answer is typed (with Enter) once the output so far ends in a prompt (``: ``).  Standard
    output and standard error both go to the terminal, so ``stdout`` holds everything printed.
    """
    argv = [console_script(), *map(os.fsdecode, args)]
    environment = _env(env)
    pid, fd = pty.fork()
    if pid == 0:  # the child: exec at once, nothing else
        if cwd is not None:
            os.chdir(cwd)
        os.execve(argv[0], argv, environment)
    output = bytearray()
    pending = list(answers)
    try:
        while True:
            ready, _, _ = select.select([fd], [], [], SAFETY_TIMEOUT)
            if not ready:
                os.kill(pid, 9)
                raise TimeoutError(f"caiso-pki {args} produced nothing for {SAFETY_TIMEOUT} s")
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
            if pending and output.rstrip(b" ").endswith(b":"):
                os.write(fd, pending.pop(0).encode() + b"\r")
    finally:
        os.close(fd)
        _, status = os.waitpid(pid, 0)
    return Run(os.waitstatus_to_exitcode(status), bytes(output))
