"""TLS contexts: real mutual-TLS handshakes on 127.0.0.1, and the same context through requests and httpx."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import os
import socket
import ssl
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from caiso_pki import testing
from caiso_pki.certificate import Certificate
from caiso_pki.errors import MalformedInputError, PasswordError, TrustStoreError
from caiso_pki.tls import client_ssl_context, requests_adapter, server_ssl_context
from caiso_pki.truststore import TrustStore


@pytest.fixture(scope="module")
def pki() -> testing.DemoPki:
    # now: the real clock, because the ssl module checks validity against it
    return testing.DemoPki.create()


@pytest.fixture(scope="module")
def store(pki: testing.DemoPki) -> TrustStore:
    return pki.trust_store()


@pytest.fixture(scope="module")
def server_cert(pki: testing.DemoPki) -> testing.IssuedCertificate:
    return pki.issuing_ca.issue("server", "localhost", dns_names=["localhost"], ip_addresses=["127.0.0.1"])


@pytest.fixture(scope="module")
def client_cert(pki: testing.DemoPki) -> testing.IssuedCertificate:
    return pki.issuing_ca.issue("api-client", "participant-api-1")


@attrs.define
class Outcome:
    peer_common_name: str | None = None
    error: str | None = None


@contextlib.contextmanager
def tls_server(ctx: ssl.SSLContext) -> Iterator[tuple[int, Outcome]]:
    """Accept one connection on 127.0.0.1, handshake, greet the client by name, record the outcome."""
    listener = socket.create_server(("127.0.0.1", 0))
    outcome = Outcome()

    def serve() -> None:
        conn, _ = listener.accept()
        conn.settimeout(10)
        try:
            with ctx.wrap_socket(conn, server_side=True) as tls:
                peer = tls.getpeercert()
                names = dict(item[0] for item in peer["subject"]) if peer else {}
                outcome.peer_common_name = names.get("commonName")
                tls.sendall(f"hello {outcome.peer_common_name}".encode())
        except (ssl.SSLError, OSError) as exc:
            outcome.error = getattr(exc, "verify_message", None) or str(exc)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], outcome
    finally:
        thread.join(timeout=10)
        listener.close()


def talk(ctx: ssl.SSLContext, port: int, hostname: str = "localhost") -> str:
    """Connect, handshake and read the greeting; returns the greeting or the error text."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        try:
            with ctx.wrap_socket(sock, server_hostname=hostname) as tls:
                return tls.recv(1024).decode() or "closed"
        except (ssl.SSLError, OSError) as exc:
            return f"error: {getattr(exc, 'verify_message', None) or exc}"


