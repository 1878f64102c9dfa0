"""validate_many against validate_chain: NIST PKITS and a mixed demo fleet must give identical results.

Every comparison is of the whole result (attrs equality: path, failures with codes, indices and
messages, valid policies, revocation statuses, warnings, time) and of its JSON form.  The statistics of
the :class:`FleetCache` prove the fast path was taken, so the comparison is not vacuous.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
from collections import defaultdict
from typing import Any

import attrs
import pytest

from _pkits import CASES, NOTICE_CASES, der, pkits_options
from caiso_pki import testing
from caiso_pki.certificate import Certificate
from caiso_pki.errors import InvalidTimeError, MalformedInputError
from caiso_pki.oids import ANY_POLICY, DEMO_BASIC_ASSURANCE_POLICY
from caiso_pki.policy import PolicyRequirement
from caiso_pki.truststore import TrustStore
from caiso_pki.validation import (
    FleetCache,
    ValidationResult,
    Validator,
    summarize,
    validate_chain,
    validate_many,
    validate_many_async,
)


def _singly(items: list[Any], options: dict[str, Any]) -> tuple[list[ValidationResult], Validator]:
    """Every item through one Validator's ``validate``, one call per leaf (the single-call fast path)."""
    per_call = {key: options[key] for key in ("at", "server_name") if key in options}
    validator = Validator(**{k: v for k, v in options.items() if k not in per_call})
    results = [
        validator.validate(item[0], item[1], **per_call)
        if isinstance(item, tuple)
        else validator.validate(item, **per_call)
        for item in items
    ]
    return results, validator


def _same(many: list[ValidationResult], one: list[ValidationResult]) -> None:
    assert len(many) == len(one)
    for index, (got, want) in enumerate(zip(many, one, strict=True)):
        assert got.to_dict() == want.to_dict(), index
        assert got == want, index


# -- NIST PKITS (the inputs tests/test_pkits.py uses) ------------------------------------------------


def cert(name: str) -> Certificate:
    """A new Certificate each time, so each comparison starts from freshly parsed objects.

    (Reusing objects once exposed an asn1crypto re-encoding defect, now fixed in ``Certificate.asn1``
    and covered by tests/test_pkits.py; fresh objects keep this comparison about validate_many.)
    """
    return Certificate.from_der(der(name), source_name=name)


def _pkits_groups() -> dict[tuple[Any, ...], list[dict[str, Any]]]:
    """Cases sharing every option but the leaf and its intermediates, so one call can hold them all."""
    groups: dict[tuple[Any, ...], list[dict[str, Any]]] = defaultdict(list)
    for case in [*CASES, *NOTICE_CASES]:
        key = (
            json.dumps(case.get("params"), sort_keys=True),
            case.get("revocation", True),
            tuple(case.get("crls", [])),
        )
        groups[key].append(case)
    return groups


def _pkits_options(case: dict[str, Any]) -> dict[str, Any]:
    return {**pkits_options(case), "trust": [cert("TrustAnchorRootCertificate.crt")]}


def _pkits_item(case: dict[str, Any]) -> tuple[Certificate, list[Certificate]]:
    names = case.get("path_intermediates", case.get("other_certs", []))
    return cert(case["cert"]), [cert(name) for name in names]


PKITS_GROUPS = list(_pkits_groups().values())


def test_pkits_groups_cover_every_case() -> None:
    assert len(CASES) == 247
    assert sum(len(cases) for cases in PKITS_GROUPS) == len(CASES) + len(NOTICE_CASES)


