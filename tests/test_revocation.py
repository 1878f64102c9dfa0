"""Revocation fetching through our pyhanko FetcherBackend, against real servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from asn1crypto import crl as asn1_crl
from asn1crypto import ocsp as asn1_ocsp
from cryptography.x509 import ocsp as cx_ocsp
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as pv_errors
from pyhanko_certvalidator.authority import AuthorityWithCert

from _misbehaving import RawServer, respond, slow_drip
from caiso_pki import load_ocsp_response, testing
from caiso_pki._revocation_server import RevocationServer
from caiso_pki.errors import FetchError, MalformedInputError
from caiso_pki.validation import RevocationCache, ValidationResult, Validator, validate_chain
from caiso_pki.validation.fetch import HttpFetcher
from caiso_pki.validation.fetchers import _fetcher_backend

AIA_OID = "1.3.6.1.5.5.7.1.1"
CRL_DP_OID = "2.5.29.31"


class Clock:
    """An injectable clock for the cache."""

    def __init__(self, now: dt.datetime | None = None) -> None:
        self.now = now or dt.datetime.now(dt.UTC)

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def served() -> Iterator[tuple[RevocationServer, testing.DemoPki, testing.IssuedCertificate]]:
    """A RevocationServer serving a fresh demo PKI, and a leaf revoked for keyCompromise."""
    with RevocationServer() as server:
        pki = testing.DemoPki.create(base_url=server.base_url)
        server.serve(pki)
        leaf = pki.issuing_ca.issue("rig", "rig-0001.example.com")
        pki.issuing_ca.revoke(leaf, reason="keyCompromise")
        yield server, pki, leaf


def crl_fetch(backend: object, cert: testing.IssuedCertificate) -> list[asn1_crl.CertificateList]:
    fetchers = backend.get_fetchers()  # type: ignore[attr-defined]
    return list(asyncio.run(fetchers.crl_fetcher.fetch(cert.certificate.asn1)))


def ocsp_fetch(
    backend: object, cert: testing.IssuedCertificate, issuer: testing.CertificateAuthority
) -> asn1_ocsp.OCSPResponse:
    fetchers = backend.get_fetchers()  # type: ignore[attr-defined]
    authority = AuthorityWithCert(issuer.certificate.asn1)
    return asyncio.run(fetchers.ocsp_fetcher.fetch(cert.certificate.asn1, authority))


def revoked_serials(crl: asn1_crl.CertificateList) -> dict[int, str]:
    return {
        entry["user_certificate"].native: entry.crl_reason_value.native
        for entry in crl["tbs_cert_list"]["revoked_certificates"]
    }


# -- fetching from the RevocationServer --------------------------------------------------------------


def test_crl_via_distribution_point_shows_revocation(served: tuple) -> None:
    server, _pki, leaf = served
    crls = crl_fetch(_fetcher_backend(), leaf)
    assert len(crls) == 1
    assert revoked_serials(crls[0]) == {leaf.certificate.serial_number: "key_compromise"}
    assert server.requests == ["/crl/caiso-issuing.crl"]


def test_ocsp_via_aia_shows_revocation(served: tuple) -> None:
    server, pki, leaf = served
    response = ocsp_fetch(_fetcher_backend(), leaf, pki.issuing_ca)
    assert response["response_status"].native == "successful"
    single = response.basic_ocsp_response["tbs_response_data"]["responses"][0]
    assert single["cert_id"]["serial_number"].native == leaf.certificate.serial_number
    assert single["cert_status"].name == "revoked"
    assert single["cert_status"].chosen["revocation_reason"].native == "key_compromise"
    assert server.requests == ["/ocsp/caiso-issuing"]


def test_good_certificate_ocsp(served: tuple) -> None:
    _server, pki, _ = served
    good = pki.issuing_ca.issue("dpg", "dpg-1.example.com")
    response = ocsp_fetch(_fetcher_backend(), good, pki.issuing_ca)
    assert response.basic_ocsp_response["tbs_response_data"]["responses"][0]["cert_status"].name == "good"


def test_ca_issuers_fetch(served: tuple) -> None:
    server, pki, leaf = served
    fetchers = _fetcher_backend().get_fetchers()

    async def collect() -> list[object]:
        return [cert async for cert in fetchers.cert_fetcher.fetch_cert_issuers(leaf.certificate.asn1)]

    certs = asyncio.run(collect())
    assert [cert.dump() for cert in certs] == [pki.issuing_ca.certificate.der]  # type: ignore[attr-defined]
    assert server.requests == ["/ca/caiso-issuing.cer"]
    assert [c.dump() for c in fetchers.cert_fetcher.fetched_certs()] == [pki.issuing_ca.certificate.der]


def test_one_validation_fetches_each_url_once(served: tuple) -> None:
    server, _pki, leaf = served
    fetchers = _fetcher_backend().get_fetchers()

    async def twice() -> None:
        await asyncio.gather(
            fetchers.crl_fetcher.fetch(leaf.certificate.asn1),
            fetchers.crl_fetcher.fetch(leaf.certificate.asn1),
        )

    asyncio.run(twice())
    assert server.requests == ["/crl/caiso-issuing.crl"]
    assert len(list(fetchers.crl_fetcher.fetched_crls())) == 1
    assert len(list(fetchers.crl_fetcher.fetched_crls_for_cert(leaf.certificate.asn1))) == 1


# -- the cache ---------------------------------------------------------------------------------------


def test_crl_cache_honours_next_update(served: tuple) -> None:
    server, _pki, leaf = served
    clock = Clock()
    cache = RevocationCache(clock=clock)
    backend = _fetcher_backend(cache=cache)
    first = crl_fetch(backend, leaf)
    assert len(server.requests) == 1
    next_update = first[0]["tbs_cert_list"]["next_update"].native
    clock.now = next_update - dt.timedelta(seconds=1)
    second = crl_fetch(backend, leaf)  # a new validation: served from the cache
    assert len(server.requests) == 1
    assert second[0].dump() == first[0].dump()
    clock.now = next_update  # never past nextUpdate
    crl_fetch(backend, leaf)
    assert len(server.requests) == 2
    assert cache.hits == 1


def test_ocsp_cache_honours_next_update(served: tuple) -> None:
    server, pki, leaf = served
    clock = Clock()
    backend = _fetcher_backend(cache=RevocationCache(clock=clock))
    first = ocsp_fetch(backend, leaf, pki.issuing_ca)
    ocsp_fetch(backend, leaf, pki.issuing_ca)
    assert server.requests == ["/ocsp/caiso-issuing"]
    other = pki.issuing_ca.issue("dpg", "dpg-2.example.com")
    ocsp_fetch(backend, other, pki.issuing_ca)  # another CertID is another key
    assert len(server.requests) == 2
    clock.now = first.basic_ocsp_response["tbs_response_data"]["responses"][0]["next_update"].native
    ocsp_fetch(backend, leaf, pki.issuing_ca)
    assert len(server.requests) == 3


def test_ocsp_nonce_bypasses_cache_and_is_echoed(served: tuple) -> None:
    server, pki, leaf = served
    backend = _fetcher_backend(cache=RevocationCache(), ocsp_nonce=True)
    response = ocsp_fetch(backend, leaf, pki.issuing_ca)
    assert response.nonce_value is not None
    ocsp_fetch(backend, leaf, pki.issuing_ca)
    assert len(server.requests) == 2


def test_cache_never_stores_expired_or_undated_data() -> None:
    clock = Clock(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    cache = RevocationCache(clock=clock)
    assert not cache.put("crl", "http://x/a.crl", b"a", next_update=None)
    assert not cache.put("crl", "http://x/a.crl", b"a", next_update=clock.now)
    assert not cache.put("crl", "http://x/a.crl", b"a", next_update=clock.now - dt.timedelta(days=1))
    assert len(cache) == 0
    assert cache.put("crl", "http://x/a.crl", b"a", next_update=clock.now + dt.timedelta(hours=1))
    assert cache.get("crl", "http://x/a.crl") == b"a"
    assert cache.get("ocsp", "http://x/a.crl") is None
    clock.now += dt.timedelta(hours=1)
    assert cache.get("crl", "http://x/a.crl") is None
    assert len(cache) == 0


def test_cache_max_age_and_eviction() -> None:
    clock = Clock(dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
    cache = RevocationCache(clock=clock, max_age=dt.timedelta(minutes=10), max_entries=2)
    later = clock.now + dt.timedelta(days=7)
    for name in ("a", "b", "c"):
        cache.put("crl", name, name.encode(), next_update=later)
    assert len(cache) == 2
    assert cache.get("crl", "a") is None  # least recently used went first
    assert cache.get("crl", "b") == b"b"
    clock.now += dt.timedelta(minutes=10)
    assert cache.get("crl", "b") is None


def test_cache_refuses_naive_clock_and_bad_settings() -> None:
    cache = RevocationCache(clock=lambda: dt.datetime(2025, 1, 1))
    with pytest.raises(Exception, match="naive"):
        cache.get("crl", "x")
    with pytest.raises(MalformedInputError, match="max_entries"):
        RevocationCache(max_entries=0)
    with pytest.raises(MalformedInputError, match="max_age"):
        RevocationCache(max_age=dt.timedelta(0))


def test_cache_is_thread_safe() -> None:
    cache = RevocationCache(max_entries=50)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=1)
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            for i in range(2000):
                key = f"http://h/{(worker * 7 + i) % 80}"
                cache.put("crl", key, key.encode(), next_update=later)
                value = cache.get("crl", key)
                assert value in (None, key.encode())
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(cache) <= 50


# -- failures ------------------------------------------------------------------------------------------


def pki_at(url: str) -> testing.DemoPki:
    return testing.DemoPki.create(base_url=url)


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        (respond(200, b"\x30\x03garbage-not-der"), "not a DER CRL"),
        (respond(200, b"<html>", content_type="text/html"), "unexpected Content-Type"),
        (respond(500, b"oops", content_type="text/plain"), "HTTP 500"),
    ],
    ids=["garbage DER", "wrong content type", "HTTP 500"],
)
def test_bad_crl_server_is_a_crl_fetch_error(handler: object, expected: str) -> None:
    with RawServer(handler) as server:  # type: ignore[arg-type]
        pki = pki_at(f"http://127.0.0.1:{server.port}")
        leaf = pki.issuing_ca.issue("rig")
        with pytest.raises(pv_errors.CRLFetchError, match=expected) as info:
            crl_fetch(_fetcher_backend(timeout=2), leaf)
    assert isinstance(info.value.__cause__, FetchError)


@pytest.mark.parametrize(
    ("handler", "expected"),
    [
        (respond(200, b"\x04\x02no", content_type="application/ocsp-response"), "not a DER OCSP response"),
        (slow_drip(0.5), "timed out after 2 s"),
    ],
    ids=["garbage DER", "slow drip"],
)
def test_bad_ocsp_server_is_an_ocsp_fetch_error(handler: object, expected: str) -> None:
    with RawServer(handler) as server:  # type: ignore[arg-type]
        pki = pki_at(f"http://127.0.0.1:{server.port}")
        leaf = pki.issuing_ca.issue("rig")
        # The slow drip holds the connection for 120 s: a fetch that outlived its 2 s would fail on
        # the closed connection, not with "timed out after 2 s" (no clock is asserted).
        with pytest.raises(pv_errors.OCSPFetchError, match=expected):
            ocsp_fetch(_fetcher_backend(timeout=2), leaf, pki.issuing_ca)


def test_stopped_server_is_a_fetch_error(served: tuple) -> None:
    server, pki, leaf = served
    server.stop()
    with pytest.raises(pv_errors.CRLFetchError, match="connection refused"):
        crl_fetch(_fetcher_backend(timeout=2), leaf)
    with pytest.raises(pv_errors.OCSPFetchError, match="connection refused"):
        ocsp_fetch(_fetcher_backend(timeout=2), leaf, pki.issuing_ca)


def test_unknown_certificate_ocsp_is_a_validation_error(served: tuple) -> None:
    server, pki, _ = served
    stranger = pki_at(server.base_url).issuing_ca.issue("rig")  # same URLs, unknown to the responder
    with pytest.raises(pv_errors.OCSPValidationError, match="unauthorized"):
        ocsp_fetch(_fetcher_backend(), stranger, pki.issuing_ca)


def test_host_allow_list_blocks_crl_fetch(served: tuple) -> None:
    server, _pki, leaf = served
    with pytest.raises(pv_errors.CRLFetchError, match="not in the allow-list"):
        crl_fetch(_fetcher_backend(allowed_hosts=["crl.caiso.com"]), leaf)
    assert server.requests == []


def test_request_budget(served: tuple) -> None:
    server, _pki, leaf = served
    with pytest.raises(pv_errors.CRLFetchError, match="limit of 0 requests"):
        crl_fetch(_fetcher_backend(max_requests=0), leaf)
    assert server.requests == []


def test_size_cap_applies(served: tuple) -> None:
    _server, _pki, leaf = served
    with pytest.raises(pv_errors.CRLFetchError, match="exceeds the 100-byte limit"):
        crl_fetch(_fetcher_backend(max_bytes=100), leaf)


class RecordingFetcher:
    """A custom Fetcher: the default one, recording the URLs asked for."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.inner = HttpFetcher()

    def fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        body: bytes | None = None,
        content_type: str | None = None,
        timeout: float,
        max_bytes: int,
    ) -> bytes:
        self.urls.append(url)
        return self.inner.fetch(
            url, method=method, body=body, content_type=content_type, timeout=timeout, max_bytes=max_bytes
        )


