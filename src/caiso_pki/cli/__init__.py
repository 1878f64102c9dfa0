"""The ``caiso-pki`` command line: a thin layer that parses options, calls the public API and renders.

Subcommands live in their own modules and are imported only when invoked, so ``caiso-pki --help``
and each command start quickly.
"""

from __future__ import annotations

import contextlib
import errno
import importlib
import os
import sys
from typing import Any, Final

try:
    import click
except ImportError:  # pragma: no cover - exercised only without the [cli] extra
    sys.stderr.write("caiso-pki: the command line needs the 'cli' extra: pip install 'caiso-pki[cli]'\n")
    raise SystemExit(2) from None

__all__ = ["main"]

#: command name -> "module:attribute" of its click command
COMMANDS: Final[dict[str, str]] = {
    "demo": "caiso_pki.cli.demo:demo",
    "inspect": "caiso_pki.cli.inspect:inspect_cmd",
    "csr": "caiso_pki.cli.csr:csr",
    "store": "caiso_pki.cli.store:store",
    "verify": "caiso_pki.cli.verify:verify",
    "lint": "caiso_pki.cli.lint:lint",
    "profile": "caiso_pki.cli.lint:profile",
    "audit": "caiso_pki.cli.audit:audit",
    "connect": "caiso_pki.cli.connect:connect_cmd",
    "exporter": "caiso_pki.cli.exporter:exporter_cmd",
    "pkcs12": "caiso_pki.cli.pkcs12:pkcs12",
}


class _LazyGroup(click.Group):
    """Imports each command's module only when the command runs; turns bugs into one line, not a traceback.

    Errors the commands expect are :class:`~caiso_pki.errors.CaisoPkiError` (status 2, handled in
    ``cli._common``).  Anything else is a bug in caiso-pki: the user gets one line naming the exception
    and status 2, and ``CAISO_PKI_TRACEBACK=1`` shows the traceback for the bug report.
    """

    def invoke(self, ctx: click.Context) -> Any:
        from caiso_pki.cli._common import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OUTPUT_CLOSED

        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            # Ctrl-C: the shell's 130, not click's "Aborted!" and 1 (a negative answer).  Files are
            # written atomically and output is printed at the end, so nothing partial was left.
            ctx.exit(EXIT_INTERRUPTED)
        except OSError as exc:
            if not _is_output_failure(exc):
                return self._bug(ctx, exc)
            name = _stdout_name()
            _discard_stdout()
            if exc.errno == errno.EPIPE:  # the reader went away (| head): stop quietly
                ctx.exit(EXIT_OUTPUT_CLOSED)
            _say(f"error: {name}: cannot write the output: {exc.strerror or exc}")
            ctx.exit(EXIT_BAD_INPUT)
        except Exception as exc:
            return self._bug(ctx, exc)

    def _bug(self, ctx: click.Context, exc: Exception) -> Any:
        """Anything unexpected: one line naming the exception, status 2, the traceback on request."""
        if os.environ.get("CAISO_PKI_TRACEBACK"):
            raise exc
        from caiso_pki._text import printable

        _say(
            f"error: internal error ({type(exc).__name__}: {printable(exc)}); this is a bug in "
            "caiso-pki, please report it (CAISO_PKI_TRACEBACK=1 shows the traceback)"
        )
        ctx.exit(2)

    def list_commands(self, ctx: click.Context) -> list[str]:
        import importlib.util

        available = []
        for name, target in COMMANDS.items():
            module = target.split(":")[0]
            if importlib.util.find_spec(module) is not None:
                available.append(name)
        return sorted(available)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            return None
        command: click.Command = getattr(module, attr)
        return command


#: ``errno`` values that mean the output cannot take more: a closed pipe, a full disk, a dead device.
_OUTPUT_ERRNOS: Final = frozenset(
    code
    for code in (
        errno.EPIPE,
        errno.ENOSPC,
        getattr(errno, "EDQUOT", None),
        errno.EFBIG,
        errno.EIO,
        errno.EBADF,
        errno.ECONNRESET,
    )
    if code is not None
)


def _is_output_failure(exc: OSError) -> bool:
    """Whether ``exc`` came from writing the command's output stream (no file name: a stream, not a
    path; every file the commands read or write themselves is reported as a ``CaisoPkiError``)."""
    return exc.errno in _OUTPUT_ERRNOS and exc.filename is None


def _stdout_name() -> str:
    """``standard output`` and, where the system says, what it is (``/dev/full``, a file's path)."""
    try:
        target = os.readlink("/proc/self/fd/1")
    except OSError:
        return "standard output"
    from caiso_pki._text import display_path

    return f"standard output ({display_path(target)})"


def _discard_stdout() -> None:
    """Point standard output at the null device, so the interpreter's final flush of what is still
    buffered cannot fail again (and print a traceback) after the error was reported."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):  # no real descriptor behind sys.stdout (a test runner)
        pass


def _say(message: str) -> None:
    """One line on standard error, if standard error can still take it."""
    with contextlib.suppress(OSError):
        click.echo(message, err=True)


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="caiso-pki")
def main() -> None:
    """PKI work for CAISO participants: keys and CSRs, validation, CPS checks, trust stores.

    Exit status of every command: 0 success, 1 a negative answer (not valid, findings), 2 bad input or
    usage.  Files may be - for stdin.
    """
