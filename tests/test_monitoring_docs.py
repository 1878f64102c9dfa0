"""docs/monitoring: the alert rules name only metrics the exporter emits; the guide and the systemd unit
agree with the code."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from caiso_pki import testing
from caiso_pki.cli.exporter import exporter_cmd
from caiso_pki.exporter import EXPORTER_METRICS, Exporter
from caiso_pki.fleet_scan import FleetMonitor
from caiso_pki.monitoring import METRICS
from caiso_pki.truststore import TrustStore
from conftest import REPO_ROOT

DOCS = REPO_ROOT / "docs"
RULES = DOCS / "monitoring" / "alerts.yml"
GUIDE = DOCS / "guides" / "monitor-certificates.md"
UNIT = DOCS / "monitoring" / "caiso-pki-exporter.service"

_PROMQL_WORDS = frozenset(
    {"and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset"}
)
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_MATCHERS = re.compile(r"\{[^}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_NAME = re.compile(r"(?<![\w:.])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(\s*\()?")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects (functions, keywords and label names left out)."""
    text = _RANGES.sub(" ", _MATCHERS.sub(" ", _STRINGS.sub(" ", expr)))
    text = _GROUPING.sub(" ", text)
    names = set()
    for match in _NAME.finditer(text):
        name, call = match.group(1), match.group(2)
        if call or name in _PROMQL_WORDS or name in ("inf", "nan", "Inf", "NaN"):
            continue
        names.add(name)
    return names


def rules() -> list[dict[str, object]]:
    document = yaml.safe_load(RULES.read_text("utf-8"))
    return [rule for group in document["groups"] for rule in group["rules"]]


@pytest.fixture(scope="module")
def emitted(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    """Every metric name a live exporter's /metrics declares or samples."""
    import http.client

    base = tmp_path_factory.mktemp("emitted")
    pki = testing.DemoPki.create()
    (base / "certs").mkdir()
    (base / "certs" / "rig.pem").write_text(pki.issuing_ca.issue("rig").certificate.pem)
    TrustStore.init(base / "store")
    pki.trust_store().save(base / "store")
    exporter = Exporter(
        FleetMonitor([base / "certs"]), store=base / "store", listen="127.0.0.1:0", interval=3600
    )
    exporter.start()
    try:
        host, port = exporter.address
        connection = http.client.HTTPConnection(host, port, timeout=10)
        connection.request("GET", "/metrics")
        body = connection.getresponse().read().decode("utf-8")
        connection.close()
    finally:
        exporter.stop()
    names = set()
    for family in text_string_to_metric_families(body):
        names.add(family.name)
        names.update(sample.name for sample in family.samples)
    return names


def test_the_extractor_finds_selectors_and_skips_the_rest() -> None:
    expr = (
        'count by (endpoint, issuer) (max_over_time(caiso_pki_endpoint_chain_info{job="x"}[1d])) > 1 '
        "and on(instance) absent(not_a_real_metric) or time() - foo_bar offset 5m"
    )
    assert metric_names(expr) == {"caiso_pki_endpoint_chain_info", "not_a_real_metric", "foo_bar"}


def test_every_rule_names_only_metrics_the_exporter_emits(emitted: set[str]) -> None:
    assert {spec.name for spec in (*METRICS, *EXPORTER_METRICS)} <= emitted
    for rule in rules():
        names = metric_names(str(rule["expr"]))
        assert names, f"{rule['alert']}: names no metric"
        assert names <= emitted, f"{rule['alert']}: {sorted(names - emitted)} are not emitted"


def test_the_rules_cover_what_the_issue_asks_for() -> None:
    by_name = {str(rule["alert"]): str(rule["expr"]) for rule in rules()}
    assert "30 * 86400" in by_name["CaisoPkiCertificateExpiringSoon"]
    assert "caiso_pki_certificate_valid == 0" in by_name["CaisoPkiCertificateNotValid"]
    assert "caiso_pki_crl_next_update_timestamp_seconds < time()" in by_name["CaisoPkiCrlStale"]
    assert "caiso_pki_endpoint_chain_info" in by_name["CaisoPkiEndpointChainChanged"]
    assert "caiso_pki_read_errors" in by_name["CaisoPkiReadErrors"]
    for rule in rules():
        assert rule["labels"]["severity"] in ("info", "warning", "critical")  # type: ignore[index]
        assert rule["annotations"]["summary"]  # type: ignore[index]


def test_the_guide_lists_every_alert_and_every_metric() -> None:
    guide = GUIDE.read_text("utf-8")
    for rule in rules():
        assert f"`{rule['alert']}`" in guide
    for spec in (*METRICS, *EXPORTER_METRICS):
        assert f"| `{spec.name}` |" in guide, spec.name


def test_the_systemd_unit_uses_only_real_options_and_no_password() -> None:
    text = UNIT.read_text("utf-8").replace("\\\n", " ")
    (line,) = [row for row in text.splitlines() if row.startswith("ExecStart=")]
    argv = shlex.split(line.removeprefix("ExecStart="))
    assert argv[1] == "exporter"
    options = {opt for param in exporter_cmd.params for opt in getattr(param, "opts", [])}
    given = {arg for arg in argv if arg.startswith("--")}
    assert given <= options, sorted(given - options)
    assert "--listen" in given and argv[argv.index("--listen") + 1].startswith("127.0.0.1:")
    assert not any(arg.startswith(("--password", "--pass=")) for arg in argv)
    assert "ExecReload=/bin/kill -HUP $MAINPID" in text
    assert "KillSignal=SIGTERM" in text


def test_the_unit_is_shown_in_the_guide() -> None:
    guide = GUIDE.read_text("utf-8")
    assert "../monitoring/caiso-pki-exporter.service" in guide
    assert "ExecReload=/bin/kill -HUP $MAINPID" in guide


def test_the_federation_note() -> None:
    guide = " ".join(GUIDE.read_text("utf-8").split())
    assert "/federate" in guide and "no aggregation of its own" in guide


def test_docs_monitoring_files_exist() -> None:
    assert Path(RULES).is_file() and Path(UNIT).is_file()
