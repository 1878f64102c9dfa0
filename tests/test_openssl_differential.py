"""Differential test: validate_chain and ``openssl verify`` must agree on the demo PKI and broken variants.

Each case is a leaf, the untrusted certificates offered, the trust anchors and the options; both sides get
the same inputs (``-CAfile``, ``-untrusted``, ``-attime``, ``-purpose``, ``-policy -explicit_policy
-policy_check``, ``-x509_strict``) and must reach the same valid/invalid verdict.  OpenSSL has no
``distrust_after``: the retired root is compared by leaving it out of the trust set.
"""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import attrs
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa

from caiso_pki import testing
from caiso_pki.certificate import Certificate
from caiso_pki.oids import DEMO_BASIC_ASSURANCE_POLICY
from caiso_pki.policy import PolicyRequirement
from caiso_pki.validation import validate_chain

pytestmark = pytest.mark.openssl

UNKNOWN_CRITICAL = (
    x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.7"), b"\x05\x00"),
    True,
)
NO_CERT_SIGN = x509.KeyUsage(True, False, False, False, False, False, True, False, False)


@attrs.frozen
class Case:
    leaf: Certificate
    untrusted: tuple[Certificate, ...]
    anchors: tuple[Certificate, ...]
    expect_valid: bool  # what the case is built to be; both tools must agree with it too
    policy: str | None = None
    purpose: str | None = None
    at: dt.datetime | None = None


def _corrupt_signature(cert: Certificate) -> Certificate:
    der = bytearray(cert.der)
    der[-5] ^= 0x01  # inside the signature BIT STRING: structure intact, signature wrong
    return Certificate.from_der(bytes(der))


def build_cases() -> dict[str, Case]:
    pki = testing.DemoPki.create()
    now = pki.now
    root, issuing, entrust = pki.root, pki.issuing_ca, pki.entrust_intermediate
    anchors = pki.trust_anchors
    chain = issuing.chain
    day = dt.timedelta(days=1)

    def leaf(ca: testing.CertificateAuthority = issuing, kind: Any = "rig", **kw: Any) -> Certificate:
        return ca.issue(kind, **kw).certificate

    not_ca = root.issue_intermediate("Demo Not A CA", is_ca=False)
    sub = issuing.issue_intermediate("Demo Sub CA Below PathLen 0")
    no_sign = root.issue_intermediate("Demo CA Without keyCertSign", key_usage=NO_CERT_SIGN)
    expired_ca = root.issue_intermediate("Demo Expired CA", not_before=now - 400 * day, not_after=now - day)
    critical_ca = root.issue_intermediate(
        "Demo CA With Unknown Critical", extra_extensions=[UNKNOWN_CRITICAL]
    )
    other_rsa = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    retired = pki.retired_issuing_ca.issue("rig")
    good = leaf()
    cases = {
        "valid-caiso-rig": Case(good, chain, anchors, True),
        "valid-entrust-rig": Case(leaf(entrust), entrust.chain, anchors, True),
        "valid-explicit-policy": Case(good, chain, anchors, True, policy=DEMO_BASIC_ASSURANCE_POLICY),
        "valid-sslclient": Case(leaf(kind="api-client"), chain, anchors, True, purpose="sslclient"),
        "valid-sslserver": Case(leaf(kind="server"), chain, anchors, True, purpose="sslserver"),
        "valid-unordered-extras": Case(
            good, (entrust.certificate, pki.retired_issuing_ca.certificate, *chain), anchors, True
        ),
        "valid-leaf-outlives-issuer": Case(
            leaf(not_after=issuing.certificate.not_after + 400 * day), chain, anchors, True
        ),
        "valid-entrust-anypolicy-explicit": Case(
            leaf(entrust, policies=(DEMO_BASIC_ASSURANCE_POLICY,)),
            entrust.chain,
            anchors,
            True,
            policy=DEMO_BASIC_ASSURANCE_POLICY,
        ),
        "expired-leaf": Case(
            leaf(not_before=now - 400 * day, validity=dt.timedelta(days=30)), chain, anchors, False
        ),
        "not-yet-valid-leaf": Case(leaf(not_before=now + 2 * day), chain, anchors, False),
        "validation-time-before-root": Case(good, chain, anchors, False, at=now - 30 * day),
        "validation-time-after-leaf": Case(good, chain, anchors, False, at=now + 400 * day),
        "wrong-issuer-key": Case(leaf(signing_key=other_rsa), chain, anchors, False),
        "corrupted-signature": Case(_corrupt_signature(good), chain, anchors, False),
        "ca-false-intermediate": Case(leaf(not_ca), not_ca.chain, anchors, False),
        "path-length-exceeded": Case(leaf(sub), sub.chain, anchors, False),
        "intermediate-without-keycertsign": Case(leaf(no_sign), no_sign.chain, anchors, False),
        "expired-intermediate": Case(leaf(expired_ca), expired_ca.chain, anchors, False),
        "intermediate-unknown-critical": Case(leaf(critical_ca), critical_ca.chain, anchors, False),
        "leaf-unknown-critical": Case(leaf(extra_extensions=[UNKNOWN_CRITICAL]), chain, anchors, False),
        "missing-policy-explicit": Case(
            leaf(policies=()), chain, anchors, False, policy=DEMO_BASIC_ASSURANCE_POLICY
        ),
        "policy-mismatch-explicit": Case(good, chain, anchors, False, policy="2.999.2008.1.99"),
        "entrust-no-leaf-policy-explicit": Case(
            leaf(entrust), entrust.chain, anchors, False, policy=DEMO_BASIC_ASSURANCE_POLICY
        ),
        "wrong-eku-sslserver": Case(leaf(kind="api-client"), chain, anchors, False, purpose="sslserver"),
        "wrong-eku-sslclient": Case(leaf(kind="server"), chain, anchors, False, purpose="sslclient"),
        "retired-root-not-trusted": Case(retired.certificate, retired.chain, anchors, False),
        "retired-root-offered-untrusted": Case(
            retired.certificate, (*retired.chain, pki.retired_root.certificate), anchors, False
        ),
        "untrusted-root": Case(good, chain, (pki.entrust_root.certificate,), False),
        "missing-intermediate": Case(good, (), anchors, False),
    }
    return cases


