"""One TLS connection with pyOpenSSL, recording what happened on the wire for :mod:`caiso_pki.connection`.

This module observes, with one exception that is a guarantee: the server's chain is handed to the
caller's ``server_check`` *during* the handshake, as soon as it arrives, and when that check says no the
handshake is aborted there, so no client certificate is presented and no request is sent to a server
that failed verification (``continue_after_untrusted_server=True`` goes on, for diagnosis only).
Otherwise it connects, runs the handshake, reads the server's verdict on our client certificate,
optionally sends one HTTP request, and writes the facts into a :class:`Probe`.  What they mean (pass
or fail, the reason, what to do) is decided in :mod:`caiso_pki.connection`, which imports this module
only when :func:`~caiso_pki.connection.connect` runs, so importing ``caiso_pki.connection`` does not
import pyOpenSSL.

The socket is non-blocking and every wait is bounded by a deadline (``selectors``), because pyOpenSSL
works on the raw file descriptor and would otherwise block past any socket timeout.
"""

from __future__ import annotations

import contextlib
import functools
import re
import selectors
import socket
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Final, Literal, TypeVar

import attrs
from OpenSSL import SSL, crypto

from caiso_pki.certificate import Certificate
from caiso_pki.errors import CaisoPkiError

if TYPE_CHECKING:
    from cryptography import x509

    from caiso_pki.connection import ClientCredential

__all__ = ["TLS1_2", "Probe", "ServerCheck", "TcpFailure", "probe"]

T = TypeVar("T")
TcpFailure = Literal["resolve", "refused", "timeout", "other"]

#: The protocol version number of TLS 1.2 (``SSL_version``); anything lower is refused.
TLS1_2: Final = 0x0303
#: How long an https probe waits for a TLS 1.3 server's verdict on our certificate before sending the
#: request anyway (the HTTP answer then settles it); a HOST:PORT probe waits the whole timeout.
_CONFIRM_SECONDS: Final = 1.0
_MAX_STATUS_LINE: Final = 8192
_STATUS_LINE: Final = re.compile(rb"HTTP/\d(?:\.\d)? (\d{3})(?: ([^\r\n]*))?\r?\n")

# Substrings of OpenSSL's handshake state names (SSL_state_string_long), the same for TLS 1.2 and 1.3.
_SERVER_HELLO: Final = "read server hello"
_CERT_REQUEST: Final = "read server certificate request"
_TICKET: Final = "read server session ticket"


@attrs.define
class Probe:
    """What one connection showed, filled in as it went.

    ``handshake_error`` and ``post_error`` hold OpenSSL's reason (:func:`ssl_reason`); ``post_error``
    is an alert or close after a completed handshake (TLS 1.3's answer to our certificate).
    ``confirmed`` says what showed that the server accepted our certificate, if anything did.
    """

    states: list[str] = attrs.field(factory=list)
    tcp_failure: TcpFailure | None = None
    tcp_detail: str = ""
    connect_seconds: float | None = None
    credential_sent: bool = False
    credential_error: str | None = None
    handshake_done: bool = False
    handshake_timeout: bool = False
    handshake_error: str | None = None
    version: int | None = None
    version_name: str | None = None
    cipher: str | None = None
    peer_chain: tuple[Certificate, ...] = ()
    peer_chain_error: str | None = None
    ca_names: tuple[x509.Name, ...] = ()
    post_error: str | None = None
    confirmed: str | None = None
    http_status: int | None = None
    http_reason: str | None = None
    http_error: str | None = None
    #: what ``server_check`` said about the server's chain (``None``: it was never asked)
    server_accepted: bool | None = None
    server_check_error: str | None = None
    #: True when the handshake was aborted because the server's chain failed ``server_check``
    stopped_untrusted: bool = False

    @property
    def server_hello(self) -> bool:
        """The server answered our ClientHello (a protocol version was agreed)."""
        return self._saw(_SERVER_HELLO)

    @property
    def older_than_tls1_2(self) -> bool:
        """A protocol below TLS 1.2 was negotiated (never offered by us; checked all the same)."""
        return self.version is not None and self.version < TLS1_2

    @property
    def certificate_requested(self) -> bool:
        """The server sent a CertificateRequest."""
        return self._saw(_CERT_REQUEST)

    def _saw(self, fragment: str) -> bool:
        return any(fragment in state for state in self.states)


def ssl_reason(exc: BaseException) -> str:
    """OpenSSL's reason for a failure, in words a person can search for (``TLS alert 'unknown ca'``)."""
    if isinstance(exc, SSL.ZeroReturnError):
        return "the server closed the TLS connection"
    if isinstance(exc, SSL.SysCallError):
        code = exc.args[0] if exc.args else -1
        if code == -1:
            return "the server closed the connection"
        if code in (104, 10054):  # ECONNRESET, WSAECONNRESET
            return "the server reset the connection"
        return f"connection error ({exc.args[1] if len(exc.args) > 1 else code})"
    if isinstance(exc, OSError):
        return f"connection error ({exc.strerror or exc})"
    details = exc.args[0] if exc.args and isinstance(exc.args[0], list) else []
    reasons = [str(item[2]) for item in details if isinstance(item, tuple) and len(item) >= 3 and item[2]]
    text = "; ".join(dict.fromkeys(reasons)) or "the TLS connection failed"
    match = re.search(r"alert (.+)$", text)
    return f"TLS alert '{match.group(1)}'" if match else text


