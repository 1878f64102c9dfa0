"""A Prometheus exporter: rescan the fleet on a background thread, serve the latest snapshot at /metrics.

:class:`Exporter` owns three things: a :class:`~caiso_pki.fleet_scan.FleetMonitor` (what to watch),
a :class:`StoreWatcher` (the trust store directory, reopened when its files change) and a small HTTP
server.  Every ``interval`` seconds (or at once after :meth:`Exporter.rescan`, which ``caiso-pki
exporter`` calls on SIGHUP) the scan thread reads the fleet again, renders the snapshot once in the
Prometheus text format and swaps it in; a scrape only writes those bytes, so it costs nothing
whatever the fleet's size, and memory does not grow with the number of scrapes::

    exporter = Exporter(FleetMonitor(["certs/"]), store="trust/", listen=("127.0.0.1", 9793))
    exporter.start()          # the first scan runs here: bad options raise before anything listens
    ...
    exporter.stop()

A scan that fails keeps the previous snapshot and sets ``caiso_pki_exporter_last_scan_success`` to 0;
a trust store that cannot be reopened keeps the previous store and adds a ``caiso_pki_read_errors``
series for its directory.  Nothing the exporter reads can stop it: unreadable files, vanished folders
and wrong passwords are metrics (:mod:`caiso_pki.fleet_scan`).
"""

from __future__ import annotations

import gzip
import ipaddress
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Final

import attrs

from caiso_pki._convert import instance, kind_of
from caiso_pki._convert import path as checked_path
from caiso_pki._text import path_text, printable
from caiso_pki.errors import CaisoPkiError, MalformedInputError, TrustStoreError
from caiso_pki.monitoring import FleetMetrics, MetricFamily, MetricSpec, ReadError

if TYPE_CHECKING:
    from caiso_pki.fleet_scan import FleetMonitor
    from caiso_pki.truststore import TrustStore

__all__ = [
    "DEFAULT_INTERVAL",
    "DEFAULT_LISTEN",
    "EXPORTER_METRICS",
    "Exporter",
    "StoreWatcher",
    "parse_listen",
]

logger = logging.getLogger(__name__)

#: Where the exporter listens unless told otherwise: loopback only.
DEFAULT_LISTEN: Final = ("127.0.0.1", 9793)
#: Seconds between rescans unless told otherwise.
DEFAULT_INTERVAL: Final = 300.0

#: The exporter's own metric families, beside :data:`caiso_pki.monitoring.METRICS`.
EXPORTER_METRICS: Final[tuple[MetricSpec, ...]] = (
    MetricSpec(
        "caiso_pki_exporter_scans_total", "counter", "Scans completed since the exporter started.", ()
    ),
    MetricSpec(
        "caiso_pki_exporter_scan_failures_total",
        "counter",
        "Scans that failed (the previous snapshot is still served).",
        (),
    ),
    MetricSpec(
        "caiso_pki_exporter_last_scan_success",
        "gauge",
        "1 when the last scan succeeded, 0 when it failed and the data served is older.",
        (),
    ),
    MetricSpec(
        "caiso_pki_exporter_scan_duration_seconds",
        "gauge",
        "Wall-clock seconds the last scan took.",
        (),
    ),
    MetricSpec(
        "caiso_pki_exporter_trust_store_reloads_total",
        "counter",
        "Times the trust store was reopened because its files changed.",
        (),
    ),
)
_SPECS: Final = {spec.name: spec for spec in EXPORTER_METRICS}


def parse_listen(text: str) -> tuple[str, int]:
    """``HOST:PORT`` (``[::1]:9793`` for IPv6) as a (host, port) pair; the host must be an IP address.

    Raises :class:`~caiso_pki.errors.MalformedInputError` naming the value.
    """
    if not isinstance(text, str):
        raise MalformedInputError(f"listen: expected HOST:PORT text, got {kind_of(text)}")
    value = text.strip()
    host, sep, port_text = value.rpartition(":")
    if not sep or not port_text.isdigit():
        raise MalformedInputError(f"listen address {printable(text)!r}: give HOST:PORT, e.g. 127.0.0.1:9793")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    try:
        ipaddress.ip_address(host)
    except ValueError as exc:
        raise MalformedInputError(
            f"listen address {printable(text)!r}: the host must be an IP address (127.0.0.1, 0.0.0.0, [::1])"
        ) from exc
    port = int(port_text)
    if not 0 <= port < 65536:
        raise MalformedInputError(f"listen address {printable(text)!r}: port {port} is outside 0-65535")
    return host, port


