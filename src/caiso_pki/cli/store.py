"""``caiso-pki store``: create, change, list, check and export an on-disk trust store.

Certificate files are read once (``-`` for standard input); ``store add`` skips certificates already
in the store or repeated in its input (reported as "already present") and writes the rest at once;
end-entity certificates are refused unless ``--role anchor`` pins them.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from caiso_pki._text import display_path, path_text
from caiso_pki.cli._common import (
    DIRECTORY,
    EXIT_NEGATIVE,
    INPUT_FILE,
    OUTPUT_FILE,
    STDIN_HELP,
    UTC_TIME,
    check_outputs,
    echo_json,
    echo_lines,
    handle_errors,
    is_stdout,
    read_password,
    read_stdin,
)
from caiso_pki.errors import InvalidTimeError, TrustStoreError
from caiso_pki.truststore import TrustEntry, TrustStore, is_end_entity
from caiso_pki.truststore_io import EXPORT_FORMATS, certifi_bundle, export, load_bundle, system_bundle

if TYPE_CHECKING:
    from caiso_pki._source import NamedBytes

__all__ = ["store"]


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
    type=DIRECTORY,
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
    """Create an empty trust store.

    \b
    Example:
      caiso-pki store --store trust init
    """
    directory = _store_dir(ctx)
    TrustStore.init(directory)
    if as_json:
        echo_json({"store": path_text(directory), "entries": 0})
    else:
        echo_lines([f"created empty trust store in {display_path(directory)}"])


def _bundle(
    data: NamedBytes, *, source: str | None, password_file: NamedBytes | None, password_env: str | None
) -> TrustStore:
    """The certificates of one file; a PKCS#12 is opened with the password given (never a guessed one)."""
    from caiso_pki.errors import PasswordError
    from caiso_pki.kinds import file_kind

    password: str | None = None
    if file_kind(data) == "pkcs12":
        password = read_password(
            password_file=password_file,
            env_var=password_env,
            prompt=None,
            allow_empty=True,
            needed_for=data.name,
        )
        if password is None:
            try:
                return load_bundle(data, source_name=source or data.name)
            except PasswordError as exc:
                raise PasswordError(
                    f"{data.name}: the PKCS#12 is password-protected; give its password with "
                    "--password-file or --password-env"
                ) from exc
    return load_bundle(data, password=password, source_name=source or data.name)