class HangingFetcher:
    """A broken custom Fetcher that ignores its timeout: it returns only when :meth:`release` is called
    (or after 120 s, a guard), so a backend that waited for it would not fail with "did not return"."""

    def __init__(self) -> None:
        self._released = threading.Event()

    def fetch(self, url: str, **kwargs: object) -> bytes:
        self._released.wait(120)
        return b""

    def release(self) -> None:
        self._released.set()


class RaisingFetcher:
    """A broken custom Fetcher raising something that is not a FetchError."""

    def fetch(self, url: str, **kwargs: object) -> bytes:
        raise KeyError("boom")


def test_custom_fetcher_is_used(served: tuple) -> None:
    _server, pki, leaf = served
    recorder = RecordingFetcher()
    crls = crl_fetch(_fetcher_backend(fetcher=recorder), leaf)
    assert recorder.urls == [pki.issuing_ca.crl_url]
    assert leaf.certificate.serial_number in revoked_serials(crls[0])


def test_broken_custom_fetchers_are_contained(served: tuple) -> None:
    _server, _pki, leaf = served
    hanging = HangingFetcher()
    try:
        with pytest.raises(pv_errors.CRLFetchError, match="fetcher did not return"):
            crl_fetch(_fetcher_backend(fetcher=hanging, timeout=0.5), leaf)  # type: ignore[arg-type]
    finally:
        hanging.release()
    with pytest.raises(pv_errors.CRLFetchError, match="KeyError"):
        crl_fetch(_fetcher_backend(fetcher=RaisingFetcher()), leaf)  # type: ignore[arg-type]


