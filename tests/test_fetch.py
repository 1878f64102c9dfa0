"""The hardened HTTP fetcher against real, misbehaving servers on 127.0.0.1."""

from __future__ import annotations

import logging
import re
import ssl
import time
from pathlib import Path

import pytest

from _misbehaving import (
    RawServer,
    endless_body,
    lying_length,
    redirect_map,
    respond,
    silent,
    slow_drip,
)
from caiso_pki import testing
from caiso_pki.errors import FetchError, MalformedInputError, RevocationError
from caiso_pki.validation.fetch import OCSP_MAX_BYTES, Fetcher, HttpFetcher

TIMEOUT = 2.0
MIB = 1024 * 1024


def timed_failure(fetcher: HttpFetcher, url: str, **kwargs: object) -> tuple[FetchError, float]:
    """Fetch ``url`` expecting FetchError; return it and the elapsed time (printed, never asserted).

    That a deadline holds is shown by the message, not the clock: the hanging servers of
    ``_misbehaving`` close the connection after ``HOLD`` (120 s), so a client that ignored its 2 s
    timeout would fail with "closed the connection" instead of "timed out after 2 s".
    """
    kwargs.setdefault("timeout", TIMEOUT)
    kwargs.setdefault("max_bytes", MIB)
    start = time.monotonic()
    with pytest.raises(FetchError) as info:
        fetcher.fetch(url, **kwargs)  # type: ignore[arg-type]
    elapsed = time.monotonic() - start
    print(f"\n{url}: {elapsed:.2f} s: {info.value}")
    return info.value, elapsed


def test_plain_fetch_returns_body() -> None:
    with RawServer(respond(200, b"\x30\x03\x02\x01\x05")) as server:
        assert (
            HttpFetcher().fetch(server.url("/x.crl"), timeout=TIMEOUT, max_bytes=MIB)
            == b"\x30\x03\x02\x01\x05"
        )
        head = server.requests[0]
        assert head.startswith(b"GET /x.crl HTTP/1.1")
        assert b"Accept: " in head and b"application/pkix-crl" in head


def test_post_sends_body_and_content_type() -> None:
    with RawServer(respond(200, b"ok", content_type="application/ocsp-response")) as server:
        body = HttpFetcher().fetch(
            server.url("/ocsp"),
            method="POST",
            body=b"\x30\x00",
            content_type="application/ocsp-request",
            timeout=TIMEOUT,
            max_bytes=OCSP_MAX_BYTES,
        )
    assert body == b"ok"
    assert server.requests[0].startswith(b"POST /ocsp HTTP/1.1")
    assert b"Content-Type: application/ocsp-request" in server.requests[0]


def test_http_fetcher_satisfies_protocol() -> None:
    assert isinstance(HttpFetcher(), Fetcher)


def test_fetch_error_is_a_revocation_error() -> None:
    assert issubclass(FetchError, RevocationError)


MISBEHAVING: list[tuple[str, object, int, str]] = [
    ("slow drip in the headers", slow_drip(0.5), MIB, "timed out after 2 s"),
    ("slow drip in the body", slow_drip(0.5, after_headers=True), MIB, "timed out after 2 s"),
    ("silent server", silent, MIB, "timed out after 2 s"),
    ("endless body", endless_body(), MIB, "exceeds the 1048576-byte limit"),
    ("endless chunked body", endless_body(chunked=True), MIB, "exceeds the 1048576-byte limit"),
    ("oversize Content-Length", lying_length(200 * MIB), 10 * MIB, r"\(Content-Length\) exceeds"),
    ("HTML instead of DER", respond(200, b"<html>login</html>", content_type="text/html"), MIB, "text/html"),
    ("HTTP 500", respond(500, b"oops", content_type="text/plain"), MIB, "HTTP 500"),
    ("HTTP 404", respond(404, b"no", content_type="text/plain"), MIB, "HTTP 404"),
    ("HTTP 204", respond(204, b"", content_type=None), MIB, "HTTP 204"),
    ("redirect loop", redirect_map({"/a": "/b", "/b": "/a"}), MIB, "redirect loop"),
    (
        "too many redirects",
        redirect_map({"/a": "/r0", **{f"/r{i}": f"/r{i + 1}" for i in range(10)}}),
        MIB,
        "more than 3 redirects",
    ),
    ("redirect to file://", redirect_map({"/a": "file:///etc/passwd"}), MIB, "from http: to file:"),
    ("redirect to ftp://", redirect_map({"/a": "ftp://127.0.0.1/x.crl"}), MIB, "from http: to ftp:"),
    ("redirect without Location", respond(302, b"", content_type=None), MIB, "without a Location"),
    (
        "garbage status line",
        lambda conn, head, stop: conn.sendall(b"SSH-2.0-OpenSSH\r\n\r\n"),
        MIB,
        "malformed",
    ),
    ("connection closed", lambda conn, head, stop: None, MIB, "closed the connection|connection reset"),
]


