"""Real, deliberately misbehaving HTTP servers on 127.0.0.1 for the fetch and revocation tests.

Each :class:`RawServer` listens on a raw socket and hands every connection to a handler, which can do
what no well-behaved server would: drip bytes, never end a body, lie in Content-Length, redirect in
circles.  Handlers get the connection, the request head and a ``stop`` event set at shutdown.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
from collections.abc import Callable

Handler = Callable[[socket.socket, bytes, threading.Event], None]


class RawServer:
    """A TCP server on 127.0.0.1 calling ``handler(conn, request_head, stop)`` per connection."""

    def __init__(self, handler: Handler, *, tls: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.tls = tls
        self.stop_event = threading.Event()
        self.connections = 0
        self.requests: list[bytes] = []
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port: int = self._sock.getsockname()[1]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def _accept_loop(self) -> None:
        while not self.stop_event.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(5)
            if self.tls is not None:
                conn = self.tls.wrap_socket(conn, server_side=True)
            head = b""
            while b"\r\n\r\n" not in head and len(head) < 65536:
                data = conn.recv(4096)
                if not data:
                    return
                head += data
            self.requests.append(head)
            self.handler(conn, head, self.stop_event)
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                conn.close()

    def stop(self) -> None:
        self.stop_event.set()
        self._sock.close()
        self._thread.join(timeout=5)

    def __enter__(self) -> RawServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def request_path(head: bytes) -> str:
    return head.split(b"\r\n", 1)[0].split(b" ")[1].decode()


def respond(
    status: int = 200, body: bytes = b"", *, content_type: str | None = "application/pkix-crl", **headers: str
) -> Handler:
    """A handler answering every request with the same well-formed response."""

    def handler(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        lines = [f"HTTP/1.1 {status} Whatever"]
        if content_type is not None:
            lines.append(f"Content-Type: {content_type}")
        lines.append(f"Content-Length: {len(body)}")
        lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
        conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + body)

    return handler


def redirect_map(routes: dict[str, str], final: bytes = b"DER") -> Handler:
    """Redirect each path in ``routes`` to its target (a path or an absolute URL); serve ``final`` else."""

    def handler(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        path = request_path(head)
        if path in routes:
            conn.sendall(
                f"HTTP/1.1 302 Found\r\nLocation: {routes[path]}\r\nContent-Length: 0\r\n\r\n".encode()
            )
        else:
            respond(200, final)(conn, head, stop)

    return handler


#: How long a hanging handler holds a connection before closing it: a guard, far beyond the timeouts the
#: tests give their clients (2 s), so that a client that fails to enforce its own deadline ends with
#: "connection closed" (and fails the test on its message) instead of hanging the suite.
HOLD = 120.0


def slow_drip(interval: float = 0.5, *, after_headers: bool = False) -> Handler:
    """Send a response one byte every ``interval`` seconds until the client goes away (or for
    :data:`HOLD` seconds, then close: the whole response would take 50,000 s)."""

    def handler(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        if after_headers:
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: 100000\r\n\r\n"
            )
            payload = b"0" * 100000
        else:
            payload = b"HTTP/1.1 200 OK\r\nX-Padding: " + b"a" * 100000
        for byte in payload[: int(HOLD / interval)]:
            conn.sendall(bytes([byte]))
            if stop.wait(interval):
                return

    return handler


def endless_body(*, chunked: bool = False) -> Handler:
    """A 200 whose body never ends: no Content-Length and Connection: close, or endless chunks."""

    def handler(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        framing = "Transfer-Encoding: chunked" if chunked else "Connection: close"
        conn.sendall(f"HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\n{framing}\r\n\r\n".encode())
        block = b"\x30" * 65536
        chunk = b"%x\r\n" % len(block) + block + b"\r\n" if chunked else block
        while not stop.is_set():
            conn.sendall(chunk)

    return handler


def lying_length(claimed: int) -> Handler:
    """Claim a huge Content-Length, then send a few bytes and hang."""

    def handler(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
        head_lines = f"HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: {claimed}\r\n"
        conn.sendall(head_lines.encode() + b"\r\n\x30\x82")
        stop.wait(HOLD)

    return handler


def silent(conn: socket.socket, head: bytes, stop: threading.Event) -> None:
    """Accept the request and never answer (for :data:`HOLD` seconds, then close)."""
    stop.wait(HOLD)
