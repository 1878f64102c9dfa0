"""Values that travel: what pickles (to a worker process, a cache), through what form, and what refuses.

Certificates and CSRs pickle as their DER and parse it again; results, trust stores and the values they
hold pickle field by field; a Validator pickles as its options and starts with empty caches; anything
holding a private key refuses with :class:`~caiso_pki.errors.NotPicklableError`.
"""

from __future__ import annotations

import concurrent.futures
import copy
import datetime as dt
import multiprocessing
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs
import pytest

import caiso_pki
from caiso_pki import testing
from caiso_pki.certificate import Certificate, load_certificate
from caiso_pki.connection import ClientCredential
from caiso_pki.csr import build_csr, renewal_csr
from caiso_pki.errors import CaisoPkiError, NotPicklableError
from caiso_pki.keys import KeySpec, generate_private_key
from caiso_pki.lint import FindingList, check_chain, lint_certificate, lint_chain
from caiso_pki.oids import DEMO_BASIC_ASSURANCE_POLICY
from caiso_pki.pkcs12 import Pkcs12Bundle, export_pkcs12, load_pkcs12
from caiso_pki.policy import PolicyRequirement
from caiso_pki.truststore import TrustStore
from caiso_pki.truststore_io import to_pkcs12
from caiso_pki.validation import AlgorithmPolicy, FleetCache, PathBudget, RevocationCache, Validator
from caiso_pki.validation.fastpath import FleetStats

PROTOCOLS = list(range(2, pickle.HIGHEST_PROTOCOL + 1))


def round_trip(value: object, protocol: int = pickle.HIGHEST_PROTOCOL) -> Any:
    return pickle.loads(pickle.dumps(value, protocol=protocol))


@pytest.fixture(scope="module")
def pki() -> testing.DemoPki:
    """A PKI of this module's own: the fleet below revokes in it."""
    return testing.DemoPki.create()


@pytest.fixture(scope="module")
def fleet(pki: testing.DemoPki) -> list[Certificate]:
    """40 leaves of the issuing CA whose verdicts differ: valid, revoked, expired and wrong EKU."""
    ca = pki.issuing_ca
    leaves: list[Certificate] = []
    for i in range(10):
        leaves.append(ca.issue("rig", f"good-{i}.example.com", reuse_key=True).certificate)
        revoked = ca.issue("rig", f"revoked-{i}.example.com", reuse_key=True)
        ca.revoke(revoked)
        leaves.append(revoked.certificate)
        expired = ca.issue(
            "rig",
            f"expired-{i}.example.com",
            reuse_key=True,
            not_before=pki.now - dt.timedelta(days=30),
            not_after=pki.now - dt.timedelta(days=1),
        )
        leaves.append(expired.certificate)
        leaves.append(ca.issue("server", f"server-{i}.example.com", reuse_key=True).certificate)
    return leaves


def make_validator(pki: testing.DemoPki, **options: Any) -> Validator:
    """Every option away from its default, and revocation judged from CRLs given as input (no network)."""
    chosen: dict[str, Any] = {
        "trust": pki.trust_store(),
        "extended_key_usage": "clientAuth",
        "key_usage": "digitalSignature",
        "policy": PolicyRequirement({DEMO_BASIC_ASSURANCE_POLICY}, require_explicit=True),
        "max_path_length": 2,
        "revocation": "require",
        "crls": [pki.root.crl(), pki.issuing_ca.crl()],
        "timeout": 3.5,
        "algorithm_policy": AlgorithmPolicy(allow_dsa=True, curves={"secp256r1", "secp384r1"}),
        "path_budget": PathBudget(max_depth=4),
        "waive": {"policy-constraints-not-critical"},
        "profile": "webpki",
    }
    return Validator(**{**chosen, **options})


@pytest.fixture(scope="module")
def validator(pki: testing.DemoPki) -> Validator:
    return make_validator(pki)


# -- values pickle, and come back equal ---------------------------------------------------------------