@pytest.mark.parametrize(
    ("case", "handler", "max_bytes", "expected"), MISBEHAVING, ids=[case[0] for case in MISBEHAVING]
)
def test_misbehaving_server_yields_fetch_error(
    case: str, handler: object, max_bytes: int, expected: str
) -> None:
    with RawServer(handler) as server:  # type: ignore[arg-type]
        url = server.url("/a")
        error, _ = timed_failure(HttpFetcher(), url, max_bytes=max_bytes)
    assert re.search(expected, str(error)), str(error)
    assert "/a" in str(error)  # the message names the URL


def test_redirects_within_limit_are_followed() -> None:
    with RawServer(redirect_map({"/r0": "/r1", "/r1": "/r2", "/r2": "/r3"}, final=b"DER!")) as server:
        assert HttpFetcher().fetch(server.url("/r0"), timeout=TIMEOUT, max_bytes=MIB) == b"DER!"
        assert (
            HttpFetcher(max_redirects=0).fetch(server.url("/r3"), timeout=TIMEOUT, max_bytes=MIB) == b"DER!"
        )
        error, _ = timed_failure(HttpFetcher(max_redirects=0), server.url("/r2"))
    assert "more than 0 redirects" in str(error)


def test_connection_refused() -> None:
    server = RawServer(respond(200, b"x"))
    url = server.url("/gone.crl")
    server.stop()
    error, _ = timed_failure(HttpFetcher(), url)
    assert "connection refused" in str(error)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("file:///etc/passwd", "scheme 'file' is not allowed"),
        ("ftp://127.0.0.1/x.crl", "scheme 'ftp' is not allowed"),
        ("ldap://127.0.0.1/cn=CA?certificateRevocationList", "scheme 'ldap' is not allowed"),
        ("gopher://127.0.0.1:70/", "scheme 'gopher' is not allowed"),
        ("127.0.0.1/x.crl", "scheme '(none)' is not allowed"),
        ("http:///x.crl", "no host"),
        ("http://user:secret@127.0.0.1/x.crl", "credentials are refused"),
        ("http://127.0.0.1:99999/x.crl", "not a valid URL"),
    ],
)
def test_refused_urls(url: str, expected: str) -> None:
    error, _ = timed_failure(HttpFetcher(), url)
    assert expected in str(error)
    assert "secret" not in str(error)


def test_host_not_in_allow_list_is_never_contacted() -> None:
    with RawServer(respond(200, b"x")) as server:
        fetcher = HttpFetcher(allowed_hosts=["crl.example.com", "*.caiso.com"])
        error, _ = timed_failure(fetcher, server.url("/x.crl"))
        assert server.connections == 0
    assert "host '127.0.0.1' is not in the allow-list" in str(error)


def test_allow_list_is_checked_after_redirects() -> None:
    with RawServer(redirect_map({"/a": "/b"}, final=b"ok")) as server:
        other = f"http://localhost:{server.port}/b"
        with RawServer(redirect_map({"/a": other})) as bouncer:
            allowed = HttpFetcher(allowed_hosts=["127.0.0.1"])
            assert allowed.fetch(server.url("/a"), timeout=TIMEOUT, max_bytes=MIB) == b"ok"
            error, _ = timed_failure(allowed, bouncer.url("/a"))
    assert "host 'localhost' is not in the allow-list" in str(error)
    assert "redirected from" in str(error)


def test_wildcard_allow_list() -> None:
    fetcher = HttpFetcher(allowed_hosts=["*.caiso.com"])
    assert fetcher._host_allowed("crl.caiso.com")
    assert fetcher._host_allowed("a.b.caiso.com")
    assert not fetcher._host_allowed("caiso.com")
    assert not fetcher._host_allowed("evilcaiso.com")


def test_scheme_allow_list_can_be_narrowed() -> None:
    with RawServer(respond(200, b"x")) as server:
        error, _ = timed_failure(HttpFetcher(allowed_schemes=["https"]), server.url("/x.crl"))
    assert "scheme 'http' is not allowed" in str(error)


@pytest.mark.parametrize("schemes", [["http", "file"], ["ftp"], []])
def test_unsupported_schemes_cannot_be_allowed(schemes: list[str]) -> None:
    with pytest.raises(MalformedInputError, match="only 'http' and 'https'"):
        HttpFetcher(allowed_schemes=schemes)


