"""TLS servers on 127.0.0.1 for the ``connect`` tests: real handshakes, one thread each, closed cleanly.

* :class:`TlsServer`: a stdlib :mod:`ssl` server.  After the handshake it reads one HTTP request and
  answers with ``status``; ``handshakes`` and ``errors`` record what it saw.
* :class:`CaNamesTlsServer`: the same on pyOpenSSL, for the one thing Python's ``ssl`` cannot do: put
  acceptable CA names into its CertificateRequest (``ssl`` has no ``SSL_CTX_set_client_CA_list``).
* :func:`server_context`: a stdlib server context for a demo certificate, optionally requiring client
  certificates from given roots and capped at a TLS version (TLS 1.1 needs OpenSSL security level 0).
* :func:`silent_port`: a port that accepts TCP connections (the kernel completes them) and never answers.
* :func:`closed_port`: a port bound but not listening, so connecting is refused (no race for the port).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence

from caiso_pki import server_ssl_context
from caiso_pki.certificate import Certificate
from caiso_pki.testing import IssuedCertificate

_REASONS = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error"}


def server_context(
    server: IssuedCertificate,
    *,
    client_roots: Sequence[Certificate] | None = None,
    chain: Sequence[Certificate] | None = None,
    maximum_version: ssl.TLSVersion | None = None,
) -> ssl.SSLContext:
    """A stdlib server context presenting ``server`` (with ``chain``, default its own chain).

    With ``client_roots`` the server requires a client certificate chaining to one of them.
    ``maximum_version`` below TLS 1.2 also lowers the minimum and OpenSSL's security level to 0, the
    only way OpenSSL 3 offers TLS 1.0/1.1 at all.
    """
    ctx = server_ssl_context(
        server.certificate,
        server.key,
        chain=server.chain if chain is None else chain,
        trust=list(client_roots) if client_roots is not None else None,
    )
    if maximum_version is not None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # TLSVersion.TLSv1_1 is deprecated
            if maximum_version < ssl.TLSVersion.TLSv1_2:
                ctx.minimum_version = ssl.TLSVersion.TLSv1
                ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
            ctx.maximum_version = maximum_version
    return ctx


class _Server:
    """Accept loop on 127.0.0.1 in a daemon thread; subclasses do the TLS part of each connection."""

    def __init__(self, *, status: int = 200) -> None:
        self.status = status
        self.handshakes: list[str] = []
        self.errors: list[str] = []
        self.requests: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._stop = threading.Event()
        self._active: socket.socket | None = None
        self._thread = threading.Thread(target=self._run, name="caiso-pki-test-tls", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._listener.getsockname()[1])

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}/api/resource"

    @property
    def host_port(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                sock, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._active = sock
            try:
                self.serve(sock)
            finally:
                self._active = None
                sock.close()

    def serve(self, sock: socket.socket) -> None:
        raise NotImplementedError

    def answer(self, recv: Callable[[int], bytes], sendall: Callable[[bytes], object]) -> None:
        """Read one HTTP request and answer it with ``status``."""
        data = b""
        while b"\r\n\r\n" not in data and len(data) < 65536:
            chunk = recv(4096)
            if not chunk:
                return
            data += chunk
        self.requests.append(data)
        body = b"" if data.startswith(b"HEAD ") else f"status {self.status}\n".encode()
        head = (
            f"HTTP/1.1 {self.status} {_REASONS.get(self.status, 'Status')}\r\n"
            f"Content-Type: text/plain\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
        )
        sendall(head.encode("ascii") + body)

    def stop(self) -> None:
        self._stop.set()
        active = self._active
        if active is not None:
            with contextlib.suppress(OSError):
                active.shutdown(socket.SHUT_RDWR)  # wake a thread blocked on a client that went away
        self._thread.join(timeout=10)
        self._listener.close()

    def __enter__(self) -> _Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


class TlsServer(_Server):
    """A stdlib ``ssl`` server: handshake with ``context``, then one HTTP request answered with ``status``."""

    def __init__(self, context: ssl.SSLContext, *, status: int = 200) -> None:
        self.context = context
        super().__init__(status=status)

    def serve(self, sock: socket.socket) -> None:
        sock.settimeout(10)
        try:
            tls = self.context.wrap_socket(sock, server_side=True)
        except (ssl.SSLError, OSError) as exc:
            self.errors.append(f"handshake: {exc}")
            return
        with tls:
            self.handshakes.append(str(tls.version()))
            try:
                self.answer(tls.recv, tls.sendall)
            except (ssl.SSLError, OSError) as exc:
                self.errors.append(f"after handshake: {exc}")


class CaNamesTlsServer(_Server):
    """A pyOpenSSL server that requires a client certificate and names the CAs it accepts."""

    def __init__(
        self,
        server: IssuedCertificate,
        *,
        client_roots: Sequence[Certificate],
        ca_names: Sequence[Certificate],
        tls12_only: bool = False,
        status: int = 200,
    ) -> None:
        from OpenSSL import SSL, crypto

        ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
        ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
        if tls12_only:
            ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
        ctx.use_certificate(server.certificate.x509)
        assert server.key is not None
        ctx.use_privatekey(server.key)  # type: ignore[arg-type]
        for cert in server.chain:
            ctx.add_extra_chain_cert(cert.x509)
        store = ctx.get_cert_store()
        assert store is not None
        for root in client_roots:
            store.add_cert(crypto.X509.from_cryptography(root.x509))
        ctx.set_verify(SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT)
        with warnings.catch_warnings():
            # pyOpenSSL deprecates X509Name, but set_client_ca_list takes nothing else (yet).
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.set_client_ca_list([crypto.X509.from_cryptography(c.x509).get_subject() for c in ca_names])
        self.context = ctx
        super().__init__(status=status)

    def serve(self, sock: socket.socket) -> None:
        from OpenSSL import SSL

        sock.setblocking(True)  # pyOpenSSL on a blocking socket; stop() shuts it down if need be
        conn = SSL.Connection(self.context, sock)
        conn.set_accept_state()
        try:
            conn.do_handshake()
        except SSL.Error as exc:
            self.errors.append(f"handshake: {exc}")
            return
        self.handshakes.append(conn.get_protocol_version_name())
        try:
            self.answer(conn.recv, conn.sendall)
        except SSL.Error as exc:
            self.errors.append(f"after handshake: {exc}")
            return
        with contextlib.suppress(SSL.Error):
            conn.shutdown()


@contextlib.contextmanager
def silent_port() -> Iterator[int]:
    """A port whose TCP connections complete (in the listen backlog) and then hear nothing."""
    with socket.create_server(("127.0.0.1", 0), backlog=8) as listener:
        yield int(listener.getsockname()[1])


@contextlib.contextmanager
def closed_port() -> Iterator[int]:
    """A port bound but not listening: connecting is refused, and nobody else can take the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


