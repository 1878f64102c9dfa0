"""The CPS linter: every rule of the built-in profile triggered alone by one mutation, and passed.

Certificates are minted with the public test PKI; each row of ``CASES`` changes one thing in an
otherwise clean certificate and must produce exactly that rule's finding code against ``caiso-demo``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.x509.oid import NameOID

from caiso_pki import testing
from caiso_pki.certificate import Certificate
from caiso_pki.csr import Csr
from caiso_pki.errors import ProfileError
from caiso_pki.lint import (
    CODE_DESCRIPTIONS,
    Finding,
    FindingList,
    Severity,
    check_chain,
    cps_kind,
    lint_certificate,
    lint_chain,
    lint_csr,
    worst_severity,
)
from caiso_pki.oids import DEMO_BASIC_ASSURANCE_POLICY as DEMO
from caiso_pki.profiles.cps import CHAIN_RULE_CODES, RULE_CODES, load_cps_profile
from caiso_pki.validation import validate_chain

OTHER_POLICY = "2.999.1.2"
LEAF_KU = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
CA_SIGNING_KU = x509.KeyUsage(True, False, False, False, False, True, False, False, False)


@pytest.fixture(scope="module")
def pki() -> testing.DemoPki:
    return testing.DemoPki.create()


def codes(findings: tuple[Finding, ...]) -> set[str]:
    return {finding.code for finding in findings}


def resign(cert: Certificate, key: object, algorithm: hashes.HashAlgorithm) -> Certificate:
    """The same certificate signed again with another hash (the test PKI always picks SHA-256)."""
    src = cert.x509
    builder = (
        x509.CertificateBuilder()
        .subject_name(src.subject)
        .issuer_name(src.issuer)
        .public_key(src.public_key())
        .serial_number(src.serial_number)
        .not_valid_before(src.not_valid_before_utc)
        .not_valid_after(src.not_valid_after_utc)
    )
    for ext in src.extensions:
        builder = builder.add_extension(ext.value, critical=ext.critical)
    return Certificate.from_cryptography(builder.sign(key, algorithm))  # type: ignore[arg-type]


Mint = Callable[[testing.DemoPki], tuple[Certificate, str]]


def rig(**knobs: object) -> Mint:
    def mint(pki: testing.DemoPki) -> tuple[Certificate, str]:
        return pki.issuing_ca.issue("rig", "rig-0001.example.com", **knobs).certificate, "rig"  # type: ignore[arg-type]

    return mint


def issuing(name: str, **knobs: object) -> Mint:
    def mint(pki: testing.DemoPki) -> tuple[Certificate, str]:
        options: dict[str, object] = {
            "path_length": 0,
            "policies": (DEMO,),
            "cps_url": testing.DEMO_CPS_URL,
            "not_after": pki.now + dt.timedelta(days=3000),
        }
        options.update(knobs)
        return pki.root.issue_intermediate(name, **options).certificate, "issuing-ca"  # type: ignore[arg-type]

    return mint


def _sha224(pki: testing.DemoPki) -> tuple[Certificate, str]:
    base = pki.issuing_ca.issue("rig", "rig-0001.example.com").certificate
    return resign(base, pki.issuing_ca.key, hashes.SHA224()), "rig"


def _retired(pki: testing.DemoPki) -> tuple[Certificate, str]:
    return pki.retired_issuing_ca.issue("rig", "rig-0001.example.com", policies=(DEMO,)).certificate, "rig"


def _ocsp_without_nocheck(pki: testing.DemoPki) -> tuple[Certificate, str]:
    cert = pki.issuing_ca.issue(
        "ocsp-responder", "ocsp.example.com", omit_extensions=["1.3.6.1.5.5.7.48.1.5"]
    )
    return cert.certificate, "ocsp-responder"


def _root_with_eku(pki: testing.DemoPki) -> tuple[Certificate, str]:
    key = pki.root.key
    src = pki.root.certificate.x509
    builder = (
        x509.CertificateBuilder()
        .subject_name(src.subject)
        .issuer_name(src.issuer)
        .public_key(src.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(src.not_valid_before_utc)
        .not_valid_after(src.not_valid_after_utc)
    )
    for ext in src.extensions:
        builder = builder.add_extension(ext.value, critical=ext.critical)
    builder = builder.add_extension(
        x509.ExtendedKeyUsage([x509.ObjectIdentifier("2.5.29.37.0")]), critical=False
    )
    return Certificate.from_cryptography(builder.sign(key, hashes.SHA256())), "root-ca"  # type: ignore[arg-type]


CASES: list[tuple[str, str, Mint]] = [
    ("CPS-POLICY-MISSING", "no certificatePolicies", rig(policies=())),
    ("CPS-POLICY-UNACCEPTABLE", "extra policy", rig(policies=(DEMO, OTHER_POLICY))),
    ("CPS-POLICY-QUALIFIER", "issuing CA without CPS pointer", issuing("Lint Issuing No CPS", cps_url=None)),
    ("CPS-SIG-ALG", "sha224WithRSAEncryption", _sha224),
    ("CPS-KEY-ALG", "Ed25519 key", rig(public_key=ed25519.Ed25519PrivateKey.generate().public_key())),
    ("CPS-KEY-SIZE", "RSA-1024", rig(key_spec="rsa-1024")),
    ("CPS-KEY-CURVE", "secp256k1", rig(public_key=ec.generate_private_key(ec.SECP256K1()).public_key())),
    ("CPS-VALIDITY-MAX", "900 days", rig(validity=dt.timedelta(days=900))),
    ("CPS-EXT-MISSING", "no subjectKeyIdentifier", rig(omit_extensions=["2.5.29.14"])),
    ("CPS-EXT-MISSING", "OCSP responder without ocspNoCheck", _ocsp_without_nocheck),
    (
        "CPS-EXT-FORBIDDEN",
        "inhibitAnyPolicy in a leaf",
        rig(extra_extensions=[(x509.InhibitAnyPolicy(0), True)]),
    ),
    (
        "CPS-EXT-CRITICALITY",
        "critical subjectAltName",
        rig(
            dns_names=[],
            extra_extensions=[(x509.SubjectAlternativeName([x509.DNSName("rig-0001.example.com")]), True)],
        ),
    ),
    ("CPS-KEY-USAGE", "keyCertSign in a leaf", rig(key_usage=CA_SIGNING_KU)),
    ("CPS-KEY-USAGE", "no keyUsage", rig(omit_extensions=["2.5.29.15"])),
    ("CPS-EKU", "serverAuth only", rig(extended_key_usage=["serverAuth"])),
    ("CPS-EKU", "anyExtendedKeyUsage in a root", _root_with_eku),
    ("CPS-BASIC-CONSTRAINTS", "cA=TRUE leaf", rig(is_ca=True, key_usage=LEAF_KU)),
    (
        "CPS-BASIC-CONSTRAINTS",
        "issuing CA without pathLen",
        issuing("Lint Issuing No PathLen", path_length=None),
    ),
    ("CPS-SUBJECT", "no O", rig(subject="C=US,CN=rig-0001.example.com", dns_names=["rig-0001.example.com"])),
    ("CPS-SUBJECT", "CN not in SAN", rig(dns_names=["other.example.com"])),
    ("CPS-SAN", "no subjectAltName", rig(dns_names=[])),
    ("CPS-SAN", "email SAN on a device", rig(emails=["ops@example.com"])),
    ("CPS-CRLDP", "no CRL distribution point", rig(omit_extensions=["2.5.29.31"])),
    ("CPS-AIA", "no AIA", rig(omit_extensions=["1.3.6.1.5.5.7.1.1"])),
    ("CPS-SERIAL", "serial 1", rig(serial=1)),
    ("CPS-ISSUER-RETIRED", "issued under the retired hierarchy", _retired),
]


@pytest.mark.parametrize(("code", "mutation", "mint"), CASES, ids=[f"{c}-{m}" for c, m, _ in CASES])
def test_each_rule_triggers_exactly_its_finding(
    pki: testing.DemoPki, code: str, mutation: str, mint: Mint
) -> None:
    cert, kind = mint(pki)
    findings = lint_certificate(cert, "caiso-demo", kind=kind)
    assert codes(findings) == {code}, [str(f) for f in findings]
    finding = findings[0]
    assert finding.citation is not None
    assert finding.citation.section
    assert finding.certificate_subject == cert.subject.rfc4514
    assert finding.severity in (Severity.ERROR, Severity.WARNING)


def test_every_rule_code_has_a_case() -> None:
    covered = {code for code, _, _ in CASES}
    certificate_codes = {code for group in RULE_CODES.values() for code in group}
    unconfigured = {"CPS-POLICY-UNCONFIGURED", "CPS-VALIDITY-UNCONFIGURED"}  # tested below
    assert certificate_codes - unconfigured == covered
    assert set(CODE_DESCRIPTIONS) >= certificate_codes | set(CHAIN_RULE_CODES.values())


LEAVES = [
    ("rig", "rig-0001.example.com", "rig"),
    ("dpg", "dpg-0001.example.com", "dpg"),
    ("iccp", "iccp-0001.example.com", "iccp"),
    ("api-client", "Demo API client", "api-client"),
    ("ui-client", "Jane Operator", "end-user-client"),
    ("ocsp-responder", "ocsp.example.com", "ocsp-responder"),
]


@pytest.mark.parametrize(("issue_kind", "cn", "kind"), LEAVES)
def test_demo_leaves_lint_clean_and_are_detected(
    pki: testing.DemoPki, issue_kind: str, cn: str, kind: str
) -> None:
    cert = pki.issuing_ca.issue(issue_kind, cn).certificate  # type: ignore[arg-type]
    assert cps_kind(cert) == kind
    assert lint_certificate(cert, "caiso-demo") == ()
    assert lint_certificate(cert, "caiso-demo", kind=kind) == ()


def test_demo_cas_lint_clean(pki: testing.DemoPki) -> None:
    assert cps_kind(pki.root.certificate) == "root-ca"
    assert cps_kind(pki.issuing_ca.certificate) == "issuing-ca"
    assert lint_certificate(pki.root.certificate, "caiso-demo") == ()
    assert lint_certificate(pki.issuing_ca.certificate, "caiso-demo") == ()
    rig_cert = pki.issuing_ca.issue("rig", "rig-0002.example.com")
    path = (rig_cert.root, *reversed(rig_cert.chain), rig_cert.certificate)  # anchor first
    assert lint_chain(path, "caiso-demo") == ()


def test_lint_chain_lints_the_order_it_is_given(pki: testing.DemoPki) -> None:
    """A leaf-first chain is not turned round: path[-1] is the leaf of the lint, whatever it is."""
    issued = pki.issuing_ca.issue("rig", "rig-0012.example.com")
    leaf_first = (issued.certificate, *issued.chain, issued.root)
    findings = lint_chain(leaf_first, "caiso-demo")
    # each certificate's "issuer" is the one before it as given, so no name chains
    assert [(f.code, f.certificate_index) for f in findings if f.code == "CPS-CHAIN-NAME"] == [
        ("CPS-CHAIN-NAME", 2),
        ("CPS-CHAIN-NAME", 1),
    ]
    assert {f.certificate_subject for f in findings if f.certificate_index == 2} == {
        issued.root.subject.rfc4514
    }
    # a validated path runs the same way as lint_chain's: it is linted as it comes
    result = validate_chain(issued.certificate, issued.chain, trust=pki.trust_anchors, revocation="off")
    assert result.path == leaf_first[::-1]
    assert lint_chain(result.path, "caiso-demo") == ()


def test_chain_finding_indexes_name_the_failures_certificate(pki: testing.DemoPki) -> None:
    """check_chain: a finding's certificate_index and a failure's index count in the same path."""
    leaf = pki.issuing_ca.issue("rig", "rig-0013.example.com", serial=1)
    checked = check_chain(leaf.certificate, leaf.chain, trust=pki.trust_anchors, profile="caiso-demo")
    (finding,) = [f for f in checked.findings if f.code == "CPS-SERIAL"]
    assert checked.validation.path[finding.certificate_index] == leaf.certificate


def test_every_linter_returns_a_finding_list(pki: testing.DemoPki) -> None:
    """lint_certificate, lint_csr, lint_chain and check_chain answer with a FindingList, a tuple."""
    from caiso_pki.csr import build_csr
    from caiso_pki.keys import generate_private_key

    good = pki.issuing_ca.issue("rig", "rig-0099.example.com")
    bad = pki.issuing_ca.issue("rig", "rig-0098.example.com", serial=1)
    csr = build_csr(
        generate_private_key("ec-p256"),
        "CN=rig-0099.example.com,O=Example,C=US",
        dns_names=["rig-0099.example.com"],
        profile="rig",
    )
    answers = [
        lint_certificate(good.certificate, "caiso-demo"),
        lint_certificate(bad.certificate, "caiso-demo"),
        lint_csr(csr, "caiso-demo", kind="rig"),
        lint_chain((*reversed(bad.chain), bad.certificate), "caiso-demo"),
        check_chain(good.certificate, good.chain, trust=pki.trust_anchors, profile="caiso-demo").findings,
    ]
    for findings in answers:
        assert type(findings) is FindingList and isinstance(findings, tuple)
    assert answers[0] == () and answers[2] == () and answers[4] == ()
    assert answers[1] == tuple(answers[1]) and answers[1][:1] == answers[1][:1]
    assert type(answers[1][:1]) is FindingList and isinstance(answers[1][0], Finding)
    assert [f.code for f in answers[1]] == ["CPS-SERIAL"]


def test_builtin_profile_reports_unconfigured_policy_and_validity(pki: testing.DemoPki) -> None:
    cert = pki.issuing_ca.issue("rig", "rig-0003.example.com").certificate
    findings = lint_certificate(cert, "caiso-basic-assurance")
    assert codes(findings) == {"CPS-POLICY-UNCONFIGURED", "CPS-VALIDITY-UNCONFIGURED"}
    assert all(f.severity is Severity.NOTICE for f in findings)
    # The built-in profile does not pretend: even a certificate without any policy is only a notice.
    bare = pki.issuing_ca.issue("rig", "rig-0003.example.com", policies=()).certificate
    assert codes(lint_certificate(bare, "caiso-basic-assurance")) == codes(findings)


@pytest.mark.parametrize(
    ("override", "code"),
    [
        ("[defaults.validity]\nmax_days = 825\n", "CPS-POLICY-UNCONFIGURED"),
        (
            '[defaults.policy]\nrequired = ["2.999.2008.1.1"]\nacceptable = ["2.999.2008.1.1"]\n',
            "CPS-VALIDITY-UNCONFIGURED",
        ),
    ],
)
def test_unconfigured_rules_alone(pki: testing.DemoPki, override: str, code: str) -> None:
    profile = load_cps_profile(f'extends = "caiso-basic-assurance"\n{override}')
    cert = pki.issuing_ca.issue("rig", "rig-0004.example.com").certificate
    findings = lint_certificate(cert, profile, kind="rig")
    assert codes(findings) == {code}
    assert findings[0].severity is Severity.NOTICE
    assert "user-supplied" in findings[0].message


# -- chain rules -------------------------------------------------------------------------------------


def test_chain_policy_subset(pki: testing.DemoPki) -> None:
    profile = load_cps_profile(
        f'extends = "caiso-demo"\n[kinds.rig.policy]\nacceptable = ["{DEMO}", "{OTHER_POLICY}"]\n'
    )
    leaf = pki.issuing_ca.issue("rig", "rig-0005.example.com", policies=(DEMO, OTHER_POLICY))
    assert lint_certificate(leaf.certificate, profile) == ()
    findings = lint_chain((leaf.root, *reversed(leaf.chain), leaf.certificate), profile)
    assert codes(findings) == {"CPS-CHAIN-POLICY-SUBSET"}
    assert findings[0].certificate_index == 2  # the leaf, last of the path
    # anyPolicy in the issuer allows anything below it.
    anyca = pki.root.issue_intermediate(
        "Lint AnyPolicy CA", path_length=0, policies=(DEMO, "2.5.29.32.0"), cps_url=testing.DEMO_CPS_URL
    )
    leaf2 = anyca.issue("rig", "rig-0005.example.com", policies=(DEMO, OTHER_POLICY))
    assert "CPS-CHAIN-POLICY-SUBSET" not in codes(
        lint_chain((*reversed(leaf2.chain), leaf2.certificate), profile)
    )


def test_chain_validity_nesting(pki: testing.DemoPki) -> None:
    short = pki.root.issue_intermediate(
        "Lint Short CA",
        path_length=0,
        policies=(DEMO,),
        cps_url=testing.DEMO_CPS_URL,
        not_after=pki.now + dt.timedelta(days=100),
    )
    leaf = short.issue("rig", "rig-0006.example.com")
    findings = lint_chain((pki.root.certificate, short.certificate, leaf.certificate), "caiso-demo")
    assert codes(findings) == {"CPS-CHAIN-VALIDITY-NESTING"}
    assert findings[0].severity is Severity.WARNING


def test_chain_name_chaining(pki: testing.DemoPki) -> None:
    leaf = pki.issuing_ca.issue("rig", "rig-0007.example.com")
    findings = lint_chain((pki.root.certificate, leaf.certificate), "caiso-demo")
    assert codes(findings) == {"CPS-CHAIN-NAME"}


def test_chain_findings_carry_index_and_subject(pki: testing.DemoPki) -> None:
    leaf = pki.issuing_ca.issue("rig", "rig-0008.example.com", serial=1)
    findings = lint_chain((leaf.root, *reversed(leaf.chain), leaf.certificate), "caiso-demo")
    assert [(f.code, f.certificate_index) for f in findings] == [("CPS-SERIAL", 2)]
    assert findings[0].certificate_subject == leaf.certificate.subject.rfc4514


# -- CSRs --------------------------------------------------------------------------------------------


def _csr(key: object, *, cn: str = "rig-0001.example.com", org: bool = True, dns: bool = True) -> Csr:
    names = [x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    if org:
        names.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Demo Participant"))
    builder = x509.CertificateSigningRequestBuilder().subject_name(x509.Name(names))
    if dns:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(cn)]), critical=False)
    return Csr(builder.sign(key, hashes.SHA256()))  # type: ignore[arg-type]


def test_lint_csr_clean_and_violations() -> None:
    good = ec.generate_private_key(ec.SECP256R1())
    assert lint_csr(_csr(good), "caiso-demo", kind="rig") == ()
    assert codes(lint_csr(_csr(good, org=False), "caiso-demo", kind="rig")) == {"CPS-SUBJECT"}
    assert codes(lint_csr(_csr(good, dns=False), "caiso-demo", kind="rig")) == {"CPS-SAN"}
    weak = ec.generate_private_key(ec.SECP256K1())
    assert codes(lint_csr(_csr(weak), "caiso-demo", kind="rig")) == {"CPS-KEY-CURVE"}
    # An api-client needs no SAN.
    assert lint_csr(_csr(good, cn="Demo API client", dns=False), "caiso-demo", kind="api-client") == ()


def test_lint_csr_bad_signature() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    der = bytearray(_csr(key).der)
    der[-3] ^= 0x01  # flip a bit inside the signature value
    from caiso_pki.csr import load_csr

    findings = lint_csr(load_csr(bytes(der)), "caiso-demo", kind="rig")
    assert "CPS-CSR-SIGNATURE" in codes(findings)


def test_lint_csr_needs_a_known_kind() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(ProfileError, match="unknown certificate kind 'router'"):
        lint_csr(_csr(key), "caiso-demo", kind="router")


# -- check_chain -------------------------------------------------------------------------------------


def test_check_chain_demo_ok(pki: testing.DemoPki) -> None:
    leaf = pki.issuing_ca.issue("rig", "rig-0009.example.com")
    result = check_chain(
        leaf.certificate,
        leaf.chain,
        trust=[pki.root.certificate],
        profile="caiso-demo",
        at=pki.now,
        revocation="off",
    )
    assert result.ok
    assert result.validation.valid
    assert result.kind == "rig"
    assert DEMO in result.validation.valid_policies
    assert result.findings == ()
    json.dumps(result.to_dict())


def test_check_chain_without_policy_fails_both_ways(pki: testing.DemoPki) -> None:
    leaf = pki.issuing_ca.issue("rig", "rig-0010.example.com", policies=())
    result = check_chain(
        leaf.certificate,
        leaf.chain,
        trust=[pki.root.certificate],
        profile="caiso-demo",
        at=pki.now,
        revocation="off",
    )
    assert not result.ok
    assert "policy" in result.validation.codes
    assert "CPS-POLICY-MISSING" in codes(result.findings)


def test_check_chain_policy_outside_profile(pki: testing.DemoPki) -> None:
    # The chain validates for anyPolicy but not for the profile's acceptable set: explicit policy fails.
    leaf = pki.entrust_intermediate.issue("rig", "rig-0011.example.com", policies=(OTHER_POLICY,))
    result = check_chain(
        leaf.certificate,
        leaf.chain,
        trust=[pki.entrust_root.certificate],
        profile="caiso-demo",
        at=pki.now,
        revocation="off",
    )
    assert not result.validation.valid
    assert "policy" in result.validation.codes
    assert not result.ok


def test_check_chain_unconfigured_profile_still_requires_a_policy(pki: testing.DemoPki) -> None:
    leaf = pki.issuing_ca.issue("rig", "rig-0012.example.com")
    result = check_chain(
        leaf.certificate, leaf.chain, trust=[pki.root.certificate], at=pki.now, revocation="off"
    )
    assert result.validation.valid
    assert result.ok  # notices do not spoil the result
    assert codes(result.findings) == {"CPS-POLICY-UNCONFIGURED", "CPS-VALIDITY-UNCONFIGURED"}
    bare = pki.issuing_ca.issue("rig", "rig-0012.example.com", policies=())
    result = check_chain(
        bare.certificate, bare.chain, trust=[pki.root.certificate], at=pki.now, revocation="off"
    )
    assert not result.validation.valid  # explicit policy: some policy must be asserted


def test_check_chain_refuses_a_policy_argument(pki: testing.DemoPki) -> None:
    leaf = pki.issuing_ca.issue("rig", "rig-0013.example.com")
    with pytest.raises(ProfileError, match="policy"):
        check_chain(leaf.certificate, leaf.chain, trust=[pki.root.certificate], policy=None)


def test_kind_is_a_keyword(pki: testing.DemoPki) -> None:
    cert = pki.issuing_ca.issue("rig", "rig-0014.example.com").certificate
    with pytest.raises(TypeError):
        lint_certificate(cert, "caiso-demo", "rig")  # type: ignore[misc]
    assert lint_certificate(cert, "caiso-demo", kind="rig") == ()


def test_check_chain_is_called_as_validate_chain_is() -> None:
    """One argument form: leaf, intermediates, trust= and the validation options (no validator=)."""
    import inspect

    from caiso_pki.validation import validate_chain

    ours = inspect.signature(check_chain).parameters
    theirs = inspect.signature(validate_chain).parameters
    assert list(ours)[:3] == list(theirs)[:3] == ["leaf", "intermediates", "trust"]
    assert ours["trust"].kind is inspect.Parameter.KEYWORD_ONLY
    assert ours["trust"].default is inspect.Parameter.empty
    assert "validator" not in ours


# -- values ------------------------------------------------------------------------------------------


def test_finding_text_and_json(pki: testing.DemoPki) -> None:
    cert = pki.issuing_ca.issue("rig", "rig-0014.example.com", key_spec="rsa-1024").certificate
    (finding,) = lint_certificate(cert, "caiso-demo")
    assert str(finding).startswith("error: CPS-KEY-SIZE: RSA key of 1024 bits")
    assert "CA/Browser Forum Baseline Requirements §6.1.5" in str(finding)
    data = finding.to_dict()
    assert data["citation"]["section"] == "6.1.5"
    assert data["severity"] == "error"
    json.dumps(data)


def test_worst_severity_and_ordering() -> None:
    findings = [
        Finding(code="B", severity=Severity.NOTICE, message="n"),
        Finding(code="A", severity=Severity.ERROR, message="e"),
    ]
    assert worst_severity(findings) is Severity.ERROR
    assert worst_severity([]) is None
    assert Severity.WARNING.rank > Severity.NOTICE.rank > Severity.INFO.rank


def test_lint_accepts_pem_text_and_cryptography_objects(pki: testing.DemoPki) -> None:
    cert = pki.issuing_ca.issue("rig", "rig-0015.example.com").certificate
    assert lint_certificate(cert.pem, "caiso-demo") == ()
    assert lint_certificate(cert.x509, "caiso-demo") == ()
    assert lint_certificate(cert.der, load_cps_profile("caiso-demo")) == ()