@pytest.mark.parametrize("cases", PKITS_GROUPS, ids=lambda cases: f"{cases[0]['id']}+{len(cases) - 1}")
def test_pkits_identical(cases: list[dict[str, Any]]) -> None:
    options = _pkits_options(cases[0])
    # Each leaf twice: the second sight of a valid leaf is answered from its own template (when the
    # shape allows one), and leaves of a group sharing a prefix are answered from each other's.
    items = [_pkits_item(case) for case in cases for _ in range(2)]
    cache = FleetCache()
    many = validate_many(items, fleet_cache=cache, **options)
    again = [_pkits_item(case) for case in cases for _ in range(2)]
    _same(many, [validate_chain(leaf, pool, **options) for leaf, pool in again])
    assert cache.stats.fast + cache.stats.full == len(items)
    singly, validator = _singly([_pkits_item(case) for case in cases for _ in range(2)], options)
    _same(singly, many)
    assert validator.cache.stats.fast >= cache.stats.fast - len(
        cases
    )  # one call per leaf learns a shape on its second leaf


def test_pkits_fast_path_across_different_leaves() -> None:
    # Valid signatures test 1 and invalid EE signature test 3 share the Good CA prefix: the second
    # leaf meets the first's template, fails the fast signature check and gets validate_chain's answer.
    wanted = {"valid_signatures_test1", "invalid_ee_signature_test3", "invalid_ee_notafter_date_test6"}
    cases = [case for case in CASES if case["name"] in wanted]
    assert len(cases) == len(wanted)
    options = _pkits_options(cases[0])
    assert all(_pkits_options(case)["crls"] == options["crls"] for case in cases)
    items = [_pkits_item(case) for case in sorted(cases, key=lambda c: c["name"] != "valid_signatures_test1")]
    cache = FleetCache()
    many = validate_many([*items, items[0]], fleet_cache=cache, **options)
    again = [_pkits_item(case) for case in [*cases, cases[0]]]
    again = [*again[: len(items)], again[0]]
    _same(many, [validate_chain(leaf, pool, **options) for leaf, pool in again])
    assert [r.valid for r in many] == [True, False, False, True]
    assert cache.stats.templates == 1
    assert cache.stats.fast == 1


# -- a mixed demo fleet -------------------------------------------------------------------------------


@attrs.frozen
class Fleet:
    pki: testing.DemoPki
    items: tuple[Any, ...]
    planted: dict[str, int]
    store: TrustStore
    crls: tuple[bytes, ...]
    at: dt.datetime


