"""``connect`` sends nothing to a server whose chain failed, and the client-certificate inputs.

Against a real mutual-TLS server on 127.0.0.1 that counts the client certificates that reach it and the
HTTP requests it reads: a server chain that does not validate gets neither (the library, the command
line and the probe API the fleet monitor reuses), the advice names the trust input, the explicit
diagnosis option does send them, ``--cert/--key`` and ``--no-client-cert`` work, and the default request
is answered by ``openssl s_server -www`` within a 2-second timeout.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest

from _cli import run_cli
from _tls_servers import CountingMtlsServer
from caiso_pki import ClientCredential, connect, export_pkcs12, testing
from caiso_pki.truststore import TrustStore

PASSWORD = "untrusted-server-pfx-password"


@attrs.frozen
class Pki:
    pki: testing.DemoPki
    server: testing.IssuedCertificate
    client: testing.IssuedCertificate
    d: Path

    @property
    def right_roots(self) -> Path:
        return self.d / "caiso-root.pem"

    @property
    def wrong_roots(self) -> Path:
        return self.d / "entrust-root.pem"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    d = tmp_path_factory.mktemp("untrusted")
    demo = testing.DemoPki.create()
    server = demo.issuing_ca.issue("server", "localhost", dns_names=["localhost"], ip_addresses=["127.0.0.1"])
    client = demo.issuing_ca.issue("api-client", "api-client.example.com")
    (d / "caiso-root.pem").write_text(demo.root.certificate.pem)
    (d / "entrust-root.pem").write_text(demo.entrust_root.certificate.pem)
    (d / "client.pem").write_text(client.pem_bundle())
    (d / "client.key").write_bytes(client.key_pem())
    (d / "password.txt").write_text(PASSWORD + "\n")
    export_pkcs12(
        client.key, client.certificate, chain=client.chain, password=PASSWORD, path=d / "client.pfx"
    )
    (d / "server.pem").write_text(server.certificate.pem)
    (d / "server-chain.pem").write_text("".join(cert.pem for cert in server.chain))
    (d / "server.key").write_bytes(server.key_pem())
    return Pki(demo, server, client, d)


@pytest.fixture(params=["tls1.3", "tls1.2"])
def mtls(request: pytest.FixtureRequest, pki: Pki) -> Iterator[CountingMtlsServer]:
    with CountingMtlsServer(
        pki.server, client_roots=[pki.pki.root.certificate], tls12_only=request.param == "tls1.2"
    ) as server:
        yield server


def credential(pki: Pki) -> ClientCredential:
    return ClientCredential(pki.client.certificate, pki.client.key, pki.client.chain)  # type: ignore[arg-type]


# -- nothing is sent to a server whose chain failed -------------------------------------------------


def test_a_server_chain_that_fails_gets_neither_a_certificate_nor_a_request(
    pki: Pki, mtls: CountingMtlsServer
) -> None:
    report = connect(mtls.url, client=credential(pki), trust=pki.wrong_roots, timeout=5)
    assert report.check("server-chain").status == "fail"
    assert report.check("client-auth").status == "not-run"
    assert report.check("http").status == "not-run"
    assert "not run: the server's chain failed verification (step 3)" in report.check("http").reason
    assert report.stopped_untrusted_server and not report.client_certificate_sent
    assert mtls.connections == 1
    assert mtls.client_certificates == []
    assert mtls.requests == []


def test_the_server_counts_what_a_trusted_connection_sends(pki: Pki, mtls: CountingMtlsServer) -> None:
    """The control: with the right trust, the same server sees one certificate and one request."""
    report = connect(mtls.url, client=credential(pki), trust=pki.right_roots, timeout=5)
    assert report.ok, report.checklist()
    assert report.client_certificate_sent
    assert mtls.client_certificates == [pki.client.certificate.x509.subject.rfc4514_string()]
    assert len(mtls.requests) == 1 and mtls.requests[0].startswith(b"GET /api/resource HTTP/1.1")


def test_the_advice_for_a_wrong_trust_input_names_it(pki: Pki, mtls: CountingMtlsServer) -> None:
    report = connect(mtls.url, client=credential(pki), trust=pki.wrong_roots, timeout=5)
    assert report.first_failure is not None
    assert f"the trust file {pki.wrong_roots}" in report.next_step
    assert "trust input is wrong" in report.next_step
    assert "PFX" not in report.next_step  # the PFX is fine; it is not what to change
    assert "trust input is wrong" in (report.check("server-chain").advice or "")


def test_the_diagnosis_option_goes_on_and_says_so(pki: Pki, mtls: CountingMtlsServer) -> None:
    report = connect(
        mtls.url,
        client=credential(pki),
        trust=pki.wrong_roots,
        timeout=5,
        continue_after_untrusted_server=True,
    )
    assert report.check("server-chain").status == "fail"
    assert report.check("client-auth").status != "not-run"
    assert not report.stopped_untrusted_server
    assert len(mtls.client_certificates) == 1
    assert len(mtls.requests) == 1


def test_the_probe_itself_never_presents_a_certificate_to_a_refused_server(
    pki: Pki, mtls: CountingMtlsServer
) -> None:
    """The guarantee belongs to the probe API, which endpoint monitors call without ``connect``."""
    from caiso_pki._tls_probe import probe

    seen: list[int] = []

    def refuse(chain: tuple[object, ...]) -> bool:
        seen.append(len(chain))
        return False

    observed = probe(
        "127.0.0.1",
        mtls.port,
        credential=credential(pki),
        sni=None,
        http_path="/api/resource",
        http_host="127.0.0.1",
        method="GET",
        timeout=5,
        server_check=refuse,
    )
    assert seen == [1 + len(pki.server.chain)]  # asked once, with the whole chain as sent
    assert observed.stopped_untrusted and not observed.credential_sent
    assert observed.http_status is None
    assert mtls.client_certificates == [] and mtls.requests == []


def test_a_server_check_that_raises_fails_closed(pki: Pki, mtls: CountingMtlsServer) -> None:
    from caiso_pki._tls_probe import probe

    def broken(chain: tuple[object, ...]) -> bool:
        raise RuntimeError("check exploded")

    observed = probe(
        "127.0.0.1",
        mtls.port,
        credential=credential(pki),
        sni=None,
        http_path="/",
        http_host="127.0.0.1",
        method="GET",
        timeout=5,
        server_check=broken,
    )
    assert observed.stopped_untrusted and observed.server_accepted is False
    assert observed.server_check_error == "RuntimeError: check exploded"
    assert mtls.client_certificates == [] and mtls.requests == []


# -- the command line -----------------------------------------------------------------------------


def test_cli_a_wrong_trust_file_sends_nothing_and_names_the_file(pki: Pki, mtls: CountingMtlsServer) -> None:
    run = run_cli(
        [
            "connect",
            mtls.url,
            "--p12",
            pki.d / "client.pfx",
            "--password-file",
            pki.d / "password.txt",
            "--trust",
            pki.wrong_roots,
            "--timeout",
            "5",
        ]
    )
    assert run.returncode == 1, run.output
    assert "[fail] 3. server certificate chain" in run.out
    assert "[not run] 4." in run.out and "[not run] 5." in run.out
    next_line = run.out.splitlines()[-1]
    assert next_line.startswith("next: ") and str(pki.wrong_roots) in next_line
    assert "re-export" not in next_line and "PFX" not in next_line
    assert mtls.client_certificates == [] and mtls.requests == []


def test_cli_continue_after_untrusted_server_is_explicit(pki: Pki, mtls: CountingMtlsServer) -> None:
    run = run_cli(
        [
            "connect",
            mtls.url,
            "--cert",
            pki.d / "client.pem",
            "--key",
            pki.d / "client.key",
            "--trust",
            pki.wrong_roots,
            "--timeout",
            "5",
            "--continue-after-untrusted-server",
        ]
    )
    assert run.returncode == 1, run.output  # step 3 still fails
    assert len(mtls.client_certificates) == 1 and len(mtls.requests) == 1


def test_cli_cert_and_key_in_pem(pki: Pki, mtls: CountingMtlsServer) -> None:
    run = run_cli(
        [
            "connect",
            mtls.url,
            "--cert",
            pki.d / "client.pem",
            "--key",
            pki.d / "client.key",
            "--trust",
            pki.right_roots,
            "--timeout",
            "5",
        ]
    )
    assert run.returncode == 0, run.output
    assert "PASS: no check failed" in run.out
    assert mtls.client_certificates == [pki.client.certificate.x509.subject.rfc4514_string()]
    assert len(mtls.requests) == 1


def test_cli_cert_with_a_separate_chain_file(pki: Pki, tmp_path: Path, mtls: CountingMtlsServer) -> None:
    (tmp_path / "leaf.pem").write_text(pki.client.certificate.pem)
    (tmp_path / "chain.pem").write_text("".join(cert.pem for cert in pki.client.chain))
    run = run_cli(
        [
            "connect",
            mtls.url,
            "--cert",
            tmp_path / "leaf.pem",
            "--key",
            pki.d / "client.key",
            "--chain",
            tmp_path / "chain.pem",
            "--trust",
            pki.right_roots,
            "--timeout",
            "5",
        ]
    )
    assert run.returncode == 0, run.output


@pytest.mark.parametrize("require", [False, True], ids=["optional", "required"])
def test_cli_no_client_certificate(pki: Pki, require: bool) -> None:
    with CountingMtlsServer(pki.server, client_roots=[pki.pki.root.certificate], require=require) as server:
        run = run_cli(
            [
                "connect",
                server.url,
                "--no-client-cert",
                "--trust",
                pki.right_roots,
                "--timeout",
                "5",
                "--json",
            ]
        )
    import json

    report = json.loads(run.out)
    assert report["client_certificate"] is None
    assert report["client_auth"]["certificate_sent"] is False
    assert server.client_certificates == []
    if require:
        assert run.returncode == 1
        assert report["first_failure"]["name"] == "client-auth"
    else:
        assert run.returncode == 0, run.output
        assert len(server.requests) == 1


@pytest.mark.parametrize(
    "argv",
    [
        ["--p12", "client.pfx", "--cert", "client.pem", "--key", "client.key"],
        ["--cert", "client.pem"],
        ["--no-client-cert", "--cert", "client.pem", "--key", "client.key"],
        [],
        ["--no-client-cert", "--chain", "client.pem"],
    ],
    ids=["p12-and-pem", "cert-without-key", "none-and-pem", "nothing", "chain-without-cert"],
)
def test_cli_client_certificate_options_exclude_each_other(pki: Pki, argv: list[str]) -> None:
    run = run_cli(["connect", "https://127.0.0.1:1/", "--trust", pki.right_roots, *argv], cwd=pki.d)
    assert run.returncode == 2, run.output
    assert "Traceback" not in run.output


# -- the default request against openssl s_server -www ------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def s_server(pki: Pki) -> Iterator[int]:
    """``openssl s_server -www`` on 127.0.0.1 with the demo server certificate; yields its port."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.fail("the openssl command line tool is required")
    port = _free_port()
    proc = subprocess.Popen(
        [
            openssl,
            "s_server",
            "-accept",
            f"127.0.0.1:{port}",
            "-cert",
            os.fspath(pki.d / "server.pem"),
            "-key",
            os.fspath(pki.d / "server.key"),
            "-cert_chain",
            os.fspath(pki.d / "server-chain.pem"),
            "-www",
        ],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        assert proc.stdout is not None
        for line in proc.stdout:  # s_server says ACCEPT once it listens
            if b"ACCEPT" in line:
                break
        else:
            pytest.fail("openssl s_server did not start")
        yield port
    finally:
        proc.kill()
        proc.wait(timeout=10)
        if proc.stdout is not None:
            proc.stdout.close()


@pytest.mark.openssl
def test_the_default_request_is_answered_by_openssl_s_server_within_2_seconds(pki: Pki) -> None:
    """A 2-second timeout bounds every network step: the HTTP step passes only if s_server answered."""
    with s_server(pki) as port:
        run = run_cli(
            [
                "connect",
                f"https://127.0.0.1:{port}/",
                "--cert",
                pki.d / "client.pem",
                "--key",
                pki.d / "client.key",
                "--trust",
                pki.right_roots,
                "--timeout",
                "2",
            ]
        )
    assert run.returncode == 0, run.output
    assert "[pass] 5. HTTP" in run.out and "GET / -> 200" in run.out


@pytest.mark.openssl
def test_a_wrong_trust_against_openssl_s_server_sends_no_request(pki: Pki) -> None:
    with s_server(pki) as port:
        report = connect(
            f"https://127.0.0.1:{port}/", client=credential(pki), trust=pki.wrong_roots, timeout=2
        )
    assert report.stopped_untrusted_server
    assert report.check("http").status == "not-run"
    assert report.http_status is None


def test_trust_store_directories_are_named_in_the_advice(pki: Pki, tmp_path: Path) -> None:
    store = TrustStore.init(tmp_path / "store").add(pki.pki.entrust_root.certificate).save()
    with CountingMtlsServer(pki.server, client_roots=[pki.pki.root.certificate]) as server:
        report = connect(server.url, client=credential(pki), trust=store, timeout=5)
    assert f"the trust store {tmp_path / 'store'}" in report.next_step
    assert server.client_certificates == []
