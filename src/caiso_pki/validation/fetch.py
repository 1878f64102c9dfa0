"""A small, hardened HTTP client for revocation data: CRLs, OCSP responses and caIssuers certificates.

The URLs we fetch come out of certificates, and certificates can come from anyone, so every fetch is
treated as talking to a hostile server:

* only ``http`` and ``https`` (configurable down to one of them), no credentials in URLs;
* an optional host allow-list, checked on the first URL and on every redirect;
* a connect timeout and a *total* deadline: a watchdog shuts the socket down when the deadline passes,
  so a server that drips one byte a second cannot keep us waiting past it;
* a response size cap, checked against ``Content-Length`` before reading and while reading (chunked or
  unterminated bodies stop at the cap);
* at most ``max_redirects`` redirects (default 3), loops detected, and never to another scheme except
  ``http`` -> ``https`` (an upgrade; ``https`` -> ``http`` and anything -> ``file``/``ftp`` are refused);
* a content-type check (:data:`ACCEPTED_CONTENT_TYPES`): a captive portal's HTML page is reported as
  such instead of as "garbage DER";
* any status other than 200 is an error naming the status.

Every failure is a :class:`~caiso_pki.errors.FetchError` whose message names the URL and what happened.

Name resolution (``getaddrinfo``) is not covered by the deadline: the standard library cannot interrupt
it.  Use IP addresses or a local resolver with its own timeout where that matters.

To fetch some other way (a proxy, a corporate HTTP client, a recorded fixture), implement the
:class:`Fetcher` protocol and pass it as ``Validator(fetch=True, fetcher=...)``.
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import socket
import ssl
import threading
import time
import urllib.parse
from collections.abc import Iterable
from typing import Final, Literal, Protocol, runtime_checkable

import attrs

from caiso_pki._convert import count, field_check, positive_number, texts
from caiso_pki.errors import FetchError, MalformedInputError

__all__ = [
    "ACCEPTED_CONTENT_TYPES",
    "CRL_MAX_BYTES",
    "DEFAULT_TIMEOUT",
    "OCSP_MAX_BYTES",
    "Fetcher",
    "HttpFetcher",
]

logger = logging.getLogger(__name__)

#: Default cap on a CRL download (10 MiB): large national CRLs are a few MiB.
CRL_MAX_BYTES: Final = 10 * 1024 * 1024
#: Default cap on an OCSP response or a caIssuers certificate download (1 MiB).
OCSP_MAX_BYTES: Final = 1024 * 1024
#: Default total time for one fetch, redirects included, in seconds.
DEFAULT_TIMEOUT: Final = 10.0

#: Response content types :class:`HttpFetcher` accepts.  The first group is what RFC 5280 and RFC 6960
#: prescribe; ``application/octet-stream`` and the PKCS#7 types are what real CRL/caIssuers servers send.
#: A response without a ``Content-Type`` header is accepted (the body is parsed and checked anyway).
ACCEPTED_CONTENT_TYPES: Final = frozenset(
    {
        "application/pkix-crl",
        "application/ocsp-response",
        "application/pkix-cert",
        "application/x-x509-ca-cert",
        "application/octet-stream",
        "binary/octet-stream",
        "application/x-pkcs7-crl",
        "application/pkcs7-mime",
        "application/x-pkcs7-certificates",
    }
)

_SUPPORTED_SCHEMES: Final = frozenset({"http", "https"})
_REDIRECT_STATUSES: Final = frozenset({301, 302, 303, 307, 308})
_DEFAULT_PORTS: Final = {"http": 80, "https": 443}
_CHUNK: Final = 64 * 1024


@runtime_checkable
class Fetcher(Protocol):
    """Something that performs one HTTP request and returns the response body.

    Implementations must raise :class:`~caiso_pki.errors.FetchError` for every failure (including a
    non-200 status), give up after ``timeout`` seconds in total, and never return more than
    ``max_bytes`` bytes.  ``content_type`` is the type of the request ``body`` (for OCSP POSTs).
    """

    def fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        body: bytes | None = None,
        content_type: str | None = None,
        timeout: float,
        max_bytes: int,
    ) -> bytes:
        """Fetch ``url`` and return the body."""
        ...


def _frozen_lower(values: Iterable[str] | str | None, what: str) -> frozenset[str]:
    if values is None:
        return frozenset()
    return frozenset(value.strip().lower() for value in texts(values, what))


def _content_types(values: Iterable[str] | str) -> frozenset[str]:
    return _frozen_lower(values, "accepted_content_types")


def _schemes(values: Iterable[str] | str) -> frozenset[str]:
    if values is None:
        raise MalformedInputError("allowed_schemes: expected 'http', 'https' or both, got None")
    schemes = _frozen_lower(values, "allowed_schemes")
    unsupported = schemes - _SUPPORTED_SCHEMES
    if unsupported or not schemes:
        raise MalformedInputError(
            f"allowed_schemes {sorted(schemes)!r}: only 'http' and 'https' can be fetched "
            "(and at least one must be allowed)"
        )
    return schemes


def _hosts(values: Iterable[str] | str | None) -> frozenset[str] | None:
    return None if values is None else _frozen_lower(values, "allowed_hosts")


def _policy(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or value not in ("reject", "warn"):
        raise MalformedInputError(f"{attribute.name}: expected 'reject' or 'warn', got {value!r}")


def _redact(url: str) -> str:
    """``url`` without any ``user:password@`` part, for messages."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return repr(url)[:200]
    if parts.username is None and parts.password is None:
        return url
    netloc = parts.hostname or ""
    if parts.port is not None:
        netloc = f"{netloc}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