@store.command("add")
@click.argument("files", nargs=-1, required=True, type=INPUT_FILE)
@click.option(
    "--label", "-l", "labels", multiple=True, help="Purpose label (caiso, rig, ecn ...); repeatable."
)
@click.option(
    "--role",
    type=click.Choice(["auto", "anchor", "intermediate"]),
    default="auto",
    show_default=True,
    help="auto: anchor for a self-issued CA, intermediate for other CAs.  End-entity certificates "
    "need an explicit anchor (a pinned leaf).",
)
@click.option(
    "--distrust-after",
    type=UTC_TIME,
    help="Certificates issued after this date are not trusted (2024-11-01).",
)
@click.option("--note", "notes", default="", help="Free-text note kept with the entry.")
@click.option("--source", default=None, help="Where the certificate came from (default: the file path).")
@click.option("--replace", is_flag=True, help="Replace an entry that is already in the store.")
@click.option(
    "--ca-only",
    is_flag=True,
    help="Take only the CA certificates of FILES and skip end-entity ones (the leaf of a client PFX).",
)
@click.option(
    "--password-file",
    type=INPUT_FILE,
    help=f"Read the PKCS#12 / PFX password from the first line of this file ({STDIN_HELP}).",
)
@click.option("--password-env", metavar="VAR", help="Read the PKCS#12 / PFX password from variable VAR.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def add_cmd(
    ctx: click.Context,
    *,
    files: tuple[NamedBytes, ...],
    labels: tuple[str, ...],
    role: str,
    distrust_after: dt.datetime | None,
    notes: str,
    source: str | None,
    replace: bool,
    ca_only: bool,
    password_file: NamedBytes | None,
    password_env: str | None,
    as_json: bool,
) -> None:
    """Add the certificates in FILES (PEM bundles, DER, PKCS#7, PKCS#12; - for stdin).

    A certificate already in the store gets the --label values it lacks ("labels added"); one that
    already has them, or is repeated in FILES, is reported as "already present".  --replace replaces a
    stored entry with new metadata ("replaced"); caiso-pki store edit changes a note or a distrust date
    in place.  Everything is written at once, or nothing is: an end-entity certificate without --role
    anchor refuses the whole command (--ca-only skips it instead).  A PKCS#12 / PFX is opened with
    --password-file or --password-env; an empty password is used only when given.

    \b
    Example:
      caiso-pki store --store trust add --label caiso demo-files/pki/caiso-root.pem
    """
    directory = _store_dir(ctx)
    bundles = [
        (data, _bundle(data, source=source, password_file=password_file, password_env=password_env))
        for data in files
    ]
    chosen_role = None if role == "auto" else role
    new_labels = frozenset(label.strip().lower() for label in labels)
    done: dict[str, list[TrustEntry]] = {
        "added": [],
        "replaced": [],
        "labels added": [],
        "already present": [],
        "skipped end-entity": [],
    }
    with TrustStore.edit(directory) as editor:
        seen: set[str] = set()
        for data, bundle in bundles:
            for entry in bundle:
                fingerprint = entry.fingerprint
                if chosen_role != "anchor" and is_end_entity(entry.certificate):
                    if ca_only:
                        done["skipped end-entity"].append(entry)
                        continue
                    raise TrustStoreError(
                        f"{data.name}: {entry.subject!r} ({fingerprint[:16]}) is an end-entity certificate, "
                        "not a CA; use --ca-only to add only the file's CA certificates, or --role anchor "
                        "to pin this one as a trust anchor"
                    )
                if fingerprint in seen:
                    done["already present"].append(editor.store.get(fingerprint))
                    continue
                seen.add(fingerprint)
                if fingerprint in editor.store and not replace:
                    current = editor.store.get(fingerprint)
                    _refuse_other_metadata(current, distrust_after=distrust_after, notes=notes)
                    if new_labels - current.labels:
                        editor.store = editor.store.update_entry(
                            fingerprint, labels=current.labels | new_labels
                        )
                        done["labels added"].append(editor.store.get(fingerprint))
                    else:
                        done["already present"].append(current)
                    continue
                state = "replaced" if fingerprint in editor.store else "added"
                done[state].append(
                    editor.add(
                        entry.certificate,
                        role=chosen_role,  # type: ignore[arg-type]
                        labels=labels,
                        source=entry.source,
                        distrust_after=distrust_after,
                        notes=notes,
                        replace=replace,
                    )
                )
    if as_json:
        echo_json(
            {
                state.replace(" ", "_"): [entry.to_dict() for entry in entries]
                for state, entries in done.items()
            }
        )
    else:
        echo_lines(
            f"{state} {entry.fingerprint[:16]}  {entry.subject}"
            if state == "skipped end-entity"
            else f"{state} {_line(entry)}"
            for state, entries in done.items()
            for entry in entries
        )


def _refuse_other_metadata(current: TrustEntry, *, distrust_after: dt.datetime | None, notes: str) -> None:
    """An entry already stored keeps its note and distrust date: say how to change them instead."""
    changes = []
    if distrust_after is not None and distrust_after != current.distrust_after:
        changes.append("--distrust-after")
    if notes and notes != current.notes:
        changes.append("--note")
    if changes:
        raise TrustStoreError(
            f"{current.subject!r} ({current.fingerprint[:16]}) is already in the store with another "
            f"{' and '.join(option.lstrip('-') for option in changes)}; change it with: caiso-pki store "
            f"edit {current.fingerprint[:16]} {' '.join(changes)} ... (or add it again with --replace)"
        )


@store.command("edit")
@click.argument("fingerprint")
@click.option("--add-label", "add_labels", multiple=True, help="Add this label; repeatable.")
@click.option("--remove-label", "remove_labels", multiple=True, help="Remove this label; repeatable.")
@click.option("--note", "notes", default=None, help="Replace the entry's note ('' clears it).")
@click.option(
    "--distrust-after",
    type=UTC_TIME,
    default=None,
    help="Set the distrust date: certificates issued after it are not trusted.",
)
@click.option("--no-distrust-after", is_flag=True, help="Remove the distrust date.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def edit_cmd(
    ctx: click.Context,
    *,
    fingerprint: str,
    add_labels: tuple[str, ...],
    remove_labels: tuple[str, ...],
    notes: str | None,
    distrust_after: dt.datetime | None,
    no_distrust_after: bool,
    as_json: bool,
) -> None:
    """Change the labels, note or distrust date of the entry FINGERPRINT (a unique prefix is enough).

    \b
    Example:
      caiso-pki store --store trust edit 3f2a9c --add-label rig --note "RIG issuing root"
    """
    from caiso_pki.truststore import EntryChanges

    if distrust_after is not None and no_distrust_after:
        raise click.UsageError("--distrust-after and --no-distrust-after exclude each other")
    if not (add_labels or remove_labels or notes is not None or distrust_after or no_distrust_after):
        raise click.UsageError(
            "nothing to change: give --add-label, --remove-label, --note, --distrust-after or "
            "--no-distrust-after"
        )
    with TrustStore.edit(_store_dir(ctx)) as editor:
        entry = editor.store.get(fingerprint)
        removed = {label.strip().lower() for label in remove_labels}
        missing = sorted(removed - entry.labels)
        if missing:
            raise TrustStoreError(
                f"{entry.fingerprint[:16]} has no label {', '.join(missing)} (its labels: "
                f"{', '.join(sorted(entry.labels)) or 'none'})"
            )
        changes: EntryChanges = {"labels": (entry.labels - removed) | {*add_labels}}
        if notes is not None:
            changes["notes"] = notes
        if distrust_after is not None or no_distrust_after:
            changes["distrust_after"] = distrust_after
        editor.store = editor.store.update_entry(entry.fingerprint, **changes)
        updated = editor.store.get(entry.fingerprint)
    if as_json:
        echo_json({"updated": updated.to_dict()})
    else:
        echo_lines([f"updated {_line(updated)}"])