class CountingMtlsServer(_Server):
    """A pyOpenSSL mutual-TLS server that counts what clients send it: certificates and HTTP requests.

    Every client certificate that reaches the server is counted in :attr:`client_certificates`
    (subjects, from OpenSSL's verify callback, which runs as soon as the client's Certificate message
    arrives, whether or not the server then accepts it); :attr:`requests` holds every HTTP request
    read.  With ``require=True`` the server refuses a handshake without a certificate chaining to
    ``client_roots``; otherwise a client certificate is asked for but optional.
    """

    def __init__(
        self,
        server: IssuedCertificate,
        *,
        client_roots: Sequence[Certificate],
        require: bool = True,
        tls12_only: bool = False,
        status: int = 200,
    ) -> None:
        from OpenSSL import SSL, crypto

        self.client_certificates: list[str] = []
        self.connections = 0
        ctx = SSL.Context(SSL.TLS_SERVER_METHOD)
        ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
        if tls12_only:
            ctx.set_max_proto_version(SSL.TLS1_2_VERSION)
        ctx.use_certificate(server.certificate.x509)
        assert server.key is not None
        ctx.use_privatekey(server.key)  # type: ignore[arg-type]
        for cert in server.chain:
            ctx.add_extra_chain_cert(cert.x509)
        store = ctx.get_cert_store()
        assert store is not None
        for root in client_roots:
            store.add_cert(crypto.X509.from_cryptography(root.x509))

        def count(conn: SSL.Connection, cert: crypto.X509, errno: int, depth: int, ok: int) -> bool:
            if depth == 0 and not self._seen(conn):
                self.client_certificates.append(cert.to_cryptography().subject.rfc4514_string())
                self._mark(conn)
            return bool(ok)

        mode = SSL.VERIFY_PEER | (SSL.VERIFY_FAIL_IF_NO_PEER_CERT if require else 0)
        ctx.set_verify(mode, count)
        self.context = ctx
        self._counted: set[int] = set()
        super().__init__(status=status)

    def _seen(self, conn: object) -> bool:
        return id(conn) in self._counted

    def _mark(self, conn: object) -> None:
        self._counted.add(id(conn))

    def serve(self, sock: socket.socket) -> None:
        from OpenSSL import SSL

        self.connections += 1
        sock.setblocking(True)  # pyOpenSSL on a blocking socket; stop() shuts it down if need be
        conn = SSL.Connection(self.context, sock)
        conn.set_accept_state()
        try:
            conn.do_handshake()
        except (SSL.Error, OSError) as exc:
            self.errors.append(f"handshake: {exc}")
            return
        finally:
            self._counted.discard(id(conn))
        self.handshakes.append(conn.get_protocol_version_name())
        try:
            self.answer(conn.recv, conn.sendall)
        except (SSL.Error, OSError) as exc:
            self.errors.append(f"after handshake: {exc}")
            return
        with contextlib.suppress(SSL.Error, OSError):
            conn.shutdown()
