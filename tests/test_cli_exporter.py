"""``caiso-pki exporter`` as a real subprocess on 127.0.0.1: rescans, signals, memory, start-up errors."""

from __future__ import annotations

import http.client
import os
import re
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from caiso_pki import export_pkcs12, testing
from caiso_pki.cli import main
from caiso_pki.truststore import TrustStore

#: Upper bound for waiting on the process (a deadline, never a timing assertion).
DEADLINE = 120.0
Samples = dict[str, list[tuple[dict[str, str], float]]]


class ExporterProcess:
    """``python -m caiso_pki exporter ... --listen 127.0.0.1:0``; the port is read from its banner."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "caiso_pki", "exporter", *args, "--listen", "127.0.0.1:0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        self.banner = self._read_banner()
        match = re.search(r"serving http://127\.0\.0\.1:(\d+)/metrics", self.banner)
        assert match, self.banner
        self.port = int(match[1])

    def _read_banner(self) -> str:
        assert self.process.stderr is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stderr, selectors.EVENT_READ)
        text = b""
        limit = time.monotonic() + DEADLINE
        try:
            while b"serving http" not in text and time.monotonic() < limit:
                if selector.select(timeout=1.0):
                    chunk = os.read(self.process.stderr.fileno(), 4096)
                    if not chunk:
                        break
                    text += chunk
        finally:
            selector.close()
        return text.decode("utf-8", "replace")

    def get(self, path: str = "/metrics") -> bytes:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            assert response.status == 200
            return response.read()
        finally:
            connection.close()

    def scrape(self) -> Samples:
        found: Samples = {}
        for family in text_string_to_metric_families(self.get().decode("utf-8")):
            for sample in family.samples:
                found.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
        return found

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
        assert match
        return int(match[1])

    def stop(self, signum: int = signal.SIGTERM) -> tuple[int, str]:
        """``signum`` (SIGTERM), then the exit status and what it printed on stderr after its banner."""
        self.process.send_signal(signum)
        _, err = self.process.communicate(timeout=DEADLINE)
        return self.process.returncode, err.decode("utf-8", "replace")

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.communicate()


@pytest.fixture
def fleet(tmp_path: Path) -> dict[str, object]:
    pki = testing.DemoPki.create()
    certs = tmp_path / "certs"
    certs.mkdir()
    issued = [pki.issuing_ca.issue("rig", f"rig-{i:04d}.example.com", reuse_key=True) for i in range(3)]
    for index, item in enumerate(issued[:2]):
        (certs / f"rig-{index}.pem").write_text(item.certificate.pem)
    store = tmp_path / "store"
    TrustStore.init(store)
    pki.trust_store().save(store)
    return {"pki": pki, "certs": certs, "store": store, "issued": issued}


@pytest.fixture
def started() -> Iterator[list[ExporterProcess]]:
    processes: list[ExporterProcess] = []
    yield processes
    for process in processes:
        process.kill()


def serials(samples: Samples) -> set[str]:
    return {labels["serial"] for labels, _ in samples.get("caiso_pki_certificate_valid", [])}


def audit_time(samples: Samples) -> float:
    ((_, value),) = samples["caiso_pki_audit_timestamp_seconds"]
    return value


def scrape_until(process: ExporterProcess, newer_than: float) -> Samples:
    """Scrape until the data was collected after ``newer_than`` (bounded by DEADLINE)."""
    limit = time.monotonic() + DEADLINE
    while time.monotonic() < limit:
        samples = process.scrape()
        if audit_time(samples) > newer_than:
            return samples
        time.sleep(0.1)
    raise AssertionError("the exporter did not rescan")


def test_rescans_see_an_added_and_a_removed_file_then_sigterm_exits_0(
    fleet: dict[str, object], started: list[ExporterProcess]
) -> None:
    certs, store, issued = fleet["certs"], fleet["store"], fleet["issued"]
    assert isinstance(certs, Path) and isinstance(store, Path) and isinstance(issued, list)
    exporter = ExporterProcess(str(certs), "--store", str(store), "--interval", "1")
    started.append(exporter)
    first = exporter.scrape()
    assert serials(first) == {issued[0].certificate.serial_hex, issued[1].certificate.serial_hex}
    (certs / "rig-2.pem").write_text(issued[2].certificate.pem)
    (certs / "rig-0.pem").unlink()
    changed = time.time()
    second = scrape_until(exporter, changed)
    assert serials(second) == {issued[1].certificate.serial_hex, issued[2].certificate.serial_hex}
    assert {value for _, value in second["caiso_pki_certificate_valid"]} == {1.0}
    returncode, err = exporter.stop()
    assert returncode == 0, err
    assert "stopped" in err and "Traceback" not in err


def test_sighup_rescans_at_once(fleet: dict[str, object], started: list[ExporterProcess]) -> None:
    certs, store, issued = fleet["certs"], fleet["store"], fleet["issued"]
    assert isinstance(certs, Path) and isinstance(store, Path) and isinstance(issued, list)
    exporter = ExporterProcess(str(certs), "--store", str(store), "--interval", "3600")
    started.append(exporter)
    before = exporter.scrape()
    (certs / "rig-2.pem").write_text(issued[2].certificate.pem)
    exporter.process.send_signal(signal.SIGHUP)
    after = scrape_until(exporter, audit_time(before))
    assert issued[2].certificate.serial_hex in serials(after)
    assert exporter.stop()[0] == 0


def test_memory_stays_flat_over_1000_scrapes(
    fleet: dict[str, object], started: list[ExporterProcess]
) -> None:
    certs, store = fleet["certs"], fleet["store"]
    assert isinstance(certs, Path) and isinstance(store, Path)
    exporter = ExporterProcess(str(certs), "--store", str(store), "--interval", "3600")
    started.append(exporter)
    size = len(exporter.get())
    for _ in range(100):  # warm up: allocator pools, the first handler threads
        exporter.get()
    warm = exporter.rss_kib()
    for _ in range(900):
        assert len(exporter.get()) == size
    grown = exporter.rss_kib() - warm
    assert grown < 2048, f"resident memory grew by {grown} KiB over 900 scrapes"
    assert exporter.stop()[0] == 0


def test_once_writes_the_textfile_atomically(fleet: dict[str, object], tmp_path: Path) -> None:
    certs, store = fleet["certs"], fleet["store"]
    out = tmp_path / "textfile" / "caiso_pki.prom"
    out.parent.mkdir()
    out.write_text("old content\n")
    refused = CliRunner().invoke(
        main, ["exporter", str(certs), "--store", str(store), "--once", "--out", str(out)]
    )
    assert refused.exit_code == 2 and "--force" in refused.output
    assert out.read_text() == "old content\n"
    result = CliRunner().invoke(
        main, ["exporter", str(certs), "--store", str(store), "--once", "--out", str(out), "--force"]
    )
    assert result.exit_code == 0, result.output
    names = {family.name for family in text_string_to_metric_families(out.read_text())}
    assert "caiso_pki_certificate_valid" in names
    assert [p.name for p in out.parent.iterdir()] == ["caiso_pki.prom"]  # no temporary file left


def test_once_reads_a_pfx_with_a_password_file(fleet: dict[str, object], tmp_path: Path) -> None:
    pki, store = fleet["pki"], fleet["store"]
    assert isinstance(pki, testing.DemoPki)
    issued = pki.issuing_ca.issue("api-client", "api-client-07")
    export_pkcs12(
        issued.key, issued.certificate, chain=issued.chain, password="pfx-secret", path=tmp_path / "api.pfx"
    )
    (tmp_path / "pfx.pass").write_text("pfx-secret\n")
    password = ["--pkcs12-password-file", str(tmp_path / "pfx.pass")]
    result = CliRunner().invoke(
        main, ["exporter", str(tmp_path / "api.pfx"), "--store", str(store), "--once", *password]
    )
    assert result.exit_code == 0, result.output
    assert "pfx-secret" not in result.output
    samples = {
        (sample.name, sample.labels.get("serial")): (sample.labels, sample.value)
        for family in text_string_to_metric_families(result.output)
        for sample in family.samples
    }
    labels, value = samples[("caiso_pki_certificate_valid", issued.certificate.serial_hex)]
    assert value == 1.0 and labels["kind"] == "api-client" and labels["path"].endswith("api.pfx")


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--listen", "localhost:9793"], "must be an IP address"),
        (["--inventory", "{tmp}/missing.toml"], "cannot read the inventory"),
        (["--out", "{tmp}/x.prom"], "--out needs --once"),
        (["--client-password-env", "X"], "need --client-p12"),
        (["--pkcs12-password-file", "{tmp}/a", "--pkcs12-password-env", "X"], "not both"),
    ],
)
def test_bad_start_up_input_exits_2(
    fleet: dict[str, object], tmp_path: Path, extra: list[str], message: str
) -> None:
    certs, store = fleet["certs"], fleet["store"]
    argv = ["exporter", str(certs), "--store", str(store), *(arg.format(tmp=tmp_path) for arg in extra)]
    result = CliRunner().invoke(main, argv)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_a_store_that_is_not_a_store_exits_2(fleet: dict[str, object], tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(main, ["exporter", str(fleet["certs"]), "--store", str(tmp_path / "empty")])
    assert result.exit_code == 2, result.output
    assert "not a trust store" in result.output


@pytest.mark.parametrize("source", ["file", "env"])
def test_once_reads_a_pfx_whose_password_is_empty_when_given(
    fleet: dict[str, object], tmp_path: Path, source: str
) -> None:
    """The one rule for empty PKCS#12 passwords (docs/security.md): an empty first line or an empty
    variable is the empty password; with no source at all it is never tried."""
    pki, store = fleet["pki"], fleet["store"]
    assert isinstance(pki, testing.DemoPki)
    issued = pki.issuing_ca.issue("api-client", "api-client-empty")
    (tmp_path / "leaf.pem").write_text(issued.certificate.pem)
    pfx = tmp_path / "empty.pfx"
    subprocess.run(
        [
            "openssl",
            "pkcs12",
            "-export",
            "-nokeys",
            "-in",
            tmp_path / "leaf.pem",
            "-out",
            pfx,
            "-passout",
            "pass:",
        ],
        check=True,
        capture_output=True,
    )
    (tmp_path / "empty.pass").write_text("\n")
    given = {
        "file": ["--pkcs12-password-file", str(tmp_path / "empty.pass")],
        "env": ["--pkcs12-password-env", "CAISO_PKI_TEST_EMPTY_PFX"],
    }[source]
    runner = CliRunner(env={"CAISO_PKI_TEST_EMPTY_PFX": ""})
    result = runner.invoke(main, ["exporter", str(pfx), "--store", str(store), "--once", *given])
    assert result.exit_code == 0, result.output
    found = {
        sample.labels.get("serial"): sample.value
        for family in text_string_to_metric_families(result.output)
        for sample in family.samples
        if sample.name == "caiso_pki_certificate_valid"
    }
    assert found == {issued.certificate.serial_hex: 1.0}
    without = runner.invoke(main, ["exporter", str(pfx), "--store", str(store), "--once"])
    assert without.exit_code == 0, without.output
    errors = [
        sample.labels["reason"]
        for family in text_string_to_metric_families(without.output)
        for sample in family.samples
        if sample.name == "caiso_pki_read_errors"
    ]
    assert len(errors) == 1 and "password needed" in errors[0]
