"""Fetching and caching revocation data (CRLs, OCSP) for pyhanko-certvalidator.

:func:`_fetcher_backend` (private: the :class:`~caiso_pki.validation.Validator` builds one when
``fetch=True``; what it returns is pyhanko-certvalidator's type) plugs caiso-pki's hardened HTTP client
(:mod:`caiso_pki.validation.fetch`, or the Validator's ``fetcher``) into pyhanko-certvalidator's
fetcher interfaces, so chain validation downloads CRLs from the CRL distribution
points, asks the OCSP responders named in AIA, and fetches missing issuers from AIA caIssuers URLs, with
our limits (schemes, hosts, timeouts, size caps, redirects) instead of an unbounded HTTP library.

A :class:`RevocationCache` shared between validations keeps each CRL and OCSP response until its
``nextUpdate`` and never past it, so validating a fleet of certificates from one CA downloads its CRL
once.  Data without a ``nextUpdate`` is not cached (RFC 5019 section 6: newer information may be
available at any time).

Blocking fetches run in a daemon worker thread, and we stop waiting for it shortly after the fetch
timeout even if a custom :class:`~caiso_pki.validation.fetch.Fetcher` ignores its timeout.
Failures surface to pyhanko-certvalidator as its own ``CRLFetchError``/``OCSPFetchError``/
``CertificateFetchError`` (the message carries our :class:`~caiso_pki.errors.FetchError` text and the
FetchError is chained as the cause), which is what lets its soft-fail policy tolerate an unreachable
responder while still failing on a response that says "revoked".
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import datetime as dt
import logging
import os
import threading
from collections.abc import AsyncGenerator, Awaitable, Callable, Hashable, Iterable
from typing import TYPE_CHECKING, Final, Literal, TypeVar

import attrs
from asn1crypto import algos, cms, core, crl, ocsp, pem, x509
from pyhanko_certvalidator import errors as pv_errors
from pyhanko_certvalidator.fetchers.api import (
    CertificateFetcher,
    CRLFetcher,
    FetcherBackend,
    Fetchers,
    OCSPFetcher,
)
from pyhanko_certvalidator.util import get_ocsp_urls, get_relevant_crl_dps, issuer_serial

from caiso_pki._encoding import ASN1_ERRORS
from caiso_pki.certificate import ensure_aware
from caiso_pki.errors import CaisoPkiError, FetchError, MalformedInputError
from caiso_pki.validation import evidence
from caiso_pki.validation.fetch import CRL_MAX_BYTES, DEFAULT_TIMEOUT, OCSP_MAX_BYTES, Fetcher, HttpFetcher

if TYPE_CHECKING:
    from pyhanko_certvalidator.authority import Authority

__all__ = [
    "RevocationCache",
    "downloaded",
]

logger = logging.getLogger(__name__)

CacheKind = Literal["crl", "ocsp"]
T = TypeVar("T")

#: Default bound on the number of cached CRLs and OCSP responses.
DEFAULT_CACHE_ENTRIES: Final = 1024
#: Default bound on network requests per validation (one ``get_fetchers()``): CRLs, OCSP and caIssuers.
DEFAULT_MAX_REQUESTS: Final = 100
#: At most this many URLs are followed from one distribution point list, AIA extension or CRL.
MAX_URLS_PER_OBJECT: Final = 10
# Extra seconds granted to a worker thread over the fetch timeout before we stop waiting for it (a
# custom Fetcher that ignores its timeout must not hang validation).
_THREAD_GRACE: Final = 2.0


# -- the cache ---------------------------------------------------------------------------------------


@attrs.frozen
class _Entry:
    data: bytes = attrs.field(repr=False)
    expires: dt.datetime


class RevocationCache:
    """A thread-safe in-memory cache of CRLs and OCSP responses, each kept until its ``nextUpdate``.

    Keys are the URL for CRLs and the URL plus the request's CertID for OCSP (nonces are not part of the
    key).  An entry is returned only while ``clock() < expiry``, where the expiry is the data's
    ``nextUpdate`` (capped by ``max_age`` when given).  Share one cache between validations (and
    threads) to avoid downloading the same CRL again.

    :param max_entries: least-recently-used entries are dropped beyond this.
    :param max_age: keep nothing longer than this, even when ``nextUpdate`` is further away.
    :param clock: returns the current time (aware UTC); injectable for tests.
    """

    def __init__(
        self,
        *,
        max_entries: int = DEFAULT_CACHE_ENTRIES,
        max_age: dt.timedelta | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ) -> None:
        from caiso_pki._convert import callable_or_none, count, kind_of

        count(max_entries, "RevocationCache max_entries", minimum=1)
        if max_age is not None and not isinstance(max_age, dt.timedelta):
            raise MalformedInputError(
                f"RevocationCache max_age: expected a datetime.timedelta, got {kind_of(max_age)}"
            )
        if max_age is not None and max_age <= dt.timedelta(0):
            raise MalformedInputError(f"RevocationCache max_age: expected a positive duration, got {max_age}")
        callable_or_none(clock, "RevocationCache clock")
        self._max_entries = max_entries
        self._max_age = max_age
        self._clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self._entries: collections.OrderedDict[tuple[str, str, bytes], _Entry] = collections.OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def __repr__(self) -> str:
        return f"<RevocationCache {len(self)} entries, {self.hits} hits, {self.misses} misses>"

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def now(self) -> dt.datetime:
        """The cache's idea of the current time (aware UTC)."""
        return ensure_aware(self._clock(), what="RevocationCache clock")

    def get(self, kind: CacheKind, url: str, *, request: bytes = b"") -> bytes | None:
        """The cached data for ``url`` (and OCSP ``request`` key), or ``None`` if absent or expired."""
        key = (kind, url, request)
        now = self.now()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now < entry.expires:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry.data
            if entry is not None:
                del self._entries[key]
            self.misses += 1
            return None

    def put(
        self,
        kind: CacheKind,
        url: str,
        data: bytes,
        *,
        next_update: dt.datetime | None,
        request: bytes = b"",
    ) -> bool:
        """Store ``data`` until ``next_update``; returns whether it was stored.

        Nothing is stored when ``next_update`` is ``None`` or already past.
        """
        if next_update is None:
            return False
        now = self.now()
        expires = ensure_aware(next_update, what="next_update")
        if self._max_age is not None:
            expires = min(expires, now + self._max_age)
        if expires <= now:
            return False
        key = (kind, url, request)
        with self._lock:
            self._entries[key] = _Entry(data=bytes(data), expires=expires)
            self._entries.move_to_end(key)
            if len(self._entries) > self._max_entries:
                for stale in [k for k, e in self._entries.items() if e.expires <= now]:
                    del self._entries[stale]
                while len(self._entries) > self._max_entries:
                    self._entries.popitem(last=False)
        return True

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._entries.clear()