def build_fleet(size: int = 300, *, seed: int = 7) -> Fleet:
    """Good, revoked, expired, not-yet-valid, wrong-EKU, wrong-policy and wrong-issuer leaves, shuffled."""
    pki = testing.DemoPki.create()
    now = pki.now
    ca, entrust, retired = pki.issuing_ca, pki.entrust_intermediate, pki.retired_issuing_ca
    rng = random.Random(seed)
    items: list[Any] = []
    planted: dict[str, int] = defaultdict(int)

    def add(kind: str, issued: testing.IssuedCertificate, *, pair: bool = False) -> None:
        planted[kind] += 1
        items.append((issued.certificate, list(issued.chain)) if pair else issued.certificate)

    def name(kind: str) -> str:
        return f"{kind}-{planted[kind]:04d}.example.com"

    special = {
        "revoked": 12,
        "expired": 10,
        "not-yet-valid": 10,
        "wrong-eku": 10,
        "wrong-policy": 10,
        "wrong-issuer": 8,
        "entrust": 20,
        "entrust-revoked": 4,
        "retired-before-eol": 8,
        "retired-after-eol": 8,
    }
    good = size - sum(special.values())
    for _ in range(good):
        add("good", ca.issue("rig", name("good"), reuse_key=True), pair=rng.random() < 0.3)
    for _ in range(special["revoked"]):
        issued = ca.issue("rig", name("revoked"), reuse_key=True)
        ca.revoke(issued, reason=rng.choice(["keyCompromise", "superseded", "cessationOfOperation"]))
        add("revoked", issued)
    for _ in range(special["expired"]):
        start = now - dt.timedelta(days=400)
        add("expired", ca.issue("rig", name("expired"), reuse_key=True, not_before=start))
    for _ in range(special["not-yet-valid"]):
        start = now + dt.timedelta(days=10)
        add("not-yet-valid", ca.issue("rig", name("not-yet-valid"), reuse_key=True, not_before=start))
    for _ in range(special["wrong-eku"]):
        add("wrong-eku", ca.issue("server", name("wrong-eku"), reuse_key=True))
    for _ in range(special["wrong-policy"]):
        add("wrong-policy", ca.issue("rig", name("wrong-policy"), reuse_key=True, policies=()))
    for _ in range(special["wrong-issuer"]):
        issued = ca.issue("rig", name("wrong-issuer"), reuse_key=True, signing_key=pki.root.key)
        add("wrong-issuer", issued)
    for _ in range(special["entrust"]):
        add("entrust", entrust.issue("rig", name("entrust"), reuse_key=True), pair=rng.random() < 0.5)
    for _ in range(special["entrust-revoked"]):
        issued = entrust.issue("rig", name("entrust-revoked"), reuse_key=True)
        entrust.revoke(issued)
        add("entrust-revoked", issued)
    before_eol = testing.CYBERTRUST_END_OF_LIFE - dt.timedelta(days=90)
    for _ in range(special["retired-before-eol"]):
        issued = retired.issue(
            "rig",
            name("retired-before-eol"),
            reuse_key=True,
            not_before=before_eol,
            validity=dt.timedelta(days=1500),
        )
        add("retired-before-eol", issued)
    for _ in range(special["retired-after-eol"]):
        add("retired-after-eol", retired.issue("rig", name("retired-after-eol"), reuse_key=True))
    rng.shuffle(items)
    store = TrustStore.from_certificates(
        [pki.root.certificate, pki.entrust_root.certificate], labels={"caiso"}
    )
    store = store.add(retired.root, labels={"retired"}, distrust_after=testing.CYBERTRUST_END_OF_LIFE)
    for intermediate in (ca, entrust, retired):
        store = store.add(intermediate.certificate, role="intermediate")
    crls = tuple(
        authority.crl() for authority in (pki.root, ca, pki.entrust_root, entrust, pki.retired_root, retired)
    )
    return Fleet(pki, tuple(items), dict(planted), store, crls, now + dt.timedelta(minutes=5))


@pytest.fixture(scope="module")
def fleet() -> Fleet:
    return build_fleet()


def _fleet_variants(fleet: Fleet) -> dict[str, dict[str, Any]]:
    demo_policy = PolicyRequirement(
        acceptable=frozenset({DEMO_BASIC_ASSURANCE_POLICY}), require_explicit=True
    )
    base = {
        "trust": fleet.store,
        "at": fleet.at,
        "key_usage": ["digitalSignature"],
        "extended_key_usage": "clientAuth",
    }
    return {
        "require-all-crls": {**base, "revocation": "require", "crls": fleet.crls},
        "demo-policy-hard-fail": {
            **base,
            "policy": demo_policy,
            "revocation": "hard-fail",
            "crls": fleet.crls,
        },
        "soft-fail-caiso-crl-only": {**base, "revocation": "soft-fail", "crls": fleet.crls[1:2]},
        "soft-fail-no-crls": {**base, "revocation": "soft-fail"},
        "off-any-policy": {
            **base,
            "revocation": "off",
            "policy": PolicyRequirement(acceptable=frozenset({ANY_POLICY})),
            "max_path_length": 1,
        },
        "server-name": {
            "trust": fleet.store,
            "at": fleet.at,
            "server_name": "good-0003.example.com",
            "crls": fleet.crls,
        },
    }


