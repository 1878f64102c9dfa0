"""SARIF 2.1.0 output for lint findings, for code-scanning dashboards and CI annotations.

:func:`findings_to_sarif` turns findings into one SARIF log (a JSON-ready ``dict``): one run whose
``tool.driver.rules`` describe every finding code that occurs (with the citation as ``helpUri``), and
one result per finding.  Levels map ``error`` -> ``error``, ``warning`` -> ``warning`` and ``notice`` /
``info`` -> ``note``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from caiso_pki.lint import CODE_DESCRIPTIONS, Finding, Severity

if TYPE_CHECKING:
    from caiso_pki.types import JsonDict

__all__ = ["SARIF_SCHEMA_URI", "SARIF_VERSION", "findings_to_sarif", "sarif_log"]

SARIF_VERSION: Final = "2.1.0"
SARIF_SCHEMA_URI: Final = (
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
)
_LEVELS: Final = {
    Severity.ERROR: "error",
    Severity.WARNING: "warning",
    Severity.NOTICE: "note",
    Severity.INFO: "note",
}


def _rule(code: str, example: Finding) -> dict[str, Any]:
    rule: dict[str, Any] = {
        "id": code,
        "name": "".join(part.capitalize() for part in code.lower().split("-")),
        "shortDescription": {"text": CODE_DESCRIPTIONS.get(code, code)},
        "defaultConfiguration": {"level": _LEVELS[example.severity]},
    }
    citation = example.citation
    if citation is not None:
        rule["fullDescription"] = {"text": f"{CODE_DESCRIPTIONS.get(code, code)} ({citation})"}
        rule["help"] = {"text": f"See {citation}."}
        if citation.url:
            rule["helpUri"] = citation.url
        rule["properties"] = {"citation": citation.to_dict()}
    return rule


def _location(uri: str, index: int, finding: Finding) -> dict[str, Any]:
    location: dict[str, Any] = {
        "physicalLocation": {"artifactLocation": {"uri": uri, "index": index}},
    }
    name = finding.field or "certificate"
    position = (
        f"certificate[{finding.certificate_index}]"
        if finding.certificate_index is not None
        else "certificate"
    )
    logical: dict[str, Any] = {"name": name, "fullyQualifiedName": f"{position}/{name}", "kind": "member"}
    location["logicalLocations"] = [logical]
    if finding.certificate_subject:
        location["message"] = {"text": finding.certificate_subject}
    return location


def sarif_log(
    results: Mapping[str, Sequence[Finding]], *, tool_version: str, tool_name: str = "caiso-pki"
) -> dict[str, Any]:
    """One SARIF log for several linted files: ``results`` maps each artifact URI to its findings."""
    examples: dict[str, Finding] = {}
    for findings in results.values():
        for finding in findings:
            examples.setdefault(finding.code, finding)
    codes = sorted(examples)
    rule_index = {code: position for position, code in enumerate(codes)}
    sarif_results: list[dict[str, Any]] = []
    artifacts = []
    for artifact_index, (uri, findings) in enumerate(results.items()):
        artifacts.append({"location": {"uri": uri}})
        for finding in findings:
            properties: dict[str, Any] = {"severity": finding.severity.value}
            if finding.certificate_index is not None:
                properties["certificateIndex"] = finding.certificate_index
            if finding.certificate_subject is not None:
                properties["certificateSubject"] = finding.certificate_subject
            if finding.citation is not None:
                properties["citation"] = str(finding.citation)
            sarif_results.append(
                {
                    "ruleId": finding.code,
                    "ruleIndex": rule_index[finding.code],
                    "level": _LEVELS[finding.severity],
                    "message": {"text": finding.message},
                    "locations": [_location(uri, artifact_index, finding)],
                    "properties": properties,
                }
            )
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": tool_name,
                        "version": tool_version,
                        "rules": [_rule(code, examples[code]) for code in codes],
                    }
                },
                "artifacts": artifacts,
                "results": sarif_results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def findings_to_sarif(findings: Iterable[Finding], *, tool_version: str, artifact_uri: str) -> JsonDict:
    """A SARIF 2.1.0 log (JSON-ready ``dict``) for the findings of one linted file ``artifact_uri``."""
    from caiso_pki._convert import instances, text
    from caiso_pki.lint import Finding

    checked = instances(findings, Finding, "findings", "Finding objects")
    uri = text(artifact_uri, "artifact_uri")
    return sarif_log({uri: checked}, tool_version=text(tool_version, "tool_version"))