class _Watchdog:
    """Shuts a socket down at the deadline, waking any read that is blocked on it."""

    def __init__(self, seconds: float) -> None:
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self.fired = False
        self._timer = threading.Timer(max(seconds, 0.0), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def attach(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            fired = self.fired
        if fired:
            self._shutdown(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sock = self._sock
        if sock is not None:
            self._shutdown(sock)

    @staticmethod
    def _shutdown(sock: socket.socket) -> None:
        # socket.socket.shutdown, not SSLSocket.shutdown: the latter tears down the TLS object under a
        # reader in another thread; the plain shutdown just makes that reader see end-of-file.
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def cancel(self) -> None:
        self._timer.cancel()


@attrs.frozen(kw_only=True)
class HttpFetcher:
    """The default :class:`Fetcher`: ``http.client`` with the limits described in this module.

    :param allowed_schemes: ``("http", "https")`` by default; a subset of those two.
    :param allowed_hosts: when set, only these host names (case-insensitive) are contacted, on the first
        request and after every redirect; ``"*.example.com"`` matches any subdomain of example.com.
    :param max_redirects: redirects followed per fetch (3 by default; 0 refuses all redirects).
    :param connect_timeout: seconds to establish the TCP connection (also bounded by the deadline).
    :param content_type_policy: ``"reject"`` (default) refuses a response whose ``Content-Type`` is not
        in ``accepted_content_types``; ``"warn"`` logs a warning on the ``caiso_pki.validation.fetch``
        logger and returns the body.
    :param ssl_context: used for ``https``; by default :func:`ssl.create_default_context` (system CAs).
    """

    allowed_schemes: frozenset[str] = attrs.field(default=("http", "https"), converter=_schemes)
    allowed_hosts: frozenset[str] | None = attrs.field(default=None, converter=_hosts)
    max_redirects: int = attrs.field(default=3, validator=field_check(count))
    connect_timeout: float = attrs.field(default=5.0, validator=field_check(positive_number))
    content_type_policy: Literal["reject", "warn"] = attrs.field(default="reject", validator=_policy)
    accepted_content_types: frozenset[str] = attrs.field(
        default=ACCEPTED_CONTENT_TYPES, converter=_content_types
    )
    user_agent: str = "caiso-pki"
    ssl_context: ssl.SSLContext | None = attrs.field(default=None, eq=False, repr=False)

    def fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        body: bytes | None = None,
        content_type: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_bytes: int = CRL_MAX_BYTES,
    ) -> bytes:
        """Fetch ``url`` within ``timeout`` seconds in total and return at most ``max_bytes`` of body.

        Raises :class:`~caiso_pki.errors.FetchError` on every failure: refused URL, connection error,
        timeout, non-200 status, oversize body, bad redirect, unacceptable content type.
        """
        if not timeout > 0:
            raise FetchError(f"{_redact(url)}: timeout must be positive, got {timeout!r}")
        if max_bytes <= 0:
            raise FetchError(f"{_redact(url)}: max_bytes must be positive, got {max_bytes!r}")
        method = method.upper()
        if method not in ("GET", "POST"):
            raise FetchError(f"{_redact(url)}: only GET and POST are supported, not {method!r}")
        deadline = time.monotonic() + timeout
        original = url
        seen: set[str] = set()
        redirects = 0
        while True:
            self._check_url(url, original=original)
            seen.add(url)
            status, location, data = self._request(
                url,
                method=method,
                body=body,
                content_type=content_type,
                deadline=deadline,
                timeout=timeout,
                max_bytes=max_bytes,
            )
            if location is None:
                return data
            target = urllib.parse.urljoin(url, location)
            where = (
                _redact(url) if url == original else f"{_redact(url)} (redirected from {_redact(original)})"
            )
            if redirects >= self.max_redirects:
                raise FetchError(
                    f"{where}: HTTP {status} redirect to {_redact(target)}; "
                    f"more than {self.max_redirects} redirects, giving up"
                )
            if target in seen:
                raise FetchError(f"{where}: redirect loop (HTTP {status} back to {_redact(target)})")
            old_scheme = urllib.parse.urlsplit(url).scheme.lower()
            new_scheme = urllib.parse.urlsplit(target).scheme.lower()
            if new_scheme != old_scheme and not (old_scheme == "http" and new_scheme == "https"):
                raise FetchError(
                    f"{where}: refusing HTTP {status} redirect from {old_scheme}: to {new_scheme or '?'}: "
                    f"({_redact(target)}); only same-scheme and http-to-https redirects are followed"
                )
            if status == 303:
                method, body, content_type = "GET", None, None
            redirects += 1
            url = target

    # -- one request -------------------------------------------------------------------------------

    def _check_url(self, url: str, *, original: str) -> None:
        shown = _redact(url)
        suffix = "" if url == original else f" (redirected from {_redact(original)})"
        try:
            parts = urllib.parse.urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise FetchError(f"{shown}{suffix}: not a valid URL ({exc})") from exc
        scheme = parts.scheme.lower()
        if scheme not in self.allowed_schemes:
            raise FetchError(
                f"{shown}{suffix}: scheme {scheme or '(none)'!r} is not allowed "
                f"(allowed: {', '.join(sorted(self.allowed_schemes))})"
            )
        if parts.username is not None or parts.password is not None:
            raise FetchError(f"{shown}{suffix}: URLs with credentials are refused")
        host = (parts.hostname or "").lower()
        if not host:
            raise FetchError(f"{shown}{suffix}: no host in URL")
        if port is not None and not 0 < port < 65536:
            raise FetchError(f"{shown}{suffix}: port {port} out of range")
        if self.allowed_hosts is not None and not self._host_allowed(host):
            raise FetchError(
                f"{shown}{suffix}: host {host!r} is not in the allow-list "
                f"({', '.join(sorted(self.allowed_hosts)) or 'empty'})"
            )

    def _host_allowed(self, host: str) -> bool:
        assert self.allowed_hosts is not None
        for pattern in self.allowed_hosts:
            if pattern.startswith("*."):
                if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                    return True
            elif host == pattern:
                return True
        return False

    def _request(
        self,
        url: str,
        *,
        method: str,
        body: bytes | None,
        content_type: str | None,
        deadline: float,
        timeout: float,
        max_bytes: int,
    ) -> tuple[int, str | None, bytes]:
        """One request/response; returns (status, redirect location or None, body)."""
        shown = _redact(url)
        parts = urllib.parse.urlsplit(url)
        scheme = parts.scheme.lower()
        host = parts.hostname or ""
        port = parts.port or _DEFAULT_PORTS[scheme]
        target = urllib.parse.urlunsplit(("", "", parts.path or "/", parts.query, ""))
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"{shown}: timed out after {timeout:g} s (total deadline)")
        watchdog = _Watchdog(remaining)
        conn: http.client.HTTPConnection | None = None
        sock: socket.socket | None = None
        try:
            sock = socket.create_connection((host, port), timeout=min(self.connect_timeout, remaining))
            watchdog.attach(sock)
            sock.settimeout(max(deadline - time.monotonic(), 0.001))
            if scheme == "https":
                context = self.ssl_context or ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=host)
                watchdog.attach(sock)
                conn = http.client.HTTPSConnection(host, port, context=context)
            else:
                conn = http.client.HTTPConnection(host, port)
            conn.sock = sock
            headers = {
                "User-Agent": self.user_agent,
                "Accept": ", ".join(sorted(self.accepted_content_types)) or "*/*",
                "Accept-Encoding": "identity",
                "Connection": "close",
            }
            if body is not None:
                headers["Content-Type"] = content_type or "application/octet-stream"
            conn.request(method, target, body=body, headers=headers)
            response = conn.getresponse()
            # With Connection: close, http.client hands the socket to the response; closing the
            # connection alone leaves the descriptor open until the response is closed too.
            try:
                status = response.status
                if status in _REDIRECT_STATUSES:
                    location = response.getheader("Location")
                    if not location:
                        raise FetchError(f"{shown}: HTTP {status} redirect without a Location header")
                    return status, location.strip(), b""
                if status != 200:
                    reason = (response.reason or "").strip()[:100]
                    raise FetchError(f"{shown}: HTTP {status} {reason}".rstrip() + " (expected 200)")
                self._check_content_type(shown, response.getheader("Content-Type"))
                length = response.getheader("Content-Length")
                if length is not None and length.strip().isdigit() and int(length) > max_bytes:
                    raise FetchError(
                        f"{shown}: response of {int(length)} bytes (Content-Length) exceeds the "
                        f"{max_bytes}-byte limit"
                    )
                chunks: list[bytes] = []
                total = 0
                while True:
                    chunk = response.read(min(_CHUNK, max_bytes + 1 - total))
                    if not chunk:
                        break
                    total += len(chunk)
                    if total > max_bytes:
                        raise FetchError(
                            f"{shown}: response body exceeds the {max_bytes}-byte limit; aborted"
                        )
                    chunks.append(chunk)
                    if time.monotonic() >= deadline:
                        raise FetchError(
                            f"{shown}: timed out after {timeout:g} s (total deadline) reading body"
                        )
                if watchdog.fired:
                    raise FetchError(f"{shown}: timed out after {timeout:g} s (total deadline)")
                return status, None, b"".join(chunks)
            finally:
                response.close()
        except FetchError:
            raise
        except ssl.SSLCertVerificationError as exc:
            raise FetchError(f"{shown}: TLS certificate verification failed: {exc.verify_message}") from exc
        except (OSError, http.client.HTTPException, ValueError) as exc:
            if watchdog.fired or time.monotonic() >= deadline or isinstance(exc, TimeoutError):
                raise FetchError(f"{shown}: timed out after {timeout:g} s (total deadline)") from exc
            raise FetchError(f"{shown}: {_describe(exc)}") from exc
        finally:
            watchdog.cancel()
            if conn is not None:
                conn.close()
            elif sock is not None:
                sock.close()

    def _check_content_type(self, shown: str, header: str | None) -> None:
        if header is None:
            return
        media = header.split(";", 1)[0].strip().lower()
        if media in self.accepted_content_types:
            return
        message = (
            f"{shown}: unexpected Content-Type {media!r} "
            f"(expected one of {', '.join(sorted(self.accepted_content_types))})"
        )
        if self.content_type_policy == "reject":
            raise FetchError(message)
        logger.warning("%s; using the body anyway", message)


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, ConnectionResetError):
        return "connection reset by peer"
    if isinstance(exc, socket.gaierror):
        return f"cannot resolve host ({exc.strerror or exc})"
    if isinstance(exc, http.client.IncompleteRead):
        return f"connection closed after {len(exc.partial)} bytes of the body"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "server closed the connection without a response"
    if isinstance(exc, http.client.HTTPException):
        return f"malformed HTTP response ({type(exc).__name__}: {str(exc)[:100]})"
    if isinstance(exc, ssl.SSLError):
        return f"TLS error ({exc.reason or exc})"
    if isinstance(exc, OSError):
        return f"network error ({exc.strerror or exc})"
    return f"{type(exc).__name__}: {str(exc)[:200]}"
