"""Shared pieces of the CLI: error handling, JSON output, passphrase sources."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, Final, TypeVar

import click

from caiso_pki.errors import CaisoPkiError

__all__ = ["EXIT_BAD_INPUT", "echo_json", "echo_rich", "handle_errors", "read_passphrase"]

EXIT_BAD_INPUT: Final = 2
F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(func: F) -> F:
    """Turn a :class:`CaisoPkiError` into a one-line message and exit status 2 (bad input)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except CaisoPkiError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(EXIT_BAD_INPUT)

    return wrapper  # type: ignore[return-value]


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON."""
    click.echo(json.dumps(data, indent=2, sort_keys=False, default=str))


def read_passphrase(
    *, passphrase_file: Path | None, env_var: str | None, prompt: str | None, confirm: bool = False
) -> str | None:
    """Get a passphrase from a file, an environment variable or an interactive prompt, in that order.

    Passphrases are never accepted as plain command-line arguments: they would show in ``ps`` output
    and shell history.
    """
    if passphrase_file is not None:
        try:
            return passphrase_file.read_text(encoding="utf-8").rstrip("\r\n")
        except OSError as exc:
            raise click.BadParameter(
                f"cannot read passphrase file {passphrase_file}: {exc.strerror}"
            ) from exc
    if env_var:
        value = os.environ.get(env_var)
        if value is None:
            raise click.BadParameter(f"environment variable {env_var} is not set")
        return value
    if prompt is not None:
        value = click.prompt(
            prompt, hide_input=True, confirmation_prompt=confirm, default="", show_default=False
        )
        return str(value) or None
    return None


def echo_rich(value: Any, plain: str) -> None:
    """Print ``value``'s rich rendering on a colour terminal, else the ``plain`` text.

    Pipes, files, ``NO_COLOR`` and ``TERM=dumb`` get the plain text, so scripts that parse the
    output see the same lines whatever rich can do.
    """
    fancy = sys.stdout.isatty() and not os.environ.get("NO_COLOR") and os.environ.get("TERM") != "dumb"
    if fancy:
        try:
            from rich.console import Console
        except ImportError:
            fancy = False
        else:
            Console().print(value)
            return
    click.echo(plain)
