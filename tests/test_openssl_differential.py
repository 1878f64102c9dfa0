"""Differential test: validate_chain and ``openssl verify`` must agree on the demo PKI and broken variants.

Each case is a leaf, the untrusted certificates offered, the trust anchors and the options; both sides get
the same inputs (``-CAfile``, ``-untrusted``, ``-attime``, ``-purpose``, ``-policy -explicit_policy
-policy_check``, ``-x509_strict``) and must reach the same valid/invalid verdict.  OpenSSL has no
``distrust_after``: the retired root is compared by leaving it out of the trust set.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
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


# -- the strict rules (issue 15): the minted cases of tests/_rule_cases.py --------------------------
#
# What ``openssl verify -x509_strict`` (OpenSSL 3.0.19) reports for each case of the rule table, found
# by running it on every case.  Where OpenSSL checks the rule, both tools must say "not valid" and
# OpenSSL must give the error listed; where it does not (it says OK), the verdicts differ by design and
# nothing is asserted: the reason is in RULES_OPENSSL_DOES_NOT_CHECK.  A new case must be put in one
# of the two tables (test_every_rule_case_is_classified).

#: case -> the openssl verify error numbers that say "not valid" for it.
RULES_OPENSSL_CHECKS: dict[str, set[int]] = {
    # X509_V_FLAG_X509_STRICT checks of OpenSSL 3.0 (x509_vfy.c check_extensions, x509v3_cache_extensions)
    "invalid-time-encoding/generalized-fraction": {14},  # format error in notAfter
    "invalid-time-encoding/utc-without-seconds": {14},
    "missing-authority-key-id": {85},
    "missing-authority-key-id/cross-signed-intermediate": {85},  # -x509_strict agrees: 4.2.1.1 holds
    "missing-subject-key-id": {86},
    "key-cert-sign-without-ca": {82},
    "subject-alt-name-not-critical": {88},
    "basic-constraints-not-critical": {89},
    "basic-constraints-not-critical/anchor": {89},  # -x509_strict holds the anchor to it too
    "ca-empty-subject": {83, 84},  # issuer name empty (the leaf), subject name empty (the CA)
    "explicit-curve-parameters": {94},
    "unsupported-algorithm/gost-key": {1},  # "unspecified": X509_PUBKEY_get0 cannot decode the key
    # OpenSSL does not handle a critical AKI, SKI or AIA: "unhandled critical extension"
    "critical-authority-key-id": {34},
    "critical-subject-key-id": {34},
    "critical-subject-key-id/anchor": {34},
    "critical-authority-key-id/anchor": {34},
    "critical-authority-info-access": {34},
    # a repeated or undecodable extension makes the certificate invalid (EXFLAG_INVALID): no issuer is
    # then found for it
    "duplicate-extension": {20},
    "empty-key-usage": {20},  # x509v3_cache_extensions marks it invalid: the leaf is not loaded
    "malformed-extension/subject-alt-name": {20},
    # the anchor is held to its validity, basicConstraints, keyUsage, critical extensions and name
    # constraints by both
    "expired/anchor": {10},
    "not-yet-valid/anchor": {9},
    "not-a-ca/anchor": {79},
    "not-a-ca/anchor-without-basic-constraints": {79},
    "key-usage/anchor": {79, 32},
    "critical-extension/anchor": {34},
    "name-constraints/anchor": {47},
    # path validation
    "expired/leaf-one-second": {10},  # no tolerance on either side
    "not-yet-valid/leaf-one-second": {9},
    "not-yet-valid/not-before-fractional-second": {9},  # -attime takes whole seconds: the second before
    "expired/trusted-leaf": {10},  # with -partial_chain, so the leaf may be its own anchor
    "expired/intermediate": {10},
    "bad-signature": {7},
    "not-a-ca/intermediate": {
        79,
        32,
    },  # cA=FALSE, and (so that keyCertSign-without-CA stays quiet) no keyCertSign
    "key-usage/intermediate-without-key-cert-sign": {79, 32},
    "critical-extension/intermediate": {34},
    "critical-extension/leaf": {34},
    "path-length-exceeded": {25},
    "path-length-exceeded/max-path-length": {22},  # -verify_depth 0: certificate chain too long
    "extended-key-usage/leaf": {26},
    "extended-key-usage/intermediate": {26},  # OpenSSL too lets an intermediate's EKU constrain the leaf
    "name-constraints/intermediate": {47},
    "name-constraints/other-name": {51},  # unsupported name constraint type: both fail closed
    "name-mismatch": {62},
    "policy": {43},
    "no-path": {20},
    "untrusted-root": {19},
    "revoked": {23},
    "revocation-unavailable": {3},  # -crl_check: the leaf's CRL is missing
    # OpenSSL finds no issuer: its name comparison is byte-wise on canonical encodings, and it does not
    # know the signature algorithm
    "name-chaining": {20},
    "unsupported-algorithm": {20},
    # neither finds a path through the same-subject pile
    "path-building-limit/distinct-keys": {20},
    "path-building-limit/one-key": {19},
    # a root whose AKI names another key is not self-signed to OpenSSL: it looks for that issuer
    "webpki-root-aki-key-id/differs-from-ski": {2},
    # the strictness gaps the fast-path differential found (docs/choices.md, "Malformed certificates")
    "invalid-version/v2-with-extensions": {93},  # "Using cert extension requires at least X509v3"
    "invalid-version/v1-explicit": {93},  # OpenSSL reads the explicit v1 as v1 (it does not refuse DER)
    "invalid-version/v1-with-extensions": {93},
    "invalid-version/anchor-v2-with-extensions": {93},
    "invalid-public-key/ec-point-not-on-curve": {1},  # X509_PUBKEY_get0: decode error
    "empty-subject-alt-name": {87},  # "Empty Subject Alternative Name extension"
    "signature-algorithm-mismatch": {7, 78},  # "cert info signature and signature algorithm mismatch"
    "signature-algorithm-mismatch/anchor": {78},
    "invalid-signature-value/unused-bits": {7},  # "invalid bit string bits left"
}

#: case -> why OpenSSL says OK (the rule is not one of its checks), so agreement is not asserted.
RULES_OPENSSL_DOES_NOT_CHECK: dict[str, str] = {
    "invalid-serial-number/zero": "OpenSSL 3.0 does not check serial numbers",
    "invalid-serial-number/negative": "OpenSSL 3.0 does not check serial numbers",
    "invalid-serial-number/21-octets": "OpenSSL 3.0 does not check serial numbers",
    "empty-extended-key-usage": "an empty EKU is accepted",
    "name-constraints-in-end-entity": "ignored in an end-entity certificate",
    "name-constraints-not-critical": "criticality of nameConstraints is not checked",
    "policy-constraints-not-critical": "criticality of policyConstraints is not checked",
    "malformed-name-constraints": "a dNSName constraint is not checked for syntax",
    "invalid-dns-name/underscore": "SAN dNSName syntax is not checked (only matched against a host name)",
    "invalid-dns-name/non-ascii": "SAN dNSName syntax is not checked",
    "invalid-dns-name/emoji": "SAN dNSName syntax is not checked",
    "weak-key/rsa-512": "the leaf's own key is not checked (only -auth_level would)",
    "weak-key/rsa-2047": "the leaf's own key is not checked",
    "weak-key/p-192": "the leaf's own key is not checked",
    "weak-key/dsa": "the leaf's own key is not checked",
    "weak-algorithm/sha1": "SHA-1 signatures pass at the default security level",
    "malformed-extension/authority-info-access": "authorityInfoAccess is not decoded by verify",
    "malformed/signature-bit-string": "openssl cannot read the file at all (not a verify verdict)",
    "key-usage/leaf": "-purpose sslserver accepts keyEncipherment instead of digitalSignature",
    "distrusted-anchor": "OpenSSL has no distrust_after",
    "invalid-version/v4": "a version field of 3 (v4) is not checked",
    "invalid-public-key/key-unused-bits": "unused bits in the key BIT STRING are ignored",
    "invalid-public-key/rsa-exponent-1": "the RSA exponent is not checked (e=1 verifies anything)",
    "invalid-public-key/rsa-parameters-absent": "rsaEncryption without NULL parameters is decoded as RSA",
    "invalid-rfc822-name/nul": "rfc822Name SANs are matched, not checked for syntax",
    "invalid-signature-algorithm/ecdsa-with-null": "ECDSA with NULL parameters verifies (the OID decides)",
    **{
        name: "the CA/Browser Forum rules are not part of openssl verify"
        for name in (
            "webpki-server-auth/client-auth-only",
            "webpki-server-auth/any-eku-only",
            "webpki-server-auth/no-eku",
            "webpki-leaf-is-ca",
            "webpki-cn-not-in-san/case",
            "webpki-cn-not-in-san/ip-spelling",
            "webpki-wildcard/public-suffix",
            "webpki-wildcard/co-uk",
            "webpki-wildcard/partial-label",
            "webpki-key/rsa-2049",
            "webpki-key/ed25519",
            "webpki-root-eku",
            "webpki-root-aki",
            "webpki-root-aki-key-id/missing",
            "webpki-forbidden-eku/any-eku-beside-server-auth",
            "webpki-forbidden-eku/code-signing-beside-server-auth",
            "webpki-critical-eku",
            "webpki-cn-not-in-san/dns-cn-beside-ip-san",
            "webpki-cn-not-in-san/apex-cn-beside-wildcard-san",
            "webpki-signature-algorithm/rsa-without-null",
        )
    },
}

#: Chains both must accept (from the controls of tests/_rule_cases.py).
RULES_OPENSSL_VALID = (
    "valid/rig",
    "valid/webpki-server",
    "idn/a-label-san",
    "idn/server-name-a-label",
    "idn/server-name-upper-case-a-label",
    "idn/a-label-under-name-constraints",
    "valid/anchor-name-constraints-permit",
    "valid/other-name-constraint-applies-to-nothing",
    # trust anchors: OpenSSL does not check serial numbers, nor the AKI of the anchor
    "valid/anchor-serial-zero",
    "valid/anchor-negative-serial",
    "valid/lone-root-serial-zero",
    "valid/anchor-cross-signed-without-authority-key-id",
    "valid/webpki-root-aki-equal-to-ski",
    "valid/webpki-ip-san-without-cn",
    "valid/webpki-wildcard-san-without-cn",
    "valid/webpki-server-and-client-auth",
    # RFC 4055 5: sha256WithRSAEncryption without its NULL parameters is accepted by both
    "valid/rsa-signature-parameters-absent",
    "valid/webpki-rsa-server",
)

#: Controls we accept and ``openssl verify -x509_strict`` refuses, on purpose: control -> (the openssl
#: error numbers, why).  docs/choices.md gives each choice.
RULES_OPENSSL_REFUSES_CONTROLS: dict[str, tuple[set[int], str]] = {
    "valid/anchor-without-subject-key-id": (
        {86},
        "-x509_strict holds the trust anchor to RFC 5280 4.2.1.2; we do not (Trust anchors)",
    ),
    "valid/anchor-generalized-time-fraction": (
        {14},
        "-x509_strict holds the anchor's time encoding to RFC 5280 4.1.2.5; we do not (Trust anchors)",
    ),
    "valid/max-path-length-self-issued-not-counted": (
        {22},
        "-verify_depth counts the self-issued intermediate; max_path_length does not (max_path_length)",
    ),
    "valid/trusted-leaf-not-after-fractional-second": (
        {10},
        "-attime takes whole seconds, and at notAfter's own second OpenSSL says expired (not inclusive)",
    ),
}


def _rule_tables() -> tuple[dict[str, Any], dict[str, Any]]:
    from _rule_cases import build_tables

    return build_tables()


RULE_CASES, RULE_CONTROLS = _rule_tables()


def _openssl_rule_verify(case: Any, directory: Path) -> tuple[bool, str]:
    from cryptography import x509 as cx509
    from cryptography.hazmat.primitives.serialization import Encoding

    from caiso_pki.truststore import TrustStore

    anchors = (
        [e.certificate for e in case.trust.entries] if isinstance(case.trust, TrustStore) else case.trust
    )
    (directory / "anchors.pem").write_text("".join(c.pem for c in anchors))
    (directory / "leaf.pem").write_text(case.leaf.pem)
    args = ["openssl", "verify", "-x509_strict", "-CAfile", str(directory / "anchors.pem")]
    args += ["-attime", str(int(case.at.timestamp()))]
    if any(not cert.is_self_issued for cert in anchors):
        args.append("-partial_chain")  # a trusted leaf is its own anchor
    if case.chain:
        (directory / "untrusted.pem").write_text("".join(c.pem for c in case.chain))
        args += ["-untrusted", str(directory / "untrusted.pem")]
    if case.usage == "server":
        args += ["-purpose", "sslserver"]
    if case.policy:
        args += ["-policy", case.policy, "-explicit_policy", "-policy_check"]
    if case.server_name:
        args += ["-verify_ip" if _is_ip(case.server_name) else "-verify_hostname", case.server_name]
    if case.max_path_length is not None:
        args += ["-verify_depth", str(case.max_path_length)]
    if case.crls:
        pems = "".join(cx509.load_der_x509_crl(der).public_bytes(Encoding.PEM).decode() for der in case.crls)
        (directory / "crls.pem").write_text(pems)
        args += ["-CRLfile", str(directory / "crls.pem"), "-crl_check"]
    proc = subprocess.run([*args, str(directory / "leaf.pem")], capture_output=True, text=True, check=False)
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return False
    return True


def test_every_rule_case_is_classified() -> None:
    assert set(RULES_OPENSSL_CHECKS) | set(RULES_OPENSSL_DOES_NOT_CHECK) == set(RULE_CASES)
    assert not set(RULES_OPENSSL_CHECKS) & set(RULES_OPENSSL_DOES_NOT_CHECK)


@pytest.mark.parametrize("name", sorted(RULES_OPENSSL_CHECKS))
def test_strict_rules_agree_with_openssl(name: str, tmp_path: Path) -> None:
    case = RULE_CASES[name]
    openssl_valid, output = _openssl_rule_verify(case, tmp_path)
    ours = validate_chain(case.leaf, case.chain, at=case.at, server_name=case.server_name, **case.options())
    assert not openssl_valid and not ours.valid, (name, ours.failures, output)
    errors = {int(number) for number in re.findall(r"error (\d+) at", output)}
    assert errors and errors <= RULES_OPENSSL_CHECKS[name], (name, output)


@pytest.mark.parametrize("name", sorted(RULES_OPENSSL_DOES_NOT_CHECK))
def test_rules_openssl_does_not_check_are_still_ours(name: str, tmp_path: Path) -> None:
    """The table says why OpenSSL accepts these; this keeps it honest (and us strict)."""
    case = RULE_CASES[name]
    openssl_valid, output = _openssl_rule_verify(case, tmp_path)
    ours = validate_chain(case.leaf, case.chain, at=case.at, server_name=case.server_name, **case.options())
    assert not ours.valid
    if name == "malformed/signature-bit-string":
        assert "Could not read certificate" in output, output
    else:
        assert openssl_valid, (name, output)  # if OpenSSL starts checking it, move the case up


def _controls() -> list[Any]:
    params = []
    for name in RULES_OPENSSL_VALID:
        params.append(pytest.param(name, id=name))
    return params


@pytest.mark.parametrize("name", _controls())
def test_valid_controls_agree_with_openssl(name: str, tmp_path: Path) -> None:
    case = RULE_CONTROLS[name]
    openssl_valid, output = _openssl_rule_verify(case, tmp_path)
    assert openssl_valid, output
    ours = validate_chain(case.leaf, case.chain, at=case.at, server_name=case.server_name, **case.options())
    assert ours.valid, ours.failures


@pytest.mark.parametrize("name", sorted(RULES_OPENSSL_REFUSES_CONTROLS))
def test_controls_openssl_refuses_on_purpose(name: str, tmp_path: Path) -> None:
    """The controls where our choice and OpenSSL's differ: OpenSSL still refuses them, as listed."""
    case = RULE_CONTROLS[name]
    openssl_valid, output = _openssl_rule_verify(case, tmp_path)
    errors = {int(number) for number in re.findall(r"error (\d+) at", output)}
    assert not openssl_valid and errors == RULES_OPENSSL_REFUSES_CONTROLS[name][0], (name, output)
    ours = validate_chain(case.leaf, case.chain, at=case.at, server_name=case.server_name, **case.options())
    assert ours.valid, ours.failures
