"""``caiso_pki.connection``: each acceptance case against a real TLS server on 127.0.0.1, step and reason.

The servers (``tests/_tls_servers.py``) are stdlib ``ssl`` servers, except where a server must name its
acceptable CAs in the CertificateRequest, which Python's ``ssl`` cannot do: those use pyOpenSSL.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import socket
import ssl
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from _tls_servers import CaNamesTlsServer, TlsServer, closed_port, server_context, silent_port
from caiso_pki import PasswordError, export_pkcs12, testing
from caiso_pki.connection import (
    CHECK_NAMES,
    ClientCredential,
    ConnectionReport,
    ConnectUnavailableError,
    connect,
)
from caiso_pki.errors import CaisoPkiError, MalformedInputError
from caiso_pki.truststore import TrustStore

PASSWORD = "connect-test-pfx-password"
TLS_VERSIONS = [ssl.TLSVersion.TLSv1_3, ssl.TLSVersion.TLSv1_2]
VERSION_IDS = ["tls1.3", "tls1.2"]


@attrs.frozen
class Material:
    pki: testing.DemoPki
    server: testing.IssuedCertificate
    expired_server: testing.IssuedCertificate
    other_name_server: testing.IssuedCertificate
    client: testing.IssuedCertificate
    other_ca_client: testing.IssuedCertificate
    expired_client: testing.IssuedCertificate
    server_only_client: testing.IssuedCertificate

    @property
    def store(self) -> TrustStore:
        return self.pki.trust_store()

    @property
    def roots(self) -> list[object]:
        return [self.pki.root.certificate]


@pytest.fixture(scope="module")
def material() -> Material:
    pki = testing.DemoPki.create()
    now = pki.now
    ca = pki.issuing_ca
    local = {"dns_names": ["localhost"], "ip_addresses": ["127.0.0.1"]}
    return Material(
        pki=pki,
        server=ca.issue("server", "localhost", **local),  # type: ignore[arg-type]
        expired_server=ca.issue(
            "server",
            "localhost",
            not_before=now - dt.timedelta(days=400),
            not_after=now - dt.timedelta(days=10),
            **local,  # type: ignore[arg-type]
        ),
        other_name_server=ca.issue("server", "other.example.com", dns_names=["other.example.com"]),
        client=ca.issue("api-client", "api-client.example.com"),
        other_ca_client=pki.entrust_intermediate.issue("api-client", "other-client.example.com"),
        expired_client=ca.issue(
            "api-client",
            "expired-client.example.com",
            not_before=now - dt.timedelta(days=400),
            not_after=now - dt.timedelta(days=1),
        ),
        server_only_client=ca.issue(
            "server", "not-a-client.example.com", dns_names=["not-a-client.example.com"]
        ),
    )


@pytest.fixture(scope="module")
def caiso_server(material: Material) -> Iterator[TlsServer]:
    """Requires client certificates chaining to the demo CAISO root; answers 200."""
    with TlsServer(server_context(material.server, client_roots=material.roots)) as server:
        yield server


def statuses(report: ConnectionReport) -> dict[str, str]:
    return {check.name: check.status for check in report.checks}


def assert_first_failure(report: ConnectionReport, name: str, *fragments: str) -> None:
    failure = report.first_failure
    assert failure is not None, report.checklist()
    assert failure.name == name, report.checklist()
    for fragment in fragments:
        assert fragment in failure.reason, report.checklist()
    assert failure.advice


# -- the acceptance cases ------------------------------------------------------------------------


def test_a_correct_client_passes_and_the_http_step_sees_200(
    material: Material, caiso_server: TlsServer
) -> None:
    report = connect(caiso_server.url, client=material.client, trust=material.store, timeout=5)
    assert report.ok, report.checklist()
    assert report.verdict == "pass"
    assert report.first_failure is None
    assert [check.name for check in report.checks] == list(CHECK_NAMES)
    assert statuses(report) == {name: "pass" for name in CHECK_NAMES} | {"client-cps": "n/a"}
    assert report.http_status == 200
    assert "-> 200 OK" in report.check("http").reason
    assert report.tls_version == "TLSv1.3"
    assert report.client_certificate_requested is True
    assert "accepted" in report.check("client-auth").reason
    assert [cert.subject.common_name for cert in report.server_chain] == [
        "localhost",
        "Demo CAISO Issuing CA 1",
    ]
    assert report.server_validation is not None and report.server_validation.valid
    assert caiso_server.requests[-1].startswith(b"GET /api/resource HTTP/1.1\r\nHost: 127.0.0.1:")


def test_get_is_sent_when_asked(material: Material, caiso_server: TlsServer) -> None:
    report = connect(
        caiso_server.url, client=material.client, trust=material.store, http_method="GET", timeout=5
    )
    assert report.ok, report.checklist()
    assert caiso_server.requests[-1].startswith(b"GET /api/resource HTTP/1.1")
    assert report.check("http").reason.startswith("GET /api/resource -> 200")


@pytest.mark.parametrize("tls12_only", [False, True], ids=VERSION_IDS)
def test_a_client_from_another_ca_fails_at_step_4_which_names_the_acceptable_ca(
    material: Material, tls12_only: bool
) -> None:
    issuing = material.pki.issuing_ca.certificate
    with CaNamesTlsServer(
        material.server, client_roots=material.roots, ca_names=[issuing], tls12_only=tls12_only
    ) as server:
        report = connect(server.url, client=material.other_ca_client, trust=material.store, timeout=5)
    assert_first_failure(report, "client-auth", "refused", issuing.subject.rfc4514, "Demo Entrust Private")
    assert report.first_failure is not None and report.first_failure.step == 4
    assert report.acceptable_ca_names == (issuing.subject.rfc4514,)
    assert report.tls_version == ("TLSv1.2" if tls12_only else "TLSv1.3")
    # Everything before step 4 is fine: the certificate is good, just from the wrong CA.
    assert all(report.check(name).status != "fail" for name in CHECK_NAMES[:7])
    assert report.check("http").status == "n/a"


def test_the_acceptable_ca_names_are_reported_when_the_client_matches(material: Material) -> None:
    issuing = material.pki.issuing_ca.certificate
    with CaNamesTlsServer(material.server, client_roots=material.roots, ca_names=[issuing]) as server:
        report = connect(server.url, client=material.client, trust=material.store, timeout=5)
    assert report.ok, report.checklist()
    assert issuing.subject.rfc4514 in report.check("client-auth").reason


@pytest.mark.parametrize("version", TLS_VERSIONS, ids=VERSION_IDS)
def test_a_client_from_another_ca_is_refused_by_a_server_that_names_no_ca(
    material: Material, version: ssl.TLSVersion
) -> None:
    context = server_context(material.server, client_roots=material.roots, maximum_version=version)
    with TlsServer(context) as server:
        report = connect(server.url, client=material.other_ca_client, trust=material.store, timeout=5)
    assert_first_failure(
        report, "client-auth", "refused our certificate", "unknown ca", "named no acceptable CAs"
    )
    assert "unknown ca" in server.errors[-1].lower() or "unable to get local issuer" in server.errors[-1]


@pytest.mark.parametrize("version", TLS_VERSIONS, ids=VERSION_IDS)
def test_no_client_certificate_at_all(material: Material, version: ssl.TLSVersion) -> None:
    context = server_context(material.server, client_roots=material.roots, maximum_version=version)
    with TlsServer(context) as server:
        report = connect(server.url, client=None, trust=material.store, timeout=5)
    assert_first_failure(report, "client-auth", "asked for a client certificate and none was given")
    assert all(report.check(name).status == "n/a" for name in CHECK_NAMES[:5])
    assert report.client_certificate is None
    assert report.check("server-chain").status == "pass"


def test_an_expired_client_certificate(material: Material, caiso_server: TlsServer) -> None:
    report = connect(caiso_server.url, client=material.expired_client, trust=material.store, timeout=5)
    assert_first_failure(report, "client-validity", "expired on")
    assert report.first_failure is not None and report.first_failure.step == 1
    # The server refuses it too, and says why.
    assert report.check("client-auth").status == "fail"
    assert "certificate expired" in report.check("client-auth").reason


def test_a_client_chain_missing_its_intermediate(material: Material, caiso_server: TlsServer) -> None:
    bare = ClientCredential(material.client.certificate, material.client.key, ())  # type: ignore[arg-type]
    report = connect(caiso_server.url, client=bare, trust=material.store, timeout=5)
    issuer = material.pki.issuing_ca.certificate.subject.rfc4514
    assert_first_failure(report, "client-chain", "stops at api-client.example.com", issuer, "missing")
    assert "intermediate" in (report.check("client-chain").advice or "")
    # The store holds the issuing CA, but only anchors count for what we send: the server has no copy.
    assert report.check("client-auth").status == "fail"


def test_the_same_credential_with_its_intermediate_passes_step_1(
    material: Material, caiso_server: TlsServer
) -> None:
    report = connect(caiso_server.url, client=material.client, trust=material.store, timeout=5)
    assert "from the 2 certificates sent" in report.check("client-chain").reason


def test_a_server_whose_chain_is_expired(material: Material) -> None:
    with TlsServer(server_context(material.expired_server)) as server:
        report = connect(server.url, client=material.client, trust=material.store, timeout=5)
    assert_first_failure(report, "server-chain", "expired")
    assert report.first_failure is not None and report.first_failure.step == 3
    assert report.server_validation is not None and "expired" in report.server_validation.codes
    assert report.check("client-auth").status == "not-run"
    assert report.check("client-auth").reason.startswith("not run: the server's chain failed verification")
    assert report.check("http").status == "not-run"
    assert server.requests == []  # the connection was closed at the server's certificate


def test_a_server_whose_certificate_does_not_match_the_name(material: Material) -> None:
    with TlsServer(server_context(material.other_name_server)) as server:
        report = connect(server.url, client=material.client, trust=material.store, timeout=5)
        renamed = connect(
            server.url,
            client=material.client,
            trust=material.store,
            server_name="other.example.com",
            timeout=5,
        )
    assert_first_failure(report, "server-chain", "name-mismatch")
    assert "127.0.0.1" in (report.check("server-chain").advice or "")
    assert renamed.ok, renamed.checklist()
    assert renamed.server_name == "other.example.com"


def test_a_server_that_does_not_send_its_intermediate(material: Material) -> None:
    with TlsServer(server_context(material.server, chain=[])) as server:
        with_store = connect(server.url, client=None, trust=material.store, timeout=5)
        roots_only = connect(server.url, client=None, trust=material.roots, timeout=5)
    assert with_store.ok, with_store.checklist()
    assert "your trust store supplied it" in with_store.check("server-chain").reason
    assert_first_failure(roots_only, "server-chain")


def test_a_server_capped_at_tls_1_1_fails_at_step_2(material: Material) -> None:
    context = server_context(material.server, maximum_version=ssl.TLSVersion.TLSv1_1)
    with TlsServer(context) as server:
        report = connect(server.url, client=material.client, trust=material.store, timeout=5)
    assert_first_failure(report, "tls", "no TLS version in common", "TLS 1.2")
    assert report.first_failure is not None and report.first_failure.step == 2
    assert report.tls_version is None
    assert {report.check(name).status for name in ("server-chain", "client-auth", "http")} == {"n/a"}


def test_the_tls_1_1_server_really_speaks_tls_1_1(material: Material) -> None:
    """The local OpenSSL offers TLS 1.1 at security level 0: the refusal above is connect's own."""
    context = server_context(material.server, maximum_version=ssl.TLSVersion.TLSv1_1)
    client = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    client.check_hostname = False
    client.verify_mode = ssl.CERT_NONE
    with pytest.warns(DeprecationWarning, match="TLSv1_1"):
        client.minimum_version = ssl.TLSVersion.TLSv1_1
    client.set_ciphers("DEFAULT:@SECLEVEL=0")
    with (
        TlsServer(context) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw,
        client.wrap_socket(raw) as tls,
    ):
        assert tls.version() == "TLSv1.1"
        tls.sendall(b"HEAD / HTTP/1.1\r\nHost: x\r\n\r\n")
        assert tls.recv(64).startswith(b"HTTP/1.1 200")


