"""``caiso-pki audit``: validate and lint every certificate under some files and folders, report totals.

``--format prometheus`` writes the audit as Prometheus metrics
(:func:`caiso_pki.exposition.render_prometheus` of :func:`caiso_pki.monitoring.fleet_metrics`), the
metric names of the monitoring guide, for node_exporter's textfile collector.

Exit status: 0 when every file was read, every certificate validates and no lint finding is an error,
1 otherwise (an audit that found no certificate at all, or could not read a file, included), 2 on bad
input (a path that does not exist, no trust store, a bad profile or option).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from caiso_pki._source import NamedBytes
from caiso_pki.cli._common import (
    DIRECTORY,
    EXIT_NEGATIVE,
    INPUT_FILE,
    OUTPUT_FILE,
    POLICY_OID,
    PROFILE_REF,
    STDIN_HELP,
    USAGES,
    UTC_TIME,
    PathParam,
    check_outputs,
    echo_out,
    handle_errors,
    is_stdout,
    read_password,
    rich_console,
)

if TYPE_CHECKING:
    from caiso_pki.audit import AuditReport
    from caiso_pki.truststore import TrustStore

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


def _render(
    report: AuditReport, fmt: str, *, store: TrustStore | None, crl_files: tuple[NamedBytes, ...]
) -> str:
    from caiso_pki.audit import render_audit_csv, render_audit_html, render_audit_json, render_audit_text

    if fmt == "prometheus":
        from caiso_pki.exposition import render_prometheus
        from caiso_pki.monitoring import fleet_metrics

        return render_prometheus(fleet_metrics(report, store=store, crls=list(crl_files)))
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
    type=DIRECTORY,
    help="Trust store directory (its anchors and intermediates are used; never the OS list).",
)
@click.option(
    "--trust",
    "trust_file",
    type=INPUT_FILE,
    help=f"File of trusted root certificates, instead of --store ({STDIN_HELP}).",
)
@click.option("--usage", type=click.Choice(sorted(USAGES)), help="Require TLS client or server usage.")
@click.option(
    "--policy",
    "policies",
    multiple=True,
    type=POLICY_OID,
    help="Acceptable certificate policy OID (or registry name); repeatable.",
)
@click.option("--explicit-policy", is_flag=True, help="Require a valid policy (initial-explicit-policy).")
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
@click.option("--fetch", is_flag=True, help="Download the CRLs and OCSP answers named in the certificates.")
@click.option(
    "--timeout",
    type=float,
    default=10.0,
    show_default=True,
    help="With --fetch: seconds for each download.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "json", "csv", "html", "prometheus"]),
    default="text",
    show_default=True,
    help="prometheus: the metrics of the monitoring guide, for node_exporter's textfile collector.",
)
@click.option(
    "--out",
    "out_file",
    type=OUTPUT_FILE,
    help="Write the report to this file (replaced atomically; - for stdout, the default).",
)
@click.option(
    "--force", is_flag=True, help="Replace an existing --out file (a textfile collector's next run)."
)
@click.option(
    "--password-file",
    type=INPUT_FILE,
    help=f"Password of the PKCS#12 / PFX files found: the first line of this file ({STDIN_HELP}).",
)
@click.option("--password-env", metavar="VAR", help="Password of the PKCS#12 / PFX files found, from VAR.")
@click.option(
    "--no-progress", is_flag=True, help="No progress bar (it is never shown when stderr is not a TTY)."
)
@handle_errors
def audit(  # noqa: PLR0917 -- click passes every option positionally
    paths: tuple[Path | NamedBytes, ...],
    store_dir: Path | None,
    trust_file: NamedBytes | None,
    usage: str | None,
    policies: tuple[str, ...],
    explicit_policy: bool,
    profile: str | NamedBytes | None,
    at: dt.datetime | None,
    revocation: str,
    crl_files: tuple[NamedBytes, ...],
    fetch: bool,
    timeout: float,
    fmt: str,
    out_file: Path | None,
    force: bool,
    password_file: NamedBytes | None,
    password_env: str | None,
    no_progress: bool,
) -> None:
    """Validate (and lint) every certificate found in PATHS: totals, failure codes, upcoming expiries.

    PATHS are files and folders (walked recursively, hidden files skipped; - for stdin); each must
    exist.  Files that cannot be read (damaged, empty, junk, a PFX without --password-file or
    --password-env, FIFOs and dangling links in folders) are listed with the reason and make the
    audit incomplete: exit status 1.  Keys, CSRs and CRLs are listed as files without certificates.

    --format prometheus writes Prometheus metrics (certificates, read errors, the freshness of every
    --crl and fetched CRL); for node_exporter's textfile collector, write them with --out FILE --force
    from a timer (the file is replaced atomically; the exit status still says whether all is valid).

    \b
    Examples:
      caiso-pki audit --store trust demo-files/rig.pem demo-files/pki/caiso-issuing.pem
      caiso-pki audit --store trust certs/ --fetch --format prometheus \\
          --out /var/lib/node_exporter/textfile/caiso_pki.prom --force
    """
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from caiso_pki._atomic import atomic_write_bytes
    from caiso_pki._text import display_path
    from caiso_pki.audit import audit_paths
    from caiso_pki.policy import PolicyRequirement
    from caiso_pki.truststore import TrustStore

    if (store_dir is None) == (trust_file is None):
        raise click.UsageError("give exactly one of --store DIR or --trust FILE")
    if out_file is not None:
        check_outputs({"--out": out_file}, force=force)
        if is_stdout(out_file):
            out_file = None
    trust: TrustStore | NamedBytes = TrustStore.open(store_dir) if store_dir is not None else trust_file  # type: ignore[assignment]
    password = read_password(
        password_file=password_file,
        env_var=password_env,
        prompt=None,
        allow_empty=True,
    )
    policy = None
    if policies or explicit_policy:
        policy = PolicyRequirement(acceptable=policies or ("any",), require_explicit=explicit_policy)
    console = rich_console(stderr=True)
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
            trust=trust,
            key_usage=USAGES[usage]["key_usage"] if usage else None,
            extended_key_usage=USAGES[usage]["extended_key_usage"] if usage else None,
            policy=policy,
            password=password,
            profile=profile,
            at=at,
            revocation=revocation,  # type: ignore[arg-type]
            crls=list(crl_files),
            fetch=fetch,
            timeout=timeout,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    text = _render(report, fmt, store=trust if isinstance(trust, TrustStore) else None, crl_files=crl_files)
    if out_file is not None:
        atomic_write_bytes(out_file, text.encode("utf-8"), mode=0o644, overwrite=force)
        what = "metrics" if fmt == "prometheus" else "report"
        click.echo(
            f"{report.totals['total']} certificates audited; {what} written to {display_path(out_file)}",
            err=True,
        )
    else:
        echo_out(text, nl=False)
    if not report.clean:
        sys.exit(EXIT_FINDINGS)
