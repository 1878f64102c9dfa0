"""``caiso-pki connect``: the checklist, exit statuses, ``--json`` against its schema, and no secrets."""

from __future__ import annotations

import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import attrs
import jsonschema
import pytest
from click.testing import CliRunner, Result

from _cli import run_cli
from _tls_servers import CaNamesTlsServer, TlsServer, closed_port, server_context, silent_port
from caiso_pki import export_pkcs12, testing
from caiso_pki.cli import COMMANDS, main
from caiso_pki.connection import CHECK_NAMES
from caiso_pki.truststore import TrustStore

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATH = ROOT / "docs" / "schemas" / "connect-report.schema.json"
PASSWORD = "cli-connect-pfx-password-7Qz"


@attrs.frozen
class Files:
    pki: testing.DemoPki
    server: testing.IssuedCertificate
    client: testing.IssuedCertificate
    pfx: Path
    other_pfx: Path
    password: Path
    wrong_password: Path
    root: Path
    store: Path
    key_pem: bytes = attrs.field(repr=False)


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Files:
    d = tmp_path_factory.mktemp("cli-connect")
    pki = testing.DemoPki.create()
    server = pki.issuing_ca.issue("server", "localhost", dns_names=["localhost"], ip_addresses=["127.0.0.1"])
    client = pki.issuing_ca.issue("api-client", "api-client.example.com")
    other = pki.entrust_intermediate.issue("api-client", "other-client.example.com")
    export_pkcs12(
        client.key, client.certificate, chain=client.chain, password=PASSWORD, path=d / "client.pfx"
    )
    export_pkcs12(other.key, other.certificate, chain=other.chain, password=PASSWORD, path=d / "other.pfx")
    (d / "password.txt").write_text(PASSWORD + "\n")
    (d / "wrong.txt").write_text("not-the-password\n")
    (d / "root.pem").write_text(pki.root.certificate.pem)
    TrustStore.init(d / "store")
    pki.trust_store().save(d / "store")
    return Files(
        pki=pki,
        server=server,
        client=client,
        pfx=d / "client.pfx",
        other_pfx=d / "other.pfx",
        password=d / "password.txt",
        wrong_password=d / "wrong.txt",
        root=d / "root.pem",
        store=d / "store",
        key_pem=client.key_pem(),
    )


@pytest.fixture(scope="module")
def ok_server(files: Files) -> Iterator[TlsServer]:
    with TlsServer(server_context(files.server, client_roots=[files.pki.root.certificate])) as server:
        yield server


@pytest.fixture(scope="module")
def forbidden_server(files: Files) -> Iterator[TlsServer]:
    context = server_context(files.server, client_roots=[files.pki.root.certificate])
    with TlsServer(context, status=403) as server:
        yield server


@pytest.fixture(scope="module")
def schema() -> dict[str, object]:
    loaded: dict[str, object] = json.loads(SCHEMA_PATH.read_text("utf-8"))
    jsonschema.Draft202012Validator.check_schema(loaded)
    return loaded


def invoke(files: Files, target: str, *extra: str, pfx: Path | None = None) -> Result:
    args = ["connect", target, "--p12", str(pfx or files.pfx), "--password-file", str(files.password)]
    if "--store" not in extra and "--trust" not in extra:
        args += ["--trust", str(files.root)]
    return CliRunner().invoke(main, [*args, *extra], catch_exceptions=False)


def assert_valid(data: object, schema: dict[str, object]) -> None:
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    errors = sorted(validator.iter_errors(data), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors)


def test_the_command_is_registered() -> None:
    assert COMMANDS["connect"] == "caiso_pki.cli.connect:connect_cmd"
    result = CliRunner().invoke(main, ["--help"])
    assert "connect" in result.output


