"""``caiso-pki csr``: make a key and CSR to a request profile, check a CSR, renew a certificate."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from caiso_pki.cli._common import echo_json, handle_errors, read_passphrase

if TYPE_CHECKING:
    from caiso_pki.profiles.request import RequestFinding

__all__ = ["csr"]

F = TypeVar("F", bound=Callable[..., Any])
EXIT_VIOLATIONS = 1


def _passphrase_options(func: F) -> F:
    for option in reversed(
        (
            click.option(
                "--passphrase-file",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Read the key passphrase from this file (first line).",
            ),
            click.option(
                "--passphrase-env", metavar="VAR", help="Read the key passphrase from this variable."
            ),
            click.option(
                "--prompt-passphrase", is_flag=True, help="Ask for the key passphrase on the terminal."
            ),
            click.option(
                "--no-passphrase",
                is_flag=True,
                help="Write the new private key unencrypted (only when you mean it).",
            ),
        )
    ):
        func = option(func)
    return func


def _passphrase(
    *, passphrase_file: Path | None, passphrase_env: str | None, prompt: bool, confirm: bool
) -> str | None:
    return read_passphrase(
        passphrase_file=passphrase_file,
        env_var=passphrase_env,
        prompt="Key passphrase" if prompt else None,
        confirm=confirm,
    )


def _new_key_passphrase(
    *, passphrase_file: Path | None, passphrase_env: str | None, prompt: bool, no_passphrase: bool
) -> str | None:
    given = passphrase_file is not None or bool(passphrase_env) or prompt
    if no_passphrase and given:
        raise click.UsageError("--no-passphrase cannot be combined with a passphrase source")
    if no_passphrase:
        return None
    if not given:
        raise click.UsageError(
            "the new private key needs a passphrase: use --prompt-passphrase, --passphrase-file or "
            "--passphrase-env (or --no-passphrase to write it unencrypted)"
        )
    value = _passphrase(
        passphrase_file=passphrase_file, passphrase_env=passphrase_env, prompt=prompt, confirm=True
    )
    if not value:
        raise click.UsageError("the passphrase is empty")
    return value


def _print_findings(findings: tuple[RequestFinding, ...]) -> None:
    for finding in findings:
        click.echo(f"  {finding}")


def _write_csr(path: Path, pem: str, *, overwrite: bool) -> None:
    from caiso_pki._atomic import atomic_write_bytes
    from caiso_pki.errors import CaisoPkiError

    try:
        atomic_write_bytes(path, pem.encode("ascii"), mode=0o644, overwrite=overwrite, error=CaisoPkiError)
    except OSError as exc:
        raise CaisoPkiError(f"{path}: cannot write the CSR: {exc.strerror or exc}") from exc


@click.group()
def csr() -> None:
    """Make keys and CSRs to CAISO request profiles, check CSRs, renew certificates."""


@csr.command("new")
@click.option(
    "--profile", "profile_name", help="Request profile: rig, dpg, iccp, api-client, ui-client or a TOML file."
)
@click.option(
    "--subject", required=True, help='RFC 4514 subject, e.g. "CN=rig-01.example.com,O=Example,C=US".'
)
@click.option("--dns", "dns_names", multiple=True, help="DNS subject alternative name (repeatable).")
@click.option("--ip", "ip_addresses", multiple=True, help="IP address subject alternative name (repeatable).")
@click.option("--uri", "uris", multiple=True, help="URI subject alternative name (repeatable).")
@click.option("--email", "emails", multiple=True, help="E-mail subject alternative name (repeatable).")
@click.option("--key-spec", help="Key to generate: rsa-2048, rsa-3072, rsa-4096, ec-p256, ec-p384.")
@click.option(
    "--key", "key_in", type=click.Path(dir_okay=False, path_type=Path), help="Use this existing key."
)
@click.option(
    "--key-out", type=click.Path(dir_okay=False, path_type=Path), help="Write the new key here (0600)."
)
@click.option(
    "--csr-out", required=True, type=click.Path(dir_okay=False, path_type=Path), help="Write the CSR here."
)
@_passphrase_options
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@click.option("--json", "as_json", is_flag=True, help="Print the CSR description as JSON.")
@handle_errors
def new_cmd(  # noqa: PLR0917 -- click passes options as arguments
    profile_name: str | None,
    subject: str,
    dns_names: tuple[str, ...],
    ip_addresses: tuple[str, ...],
    uris: tuple[str, ...],
    emails: tuple[str, ...],
    key_spec: str | None,
    key_in: Path | None,
    key_out: Path | None,
    csr_out: Path,
    passphrase_file: Path | None,
    passphrase_env: str | None,
    prompt_passphrase: bool,
    no_passphrase: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Generate a key (or use --key) and write a CSR that conforms to --profile."""
    from caiso_pki._io import load_private_key
    from caiso_pki.csr import build_csr
    from caiso_pki.errors import ProfileViolationError
    from caiso_pki.keys import generate_private_key, save_private_key
    from caiso_pki.profiles.request import load_request_profile

    profile = load_request_profile(profile_name) if profile_name else None
    if key_in is not None:
        if key_out is not None or key_spec is not None:
            raise click.UsageError(
                "--key uses an existing key; do not combine it with --key-out or --key-spec"
            )
        secret = _passphrase(
            passphrase_file=passphrase_file,
            passphrase_env=passphrase_env,
            prompt=prompt_passphrase,
            confirm=False,
        )
        key = load_private_key(key_in, secret)
        new_secret = None
    else:
        if key_out is None:
            raise click.UsageError("give --key-out for the new private key (or --key to use an existing one)")
        new_secret = _new_key_passphrase(
            passphrase_file=passphrase_file,
            passphrase_env=passphrase_env,
            prompt=prompt_passphrase,
            no_passphrase=no_passphrase,
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
        click.echo(
            f"error: the request breaks profile {profile.name if profile else ''!r}; nothing written:",
            err=True,
        )
        for finding in exc.findings:
            click.echo(f"  {finding}", err=True)
        sys.exit(EXIT_VIOLATIONS)
    if key_out is not None:
        save_private_key(key, key_out, passphrase=new_secret, overwrite=force)
    _write_csr(csr_out, request.pem, overwrite=force)
    if as_json:
        echo_json(request.to_dict())
        return
    if key_out is not None:
        state = "encrypted" if new_secret else "UNENCRYPTED"
        click.echo(f"key: {key_out} ({request.key_spec}, {state}, mode 0600)")
    click.echo(f"csr: {csr_out}")
    click.echo(f"subject: {request.subject.rfc4514}")
    if profile is not None:
        click.echo(f"profile: {profile.name} (conforms)")


@csr.command("check")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--profile", "profile_name", required=True, help="Built-in profile name or a TOML profile file."
)
@click.option("--json", "as_json", is_flag=True, help="Print findings as JSON.")
@handle_errors
def check_cmd(file: Path, profile_name: str, as_json: bool) -> None:
    """Check a CSR (made by any tool) against a request profile; exit 1 when it breaks the profile."""
    from caiso_pki._io import load_csr
    from caiso_pki.csr import check_csr
    from caiso_pki.profiles.request import load_request_profile

    profile = load_request_profile(profile_name)
    request = load_csr(file)
    findings = check_csr(request, profile)
    errors = [finding for finding in findings if finding.severity == "error"]
    if as_json:
        echo_json(
            {
                "file": str(file),
                "profile": profile.name,
                "conforms": not errors,
                "findings": [finding.to_dict() for finding in findings],
                "csr": request.to_dict(),
            }
        )
    else:
        verdict = "breaks" if errors else "conforms to"
        warnings = len(findings) - len(errors)
        click.echo(
            f"{file}: {verdict} profile {profile.name} ({len(errors)} error(s), {warnings} warning(s))"
        )
        _print_findings(findings)
    if errors:
        sys.exit(EXIT_VIOLATIONS)