def test_a_server_that_returns_403_after_the_handshake(material: Material) -> None:
    context = server_context(material.server, client_roots=material.roots)
    with TlsServer(context, status=403) as server:
        report = connect(server.url, client=material.client, trust=material.store, timeout=5)
    assert_first_failure(
        report, "http", "403", "authenticated, but not authorised for this application: ask your UAA"
    )
    assert report.first_failure is not None and report.first_failure.step == 5
    assert report.http_status == 403
    assert all(report.check(name).status != "fail" for name in CHECK_NAMES[:-1])


def test_a_port_that_accepts_and_never_answers_fails_at_step_2_within_the_timeout(material: Material) -> None:
    with silent_port() as port:
        report = connect(
            f"https://127.0.0.1:{port}/", client=material.client, trust=material.store, timeout=1
        )
    assert_first_failure(report, "tls", "TCP connected", "no TLS answer within 1 s")
    assert report.connect_seconds is not None
    assert {report.check(name).status for name in ("server-chain", "client-auth", "http")} == {"n/a"}


def test_a_closed_port(material: Material) -> None:
    with closed_port() as port:
        report = connect(f"127.0.0.1:{port}", client=material.client, trust=material.store, timeout=1)
    assert_first_failure(report, "tls", "connection refused", str(port))
    assert report.connect_seconds is None
    assert report.check("http").reason == "HOST:PORT target, no HTTP request"


