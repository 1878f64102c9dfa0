"""``caiso-pki csr``: make a key and CSR to a request profile, check a CSR, renew a certificate.

Every output path is checked before anything is written (so a refused ``--csr-out`` never leaves an
orphan key behind), ``-`` writes one output to standard output, and files are read once (``-`` for
standard input).  Passwords come from the first line of a file, an environment variable or a hidden
prompt on a terminal, never from a plain argument.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from caiso_pki.cli._common import (
    EXIT_NEGATIVE,
    INPUT_FILE,
    KEY_SPEC,
    OUTPUT_FILE,
    PROFILE_REF,
    STDIN_HELP,
    check_outputs,
    echo_json,
    echo_lines,
    handle_errors,
    is_stdout,
    read_password,
)

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

    from caiso_pki._source import NamedBytes
    from caiso_pki.profiles.request import RequestFinding

__all__ = ["csr"]

F = TypeVar("F", bound=Callable[..., Any])
EXIT_VIOLATIONS = EXIT_NEGATIVE


def _password_options(func: F) -> F:
    for option in reversed(
        (
            click.option(
                "--password-file",
                type=INPUT_FILE,
                help=f"Read the key password from the first line of this file ({STDIN_HELP}).",
            ),
            click.option("--password-env", metavar="VAR", help="Read the key password from this variable."),
            click.option("--prompt-password", is_flag=True, help="Ask for the key password on the terminal."),
            click.option(
                "--no-password",
                is_flag=True,
                help="Write the new private key unencrypted (only when you mean it).",
            ),
        )
    ):
        func = option(func)
    return func


def _password(
    *,
    password_file: NamedBytes | None,
    password_env: str | None,
    prompt: bool,
    confirm: bool,
    needed_for: str = "the new private key",
) -> str | None:
    return read_password(
        password_file=password_file,
        env_var=password_env,
        prompt="Key password" if prompt else None,
        confirm=confirm,
        file_option="--password-file",
        env_option="--password-env",
        needed_for=needed_for,
    )


def _new_key_password(
    *, password_file: NamedBytes | None, password_env: str | None, prompt: bool, no_password: bool
) -> str | None:
    given = password_file is not None or bool(password_env) or prompt
    if no_password and given:
        raise click.UsageError("--no-password cannot be combined with a password source")
    if no_password:
        return None
    if not given:
        raise click.UsageError(
            "the new private key needs a password: use --prompt-password, --password-file or "
            "--password-env (or --no-password to write it unencrypted)"
        )
    value = _password(password_file=password_file, password_env=password_env, prompt=prompt, confirm=True)
    if not value:
        raise click.UsageError("the password is empty")
    return value


def _print_findings(findings: tuple[RequestFinding, ...]) -> None:
    echo_lines(f"  {finding}" for finding in findings)


def _check_outputs(key_out: Path | None, csr_out: Path, *, force: bool, as_json: bool) -> bool:
    """Refuse unusable outputs before any key is generated; return whether one goes to stdout."""
    if key_out is not None and not is_stdout(key_out) and key_out.resolve() == csr_out.resolve():
        raise click.UsageError("--key-out and --csr-out name the same file")
    return check_outputs({"--key-out": key_out, "--csr-out": csr_out}, force=force, json_output=as_json)


def _write_outputs(
    key: PrivateKeyTypes | None,
    key_out: Path | None,
    secret: str | None,
    csr_pem: str,
    csr_out: Path,
    *,
    force: bool,
) -> None:
    """Write the key (0600) and then the CSR; if the CSR cannot be written, take back a new key file.

    The paths were checked already; this covers what only writing finds (a full disk, a race).
    """
    from caiso_pki._atomic import atomic_write_bytes
    from caiso_pki.errors import CaisoPkiError
    from caiso_pki.keys import private_key_pem, save_private_key

    created: Path | None = None
    if key is not None and key_out is not None:
        if is_stdout(key_out):
            click.echo(private_key_pem(key, password=secret), nl=False)
        else:
            existed = key_out.exists()
            save_private_key(key, key_out, password=secret, overwrite=force)
            created = None if existed else key_out
    try:
        if is_stdout(csr_out):
            click.echo(csr_pem, nl=False)
        else:
            atomic_write_bytes(
                csr_out,
                csr_pem.encode("ascii"),
                mode=0o644,
                overwrite=force,
                error=CaisoPkiError,
                what="the CSR",
            )
    except BaseException:
        if created is not None:
            created.unlink(missing_ok=True)
        raise


def _summary(lines: list[str], *, to_stderr: bool) -> None:
    """The what-was-written lines: on standard error when an output went to standard output."""
    echo_lines(lines, err=to_stderr)


def _shown(path: Path) -> str:
    from caiso_pki._text import display_path

    return "<stdout>" if is_stdout(path) else display_path(path)


@click.group()
def csr() -> None:
    """Make keys and CSRs to CAISO request profiles, check CSRs, renew certificates."""


@csr.command("new")
@click.option(
    "--profile",
    "profile_name",
    type=PROFILE_REF,
    help=f"Request profile: rig, dpg, iccp, api-client, ui-client or a TOML file ({STDIN_HELP}).",
)
@click.option(
    "--subject", required=True, help='RFC 4514 subject, e.g. "CN=rig-01.example.com,O=Example,C=US".'
)
@click.option("--dns", "dns_names", multiple=True, help="DNS subject alternative name (repeatable).")
@click.option("--ip", "ip_addresses", multiple=True, help="IP address subject alternative name (repeatable).")
@click.option("--uri", "uris", multiple=True, help="URI subject alternative name (repeatable).")
@click.option("--email", "emails", multiple=True, help="E-mail subject alternative name (repeatable).")
@click.option(
    "--key-spec", type=KEY_SPEC, help="Key to generate: rsa-2048, rsa-3072, rsa-4096, ec-p256, ec-p384."
)
@click.option("--key", "key_in", type=INPUT_FILE, help=f"Use this existing key ({STDIN_HELP}).")
@click.option("--key-out", type=OUTPUT_FILE, help="Write the new key here (0600; - for stdout).")
@click.option("--csr-out", required=True, type=OUTPUT_FILE, help="Write the CSR here (- for stdout).")
@_password_options
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@click.option("--json", "as_json", is_flag=True, help="Print the CSR description as JSON.")
@handle_errors
def new_cmd(  # noqa: PLR0917 -- click passes options as arguments
    profile_name: str | NamedBytes | None,
    subject: str,
    dns_names: tuple[str, ...],
    ip_addresses: tuple[str, ...],
    uris: tuple[str, ...],
    emails: tuple[str, ...],
    key_spec: str | None,
    key_in: NamedBytes | None,
    key_out: Path | None,
    csr_out: Path,
    password_file: NamedBytes | None,
    password_env: str | None,
    prompt_password: bool,
    no_password: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Generate a key (or use --key) and write a CSR that conforms to --profile.

    Both output paths are checked before the key is generated: nothing is written when either is
    refused.  Only one output may be - (stdout); the summary then goes to stderr.

    \b
    Example:
      caiso-pki csr new --profile rig --subject "CN=rig-0002.example.com,O=Example,C=US" \\
        --dns rig-0002.example.com --key-out rig-2.key --no-password --csr-out rig-2.csr
    """
    from caiso_pki.csr import build_csr
    from caiso_pki.errors import ProfileViolationError
    from caiso_pki.keys import generate_private_key, load_private_key
    from caiso_pki.profiles.request import load_request_profile

    if key_in is not None and (key_out is not None or key_spec is not None):
        raise click.UsageError("--key uses an existing key; do not combine it with --key-out or --key-spec")
    if key_in is None and key_out is None:
        raise click.UsageError("give --key-out for the new private key (or --key to use an existing one)")
    to_stdout = _check_outputs(key_out, csr_out, force=force, as_json=as_json)
    profile = load_request_profile(profile_name) if profile_name else None
    if key_in is not None:
        secret = _password(
            password_file=password_file,
            password_env=password_env,
            prompt=prompt_password,
            confirm=False,
            needed_for=key_in.name,
        )
        key = load_private_key(key_in, password=secret)
        new_secret = None
    else:
        new_secret = _new_key_password(
            password_file=password_file,
            password_env=password_env,
            prompt=prompt_password,
            no_password=no_password,
        )
        spec = key_spec or (str(profile.default_key_spec) if profile is not None else "rsa-2048")
        key = generate_private_key(spec)
    try:
        request = build_csr(
            key,
            subject,
            dns_names=dns_names,
            ip_addresses=ip_addresses,
            uris=uris,
            emails=emails,
            profile=profile,
        )
    except ProfileViolationError as exc:
        name = profile.name if profile else ""
        echo_lines([f"error: the request breaks profile {name!r}; nothing written:"], err=True)
        echo_lines((f"  {finding}" for finding in exc.findings), err=True)
        sys.exit(EXIT_VIOLATIONS)
    _write_outputs(key if key_in is None else None, key_out, new_secret, request.pem, csr_out, force=force)
    if as_json:
        echo_json(request.to_dict())
        return
    lines = []
    if key_out is not None:
        state = "encrypted" if new_secret else "UNENCRYPTED"
        mode = "" if is_stdout(key_out) else ", mode 0600"
        lines.append(f"key: {_shown(key_out)} ({request.key_spec}, {state}{mode})")
    lines.append(f"csr: {_shown(csr_out)}")
    lines.append(f"subject: {request.subject.rfc4514}")
    if profile is not None:
        lines.append(f"profile: {profile.name} (conforms)")
    _summary(lines, to_stderr=to_stdout)