@csr.command("show")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@handle_errors
def show_cmd(file: Path, as_json: bool) -> None:
    """Describe a CSR: subject, key, SANs, requested extensions, signature."""
    from caiso_pki.csr import describe_csr
    from caiso_pki.oids import oid_name

    description = describe_csr(file)
    if as_json:
        echo_json(description.to_dict())
        return
    sans = description.subject_alt_names
    click.echo(f"subject: {description.subject.rfc4514}")
    click.echo(f"key: {description.key_spec or description.key_algorithm}")
    validity = "valid" if description.signature_valid else "INVALID"
    click.echo(f"signature: {description.signature_algorithm} ({validity})")
    for kind in ("dns", "ip", "uri", "email"):
        values = getattr(sans, kind)
        if values:
            click.echo(f"san {kind}: {', '.join(values)}")
    if description.key_usage is not None:
        click.echo(f"key usage: {', '.join(description.key_usage)}")
    if description.extended_key_usage is not None:
        click.echo(f"extended key usage: {', '.join(oid_name(o) for o in description.extended_key_usage)}")


@csr.command("renew")
@click.option("--cert", "cert_path", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key", "key_path", type=click.Path(dir_okay=False, path_type=Path), help="The certificate's key."
)
@click.option("--rekey", metavar="SPEC", help="Generate a new key of this spec (rsa-3072, ec-p256 ...).")
@click.option("--csr-out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--key-out", type=click.Path(dir_okay=False, path_type=Path), help="Where to write the new key."
)
@_passphrase_options
@click.option("--force", is_flag=True, help="Overwrite existing output files.")
@click.option("--json", "as_json", is_flag=True, help="Print the CSR description as JSON.")
@handle_errors
def renew_cmd(  # noqa: PLR0917 -- click passes options as arguments
    cert_path: Path,
    key_path: Path | None,
    rekey: str | None,
    csr_out: Path,
    key_out: Path | None,
    passphrase_file: Path | None,
    passphrase_env: str | None,
    prompt_passphrase: bool,
    no_passphrase: bool,
    force: bool,
    as_json: bool,
) -> None:
    """Write a CSR that renews --cert: same subject, SANs and EKU; --rekey for a new key.

    The passphrase options unlock --key and, with --rekey, protect the new key written to --key-out.
    """
    from caiso_pki._io import load_certificate, load_private_key
    from caiso_pki.csr import renewal_csr
    from caiso_pki.keys import save_private_key

    if rekey is None and key_path is None:
        raise click.UsageError("give --key (the certificate's key) or --rekey SPEC")
    if rekey is not None and key_out is None:
        raise click.UsageError("--rekey needs --key-out for the new private key")
    if rekey is None and key_out is not None:
        raise click.UsageError("--key-out is only used with --rekey")
    certificate = load_certificate(cert_path)
    secret: str | None = None
    if rekey is not None:
        secret = _new_key_passphrase(
            passphrase_file=passphrase_file,
            passphrase_env=passphrase_env,
            prompt=prompt_passphrase,
            no_passphrase=no_passphrase,
        )
    elif not no_passphrase:
        secret = _passphrase(
            passphrase_file=passphrase_file,
            passphrase_env=passphrase_env,
            prompt=prompt_passphrase,
            confirm=False,
        )
    key = load_private_key(key_path, secret) if key_path is not None else None
    result = renewal_csr(certificate, key, new_key_spec=rekey)
    if key_out is not None:
        save_private_key(result.key, key_out, passphrase=secret, overwrite=force)
    _write_csr(csr_out, result.csr.pem, overwrite=force)
    if as_json:
        echo_json(result.csr.to_dict())
        return
    if key_out is not None:
        click.echo(
            f"key: {key_out} ({result.csr.key_spec}, {'encrypted' if secret else 'UNENCRYPTED'}, mode 0600)"
        )
    click.echo(f"csr: {csr_out}")
    click.echo(f"subject: {result.csr.subject.rfc4514}")