# -- parsing -----------------------------------------------------------------------------------------


def _parse_crl(data: bytes, url: str) -> crl.CertificateList:
    """Parse a fetched CRL (DER, or PEM from sloppy servers) far enough to trust its structure."""
    try:
        if pem.detect(data):
            _, _, data = pem.unarmor(data)
        parsed = crl.CertificateList.load(data, strict=True)
        tbs = parsed["tbs_cert_list"]
        tbs["issuer"].native  # noqa: B018
        tbs["this_update"].native  # noqa: B018
        tbs["next_update"].native  # noqa: B018
        len(tbs["revoked_certificates"])
        parsed["signature"].native  # noqa: B018
        parsed.crl_number_value  # noqa: B018
    except ASN1_ERRORS as exc:
        raise FetchError(
            f"{url}: response is not a DER CRL ({type(exc).__name__}: {str(exc)[:120]})"
        ) from exc
    return parsed


def _crl_next_update(parsed: crl.CertificateList) -> dt.datetime | None:
    value = parsed["tbs_cert_list"]["next_update"].native
    return value if isinstance(value, dt.datetime) else None


def _parse_ocsp(data: bytes, url: str) -> ocsp.OCSPResponse:
    try:
        parsed = ocsp.OCSPResponse.load(data, strict=True)
        status = parsed["response_status"].native
        if status == "successful":
            tbs = parsed.basic_ocsp_response["tbs_response_data"]
            for single in tbs["responses"]:
                single["cert_status"].native  # noqa: B018
                single["this_update"].native  # noqa: B018
                single["next_update"].native  # noqa: B018
    except ASN1_ERRORS as exc:
        raise FetchError(
            f"{url}: response is not a DER OCSP response ({type(exc).__name__}: {str(exc)[:120]})"
        ) from exc
    return parsed