# -- more of what the steps say --------------------------------------------------------------------


def test_a_host_port_target_confirms_the_client_certificate_without_http(
    material: Material, caiso_server: TlsServer
) -> None:
    report = connect(caiso_server.host_port, client=material.client, trust=material.store, timeout=5)
    assert report.ok, report.checklist()
    assert "session ticket" in report.check("client-auth").reason
    assert report.check("http").status == "n/a"
    assert report.http_method is None


def test_http_can_be_switched_off(material: Material, caiso_server: TlsServer) -> None:
    report = connect(
        caiso_server.url, client=material.client, trust=material.store, http_method=None, timeout=5
    )
    assert report.ok, report.checklist()
    assert report.check("http").reason == "HTTP request switched off"


def test_a_key_that_does_not_match_the_certificate(material: Material, caiso_server: TlsServer) -> None:
    wrong = ClientCredential(
        material.client.certificate,
        material.other_ca_client.key,  # type: ignore[arg-type]
        material.client.chain,
    )
    report = connect(caiso_server.url, client=wrong, trust=material.store, timeout=5)
    assert_first_failure(report, "client-key", "does not belong")
    assert "its key does not match" in report.check("client-auth").reason


def test_a_certificate_without_client_auth(material: Material, caiso_server: TlsServer) -> None:
    report = connect(caiso_server.url, client=material.server_only_client, trust=material.store, timeout=5)
    assert_first_failure(report, "client-eku", "without clientAuth")