def test_content_type_policy_warn_returns_body(caplog: pytest.LogCaptureFixture) -> None:
    with (
        RawServer(respond(200, b"\x30\x00", content_type="text/html; charset=utf-8")) as server,
        caplog.at_level(logging.WARNING, logger="caiso_pki.validation.fetch"),
    ):
        body = HttpFetcher(content_type_policy="warn").fetch(server.url("/x"), timeout=TIMEOUT, max_bytes=MIB)
    assert body == b"\x30\x00"
    assert "unexpected Content-Type 'text/html'" in caplog.text


@pytest.mark.parametrize(
    "content_type",
    [
        "application/pkix-crl",
        "application/ocsp-response",
        "application/pkix-cert",
        "application/x-x509-ca-cert",
        "application/octet-stream",
        "Application/PKIX-CRL; charset=binary",
        None,
    ],
)
def test_accepted_content_types(content_type: str | None) -> None:
    with RawServer(respond(200, b"\x30\x00", content_type=content_type)) as server:
        assert HttpFetcher().fetch(server.url("/x"), timeout=TIMEOUT, max_bytes=MIB) == b"\x30\x00"


def test_body_exactly_at_the_cap_is_accepted() -> None:
    with RawServer(respond(200, b"x" * 1000)) as server:
        assert len(HttpFetcher().fetch(server.url("/x"), timeout=TIMEOUT, max_bytes=1000)) == 1000
        error, _ = timed_failure(HttpFetcher(), server.url("/x"), max_bytes=999)
    assert "exceeds the 999-byte limit" in str(error)


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [({"timeout": 0}, "timeout must be positive"), ({"max_bytes": 0}, "max_bytes must be positive")],
)
def test_bad_arguments(kwargs: dict[str, float], expected: str) -> None:
    with pytest.raises(FetchError, match=expected):
        HttpFetcher().fetch("http://127.0.0.1/x", **{"timeout": 1.0, "max_bytes": 10, **kwargs})  # type: ignore[arg-type]


def test_unsupported_method() -> None:
    with pytest.raises(FetchError, match="only GET and POST"):
        HttpFetcher().fetch("http://127.0.0.1/x", method="DELETE", timeout=1.0, max_bytes=10)


# -- https, with a server certificate from the demo PKI ----------------------------------------------


@pytest.fixture(scope="module")
def tls_contexts(tmp_path_factory: pytest.TempPathFactory) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """(server context, client context trusting the demo root) for 127.0.0.1."""
    pki = testing.DemoPki.create()
    issued = pki.issuing_ca.issue("server", "localhost", dns_names=["localhost"], ip_addresses=["127.0.0.1"])
    directory: Path = tmp_path_factory.mktemp("tls")
    (directory / "chain.pem").write_text(issued.pem_bundle())
    (directory / "key.pem").write_bytes(issued.key_pem())
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(directory / "chain.pem", directory / "key.pem")
    client = ssl.create_default_context(cadata=pki.root.certificate.pem)
    return server, client


def test_https_fetch(tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, client_ctx = tls_contexts
    with RawServer(respond(200, b"tls!"), tls=server_ctx) as server:
        assert (
            HttpFetcher(ssl_context=client_ctx).fetch(server.url("/x"), timeout=TIMEOUT, max_bytes=MIB)
            == b"tls!"
        )


def test_https_untrusted_server_is_refused(tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, _ = tls_contexts
    with RawServer(respond(200, b"tls!"), tls=server_ctx) as server:
        error, _ = timed_failure(HttpFetcher(), server.url("/x"))
    assert "TLS certificate verification failed" in str(error)


def test_http_to_https_redirect_is_followed(tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, client_ctx = tls_contexts
    with (
        RawServer(respond(200, b"upgraded"), tls=server_ctx) as secure,
        RawServer(redirect_map({"/a": secure.url("/b")})) as plain,
    ):
        body = HttpFetcher(ssl_context=client_ctx).fetch(plain.url("/a"), timeout=TIMEOUT, max_bytes=MIB)
    assert body == b"upgraded"


def test_https_to_http_downgrade_is_refused(tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, client_ctx = tls_contexts
    with RawServer(respond(200, b"plain")) as plain:
        with RawServer(redirect_map({"/a": plain.url("/b")}), tls=server_ctx) as secure:
            error, _ = timed_failure(HttpFetcher(ssl_context=client_ctx), secure.url("/a"))
        assert plain.connections == 0
    assert "from https: to http:" in str(error)


def test_https_slow_drip_times_out(tls_contexts: tuple[ssl.SSLContext, ssl.SSLContext]) -> None:
    server_ctx, client_ctx = tls_contexts
    with RawServer(slow_drip(0.5), tls=server_ctx) as server:
        error, _ = timed_failure(HttpFetcher(ssl_context=client_ctx), server.url("/x"))
    assert "timed out after 2 s" in str(error)