def _values(
    pki: testing.DemoPki, fleet: list[Certificate], validator: Validator, directory: Path
) -> dict[str, object]:
    leaf = fleet[0]
    root_path = directory / "root.pem"
    root_path.write_text(pki.root.certificate.pem)
    key = generate_private_key("ec-p256")
    csr = build_csr(
        key, "CN=rig-0042.example.com, O=Demo Participant, C=US", dns_names=["rig-0042.example.com"]
    )
    valid, revoked, expired, wrong_eku = validator.validate_many(fleet[:4], at=pki.now)
    assert [r.valid for r in (valid, revoked, expired, wrong_eku)] == [True, False, False, False]
    store = pki.trust_store()
    findings = lint_certificate(fleet[3], "caiso-demo")  # the server leaf lacks clientAuth
    assert findings
    chain_findings = lint_chain([pki.issuing_ca.certificate, fleet[3]], "caiso-demo")
    assert isinstance(findings, FindingList) and isinstance(chain_findings, FindingList)
    return {
        "certificate": leaf,
        "certificate with its views read": _warmed(fleet[1]),
        "certificate with a source name": load_certificate(root_path),
        "csr": csr,
        "distinguished name": leaf.subject,
        "subject alternative names": leaf.subject_alt_names,
        "policies": leaf.policies,
        "key spec": KeySpec.parse("rsa-3072"),
        "valid result": valid,
        "revoked result": revoked,
        "expired result": expired,
        "wrong-EKU result": wrong_eku,
        "failure": revoked.failures[0],
        "revocation status": revoked.revocation[-1],
        "finding": findings[0],
        "findings": findings,
        "chain findings": chain_findings,
        "no findings": lint_certificate(fleet[0], "caiso-demo"),
        "chain check": check_chain(fleet[3], trust=store, profile="caiso-demo", at=pki.now),
        "trust store": store,
        "trust entry": store.entries[0],
        "store diff": store.diff(store.remove(store.entries[0])),
        "policy requirement": PolicyRequirement({DEMO_BASIC_ASSURANCE_POLICY}, require_explicit=True),
        "trust-only pkcs12 bundle": load_pkcs12(to_pkcs12(store, password="pw", at=pki.now), password="pw"),
    }


def _warmed(cert: Certificate) -> Certificate:
    cert.to_dict()
    _ = cert.asn1, cert.pem
    return cert


def _answers(value: object) -> object:
    """What a program asks of the value: its JSON form where it has one."""
    if isinstance(value, tuple):
        return [_answers(item) for item in value]
    if isinstance(value, TrustStore):
        return [entry.to_dict() for entry in value]
    to_dict: Callable[[], object] | None = getattr(value, "to_dict", None)
    return to_dict() if to_dict is not None else repr(value)


@pytest.fixture(scope="module")
def values(
    pki: testing.DemoPki,
    fleet: list[Certificate],
    validator: Validator,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, object]:
    return _values(pki, fleet, validator, tmp_path_factory.mktemp("values"))


VALUE_NAMES = [
    "certificate",
    "certificate with its views read",
    "certificate with a source name",
    "csr",
    "distinguished name",
    "subject alternative names",
    "policies",
    "key spec",
    "valid result",
    "revoked result",
    "expired result",
    "wrong-EKU result",
    "failure",
    "revocation status",
    "finding",
    "findings",
    "chain findings",
    "no findings",
    "chain check",
    "trust store",
    "trust entry",
    "store diff",
    "policy requirement",
    "trust-only pkcs12 bundle",
]


def test_every_value_is_listed(values: dict[str, object]) -> None:
    assert sorted(values) == sorted(VALUE_NAMES)


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("name", VALUE_NAMES)
def test_value_round_trip(values: dict[str, object], name: str, protocol: int) -> None:
    value = values[name]
    loaded = round_trip(value, protocol)
    assert type(loaded) is type(value)
    assert loaded == value
    assert hash(loaded) == hash(value)
    assert _answers(loaded) == _answers(value)