def test_backend_argument_checks() -> None:
    with pytest.raises(MalformedInputError, match="timeout"):
        _fetcher_backend(timeout=0)
    with pytest.raises(MalformedInputError, match="max_bytes"):
        _fetcher_backend(max_bytes=0)
    with pytest.raises(MalformedInputError, match="allowed_schemes"):
        _fetcher_backend(allowed_schemes=["ftp"])
    with pytest.raises(MalformedInputError, match="fetcher"):
        _fetcher_backend(fetcher=object())  # type: ignore[arg-type]
    with pytest.raises(MalformedInputError, match="certid_hash_algo"):
        _fetcher_backend(certid_hash_algo="md5")  # type: ignore[arg-type]


# -- through pyhanko-certvalidator ---------------------------------------------------------------------


def pyhanko_validate(
    pki: testing.DemoPki, leaf: testing.IssuedCertificate, backend: object, mode: str
) -> ValidationContext:
    context = ValidationContext(
        trust_roots=[pki.root.certificate.asn1],
        other_certs=[pki.issuing_ca.certificate.asn1],
        allow_fetching=True,
        fetcher_backend=backend,
        revocation_mode=mode,
    )
    validator = CertificateValidator(leaf.certificate.asn1, validation_context=context)
    asyncio.run(validator.async_validate_usage(set()))
    return context