def _wait(sock: socket.socket, events: int, deadline: float) -> bool:
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        return False
    with selectors.DefaultSelector() as selector:
        selector.register(sock, events)
        return bool(selector.select(remaining))


def _drive(sock: socket.socket, operation: Callable[[], T], deadline: float) -> T:
    """Run a non-blocking pyOpenSSL operation to completion, or raise TimeoutError at ``deadline``."""
    while True:
        try:
            return operation()
        except SSL.WantReadError:
            events = selectors.EVENT_READ
        except SSL.WantWriteError:
            events = selectors.EVENT_WRITE
        if not _wait(sock, events, deadline):
            raise TimeoutError


#: What the caller's check of the server's chain (leaf first, as sent) answers: may we go on?
ServerCheck = Callable[[tuple[Certificate, ...]], bool]


def _verifier(
    probe: Probe, server_check: ServerCheck, *, continue_after_untrusted_server: bool
) -> Callable[[SSL.Connection, object, int, int, int], bool]:
    """OpenSSL's verify callback: ask ``server_check`` once, about the whole chain as sent.

    OpenSSL calls it for each certificate of the chain, before the client sends its own certificate
    (TLS 1.2 and 1.3 alike); returning False aborts the handshake right there.  OpenSSL's own verdict
    is ignored: no trust is loaded into it, so it has none worth having.
    """
    decision: list[bool] = []

    def verify(conn: SSL.Connection, cert: object, errno: int, depth: int, ok: int) -> bool:
        if not decision:
            try:
                chain = conn.get_peer_cert_chain(as_cryptography=True) or []
                probe.peer_chain = tuple(Certificate.from_cryptography(item) for item in chain)
                probe.server_accepted = bool(server_check(probe.peer_chain))
            except Exception as exc:  # fail closed: a check that cannot be completed says no
                probe.server_accepted = False
                probe.server_check_error = f"{type(exc).__name__}: {exc}"
            go_on = probe.server_accepted or continue_after_untrusted_server
            probe.stopped_untrusted = not go_on
            decision.append(go_on)
        return decision[0]

    return verify


def _context(
    credential: ClientCredential | None,
    probe: Probe,
    server_check: ServerCheck,
    *,
    continue_after_untrusted_server: bool,
) -> SSL.Context:
    ctx = SSL.Context(SSL.TLS_CLIENT_METHOD)
    ctx.set_min_proto_version(SSL.TLS1_2_VERSION)
    # No trust loaded into OpenSSL (never the OS list): the chain as sent goes to the caller's check,
    # whose answer decides, before our certificate is sent, whether the handshake may go on.
    ctx.set_verify(
        SSL.VERIFY_PEER,
        _verifier(probe, server_check, continue_after_untrusted_server=continue_after_untrusted_server),
    )
    ctx.set_info_callback(
        lambda conn, where, ret: probe.states.append(conn.get_state_string().decode("ascii", "replace"))
    )
    if credential is not None:
        ctx.use_certificate(credential.certificate.x509)
        ctx.use_privatekey(credential.key)  # type: ignore[arg-type]
        for cert in credential.chain:
            ctx.add_extra_chain_cert(cert.x509)
        ctx.check_privatekey()
    return ctx


def _tcp(host: str, port: int, timeout: float, probe: Probe) -> socket.socket | None:
    start = time.perf_counter()
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except socket.gaierror as exc:
        probe.tcp_failure, probe.tcp_detail = "resolve", str(exc.strerror or exc)
        return None
    except ConnectionRefusedError:
        probe.tcp_failure = "refused"
        return None
    except TimeoutError:
        probe.tcp_failure = "timeout"
        return None
    except OSError as exc:
        probe.tcp_failure, probe.tcp_detail = "other", str(exc.strerror or exc)
        return None
    probe.connect_seconds = time.perf_counter() - start
    return sock


