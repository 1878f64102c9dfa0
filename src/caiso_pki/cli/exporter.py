"""``caiso-pki exporter``: serve the fleet's certificate metrics to Prometheus at /metrics.

Everything is :class:`caiso_pki.exporter.Exporter` over a :class:`caiso_pki.fleet_scan.FleetMonitor`;
this command reads the options, starts it, and waits for SIGTERM or SIGINT (exit 0).  SIGHUP starts a
rescan at once.  With ``--once`` it scans once, writes the metrics (to ``--out`` atomically, for
node_exporter's textfile collector, or to standard output) and exits.

Exit status: 0 after a clean shutdown (or a ``--once`` scan), 2 on bad input at start-up (a store
that cannot be opened, a bad inventory, an address that cannot be bound, a wrong client PFX password).
"""

from __future__ import annotations

import logging
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING

import click

from caiso_pki.cli._common import DIRECTORY, OUTPUT_FILE, check_outputs, handle_errors, is_stdout

if TYPE_CHECKING:
    from caiso_pki.connection import ClientCredential
    from caiso_pki.exporter import Exporter
    from caiso_pki.fleet_scan import FleetMonitor
    from caiso_pki.inventory import PasswordSource

__all__ = ["exporter_cmd"]

_FILE = click.Path(dir_okay=False, path_type=Path)
_MODES = ("off", "soft-fail", "hard-fail", "require")


def _password_source(file: Path | None, env: str | None, what: str) -> PasswordSource | None:
    from caiso_pki.inventory import PasswordSource

    if file is not None and env is not None:
        raise click.UsageError(f"give one of --{what}-password-file and --{what}-password-env, not both")
    if file is not None:
        return PasswordSource(file=file)
    if env is not None:
        return PasswordSource(env=env)
    return None


@click.command("exporter")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--store",
    "store_dir",
    required=True,
    type=DIRECTORY,
    help="Trust store directory; reopened when its files change (never the OS list).",
)
@click.option(
    "--endpoint",
    "endpoints",
    multiple=True,
    metavar="URL",
    help="TLS endpoint to probe at each scan: https://HOST[:PORT]/ or HOST:PORT (repeatable).",
)
@click.option(
    "--listen",
    default="127.0.0.1:9793",
    show_default=True,
    metavar="HOST:PORT",
    help="Address to serve /metrics on; loopback unless you say otherwise.",
)
@click.option(
    "--interval",
    type=click.FloatRange(min=1.0),
    default=300.0,
    show_default=True,
    help="Seconds between rescans (a scrape never rescans).",
)
@click.option(
    "--inventory",
    "inventory_file",
    type=_FILE,
    help="TOML file of extra labels and PKCS#12 password sources by path (see the monitoring guide).",
)
@click.option(
    "--crl",
    "crl_files",
    multiple=True,
    type=_FILE,
    help="CRL file, read again at every scan (repeatable; CRLs under PATHS are used too).",
)
@click.option(
    "--pkcs12-password-file",
    type=_FILE,
    help="Password for PKCS#12 files the inventory does not cover: the first line of this file.",
)
@click.option(
    "--pkcs12-password-env",
    metavar="VAR",
    help="Password for PKCS#12 files the inventory does not cover: variable VAR.",
)
@click.option(
    "--client-p12",
    "client_p12",
    type=_FILE,
    help="Client certificate (PKCS#12 / PFX) to present to endpoints that ask for one.",
)
@click.option(
    "--client-password-file",
    type=_FILE,
    help="The --client-p12 password: the first line of this file.",
)
@click.option("--client-password-env", metavar="VAR", help="The --client-p12 password: variable VAR.")
@click.option(
    "--revocation",
    type=click.Choice(_MODES),
    default="soft-fail",
    show_default=True,
    help="Revocation mode, with the CRLs given or found (nothing is fetched).",
)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=600),
    default=10.0,
    show_default=True,
    help="Seconds for each network step of an endpoint probe.",
)
@click.option("--once", is_flag=True, help="Scan once, write the metrics and exit (no server).")
@click.option(
    "--out",
    "out_file",
    type=OUTPUT_FILE,
    help="With --once: write the metrics to this file, replaced atomically (- for stdout, the default).",
)
@click.option("--force", is_flag=True, help="With --out: replace the file if it exists (a timer's next run).")
@handle_errors
def exporter_cmd(  # noqa: PLR0917 -- click passes every option positionally
    paths: tuple[Path, ...],
    store_dir: Path,
    endpoints: tuple[str, ...],
    listen: str,
    interval: float,
    inventory_file: Path | None,
    crl_files: tuple[Path, ...],
    pkcs12_password_file: Path | None,
    pkcs12_password_env: str | None,
    client_p12: Path | None,
    client_password_file: Path | None,
    client_password_env: str | None,
    revocation: str,
    timeout: float,
    once: bool,
    out_file: Path | None,
    force: bool,
) -> None:
    """Serve certificate metrics for PATHS (files and folders) and each --endpoint at /metrics.

    Every --interval seconds the exporter reads PATHS again (PEM, DER, PKCS#7, PKCS#12 and CRL files;
    folders recursively), validates every certificate against --store, probes each --endpoint, and
    swaps in the new metrics.  Unreadable files, vanished folders and wrong passwords become
    caiso_pki_read_errors series.  SIGTERM or SIGINT stops it (exit 0); SIGHUP rescans at once.
    Passwords come only from files or environment variables.  --once scans once and writes the
    metrics instead, for a timer.  Run as a service under systemd: docs/guides/monitor-certificates.md
    has the unit.

    \b
    Examples:
      caiso-pki exporter demo-files/rig.pem --store trust --once --out metrics.prom
      caiso-pki exporter /etc/caiso/certs --store /etc/caiso/trust --listen 127.0.0.1:9793
    """
    from caiso_pki.exporter import Exporter, parse_listen
    from caiso_pki.fleet_scan import FleetMonitor
    from caiso_pki.inventory import load_inventory

    if out_file is not None and not once:
        raise click.UsageError("--out needs --once (the server serves its metrics at /metrics)")
    address = parse_listen(listen)
    inventory = load_inventory(inventory_file) if inventory_file is not None else None
    default_password = _password_source(pkcs12_password_file, pkcs12_password_env, "pkcs12")
    client = _client(client_p12, client_password_file, client_password_env)
    monitor = FleetMonitor(
        paths,
        inventory=inventory,
        crls=crl_files,
        endpoints=endpoints,
        client=client,
        password=default_password,
        revocation=revocation,  # type: ignore[arg-type]
        timeout=timeout,
    )
    if once:
        _once(monitor, store_dir, out_file, force=force)
        return
    _serve(Exporter(monitor, store=store_dir, listen=address, interval=interval))