def test_pyhanko_sees_revocation_via_ocsp(served: tuple) -> None:
    _server, pki, leaf = served
    with pytest.raises(pv_errors.RevokedError, match=r"OCSP.*compromised key"):
        pyhanko_validate(pki, leaf, _fetcher_backend(), "hard-fail")


def test_pyhanko_sees_revocation_via_crl(served: tuple) -> None:
    server, pki, _ = served
    leaf = pki.issuing_ca.issue("rig", "rig-crl-only.example.com", omit_extensions=[AIA_OID])
    pki.issuing_ca.revoke(leaf, reason="superseded")
    with pytest.raises(pv_errors.RevokedError, match=r"CRL.*supersession"):
        pyhanko_validate(pki, leaf, _fetcher_backend(), "hard-fail")
    assert "/crl/caiso-issuing.crl" in server.requests


def test_pyhanko_soft_fail_and_hard_fail_with_server_down(served: tuple) -> None:
    server, pki, _ = served
    good = pki.issuing_ca.issue("dpg", "dpg-3.example.com")
    pyhanko_validate(pki, good, _fetcher_backend(), "hard-fail")
    server.stop()
    context = pyhanko_validate(pki, good, _fetcher_backend(timeout=2), "soft-fail")
    assert any("connection refused" in str(exc) for exc in context.soft_fail_exceptions)
    with pytest.raises(pv_errors.PathValidationError, match="no revocation information could be found"):
        pyhanko_validate(pki, good, _fetcher_backend(timeout=2), "hard-fail")