@pytest.mark.parametrize(
    "variant",
    [
        "require-all-crls",
        "demo-policy-hard-fail",
        "soft-fail-caiso-crl-only",
        "soft-fail-no-crls",
        "off-any-policy",
        "server-name",
    ],
)
def test_demo_fleet_identical(fleet: Fleet, variant: str) -> None:
    options = _fleet_variants(fleet)[variant]
    cache = FleetCache()
    many = validate_many(fleet.items, fleet_cache=cache, **options)
    one = [
        validate_chain(item[0], item[1], **options)
        if isinstance(item, tuple)
        else validate_chain(item, **options)
        for item in fleet.items
    ]
    _same(many, one)
    assert cache.stats.fast + cache.stats.full == len(fleet.items)
    singly, validator = _singly(fleet.items, options)
    _same(singly, one)
    if variant != "server-name":  # there, all but one leaf fail the name check: full path each
        assert cache.stats.fast >= 150, cache.stats
        assert validator.cache.stats.fast >= 150, validator.cache.stats


def test_server_name_on_the_fast_path(fleet: Fleet) -> None:
    ca = fleet.pki.issuing_ca
    leaves = [
        ca.issue(
            "rig", f"node-{i}.example.com", dns_names=[f"node-{i}.example.com", "*.fleet.example.com"]
        ).certificate
        for i in range(12)
    ]
    options = {
        "trust": fleet.store,
        "at": fleet.at,
        "crls": fleet.crls,
        "server_name": "rig.fleet.example.com",
    }
    cache = FleetCache()
    many = validate_many([*leaves, fleet.items[0]], fleet_cache=cache, **options)
    _same(many, [validate_chain(leaf, **options) for leaf in [*leaves, fleet.items[0]]])
    assert all(many[:-1])
    assert cache.stats.fast == 11


def test_demo_fleet_outcomes_match_what_was_planted(fleet: Fleet) -> None:
    options = _fleet_variants(fleet)["require-all-crls"]
    results = validate_many(fleet.items, **options)
    by_kind: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for item, result in zip(fleet.items, results, strict=True):
        leaf = item[0] if isinstance(item, tuple) else item
        by_kind[(leaf.subject.common_name or "").rsplit("-", 1)[0]].add(result.codes)
    assert by_kind["good"] == {()}
    assert by_kind["entrust"] == {()}
    assert by_kind["retired-before-eol"] == {()}
    assert by_kind["revoked"] == {("revoked",)}
    assert by_kind["entrust-revoked"] == {("revoked",)}
    assert by_kind["expired"] == {("expired",)}
    assert by_kind["not-yet-valid"] == {("not-yet-valid",)}
    assert by_kind["wrong-eku"] == {("extended-key-usage",)}
    assert by_kind["wrong-issuer"] == {("bad-signature",)}
    assert by_kind["retired-after-eol"] == {("distrusted-anchor",)}
    summary = summarize(results)
    assert summary.total == len(fleet.items) == 300
    bad = (
        "revoked",
        "entrust-revoked",
        "expired",
        "not-yet-valid",
        "wrong-eku",
        "wrong-issuer",
        "retired-after-eol",
    )
    assert summary.invalid == sum(fleet.planted[kind] for kind in bad)
    assert summary.by_code["revoked"] == fleet.planted["revoked"] + fleet.planted["entrust-revoked"]
    assert summary.to_dict()["valid"] == summary.valid


def test_demo_fleet_policy_failures(fleet: Fleet) -> None:
    options = _fleet_variants(fleet)["demo-policy-hard-fail"]
    results = validate_many(fleet.items, **options)
    for item, result in zip(fleet.items, results, strict=True):
        leaf = item[0] if isinstance(item, tuple) else item
        kind = (leaf.subject.common_name or "").rsplit("-", 1)[0]
        if kind in ("wrong-policy", "entrust", "retired-before-eol"):
            assert "policy" in result.codes, (kind, result.failures)
        if kind == "good":
            assert result.valid
            assert result.valid_policies == {DEMO_BASIC_ASSURANCE_POLICY}


# -- caching rules ------------------------------------------------------------------------------------


