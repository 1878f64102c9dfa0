"""``caiso-pki store``: create, change, list, check and export an on-disk trust store."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import click

from caiso_pki.cli._common import echo_json, handle_errors, read_passphrase
from caiso_pki.errors import InvalidTimeError, TrustStoreError
from caiso_pki.truststore import TrustEntry, TrustStore
from caiso_pki.truststore_io import EXPORT_FORMATS, certifi_bundle, export, load_bundle, system_bundle

__all__ = ["store"]


def _parse_when(value: str | None, *, option: str) -> dt.datetime | None:
    """``2024-11-01`` (midnight UTC) or a full ISO 8601 time; naive times are taken as UTC."""
    if value is None:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise InvalidTimeError(f"{option} {value!r}: use a date (2024-11-01) or an ISO 8601 time") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    return parsed.astimezone(dt.UTC)


def _line(entry: TrustEntry) -> str:
    labels = ",".join(sorted(entry.labels)) or "-"
    distrust = f" distrust-after={entry.distrust_after.date().isoformat()}" if entry.distrust_after else ""
    return (
        f"{entry.fingerprint[:16]}  {entry.role:<12} {labels:<16} "
        f"expires {entry.certificate.not_after.date().isoformat()}{distrust}  {entry.subject}"
    )


def _store_dir(ctx: click.Context) -> Path:
    directory: Path | None = ctx.obj
    if directory is None:
        raise click.UsageError("give the store directory with --store DIR or CAISO_PKI_STORE")
    return directory


@click.group()
@click.option(
    "--store",
    "-s",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="CAISO_PKI_STORE",
    help="Trust store directory (or $CAISO_PKI_STORE).",
)
@click.pass_context
def store(ctx: click.Context, store_dir: Path | None) -> None:
    """Manage a trust store: roots and intermediates with labels and distrust dates."""
    ctx.obj = store_dir


@store.command("init")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def init_cmd(ctx: click.Context, as_json: bool) -> None:
    """Create an empty trust store."""
    directory = _store_dir(ctx)
    TrustStore.init(directory)
    if as_json:
        echo_json({"store": str(directory), "entries": 0})
    else:
        click.echo(f"created empty trust store in {directory}")


@store.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--label", "-l", "labels", multiple=True, help="Purpose label (caiso, rig, ecn ...); repeatable."
)
@click.option(
    "--role", type=click.Choice(["auto", "anchor", "intermediate"]), default="auto", show_default=True
)
@click.option("--distrust-after", help="Certificates issued after this date are not trusted (2024-11-01).")
@click.option("--note", "notes", default="", help="Free-text note kept with the entry.")
@click.option("--source", default=None, help="Where the certificate came from (default: the file path).")
@click.option("--replace", is_flag=True, help="Replace an entry that is already in the store.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def add_cmd(
    ctx: click.Context,
    *,
    files: tuple[Path, ...],
    labels: tuple[str, ...],
    role: str,
    distrust_after: str | None,
    notes: str,
    source: str | None,
    replace: bool,
    as_json: bool,
) -> None:
    """Add the certificates in FILES (PEM bundles, DER, PKCS#7)."""
    directory = _store_dir(ctx)
    distrust = _parse_when(distrust_after, option="--distrust-after")
    added: list[TrustEntry] = []
    with TrustStore.edit(directory) as editor:
        for path in files:
            for entry in load_bundle(path, source_name=source or str(path)).dedupe():
                added.append(
                    editor.add(
                        entry.certificate,
                        role=None if role == "auto" else role,
                        labels=labels,
                        source=entry.source,
                        distrust_after=distrust,
                        notes=notes,
                        replace=replace,
                    )
                )
    if as_json:
        echo_json({"added": [entry.to_dict() for entry in added]})
    else:
        for entry in added:
            click.echo(f"added {_line(entry)}")


@store.command("remove")
@click.argument("fingerprints", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def remove_cmd(ctx: click.Context, fingerprints: tuple[str, ...], as_json: bool) -> None:
    """Remove entries by SHA-256 fingerprint (a unique prefix is enough)."""
    removed: list[TrustEntry] = []
    with TrustStore.edit(_store_dir(ctx)) as editor:
        for fingerprint in fingerprints:
            entry = editor.store.get(fingerprint)
            editor.remove(entry)
            removed.append(entry)
    if as_json:
        echo_json({"removed": [entry.to_dict() for entry in removed]})
    else:
        for entry in removed:
            click.echo(f"removed {_line(entry)}")


@store.command("list")
@click.option("--label", "-l", "labels", multiple=True, help="Only entries with any of these labels.")
@click.option("--role", type=click.Choice(["anchor", "intermediate"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def list_cmd(ctx: click.Context, labels: tuple[str, ...], role: str | None, as_json: bool) -> None:
    """List the entries."""
    current = TrustStore.open(_store_dir(ctx))
    if labels or role:
        current = current.filter(labels=labels or None, role=role)  # type: ignore[arg-type]
    if as_json:
        echo_json({"store": str(current.directory), "entries": [entry.to_dict() for entry in current]})
        return
    for entry in current:
        click.echo(_line(entry))
    click.echo(f"{len(current)} entries", err=True)


@store.command("expiring")
@click.option(
    "--within",
    "within_days",
    type=click.IntRange(min=0),
    default=90,
    show_default=True,
    help="Days ahead to look.",
)
@click.option("--at", "at_text", default=None, help="Report as of this date/time (default now).")
@click.option("--label", "-l", "labels", multiple=True, help="Only entries with any of these labels.")
@click.option("--exit-code", is_flag=True, help="Exit with status 1 when anything is listed.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def expiring_cmd(
    ctx: click.Context,
    *,
    within_days: int,
    at_text: str | None,
    labels: tuple[str, ...],
    exit_code: bool,
    as_json: bool,
) -> None:
    """Entries expiring soon, expired, or retired (distrust-after passed)."""
    current = TrustStore.open(_store_dir(ctx))
    if labels:
        current = current.filter(labels=labels)
    at = _parse_when(at_text, option="--at")
    findings = current.expiring(dt.timedelta(days=within_days), at=at)
    if as_json:
        echo_json({"within_days": within_days, "findings": [finding.to_dict() for finding in findings]})
    else:
        for finding in findings:
            click.echo(
                f"{finding.reason:<9} {finding.when.date().isoformat()} ({finding.days:+d} days)  "
                f"{finding.entry.fingerprint[:16]}  {finding.entry.subject}"
            )
        if not findings:
            click.echo(f"nothing expires or is retired within {within_days} days", err=True)
    if exit_code and findings:
        ctx.exit(1)


@store.command("export")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="pem", show_default=True)
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--label", "-l", "labels", multiple=True, help="Only entries with any of these labels.")
@click.option("--include-retired", is_flag=True, help="Also export entries whose distrust-after has passed.")
@click.option(
    "--password-file", type=click.Path(dir_okay=False, path_type=Path), help="PKCS#12 password file."
)
@click.option("--password-env", help="Environment variable holding the PKCS#12 password.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def export_cmd(
    ctx: click.Context,
    *,
    fmt: str,
    out: Path,
    labels: tuple[str, ...],
    include_retired: bool,
    password_file: Path | None,
    password_env: str | None,
    as_json: bool,
) -> None:
    """Export to OUT: a file (pem, pkcs7, pkcs12) or a directory (der, openssl-dir)."""
    current = TrustStore.open(_store_dir(ctx))
    if labels:
        current = current.filter(labels=labels)
    password = None
    if fmt == "pkcs12":
        password = read_passphrase(passphrase_file=password_file, env_var=password_env, prompt=None)
    written = export(current, fmt, out, password=password, include_retired=include_retired)  # type: ignore[arg-type]
    if as_json:
        echo_json({"format": fmt, "written": [str(path) for path in written]})
    else:
        click.echo(f"wrote {len(written)} file(s) ({fmt}) to {out}")


def _other_store(spec: str) -> TrustStore:
    if spec == "@system":
        return system_bundle()
    if spec == "@certifi":
        return certifi_bundle()
    path = Path(spec)
    if path.is_dir():
        return TrustStore.open(path)
    if path.is_file():
        return load_bundle(path).dedupe()
    raise TrustStoreError(f"{spec}: not a store directory, a bundle file, @system or @certifi")


@store.command("diff")
@click.argument("other")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def diff_cmd(ctx: click.Context, other: str, as_json: bool) -> None:
    """Compare the store with OTHER: a store directory, a bundle file, @system or @certifi.

    '+' entries are only in OTHER, '-' only in this store, '~' in both with different metadata.
    """
    current = TrustStore.open(_store_dir(ctx))
    result = current.diff(_other_store(other))
    if as_json:
        echo_json(result.to_dict())
        return
    for entry in result.added:
        click.echo(f"+ {entry.fingerprint[:16]}  {entry.subject}")
    for entry in result.removed:
        click.echo(f"- {entry.fingerprint[:16]}  {entry.subject}")
    changes: dict[str, Any] = {c["fingerprint_sha256"]: c for c in result.to_dict()["changed"]}
    for before, _after in result.changed:
        fields = {k: v for k, v in changes[before.fingerprint].items() if isinstance(v, dict)}
        detail = "; ".join(f"{k}: {v['before']!r} -> {v['after']!r}" for k, v in fields.items())
        click.echo(f"~ {before.fingerprint[:16]}  {before.subject}  {detail}")
    if not result:
        click.echo("no differences", err=True)