@csr.command("check")
@click.argument("file", type=INPUT_FILE)
@click.option(
    "--profile",
    "profile_name",
    type=PROFILE_REF,
    required=True,
    help=f"Built-in profile name or a TOML profile file ({STDIN_HELP}).",
)
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
@handle_errors
def check_cmd(file: NamedBytes, profile_name: str | NamedBytes, as_json: bool) -> None:
    """Check a CSR FILE (made by any tool; - for stdin) against a request profile.

    Exit status: 0 it conforms, 1 it breaks the profile, 2 bad input.

    \b
    Example:
      caiso-pki csr check demo-files/rig.csr --profile rig
    """
    from caiso_pki.csr import check_csr, load_csr
    from caiso_pki.profiles.request import load_request_profile

    profile = load_request_profile(profile_name)
    request = load_csr(file)
    findings = check_csr(request, profile)
    errors = [finding for finding in findings if finding.severity == "error"]
    if as_json:
        echo_json(
            {
                "file": file.name,
                "profile": profile.name,
                "conforms": not errors,
                "findings": [finding.to_dict() for finding in findings],
                "csr": request.to_dict(),
            }
        )
    else:
        verdict = "breaks" if errors else "conforms to"
        warnings = len(findings) - len(errors)
        echo_lines(
            [f"{file.name}: {verdict} profile {profile.name} ({len(errors)} error(s), {warnings} warning(s))"]
        )
        _print_findings(findings)
    if errors:
        sys.exit(EXIT_VIOLATIONS)