def _self_signed_client() -> tuple[Certificate, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "participant-api-1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return Certificate.from_cryptography(cert), key


# -- the acceptance handshakes ------------------------------------------------------------------------


def test_mutual_tls_accepts_a_caiso_client(
    store: TrustStore, server_cert: testing.IssuedCertificate, client_cert: testing.IssuedCertificate
) -> None:
    server = server_ssl_context(
        server_cert.certificate, server_cert.key, chain=server_cert.chain, trust=store
    )
    client = client_ssl_context(
        client_cert.certificate, client_cert.key, chain=client_cert.chain, trust=store, labels={"caiso"}
    )
    with tls_server(server) as (port, outcome):
        greeting = talk(client, port)
    assert outcome.error is None
    assert outcome.peer_common_name == "participant-api-1"
    assert greeting == "hello participant-api-1"


def test_mutual_tls_rejects_a_client_of_the_retired_root(
    pki: testing.DemoPki, store: TrustStore, server_cert: testing.IssuedCertificate
) -> None:
    retired = pki.retired_issuing_ca.issue("api-client", "participant-api-1")
    server = server_ssl_context(
        server_cert.certificate, server_cert.key, chain=server_cert.chain, trust=store
    )
    client = client_ssl_context(retired.certificate, retired.key, chain=retired.chain, trust=store)
    with tls_server(server) as (port, outcome):
        greeting = talk(client, port)
    assert outcome.peer_common_name is None
    assert outcome.error == "unable to get issuer certificate"  # the retired root is not in the context
    assert greeting.startswith("error") or greeting == "closed"
    # the same client is accepted when the retired root is deliberately included
    lenient = server_ssl_context(
        server_cert.certificate, server_cert.key, chain=server_cert.chain, trust=store, include_retired=True
    )
    with tls_server(lenient) as (port, outcome):
        assert talk(client, port) == "hello participant-api-1"
    assert outcome.error is None


def test_mutual_tls_rejects_a_self_signed_client(
    store: TrustStore, server_cert: testing.IssuedCertificate
) -> None:
    cert, key = _self_signed_client()
    server = server_ssl_context(
        server_cert.certificate, server_cert.key, chain=server_cert.chain, trust=store
    )
    client = client_ssl_context(cert, key, trust=store)
    with tls_server(server) as (port, outcome):
        greeting = talk(client, port)
    assert outcome.error == "self-signed certificate"
    assert outcome.peer_common_name is None
    assert greeting.startswith("error") or greeting == "closed"


def test_mutual_tls_rejects_a_client_without_certificate(
    store: TrustStore, server_cert: testing.IssuedCertificate
) -> None:
    server = server_ssl_context(
        server_cert.certificate, server_cert.key, chain=server_cert.chain, trust=store
    )
    with tls_server(server) as (port, outcome):
        talk(client_ssl_context(None, None, trust=store), port)
    assert outcome.error is not None and "certificate" in outcome.error.lower()


def test_labels_narrow_what_the_server_trusts(
    pki: testing.DemoPki, store: TrustStore, server_cert: testing.IssuedCertificate
) -> None:
    rig = pki.entrust_intermediate.issue("rig", "rig-0001.example.com")
    client = client_ssl_context(rig.certificate, rig.key, chain=rig.chain, trust=store)
    for labels, accepted in ((["rig"], True), (["caiso"], False)):
        server = server_ssl_context(
            server_cert.certificate, server_cert.key, chain=server_cert.chain, trust=store, labels=labels
        )
        with tls_server(server) as (port, outcome):
            talk(client, port)
        assert (outcome.peer_common_name == "rig-0001.example.com") is accepted, outcome


def test_pinning_the_issuing_ca_alone_uses_partial_chains(
    pki: testing.DemoPki, server_cert: testing.IssuedCertificate, client_cert: testing.IssuedCertificate
) -> None:
    pinned = TrustStore().add(pki.issuing_ca.certificate, role="anchor", labels={"caiso"})
    server = server_ssl_context(server_cert.certificate, server_cert.key, trust=pinned)
    assert server.verify_flags & ssl.VERIFY_X509_PARTIAL_CHAIN
    assert len(server.get_ca_certs()) == 1
    client = client_ssl_context(client_cert.certificate, client_cert.key, trust=pinned)
    with tls_server(server) as (port, outcome):
        assert talk(client, port) == "hello participant-api-1"
    other = pki.entrust_intermediate.issue("api-client", "participant-api-1")
    with tls_server(server) as (port, outcome):
        talk(client_ssl_context(other.certificate, other.key, chain=other.chain, trust=pinned), port)
    assert outcome.error == "unable to get local issuer certificate"


def test_client_checks_server_name_and_trust(
    pki: testing.DemoPki, store: TrustStore, server_cert: testing.IssuedCertificate
) -> None:
    server = server_ssl_context(server_cert.certificate, server_cert.key, chain=server_cert.chain)
    assert server.verify_mode == ssl.CERT_NONE
    with tls_server(server) as (port, _):
        assert "Hostname mismatch" in talk(
            client_ssl_context(None, None, trust=store), port, "caiso.example.com"
        )
    with tls_server(server) as (port, _):
        rig_only = client_ssl_context(None, None, trust=store, labels=["rig"])
        assert talk(rig_only, port) == "error: unable to get local issuer certificate"
    with tls_server(server) as (port, _):
        assert talk(client_ssl_context(None, None, trust=pki.root.certificate), port) == "hello None"


# -- properties of the contexts ----------------------------------------------------------------------


def test_contexts_are_strict_and_trust_only_the_store(
    store: TrustStore, server_cert: testing.IssuedCertificate, client_cert: testing.IssuedCertificate
) -> None:
    client = client_ssl_context(client_cert.certificate, client_cert.key, trust=store)
    server = server_ssl_context(server_cert.certificate, server_cert.key, trust=store)
    for ctx in (client, server):
        assert ctx.minimum_version == ssl.TLSVersion.TLSv1_2
        assert ctx.verify_mode == ssl.CERT_REQUIRED
        subjects = sorted(dict(item[0] for item in ca["subject"])["commonName"] for ca in ctx.get_ca_certs())
        assert subjects == [
            "Demo CAISO Issuing CA 1",
            "Demo CAISO Root CA",
            "Demo Cybertrust Issuing CA",
            "Demo Entrust Private Intermediate",
            "Demo Entrust Private Root",
        ]
    assert client.check_hostname


def test_key_files_do_not_outlive_the_call(
    tmp_path: Path, store: TrustStore, client_cert: testing.IssuedCertificate, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The key files go to the temporary directory: this test's own one, not the shared one, where
    # other tests (and other test runs) make and remove theirs at the same time.
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    assert tempfile.gettempdir() == str(private)
    key_file = tmp_path / "client.key"
    assert client_cert.key is not None
    key_file.write_bytes(
        client_cert.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.BestAvailableEncryption(b"s3cret"),
        )
    )
    cert_file = tmp_path / "client.pem"
    cert_file.write_text(client_cert.pem_bundle())
    ctx = client_ssl_context(cert_file, key_file, key_password="s3cret", trust=store)
    assert isinstance(ctx, ssl.SSLContext)
    assert list(private.iterdir()) == []
    with pytest.raises(PasswordError):
        client_ssl_context(cert_file, key_file, key_password="wrong", trust=store)
    assert list(private.iterdir()) == []


def test_bad_inputs_raise_library_errors(
    pki: testing.DemoPki, store: TrustStore, client_cert: testing.IssuedCertificate
) -> None:
    with pytest.raises(TrustStoreError, match="no usable trust anchors"):
        client_ssl_context(client_cert.certificate, client_cert.key, trust=store, labels=["ecn"])
    only_retired = TrustStore().add(
        pki.retired_root.certificate, distrust_after=testing.CYBERTRUST_END_OF_LIFE
    )
    with pytest.raises(TrustStoreError, match="retired entries are excluded"):
        client_ssl_context(None, None, trust=only_retired)
    other = pki.issuing_ca.issue("api-client", "x")
    with pytest.raises(MalformedInputError, match="does not belong"):
        client_ssl_context(client_cert.certificate, other.key, trust=store)
    with pytest.raises(MalformedInputError, match="both"):
        client_ssl_context(client_cert.certificate, None, trust=store)


# -- the same context through HTTP clients -------------------------------------------------------------


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        peer = self.connection.getpeercert()  # type: ignore[attr-defined]
        name = dict(item[0] for item in peer["subject"])["commonName"] if peer else "anonymous"
        body = f"hello {name}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@contextlib.contextmanager
def https_server(ctx: ssl.SSLContext) -> Iterator[str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://localhost:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.fixture
def mtls(
    store: TrustStore, server_cert: testing.IssuedCertificate, client_cert: testing.IssuedCertificate
) -> Iterator[tuple[str, ssl.SSLContext]]:
    server = server_ssl_context(
        server_cert.certificate, server_cert.key, chain=server_cert.chain, trust=store
    )
    client = client_ssl_context(client_cert.certificate, client_cert.key, trust=store, labels={"caiso"})
    with https_server(server) as url:
        yield url, client


def test_requests_adapter_uses_the_context(mtls: tuple[str, ssl.SSLContext]) -> None:
    requests = pytest.importorskip("requests")
    url, ctx = mtls
    trusted_before = len(ctx.get_ca_certs())
    with requests.Session() as session:
        session.mount("https://", requests_adapter(ctx))
        session.verify = "/etc/ssl/certs/ca-certificates.crt"  # ignored: trust comes from ctx alone
        response = session.get(url, timeout=10)
    assert response.status_code == 200
    assert response.text == "hello participant-api-1"
    assert len(ctx.get_ca_certs()) == trusted_before
    with requests.Session() as plain, pytest.raises(requests.exceptions.SSLError):
        plain.get(url, timeout=10)  # certifi does not know the demo CA


def test_httpx_takes_the_context_as_it_is(mtls: tuple[str, ssl.SSLContext]) -> None:
    httpx = pytest.importorskip("httpx")
    url, ctx = mtls
    with httpx.Client(verify=ctx, timeout=10) as client:
        response = client.get(url)
    assert response.status_code == 200
    assert response.text == "hello participant-api-1"


def test_environment_does_not_leak_trust(
    monkeypatch: pytest.MonkeyPatch, store: TrustStore, tmp_path: Path, client_cert: testing.IssuedCertificate
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", "/etc/ssl/certs/ca-certificates.crt")
    monkeypatch.setenv("SSL_CERT_DIR", os.fspath(tmp_path))
    ctx = client_ssl_context(client_cert.certificate, client_cert.key, trust=store, labels={"rig"})
    assert len(ctx.get_ca_certs()) == 2