CASES = build_cases()


# openssl verify error number -> the failure codes of ours that say the same thing
OPENSSL_ERRORS: dict[int, set[str]] = {
    7: {"bad-signature"},
    9: {"not-yet-valid"},
    10: {"expired"},
    19: {"untrusted-root"},
    20: {"no-path"},
    25: {"path-length-exceeded"},
    26: {"extended-key-usage", "key-usage"},
    34: {"critical-extension"},
    43: {"policy"},
    79: {"not-a-ca", "key-usage"},
}


def _openssl_verify(case: Case, directory: Path, at: dt.datetime) -> tuple[bool, str]:
    anchors = directory / "anchors.pem"
    anchors.write_text("".join(c.pem for c in case.anchors))
    leaf = directory / "leaf.pem"
    leaf.write_text(case.leaf.pem)
    args = ["openssl", "verify", "-x509_strict", "-CAfile", str(anchors), "-attime", str(int(at.timestamp()))]
    if case.untrusted:
        untrusted = directory / "untrusted.pem"
        untrusted.write_text("".join(c.pem for c in case.untrusted))
        args += ["-untrusted", str(untrusted)]
    if case.policy:
        args += ["-policy", case.policy, "-explicit_policy", "-policy_check"]
    if case.purpose:
        args += ["-purpose", case.purpose]
    proc = subprocess.run([*args, str(leaf)], capture_output=True, text=True, check=False)
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def _ours(case: Case, at: dt.datetime) -> Any:
    usage: dict[str, Any] = {}
    if case.purpose == "sslclient":
        usage = {"extended_key_usage": {"clientAuth"}, "key_usage": {"digitalSignature"}}
    elif case.purpose == "sslserver":
        usage = {"extended_key_usage": {"serverAuth"}, "key_usage": {"digitalSignature"}}
    policy = PolicyRequirement(acceptable={case.policy}, require_explicit=True) if case.policy else None
    return validate_chain(
        case.leaf, case.untrusted, trust=case.anchors, at=at, policy=policy, revocation="off", **usage
    )


def test_enough_broken_variants() -> None:
    assert sum(not case.expect_valid for case in CASES.values()) >= 15


@pytest.mark.parametrize("name", sorted(CASES))
def test_agrees_with_openssl(name: str, tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        pytest.fail("the openssl command line tool is required for the differential test")
    case = CASES[name]
    at = case.at or dt.datetime.now(dt.UTC)
    openssl_valid, openssl_output = _openssl_verify(case, tmp_path, at)
    ours = _ours(case, at)
    assert ours.valid == openssl_valid, (name, ours.failures, openssl_output)
    assert ours.valid == case.expect_valid, (name, ours.failures, openssl_output)
    if not openssl_valid:
        match = re.search(r"error (\d+) at", openssl_output)
        assert match, openssl_output
        assert ours.codes[0] in OPENSSL_ERRORS[int(match.group(1))], (name, ours.failures, openssl_output)
