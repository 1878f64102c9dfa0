"""``caiso-pki lint`` and ``caiso-pki profile``: CPS lint of certificates, chains and CSRs; profiles.

Exit status of ``lint``: 0 when no finding reaches ``--fail-on`` (default ``warning``, so notices
and info pass), 1 when at least one does, 2 on bad input (unreadable file, malformed certificate or
profile, a CSR without ``--kind``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from caiso_pki._source import NamedBytes
from caiso_pki.cli._common import (
    EXIT_NEGATIVE,
    INPUT_FILE,
    PROFILE_REF,
    STDIN_HELP,
    echo_json,
    echo_lines,
    handle_errors,
)
from caiso_pki.errors import MalformedInputError
from caiso_pki.lint import Finding, Severity, lint_certificate, lint_chain, lint_csr, worst_severity
from caiso_pki.oids import oid_name
from caiso_pki.profiles.cps import BUILTIN_PROFILES, KINDS, SEVERITIES, CpsProfile, load_cps_profile

__all__ = ["lint", "profile"]

EXIT_FINDINGS = EXIT_NEGATIVE


def _lint_file(data: NamedBytes, profile: CpsProfile, kind: str | None) -> tuple[Finding, ...]:
    """Lint one file's content, read once (so a pipe works): a certificate, a chain or a CSR."""
    from caiso_pki.certificate import load_certificates
    from caiso_pki.csr import load_csr
    from caiso_pki.kinds import file_kind

    what = file_kind(data)
    if what in ("certificate", "pkcs7"):
        certs = load_certificates(data)
        if len(certs) == 1:
            return lint_certificate(certs[0], profile, kind=kind)
        return lint_chain(certs[::-1], profile, kind=kind)  # a file runs leaf first, a path anchor first
    if what == "csr":
        if kind is None:
            raise MalformedInputError(f"{data.name}: a CSR does not say what it is for; pass --kind")
        return lint_csr(load_csr(data), profile, kind=kind)
    raise MalformedInputError(f"{data.name}: holds {_a(what)}, not a certificate, chain or CSR")


def _a(what: str) -> str:
    return ("an " if what[:1] in "aeiou" else "a ") + what


def _text(results: dict[str, tuple[Finding, ...]], profile: CpsProfile) -> None:
    """The findings as text lines, every line escaped (names and messages come from the input)."""
    lines: list[str] = []
    for name, findings in results.items():
        if not findings:
            lines.append(f"{name}: clean against {profile.name}")
            continue
        lines.append(f"{name}: {len(findings)} finding(s) against {profile.name}")
        for finding in findings:
            # a file's chain runs leaf first and the path linted anchor first: name the certificate
            where = f"[{finding.certificate_subject}] " if finding.certificate_subject else ""
            lines.append(f"  {where}{finding.severity.value:<7} {finding.code}: {finding.message}")
            if finding.citation is not None:
                url = f" <{finding.citation.url}>" if finding.citation.url else ""
                lines.append(f"          see {finding.citation}{url}")
    echo_lines(lines)


@click.command("lint")
@click.argument("files", nargs=-1, required=True, type=INPUT_FILE)
@click.option(
    "--profile",
    "-p",
    "profile_name",
    type=PROFILE_REF,
    default="caiso-basic-assurance",
    show_default=True,
    help=f"Built-in profile ({', '.join(BUILTIN_PROFILES)}) or a profile TOML file ({STDIN_HELP}).",
)
@click.option(
    "--kind", "-k", type=click.Choice(KINDS), help="Certificate kind of the leaf (detected if omitted)."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True
)
@click.option(
    "--fail-on",
    type=click.Choice([*SEVERITIES, "never"]),
    default="warning",
    show_default=True,
    help="Exit 1 when a finding is at least this severe.",
)
@handle_errors
def lint(
    files: tuple[NamedBytes, ...], profile_name: str | NamedBytes, kind: str | None, fmt: str, fail_on: str
) -> None:
    """Lint certificates, chains (several certificates in a file, leaf first) and CSRs against a CPS profile.

    FILES are PEM, DER or PKCS#7 files (- for stdin).  Exit status: 0 when no finding reaches --fail-on,
    1 when one does, 2 on bad input.

    \b
    Example:
      caiso-pki lint --profile caiso-demo demo-files/rig.pem
    """
    profile_obj = load_cps_profile(profile_name)
    results = {data.name: _lint_file(data, profile_obj, kind) for data in files}
    if fmt == "json":
        echo_json(
            {
                "profile": profile_obj.name,
                "files": [
                    {"file": name, "findings": [finding.to_dict() for finding in findings]}
                    for name, findings in results.items()
                ],
            }
        )
    elif fmt == "sarif":
        from caiso_pki import __version__
        from caiso_pki.sarif import sarif_log

        uris = {Path(name).as_posix(): findings for name, findings in results.items()}
        click.echo(json.dumps(sarif_log(uris, tool_version=__version__), indent=2))
    else:
        _text(results, profile_obj)
    if fail_on == "never":
        return
    threshold = Severity(fail_on).rank
    worst = worst_severity(finding for findings in results.values() for finding in findings)
    if worst is not None and worst.rank >= threshold:
        sys.exit(EXIT_FINDINGS)