def test_findings_travel_as_a_finding_list(values: dict[str, object]) -> None:
    """A FindingList comes back a FindingList, equal to the plain tuple of its findings."""
    for name in ("findings", "chain findings", "no findings"):
        value = values[name]
        assert isinstance(value, FindingList)
        loaded = round_trip(value)
        assert type(loaded) is FindingList
        assert loaded == tuple(value) and tuple(loaded) == tuple(value)
    assert values["no findings"] == ()


def test_a_certificate_travels_as_its_der(values: dict[str, object]) -> None:
    """Reading the views fills caches; none of them goes into the pickle, which holds DER and name."""
    warmed = values["certificate with its views read"]
    assert isinstance(warmed, Certificate)
    fresh = Certificate.from_der(warmed.der)
    assert pickle.dumps(warmed) == pickle.dumps(fresh)
    named = values["certificate with a source name"]
    assert isinstance(named, Certificate)
    loaded = round_trip(named)
    assert named.source_name is not None and named.source_name.endswith("root.pem")
    assert loaded.source_name == named.source_name
    assert loaded.parsed_by_cryptography and loaded.x509 == named.x509


def test_the_same_certificate_is_pickled_once(validator: Validator, fleet: list[Certificate]) -> None:
    """Results of one chain share their anchor and issuer: pickle's memo sends each once."""
    results = validator.validate_many(fleet[:8])
    one = len(pickle.dumps(results[:1]))
    many = len(pickle.dumps(results))
    assert many < 8 * one
    loaded = round_trip(results)
    assert loaded[0].path[0] is loaded[1].path[0]


def test_a_certificate_only_asn1crypto_reads_stays_so(pkits: Path) -> None:
    cert = load_certificate(pkits / "certs" / "ValidDSAParameterInheritanceTest5EE.crt")
    loaded = round_trip(cert)
    assert loaded == cert and not loaded.parsed_by_cryptography
    assert loaded.to_dict() == cert.to_dict()


def test_a_validation_error_carries_its_result(values: dict[str, object]) -> None:
    """``raise_for_failure`` in a worker: the error comes back with the result it carries."""
    result = values["revoked result"]
    assert isinstance(result, caiso_pki.ValidationResult)
    with pytest.raises(caiso_pki.ValidationError) as caught:
        result.raise_for_failure()
    loaded = round_trip(caught.value)
    assert str(loaded) == str(caught.value)
    assert loaded.result == result


# -- a Validator pickles as its options ---------------------------------------------------------------


def _note_fetch(url: str) -> None:
    """A module-level callback: it pickles by name."""


def test_validator_round_trip_keeps_options(pki: testing.DemoPki) -> None:
    original = make_validator(pki, on_fetch=_note_fetch)
    for protocol in PROTOCOLS:
        loaded = round_trip(original, protocol)
        assert loaded == original
        for field in attrs.fields(Validator):
            if field.init:
                assert getattr(loaded, field.name) == getattr(original, field.name), field.name
        assert loaded.on_fetch is _note_fetch


def test_validator_copy_answers_the_same_with_empty_caches(
    pki: testing.DemoPki, fleet: list[Certificate]
) -> None:
    original = make_validator(pki, profile="rfc5280")  # the fast path learns templates under rfc5280
    expected = original.validate_many(fleet, at=pki.now)
    assert original.cache.stats.fast > 0 and original.cache.stats.templates > 0
    learnt = original.cache.stats

    loaded = round_trip(original)
    assert loaded.cache.stats == FleetStats() and len(loaded.cache) == 0
    state = loaded._state
    assert state.settings is None and state.revocation_cache is None and not state.parsed
    assert state.crls == original._state.crls  # the CRLs given were screened again
    assert loaded.validate_many(fleet, at=pki.now) == expected
    assert [loaded.validate(leaf, at=pki.now) for leaf in fleet] == expected
    assert original.cache.stats == learnt and loaded.cache.stats.fast > 0  # the copy learnt on its own
    assert sorted({result.codes for result in expected}) == [
        (),
        ("expired",),
        ("extended-key-usage",),
        ("revoked",),
    ]