@store.command("remove")
@click.argument("fingerprints", nargs=-1, required=True)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def remove_cmd(ctx: click.Context, fingerprints: tuple[str, ...], as_json: bool) -> None:
    """Remove entries by SHA-256 fingerprint (a unique prefix is enough).

    \b
    Example:
      caiso-pki store --store trust remove 3f2a9c
    """
    removed: list[TrustEntry] = []
    with TrustStore.edit(_store_dir(ctx)) as editor:
        for fingerprint in fingerprints:
            entry = editor.store.get(fingerprint)
            editor.remove(entry)
            removed.append(entry)
    if as_json:
        echo_json({"removed": [entry.to_dict() for entry in removed]})
    else:
        echo_lines(f"removed {_line(entry)}" for entry in removed)


@store.command("list")
@click.option("--label", "-l", "labels", multiple=True, help="Only entries with any of these labels.")
@click.option("--role", type=click.Choice(["anchor", "intermediate"]), default=None)
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def list_cmd(ctx: click.Context, labels: tuple[str, ...], role: str | None, as_json: bool) -> None:
    """List the entries.

    \b
    Example:
      caiso-pki store --store trust list --label caiso
    """
    current = TrustStore.open(_store_dir(ctx))
    if labels or role:
        current = current.filter(labels=labels or None, role=role)  # type: ignore[arg-type]
    if as_json:
        directory = None if current.directory is None else path_text(current.directory)
        echo_json({"store": directory, "entries": [entry.to_dict() for entry in current]})
        return
    echo_lines(_line(entry) for entry in current)
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
@click.option("--at", "at", type=UTC_TIME, default=None, help="Report as of this date/time (default now).")
@click.option("--label", "-l", "labels", multiple=True, help="Only entries with any of these labels.")
@click.option("--exit-code", is_flag=True, help="Exit with status 1 when anything is listed.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def expiring_cmd(
    ctx: click.Context,
    *,
    within_days: int,
    at: dt.datetime | None,
    labels: tuple[str, ...],
    exit_code: bool,
    as_json: bool,
) -> None:
    """Entries expiring soon, expired, or retired (distrust-after passed).

    Exit status: 0, or 1 with --exit-code when anything is listed; 2 on bad input.

    \b
    Example:
      caiso-pki store --store trust expiring --within 90
    """
    current = TrustStore.open(_store_dir(ctx))
    if labels:
        current = current.filter(labels=labels)
    when = at or dt.datetime.now(dt.UTC)
    try:
        within = dt.timedelta(days=within_days)
        _ = when + within  # the library would refuse it too, naming its keyword instead of --within
    except OverflowError as exc:
        raise InvalidTimeError(
            f"--within {within_days}: that many days after {when.date()} is past year 9999; use fewer days"
        ) from exc
    findings = current.expiring(within, at=when)
    if as_json:
        echo_json({"within_days": within_days, "findings": [finding.to_dict() for finding in findings]})
    else:
        echo_lines(
            f"{finding.reason:<9} {finding.when.date().isoformat()} ({finding.days:+d} days)  "
            f"{finding.entry.fingerprint[:16]}  {finding.entry.subject}"
            for finding in findings
        )
        if not findings:
            click.echo(f"nothing expires or is retired within {within_days} days", err=True)
    if exit_code and findings:
        ctx.exit(EXIT_NEGATIVE)