def test_the_cps_profile_lint(material: Material, caiso_server: TlsServer) -> None:
    report = connect(
        caiso_server.url, client=material.client, trust=material.store, cps="caiso-demo", timeout=5
    )
    assert report.check("client-cps").status == "pass"
    assert "caiso-demo" in report.check("client-cps").reason


def test_a_client_certificate_about_to_expire_passes_with_a_warning(
    material: Material, caiso_server: TlsServer
) -> None:
    soon = material.pki.issuing_ca.issue(
        "api-client", "soon.example.com", not_after=material.pki.now + dt.timedelta(days=10)
    )
    report = connect(caiso_server.url, client=soon, trust=material.store, timeout=5)
    assert report.check("client-validity").status == "pass"
    assert "renew now" in report.check("client-validity").reason


# -- inputs --------------------------------------------------------------------------------------


def _client_pfx(material: Material, tmp_path: Path) -> Path:
    """The demo client's key, certificate and chain as a PFX protected by ``PASSWORD``."""
    pfx = tmp_path / "client.pfx"
    export_pkcs12(
        material.client.key,
        material.client.certificate,
        chain=material.client.chain,
        password=PASSWORD,
        path=pfx,
    )
    return pfx


def test_credentials_from_a_pfx_and_from_pem(
    material: Material, caiso_server: TlsServer, tmp_path: Path
) -> None:
    pfx = _client_pfx(material, tmp_path)
    from_pfx = ClientCredential.from_pkcs12(pfx, password=PASSWORD)
    assert from_pfx.chain == material.client.chain
    pem = tmp_path / "client.pem"
    pem.write_text(material.client.pem_bundle())
    key = tmp_path / "client.key"
    key.write_bytes(material.client.key_pem())
    from_pem = ClientCredential.load(pem, key)
    assert from_pem.certificate == material.client.certificate
    assert from_pem.chain == material.client.chain
    for credential in (from_pfx, from_pem):
        assert connect(caiso_server.url, client=credential, trust=material.store, timeout=5).ok
    with pytest.raises(PasswordError, match=r"client\.pfx"):
        ClientCredential.from_pkcs12(pfx, password="not the password")


