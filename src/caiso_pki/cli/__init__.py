"""The ``caiso-pki`` command line: a thin layer that parses options, calls the public API and renders.

Subcommands live in their own modules and are imported only when invoked, so ``caiso-pki --help``
and each command start quickly.
"""

from __future__ import annotations

import importlib
import importlib.util
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
}


class _LazyGroup(click.Group):
    """Imports each command's module only when the command runs; turns bugs into one line, not a traceback.

    Errors the commands expect are :class:`~caiso_pki.errors.CaisoPkiError` (status 2, handled in
    ``cli._common``).  Anything else is a bug in caiso-pki: the user gets one line naming the exception
    and status 2, and ``CAISO_PKI_TRACEBACK=1`` shows the traceback for the bug report.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except (KeyboardInterrupt, BrokenPipeError):  # click reports these itself
            raise
        except Exception as exc:
            if os.environ.get("CAISO_PKI_TRACEBACK"):
                raise
            from caiso_pki._text import printable

            click.echo(
                f"error: internal error ({type(exc).__name__}: {printable(exc)}); this is a bug in "
                "caiso-pki, please report it (CAISO_PKI_TRACEBACK=1 shows the traceback)",
                err=True,
            )
            ctx.exit(2)

    def list_commands(self, ctx: click.Context) -> list[str]:
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


@click.group(cls=_LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="caiso-pki")
def main() -> None:
    """PKI work for CAISO participants: keys and CSRs, validation, CPS checks, trust stores.

    Exit status of every command: 0 success, 1 a negative answer (not valid, findings), 2 bad input or
    usage.  Files may be - for stdin.
    """


def run(*args: Any) -> None:  # pragma: no cover - convenience for ``python -m``
    main(*args)
