"""validate_chain on the demo PKI: results, failure codes, inputs, revocation offline and over HTTP."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import warnings
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from caiso_pki import testing
from caiso_pki._revocation_server import RevocationServer
from caiso_pki.certificate import Certificate
from caiso_pki.errors import InvalidTimeError, MalformedInputError, ValidationError
from caiso_pki.oids import DEMO_BASIC_ASSURANCE_POLICY
from caiso_pki.policy import PolicyRequirement
from caiso_pki.truststore import TrustStore
from caiso_pki.validation import (
    FAILURE_CODES,
    AlgorithmPolicy,
    ValidationResult,
    validate_chain,
    validate_chain_async,
)

BASIC = PolicyRequirement(acceptable={DEMO_BASIC_ASSURANCE_POLICY}, require_explicit=True)


@pytest.fixture(scope="module")
def pki() -> testing.DemoPki:
    return testing.DemoPki.create()


@pytest.fixture(scope="module")
def rig(pki: testing.DemoPki) -> testing.IssuedCertificate:
    return pki.issuing_ca.issue("rig", "rig-0001.example.com", ip_addresses=["192.0.2.10"])


def _validate(pki: testing.DemoPki, issued: testing.IssuedCertificate, **options: object) -> ValidationResult:
    options.setdefault("revocation", "off")
    return validate_chain(issued.certificate, issued.chain, trust=pki.trust_anchors, **options)  # type: ignore[arg-type]


# -- valid paths and the result --------------------------------------------------------------------


def test_valid_chain_with_every_check(pki: testing.DemoPki, rig: testing.IssuedCertificate) -> None:
    result = _validate(
        pki,
        rig,
        policy=BASIC,
        key_usage={"digitalSignature"},
        extended_key_usage={"clientAuth", "serverAuth"},
        server_name="RIG-0001.example.com",
        max_path_length=1,
    )
    assert result.valid, result.failures
    assert bool(result)
    assert result.path == (pki.root.certificate, pki.issuing_ca.certificate, rig.certificate)
    assert result.leaf == rig.certificate
    assert result.valid_policies == frozenset({DEMO_BASIC_ASSURANCE_POLICY})
    assert [s.status for s in result.revocation] == ["not-checked"] * 3
    result.raise_for_failure()  # no exception


def test_to_dict_is_json(pki: testing.DemoPki, rig: testing.IssuedCertificate) -> None:
    data = _validate(pki, rig, policy=BASIC).to_dict()
    again = json.loads(json.dumps(data))
    assert again["valid"] is True
    assert again["path"][0]["subject"] == pki.root.certificate.subject.rfc4514
    assert again["valid_policies"] == [DEMO_BASIC_ASSURANCE_POLICY]
    assert again["at"].endswith("Z")


def test_inputs_in_every_form(pki: testing.DemoPki, rig: testing.IssuedCertificate, tmp_path: Path) -> None:
    bundle = tmp_path / "bundle.pem"
    bundle.write_text(rig.pem_bundle())
    root_pem = tmp_path / "root.pem"
    root_pem.write_text(pki.root.certificate.pem)
    forms = [
        (bundle, (), root_pem),  # leaf file holding the chain too; trust from a PEM file
        (rig.certificate.der, [pki.issuing_ca.certificate.pem.encode()], [pki.root.certificate.x509]),
        (rig.certificate.x509, [str(bundle)], [str(root_pem)]),
        (
            rig.certificate.pem,
            [pki.issuing_ca.certificate.x509],
            TrustStore.from_certificates(pki.trust_anchors),
        ),
    ]
    for leaf, chain, trust in forms:
        result = validate_chain(leaf, chain, trust=trust, revocation="off")
        assert result.valid, (leaf, result.failures)
        assert result.path[-1] == rig.certificate


def test_unordered_intermediates_with_extras(pki: testing.DemoPki) -> None:
    sub = pki.issuing_ca.issue_intermediate("Demo Sub CA", path_length=None)
    leaf = sub.issue("api-client", "client-7")
    extras = [
        pki.entrust_intermediate.certificate,
        pki.retired_issuing_ca.certificate,
        sub.certificate,
        pki.entrust_root.certificate,
        pki.issuing_ca.certificate,
    ]
    # pathlen 0 on the issuing CA forbids a sub-CA below it: the failure names the sub-CA.
    result = validate_chain(leaf.certificate, extras, trust=pki.trust_anchors, revocation="off")
    assert result.codes == ("path-length-exceeded",)
    assert result.failures[0].index == 2
    assert result.failures[0].subject == sub.certificate.subject.rfc4514
    ok = validate_chain(
        pki.entrust_intermediate.issue("rig").certificate, extras, trust=pki.trust_anchors, revocation="off"
    )
    assert ok.valid
    assert ok.path[0] == pki.entrust_root.certificate


def test_bad_input_raises(pki: testing.DemoPki, rig: testing.IssuedCertificate) -> None:
    with pytest.raises(InvalidTimeError):
        _validate(pki, rig, at=dt.datetime(2025, 1, 1))  # naive on purpose
    with pytest.raises(MalformedInputError, match="revocation mode"):
        _validate(pki, rig, revocation="sometimes")
    with pytest.raises(MalformedInputError, match="OS trust list"):
        validate_chain(rig.certificate, rig.chain, trust=None)
    with pytest.raises(MalformedInputError, match="key usage"):
        _validate(pki, rig, key_usage={"signEverything"})
    with pytest.raises(MalformedInputError):
        _validate(pki, rig, extended_key_usage={"no-such-purpose"})
    with pytest.raises(MalformedInputError):
        validate_chain(b"not a certificate", trust=pki.trust_anchors)
    with pytest.raises(MalformedInputError, match="CRL"):
        _validate(pki, rig, revocation="require", crls=[b"garbage"])


def test_never_the_os_trust_list(pki: testing.DemoPki, rig: testing.IssuedCertificate) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # pyhanko warns when it falls back to the OS list
        result = validate_chain(rig.certificate, rig.chain, trust=[], revocation="off")
        other = validate_chain(
            rig.certificate, rig.chain, trust=[pki.entrust_root.certificate], revocation="off"
        )
    assert result.codes == ("untrusted-root",)
    assert other.codes == ("no-path",)


# -- failures and their codes ----------------------------------------------------------------------


def _sha1_leaf(pki: testing.DemoPki, directory: Path) -> Certificate:
    """A leaf the issuing CA signs with SHA-1 (cryptography refuses to, so openssl does it)."""
    ca = pki.issuing_ca
    (directory / "ca.pem").write_text(ca.certificate.pem)
    (directory / "ca.key").write_bytes(
        ca.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    subprocess.run(
        [
            "openssl",
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "leaf.key",
            "-subj",
            "/CN=sha1.example.com",
            "-out",
            "leaf.csr",
        ],
        cwd=directory,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            "openssl",
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-sha1",
            "-days",
            "30",
            "-set_serial",
            "4242",
            "-out",
            "leaf.pem",
        ],
        cwd=directory,
        check=True,
        capture_output=True,
    )
    return Certificate.from_der(
        x509.load_pem_x509_certificate((directory / "leaf.pem").read_bytes()).public_bytes(
            serialization.Encoding.DER
        )
    )


def test_failure_codes(pki: testing.DemoPki, rig: testing.IssuedCertificate) -> None:
    ca = pki.issuing_ca
    other_key = ec.generate_private_key(ec.SECP256R1())
    now = pki.now
    cases: list[tuple[str, testing.IssuedCertificate, dict[str, object], int | None]] = [
        (
            "expired",
            ca.issue("rig", not_before=now - dt.timedelta(days=400), validity=dt.timedelta(days=30)),
            {},
            2,
        ),
        ("not-yet-valid", ca.issue("rig", not_before=now + dt.timedelta(days=3)), {}, 2),
        ("bad-signature", ca.issue("rig", signing_key=other_key), {}, 2),
        ("extended-key-usage", ca.issue("api-client", "c1"), {"extended_key_usage": ["serverAuth"]}, 2),
        ("key-usage", rig, {"key_usage": ["keyCertSign"]}, 2),
        ("name-mismatch", rig, {"server_name": "other.example.com"}, 2),
        ("name-mismatch", rig, {"server_name": "192.0.2.11"}, 2),
        ("policy", ca.issue("rig", policies=()), {"policy": BASIC}, 2),
        ("path-length-exceeded", rig, {"max_path_length": 0}, None),
        (
            "critical-extension",
            ca.issue(
                "rig",
                extra_extensions=[
                    (
                        x509.UnrecognizedExtension(x509.ObjectIdentifier("1.3.6.1.4.1.99999.1"), b"\x05\x00"),
                        True,
                    )
                ],
            ),
            {},
            2,
        ),
    ]
    for code, issued, options, index in cases:
        result = _validate(pki, issued, **options)
        assert not result.valid, code
        assert code in result.codes, (code, result.failures)
        failure = next(f for f in result.failures if f.code == code)
        assert failure.index == index, (code, failure)
        if index is not None:
            assert failure.subject == result.path[index].subject.rfc4514
        with pytest.raises(ValidationError) as caught:
            result.raise_for_failure()
        assert caught.value.result is result
        assert code in str(caught.value)
    assert {c for c, *_ in cases} <= FAILURE_CODES


def test_ip_and_wildcard_names(pki: testing.DemoPki, rig: testing.IssuedCertificate) -> None:
    assert _validate(pki, rig, server_name="192.0.2.10").valid
    wild = pki.issuing_ca.issue("server", "www.example.com", dns_names=["*.example.com"])
    assert _validate(wild and pki, wild, server_name="api.example.com").valid
    for name in ("example.com", "a.b.example.com", "api.example.org"):
        assert _validate(pki, wild, server_name=name).codes == ("name-mismatch",), name


def test_weak_algorithm_policy(pki: testing.DemoPki, tmp_path: Path) -> None:
    leaf = _sha1_leaf(pki, tmp_path)
    strict = validate_chain(leaf, [pki.issuing_ca.certificate], trust=pki.trust_anchors, revocation="off")
    assert strict.codes == ("weak-algorithm",)
    assert strict.failures[0].index == 2
    lax = validate_chain(
        leaf,
        [pki.issuing_ca.certificate],
        trust=pki.trust_anchors,
        revocation="off",
        algorithm_policy=AlgorithmPolicy(weak_hashes=frozenset({"md5"})),
    )
    assert lax.valid, lax.failures


def test_small_rsa_keys_are_weak() -> None:
    small = testing.DemoPki.create(key_spec="rsa-1024")
    leaf = small.issuing_ca.issue("rig")
    strict = validate_chain(leaf.certificate, leaf.chain, trust=small.trust_anchors, revocation="off")
    # the issuing CA's signature is made with a 1024-bit key, and both CA keys are too small
    assert strict.codes == ("weak-algorithm", "weak-key", "weak-key")
    assert [f.index for f in strict.failures] == [1, 0, 1]
    assert all("1024" in failure.message for failure in strict.failures)
    lax = validate_chain(
        leaf.certificate,
        leaf.chain,
        trust=small.trust_anchors,
        revocation="off",
        algorithm_policy=AlgorithmPolicy(min_rsa_bits=1024),
    )
    assert lax.valid, lax.failures


def test_untrusted_root_offered_as_intermediate(pki: testing.DemoPki) -> None:
    leaf = pki.retired_issuing_ca.issue("rig")
    result = validate_chain(
        leaf.certificate,
        [*leaf.chain, pki.retired_root.certificate],
        trust=pki.trust_anchors,
        revocation="off",
    )
    assert result.codes == ("untrusted-root",)
    assert result.path[0] == pki.retired_root.certificate
    self_signed = validate_chain(pki.retired_root.certificate, trust=pki.trust_anchors, revocation="off")
    assert self_signed.codes == ("untrusted-root",)


def test_distrust_after(pki: testing.DemoPki) -> None:
    cutoff = testing.CYBERTRUST_END_OF_LIFE
    store = TrustStore.from_certificates(pki.trust_anchors).add(
        pki.retired_root.certificate, labels="retired", distrust_after=cutoff
    )
    late = pki.retired_issuing_ca.issue(
        "rig", not_before=cutoff + dt.timedelta(days=30), not_after=pki.now + dt.timedelta(days=30)
    )
    early = pki.retired_issuing_ca.issue(
        "rig", not_before=cutoff - dt.timedelta(days=30), not_after=pki.now + dt.timedelta(days=30)
    )
    result = validate_chain(late.certificate, late.chain, trust=store, revocation="off")
    assert result.codes == ("distrusted-anchor",)
    assert result.failures[0].index == 0
    assert "retired" in result.failures[0].message
    assert validate_chain(early.certificate, early.chain, trust=store, revocation="off").valid


def test_a_surprise_in_the_engine_is_internal_never_valid(
    pki: testing.DemoPki, rig: testing.IssuedCertificate, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault injection: whatever path processing raises becomes ``internal``, never a valid result."""
    from caiso_pki.validation import pkix

    def boom(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(pkix, "process", boom)
    result = validate_chain(rig.certificate, rig.chain, trust=pki.trust_anchors, revocation="off")
    assert not result.valid
    assert result.codes == ("internal",)
    assert "RuntimeError: boom" in result.failures[0].message


# -- async -----------------------------------------------------------------------------------------


def test_async_and_inside_a_running_loop(pki: testing.DemoPki, rig: testing.IssuedCertificate) -> None:
    async def main() -> tuple[ValidationResult, ValidationResult]:
        first = await validate_chain_async(rig.certificate, rig.chain, trust=pki.trust_anchors, policy=BASIC)
        # the sync API called from async code (a notebook cell) must still work
        second = validate_chain(rig.certificate, rig.chain, trust=pki.trust_anchors, revocation="off")
        return first, second

    first, second = asyncio.run(main())
    assert first.valid and second.valid


# -- revocation, offline -------------------------------------------------------------------------


def test_revoked_via_crl(fresh_pki: testing.DemoPki) -> None:
    ca = fresh_pki.issuing_ca
    leaf = ca.issue("rig")
    when = fresh_pki.now - dt.timedelta(hours=2)
    ca.revoke(leaf, reason="keyCompromise", at=when)
    result = validate_chain(
        leaf.certificate,
        leaf.chain,
        trust=fresh_pki.trust_anchors,
        revocation="require",
        crls=[ca.crl(), fresh_pki.root.crl()],
    )
    assert result.codes == ("revoked",)
    failure = result.failures[0]
    assert failure.index == 2
    assert "keyCompromise" in failure.message
    assert when.strftime("%Y-%m-%dT%H:%M:%S") in failure.message
    status = result.revocation[2]
    assert (status.status, status.source, status.reason) == ("revoked", "crl", "keyCompromise")
    assert status.revocation_time == when
    assert result.revocation[1].status == "good"


def test_revoked_via_ocsp(fresh_pki: testing.DemoPki) -> None:
    ca = fresh_pki.issuing_ca
    leaf = ca.issue("rig")
    ca.revoke(leaf, reason="superseded")
    result = validate_chain(
        leaf.certificate,
        leaf.chain,
        trust=fresh_pki.trust_anchors,
        revocation="require",
        ocsp_responses=[ca.ocsp_response(cert=leaf.certificate)],
        crls=[fresh_pki.root.crl()],
    )
    assert result.codes == ("revoked",)
    assert "superseded" in result.failures[0].message
    assert "OCSP" in result.failures[0].message
    status = result.revocation[2]
    assert (status.status, status.source, status.reason) == ("revoked", "ocsp", "superseded")


def test_good_status_details(fresh_pki: testing.DemoPki) -> None:
    ca = fresh_pki.issuing_ca
    leaf = ca.issue("rig")
    crl_der = ca.crl()
    result = validate_chain(
        leaf.certificate,
        leaf.chain,
        trust=fresh_pki.trust_anchors,
        revocation="require",
        crls=[crl_der, fresh_pki.root.crl()],
        ocsp_responses=[ca.ocsp_response(cert=leaf.certificate)],
    )
    assert result.valid, result.failures
    anchor, issuing, end = result.revocation
    assert anchor.status == "not-checked"
    assert (issuing.status, issuing.source, issuing.url) == ("good", "crl", None)
    parsed = x509.load_der_x509_crl(crl_der)
    assert issuing.this_update is not None and issuing.next_update is not None
    assert (end.status, end.source) == ("good", "ocsp")
    assert end.this_update is not None and end.next_update is not None and end.this_update < end.next_update
    assert parsed.next_update_utc is not None


def test_require_without_information_fails(fresh_pki: testing.DemoPki) -> None:
    leaf = fresh_pki.issuing_ca.issue("rig")
    # an OCSP response for another certificate: information is given, but none for this chain
    other = fresh_pki.issuing_ca.issue("rig", "other.example.com")
    unrelated = fresh_pki.issuing_ca.ocsp_response(cert=other.certificate)
    result = validate_chain(
        leaf.certificate,
        leaf.chain,
        trust=fresh_pki.trust_anchors,
        revocation="require",
        ocsp_responses=[unrelated],
    )
    # every certificate below the anchor lacks a proof, and each is named
    assert result.codes == ("revocation-unavailable", "revocation-unavailable")
    assert [f.index for f in result.failures] == [1, 2]
    assert [s.status for s in result.revocation] == ["not-checked", "unknown", "unknown"]


def test_require_without_any_source_is_refused(fresh_pki: testing.DemoPki) -> None:
    """Nothing could ever pass: the option combination is refused at construction, naming it."""
    leaf = fresh_pki.issuing_ca.issue("rig")
    with pytest.raises(MalformedInputError, match="revocation='require' with neither crls"):
        validate_chain(leaf.certificate, leaf.chain, trust=fresh_pki.trust_anchors, revocation="require")


def test_hard_fail_without_any_source_says_so_in_the_result(fresh_pki: testing.DemoPki) -> None:
    leaf = fresh_pki.issuing_ca.issue("rig")
    result = validate_chain(
        leaf.certificate, leaf.chain, trust=fresh_pki.trust_anchors, revocation="hard-fail"
    )
    assert any("revocation='hard-fail' without CRLs" in warning for warning in result.warnings)


def test_on_fetch_without_fetch_says_so_and_a_non_callable_is_refused(fresh_pki: testing.DemoPki) -> None:
    leaf = fresh_pki.issuing_ca.issue("rig")
    result = validate_chain(
        leaf.certificate, leaf.chain, trust=fresh_pki.trust_anchors, revocation="off", on_fetch=print
    )
    assert "on_fetch is set but fetch is off: nothing is fetched" in result.warnings
    with pytest.raises(MalformedInputError, match="on_fetch"):
        validate_chain(leaf.certificate, leaf.chain, trust=fresh_pki.trust_anchors, on_fetch=123)  # type: ignore[arg-type]


def test_soft_fail_without_information_warns(fresh_pki: testing.DemoPki) -> None:
    leaf = fresh_pki.issuing_ca.issue("rig")
    result = validate_chain(
        leaf.certificate, leaf.chain, trust=fresh_pki.trust_anchors, revocation="soft-fail"
    )
    assert result.valid
    assert len(result.warnings) == 2
    assert leaf.certificate.subject.rfc4514 in result.warnings[1]
    assert [s.status for s in result.revocation] == ["not-checked", "unknown", "unknown"]


def test_off_checks_nothing_and_refuses_crls(fresh_pki: testing.DemoPki) -> None:
    ca = fresh_pki.issuing_ca
    leaf = ca.issue("rig")
    ca.revoke(leaf)
    result = validate_chain(leaf.certificate, leaf.chain, trust=fresh_pki.trust_anchors, revocation="off")
    assert result.valid
    assert {status.status for status in result.revocation} == {"not-checked"}
    # a revoked leaf validating without a word, because its CRL was given with revocation off: refused
    with pytest.raises(MalformedInputError, match="revocation='off' with crls"):
        validate_chain(
            leaf.certificate, leaf.chain, trust=fresh_pki.trust_anchors, revocation="off", crls=[ca.crl()]
        )


# -- revocation over HTTP (fetch=True) ---------------------------------------------------------------


@pytest.fixture
def served() -> object:
    with RevocationServer() as server:
        pki = testing.DemoPki.create(base_url=server.base_url)
        server.serve(pki)
        yield server, pki


def test_fetch_revoked_via_ocsp_and_crl(served: tuple[RevocationServer, testing.DemoPki]) -> None:
    server, pki = served
    ca = pki.issuing_ca
    by_ocsp = ca.issue("rig", "ocsp.example.com")
    by_crl = ca.issue("rig", "crl.example.com", omit_extensions=["authorityInfoAccess"])
    ca.revoke(by_ocsp, reason="keyCompromise")
    ca.revoke(by_crl, reason="affiliationChanged")
    result = validate_chain(
        by_ocsp.certificate, by_ocsp.chain, trust=pki.trust_anchors, revocation="require", fetch=True
    )
    assert result.codes == ("revoked",)
    assert "keyCompromise" in result.failures[0].message
    status = result.revocation[2]
    assert (status.status, status.source, status.url) == ("revoked", "ocsp", ca.ocsp_url)
    result = validate_chain(
        by_crl.certificate, by_crl.chain, trust=pki.trust_anchors, revocation="require", fetch=True
    )
    assert result.codes == ("revoked",)
    assert "affiliationChanged" in result.failures[0].message
    status = result.revocation[2]
    assert (status.status, status.source, status.url) == ("revoked", "crl", ca.crl_url)
    assert any(path.startswith("/crl/") for path in server.requests)
    assert any(path.startswith("/ocsp/") for path in server.requests)


def test_fetch_good_then_server_down(served: tuple[RevocationServer, testing.DemoPki]) -> None:
    server, pki = served
    leaf = pki.issuing_ca.issue("rig")
    good = validate_chain(
        leaf.certificate, leaf.chain, trust=pki.trust_anchors, revocation="hard-fail", fetch=True
    )
    assert good.valid, good.failures
    assert [s.status for s in good.revocation] == ["not-checked", "good", "good"]
    assert (good.revocation[1].source, good.revocation[1].url) == ("ocsp", pki.root.ocsp_url)
    server.stop()
    soft = validate_chain(
        leaf.certificate, leaf.chain, trust=pki.trust_anchors, revocation="soft-fail", fetch=True, timeout=2.0
    )
    assert soft.valid, soft.failures
    assert soft.warnings
    hard = validate_chain(
        leaf.certificate, leaf.chain, trust=pki.trust_anchors, revocation="hard-fail", fetch=True, timeout=2.0
    )
    assert set(hard.codes) == {"revocation-unavailable"}
    assert [s.status for s in hard.revocation] == ["not-checked", "unknown", "unknown"]


def test_pem_key_is_not_needed(rig: testing.IssuedCertificate) -> None:
    # IssuedCertificate objects themselves are accepted (their .certificate is used)
    assert rig.key is not None
    assert rig.key_pem().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert serialization.Encoding.PEM


def test_concurrent_threads_each_get_a_correct_answer(
    pki: testing.DemoPki, rig: testing.IssuedCertificate
) -> None:
    """validate_chain keeps one event loop per thread; threads must not share or disturb each other."""
    import concurrent.futures

    expired = pki.issuing_ca.issue(
        "rig",
        "old-thread.example.com",
        not_before=pki.now - dt.timedelta(days=400),
        validity=dt.timedelta(days=1),
    )

    def check(index: int) -> tuple[bool, tuple[str, ...]]:
        result = _validate(pki, expired if index % 2 else rig)
        return result.valid, result.codes

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        outcomes = list(pool.map(check, range(40)))
    for index, (valid, codes) in enumerate(outcomes):
        if index % 2:
            assert not valid
            assert "expired" in codes
        else:
            assert valid, codes
    for _ in range(3):  # the calling thread's own loop is reused across calls
        assert _validate(pki, rig).valid


@pytest.mark.openssl
def test_rsassa_pss_with_mgf1_sha1_is_quiet(tmp_path: Path) -> None:
    """pyhanko warns about MGF1-SHA1 through logging; an application without logging sees nothing."""
    import sys

    pss = "-sigopt rsa_padding_mode:pss -sigopt rsa_mgf1_md:sha1 -sigopt rsa_pss_saltlen:32"
    commands = [
        f"openssl req -x509 -newkey rsa:2048 -nodes -keyout root.key -subj /CN=PSS-Root -days 10 {pss}"
        " -sha256 -addext basicConstraints=critical,CA:TRUE"
        " -addext keyUsage=critical,keyCertSign,cRLSign -out root.pem",
        "openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout leaf.key"
        " -subj /CN=leaf.example.com -out leaf.csr",
        f"openssl x509 -req -in leaf.csr -CA root.pem -CAkey root.key -CAcreateserial -days 5 -sha256 {pss}"
        " -extfile ext.cnf -out leaf.pem",
    ]
    (tmp_path / "ext.cnf").write_text(
        "basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:leaf.example.com\n"
        "authorityKeyIdentifier=keyid\nsubjectKeyIdentifier=hash\n"
    )
    for command in commands:
        subprocess.run(command.split(), cwd=tmp_path, check=True, capture_output=True)
    code = (
        "from caiso_pki import validate_chain\n"
        "r = validate_chain('leaf.pem', trust='root.pem', revocation='off', server_name='leaf.example.com')\n"
        "print(r.valid, r.codes)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert done.stdout.strip() == "True ()", done.stdout + done.stderr
    assert done.stderr == ""


def test_a_path_not_found_is_not_anchored_and_never_called_a_trust_anchor(tmp_path: Path) -> None:
    """Issue 22, defect 12: a 60-certificate chain cut off by the path budget shows no 'trust anchor'."""
    from click.testing import CliRunner

    from caiso_pki.cli import main

    pki = testing.DemoPki.create()
    ca = pki.issuing_ca
    chain = []
    for depth in range(60):
        ca = ca.issue_intermediate(f"Deep CA {depth}", key_spec="ec-p256")
        chain.append(ca.certificate)
    leaf = ca.issue("rig", "deep.example.com")
    result = validate_chain(
        leaf.certificate, [*chain, pki.issuing_ca.certificate], trust=pki.trust_anchors, revocation="off"
    )
    assert not result.valid
    assert "path-building-limit" in result.codes
    assert result.anchored is False
    assert result.path[0] not in pki.trust_anchors
    assert result.to_dict()["anchored"] is False
    (tmp_path / "leaf.pem").write_text(leaf.certificate.pem)
    (tmp_path / "chain.pem").write_text("".join(c.pem for c in [*chain, pki.issuing_ca.certificate]))
    (tmp_path / "root.pem").write_text(pki.root.certificate.pem)
    shown = CliRunner().invoke(
        main,
        [
            "verify",
            str(tmp_path / "leaf.pem"),
            "--chain",
            str(tmp_path / "chain.pem"),
            "--trust",
            str(tmp_path / "root.pem"),
            "--revocation",
            "off",
        ],
    )
    assert shown.exit_code == 1, shown.output
    assert "NOT a trust anchor" in shown.stdout
    assert "; trust anchor" not in shown.stdout and "ok; trust anchor" not in shown.stdout