def _listen(value: object) -> tuple[str, int]:
    """``listen`` as (host, port), from ``HOST:PORT`` text or a (host, port) pair (:func:`parse_listen`)."""
    if isinstance(value, str):
        return parse_listen(value)
    if isinstance(value, (tuple, list)) and len(value) == 2:
        host, port = value
        if isinstance(host, str) and isinstance(port, int) and not isinstance(port, bool):
            return parse_listen(f"[{host}]:{port}" if ":" in host else f"{host}:{port}")
    raise MalformedInputError(
        "listen: expected HOST:PORT text or a (host, port) pair such as ('127.0.0.1', 9793), "
        f"got {kind_of(value)}"
    )


class StoreWatcher:
    """The trust store in ``directory``, reopened when the directory's files change.

    The check at each :meth:`current` compares names, sizes, modification times and inode numbers
    (a trust-store write replaces files atomically, so it always changes one of them); hidden files
    such as the store's lock file are left out.  When the store cannot be reopened the previous one is
    kept and the problem is returned as a :class:`~caiso_pki.monitoring.ReadError`.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        from caiso_pki.truststore import TrustStore

        self.directory = Path(directory)
        self.reloads = 0
        self._store: TrustStore = TrustStore.open(self.directory)
        try:
            # read after opening: a change in between only makes the next check reopen the store
            self._fingerprint = self._read_fingerprint()
        except OSError as exc:
            raise TrustStoreError(
                f"{path_text(self.directory)}: cannot list the trust store: {exc.strerror}"
            ) from exc

    def _read_fingerprint(self) -> tuple[tuple[str, int, int, int], ...]:
        entries = []
        with os.scandir(self.directory) as listing:
            for entry in listing:
                if entry.name.startswith("."):
                    continue
                info = entry.stat()
                entries.append((entry.name, info.st_mtime_ns, info.st_size, info.st_ino))
        return tuple(sorted(entries))

    def current(self) -> tuple[TrustStore, ReadError | None]:
        """The store (reopened if its files changed) and the problem reopening it, if there was one."""
        from caiso_pki.truststore import TrustStore

        name = path_text(self.directory)
        try:
            fingerprint = self._read_fingerprint()
        except OSError as exc:
            return self._store, ReadError(
                name, f"trust store: {(exc.strerror or type(exc).__name__).lower()}"
            )
        if fingerprint == self._fingerprint:
            return self._store, None
        try:
            store = TrustStore.open(self.directory)
        except CaisoPkiError as exc:
            return self._store, ReadError(name, f"trust store: {str(exc).replace(f'{name}: ', '', 1)}")
        self._store, self._fingerprint = store, fingerprint
        self.reloads += 1
        logger.info("trust store %s reloaded: %d entries", printable(name), len(store))
        return store, None


@attrs.frozen
class _Body:
    """One rendering of a snapshot, served as is to every scrape."""

    plain: bytes
    compressed: bytes


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    exporter: Exporter


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        logger.debug("%s %s", self.address_string(), format % args)

    def _answer(self, *, head: bool) -> None:
        from caiso_pki.exposition import CONTENT_TYPE

        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            body = self.server.exporter._body
            gzipped = "gzip" in self.headers.get("Accept-Encoding", "")
            payload = body.compressed if gzipped else body.plain
            self.send_response(200)
            self.send_header("Content-Type", CONTENT_TYPE)
            if gzipped:
                self.send_header("Content-Encoding", "gzip")
        elif path == "/":
            payload = b"caiso-pki exporter: metrics at /metrics\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        else:
            payload = b"not found: metrics are at /metrics\n"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if not head:
            self.wfile.write(payload)

    def do_GET(self) -> None:
        self._answer(head=False)

    def do_HEAD(self) -> None:
        self._answer(head=True)


class Exporter:
    """Serves the fleet's metrics at ``http://HOST:PORT/metrics``, rescanning every ``interval`` seconds.

    :param monitor: what to scan (:class:`~caiso_pki.fleet_scan.FleetMonitor`).
    :param store: the trust store directory (reopened when it changes).
    :param listen: ``HOST:PORT`` or (host, port) to bind; loopback by default, port 0 picks a free port.
    :param interval: seconds between the end of one scan and the start of the next.

    Every argument is checked here, before anything is opened or bound: a wrong one raises a
    :class:`~caiso_pki.errors.CaisoPkiError` naming it, and no port is ever bound for it.
    """

    def __init__(
        self,
        monitor: FleetMonitor,
        *,
        store: str | os.PathLike[str],
        listen: str | tuple[str, int] = DEFAULT_LISTEN,
        interval: float = DEFAULT_INTERVAL,
    ) -> None:
        from caiso_pki.fleet_scan import FleetMonitor

        if isinstance(interval, bool) or not isinstance(interval, (int, float)) or not interval > 0:
            raise MalformedInputError(f"interval {interval!r}: give a positive number of seconds")
        self.monitor = instance(monitor, FleetMonitor, "monitor", "a FleetMonitor (what to scan)")
        self.interval = float(interval)
        self.listen = _listen(listen)
        self._store_dir = checked_path(store, "store")
        self._watcher: StoreWatcher | None = None
        self._snapshot: FleetMetrics | None = None
        self._body = _Body(b"", gzip.compress(b""))
        self._scans = 0
        self._failures = 0
        self._last_success = False
        self._duration = 0.0
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._scan_lock = threading.Lock()
        self._server: _Server | None = None
        self._threads: list[threading.Thread] = []

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self) -> None:
        """Open the store, run the first scan, bind and start serving.

        Raises a :class:`~caiso_pki.errors.CaisoPkiError` when the store cannot be opened or the first
        scan fails on bad options, and :class:`~caiso_pki.errors.MalformedInputError` when the address
        cannot be bound; nothing listens then.
        """
        self._watcher = StoreWatcher(self._store_dir)
        self._scan(raise_errors=True)
        host, port = self.listen
        _Server.address_family = socket.AF_INET6 if ":" in host else socket.AF_INET
        try:
            server = _Server((host, port), _Handler)
        except OSError as exc:
            raise MalformedInputError(
                f"cannot listen on {host}:{port}: {exc.strerror or exc}; choose another --listen address"
            ) from exc
        server.exporter = self
        self._server = server
        self._threads = [
            threading.Thread(target=server.serve_forever, name="caiso-pki-exporter-http", daemon=True),
            threading.Thread(target=self._loop, name="caiso-pki-exporter-scan", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    @property
    def address(self) -> tuple[str, int]:
        """The (host, port) the server is bound to (the real port when ``listen`` asked for 0)."""
        if self._server is None:
            raise MalformedInputError("the exporter is not started")
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    def rescan(self) -> None:
        """Start a scan now instead of at the end of the interval."""
        self._wake.set()

    def stop(self) -> None:
        """Stop serving and scanning; waits for a scan in progress to finish."""
        self._stopping.set()
        self._wake.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        for thread in self._threads:
            thread.join()
        self._threads = []

    def __enter__(self) -> Exporter:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def snapshot(self) -> FleetMetrics | None:
        """The snapshot being served (``None`` before the first scan)."""
        return self._snapshot

    # -- scanning ------------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stopping.is_set():
            self._wake.wait(self.interval)
            self._wake.clear()
            if self._stopping.is_set():
                return
            self._scan(raise_errors=False)

    def _scan(self, *, raise_errors: bool) -> None:
        assert self._watcher is not None
        with self._scan_lock:
            started = time.monotonic()
            reloads = self._watcher.reloads
            store, store_error = self._watcher.current()
            try:
                metrics = self.monitor.scan(trust=store)
            except Exception as exc:
                # Any failure keeps the last good snapshot and is reported as a metric (fail visibly,
                # keep serving); only the first scan, at start-up, raises bad options to the caller.
                if raise_errors:
                    raise
                self._failures += 1
                self._last_success = False
                if isinstance(exc, CaisoPkiError):
                    logger.error("scan failed: %s", printable(exc))
                else:
                    logger.exception("scan failed (a bug in caiso-pki, please report it)")
            else:
                if store_error is not None:
                    metrics = attrs.evolve(metrics, read_errors=(*metrics.read_errors, store_error))
                self._snapshot = metrics
                self._scans += 1
                self._last_success = True
                if self._watcher.reloads != reloads:
                    logger.info("rescanned after the trust store changed")
            self._duration = time.monotonic() - started
            self._body = self._render()

    def _status(self) -> Iterator[MetricFamily]:
        values = {
            "caiso_pki_exporter_scans_total": float(self._scans),
            "caiso_pki_exporter_scan_failures_total": float(self._failures),
            "caiso_pki_exporter_last_scan_success": 1.0 if self._last_success else 0.0,
            "caiso_pki_exporter_scan_duration_seconds": self._duration,
            "caiso_pki_exporter_trust_store_reloads_total": float(
                self._watcher.reloads if self._watcher is not None else 0
            ),
        }
        for name, value in values.items():
            yield MetricFamily(_SPECS[name], (), (((), value),))

    def _render(self) -> _Body:
        from caiso_pki.exposition import render_families

        families = [*(self._snapshot.families() if self._snapshot is not None else ()), *self._status()]
        plain = render_families(families)
        return _Body(plain, gzip.compress(plain, compresslevel=6))