def test_given_caches_start_empty_in_the_copy(pki: testing.DemoPki, fleet: list[Certificate]) -> None:
    """A FleetCache or RevocationCache is shared in one process only: the copy gets a new, empty one
    with the same bounds."""
    shared_fleet = FleetCache(max_templates=7, max_crls=3, max_signatures=50)
    downloads = RevocationCache(max_entries=5, max_age=dt.timedelta(hours=1))
    original = make_validator(pki, fleet_cache=shared_fleet, revocation_cache=downloads)
    original.validate_many(fleet[:8], at=pki.now)
    assert len(shared_fleet) > 0

    loaded = round_trip(original)
    assert loaded.fleet_cache is not None and loaded.fleet_cache is not shared_fleet
    assert len(loaded.fleet_cache) == 0 and loaded.cache is loaded.fleet_cache
    assert (loaded.fleet_cache._max_templates, loaded.fleet_cache._max_crls) == (7, 3)
    assert loaded.fleet_cache._max_signatures == 50
    assert loaded.revocation_cache is not None and loaded.revocation_cache is not downloads
    assert len(loaded.revocation_cache) == 0
    assert (loaded.revocation_cache._max_entries, loaded.revocation_cache._max_age) == (
        5,
        dt.timedelta(hours=1),
    )


def test_an_unpicklable_callback_is_named(pki: testing.DemoPki) -> None:
    def nested(url: str) -> None: ...

    for callback in (lambda url: None, nested):
        validator = Validator(trust=pki.trust_anchors, fetch=True, on_fetch=callback)
        with pytest.raises(NotPicklableError, match="on_fetch") as caught:
            pickle.dumps(validator)
        assert isinstance(caught.value, CaisoPkiError) and isinstance(caught.value, TypeError)
        assert "attrs.evolve(validator, on_fetch=None)" in str(caught.value)
        assert round_trip(attrs.evolve(validator, on_fetch=None)).on_fetch is None


def test_a_fetcher_travels_when_it_pickles(pki: testing.DemoPki) -> None:
    import ssl

    from caiso_pki.validation import HttpFetcher

    fetcher = HttpFetcher(allowed_hosts=["crl.example.com"])
    validator = Validator(trust=pki.trust_anchors, fetch=True, fetcher=fetcher)
    loaded = round_trip(validator)
    assert loaded == validator and loaded.fetcher == fetcher
    holding = attrs.evolve(validator, fetcher=HttpFetcher(ssl_context=ssl.create_default_context()))
    with pytest.raises(NotPicklableError, match="fetcher") as caught:
        pickle.dumps(holding)
    assert "attrs.evolve(validator, fetcher=None)" in str(caught.value)


def test_copy_gives_fresh_caches(validator: Validator, fleet: list[Certificate]) -> None:
    validator.validate_many(fleet[:8])
    for copied in (copy.copy(validator), copy.deepcopy(validator)):
        assert copied == validator and copied._state is not validator._state
        assert len(copied.cache) == 0


# -- validate_many across processes ------------------------------------------------------------------


def test_validate_many_in_four_processes_matches_one(pki: testing.DemoPki, fleet: list[Certificate]) -> None:
    """Each worker gets a pickled Validator and a chunk of leaves; the results come back pickled."""
    validator = make_validator(pki)
    expected = validator.validate_many(fleet, at=pki.now)
    assert len({result.codes for result in expected}) == 4  # verdicts differ
    chunks = [fleet[i : i + 10] for i in range(0, len(fleet), 10)]
    options = {
        "trust": pki.trust_store(),
        "extended_key_usage": "clientAuth",
        "policy": validator.policy,
        "revocation": "require",
        "crls": validator.crls,
    }
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(max_workers=4, mp_context=context) as pool:
        by_method = [pool.submit(validator.validate_many, chunk, at=pki.now) for chunk in chunks]
        by_function = [pool.submit(caiso_pki.validate_many, chunk, at=pki.now, **options) for chunk in chunks]
        method_results = [result for future in by_method for result in future.result(timeout=300)]
        function_results = [result for future in by_function for result in future.result(timeout=300)]
    assert method_results == expected
    assert function_results == expected


