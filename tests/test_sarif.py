"""SARIF 2.1.0 output: valid against the official schema, levels mapped, citations as help URIs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from caiso_pki import testing
from caiso_pki.lint import Finding, Severity, lint_certificate, lint_chain
from caiso_pki.profiles.cps import Citation
from caiso_pki.sarif import SARIF_VERSION, findings_to_sarif, sarif_log

SCHEMA_PATH = Path(__file__).parent / "data" / "sarif-schema-2.1.0.json"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert data["title"].startswith("Static Analysis Results Format (SARIF) Version 2.1.0")
    return data


def validate(log: dict[str, Any], schema: dict[str, Any]) -> None:
    validator = jsonschema.Draft4Validator(schema, format_checker=jsonschema.Draft4Validator.FORMAT_CHECKER)
    errors = sorted(validator.iter_errors(json.loads(json.dumps(log))), key=str)
    assert not errors, [f"{list(e.absolute_path)}: {e.message}" for e in errors]


@pytest.fixture(scope="module")
def pki() -> testing.DemoPki:
    return testing.DemoPki.create()


def test_real_findings_validate(pki: testing.DemoPki, schema: dict[str, Any]) -> None:
    leaf = pki.issuing_ca.issue("rig", "rig-0001.example.com", key_spec="rsa-1024", serial=1, dns_names=[])
    findings = lint_chain((leaf.root, *reversed(leaf.chain), leaf.certificate), "caiso-basic-assurance")
    assert {f.severity for f in findings} >= {Severity.ERROR, Severity.WARNING, Severity.NOTICE}
    log = findings_to_sarif(findings, tool_version="1.2.3", artifact_uri="certs/rig.pem")
    validate(log, schema)
    assert log["version"] == SARIF_VERSION
    run = log["runs"][0]
    assert run["tool"]["driver"]["version"] == "1.2.3"
    rule_ids = [rule["id"] for rule in run["tool"]["driver"]["rules"]]
    assert rule_ids == sorted({f.code for f in findings})
    assert len(run["results"]) == len(findings)
    for result, finding in zip(run["results"], findings, strict=True):
        assert result["ruleId"] == finding.code
        assert rule_ids[result["ruleIndex"]] == finding.code
        assert result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "certs/rig.pem"
    key_rule = next(rule for rule in run["tool"]["driver"]["rules"] if rule["id"] == "CPS-KEY-SIZE")
    assert key_rule["helpUri"].startswith("https://cabforum.org/")
    assert "6.1.5" in key_rule["fullDescription"]["text"]


def test_empty_and_multi_artifact_logs_validate(pki: testing.DemoPki, schema: dict[str, Any]) -> None:
    clean = lint_certificate(pki.issuing_ca.issue("rig").certificate, "caiso-demo")
    validate(findings_to_sarif(clean, tool_version="0", artifact_uri="a.pem"), schema)
    bad = lint_certificate(pki.issuing_ca.issue("rig", serial=1).certificate, "caiso-demo")
    log = sarif_log({"a.pem": clean, "b.pem": bad}, tool_version="0")
    validate(log, schema)
    assert [a["location"]["uri"] for a in log["runs"][0]["artifacts"]] == ["a.pem", "b.pem"]
    (result,) = log["runs"][0]["results"]
    assert result["locations"][0]["physicalLocation"]["artifactLocation"]["index"] == 1


@pytest.mark.parametrize(
    ("severity", "level"),
    [
        (Severity.ERROR, "error"),
        (Severity.WARNING, "warning"),
        (Severity.NOTICE, "note"),
        (Severity.INFO, "note"),
    ],
)
def test_level_mapping(severity: Severity, level: str, schema: dict[str, Any]) -> None:
    cite = Citation(
        document="rfc5280", section="4.2.1.3", title="RFC 5280", url="https://example.com/#4.2.1.3"
    )
    finding = Finding(
        code="CPS-X", severity=severity, message="m", citation=cite, field="f", certificate_index=0
    )
    log = findings_to_sarif([finding], tool_version="0", artifact_uri="x.pem")
    validate(log, schema)
    assert log["runs"][0]["results"][0]["level"] == level
    assert log["runs"][0]["tool"]["driver"]["rules"][0]["defaultConfiguration"]["level"] == level


def test_schema_rejects_a_broken_log(schema: dict[str, Any]) -> None:
    log = findings_to_sarif([], tool_version="0", artifact_uri="x.pem")
    log["runs"][0]["results"] = [{"level": "fatal", "message": {"text": "m"}}]
    with pytest.raises(AssertionError):
        validate(log, schema)