# -- offline OCSP responses ----------------------------------------------------------------------------


def test_load_ocsp_response(tmp_path: Path) -> None:
    pki = testing.DemoPki.create()
    leaf = pki.issuing_ca.issue("rig")
    pki.issuing_ca.revoke(leaf, reason="keyCompromise")
    der = pki.issuing_ca.ocsp_response(cert=leaf.certificate)
    response = load_ocsp_response(der)
    assert response.certificate_status == cx_ocsp.OCSPCertStatus.REVOKED
    path = tmp_path / "leaf.ocsp"
    path.write_bytes(der)
    assert load_ocsp_response(path).serial_number == leaf.certificate.serial_number
    assert load_ocsp_response(str(path)).serial_number == leaf.certificate.serial_number


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x30\x03\x02\x01\x05", "not a DER OCSP response"),
        (b"garbage", "not a DER OCSP response"),
        (b"-----BEGIN OCSP RESPONSE-----\nAAAA\n-----END OCSP RESPONSE-----\n", "PEM"),
        (b"", "empty"),
    ],
)
def test_load_ocsp_response_rejects_garbage(data: bytes, expected: str) -> None:
    with pytest.raises(MalformedInputError, match=expected):
        load_ocsp_response(data)


def test_load_ocsp_response_unsuccessful_still_loads() -> None:
    pki = testing.DemoPki.create()
    stranger = testing.DemoPki.create().issuing_ca.issue("rig")
    response = load_ocsp_response(pki.issuing_ca.ocsp_response(cert=stranger.certificate))
    assert response.response_status == cx_ocsp.OCSPResponseStatus.UNAUTHORIZED


# -- end to end: validate_chain(fetch=True) against the RevocationServer -------------------------------