@click.group("profile")
def profile() -> None:
    """Show and check CPS profiles."""


def _describe(profile_obj: CpsProfile) -> None:
    """The merged rules as text; every line escaped (a profile file's strings are someone's input)."""
    lines = [f"{profile_obj.name}: {profile_obj.title}", f"  built from: {' -> '.join(profile_obj.lineage)}"]
    if profile_obj.description:
        lines.append(f"  {profile_obj.description}")
    for kind, kind_profile in profile_obj.kinds.items():
        lines += ["", f"[{kind}]"]
        for rule in kind_profile.rules.values():
            params = ", ".join(f"{key}={_show(value)}" for key, value in rule.params.items())
            lines.append(f"  {rule.name} ({rule.severity}): {params}")
            lines.append(f"      cite: {rule.citation}")
    if profile_obj.chain_rules:
        lines += ["", "[chain]"]
        lines.extend(
            f"  {rule.name} ({rule.severity}): cite {rule.citation}"
            for rule in profile_obj.chain_rules.values()
        )
    if profile_obj.unconfigured:
        lines += ["", f"user-supplied (not configured): {', '.join(profile_obj.unconfigured)}"]
    echo_lines(lines)


def _show(value: Any) -> str:
    if isinstance(value, tuple):
        return "[" + ", ".join(oid_name(str(item)) for item in value) + "]"
    if hasattr(value, "date"):
        return str(value.date().isoformat())
    return str(value)


@profile.command("show")
@click.argument("name_or_file", type=PROFILE_REF)
@click.option("--json", "as_json", is_flag=True, help="Print the merged profile as JSON.")
@handle_errors
def show(name_or_file: str | NamedBytes, as_json: bool) -> None:
    """Print the effective (merged) rules of a built-in profile or a profile file (- for stdin).

    \b
    Example:
      caiso-pki profile show caiso-demo
    """
    loaded = load_cps_profile(name_or_file)
    if as_json:
        echo_json(loaded.to_dict())
    else:
        _describe(loaded)


@profile.command("validate")
@click.argument("file", type=INPUT_FILE)
@handle_errors
def validate(file: NamedBytes) -> None:
    """Load a profile file (- for stdin) and report whether it is well formed (exit 0) or not (exit 2).

    Every value is checked against its bounds too, so a profile that validates can be used.

    \b
    Example:
      caiso-pki profile validate my-profile.toml
    """
    loaded = load_cps_profile(file)
    unconfigured = loaded.unconfigured
    note = f"; {len(unconfigured)} value(s) still user-supplied" if unconfigured else ""
    echo_lines([f"{file.name}: ok ({loaded.name}, built from {' -> '.join(loaded.lineage)}{note})"])


@profile.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print JSON: each profile's name, title and kinds.")
@handle_errors
def list_profiles(as_json: bool) -> None:
    """List the built-in CPS profiles.

    \b
    Example:
      caiso-pki profile list --json
    """
    if not as_json:
        echo_lines(BUILTIN_PROFILES)
        return
    profiles = [load_cps_profile(name) for name in BUILTIN_PROFILES]
    echo_json(
        {
            "profiles": [
                {"name": loaded.name, "title": loaded.title, "kinds": sorted(loaded.kinds)}
                for loaded in profiles
            ]
        }
    )