def _ocsp_next_update(parsed: ocsp.OCSPResponse) -> dt.datetime | None:
    if parsed["response_status"].native != "successful":
        return None
    updates = [s["next_update"].native for s in parsed.basic_ocsp_response["tbs_response_data"]["responses"]]
    if not updates or any(not isinstance(u, dt.datetime) for u in updates):
        return None
    return min(updates)  # type: ignore[no-any-return]


# -- pyhanko-certvalidator fetchers ------------------------------------------------------------------


class _Budget:
    """Caps the network requests one set of fetchers (one validation) makes."""

    def __init__(self, max_requests: int | None) -> None:
        self._max = max_requests
        self._used = 0

    def charge(self, url: str) -> None:
        if self._max is not None and self._used >= self._max:
            raise FetchError(
                f"{url}: not fetched, the limit of {self._max} requests per validation is reached"
            )
        self._used += 1


class _Jobs:
    """Results of fetches by tag; concurrent asks for one tag share a single fetch.

    Failures are remembered too, so one validation never hammers a dead responder.
    """

    def __init__(self) -> None:
        self.results: dict[Hashable, object] = {}
        self._running: dict[Hashable, asyncio.Event] = {}

    async def run(self, tag: Hashable, factory: Callable[[], Awaitable[T]]) -> T:
        while tag not in self.results:
            event = self._running.get(tag)
            if event is not None:
                await event.wait()
                continue
            event = self._running[tag] = asyncio.Event()
            try:
                self.results[tag] = await factory()
            except (
                pv_errors.CRLFetchError,
                pv_errors.OCSPFetchError,
                pv_errors.CertificateFetchError,
            ) as exc:
                self.results[tag] = exc
            except pv_errors.OCSPValidationError as exc:
                self.results[tag] = exc
            finally:
                del self._running[tag]
                event.set()
        result = self.results[tag]
        if isinstance(result, BaseException):
            raise result
        return result  # type: ignore[return-value]

    def successes(self) -> list[object]:
        return [value for value in self.results.values() if not isinstance(value, BaseException)]


@attrs.frozen
class _Settings:
    fetcher: Fetcher
    timeout: float
    crl_max_bytes: int
    ocsp_max_bytes: int
    cache: RevocationCache | None
    ocsp_nonce: bool
    certid_hash_algo: str
    on_fetch: Callable[[str], None] | None = None


class _Shared:
    """What the three fetchers of one ``get_fetchers()`` call share: settings and the request budget."""

    def __init__(self, settings: _Settings, budget: _Budget) -> None:
        self.settings = settings
        self.budget = budget
        # every CRL and OCSP response downloaded, refused ones included: what they list still counts
        self.evidence: list[bytes] = []

    async def fetch(
        self,
        url: str,
        *,
        max_bytes: int,
        method: str = "GET",
        body: bytes | None = None,
        content_type: str | None = None,
    ) -> bytes:
        self.budget.charge(url)
        settings = self.settings
        logger.debug("fetching %s %s", method, url)
        if settings.on_fetch is not None:
            with contextlib.suppress(Exception):  # a progress display must never break a fetch
                settings.on_fetch(url)
        try:
            return await asyncio.wait_for(
                _in_thread(
                    lambda: settings.fetcher.fetch(
                        url,
                        method=method,
                        body=body,
                        content_type=content_type,
                        timeout=settings.timeout,
                        max_bytes=max_bytes,
                    )
                ),
                settings.timeout + _THREAD_GRACE,
            )
        except TimeoutError as exc:
            raise FetchError(
                f"{url}: no answer within {settings.timeout:g} s (fetcher did not return)"
            ) from exc
        except CaisoPkiError:
            raise
        except Exception as exc:  # a custom Fetcher broke its contract; do not let it escape raw
            raise FetchError(f"{url}: fetcher failed: {type(exc).__name__}: {str(exc)[:200]}") from exc