def test_a_passing_connection_exits_0_with_one_line_per_check(files: Files, ok_server: TlsServer) -> None:
    result = invoke(files, ok_server.url)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == f"connect {ok_server.url} (server name 127.0.0.1, profile rfc5280)"
    checks = lines[1:-1]
    assert len(checks) == len(CHECK_NAMES)
    assert all(line.startswith(("[pass]", "[n/a]")) for line in checks), result.output
    assert [line.split()[1] for line in checks] == ["1.", "1.", "1.", "1.", "1.", "2.", "3.", "4.", "5."]
    assert lines[-1] == "PASS: no check failed"
    assert "GET /api/resource -> 200 OK" in result.output


def test_a_trust_store_directory(files: Files, ok_server: TlsServer) -> None:
    result = invoke(files, ok_server.url, "--store", str(files.store), "--method", "GET")
    assert result.exit_code == 0, result.output
    assert "GET /api/resource -> 200 OK" in result.output


def test_the_profile_reaches_the_report(files: Files, ok_server: TlsServer) -> None:
    """What ``webpki`` requires is the validator's business (issue 15); here: it is passed on."""
    result = invoke(files, ok_server.url, "--profile", "webpki", "--json")
    assert result.exit_code in (0, 1), result.output
    data = report_json(result)
    assert isinstance(data, dict)
    assert data["profile"] == "webpki"


def test_a_403_exits_1_and_says_ask_your_uaa(files: Files, forbidden_server: TlsServer) -> None:
    result = invoke(files, forbidden_server.url)
    assert result.exit_code == 1, result.output
    assert result.output.splitlines()[-2].startswith(
        "FAIL at step 5 (HTTP): GET /api/resource -> 403 Forbidden"
    )
    assert "authenticated, but not authorised for this application: ask your UAA" in result.output
    assert result.output.splitlines()[-1].startswith("next: ")


def test_a_client_from_another_ca_exits_1_at_step_4(files: Files) -> None:
    issuing = files.pki.issuing_ca.certificate
    roots = [files.pki.root.certificate]
    with CaNamesTlsServer(files.server, client_roots=roots, ca_names=[issuing]) as server:
        result = invoke(files, server.url, "--store", str(files.store), pfx=files.other_pfx)
    assert result.exit_code == 1, result.output
    assert "[fail] 4. client certificate request" in result.output
    assert issuing.subject.rfc4514 in result.output


def report_json(result: Result) -> object:
    return json.loads(result.output)


@pytest.mark.parametrize("case", ["pass", "403", "other-ca", "tls1.1", "silent", "closed"])
def test_json_validates_against_the_schema(
    files: Files,
    ok_server: TlsServer,
    forbidden_server: TlsServer,
    schema: dict[str, object],
    case: str,
) -> None:
    expected_failure = {"pass": None, "403": "http", "other-ca": "client-auth", "tls1.1": "tls"}
    if case in ("pass", "403"):
        server = ok_server if case == "pass" else forbidden_server
        result = invoke(files, server.url, "--json")
    elif case == "other-ca":
        result = invoke(files, ok_server.url, "--json", "--store", str(files.store), pfx=files.other_pfx)
    elif case == "tls1.1":
        context = server_context(files.server, maximum_version=ssl.TLSVersion.TLSv1_1)
        with TlsServer(context) as server:
            result = invoke(files, server.url, "--json")
    else:
        ports = silent_port() if case == "silent" else closed_port()
        with ports as port:
            result = invoke(files, f"https://127.0.0.1:{port}/", "--json", "--timeout", "1")
        expected_failure[case] = "tls"
    assert result.exit_code == (0 if case == "pass" else 1), result.output
    data = report_json(result)
    assert_valid(data, schema)
    assert isinstance(data, dict)
    failure = data["first_failure"]
    assert (failure["name"] if failure else None) == expected_failure[case]


