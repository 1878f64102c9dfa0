"""``caiso-pki connect``: diagnose a mutual-TLS connection to an ISO application, one check per line.

Everything is :func:`caiso_pki.connection.connect`; this command reads the client credential (a PFX, or
PEM certificate and key, or none) and the trust, calls it and prints the report's checklist (or
``--json``, described by ``docs/schemas/connect-report.schema.json``).

Exit status: 0 when no check failed, 1 when one did, 2 on bad input (unreadable files, a wrong PFX
password, bad options, pyOpenSSL missing).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import click

from caiso_pki.cli._common import (
    DIRECTORY,
    EXIT_NEGATIVE,
    EXIT_OK,
    INPUT_FILE,
    SERVER_NAME,
    STDIN_HELP,
    echo_json,
    echo_rich,
    handle_errors,
    read_password,
)

if TYPE_CHECKING:
    from caiso_pki._source import NamedBytes
    from caiso_pki.connection import HttpMethod
    from caiso_pki.truststore import TrustStore
    from caiso_pki.validation import Profile

__all__ = ["connect_cmd"]

_PROFILES = ("rfc5280", "webpki")
_METHODS = ("GET", "HEAD", "none")


@click.command("connect")
@click.argument("url")
@click.option(
    "--p12",
    "p12_file",
    type=INPUT_FILE,
    help=f"Your client certificate, its key and chain: a PKCS#12 / PFX file ({STDIN_HELP}).",
)
@click.option(
    "--cert",
    "cert_file",
    type=INPUT_FILE,
    help=f"Your client certificate (PEM or DER; a PEM file may hold the chain after it) ({STDIN_HELP}).",
)
@click.option("--key", "key_file", type=INPUT_FILE, help=f"The private key of --cert ({STDIN_HELP}).")
@click.option(
    "--chain",
    "chain_file",
    type=INPUT_FILE,
    help=f"Intermediate certificates sent with --cert ({STDIN_HELP}).",
)
@click.option(
    "--no-client-cert",
    is_flag=True,
    help="Connect without a client certificate (to see what the server asks for).",
)
@click.option(
    "--password-file",
    type=INPUT_FILE,
    default=None,
    help="The PFX password, or the password of an encrypted --key: the first line of this file "
    f"({STDIN_HELP}).",
)
@click.option(
    "--password-env",
    metavar="VAR",
    default=None,
    help="The PFX password, or the password of an encrypted --key, from variable VAR.",
)
@click.option(
    "--store",
    "store_dir",
    type=DIRECTORY,
    help="Trust store directory: the roots the server's chain must reach.",
)
@click.option(
    "--trust",
    "trust_file",
    type=INPUT_FILE,
    help=f"File of trusted root certificates ({STDIN_HELP}).",
)
@click.option(
    "--server-name",
    type=SERVER_NAME,
    help="Name the server's certificate must match, sent as SNI (default: URL host).",
)
@click.option(
    "--profile",
    type=click.Choice(_PROFILES),
    default="rfc5280",
    show_default=True,
    help="Validation profile for the server's chain.",
)
@click.option(
    "--cps", "cps_profile", help="Also lint your certificate against this CPS profile (name or TOML)."
)
@click.option(
    "--method",
    type=click.Choice(_METHODS),
    default="GET",
    show_default=True,
    help="HTTP request of step 5 for https URLs; only the status line is read (none: skip it).",
)
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds per network step.")
@click.option(
    "--continue-after-untrusted-server",
    "continue_untrusted",
    is_flag=True,
    help="Diagnosis only: present your certificate and send the request even when the server's chain "
    "failed (step 3).  Never use it against a server you do not control.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@handle_errors
def connect_cmd(  # noqa: PLR0917 -- click passes every option positionally
    url: str,
    p12_file: NamedBytes | None,
    cert_file: NamedBytes | None,
    key_file: NamedBytes | None,
    chain_file: NamedBytes | None,
    no_client_cert: bool,
    password_file: NamedBytes | None,
    password_env: str | None,
    store_dir: Path | None,
    trust_file: NamedBytes | None,
    server_name: str | None,
    profile: str,
    cps_profile: str | None,
    method: str,
    timeout: float,
    continue_untrusted: bool,
    as_json: bool,
) -> None:
    """Connect to URL (https://HOST[:PORT]/PATH, or HOST:PORT) with your client certificate and check
    every step.

    The client certificate is --p12 (a PFX), or --cert and --key (PEM or DER), or none with
    --no-client-cert.  The checks: your certificate and the chain it sends (1), TCP and TLS (2), the
    server's chain as sent (3), the server's request for a client certificate and whether it took
    yours (4), and for https URLs an HTTP request (5).  When the server's chain fails (3), the
    connection is closed at once: your certificate is not presented and no request is sent (steps 4
    and 5 "not run").  One line per check, then the first failure and what to do.  Without
    --password-file/--password-env a PFX password is asked for on the terminal.

    \b
    Example:
      caiso-pki connect https://localhost:8443/ --cert demo-files/rig.pem --key demo-files/rig.key \\
        --chain demo-files/pki/caiso-chain.pem --trust demo-files/pki/caiso-root.pem
    """
    from caiso_pki.connection import ClientCredential, connect

    if (store_dir is None) == (trust_file is None):
        raise click.UsageError("give exactly one of --store DIR or --trust FILE")
    sources = [p12_file is not None, cert_file is not None or key_file is not None, no_client_cert]
    if sum(sources) != 1:
        raise click.UsageError("give exactly one of --p12 FILE, --cert FILE --key FILE, or --no-client-cert")
    if (cert_file is None) != (key_file is None):
        raise click.UsageError("--cert and --key go together")
    if chain_file is not None and cert_file is None:
        raise click.UsageError("--chain goes with --cert and --key (a PFX carries its own chain)")
    trust: TrustStore | NamedBytes
    if store_dir is not None:
        from caiso_pki.truststore import TrustStore

        trust = TrustStore.open(store_dir)
    else:
        assert trust_file is not None  # exactly one of the two, checked above
        trust = trust_file
    client: ClientCredential | None = None
    if p12_file is not None:
        client = ClientCredential.from_pkcs12(
            p12_file, password=_pfx_password(p12_file, password_file, password_env)
        )
    elif cert_file is not None and key_file is not None:
        client = ClientCredential.load(
            cert_file,
            key_file,
            chain=chain_file if chain_file is not None else (),
            key_password=_key_password(key_file, password_file, password_env),
        )
    chosen: Profile = "webpki" if profile == "webpki" else "rfc5280"
    http_method: HttpMethod | None = None if method == "none" else ("HEAD" if method == "HEAD" else "GET")
    report = connect(
        url,
        client=client,
        trust=trust,
        server_name=server_name,
        profile=chosen,
        cps=cps_profile,
        http_method=http_method,
        timeout=timeout,
        continue_after_untrusted_server=continue_untrusted,
    )
    if as_json:
        echo_json(report.to_dict())
    else:
        echo_rich(report, report.checklist())
    sys.exit(EXIT_OK if report.ok else EXIT_NEGATIVE)


def _pfx_password(
    p12_file: NamedBytes, password_file: NamedBytes | None, password_env: str | None
) -> str | None:
    """The PFX password given; without one, an unprotected PFX opens and a protected one is asked for."""
    from caiso_pki.pkcs12 import load_pkcs12

    return _password_when_needed(
        p12_file, load_pkcs12, password_file, password_env, prompt="PFX password", allow_empty=True
    )


def _key_password(
    key_file: NamedBytes, password_file: NamedBytes | None, password_env: str | None
) -> str | None:
    """The password of --key when one is given, or asked for when the key turns out encrypted."""
    from caiso_pki.keys import load_private_key

    return _password_when_needed(
        key_file, load_private_key, password_file, password_env, prompt="Key password"
    )


def _password_when_needed(
    source: NamedBytes,
    load: Callable[[NamedBytes], object],
    password_file: NamedBytes | None,
    password_env: str | None,
    *,
    prompt: str,
    allow_empty: bool = False,
) -> str | None:
    """The password given for ``source``; with none given, None when ``load`` opens it without one,
    else the answer to ``prompt``."""
    from caiso_pki.errors import PasswordError

    if password_file is None and not password_env:
        try:
            load(source)
        except PasswordError:
            pass
        else:
            return None
    return read_password(
        password_file=password_file,
        env_var=password_env,
        prompt=prompt,
        allow_empty=allow_empty,
        needed_for=source.name,
    )