def test_cache_reused_across_calls_only_for_the_same_inputs(fleet: Fleet) -> None:
    options = _fleet_variants(fleet)["require-all-crls"]
    leaves = [item for item in fleet.items if not isinstance(item, tuple)][:40]
    cache = FleetCache()
    first = validate_many(leaves, fleet_cache=cache, **options)
    templates, fast, full = cache.stats.templates, cache.stats.fast, cache.stats.full
    again = validate_many(leaves, fleet_cache=cache, **options)
    assert again == first
    assert cache.stats.templates == templates  # nothing new to learn
    assert cache.stats.fast - fast >= sum(r.valid for r in first)  # every valid leaf is answered fast
    assert cache.stats.full - full <= sum(not r.valid for r in first)  # only failures may go the long way
    # A later validation time inside the window of the prefix and its CRLs reuses the templates, with
    # the answers a fresh validation gives at that time.
    later = {**options, "at": fleet.at + dt.timedelta(seconds=1)}
    before = cache.stats.fast
    assert validate_many(leaves, fleet_cache=cache, **later) == [
        validate_chain(leaf, **later) for leaf in leaves
    ]
    assert cache.stats.fast - before >= sum(r.valid for r in first)
    # A time past the CRLs' nextUpdate, another policy input, another anchor set: the templates are
    # not used.
    for changed in (
        {"at": fleet.at + dt.timedelta(days=8)},
        {"policy": PolicyRequirement(acceptable=frozenset({ANY_POLICY}))},
        {"trust": [fleet.pki.root.certificate], "intermediates": [fleet.pki.issuing_ca.certificate]},
    ):
        before = cache.stats.full
        results = validate_many(leaves, fleet_cache=cache, **{**options, **changed})
        assert cache.stats.full - before >= min(len(leaves), 1 + sum(not r.valid for r in results))


def test_template_never_answers_after_expiry(fleet: Fleet) -> None:
    # A leaf validated once, then the same leaves a year later: everything has expired by then and
    # every answer must be validate_chain's, not a cached "valid".
    options = _fleet_variants(fleet)["soft-fail-no-crls"]
    leaves = [
        item
        for item in fleet.items
        if isinstance(item, Certificate) and item.subject.common_name.startswith("good")
    ]
    cache = FleetCache()
    assert all(validate_many(leaves[:20], fleet_cache=cache, **options))
    leaves = leaves[:20]
    later = {**options, "at": fleet.at + dt.timedelta(days=400)}
    many = validate_many(leaves, fleet_cache=cache, **later)
    assert not any(result.valid for result in many)
    _same(many, [validate_chain(leaf, **later) for leaf in leaves])


def test_intermediates_keyword_and_pairs(fleet: Fleet) -> None:
    ca = fleet.pki.issuing_ca
    leaves = [ca.issue("rig", f"pair-{i}.example.com", reuse_key=True).certificate for i in range(5)]
    trust = [fleet.pki.root.certificate]
    shared = validate_many(leaves, [ca.certificate], trust=trust, at=fleet.at, revocation="off")
    pairs = validate_many(
        [(leaf, [ca.certificate]) for leaf in leaves], trust=trust, at=fleet.at, revocation="off"
    )
    bare = validate_many(leaves, trust=trust, at=fleet.at, revocation="off")
    assert all(shared) and shared == pairs
    assert {r.codes for r in bare} == {("no-path",)}
    pem = validate_many([leaves[0].pem + ca.certificate.pem], trust=trust, at=fleet.at, revocation="off")
    assert pem == shared[:1]


def test_async_and_inside_a_running_loop(fleet: Fleet) -> None:
    options = _fleet_variants(fleet)["off-any-policy"]
    leaves = list(fleet.items[:30])

    async def main() -> tuple[list[ValidationResult], list[ValidationResult]]:
        nested = validate_many(leaves, **options)  # runs on a worker thread
        return await validate_many_async(leaves, **options), nested

    awaited, nested = asyncio.run(main())
    assert awaited == nested == validate_many(leaves, **options)