@csr.command("show")
@click.argument("file", type=INPUT_FILE)
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@handle_errors
def show_cmd(file: NamedBytes, as_json: bool) -> None:
    """Describe a CSR FILE (- for stdin): subject, key, SANs, requested extensions, signature.

    \b
    Example:
      caiso-pki csr show demo-files/rig.csr
    """
    from caiso_pki.csr import load_csr
    from caiso_pki.oids import oid_name

    description = load_csr(file).describe()
    if as_json:
        echo_json(description.to_dict())
        return
    sans = description.subject_alt_names
    validity = "valid" if description.signature_valid else "INVALID"
    lines = [
        f"subject: {description.subject.rfc4514}",
        f"key: {description.key_spec or description.key_algorithm}",
        f"signature: {description.signature_algorithm} ({validity})",
    ]
    for kind in ("dns", "ip", "uri", "email"):
        values = getattr(sans, kind)
        if values:
            lines.append(f"san {kind}: {', '.join(values)}")
    if description.key_usage is not None:
        lines.append(f"key usage: {', '.join(description.key_usage)}")
    if description.extended_key_usage is not None:
        lines.append(f"extended key usage: {', '.join(oid_name(o) for o in description.extended_key_usage)}")
    echo_lines(lines)


@csr.command("renew")
@click.option(
    "--cert", "cert_path", required=True, type=INPUT_FILE, help=f"The certificate to renew ({STDIN_HELP})."
)
@click.option("--key", "key_path", type=INPUT_FILE, help=f"The certificate's key ({STDIN_HELP}).")
@click.option("--rekey", type=KEY_SPEC, help="Generate a new key of this spec (rsa-3072, ec-p256 ...).")
@click.option("--csr-out", required=True, type=OUTPUT_FILE, help="Write the CSR here (- for stdout).")
@click.option("--key-out", type=OUTPUT_FILE, help="Where to write the new key (0600; - for stdout).")
@_password_options
@click.option(
    "--new-password-file",
    type=INPUT_FILE,
    help=f"With --rekey: protect the new key with the first line of this file ({STDIN_HELP}).",
)
@click.option(
    "--new-password-env", metavar="VAR", help="With --rekey: protect the new key with this variable."
)
@click.option("--prompt-new-password", is_flag=True, help="With --rekey: ask for the new key's password.")
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@click.option("--json", "as_json", is_flag=True, help="Print the CSR description as JSON.")
@handle_errors
def renew_cmd(  # noqa: PLR0917 -- click passes options as arguments
    cert_path: NamedBytes,
    key_path: NamedBytes | None,
    rekey: str | None,
    csr_out: Path,
    key_out: Path | None,
    password_file: NamedBytes | None,
    password_env: str | None,
    prompt_password: bool,
    no_password: bool,
    new_password_file: NamedBytes | None,
    new_password_env: str | None,
    prompt_new_password: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Write a CSR that renews --cert: same subject, SANs and EKU; --rekey for a new key.

    --password-file, --password-env or --prompt-password unlock --key.  With --rekey the new key
    written to --key-out is protected by --new-password-file, --new-password-env or
    --prompt-new-password; without them it takes the password given for --key (or, without --key,
    the --password-file one), and --no-password writes it unencrypted.
    Output paths are checked before anything is written.

    \b
    Example:
      caiso-pki csr renew --cert demo-files/rig.pem --key demo-files/rig.key --rekey ec-p256 \\
        --new-password-file new-password.txt --key-out rig-renewed.key --csr-out rig-renewed.csr
    """
    from caiso_pki.certificate import load_certificate
    from caiso_pki.csr import renewal_csr
    from caiso_pki.errors import MalformedInputError
    from caiso_pki.keys import key_matches_certificate, load_private_key

    old_given = password_file is not None or bool(password_env) or prompt_password
    new_given = new_password_file is not None or bool(new_password_env) or prompt_new_password
    if rekey is None and key_path is None:
        raise click.UsageError("give --key (the certificate's key) or --rekey SPEC")
    if rekey is not None and key_out is None:
        raise click.UsageError("--rekey needs --key-out for the new private key")
    if rekey is None and (key_out is not None or new_given):
        raise click.UsageError("--key-out and the --new-password options are only used with --rekey")
    if new_given and no_password:
        raise click.UsageError("--no-password cannot be combined with a --new-password option")
    to_stdout = _check_outputs(key_out, csr_out, force=force, as_json=as_json)
    certificate = load_certificate(cert_path)
    old_secret: str | None = None
    if key_path is not None and old_given:
        old_secret = _password(
            password_file=password_file,
            password_env=password_env,
            prompt=prompt_password,
            confirm=False,
            needed_for=key_path.name,
        )
    secret: str | None = None
    if rekey is not None:
        if new_given:
            secret = _new_key_password(
                password_file=new_password_file,
                password_env=new_password_env,
                prompt=prompt_new_password,
                no_password=False,
            )
        elif key_path is not None and old_given and not no_password:
            secret = old_secret
        elif key_path is not None and no_password:
            secret = None
        else:
            secret = _new_key_password(
                password_file=password_file,
                password_env=password_env,
                prompt=prompt_password,
                no_password=no_password,
            )
    key = load_private_key(key_path, password=old_secret) if key_path is not None else None
    if key is not None and key_path is not None and not key_matches_certificate(key, certificate):
        raise MalformedInputError(
            f"--key {key_path.name}: this private key does not belong to the certificate "
            f"{cert_path.name} ({certificate.subject.rfc4514}); give the key its CSR was made with, or "
            "--rekey SPEC without --key"
        )
    result = renewal_csr(certificate, key, new_key_spec=rekey)
    _write_outputs(
        result.key if key_out is not None else None, key_out, secret, result.csr.pem, csr_out, force=force
    )
    if as_json:
        echo_json(result.csr.to_dict())
        return
    lines = []
    if key_out is not None:
        state = "encrypted" if secret else "UNENCRYPTED"
        mode = "" if is_stdout(key_out) else ", mode 0600"
        lines.append(f"key: {_shown(key_out)} ({result.csr.key_spec}, {state}{mode})")
    lines.append(f"csr: {_shown(csr_out)}")
    lines.append(f"subject: {result.csr.subject.rfc4514}")
    _summary(lines, to_stderr=to_stdout)
