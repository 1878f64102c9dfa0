"""A mutual-TLS server on 127.0.0.1 that records whether each client presented a certificate.

It asks for a client certificate without requiring one, so the tests can tell when a credential was
sent; its context can be swapped between connections (a server whose operator re-issued its chain).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Iterator

from caiso_pki import server_ssl_context
from caiso_pki.testing import IssuedCertificate


class RecordingTlsServer:
    """Handshakes with ``context`` (swappable between connections) and records client certificates."""

    def __init__(self, context: ssl.SSLContext) -> None:
        self.context = context
        self.presented: list[bool] = []
        self.errors: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self.endpoint = f"127.0.0.1:{self._listener.getsockname()[1]}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="caiso-pki-test-mtls", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with sock:
                sock.settimeout(10)
                try:
                    with self.context.wrap_socket(sock, server_side=True) as tls:
                        self.presented.append(tls.getpeercert(binary_form=True) is not None)
                        with contextlib.suppress(OSError):
                            tls.recv(1)  # until the client closes
                except (ssl.SSLError, OSError) as exc:
                    self.errors.append(str(exc))

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)
        self._listener.close()


def context_for(server: IssuedCertificate, client_roots: list[object]) -> ssl.SSLContext:
    ctx = server_ssl_context(server.certificate, server.key, chain=server.chain, trust=client_roots)
    ctx.verify_mode = ssl.CERT_OPTIONAL  # ask for a client certificate, go on without one
    return ctx


@contextlib.contextmanager
def serving(context: ssl.SSLContext) -> Iterator[RecordingTlsServer]:
    server = RecordingTlsServer(context)
    try:
        yield server
    finally:
        server.stop()
