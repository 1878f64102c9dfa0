"""``caiso-pki audit``: validate and lint every certificate under some files and folders, report totals.

Exit status: 0 when every certificate validates and no lint finding is an error, 1 otherwise (an audit
that found no certificate at all included), 2 on bad input (a path that does not exist, no trust store,
a bad profile or option).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from caiso_pki._io import NamedBytes
from caiso_pki.cli._common import (
    DIRECTORY,
    EXIT_NEGATIVE,
    INPUT_FILE,
    OUTPUT_FILE,
    PROFILE_REF,
    STDIN_HELP,
    UTC_TIME,
    PathParam,
    check_outputs,
    handle_errors,
    is_stdout,
)

if TYPE_CHECKING:
    from caiso_pki.audit import AuditReport

__all__ = ["audit"]

EXIT_FINDINGS = EXIT_NEGATIVE


class AuditPath(PathParam):
    """A file or folder to audit; ``-`` reads one file's worth of certificates from standard input."""

    name = "path"

    def get_metavar(self, param: click.Parameter, ctx: click.Context | None = None) -> str:
        """``PATH`` in usage lines and help."""
        return "PATH"

    def convert(
        self, value: Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> Path | NamedBytes:
        """``-`` as standard input's content, anything else as a path (checked by the audit)."""
        if str(value) == "-":
            converted: NamedBytes = INPUT_FILE.convert(value, param, ctx)
            return converted
        return value if isinstance(value, Path) else Path(os.fsdecode(value))


def _render(report: AuditReport, fmt: str) -> str:
    from caiso_pki.audit import render_audit_csv, render_audit_html, render_audit_json, render_audit_text

    renderers = {
        "text": render_audit_text,
        "json": render_audit_json,
        "csv": render_audit_csv,
        "html": render_audit_html,
    }
    return renderers[fmt](report)


@click.command("audit")
@click.argument("paths", nargs=-1, required=True, type=AuditPath())
@click.option(
    "--store",
    "store_dir",
    required=True,
    type=DIRECTORY,
    help="Trust store directory (its anchors and intermediates are used; never the OS list).",
)
@click.option(
    "--profile",
    type=PROFILE_REF,
    help=f"CPS profile to lint with: a built-in name or a TOML file ({STDIN_HELP}).",
)
@click.option("--at", "at", type=UTC_TIME, help="Validation time (ISO 8601; default now).")
@click.option(
    "--revocation",
    type=click.Choice(["off", "soft-fail", "hard-fail", "require"]),
    default="soft-fail",
    show_default=True,
)
@click.option(
    "--crl",
    "crl_files",
    multiple=True,
    type=INPUT_FILE,
    help=f"CRL file given offline (repeatable; {STDIN_HELP}).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv", "html"]),
    default="text",
    show_default=True,
)
@click.option(
    "--out",
    "out_file",
    type=OUTPUT_FILE,
    help="Write the report to this file (replaced atomically; - for stdout, the default).",
)
@click.option(
    "--no-progress", is_flag=True, help="No progress bar (it is never shown when stderr is not a TTY)."
)
@handle_errors
def audit(  # noqa: PLR0917 -- click passes every option positionally
    paths: tuple[Path | NamedBytes, ...],
    store_dir: Path,
    profile: str | NamedBytes | None,
    at: dt.datetime | None,
    revocation: str,
    crl_files: tuple[NamedBytes, ...],
    fmt: str,
    out_file: Path | None,
    no_progress: bool,
) -> None:
    """Validate (and lint) every certificate found in PATHS: totals, failure codes, upcoming expiries.

    PATHS are files and folders (walked recursively, hidden files skipped; - for stdin); each must
    exist.
    """
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from caiso_pki._atomic import atomic_write_bytes
    from caiso_pki._text import display_path
    from caiso_pki.audit import audit_paths
    from caiso_pki.truststore import TrustStore

    if out_file is not None:
        check_outputs({"--out": out_file}, force=True)
        if is_stdout(out_file):
            out_file = None
    store = TrustStore.open(store_dir)
    console = Console(stderr=True)
    show = not no_progress and sys.stderr.isatty()
    with Progress(
        TextColumn("validating"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not show,
        transient=True,
    ) as bar:
        task = bar.add_task("audit", total=None)
        report = audit_paths(
            paths,
            trust=store,
            profile=profile,
            at=at,
            revocation=revocation,  # type: ignore[arg-type]
            crls=list(crl_files),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    text = _render(report, fmt)
    if out_file is not None:
        atomic_write_bytes(out_file, text.encode("utf-8"), mode=0o644)
        click.echo(
            f"{report.totals['total']} certificates audited; report written to {display_path(out_file)}",
            err=True,
        )
    else:
        click.echo(text, nl=False)
    if not report.clean:
        sys.exit(EXIT_FINDINGS)