@store.command("export")
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="pem", show_default=True)
@click.argument("out", type=OUTPUT_FILE)
@click.option("--label", "-l", "labels", multiple=True, help="Only entries with any of these labels.")
@click.option("--include-retired", is_flag=True, help="Also export entries whose distrust-after has passed.")
@click.option(
    "--password-file",
    type=INPUT_FILE,
    help=f"Read the PKCS#12 password from the first line of this file ({STDIN_HELP}).",
)
@click.option("--password-env", metavar="VAR", help="Environment variable holding the PKCS#12 password.")
@click.option(
    "--force", is_flag=True, help="Replace an existing OUT file (or an earlier export in the OUT directory)."
)
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
    password_file: NamedBytes | None,
    password_env: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Export to OUT: a file (pem, pkcs7, pkcs12; - for stdout) or a directory (der, openssl-dir).

    An existing OUT file, or an OUT directory that holds an earlier export, is kept unless --force.

    \b
    Example:
      caiso-pki store --store trust export --format pem trust.pem
    """
    from caiso_pki.truststore_io import to_pem, to_pkcs7, to_pkcs12

    to_stdout = is_stdout(out)
    directory_format = fmt in ("der", "openssl-dir")
    if to_stdout and directory_format:
        raise click.UsageError(f"--format {fmt} writes a directory; give OUT as a directory, not -")
    if not directory_format:
        check_outputs({"OUT": out}, force=force, json_output=as_json)
    current = TrustStore.open(_store_dir(ctx))
    if labels:
        current = current.filter(labels=labels)
    password = None
    if fmt == "pkcs12":
        password = read_password(
            password_file=password_file,
            env_var=password_env,
            prompt=None,
            file_option="--password-file",
            allow_empty=True,
        )
        if password is None:
            raise click.UsageError("--format pkcs12 needs --password-file or --password-env")
    if to_stdout:
        renderers = {
            "pem": lambda: to_pem(current, include_retired=include_retired),
            "pkcs7": lambda: to_pkcs7(current, include_retired=include_retired),
            "pkcs12": lambda: to_pkcs12(current, password=password, include_retired=include_retired),
        }
        data = renderers[fmt]()
        click.echo(data, nl=False)
        click.echo(f"wrote the {fmt} export to standard output", err=True)
        return
    written = export(
        current,
        fmt,  # type: ignore[arg-type]
        out,
        password=password,
        include_retired=include_retired,
        overwrite=force,
    )
    if as_json:
        echo_json({"format": fmt, "written": [path_text(path) for path in written]})
    else:
        click.echo(f"wrote {len(written)} file(s) ({fmt}) to {display_path(out)}")


def _other_store(spec: str) -> TrustStore:
    from caiso_pki._source import read_file

    if spec == "@system":
        return system_bundle()
    if spec == "@certifi":
        return certifi_bundle()
    if spec == "-":
        return load_bundle(read_stdin(what="certificate bundle")).dedupe()
    path = Path(spec)
    if path.is_dir():
        return TrustStore.open(path)
    if path.exists():  # a file, a FIFO, /dev/stdin: read once
        return load_bundle(read_file(path, what="certificate bundle")).dedupe()
    raise TrustStoreError(f"{display_path(spec)}: not a store directory, a bundle file, @system or @certifi")


@store.command("diff")
@click.argument("other")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@click.pass_context
@handle_errors
def diff_cmd(ctx: click.Context, other: str, as_json: bool) -> None:
    """Compare the store with OTHER: a store directory, a bundle file (- for stdin), @system or @certifi.

    '+' entries are only in OTHER, '-' only in this store, '~' in both with different metadata.

    \b
    Example:
      caiso-pki store --store trust diff demo-files/pki/caiso-chain.pem
    """
    current = TrustStore.open(_store_dir(ctx))
    result = current.diff(_other_store(other))
    if as_json:
        echo_json(result.to_dict())
        return
    lines = [f"+ {entry.fingerprint[:16]}  {entry.subject}" for entry in result.added]
    lines += [f"- {entry.fingerprint[:16]}  {entry.subject}" for entry in result.removed]
    changed: Any = result.to_dict()["changed"]  # a list of dicts (StoreDiff.to_dict)
    changes: dict[str, Any] = {c["fingerprint_sha256"]: c for c in changed}
    for before, _after in result.changed:
        fields = {k: v for k, v in changes[before.fingerprint].items() if isinstance(v, dict)}
        detail = "; ".join(f"{k}: {v['before']!r} -> {v['after']!r}" for k, v in fields.items())
        lines.append(f"~ {before.fingerprint[:16]}  {before.subject}  {detail}")
    echo_lines(lines)
    if not result:
        click.echo("no differences", err=True)