@pytest.mark.parametrize("form", ["store", "certificate", "list", "pem-file"])
def test_trust_forms(material: Material, caiso_server: TlsServer, tmp_path: Path, form: str) -> None:
    root = material.pki.root.certificate
    path = tmp_path / "root.pem"
    path.write_text(root.pem)
    trust = {"store": material.store, "certificate": root, "list": [root], "pem-file": path}[form]
    report = connect(caiso_server.url, client=material.client, trust=trust, timeout=5)  # type: ignore[arg-type]
    assert report.ok, report.checklist()


@pytest.mark.parametrize(
    ("target", "options", "message"),
    [
        ("http://127.0.0.1:1/", {}, "not TLS"),
        ("ftp://127.0.0.1/", {}, "not TLS"),
        ("127.0.0.1", {}, "HOST:PORT"),
        ("127.0.0.1:0", {}, "outside 1-65535"),
        ("127.0.0.1:99999", {}, "outside 1-65535"),
        ("https://127.0.0.1:0/", {}, "outside 1-65535"),
        ("https://127.0.0.1:notaport/", {}, "not a valid URL"),
        ("https:///path", {}, "no usable host"),
        ("", {}, "https:// URL or HOST:PORT"),
        ("https://127.0.0.1:1/", {"profile": "browser"}, "rfc5280, webpki"),
        ("https://127.0.0.1:1/", {"timeout": 0}, "positive"),
        ("https://127.0.0.1:1/", {"timeout": float("nan")}, "positive"),
        ("https://127.0.0.1:1/", {"http_method": "POST"}, "GET, HEAD or None"),
        ("https://127.0.0.1:1/", {"trust": None}, "OS trust list is never used"),
        ("https://127.0.0.1:1/", {"trust": []}, "no certificates"),
        ("https://127.0.0.1:1/", {"server_name": "two words"}, "DNS name"),
    ],
)
def test_bad_input_raises_naming_it(
    material: Material, target: str, options: dict[str, object], message: str
) -> None:
    arguments: dict[str, object] = {"client": material.client, "trust": material.store, **options}
    with pytest.raises(MalformedInputError, match=message):
        connect(target, **arguments)  # type: ignore[arg-type]


def test_a_url_with_a_password_is_refused_without_repeating_it(material: Material) -> None:
    with pytest.raises(MalformedInputError) as info:
        connect("https://user:s3cret-in-url@127.0.0.1:1/", client=None, trust=material.store)
    assert "s3cret-in-url" not in str(info.value)


def test_a_client_object_without_a_key_is_refused(material: Material) -> None:
    with pytest.raises(MalformedInputError, match="no certificate and private key"):
        connect("127.0.0.1:1", client=material.pki.root.certificate, trust=material.store)  # type: ignore[arg-type]


def test_without_pyopenssl_the_error_says_what_to_install(
    material: Material, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "OpenSSL", None)
    monkeypatch.delitem(sys.modules, "caiso_pki._tls_probe", raising=False)
    with pytest.raises(ConnectUnavailableError, match=r"pip install 'caiso-pki\[connect\]'") as info:
        connect("127.0.0.1:1", client=material.client, trust=material.store)
    assert isinstance(info.value, CaisoPkiError)


def test_importing_the_module_does_not_import_pyopenssl_or_the_validator() -> None:
    heavy = [
        "OpenSSL",
        "caiso_pki._tls_probe",
        "click",
        "rich",
        "pyhanko_certvalidator",
        "http.client",
        "caiso_pki.validation",
    ]
    code = f"import sys, caiso_pki.connection; print([m for m in {heavy!r} if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("profile", ["rfc5280", "webpki"])
def test_the_profile_goes_to_the_server_chain_validator(
    material: Material, caiso_server: TlsServer, monkeypatch: pytest.MonkeyPatch, profile: str
) -> None:
    import caiso_pki.connection as module

    built: list[tuple[str, str]] = []
    original = module._validator

    def spy(trust: TrustStore, usage: str, chosen: str) -> object:
        built.append((usage, chosen))
        return original(trust, usage, chosen)  # type: ignore[arg-type]

    monkeypatch.setattr(module, "_validator", spy)
    report = connect(
        caiso_server.url,
        client=material.client,
        trust=material.store,
        profile=profile,  # type: ignore[arg-type]
        timeout=5,
    )
    assert built == [("clientAuth", "rfc5280"), ("serverAuth", profile)]
    assert report.profile == profile


