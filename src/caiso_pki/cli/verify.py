"""``caiso-pki verify``: validate a certificate chain and draw it, anchor to leaf, with each status.

Exit status: 0 when the chain is valid, 1 when it is not, 2 on bad input (unreadable files, bad options).
"""

from __future__ import annotations

import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from caiso_pki._text import printable
from caiso_pki._time import iso
from caiso_pki.cli._common import (
    DIRECTORY,
    EXIT_NEGATIVE,
    INPUT_FILE,
    POLICY_OID,
    SERVER_NAME,
    STDIN_HELP,
    USAGES,
    UTC_TIME,
    echo_json,
    echo_rich,
    handle_errors,
)

if TYPE_CHECKING:
    from caiso_pki._source import NamedBytes
    from caiso_pki.validation import ValidationResult
    from caiso_pki.validation.validator import ValidatorOptions

__all__ = ["verify"]

EXIT_INVALID = EXIT_NEGATIVE


def _label(result: ValidationResult, index: int) -> str:
    cert = result.path[index]
    name = cert.subject.common_name or cert.subject.rfc4514
    return f"{name}  (serial {cert.serial_hex[:16]}, expires {cert.not_after.date().isoformat()})"


def _status(result: ValidationResult, index: int, anchored: bool) -> str:
    codes = [f.code for f in result.failures if f.index == index]
    parts = [", ".join(codes) if codes else "ok"]
    if index == 0:
        parts.append("trust anchor" if anchored else "NOT a trust anchor")
    for status in result.revocation:
        if status.index == index and status.status != "not-checked":
            detail = f"revocation {status.status}"
            if status.source:
                detail += f" via {status.source.upper()}"
            parts.append(detail)
    return "; ".join(parts)


def render_text(result: ValidationResult) -> str:
    """The chain as an indented tree (anchor first), then failures, warnings and policies.

    Each line is escaped with :func:`~caiso_pki._text.printable`, so a name in a certificate cannot add
    a line or send terminal codes.
    """
    anchored = result.anchored
    lines = [f"{'VALID' if result.valid else 'NOT VALID'} at {iso(result.at)}"]
    for index in range(len(result.path)):
        mark = "[ok]" if not any(f.index == index for f in result.failures) else "[!!]"
        prefix = "" if index == 0 else "    " * (index - 1) + "└── "
        lines.append(f"{prefix}{mark} {_label(result, index)}")
        lines.append(f"{'    ' * index}     {_status(result, index, anchored)}")
    if result.failures:
        lines.append("failures:")
        for failure in result.failures:
            where = f" [{failure.index}]" if failure.index is not None else ""
            lines.append(f"  - {failure.code}{where}: {failure.message}")
    if result.warnings:
        lines.append("warnings:")
        lines.extend(f"  - {warning}" for warning in result.warnings)
    if result.valid_policies:
        lines.append(f"valid policies: {', '.join(sorted(result.valid_policies))}")
    return "\n".join(printable(line) for line in lines)


def _status_line() -> Callable[[str], None] | None:
    """On a terminal, one stderr line that says what is being fetched (``--fetch`` can take a while)."""
    if not sys.stderr.isatty():
        return None

    def show(url: str) -> None:
        click.echo(f"\r\x1b[Kfetching {printable(url)[:150]} ...", nl=False, err=True)

    return show


