"""``caiso-pki verify``: exit statuses, the drawn chain, JSON, stores, CRLs and fetching."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from _hostile import HOSTILE_NAMES, hostile_leaf
from caiso_pki import testing, validate_chain
from caiso_pki._revocation_server import RevocationServer
from caiso_pki._text import printable
from caiso_pki.cli.verify import render_text, verify
from caiso_pki.oids import DEMO_BASIC_ASSURANCE_POLICY
from caiso_pki.truststore import TrustStore


@pytest.fixture(scope="module")
def pki() -> testing.DemoPki:
    return testing.DemoPki.create()


@pytest.fixture(scope="module")
def files(pki: testing.DemoPki, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("verify")
    paths = pki.write(d)
    rig = pki.issuing_ca.issue("rig", "rig-0001.example.com")
    client = pki.issuing_ca.issue("api-client", "client-1")
    expired = pki.issuing_ca.issue("rig", not_before=pki.now - dt.timedelta(days=500))
    retired = pki.retired_issuing_ca.issue(
        "rig",
        not_before=testing.CYBERTRUST_END_OF_LIFE + dt.timedelta(days=1),
        not_after=pki.now + dt.timedelta(days=30),
    )
    for name, issued in {"rig": rig, "client": client, "expired": expired, "retired": retired}.items():
        paths[name] = d / f"{name}.pem"
        paths[name].write_text(issued.pem_bundle())
    paths["roots"] = d / "roots.pem"
    paths["roots"].write_text("".join(c.pem for c in pki.trust_anchors))
    store = TrustStore.init(d / "store")
    store = store.add_all(pki.trust_anchors).add(
        pki.retired_root.certificate, labels="retired", distrust_after=testing.CYBERTRUST_END_OF_LIFE
    )
    store.save()
    paths["store"] = d / "store"
    return paths


def run(*args: str | Path, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(verify, [str(a) for a in args], input=input)
    return result.exit_code, result.output


def test_valid_chain_is_drawn(files: dict[str, Path]) -> None:
    code, out = run(
        files["rig"],
        "--chain",
        files["caiso-chain.pem"],
        "--trust",
        files["roots"],
        "--usage",
        "server",
        "--server-name",
        "rig-0001.example.com",
        "--policy",
        DEMO_BASIC_ASSURANCE_POLICY,
        "--explicit-policy",
        "--revocation",
        "off",
    )
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].startswith("VALID at ")
    assert "Demo CAISO Root CA" in lines[1] and lines[1].startswith("[ok]")
    assert "trust anchor" in lines[2]
    assert lines[3].startswith("└── [ok] Demo CAISO Issuing CA 1")
    assert lines[5].startswith("    └── [ok] rig-0001.example.com")
    assert f"valid policies: {DEMO_BASIC_ASSURANCE_POLICY}" in out


def test_json_output(files: dict[str, Path]) -> None:
    code, out = run(files["rig"], "--trust", files["roots"], "--json", "--revocation", "off")
    assert code == 0, out
    data = json.loads(out)
    assert data["valid"] is True
    assert len(data["path"]) == 3  # the leaf file carries its chain


@pytest.mark.parametrize(
    ("leaf", "args", "code_name"),
    [
        ("expired", (), "expired"),
        ("client", ("--usage", "server"), "extended-key-usage"),
        ("rig", ("--server-name", "other.example.com"), "name-mismatch"),
        ("rig", ("--policy", "2.999.2008.1.99", "--explicit-policy"), "policy"),
        ("rig", ("--at", "2001-01-01"), "not-yet-valid"),
        ("retired", (), "no-path"),
    ],
)
def test_invalid_exits_1(files: dict[str, Path], leaf: str, args: tuple[str, ...], code_name: str) -> None:
    code, out = run(files[leaf], "--trust", files["roots"], "--revocation", "off", *args)
    assert code == 1, out
    assert out.startswith("NOT VALID")
    assert f"- {code_name}" in out


def test_store_with_distrust_after(files: dict[str, Path]) -> None:
    code, out = run(files["retired"], "--store", files["store"], "--revocation", "off", "--json")
    assert code == 1, out
    assert [f["code"] for f in json.loads(out)["failures"]] == ["distrusted-anchor"]
    assert run(files["rig"], "--store", files["store"], "--revocation", "off")[0] == 0


def test_revoked_via_crl_file(tmp_path: Path) -> None:
    pki = testing.DemoPki.create()
    leaf = pki.issuing_ca.issue("rig")
    pki.issuing_ca.revoke(leaf, reason="keyCompromise")
    paths = pki.write(tmp_path)
    (tmp_path / "leaf.pem").write_text(leaf.pem_bundle())
    (tmp_path / "root.crl").write_bytes(pki.root.crl())
    code, out = run(
        tmp_path / "leaf.pem",
        "--trust",
        paths["caiso-root.pem"],
        "--revocation",
        "require",
        "--crl",
        paths["caiso-issuing.crl"],
        "--crl",
        tmp_path / "root.crl",
    )
    assert code == 1, out
    assert "- revoked [2]:" in out
    assert "keyCompromise" in out
    assert "revocation revoked via CRL" in out


@pytest.mark.parametrize(
    "args",
    [
        ("--revocation", "off"),  # neither --store nor --trust
        ("--trust", "roots", "--store", "store"),  # both
        ("--trust", "missing.pem"),
        ("--trust", "roots", "--at", "yesterday"),
        ("--trust", "roots", "--revocation", "maybe"),
        ("--trust", "roots", "--crl", "rig"),  # a certificate file is not a CRL
    ],
)
def test_bad_input_exits_2(files: dict[str, Path], args: tuple[str, ...]) -> None:
    resolved = [str(files.get(a, a)) if a in files else a for a in args]
    code, out = run(files["rig"], *resolved)
    assert code == 2, out


@pytest.fixture
def served() -> Iterator[tuple[RevocationServer, testing.DemoPki]]:
    with RevocationServer() as server:
        pki = testing.DemoPki.create(base_url=server.base_url)
        server.serve(pki)
        yield server, pki


def test_fetch_from_a_live_responder(
    served: tuple[RevocationServer, testing.DemoPki], tmp_path: Path
) -> None:
    _, pki = served
    leaf = pki.issuing_ca.issue("rig")
    (tmp_path / "leaf.pem").write_text(leaf.pem_bundle())
    (tmp_path / "roots.pem").write_text("".join(c.pem for c in pki.trust_anchors))
    code, out = run(
        tmp_path / "leaf.pem", "--trust", tmp_path / "roots.pem", "--revocation", "require", "--fetch"
    )
    assert code == 0, out
    pki.issuing_ca.revoke(leaf, reason="cessationOfOperation")
    code, out = run(
        tmp_path / "leaf.pem",
        "--trust",
        tmp_path / "roots.pem",
        "--revocation",
        "require",
        "--fetch",
        "--json",
    )
    assert code == 1, out
    data = json.loads(out)
    assert data["failures"][0]["code"] == "revoked"
    assert data["revocation"][2]["reason"] == "cessationOfOperation"
    assert data["revocation"][2]["url"] == pki.issuing_ca.ocsp_url


def test_installed_entry_point(files: dict[str, Path]) -> None:
    ok = subprocess.run(
        [
            sys.executable,
            "-m",
            "caiso_pki",
            "verify",
            str(files["rig"]),
            "--trust",
            str(files["roots"]),
            "--revocation",
            "off",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    bad = subprocess.run(
        [sys.executable, "-m", "caiso_pki", "verify", str(files["expired"]), "--trust", str(files["roots"])],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1


# -- issue 13 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["escape", "newline", "bidi", "bmp-nul"])
def test_names_are_escaped_in_the_drawn_chain(
    pki: testing.DemoPki, files: dict[str, Path], kind: str
) -> None:
    # issue 13 defect 1: a CN with a newline split verify's lines; escapes reached the terminal
    issued = hostile_leaf(pki, kind)
    code, out = run("-", "--trust", files["roots"], "--revocation", "off", input=issued.pem_bundle())
    assert code == 0, out
    assert printable(HOSTILE_NAMES[kind]) in out
    assert not any(char in out for char in "\x00\x1b\u202e")
    assert len(out.splitlines()) == len(render_lines_for(pki, issued))


def render_lines_for(pki: testing.DemoPki, issued: testing.IssuedCertificate) -> list[str]:
    """The lines the same chain draws with an ordinary name (one per line, nothing added)."""
    plain = pki.issuing_ca.issue("rig", "rig-0001.example.com")
    result = validate_chain(plain.certificate, plain.chain, trust=pki.trust_anchors, revocation="off")
    return render_text(result).splitlines()


@pytest.mark.parametrize(
    "at", ["9999-12-31T23:59:59.999999", "9999-12-31T23:59:59", "0001-01-01", "1949-12-31"]
)
def test_times_out_of_range_are_bad_input(files: dict[str, Path], at: str) -> None:
    # issue 13 defect 12: verify --at 9999-12-31T23:59:59.999999 reported the code "internal"
    code, out = run(files["rig"], "--trust", files["roots"], "--at", at)
    assert code == 2
    assert f"error: --at '{at}': choose a time between 1950-01-01 and 9000-01-01" in out


def test_only_one_input_reads_stdin(files: dict[str, Path]) -> None:
    code, out = run("-", "--trust", "-", input=files["rig"].read_text())
    assert code == 2
    assert "standard input ('-') can be read only once" in out


# -- issue 13 defect 13: fetches run together under one deadline, and a terminal says what is fetched


class _Silent:
    """A TCP server on 127.0.0.1 that accepts connections and never answers (a hung responder)."""

    def __init__(self) -> None:
        import socket
        import threading

        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _accept(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                connection, _ = self.sock.accept()
            except OSError:
                continue
            self.held.append(connection)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        for connection in self.held:
            connection.close()
        self.sock.close()


@pytest.fixture
def silent() -> Iterator[_Silent]:
    server = _Silent()
    yield server
    server.close()


def test_fetches_share_one_deadline(silent: _Silent) -> None:
    """Four hung fetches (CRL and OCSP for the CA and the leaf) end together when --timeout runs out:
    each certificate says the checks did not finish within the deadline, not four timeouts in a row."""
    pki = testing.DemoPki.create(base_url=silent.base_url)
    leaf = pki.issuing_ca.issue("rig")
    seen: list[str] = []
    from caiso_pki.validation import Validator

    validator = Validator(
        trust=[pki.root.certificate], fetch=True, timeout=1, revocation="hard-fail", on_fetch=seen.append
    )
    result = validator.validate(leaf.certificate, leaf.chain)
    assert not result.valid
    assert set(result.codes) == {"revocation-unavailable"}
    assert all("1 s deadline" in failure.message for failure in result.failures), result.failures
    assert [s.status for s in result.revocation] == ["not-checked", "unknown", "unknown"]
    # both certificates' fetches started before the deadline: they ran concurrently
    assert any("/ocsp/caiso-issuing" in url for url in seen), seen
    assert any("/ocsp/caiso-root" in url or "/crl/caiso-root" in url for url in seen), seen


def test_a_terminal_shows_what_is_being_fetched(
    served: tuple[RevocationServer, testing.DemoPki], tmp_path: Path
) -> None:
    from _cli import run_in_pty

    _, pki = served
    leaf = pki.issuing_ca.issue("rig")
    (tmp_path / "leaf.pem").write_text(leaf.pem_bundle())
    (tmp_path / "roots.pem").write_text("".join(c.pem for c in pki.trust_anchors))
    shown = run_in_pty(
        [
            "verify",
            tmp_path / "leaf.pem",
            "--trust",
            tmp_path / "roots.pem",
            "--fetch",
            "--revocation",
            "require",
        ]
    )
    assert shown.returncode == 0, shown.stdout
    assert b"fetching http://127.0.0.1:" in shown.stdout
    piped = subprocess.run(
        [
            sys.executable,
            "-m",
            "caiso_pki",
            "verify",
            str(tmp_path / "leaf.pem"),
            "--trust",
            str(tmp_path / "roots.pem"),
            "--fetch",
        ],
        capture_output=True,
        check=False,
    )
    assert piped.returncode == 0, piped.stderr
    assert b"fetching" not in piped.stderr  # no status line without a terminal