# -- private keys never travel ---------------------------------------------------------------------


def _key_holders(pki: testing.DemoPki, tmp_path: Path) -> dict[str, object]:
    issued = pki.issuing_ca.issue("rig", "holder.example.com")
    key_path = tmp_path / "holder.key"
    key_path.write_bytes(issued.key_pem())
    return {
        "issued certificate": issued,
        "certificate authority": pki.issuing_ca,
        "demo pki": pki,
        "renewal request": renewal_csr(issued.certificate, issued.key),
        "client credential": ClientCredential.load(issued.certificate, key_path),
        "a list holding one": [issued.certificate, issued],
        "pkcs12 bundle": load_pkcs12(
            export_pkcs12(issued.key, issued.certificate, chain=issued.chain, password="pw"), password="pw"
        ),
    }


KEY_HOLDERS = [
    "issued certificate",
    "certificate authority",
    "demo pki",
    "renewal request",
    "client credential",
    "a list holding one",
    "pkcs12 bundle",
]


@pytest.mark.parametrize("protocol", PROTOCOLS)
@pytest.mark.parametrize("name", KEY_HOLDERS)
def test_private_key_holders_refuse(pki: testing.DemoPki, tmp_path: Path, name: str, protocol: int) -> None:
    holders = _key_holders(pki, tmp_path)
    with pytest.raises(NotPicklableError, match="a private key is never pickled") as caught:
        pickle.dumps(holders[name], protocol=protocol)
    assert isinstance(caught.value, CaisoPkiError) and isinstance(caught.value, TypeError)
    message = str(caught.value)
    assert "save_private_key" in message and "load_private_key" in message
    issued = holders["issued certificate"]
    assert isinstance(issued, testing.IssuedCertificate)
    key_lines = issued.key_pem().decode().splitlines()[1:-1]
    assert not any(line in message for line in key_lines)
    assert "PRIVATE KEY" not in message


def test_private_key_holders_still_copy(pki: testing.DemoPki, tmp_path: Path) -> None:
    holders = _key_holders(pki, tmp_path)
    issued = holders["issued certificate"]
    assert copy.copy(issued) == issued and copy.deepcopy(issued) == issued
    twin = copy.deepcopy(pki)
    assert twin is not pki and twin.issuing_ca.pki is twin  # the cycle is kept, not followed forever
    assert twin.issuing_ca.certificate == pki.issuing_ca.certificate
    credential = holders["client credential"]
    assert isinstance(credential, ClientCredential)
    assert copy.copy(credential).key is credential.key


def test_a_pkcs12_bundle_pickles_only_without_its_key(pki: testing.DemoPki, tmp_path: Path) -> None:
    """A trust-only bundle travels (its certificates as DER); the same bundle holding a key refuses."""
    keyed = _key_holders(pki, tmp_path)["pkcs12 bundle"]
    assert isinstance(keyed, Pkcs12Bundle) and keyed.key is not None and keyed.chain
    trust_only = Pkcs12Bundle(key=None, certificate=None, chain=keyed.certificates)
    for protocol in PROTOCOLS:
        loaded = round_trip(trust_only, protocol)
        assert type(loaded) is Pkcs12Bundle
        assert loaded == trust_only and hash(loaded) == hash(trust_only)
    with pytest.raises(NotPicklableError, match=r"^Pkcs12Bundle holds a private key") as caught:
        pickle.dumps(keyed)
    message = str(caught.value)
    assert "load_pkcs12" in message and "PRIVATE KEY" not in message
    from cryptography.hazmat.primitives import serialization

    assert keyed.key is not None
    der = keyed.key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    assert der.hex() not in message and repr(der) not in message
    for value in (trust_only, keyed):
        assert copy.copy(value) == value and copy.deepcopy(value).certificates == value.certificates
    assert copy.copy(keyed).key is keyed.key