@click.command()
@click.argument("leaf", type=INPUT_FILE)
@click.option(
    "--chain",
    "chain",
    multiple=True,
    type=INPUT_FILE,
    help=f"Intermediate certificates (PEM/DER/PKCS#7); repeatable, any order ({STDIN_HELP}).",
)
@click.option(
    "--store",
    "store_dir",
    type=DIRECTORY,
    help="Trust store directory (honours roles and distrust dates).",
)
@click.option(
    "--trust",
    "trust_file",
    type=INPUT_FILE,
    help=f"File of trusted root certificates ({STDIN_HELP}).",
)
@click.option("--usage", type=click.Choice(sorted(USAGES)), help="Require TLS client or server usage.")
@click.option("--server-name", type=SERVER_NAME, help="DNS name or IP address the leaf must match.")
@click.option(
    "--policy",
    "policies",
    multiple=True,
    type=POLICY_OID,
    help="Acceptable certificate policy OID (or registry name); repeatable.",
)
@click.option("--explicit-policy", is_flag=True, help="Require a valid policy (initial-explicit-policy).")
@click.option("--at", "at", type=UTC_TIME, help="Validation time, ISO 8601 (default: now).")
@click.option(
    "--revocation",
    type=click.Choice(["off", "soft-fail", "hard-fail", "require"]),
    default="soft-fail",
    show_default=True,
    help="Revocation checking mode.",
)
@click.option(
    "--crl",
    "crl_files",
    multiple=True,
    type=INPUT_FILE,
    help=f"CRL file (PEM/DER); repeatable ({STDIN_HELP}).",
)
@click.option(
    "--ocsp",
    "ocsp_files",
    multiple=True,
    type=INPUT_FILE,
    help=f"DER OCSP response file; repeatable ({STDIN_HELP}).",
)
@click.option("--fetch", is_flag=True, help="Download CRLs and OCSP answers named in the certificates.")
@click.option(
    "--timeout",
    type=float,
    default=10.0,
    show_default=True,
    help="Seconds for all revocation fetches of the validation together (they run concurrently).",
)
@click.option(
    "--profile",
    type=click.Choice(["rfc5280", "webpki"]),
    default="rfc5280",
    show_default=True,
    help="rfc5280: strict RFC 5280; webpki: plus the CA/Browser Forum rules for public TLS servers.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@handle_errors
def verify(  # noqa: PLR0917 -- click passes every option positionally
    leaf: NamedBytes,
    chain: tuple[NamedBytes, ...],
    store_dir: Path | None,
    trust_file: NamedBytes | None,
    usage: str | None,
    server_name: str | None,
    policies: tuple[str, ...],
    explicit_policy: bool,
    at: dt.datetime | None,
    revocation: str,
    crl_files: tuple[NamedBytes, ...],
    ocsp_files: tuple[NamedBytes, ...],
    fetch: bool,
    timeout: float,
    profile: str,
    as_json: bool,
) -> None:
    """Validate LEAF up to a trusted root and show the chain with each certificate's status.

    LEAF is a certificate file (PEM, DER or PKCS#7; - for stdin).  Exit status: 0 the chain is valid,
    1 it is not, 2 bad input.

    \b
    Example:
      caiso-pki verify --trust demo-files/pki/caiso-root.pem --chain demo-files/pki/caiso-chain.pem \\
        --usage client demo-files/rig.pem
    """
    from caiso_pki.validation import validate_chain

    if (store_dir is None) == (trust_file is None):
        raise click.UsageError("give exactly one of --store DIR or --trust FILE")
    trust: Any
    if store_dir is not None:
        from caiso_pki.truststore import TrustStore

        trust = TrustStore.open(store_dir)
    else:
        trust = trust_file
    policy = None
    if policies or explicit_policy:
        from caiso_pki.policy import PolicyRequirement

        policy = PolicyRequirement(acceptable=policies or ("any",), require_explicit=explicit_policy)
    options: ValidatorOptions = {
        "policy": policy,
        "revocation": revocation,  # type: ignore[typeddict-item]
        "crls": list(crl_files),
        "ocsp_responses": list(ocsp_files),
        "fetch": fetch,
        "timeout": timeout,
        "key_usage": USAGES[usage]["key_usage"] if usage else None,
        "extended_key_usage": USAGES[usage]["extended_key_usage"] if usage else None,
        "profile": profile,  # type: ignore[typeddict-item]
        "on_fetch": _status_line() if fetch else None,
    }
    try:
        # one validation: validate_chain's one-shot Validator (no fast path to import or to teach)
        result = validate_chain(leaf, list(chain), trust=trust, at=at, server_name=server_name, **options)
    finally:
        if fetch and sys.stderr.isatty():
            click.echo("\r\x1b[K", nl=False, err=True)  # clear the status line
    if as_json:
        echo_json(result.to_dict())
    else:
        echo_rich(result, render_text(result))
    sys.exit(0 if result.valid else EXIT_INVALID)