def test_a_wrong_pfx_password_exits_2(files: Files, ok_server: TlsServer) -> None:
    args = ["connect", ok_server.url, "--p12", str(files.pfx), "--password-file", str(files.wrong_password)]
    result = CliRunner().invoke(main, [*args, "--trust", str(files.root)])
    assert result.exit_code == 2
    assert "wrong PKCS#12 password" in result.output
    assert str(files.pfx) in result.output


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--trust", "ROOT", "--store", "STORE"], "exactly one of --store DIR or --trust FILE"),
        ([], "exactly one of --store DIR or --trust FILE"),
        (["--trust", "ROOT", "--profile", "browser"], "Invalid value for '--profile'"),
        (["--trust", "ROOT", "--method", "POST"], "Invalid value for '--method'"),
        (["--trust", "ROOT", "--timeout", "0"], "positive number of seconds"),
        (["--trust", "ROOT", "--cps", "no-such-profile"], "no-such-profile"),
        (["--trust", "/nonexistent/root.pem"], "/nonexistent/root.pem"),
    ],
)
def test_bad_input_exits_2(files: Files, ok_server: TlsServer, extra: list[str], message: str) -> None:
    replaced = [{"ROOT": str(files.root), "STORE": str(files.store)}.get(item, item) for item in extra]
    args = ["connect", ok_server.url, "--p12", str(files.pfx), "--password-file", str(files.password)]
    result = CliRunner().invoke(main, [*args, *replaced])
    assert result.exit_code == 2, result.output
    assert message in result.output


@pytest.mark.parametrize("url", ["http://127.0.0.1:1/", "127.0.0.1", "https://127.0.0.1:0/"])
def test_a_bad_url_exits_2(files: Files, url: str) -> None:
    result = invoke(files, url)
    assert result.exit_code == 2, result.output
    assert result.output.startswith("error: ")


def test_without_a_terminal_the_password_prompt_is_refused(files: Files, ok_server: TlsServer) -> None:
    run = run_cli(["connect", ok_server.url, "--p12", files.pfx, "--trust", files.root])
    assert run.returncode == 2, run.output
    assert "use --password-file" in run.err


def test_the_console_script_and_the_password_variable(files: Files, ok_server: TlsServer) -> None:
    run = run_cli(
        ["connect", ok_server.url, "--p12", files.pfx, "--password-env", "PFX_PW", "--trust", files.root],
        env={"PFX_PW": PASSWORD},
    )
    assert run.returncode == 0, run.output
    assert run.out.splitlines()[-1] == "PASS: no check failed"


def test_no_private_key_or_password_in_any_output(
    files: Files, ok_server: TlsServer, forbidden_server: TlsServer
) -> None:
    key_lines = files.key_pem.decode().splitlines()[1:-1]
    outputs = []
    for target in (ok_server.url, forbidden_server.url, ok_server.host_port):
        for mode in ([], ["--json"]):
            result = invoke(files, target, *mode)
            assert result.exit_code in (0, 1), result.output
            outputs.append(result.output)
    wrong = ["connect", ok_server.url, "--p12", str(files.pfx), "--password-file", str(files.wrong_password)]
    outputs.append(CliRunner().invoke(main, [*wrong, "--trust", str(files.root)]).output)
    run = run_cli(
        [
            "connect",
            ok_server.url,
            "--p12",
            files.pfx,
            "--password-env",
            "PFX_PW",
            "--trust",
            files.root,
            "--json",
        ],
        env={"PFX_PW": PASSWORD},
    )
    outputs.append(run.output)
    for text in outputs:
        assert PASSWORD not in text
        assert "not-the-password" not in text
        assert "PRIVATE KEY" not in text
        assert not any(line in text for line in key_lines)


def test_the_store_is_the_only_trust(files: Files, ok_server: TlsServer, tmp_path: Path) -> None:
    """A store without the CAISO root: the server's chain fails, whatever the OS trusts."""
    store = tmp_path / "entrust-only"
    TrustStore.init(store)
    TrustStore().add(files.pki.entrust_root.certificate).save(store)
    result = invoke(files, ok_server.url, "--store", str(store))
    assert result.exit_code == 1
    assert "[fail] 3. server certificate chain" in result.output