def _in_thread(call: Callable[[], T]) -> asyncio.Future[T]:
    """Run a blocking ``call`` in a daemon thread and return a future for its outcome.

    Not :func:`asyncio.to_thread`: ``asyncio.run`` waits for the default executor's threads at exit,
    so a custom fetcher that ignores its timeout would still hold the caller; a daemon thread of our
    own is simply abandoned when we stop waiting for it.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def runner() -> None:
        try:
            result = call()
        except BaseException as exc:  # handed over to the awaiting coroutine
            outcome: tuple[T | None, BaseException | None] = (None, exc)
        else:
            outcome = (result, None)
        with contextlib.suppress(RuntimeError):  # the loop is gone: nobody is waiting any more
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=runner, name="caiso-pki-fetch", daemon=True).start()
    return future


def _http_urls(urls: Iterable[str]) -> list[str]:
    found = [url for url in urls if url.lower().startswith(("http://", "https://"))]
    if len(found) > MAX_URLS_PER_OBJECT:
        logger.warning(
            "ignoring %d URLs beyond the first %d", len(found) - MAX_URLS_PER_OBJECT, MAX_URLS_PER_OBJECT
        )
    return found[:MAX_URLS_PER_OBJECT]


def _dp_urls(distribution_point: x509.DistributionPoint) -> Iterable[str]:
    name = distribution_point["distribution_point"]
    if name.name != "full_name":
        return
    for general_name in name.chosen:
        if general_name.name == "uniform_resource_identifier":
            yield general_name.native


class _CrlFetcher(CRLFetcher):
    def __init__(self, shared: _Shared) -> None:
        self._shared = shared
        self._jobs = _Jobs()
        self._by_cert: dict[Hashable, list[crl.CertificateList]] = {}

    async def fetch(
        self, cert: x509.Certificate | cms.AttributeCertificateV2, *, use_deltas: bool | None = True
    ) -> list[crl.CertificateList]:
        key = issuer_serial(cert)
        if key in self._by_cert:
            return self._by_cert[key]
        urls = _http_urls(
            url for dp in get_relevant_crl_dps(cert, use_deltas=bool(use_deltas)) for url in _dp_urls(dp)
        )
        outcomes = await asyncio.gather(*(self._fetch_one(url) for url in urls), return_exceptions=True)
        results: list[crl.CertificateList] = []
        failure: BaseException | None = None
        for outcome in outcomes:
            if isinstance(outcome, pv_errors.CRLFetchError):
                failure = outcome
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                results.append(outcome)
        if not results and failure is not None:
            raise failure
        self._by_cert[key] = results
        return results

    async def _fetch_one(self, url: str) -> crl.CertificateList:
        return await self._jobs.run(url, lambda: self._download(url))

    async def _download(self, url: str) -> crl.CertificateList:
        settings = self._shared.settings
        try:
            cached = settings.cache.get("crl", url) if settings.cache is not None else None
            if cached is not None:
                logger.debug("CRL %s served from cache", url)
                return self._usable(cached, url)
            data = await self._shared.fetch(url, max_bytes=settings.crl_max_bytes)
            parsed = self._usable(data, url)
            if settings.cache is not None:
                settings.cache.put("crl", url, data, next_update=_crl_next_update(parsed))
            return parsed
        except CaisoPkiError as exc:
            raise pv_errors.CRLFetchError(f"CRL fetch failed: {exc}") from exc

    def _usable(self, data: bytes, url: str) -> crl.CertificateList:
        """The CRL, kept as evidence; refused (FetchError) when RFC 5280 section 5 forbids using it to
        prove "good" (so pyhanko never sees it; its listings are still read from the evidence)."""
        parsed = _parse_crl(data, url)
        data = parsed.dump()
        self._shared.evidence.append(data)
        for facts in evidence.read_crls([data]):
            if facts.unusable or facts.no_good:
                raise FetchError(f"{url}: {facts.unusable or facts.no_good}")
        return parsed

    def fetched_crls(self) -> Iterable[crl.CertificateList]:
        return [value for value in self._jobs.successes() if isinstance(value, crl.CertificateList)]

    def fetched_crls_for_cert(
        self, cert: x509.Certificate | cms.AttributeCertificateV2
    ) -> Iterable[crl.CertificateList]:
        return self._by_cert[issuer_serial(cert)]


def _ocsp_request(
    cert: x509.Certificate | cms.AttributeCertificateV2, authority: Authority, *, hash_algo: str, nonce: bool
) -> tuple[ocsp.OCSPRequest, bytes]:
    """The OCSP request for ``cert`` and its CertID DER (the cache key)."""
    serial = (
        cert.serial_number if isinstance(cert, x509.Certificate) else cert["ac_info"]["serial_number"].native
    )
    cert_id = ocsp.CertId(
        {
            "hash_algorithm": algos.DigestAlgorithm({"algorithm": hash_algo}),
            "issuer_name_hash": getattr(authority.name, hash_algo),
            "issuer_key_hash": getattr(authority.public_key, hash_algo),
            "serial_number": serial,
        }
    )
    tbs = ocsp.TBSRequest({"request_list": ocsp.Requests([ocsp.Request({"req_cert": cert_id})])})
    if nonce:
        tbs["request_extensions"] = ocsp.TBSRequestExtensions(
            [
                ocsp.TBSRequestExtension(
                    {"extn_id": "nonce", "critical": False, "extn_value": core.OctetString(os.urandom(16))}
                )
            ]
        )
    return ocsp.OCSPRequest({"tbs_request": tbs}), cert_id.dump()


class _OcspFetcher(OCSPFetcher):
    def __init__(self, shared: _Shared) -> None:
        self._shared = shared
        self._jobs = _Jobs()

    async def fetch(
        self, cert: x509.Certificate | cms.AttributeCertificateV2, authority: Authority
    ) -> ocsp.OCSPResponse:
        tag = (issuer_serial(cert), authority.hashable)
        return await self._jobs.run(tag, lambda: self._fetch(cert, authority))

    async def _fetch(
        self, cert: x509.Certificate | cms.AttributeCertificateV2, authority: Authority
    ) -> ocsp.OCSPResponse:
        settings = self._shared.settings
        request, cert_id = _ocsp_request(
            cert, authority, hash_algo=settings.certid_hash_algo, nonce=settings.ocsp_nonce
        )
        urls = _http_urls(get_ocsp_urls(cert))
        if not urls:
            raise pv_errors.OCSPFetchError("no http(s) OCSP responder URL in the certificate")
        failure: BaseException | None = None
        for url in urls:
            try:
                return await self._ask(url, request, cert_id)
            except pv_errors.OCSPFetchError as exc:
                failure = exc
        assert failure is not None
        raise failure

    async def _ask(self, url: str, request: ocsp.OCSPRequest, cert_id: bytes) -> ocsp.OCSPResponse:
        settings = self._shared.settings
        cache = settings.cache if not settings.ocsp_nonce else None
        try:
            cached = cache.get("ocsp", url, request=cert_id) if cache is not None else None
            if cached is not None:
                logger.debug("OCSP response from %s served from cache", url)
                return self._usable(cached, url)
            data = await self._shared.fetch(
                url,
                method="POST",
                body=request.dump(),
                content_type="application/ocsp-request",
                max_bytes=settings.ocsp_max_bytes,
            )
            parsed = self._usable(data, url)
        except CaisoPkiError as exc:
            raise pv_errors.OCSPFetchError(f"OCSP fetch failed: {exc}") from exc
        status = parsed["response_status"].native
        if status != "successful":
            # an explicit refusal from the responder is an answer, not a network failure
            raise pv_errors.OCSPValidationError(f"OCSP responder at {url} answered {status!r}")
        request_nonce = request.nonce_value
        response_nonce = parsed.nonce_value
        if request_nonce and response_nonce and request_nonce.native != response_nonce.native:
            raise pv_errors.OCSPValidationError(f"OCSP responder at {url} answered with a different nonce")
        if cache is not None:
            cache.put("ocsp", url, data, next_update=_ocsp_next_update(parsed), request=cert_id)
        return parsed

    def _usable(self, data: bytes, url: str) -> ocsp.OCSPResponse:
        """The response, kept as evidence; refused when it carries an unknown critical extension."""
        parsed = _parse_ocsp(data, url)
        self._shared.evidence.append(bytes(data))
        for facts in evidence.read_ocsps([bytes(data)]):
            if facts.unusable:
                raise FetchError(f"{url}: {facts.unusable}")
        return parsed

    def fetched_responses(self) -> Iterable[ocsp.OCSPResponse]:
        return [value for value in self._jobs.successes() if isinstance(value, ocsp.OCSPResponse)]

    def fetched_responses_for_cert(
        self, cert: x509.Certificate | cms.AttributeCertificateV2
    ) -> Iterable[ocsp.OCSPResponse]:
        target = issuer_serial(cert)
        return [
            value
            for tag, value in self._jobs.results.items()
            if isinstance(value, ocsp.OCSPResponse) and isinstance(tag, tuple) and tag[0] == target
        ]


def _aia_issuer_urls(cert: x509.Certificate | cms.AttributeCertificateV2) -> list[str]:
    if isinstance(cert, x509.Certificate):
        aia = cert.authority_information_access_value
    else:
        from pyhanko_certvalidator.util import get_ac_extension_value

        aia = get_ac_extension_value(cert, "authority_information_access")
    if aia is None:
        return []
    urls = [
        entry["access_location"].native
        for entry in aia
        if entry["access_method"].native == "ca_issuers"
        and entry["access_location"].name == "uniform_resource_identifier"
    ]
    return _http_urls(urls)


class _CertFetcher(CertificateFetcher):
    def __init__(self, shared: _Shared) -> None:
        self._shared = shared
        self._jobs = _Jobs()

    async def _fetch_certs(self, url: str) -> list[x509.Certificate]:
        return await self._jobs.run(url, lambda: self._download(url))

    async def _download(self, url: str) -> list[x509.Certificate]:
        from caiso_pki.certificate import load_certificates

        try:
            data = await self._shared.fetch(url, max_bytes=self._shared.settings.ocsp_max_bytes)
            return [cert.asn1 for cert in load_certificates(data)]
        except CaisoPkiError as exc:
            raise pv_errors.CertificateFetchError(f"caIssuers fetch failed: {exc}") from exc

    async def _gather(self, urls: list[str]) -> AsyncGenerator[x509.Certificate, None]:
        outcomes = await asyncio.gather(*(self._fetch_certs(url) for url in urls), return_exceptions=True)
        for url, outcome in zip(urls, outcomes, strict=True):
            if isinstance(outcome, pv_errors.CertificateFetchError):
                logger.warning("skipping issuer certificates from %s: %s", url, outcome)
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                for cert in outcome:
                    yield cert

    def fetch_cert_issuers(
        self, cert: x509.Certificate | cms.AttributeCertificateV2
    ) -> AsyncGenerator[x509.Certificate, None]:
        return self._gather(_aia_issuer_urls(cert))

    def fetch_crl_issuers(
        self, certificate_list: crl.CertificateList
    ) -> AsyncGenerator[x509.Certificate, None]:
        return self._gather(_http_urls(certificate_list.issuer_cert_urls))

    def fetched_certs(self) -> Iterable[x509.Certificate]:
        return [cert for value in self._jobs.successes() if isinstance(value, list) for cert in value]


class _FetcherBackend(FetcherBackend):
    """pyhanko-certvalidator's ``FetcherBackend`` on our hardened fetcher; see :func:`_fetcher_backend`.

    Each :meth:`get_fetchers` call (pyhanko makes one per ``ValidationContext``) starts a fresh request
    budget and per-validation memory; the :class:`RevocationCache` is shared by all of them.
    """

    def __init__(self, settings: _Settings, *, max_requests: int | None = DEFAULT_MAX_REQUESTS) -> None:
        self._settings = settings
        self._max_requests = max_requests

    def __repr__(self) -> str:
        s = self._settings
        fetcher = type(s.fetcher).__name__
        return f"<_FetcherBackend timeout={s.timeout:g}s fetcher={fetcher} cache={s.cache!r}>"

    @property
    def cache(self) -> RevocationCache | None:
        """The shared cache, if any."""
        return self._settings.cache

    def get_fetchers(self) -> Fetchers:
        shared = _Shared(self._settings, _Budget(self._max_requests))
        return Fetchers(
            ocsp_fetcher=_OcspFetcher(shared),
            crl_fetcher=_CrlFetcher(shared),
            cert_fetcher=_CertFetcher(shared),
        )

    async def close(self) -> None:
        return None


def _fetcher_backend(
    *,
    timeout: float = DEFAULT_TIMEOUT,
    max_bytes: int | None = None,
    allowed_schemes: Iterable[str] = ("http", "https"),
    allowed_hosts: Iterable[str] | None = None,
    cache: RevocationCache | None = None,
    fetcher: Fetcher | None = None,
    ocsp_nonce: bool = False,
    certid_hash_algo: Literal["sha1", "sha256"] = "sha1",
    max_requests: int | None = DEFAULT_MAX_REQUESTS,
    on_fetch: Callable[[str], None] | None = None,
) -> _FetcherBackend:
    """A pyhanko-certvalidator ``FetcherBackend`` that fetches CRLs, OCSP and issuers with our limits.

    Private: the Validator's own adapter (a test may pass it as ``ValidationContext(fetcher_backend=...)``).
    ``timeout`` bounds each fetch in total
    (redirects included).  ``max_bytes`` caps every response; by default CRLs may be 10 MiB and OCSP
    responses and certificates 1 MiB.  ``allowed_schemes``/``allowed_hosts`` configure the default
    :class:`~caiso_pki.validation.fetch.HttpFetcher`; pass ``fetcher`` to fetch some other way (then those two
    are ignored).  ``ocsp_nonce=True`` sends a nonce and bypasses the cache for OCSP (a nonce asks for
    a fresh answer); many CA responders serve pre-signed answers and ignore nonces, hence the default.
    ``certid_hash_algo`` is the CertID hash in OCSP requests (SHA-1 is what responders expect).
    ``max_requests`` bounds the requests one validation may make (``None``: unbounded).
    ``on_fetch(url)`` is called as each request starts (a status line; it must not block).
    """
    from caiso_pki._convert import count, positive_number

    timeout = positive_number(timeout, "timeout")
    if max_bytes is not None:
        max_bytes = count(max_bytes, "max_bytes", minimum=1)
    if allowed_schemes is None or isinstance(allowed_schemes, (int, float)):
        raise MalformedInputError(
            f"allowed_schemes: expected 'http', 'https' or both, got {allowed_schemes!r}"
        )
    if allowed_hosts is not None and isinstance(allowed_hosts, (int, float)):
        raise MalformedInputError(f"allowed_hosts: expected host names, got {allowed_hosts!r}")
    if certid_hash_algo not in ("sha1", "sha256"):
        raise MalformedInputError(f"certid_hash_algo: expected 'sha1' or 'sha256', got {certid_hash_algo!r}")
    if fetcher is None:
        fetcher = HttpFetcher(
            allowed_schemes=frozenset(allowed_schemes),
            allowed_hosts=None if allowed_hosts is None else frozenset(allowed_hosts),
        )
    elif not isinstance(fetcher, Fetcher):
        raise MalformedInputError(
            f"fetcher: a {type(fetcher).__name__} has no fetch(url, *, method, body, ...) method"
        )
    settings = _Settings(
        fetcher=fetcher,
        timeout=float(timeout),
        crl_max_bytes=max_bytes if max_bytes is not None else CRL_MAX_BYTES,
        ocsp_max_bytes=max_bytes if max_bytes is not None else OCSP_MAX_BYTES,
        cache=cache,
        ocsp_nonce=ocsp_nonce,
        certid_hash_algo=certid_hash_algo,
        on_fetch=on_fetch,
    )
    return _FetcherBackend(settings, max_requests=max_requests)


def downloaded(fetchers: Fetchers) -> list[bytes]:
    """Every CRL and OCSP response the fetchers of one validation downloaded (refused ones included)."""
    crl_fetcher = fetchers.crl_fetcher
    if isinstance(crl_fetcher, _CrlFetcher):
        return list(crl_fetcher._shared.evidence)
    return []