def validate(
    pki: testing.DemoPki, leaf: testing.IssuedCertificate, mode: str, **kwargs: object
) -> ValidationResult:
    return validate_chain(
        leaf.certificate,
        [pki.issuing_ca.certificate],
        trust=[pki.root.certificate],
        fetch=True,
        revocation=mode,  # type: ignore[arg-type]
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("mode", ["soft-fail", "hard-fail", "require"])
def test_validate_chain_revoked_via_ocsp(served: tuple, mode: str) -> None:
    _server, pki, leaf = served
    result = validate(pki, leaf, mode)
    assert not result.valid
    assert result.codes == ("revoked",)
    status = result.revocation[-1]
    assert (status.status, status.source, status.reason) == ("revoked", "ocsp", "keyCompromise")
    assert status.revocation_time == (pki.now - dt.timedelta(hours=1)).replace(microsecond=0)
    assert status.url == pki.issuing_ca.ocsp_url
    message = result.failures[0].message
    assert "keyCompromise" in message
    assert status.revocation_time.isoformat().replace("+00:00", "Z") in message


def test_validate_chain_revoked_via_crl(served: tuple) -> None:
    server, pki, _ = served
    leaf = pki.issuing_ca.issue("rig", "rig-crl-only.example.com", omit_extensions=[AIA_OID])
    revoked_at = pki.now - dt.timedelta(days=2)
    pki.issuing_ca.revoke(leaf, reason="superseded", at=revoked_at)
    result = validate(pki, leaf, "hard-fail")
    assert result.codes == ("revoked",)
    status = result.revocation[-1]
    assert (status.status, status.source, status.reason) == ("revoked", "crl", "superseded")
    assert status.revocation_time == revoked_at.replace(microsecond=0)
    assert status.url == pki.issuing_ca.crl_url
    assert "/crl/caiso-issuing.crl" in server.requests
    message = result.failures[0].message
    assert "superseded" in message
    assert revoked_at.replace(microsecond=0).isoformat().replace("+00:00", "Z") in message


def test_validate_chain_good_leaf_fetches_and_passes(served: tuple) -> None:
    _server, pki, _ = served
    good = pki.issuing_ca.issue("dpg", "dpg-9.example.com")
    result = validate(pki, good, "require")
    assert result.valid, result.failures
    assert [s.status for s in result.revocation] == ["not-checked", "good", "good"]


def test_validate_chain_server_down_soft_fail_warns_hard_fail_fails(served: tuple) -> None:
    server, pki, _ = served
    good = pki.issuing_ca.issue("dpg", "dpg-4.example.com")
    server.stop()
    soft = validate(pki, good, "soft-fail", timeout=2)
    assert soft.valid, soft.failures
    assert any("connection refused" in warning for warning in soft.warnings), soft.warnings
    for mode in ("hard-fail", "require"):
        hard = validate(pki, good, mode, timeout=2)
        assert not hard.valid
        assert set(hard.codes) == {"revocation-unavailable"}, hard.failures
        assert all("connection refused" in f.message for f in hard.failures)
        assert [s.status for s in hard.revocation] == ["not-checked", "unknown", "unknown"]


def test_validator_fetcher_host_allow_list(served: tuple) -> None:
    """Validator(fetcher=HttpFetcher(allowed_hosts=...)): a host off the list is never contacted."""
    server, pki, _ = served
    good = pki.issuing_ca.issue("dpg", "dpg-6.example.com")
    before = len(server.requests)
    refused = validate(pki, good, "hard-fail", fetcher=HttpFetcher(allowed_hosts=["crl.example.com"]))
    assert not refused.valid and set(refused.codes) == {"revocation-unavailable"}, refused.failures
    assert all("allow" in f.message for f in refused.failures), refused.failures
    assert len(server.requests) == before
    allowed = validate(pki, good, "hard-fail", fetcher=HttpFetcher(allowed_hosts=["127.0.0.1"]))
    assert allowed.valid, allowed.failures
    assert len(server.requests) > before


def test_validator_fetcher_is_checked() -> None:
    with pytest.raises(MalformedInputError, match="fetcher"):
        Validator(trust=[testing.DemoPki.create().root.certificate], fetch=True, fetcher=object())  # type: ignore[arg-type]


def test_validate_chain_shares_the_cache(served: tuple) -> None:
    server, pki, _ = served
    good = pki.issuing_ca.issue("dpg", "dpg-5.example.com")
    cache = RevocationCache()
    assert validate(pki, good, "hard-fail", revocation_cache=cache).valid
    asked = len(server.requests)
    assert asked >= 1
    assert validate(pki, good, "hard-fail", revocation_cache=cache).valid
    assert len(server.requests) == asked


def test_validate_chain_ocsp_error_status_is_unusable(served: tuple) -> None:
    # docs/security.md: an answer that is an error proves nothing: unknown, with a warning naming it;
    # soft-fail accepts that, hard-fail and require fail
    server, _pki, _ = served
    other = testing.DemoPki.create(base_url=server.base_url)  # same URLs, unknown to the responder
    stranger = other.issuing_ca.issue("rig", omit_extensions=[CRL_DP_OID])
    results = {
        mode: validate_chain(
            stranger.certificate,
            [other.issuing_ca.certificate],
            trust=[other.root.certificate],
            fetch=True,
            revocation=mode,
            timeout=5,
        )
        for mode in ("soft-fail", "hard-fail", "require")
    }
    soft = results["soft-fail"]
    assert soft.valid, soft.failures
    assert soft.revocation[-1].status == "unknown"
    assert any("unauthorized" in warning for warning in soft.warnings), soft.warnings
    for mode in ("hard-fail", "require"):
        leaf_failures = [f for f in results[mode].failures if f.index == 2]
        assert [f.code for f in leaf_failures] == ["revocation-unavailable"], results[mode].failures
        assert "unauthorized" in leaf_failures[0].message
