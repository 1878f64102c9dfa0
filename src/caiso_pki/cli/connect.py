"""``caiso-pki connect``: diagnose a mutual-TLS connection to an ISO application, one check per line.

Everything is :func:`caiso_pki.connection.connect`; this command reads the PFX and the trust, calls it and
prints the report's checklist (or ``--json``, described by ``docs/schemas/connect-report.schema.json``).

Exit status: 0 when no check failed, 1 when one did, 2 on bad input (unreadable files, a wrong PFX
password, bad options, pyOpenSSL missing).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from caiso_pki.cli._common import (
    EXIT_NEGATIVE,
    EXIT_OK,
    INPUT_FILE,
    STDIN_HELP,
    echo_json,
    echo_rich,
    handle_errors,
    read_passphrase,
)

if TYPE_CHECKING:
    from caiso_pki._io import NamedBytes
    from caiso_pki.connection import HttpMethod
    from caiso_pki.truststore import TrustStore
    from caiso_pki.validation import Profile

__all__ = ["connect_cmd"]

_PROFILES = ("rfc5280", "webpki")
_METHODS = ("HEAD", "GET", "none")


@click.command("connect")
@click.argument("url")
@click.option(
    "--p12",
    "p12_file",
    required=True,
    type=INPUT_FILE,
    help=f"Your client certificate, its key and chain: a PKCS#12 / PFX file ({STDIN_HELP}).",
)
@click.option(
    "--password-file",
    type=INPUT_FILE,
    default=None,
    help=f"Read the PFX password from the first line of this file ({STDIN_HELP}).",
)
@click.option("--password-env", metavar="VAR", default=None, help="Read the PFX password from variable VAR.")
@click.option(
    "--store",
    "store_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Trust store directory: the roots the server's chain must reach.",
)
@click.option(
    "--trust",
    "trust_file",
    type=INPUT_FILE,
    help=f"File of trusted root certificates ({STDIN_HELP}).",
)
@click.option(
    "--server-name", help="Name the server's certificate must match, sent as SNI (default: URL host)."
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
    default="HEAD",
    show_default=True,
    help="HTTP request of step 5 for https URLs (none: skip it).",
)
@click.option("--timeout", type=float, default=10.0, show_default=True, help="Seconds per network step.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@handle_errors
def connect_cmd(  # noqa: PLR0917 -- click passes every option positionally
    url: str,
    p12_file: NamedBytes,
    password_file: NamedBytes | None,
    password_env: str | None,
    store_dir: Path | None,
    trust_file: NamedBytes | None,
    server_name: str | None,
    profile: str,
    cps_profile: str | None,
    method: str,
    timeout: float,
    as_json: bool,
) -> None:
    """Connect to URL (https://HOST[:PORT]/PATH, or HOST:PORT) with your PFX and check every step.

    The checks: your certificate and the chain it sends (1), TCP and TLS (2), the server's chain as
    sent (3), the server's request for a client certificate and whether it took yours (4), and for
    https URLs an HTTP request (5).  One line per check, then the first failure and what to do.
    Without --password-file/--password-env the PFX password is asked for on the terminal.
    """
    from caiso_pki.connection import ClientCredential, connect

    if (store_dir is None) == (trust_file is None):
        raise click.UsageError("give exactly one of --store DIR or --trust FILE")
    trust: TrustStore | NamedBytes
    if store_dir is not None:
        from caiso_pki.truststore import TrustStore

        trust = TrustStore.open(store_dir)
    else:
        assert trust_file is not None  # exactly one of the two, checked above
        trust = trust_file
    password = read_passphrase(
        passphrase_file=password_file,
        env_var=password_env,
        prompt="PFX password",
        file_option="--password-file",
    )
    client = ClientCredential.from_pkcs12(p12_file, password)
    chosen: Profile = "webpki" if profile == "webpki" else "rfc5280"
    http_method: HttpMethod | None = None if method == "none" else ("GET" if method == "GET" else "HEAD")
    report = connect(
        url,
        client=client,
        trust=trust,
        server_name=server_name,
        profile=chosen,
        cps=cps_profile,
        http_method=http_method,
        timeout=timeout,
    )
    if as_json:
        echo_json(report.to_dict())
    else:
        echo_rich(report, report.checklist())
    sys.exit(EXIT_OK if report.ok else EXIT_NEGATIVE)
