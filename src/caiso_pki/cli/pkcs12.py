"""``caiso-pki pkcs12 build``: pack a key, its certificate and the chain into a PFX for Windows or Java.

Everything is :func:`caiso_pki.pkcs12.export_pkcs12`.  Two encryptions, because Windows versions differ
in what they import:

* ``modern`` (the default): AES-256-CBC for the key and certificates, PBKDF2-HMAC-SHA256, SHA-256 MAC.
  Windows 10 1709+ and Windows Server 2019+, Java 8u301+, OpenSSL 1.1+ and macOS import it.
* ``legacy``: pbeWithSHAAnd3-KeyTripleDES-CBC and a SHA-1 MAC, what ``openssl pkcs12 -legacy`` writes.
  For Windows Server 2016 and older, Windows 10 before 1709 and other old importers only: 3DES and SHA-1
  are weak, so prefer ``modern`` wherever it is accepted.

Exit status: 0 written, 2 bad input (unreadable files, a key that does not match the certificate, an
empty or missing password, an existing --out without --force).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Final

import click

from caiso_pki.cli._common import (
    INPUT_FILE,
    OUTPUT_FILE,
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

__all__ = ["ENCRYPTIONS", "pkcs12"]

#: --encryption choices and what each is for (the help and the summary line say it).
ENCRYPTIONS: Final[dict[str, str]] = {
    "modern": "AES-256-CBC, PBKDF2-HMAC-SHA256, SHA-256 MAC: Windows 10 1709+/Server 2019+, Java 8u301+",
    "legacy": "3DES (pbeWithSHAAnd3-KeyTripleDES-CBC), SHA-1 MAC: older Windows (Server 2016 and before)",
}


@click.group("pkcs12")
def pkcs12() -> None:
    """Build PKCS#12 / PFX files (a key, its certificate and chain) for Windows, Java and appliances."""


@pkcs12.command("build")
@click.option("--key", "key_file", required=True, type=INPUT_FILE, help=f"The private key ({STDIN_HELP}).")
@click.option(
    "--cert",
    "cert_file",
    required=True,
    type=INPUT_FILE,
    help=f"The certificate (PEM or DER; a PEM file may hold the chain after it) ({STDIN_HELP}).",
)
@click.option(
    "--chain",
    "chain_files",
    multiple=True,
    type=INPUT_FILE,
    help=f"Intermediate (and root) certificates to include; repeatable ({STDIN_HELP}).",
)
@click.option("--out", "out_file", required=True, type=OUTPUT_FILE, help="Write the PFX here (mode 0600).")
@click.option(
    "--encryption",
    type=click.Choice(list(ENCRYPTIONS)),
    default="modern",
    show_default=True,
    help="modern: " + ENCRYPTIONS["modern"] + ".  legacy: " + ENCRYPTIONS["legacy"] + ".",
)
@click.option(
    "--password-file",
    type=INPUT_FILE,
    help=f"The PFX password: the first line of this file ({STDIN_HELP}).",
)
@click.option("--password-env", metavar="VAR", help="The PFX password, from variable VAR.")
@click.option(
    "--key-password-file",
    type=INPUT_FILE,
    help=f"The password of an encrypted --key: the first line of this file ({STDIN_HELP}).",
)
@click.option("--key-password-env", metavar="VAR", help="The password of an encrypted --key, from VAR.")
@click.option("--friendly-name", help="The name Windows and Java show (default: the certificate's CN).")
@click.option("--force", is_flag=True, help="Replace an existing --out file.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written as JSON.")
@handle_errors
def build_cmd(  # noqa: PLR0917 -- click passes every option positionally
    key_file: NamedBytes,
    cert_file: NamedBytes,
    chain_files: tuple[NamedBytes, ...],
    out_file: Path,
    encryption: str,
    password_file: NamedBytes | None,
    password_env: str | None,
    key_password_file: NamedBytes | None,
    key_password_env: str | None,
    friendly_name: str | None,
    force: bool,
    as_json: bool,
) -> None:
    """Write --out: a password-protected PFX holding --key, --cert and the --chain certificates.

    The key must belong to the certificate.  The password comes from --password-file, --password-env or
    a hidden prompt (asked twice) on a terminal; it cannot be empty, since it protects a private key.
    Choose --encryption legacy only for importers that refuse modern (older Windows); both are read by
    openssl pkcs12 -info.  An existing --out is kept unless --force.

    \b
    Example:
      caiso-pki pkcs12 build --key demo-files/rig.key --cert demo-files/rig.pem \\
        --chain demo-files/pki/caiso-chain.pem --out rig.pfx --password-file pfx-password.txt
    """
    from caiso_pki._atomic import atomic_write_bytes
    from caiso_pki._text import display_path, path_text
    from caiso_pki.certificate import load_certificates
    from caiso_pki.errors import CaisoPkiError, PasswordError
    from caiso_pki.pkcs12 import export_pkcs12

    if is_stdout(out_file):
        raise click.UsageError("--out: write the PFX to a file (it is binary and holds a private key)")
    check_outputs({"--out": out_file}, force=force)
    key = _key(key_file, key_password_file, key_password_env)
    certificates = load_certificates(cert_file)
    chain = [cert for data in chain_files for cert in load_certificates(data)]
    password = read_password(
        password_file=password_file,
        env_var=password_env,
        prompt="PFX password",
        confirm=True,
        allow_empty=True,
        needed_for=os.fspath(out_file),
    )
    if not password:
        raise PasswordError(
            "--password-file/--password-env: the PFX password is empty; a PFX that holds a private key "
            "needs a password"
        )
    try:
        data = export_pkcs12(
            key,
            certificates[0],
            chain=[*certificates[1:], *chain],
            password=password,
            friendly_name=friendly_name,
            legacy=encryption == "legacy",
        )
    except CaisoPkiError as exc:
        if "does not belong" in str(exc):
            raise CaisoPkiError(
                f"--key {key_file.name}: the private key does not belong to the certificate in "
                f"{cert_file.name} ({certificates[0].subject.rfc4514})"
            ) from exc
        raise
    atomic_write_bytes(out_file, data, mode=0o600, overwrite=force, what="the PFX")
    if as_json:
        echo_json(
            {
                "written": path_text(out_file),
                "encryption": encryption,
                "certificates": len(certificates) + len(chain),
                "subject": certificates[0].subject.rfc4514,
            }
        )
        return
    echo_lines(
        [
            f"wrote {display_path(out_file)} (mode 0600): {certificates[0].subject.rfc4514} with its key and "
            f"{len(certificates) - 1 + len(chain)} chain certificate(s)",
            f"encryption: {encryption} ({ENCRYPTIONS[encryption]})",
        ]
    )


def _key(key_file: NamedBytes, password_file: NamedBytes | None, password_env: str | None) -> PrivateKeyTypes:
    """The private key; its password from the options, or asked for (on a terminal) when it is encrypted."""
    from caiso_pki.errors import PasswordError
    from caiso_pki.keys import load_private_key

    file_option, env_option = "--key-password-file", "--key-password-env"
    if password_file is not None or password_env:
        secret = read_password(
            password_file=password_file,
            env_var=password_env,
            prompt=None,
            file_option=file_option,
            env_option=env_option,
        )
        return load_private_key(key_file, password=secret)
    try:
        return load_private_key(key_file)
    except PasswordError:  # encrypted, and no password given: ask on a terminal
        secret = read_password(
            password_file=None,
            env_var=None,
            prompt="Key password",
            needed_for=key_file.name,
            file_option=file_option,
            env_option=env_option,
        )
        return load_private_key(key_file, password=secret)
