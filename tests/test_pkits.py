"""NIST PKITS through validate_chain: every case of pkits.json (and the user-notice cases) must agree.

The data lives outside the repository (``../shared/conformance/pkits``, or ``$CAISO_PKI_PKITS_DIR``).
Missing data is an error, not a skip: a conformance suite that silently does not run proves nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from _pkits import CASES, NOTICE_CASES, cert, pkits_options
from caiso_pki.validation import validate_chain

# Cases that cannot give the expected outcome, with the reason (none today; keep the table for review).
XFAIL: dict[str, str] = {}


def _run(case: dict[str, Any]) -> Any:
    intermediates = case.get("path_intermediates", case.get("other_certs", []))
    return validate_chain(cert(case["cert"]), [cert(name) for name in intermediates], **pkits_options(case))


def _param(case: dict[str, Any]) -> Any:
    case_id = f"{case['id']}-{case['name']}"
    marks = [pytest.mark.xfail(strict=True, reason=XFAIL[case["id"]])] if case["id"] in XFAIL else []
    return pytest.param(case, id=case_id, marks=marks)


def test_suite_is_complete() -> None:
    assert len(CASES) == 247
    assert len({case["cert"] for case in CASES}) > 200


@pytest.mark.parametrize("case", [_param(case) for case in CASES])
def test_pkits(case: dict[str, Any]) -> None:
    result = _run(case)
    if "error" in case:
        assert not result.valid, f"expected failure ({case['error']['msg_regex']}), got a valid path"
        assert result.failures
        assert all(failure.code != "internal" for failure in result.failures), result.failures
    else:
        assert result.valid, [f"{f.code}: {f.message}" for f in result.failures]
        assert len(result.path) == case["path_len"]
        assert result.path[0] == cert("TrustAnchorRootCertificate.crt")
        assert result.path[-1] == cert(case["cert"])
        checked = [s for s in result.revocation[1:] if s.status == "good"]
        if case.get("revocation", True):
            assert len(checked) == len(result.path) - 1, result.revocation


@pytest.mark.parametrize("case", NOTICE_CASES, ids=lambda case: f"{case['id']}-{case['name']}")
def test_pkits_user_notice(case: dict[str, Any]) -> None:
    # 4.8.15-4.8.19: valid paths whose end-entity certificates carry user-notice qualifiers.
    result = _run(case)
    assert result.valid, [f"{f.code}: {f.message}" for f in result.failures]
    assert result.valid_policies


# A sample of invalid cases with the failure code each must report (the codes are part of our API).
EXPECTED_CODES = {
    "invalid_ca_signature_test2": "bad-signature",
    "invalid_ee_signature_test3": "bad-signature",
    "invalid_ca_notbefore_date_test1": "not-yet-valid",
    "invalid_ee_notbefore_date_test2": "not-yet-valid",
    "invalid_ca_notafter_date_test5": "expired",
    "invalid_name_chaining_ee_test1": "no-path",
    "missing_crl_test1": "revocation-unavailable",
    "invalid_revoked_ca_test2": "revoked",
    "invalid_revoked_ee_test3": "revoked",
    "invalid_missing_basicconstraints_test1": "not-a-ca",
    "invalid_pathlenconstraint_test6": "path-length-exceeded",
    "invalid_keyusage_critical_keycertsign_false_test1": "key-usage",
    "overlapping_policies_test6_with_testpol2_explicit": "policy",
    "invalid_dn_nameconstraints_test2": "name-constraints",
    "invalid_unknown_critical_certificate_extension_test2": "critical-extension",
}


@pytest.mark.parametrize(("name", "code"), sorted(EXPECTED_CODES.items()))
def test_pkits_failure_codes(name: str, code: str) -> None:
    case = next(c for c in CASES if c["name"] == name)
    result = _run(case)
    assert code in result.codes, result.failures
    failure = next(f for f in result.failures if f.code == code)
    assert failure.index is not None
    assert failure.subject == result.path[failure.index].subject.rfc4514
    if code == "revoked":
        assert "keyCompromise" in failure.message or "reason:" in failure.message
        assert "2010-01-01" in failure.message


def test_validating_the_same_objects_twice_gives_the_same_answer() -> None:
    """Regression: asn1crypto re-encoded non-canonical DER (UIDCACert) on first dump, so the second
    validation of the same Certificate objects failed with bad-signature."""
    first = {case["id"]: _run(case).to_dict() for case in CASES}
    second = {case["id"]: _run(case).to_dict() for case in CASES}
    assert first == second


def test_validating_all_of_pkits_writes_nothing_to_stderr(tmp_path: Any) -> None:
    """pyhanko logs tracebacks during ordinary validation (46 lines for 4.4.21 alone); an application
    that configured no logging must see none of them, nor any warning."""
    import subprocess
    import sys

    script = tmp_path / "run.py"
    script.write_text(
        "import sys\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "from _pkits import CASES, NOTICE_CASES, cert, pkits_options\n"
        "from caiso_pki.validation import validate_chain\n"
        "for case in [*CASES, *NOTICE_CASES]:\n"
        "    names = case.get('path_intermediates', case.get('other_certs', []))\n"
        "    validate_chain(cert(case['cert']), [cert(n) for n in names], **pkits_options(case))\n"
        "print('done', len(CASES) + len(NOTICE_CASES))\n"
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"done {len(CASES) + len(NOTICE_CASES)}"
    assert done.stderr == ""