def _client(
    p12: Path | None, password_file: Path | None, password_env: str | None
) -> ClientCredential | None:
    from caiso_pki.connection import ClientCredential

    source = _password_source(password_file, password_env, "client")
    if p12 is None:
        if source is not None:
            raise click.UsageError("--client-password-file and --client-password-env need --client-p12")
        return None
    password = source.read() if source is not None else None
    return ClientCredential.from_pkcs12(p12, password=password)


def _once(monitor: FleetMonitor, store_dir: Path, out_file: Path | None, *, force: bool) -> None:
    from caiso_pki._atomic import atomic_write_bytes
    from caiso_pki._text import display_path
    from caiso_pki.exposition import render_prometheus
    from caiso_pki.truststore import TrustStore

    if out_file is not None:
        check_outputs({"--out": out_file}, force=force)
        if is_stdout(out_file):
            out_file = None
    metrics = monitor.scan(trust=TrustStore.open(store_dir))
    text = render_prometheus(metrics)
    if out_file is None:
        click.echo(text, nl=False)
        return
    atomic_write_bytes(out_file, text.encode("utf-8"), mode=0o644, overwrite=force)
    click.echo(
        f"{len(metrics.certificates)} certificates, {len(metrics.read_errors)} read errors; "
        f"metrics written to {display_path(out_file)}",
        err=True,
    )


def _serve(exporter: Exporter) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("caiso-pki exporter: %(levelname)s: %(message)s"))
    package_logger = logging.getLogger("caiso_pki")
    package_logger.addHandler(handler)
    package_logger.setLevel(logging.INFO)
    stopping = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    def rescan(signum: int, frame: FrameType | None) -> None:
        exporter.rescan()

    previous = {
        signal.SIGTERM: signal.signal(signal.SIGTERM, stop),
        signal.SIGINT: signal.signal(signal.SIGINT, stop),
        signal.SIGHUP: signal.signal(signal.SIGHUP, rescan),
    }
    try:
        exporter.start()
        host, port = exporter.address
        shown = f"[{host}]" if ":" in host else host
        snapshot = exporter.snapshot
        counts = (
            f"{len(snapshot.all_certificates)} certificates, {len(snapshot.read_errors)} read errors"
            if snapshot is not None
            else "no scan yet"
        )
        click.echo(
            f"caiso-pki exporter: serving http://{shown}:{port}/metrics ({counts}); "
            f"rescanning every {exporter.interval:g} s",
            err=True,
        )
        while not stopping.wait(1.0):
            pass
        exporter.stop()
        click.echo("caiso-pki exporter: stopped", err=True)
    finally:
        for signum, handler_before in previous.items():
            signal.signal(signum, handler_before)
        package_logger.removeHandler(handler)
