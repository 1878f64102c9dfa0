"""The Exporter in this process: HTTP on 127.0.0.1, rescans, trust-store reloads (caiso_pki.exporter).

The command, its signals and its memory over 1,000 scrapes are in tests/test_cli_exporter.py, with a
real subprocess.
"""

from __future__ import annotations

import gzip
import http.client
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from caiso_pki import testing
from caiso_pki.errors import MalformedInputError, TrustStoreError
from caiso_pki.exporter import EXPORTER_METRICS, Exporter, StoreWatcher, parse_listen
from caiso_pki.fleet_scan import FleetMonitor
from caiso_pki.truststore import TrustStore

#: Upper bound for waiting on a background rescan (a deadline, never a timing assertion).
DEADLINE = 60.0


def get(
    exporter: Exporter, path: str = "/metrics", headers: dict[str, str] | None = None
) -> tuple[int, dict[str, str], bytes]:
    host, port = exporter.address
    connection = http.client.HTTPConnection(host, port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def scrape(exporter: Exporter) -> dict[str, list[tuple[dict[str, str], float]]]:
    status, _, body = get(exporter)
    assert status == 200
    found: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(body.decode("utf-8")):
        for sample in family.samples:
            found.setdefault(sample.name, []).append((dict(sample.labels), sample.value))
    return found


def value(samples: dict[str, list[tuple[dict[str, str], float]]], name: str) -> float:
    ((_, found),) = samples[name]
    return found


def rescan_and_wait(exporter: Exporter) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Ask for a rescan and scrape until the scan counter moves (bounded by DEADLINE)."""
    before = value(scrape(exporter), "caiso_pki_exporter_scans_total")
    exporter.rescan()
    limit = time.monotonic() + DEADLINE
    while time.monotonic() < limit:
        samples = scrape(exporter)
        if value(samples, "caiso_pki_exporter_scans_total") > before:
            return samples
        time.sleep(0.05)
    raise AssertionError("no rescan happened")


def serials(samples: dict[str, list[tuple[dict[str, str], float]]]) -> set[str]:
    return {labels["serial"] for labels, _ in samples.get("caiso_pki_certificate_valid", [])}


@pytest.fixture
def pki() -> testing.DemoPki:
    return testing.DemoPki.create()


@pytest.fixture
def store_dir(tmp_path: Path, pki: testing.DemoPki) -> Path:
    directory = tmp_path / "store"
    TrustStore.init(directory)
    pki.trust_store().filter(label="caiso").save(directory)
    return directory


@pytest.fixture
def exporter(tmp_path: Path, store_dir: Path) -> Iterator[Exporter]:
    (tmp_path / "certs").mkdir()
    running = Exporter(
        FleetMonitor([tmp_path / "certs"]), store=store_dir, listen="127.0.0.1:0", interval=3600
    )
    running.start()
    try:
        yield running
    finally:
        running.stop()


def test_serves_metrics_and_rescans_on_request(
    exporter: Exporter, tmp_path: Path, pki: testing.DemoPki
) -> None:
    first = pki.issuing_ca.issue("rig", "rig-0001.example.com")
    samples = scrape(exporter)
    assert serials(samples) == set()
    assert value(samples, "caiso_pki_exporter_last_scan_success") == 1.0
    for spec in EXPORTER_METRICS:
        assert spec.name in samples
    (tmp_path / "certs" / "a.pem").write_text(first.certificate.pem)
    samples = rescan_and_wait(exporter)
    assert serials(samples) == {first.certificate.serial_hex}
    ((labels, valid),) = samples["caiso_pki_certificate_valid"]
    assert valid == 1.0 and labels["anchor_labels"] == "caiso"


def test_a_scrape_does_not_rescan(exporter: Exporter) -> None:
    before = value(scrape(exporter), "caiso_pki_exporter_scans_total")
    for _ in range(20):
        after = value(scrape(exporter), "caiso_pki_exporter_scans_total")
    assert after == before == 1.0


def test_the_trust_store_is_reloaded_when_it_changes(
    exporter: Exporter, tmp_path: Path, pki: testing.DemoPki, store_dir: Path
) -> None:
    rig = pki.entrust_intermediate.issue("rig", "rig-0002.example.com")
    (tmp_path / "certs" / "rig.pem").write_text(rig.pem_bundle())
    samples = rescan_and_wait(exporter)
    anchors = value(samples, "caiso_pki_trust_store_anchors")
    assert {found for _, found in samples["caiso_pki_certificate_valid"]} == {0.0}  # no Entrust root yet
    with TrustStore.edit(store_dir) as editor:
        editor.add(pki.entrust_root.certificate, labels={"rig"})
    samples = rescan_and_wait(exporter)
    assert value(samples, "caiso_pki_exporter_trust_store_reloads_total") == 1.0
    assert value(samples, "caiso_pki_trust_store_anchors") == anchors + 1
    leaf = [
        (labels, found)
        for labels, found in samples["caiso_pki_certificate_valid"]
        if labels["serial"] == rig.certificate.serial_hex
    ]
    assert leaf == [(leaf[0][0], 1.0)] and leaf[0][0]["anchor_labels"] == "rig"


def test_a_damaged_store_keeps_the_last_good_one_and_says_so(
    exporter: Exporter, tmp_path: Path, pki: testing.DemoPki, store_dir: Path
) -> None:
    leaf = pki.issuing_ca.issue("rig", "rig-0003.example.com")
    (tmp_path / "certs" / "rig.pem").write_text(leaf.pem_bundle())
    (store_dir / "manifest.json").write_text("{ not json")
    samples = rescan_and_wait(exporter)
    assert value(samples, "caiso_pki_exporter_last_scan_success") == 1.0
    ((labels, _),) = [item for item in samples["caiso_pki_read_errors"] if item[0]["path"] == str(store_dir)]
    assert "trust store" in labels["reason"]
    assert {found for labels, found in samples["caiso_pki_certificate_valid"]} == {1.0}  # old store in use


def test_other_paths_and_gzip(exporter: Exporter) -> None:
    status, _, body = get(exporter, "/")
    assert status == 200 and b"/metrics" in body
    status, _, _ = get(exporter, "/secrets")
    assert status == 404
    status, headers, body = get(exporter, headers={"Accept-Encoding": "gzip"})
    assert status == 200 and headers["Content-Encoding"] == "gzip"
    assert b"caiso_pki_audit_timestamp_seconds" in gzip.decompress(body)
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4")


def test_loopback_by_default(tmp_path: Path, store_dir: Path) -> None:
    exporter = Exporter(FleetMonitor([tmp_path]), store=store_dir)
    assert exporter.listen == ("127.0.0.1", 9793)


def test_start_fails_cleanly_on_a_bad_store_or_a_taken_port(tmp_path: Path, store_dir: Path) -> None:
    with pytest.raises(TrustStoreError):
        Exporter(FleetMonitor([tmp_path]), store=tmp_path / "no-store", listen="127.0.0.1:0").start()
    first = Exporter(FleetMonitor([tmp_path]), store=store_dir, listen="127.0.0.1:0")
    first.start()
    try:
        host, port = first.address
        with pytest.raises(MalformedInputError, match="cannot listen"):
            Exporter(FleetMonitor([tmp_path]), store=store_dir, listen=(host, port)).start()
    finally:
        first.stop()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1:9793", ("127.0.0.1", 9793)),
        ("0.0.0.0:80", ("0.0.0.0", 80)),
        ("[::1]:9793", ("::1", 9793)),
    ],
)
def test_parse_listen(text: str, expected: tuple[str, int]) -> None:
    assert parse_listen(text) == expected


@pytest.mark.parametrize("text", ["9793", "localhost:9793", "127.0.0.1:http", "127.0.0.1:70000", ":9793"])
def test_parse_listen_refuses(text: str) -> None:
    with pytest.raises(MalformedInputError, match="listen address"):
        parse_listen(text)


def test_store_watcher_reopens_only_on_change(store_dir: Path, pki: testing.DemoPki) -> None:
    watcher = StoreWatcher(store_dir)
    first, problem = watcher.current()
    assert problem is None and watcher.reloads == 0
    assert watcher.current()[0] is first
    with TrustStore.edit(store_dir) as editor:
        editor.add(pki.entrust_root.certificate)
    second, problem = watcher.current()
    assert problem is None and watcher.reloads == 1
    assert len(second) == len(first) + 1


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"monitor": None}, r"^monitor: expected a FleetMonitor"),
        ({"monitor": ["certs/"]}, r"^monitor: expected a FleetMonitor"),
        ({"store": None}, r"^store: expected a path"),
        ({"store": ""}, r"^store: the path is empty"),
        ({"listen": None}, r"^listen: expected HOST:PORT text or a \(host, port\) pair"),
        ({"listen": 9793}, r"^listen: expected HOST:PORT text"),
        ({"listen": ("127.0.0.1", "9793")}, r"^listen: expected HOST:PORT text"),
        ({"listen": ("127.0.0.1",)}, r"^listen: expected HOST:PORT text"),
        ({"listen": "localhost:9793"}, "must be an IP address"),
        ({"interval": "300"}, "^interval '300': give a positive number"),
        ({"interval": 0}, "^interval 0: give a positive number"),
    ],
)
def test_wrong_arguments_are_refused_before_any_port_is_bound(
    tmp_path: Path, store_dir: Path, change: dict[str, object], message: str
) -> None:
    port = _free_port()
    arguments: dict[str, object] = {
        "monitor": FleetMonitor([tmp_path]),
        "store": store_dir,
        "listen": ("127.0.0.1", port),
        "interval": 60.0,
    }
    arguments.update(change)
    with pytest.raises(MalformedInputError, match=message):
        Exporter(**arguments).start()  # type: ignore[arg-type]
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as again:
        again.bind(("127.0.0.1", port))  # the port is still free


def test_listen_as_a_pair(tmp_path: Path, store_dir: Path) -> None:
    assert Exporter(FleetMonitor([tmp_path]), store=str(store_dir), listen=["::1", 9793]).listen == (
        "::1",
        9793,
    )