def probe(
    host: str,
    port: int,
    *,
    credential: ClientCredential | None,
    sni: bytes | None,
    http_path: str | None,
    http_host: str,
    method: str | None,
    timeout: float,
    server_check: ServerCheck,
    continue_after_untrusted_server: bool = False,
) -> Probe:
    """Connect, handshake, read the server's verdict on our certificate, then (``http_path``) ask over HTTP.

    ``server_check`` gets the server's chain as sent (leaf first) during the handshake; unless it
    answers True, the handshake is aborted before ``credential`` is presented and nothing else is sent
    (``stopped_untrusted``), except with ``continue_after_untrusted_server``.  Each network wait is
    bounded by ``timeout`` seconds.  Nothing raises: every outcome is in the result.
    """
    result = Probe()
    sock = _tcp(host, port, timeout, result)
    if sock is None:
        return result
    conn: SSL.Connection | None = None
    options = {"continue_after_untrusted_server": continue_after_untrusted_server}
    try:
        sock.setblocking(False)
        try:
            ctx = _context(credential, result, server_check, **options)
            result.credential_sent = credential is not None
        except (SSL.Error, crypto.Error, TypeError, ValueError) as exc:
            result.credential_error = ssl_reason(exc) if isinstance(exc, SSL.Error) else str(exc)
            ctx = _context(None, result, server_check, **options)
        conn = SSL.Connection(ctx, sock)
        if sni is not None:
            conn.set_tlsext_host_name(sni)
        conn.set_connect_state()
        try:
            _drive(sock, conn.do_handshake, time.monotonic() + timeout)
            result.handshake_done = True
        except TimeoutError:
            result.handshake_timeout = True
        except SSL.Error as exc:
            result.handshake_error = ssl_reason(exc)
        if result.stopped_untrusted:
            # The client certificate was never sent: the handshake ended at the server's Certificate.
            result.credential_sent = False
        _record_handshake(conn, result)
        if result.handshake_done and result.version is not None and result.version >= TLS1_2:
            _after_handshake(
                conn, sock, result, http_path=http_path, http_host=http_host, method=method, timeout=timeout
            )
    finally:
        if conn is not None and result.handshake_done:
            with contextlib.suppress(SSL.Error, OSError):
                conn.shutdown()  # one close_notify, without waiting for the server's
        sock.close()
    return result


def _record_handshake(conn: SSL.Connection, result: Probe) -> None:
    if not result.server_hello:
        return
    result.version = conn.get_protocol_version()
    result.version_name = conn.get_protocol_version_name()
    result.cipher = conn.get_cipher_name()
    if not result.peer_chain:
        try:
            chain = conn.get_peer_cert_chain(as_cryptography=True) or []
            result.peer_chain = tuple(Certificate.from_cryptography(cert) for cert in chain)
        except (CaisoPkiError, ValueError) as exc:
            result.peer_chain_error = str(exc)
    result.ca_names = tuple(conn.get_client_ca_list(as_cryptography=True))


def _after_handshake(
    conn: SSL.Connection,
    sock: socket.socket,
    result: Probe,
    *,
    http_path: str | None,
    http_host: str,
    method: str | None,
    timeout: float,
) -> None:
    requested = result.certificate_requested
    if requested and result.version == TLS1_2:
        # The server's Finished comes after it has checked our certificate.
        result.confirmed = "the TLS 1.2 handshake completed"
    elif requested:
        window = min(timeout, _CONFIRM_SECONDS) if http_path is not None and method else timeout
        _await_verdict(conn, sock, result, time.monotonic() + window)
    if http_path is None or method is None or result.post_error is not None:
        return
    try:
        result.http_status, result.http_reason = _http(
            conn, sock, method=method, path=http_path, host=http_host, deadline=time.monotonic() + timeout
        )
    except TimeoutError:
        result.http_error = f"no HTTP answer within {timeout:g} s"
        return
    except ValueError as exc:
        result.http_error = str(exc)
        return
    except (SSL.Error, OSError) as exc:
        if requested and result.confirmed is None:
            result.post_error = ssl_reason(exc)  # TLS 1.3: the server's answer to our certificate
        else:
            result.http_error = ssl_reason(exc)
        return
    if result.confirmed is None:
        result.confirmed = "the server answered the HTTP request"


def _await_verdict(conn: SSL.Connection, sock: socket.socket, result: Probe, deadline: float) -> None:
    """TLS 1.3: read until the server's verdict on our certificate (an alert, a ticket or data)."""
    while True:
        try:
            conn.recv(1)
        except SSL.WantReadError:
            if result._saw(_TICKET):
                result.confirmed = "the server sent a session ticket after our certificate"
                return
            if not _wait(sock, selectors.EVENT_READ, deadline):
                return
            continue
        except SSL.WantWriteError:
            if not _wait(sock, selectors.EVENT_WRITE, deadline):
                return
            continue
        except (SSL.Error, OSError) as exc:
            result.post_error = ssl_reason(exc)
            return
        result.confirmed = "the server sent data after our certificate"
        return


def _http(
    conn: SSL.Connection, sock: socket.socket, *, method: str, path: str, host: str, deadline: float
) -> tuple[int, str]:
    """Send one request and read the status line of the answer."""
    from caiso_pki import __version__

    request = (
        f"{method} {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: caiso-pki/{__version__} (connect)\r\n"
        "Accept: */*\r\nConnection: close\r\n\r\n"
    ).encode("ascii")
    sent = 0
    while sent < len(request):
        sent += _drive(sock, functools.partial(conn.send, request[sent:]), deadline)
    buffer = b""
    while b"\n" not in buffer:
        if len(buffer) > _MAX_STATUS_LINE:
            raise ValueError("the answer does not start with an HTTP status line")
        chunk = _drive(sock, functools.partial(conn.recv, 4096), deadline)
        if not chunk:
            break
        buffer += chunk
    match = _STATUS_LINE.match(buffer)
    if match is None:
        raise ValueError("the answer is not HTTP (no status line)")
    return int(match.group(1)), match.group(2).decode("latin-1").strip() if match.group(2) else ""