def test_progress_and_order(fleet: Fleet) -> None:
    seen: list[tuple[int, int]] = []
    leaves = list(fleet.items[:25])
    results = validate_many(
        leaves, trust=fleet.store, at=fleet.at, revocation="off", progress=lambda d, t: seen.append((d, t))
    )
    assert seen == [(i, 25) for i in range(1, 26)]
    for item, result in zip(leaves, results, strict=True):
        assert result.leaf == (item[0] if isinstance(item, tuple) else item)


def test_bad_input_raises_before_validating(fleet: Fleet) -> None:
    good = fleet.pki.issuing_ca.certificate
    with pytest.raises(MalformedInputError, match=r"leaves\[1\]"):
        validate_many([good, b"not a certificate"], trust=fleet.store, at=fleet.at)
    with pytest.raises(MalformedInputError, match="revocation mode"):
        validate_many([good], trust=fleet.store, revocation="sometimes")  # type: ignore[arg-type]
    with pytest.raises(MalformedInputError, match="trust"):
        validate_many([good], trust=None)
    with pytest.raises(InvalidTimeError):
        validate_many([good], trust=fleet.store, at=dt.datetime(2025, 1, 1))
    with pytest.raises(MalformedInputError, match="CRL"):
        validate_many([good], trust=fleet.store, crls=[b"garbage"])
    assert validate_many([], trust=fleet.store) == []


def test_revoked_leaves_answered_fast_once_learnt() -> None:
    pki = testing.DemoPki.create()
    ca = pki.issuing_ca
    issued = [ca.issue("rig", f"rev-{i:02d}.example.com", reuse_key=True) for i in range(30)]
    for item in issued[1::3]:
        ca.revoke(item, reason="superseded")
    options: dict[str, Any] = {
        "trust": [pki.root.certificate],
        "at": pki.now + dt.timedelta(minutes=1),
        "revocation": "require",
        "crls": [pki.root.crl(), ca.crl()],
    }
    leaves = [(item.certificate, [ca.certificate]) for item in issued]
    cache = FleetCache()
    many = validate_many(leaves, fleet_cache=cache, **options)
    _same(many, [validate_chain(leaf, pool, **options) for leaf, pool in leaves])
    assert [r.codes for r in many] == [("revoked",) if i % 3 == 1 else () for i in range(30)]
    assert "superseded" in many[1].failures[0].message
    # The first leaf makes the template, the first revoked one teaches how it is worded; no others.
    assert (cache.stats.full, cache.stats.fast, cache.stats.templates) == (2, 28, 1)


@pytest.mark.parametrize(
    "subject",
    [
        "CN=rig-0001.example.com,O=Demo Participant,C=US",
        "CN=Jos\u00e9 Ni\u00f1o,OU=Ops,L=Folsom,ST=California,O=Demo,C=US",
        "CN=a\\,b,O=Demo",
        "CN=\\#hash,O=Demo",
        "CN=trailing\\ ,O=Demo",
        "CN=x+UID=y,O=Demo",
        "CN=plus\\+sign",
        "1.2.840.113549.1.9.1=ops@example.com,CN=ops",
        "DC=example,DC=com,CN=host",
        "",
    ],
)
def test_own_rfc4514_rendering_matches_cryptography(subject: str) -> None:
    from cryptography import x509

    from caiso_pki.validation.shapes import rfc4514 as _rfc4514

    name = x509.Name.from_rfc4514_string(subject)
    utf8 = x509.Name(
        [
            x509.RelativeDistinguishedName(
                [x509.NameAttribute(a.oid, str(a.value), x509.name._ASN1Type.UTF8String) for a in rdn]
            )
            for rdn in name.rdns
        ]
    )
    for text in (name, utf8):
        rendered = _rfc4514(text.public_bytes())
        assert rendered is None or rendered == text.rfc4514_string()
    if subject.startswith("CN=rig"):  # the plain case is rendered here, not handed back
        assert _rfc4514(name.public_bytes()) == name.rfc4514_string()
