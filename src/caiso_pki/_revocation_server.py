"""A revocation server for tests: real HTTP on 127.0.0.1 serving a demo PKI's CRLs, OCSP and CA certificates.

The validation, fetching and monitoring tests need a CRL distribution point, an OCSP responder and a
caIssuers URL that behave like the real ones, and sometimes misbehave on purpose (a stale CRL, an OCSP
error, an HTTP 500): :class:`RevocationServer` is that peer, a threaded ``http.server`` answering for
every CA of a :class:`~caiso_pki.testing.DemoPki`.
"""

from __future__ import annotations

import base64
import datetime as dt
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from caiso_pki.testing import DemoPki

__all__ = ["RevocationServer"]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _send(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _answer(self, path: str, body: bytes | None) -> None:
        owner = self.server.owner
        owner.requests.append(path)
        route = path.split("?", 1)[0]
        for prefix, (status, answer, content_type) in owner.overrides.items():
            if route == prefix or route.startswith(prefix.rstrip("/") + "/"):
                self._send(status, answer, content_type)
                return
        pki = owner.pki
        if pki is None:
            self._send(503, b"no PKI served yet", "text/plain")
            return
        parts = [p for p in path.split("/") if p]
        if len(parts) == 2 and parts[0] == "crl" and parts[1].endswith(".crl"):
            ca = pki.authorities.get(parts[1][:-4])
            if ca is not None:
                self._send(200, ca.crl(at=owner.at), "application/pkix-crl")
                return
        if len(parts) == 2 and parts[0] == "ca" and parts[1].endswith(".cer"):
            ca = pki.authorities.get(parts[1][:-4])
            if ca is not None:
                self._send(200, ca.certificate.der, "application/pkix-cert")
                return
        if len(parts) >= 2 and parts[0] == "ocsp":
            ca = pki.authorities.get(parts[1])
            if ca is not None:
                if body is None and len(parts) >= 3:
                    try:
                        body = base64.b64decode(urllib.parse.unquote("/".join(parts[2:])))
                    except ValueError:
                        body = b""
                self._send(200, ca.ocsp_response(body or b"", at=owner.at), "application/ocsp-response")
                return
        self._send(404, b"not found", "text/plain")

    def do_GET(self) -> None:
        self._answer(self.path, None)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._answer(self.path, self.rfile.read(min(length, 1 << 20)))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: RevocationServer


class RevocationServer:
    """A real HTTP server on 127.0.0.1 serving a demo PKI's CRLs, OCSP answers and CA certificates.

    Bind first, build the PKI with ``base_url=server.base_url``, then :meth:`serve` it::

        with RevocationServer() as server:
            pki = DemoPki.create(base_url=server.base_url)
            server.serve(pki)

    ``requests`` records every path asked for; ``at`` (default: the PKI's ``now``) is the time CRLs and
    OCSP responses are produced for.  :meth:`override` makes a path (and everything under it) answer
    with fixed bytes instead, to serve a forged or stale CRL, an OCSP error, or an HTTP error.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._httpd = _Server((host, port), _Handler)
        self._httpd.owner = self
        self.pki: DemoPki | None = None
        self.at: dt.datetime | None = None
        self.requests: list[str] = []
        self.overrides: dict[str, tuple[int, bytes, str]] = {}
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, name="caiso-pki-revocation", daemon=True
        )
        self._thread.start()

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def serve(self, pki: DemoPki) -> RevocationServer:
        """Start answering for ``pki``'s CAs."""
        self.pki = pki
        return self

    def override(
        self, path: str, body: bytes, *, status: int = 200, content_type: str = "application/octet-stream"
    ) -> RevocationServer:
        """Answer ``path`` (``/crl/caiso-issuing.crl``, ``/ocsp/caiso-issuing``) with ``body`` from now on."""
        self.overrides[path] = (status, body, content_type)
        return self

    def stop(self) -> None:
        """Shut the server down and free the port (idempotent)."""
        if self._thread.is_alive():
            self._httpd.shutdown()
            self._thread.join(timeout=5)
        self._httpd.server_close()

    def __enter__(self) -> RevocationServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
