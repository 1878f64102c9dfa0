"""The Validator object: options checked at construction, caches owned, shared safely across threads."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import math
from typing import Any

import attrs
import pytest

from caiso_pki import testing
from caiso_pki.errors import CaisoPkiError, InvalidTimeError, MalformedInputError
from caiso_pki.oids import DEMO_BASIC_ASSURANCE_POLICY
from caiso_pki.policy import PolicyRequirement
from caiso_pki.validation import (
    AlgorithmPolicy,
    FleetCache,
    PathBudget,
    ValidationResult,
    Validator,
    validate_chain,
)


@pytest.fixture(scope="module")
def pki() -> testing.DemoPki:
    return testing.DemoPki.create()


@pytest.fixture(scope="module")
def mixed(pki: testing.DemoPki) -> list[testing.IssuedCertificate]:
    """Valid, revoked, expired and wrong-EKU leaves of the issuing CA, in a fixed interleaving."""
    ca = pki.issuing_ca
    leaves: list[testing.IssuedCertificate] = []
    for i in range(10):
        leaves.append(ca.issue("rig", f"good-{i}.example.com", reuse_key=True))
        revoked = ca.issue("rig", f"revoked-{i}.example.com", reuse_key=True)
        ca.revoke(revoked)
        leaves.append(revoked)
        leaves.append(
            ca.issue(
                "rig",
                f"expired-{i}.example.com",
                reuse_key=True,
                not_before=pki.now - dt.timedelta(days=30),
                not_after=pki.now - dt.timedelta(days=1),
            )
        )
        leaves.append(ca.issue("server", f"server-{i}.example.com", reuse_key=True))
    return leaves


def _validator(pki: testing.DemoPki, **options: Any) -> Validator:
    return Validator(
        trust=pki.trust_store(),
        extended_key_usage="clientAuth",
        policy=PolicyRequirement({DEMO_BASIC_ASSURANCE_POLICY}, require_explicit=True),
        revocation="require",
        crls=[pki.root.crl(), pki.issuing_ca.crl()],
        **options,
    )


# -- options fail at construction, naming the option ------------------------------------------------

BAD_OPTIONS: list[tuple[dict[str, Any], str]] = [
    ({"trust": None}, "trust"),
    ({"trust": 42}, "trust anchor"),
    ({"key_usage": ["digitalSignature", "flying"]}, "key_usage"),
    ({"key_usage": [5]}, "key_usage"),
    ({"extended_key_usage": "no-such-purpose"}, "extended_key_usage"),
    ({"policy": "2.999.1"}, "policy"),
    ({"max_path_length": -1}, "max_path_length"),
    ({"max_path_length": 1.5}, "max_path_length"),
    ({"revocation": "sometimes"}, "revocation mode"),
    ({"crls": [b"not a crl"]}, "crl"),
    ({"ocsp_responses": [b"\x30\x03\x02\x01"]}, "OCSP response"),
    ({"fetch": "yes"}, "fetch"),
    ({"timeout": 0}, "timeout"),
    ({"timeout": math.inf}, "timeout"),
    ({"timeout": "soon"}, "timeout"),
    ({"algorithm_policy": "strict"}, "algorithm_policy"),
    ({"revocation_cache": {}}, "revocation_cache"),
    ({"profile": "browser"}, "profile"),
    ({"path_budget": 8}, "path_budget"),
]


@pytest.mark.parametrize(("options", "named"), BAD_OPTIONS, ids=[repr(o) for o, _ in BAD_OPTIONS])
def test_bad_option_fails_at_construction(pki: testing.DemoPki, options: dict[str, Any], named: str) -> None:
    given = {"trust": pki.trust_anchors, **options}
    with pytest.raises(MalformedInputError) as caught:
        Validator(**given)
    assert named.lower() in str(caught.value).lower()
    assert isinstance(caught.value, CaisoPkiError)


@pytest.mark.parametrize(
    "budget",
    [{"max_depth": 0}, {"max_signature_checks": -1}, {"max_candidates": True}, {"max_paths": 10**9}],
)
def test_bad_budget_names_the_field(budget: dict[str, int]) -> None:
    with pytest.raises(MalformedInputError, match=next(iter(budget))):
        PathBudget(**budget)


def test_bad_algorithm_policy_field() -> None:
    with pytest.raises(MalformedInputError, match="min_rsa_bits"):
        AlgorithmPolicy(min_rsa_bits=-5)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        ({"at": dt.datetime(2026, 1, 1)}, InvalidTimeError),
        ({"at": dt.datetime.max.replace(tzinfo=dt.UTC)}, InvalidTimeError),
        ({"server_name": 5}, MalformedInputError),
        ({"server_name": ""}, MalformedInputError),
    ],
)
def test_bad_call_arguments(pki: testing.DemoPki, call: dict[str, Any], error: type[Exception]) -> None:
    leaf = pki.issuing_ca.issue("rig")
    with pytest.raises(error):
        Validator(trust=pki.trust_anchors).validate(leaf.certificate, leaf.chain, **call)


def test_options_are_normalised_and_idempotent(pki: testing.DemoPki) -> None:
    validator = Validator(
        trust=pki.trust_store(), key_usage="digitalSignature", extended_key_usage="clientAuth"
    )
    assert validator.key_usage == {"digital_signature"}
    assert validator.extended_key_usage == {"1.3.6.1.5.5.7.3.2"}
    # converters accept their own output, so attrs.evolve and re-construction keep every option
    assert attrs.evolve(validator) == validator
    assert Validator(**{f.name: getattr(validator, f.name) for f in attrs.fields(Validator) if f.init}) == (
        validator
    )
    assert "TrustSet 3 anchors" in repr(validator)


# -- caches -----------------------------------------------------------------------------------------


def test_single_calls_use_the_fast_path_and_agree(pki: testing.DemoPki) -> None:
    validator = _validator(pki)
    leaves = [pki.issuing_ca.issue("rig", f"rig-{i}.example.com", reuse_key=True) for i in range(20)]
    results = [validator.validate(leaf.certificate, leaf.chain, at=pki.now) for leaf in leaves]
    assert all(results)
    assert validator.cache.stats.full == 2  # the shape is learnt from its second leaf
    assert validator.cache.stats.fast == 18
    fresh = [
        validate_chain(
            leaf.certificate,
            leaf.chain,
            trust=pki.trust_store(),
            at=pki.now,
            extended_key_usage="clientAuth",
            policy=validator.policy,
            revocation="require",
            crls=[pki.root.crl(), pki.issuing_ca.crl()],
        )
        for leaf in leaves
    ]
    assert [r.to_dict() for r in results] == [r.to_dict() for r in fresh]
    assert results == fresh


def test_evolve_shares_no_cache_and_clear_empties(pki: testing.DemoPki) -> None:
    validator = _validator(pki)
    leaf = pki.issuing_ca.issue("rig", reuse_key=True)
    second = pki.issuing_ca.issue("rig", reuse_key=True)
    assert validator.validate(leaf.certificate, leaf.chain, at=pki.now)
    assert validator.validate(second.certificate, second.chain, at=pki.now)
    assert validator.cache.stats.templates == 1  # learnt from the shape's second leaf
    variant = attrs.evolve(validator, revocation="soft-fail")
    twin = attrs.evolve(validator)
    assert variant.cache is not validator.cache and twin.cache is not validator.cache
    assert len(variant.cache) == 0 and len(twin.cache) == 0
    twin.validate(leaf.certificate, leaf.chain, at=pki.now)
    assert twin.cache.stats.full == 1  # learnt on its own, not from the original
    validator.clear_caches()
    assert len(validator.cache) == 0
    assert validator.cache.stats.templates == 0
    assert validator.validate(leaf.certificate, leaf.chain, at=pki.now)
    assert validator.cache.stats.full == 1


def test_fleet_cache_bounds_hold(pki: testing.DemoPki) -> None:
    cache = FleetCache(max_templates=2, max_crls=1, max_signatures=4)
    validator = attrs.evolve(_validator(pki), fleet_cache=cache)
    leaves = [pki.issuing_ca.issue("rig", f"b-{i}.example.com", reuse_key=True) for i in range(30)]
    for leaf in leaves:
        assert validator.validate(leaf.certificate, leaf.chain, at=pki.now)
    assert len(cache._templates) <= 2
    assert len(cache._crls) <= 1
    assert len(cache._signatures) <= 4
    with pytest.raises(MalformedInputError, match="max_signatures"):
        FleetCache(max_signatures=0)


def test_eight_threads_give_the_sequential_answers(
    pki: testing.DemoPki, mixed: list[testing.IssuedCertificate]
) -> None:
    validator = _validator(pki)
    crls = [pki.root.crl(), pki.issuing_ca.crl()]
    work = [mixed[(thread * 7 + i) % len(mixed)] for thread in range(8) for i in range(250)]

    def sequential(leaf: testing.IssuedCertificate) -> ValidationResult:
        return validate_chain(
            leaf.certificate,
            leaf.chain,
            trust=pki.trust_store(),
            at=pki.now,
            extended_key_usage="clientAuth",
            policy=validator.policy,
            revocation="require",
            crls=crls,
        )

    expected = {leaf.certificate.der: sequential(leaf).to_dict() for leaf in mixed}
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        chunks = [work[t * 250 : (t + 1) * 250] for t in range(8)]
        outcomes = list(
            pool.map(
                lambda chunk: [
                    (leaf.certificate.der, validator.validate(leaf.certificate, leaf.chain, at=pki.now))
                    for leaf in chunk
                ],
                chunks,
            )
        )
    got = [(der, result.to_dict()) for chunk in outcomes for der, result in chunk]
    assert len(got) == 2000
    mismatches = [der for der, result in got if result != expected[der]]
    assert not mismatches
    codes = {tuple(f["code"] for f in result["failures"]) for _, result in got}
    assert codes == {(), ("revoked",), ("expired",), ("extended-key-usage",)}
    assert validator.cache.stats.fast >= 900  # the valid leaves after the first


@pytest.mark.parametrize(
    ("function", "method"),
    [
        ("validate_chain", "validate"),
        ("validate_chain_async", "validate_async"),
        ("validate_many", "validate_many"),
        ("validate_many_async", "validate_many_async"),
    ],
)
def test_module_functions_take_the_method_parameters(function: str, method: str) -> None:
    """Each module function is its Validator method plus trust= and the options, nothing else."""
    import inspect

    from caiso_pki import validation

    wrapper = inspect.signature(getattr(validation, function)).parameters
    wrapped = inspect.signature(getattr(Validator, method)).parameters
    ours = [(name, p.kind, p.default) for name, p in wrapper.items() if name not in ("trust", "options")]
    theirs = [(name, p.kind, p.default) for name, p in wrapped.items() if name != "self"]
    assert ours == theirs
    assert wrapper["trust"].kind is inspect.Parameter.KEYWORD_ONLY
    assert wrapper["options"].kind is inspect.Parameter.VAR_KEYWORD


def test_options_are_keyword_only() -> None:
    """Option classes take keywords only, so an option cannot land in the wrong slot."""
    from caiso_pki.policy import PolicyRequirement
    from caiso_pki.validation import AlgorithmPolicy, HttpFetcher, PathBudget

    for cls in (Validator, AlgorithmPolicy, PathBudget, HttpFetcher):
        assert all(field.kw_only for field in attrs.fields(cls) if field.init), cls
    assert [f.name for f in attrs.fields(PolicyRequirement) if not f.kw_only] == ["acceptable"]
    with pytest.raises(TypeError):
        PathBudget(4)  # type: ignore[misc]


def test_one_list_of_options() -> None:
    """The functions that build a Validator take its options through ValidatorOptions, which holds
    exactly the Validator's fields but trust; check_chain's takes all but policy and profile (the CPS
    profile decides those)."""
    from caiso_pki.validation import ValidatorOptions
    from caiso_pki.validation.validator import UsageAndRevocationOptions

    fields = {field.name for field in attrs.fields(Validator) if field.init} - {"trust"}
    assert set(ValidatorOptions.__optional_keys__) == fields
    assert set(UsageAndRevocationOptions.__optional_keys__) == fields - {"policy", "profile"}