# -- fail closed -------------------------------------------------------------------------------------


def test_a_validator_error_is_a_failure_never_a_pass(
    material: Material, caiso_server: TlsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caiso_pki.validation import Validator

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("validator exploded")

    monkeypatch.setattr(Validator, "validate", broken)
    report = connect(caiso_server.url, client=material.client, trust=material.store, timeout=5)
    assert report.check("client-chain").status == "fail"
    assert "could not be completed (RuntimeError: validator exploded)" in report.check("client-chain").reason
    server = report.check("server-chain")
    assert server.status == "fail"
    assert "could not be checked (RuntimeError: validator exploded)" in server.reason
    assert report.stopped_untrusted_server and not report.client_certificate_sent  # failed closed
    assert not report.ok


def test_a_negotiated_version_below_tls_1_2_fails_and_nothing_after_it_passes() -> None:
    """Our client never offers TLS 1.1 (the server test above); were it negotiated, step 2 fails."""
    import caiso_pki.connection as module
    from caiso_pki._tls_probe import Probe

    observed = Probe(
        states=["SSLv3/TLS read server hello"],
        connect_seconds=0.001,
        handshake_done=True,
        version=0x0302,
        version_name="TLSv1.1",
        cipher="ECDHE-RSA-AES256-SHA",
    )
    target = module._target("https://127.0.0.1:8443/")
    status, reason, _ = module._tls_check(observed, "127.0.0.1", 8443, 5.0)
    assert (status, reason) == ("fail", "negotiated TLSv1.1, below TLS 1.2")
    assert module._http_check(observed, target, "HEAD")[0] == "n/a"


def test_an_untrusted_server_never_passes(material: Material, caiso_server: TlsServer) -> None:
    other_root = material.pki.entrust_root.certificate
    report = connect(caiso_server.url, client=None, trust=[other_root], timeout=5)
    assert report.check("server-chain").status == "fail"
    assert report.server_validation is not None and not report.server_validation.valid
    assert not report


# -- the report as a value -------------------------------------------------------------------------


def test_the_report_is_a_frozen_slotted_value_with_renderings(
    material: Material, caiso_server: TlsServer
) -> None:
    from rich.console import Console

    report = connect(caiso_server.url, client=material.client, trust=material.store, timeout=5)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        report.target = "elsewhere"  # type: ignore[misc]
    assert not hasattr(report, "__dict__")
    assert not hasattr(report.checks[0], "__dict__")
    data = report.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["verdict"] == "pass"
    assert [check["name"] for check in data["checks"]] == list(CHECK_NAMES)  # type: ignore[index,union-attr]
    html = report._repr_html_()
    assert "GET /api/resource -&gt; 200 OK" in html
    console = Console(file=io.StringIO(), width=200)
    console.print(report)
    assert "client certificate request" in console.file.getvalue()  # type: ignore[attr-defined]
    lines = report.checklist().splitlines()
    assert len(lines) == len(CHECK_NAMES) + 2
    assert lines[-1] == "PASS: no check failed"
    assert repr(report).startswith("<ConnectionReport 'https://127.0.0.1:")


def test_no_private_key_or_password_in_any_output(
    material: Material, caiso_server: TlsServer, tmp_path: Path
) -> None:
    pfx = _client_pfx(material, tmp_path)
    credential = ClientCredential.from_pkcs12(pfx, password=PASSWORD)
    key_body = "".join(material.client.key_pem().decode().splitlines()[1:-1])
    reports = [
        connect(caiso_server.url, client=credential, trust=material.store, timeout=5),
        connect(caiso_server.url, client=None, trust=material.store, timeout=5),
    ]
    for report in reports:
        outputs = [
            repr(report),
            report.checklist(),
            json.dumps(report.to_dict()),
            report._repr_html_(),
            repr(credential),
        ]
        for text in outputs:
            flat = "".join(text.split())
            assert PASSWORD not in text
            assert "PRIVATE KEY" not in text
            assert key_body[:64] not in flat
