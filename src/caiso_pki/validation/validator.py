"""The :class:`Validator`: validation options built once into an immutable object that owns its caches.

Modelled on ``httpx.Client`` and cryptography's ``PolicyBuilder``: every option lives in one place,
is checked once (a bad one fails at construction, naming the option and the value), and the object
keeps what it learns between calls, so a service that checks each connecting peer's client certificate
builds one ``Validator`` at start-up and calls :meth:`Validator.validate` per handshake.

What it caches, all thread-safe and bounded (see :class:`~caiso_pki.validation.fastpath.FleetCache`):
templates for the fast path (:mod:`~caiso_pki.validation.fastpath`), which let a later leaf of an
already-seen chain shape skip everything but its own last step, parsed CRLs, signature checks, and
CRLs and OCSP answers fetched over the network (until their nextUpdate).
``attrs.evolve(validator, revocation="require")`` gives a variant with fresh, unshared caches;
:meth:`Validator.clear_caches` empties them.  A Validator pickles as its options (so it can go to a
worker process); the copy's caches start empty.

The module-level :func:`validate_chain`, :func:`validate_many` and their async forms are thin
wrappers, as httpx's module functions wrap ``Client``: each builds a ``Validator`` and calls it.

Synchronous calls run without an event loop unless there is I/O to do (fetching, or CRLs and OCSP
responses to judge, which pyhanko-certvalidator does with coroutines); then a per-thread event loop
runs it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NamedTuple, TypedDict, TypeVar, Unpack

import attrs

from caiso_pki._convert import callable_or_none
from caiso_pki.certificate import Certificate
from caiso_pki.errors import MalformedInputError, NotPicklableError, RevocationError
from caiso_pki.policy import PolicyRequirement
from caiso_pki.types import CertificateInput, CertificatesInput, CrlsInput, LeafInput, OcspsInput, TrustInput
from caiso_pki.validation import engine
from caiso_pki.validation.options import (
    STRICT_ALGORITHMS,
    AlgorithmPolicy,
    PathBudget,
    Profile,
    ProgressCallback,
    RevocationMode,
    TrustSet,
    certificate_list,
    certificates,
    check_algorithms,
    check_budget,
    check_max_path_length,
    check_mode,
    check_policy,
    check_profile,
    crl_ders,
    eku_oids,
    key_usage_names,
    ocsp_ders,
    parse_crls,
    parse_ocsps,
    server_name_text,
    to_fetch,
    to_timeout,
    trust_set,
    validation_time,
    waived_codes,
)
from caiso_pki.validation.results import ValidationFailure, ValidationResult
from caiso_pki.validation.signatures import SignatureCache

if TYPE_CHECKING:
    from asn1crypto import crl as asn1_crl
    from asn1crypto import ocsp as asn1_ocsp

    from caiso_pki.validation.evidence import CrlFacts, OcspFacts
    from caiso_pki.validation.fastpath import FleetCache, HashedKey, Pool, Settings
    from caiso_pki.validation.fetch import Fetcher
    from caiso_pki.validation.fetchers import RevocationCache, _FetcherBackend

__all__ = [
    "UsageAndRevocationOptions",
    "Validator",
    "ValidatorOptions",
    "validate_chain",
    "validate_chain_async",
    "validate_many",
    "validate_many_async",
]

T = TypeVar("T")


def _algorithms(value: AlgorithmPolicy | None) -> AlgorithmPolicy:
    return STRICT_ALGORITHMS if value is None else value


def _check_cache(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    from caiso_pki.validation.fetchers import RevocationCache

    if not isinstance(value, RevocationCache):
        raise MalformedInputError(f"revocation_cache: expected a RevocationCache, got {type(value).__name__}")


def _check_callback(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not callable(value):
        raise MalformedInputError(
            f"{attribute.name}: expected a function taking a URL, got {type(value).__name__}"
        )


def _check_fetcher(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    from caiso_pki.validation.fetch import Fetcher

    if not isinstance(value, Fetcher):
        raise MalformedInputError(
            f"fetcher: a {type(value).__name__} has no fetch(url, *, method, body, ...) method; pass an "
            "HttpFetcher or an object with that method"
        )


def _check_fleet(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    from caiso_pki.validation.fastpath import FleetCache

    if not isinstance(value, FleetCache):
        raise MalformedInputError(f"fleet_cache: expected a FleetCache, got {type(value).__name__}")


class _State:
    """The caches of one Validator (never shared with another, ``attrs.evolve`` included)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.fleet_lock = threading.Lock()
        self.given_fleet: FleetCache | None = None  # made on first use (a one-shot Validator needs none)
        self.crls: list[bytes] = []  # CRLs that may prove "good" (DER), parsed per thread for pyhanko
        self.defective_crls: list[tuple[object, str]] = []
        self.ocsps: list[bytes] = []  # usable OCSP responses (DER)
        self.unusable_ocsps: list[str] = []
        self.evidence: tuple[list[CrlFacts], list[OcspFacts]] = ([], [])  # every CRL and response given
        self.parsed: dict[int, tuple[list[asn1_crl.CertificateList], list[asn1_ocsp.OCSPResponse]]] = {}
        self.signatures = SignatureCache()
        self.revocation_cache: RevocationCache | None = None
        self.settings: Settings | None = None
        self.one_shot = False  # validate_chain's: nothing would reuse what it learns, so it learns nothing
        self.notes: tuple[str, ...] = ()

    @property
    def fleet(self) -> FleetCache:
        """The fleet cache (the fast path is imported when it is first needed)."""
        if self.given_fleet is None:
            from caiso_pki.validation.fastpath import FleetCache

            with self.fleet_lock:
                if self.given_fleet is None:
                    self.given_fleet = FleetCache()
        return self.given_fleet

    def revocation_data(self) -> tuple[list[asn1_crl.CertificateList], list[asn1_ocsp.OCSPResponse]]:
        """This thread's asn1crypto objects of the CRLs and OCSP responses (asn1crypto parses lazily and
        is not safe to share between threads while it does)."""
        ident = threading.get_ident()
        found = self.parsed.get(ident)
        if found is None:
            found = (parse_crls(self.crls), parse_ocsps(self.ocsps))
            if len(self.parsed) >= 64:
                self.parsed.clear()  # threads that ended left their parses behind
            self.parsed[ident] = found
        return found


@attrs.frozen(kw_only=True)
class Validator:
    """RFC 5280 chain validation with its options fixed: build once, validate many leaves.

    :param trust: the trust anchors: a :class:`~caiso_pki.truststore.TrustStore` (its ``distrust_after``
        dates and intermediate entries are honoured), trust entries, or certificates.  The operating
        system's trust list is never consulted.
    :param key_usage: keyUsage bits the leaf must assert (``"digitalSignature"``).
    :param extended_key_usage: purposes the leaf must allow: names (``"clientAuth"``) or dotted OIDs.
    :param policy: the RFC 5280 initial policy inputs (:class:`~caiso_pki.policy.PolicyRequirement`).
    :param max_path_length: at most this many intermediates; a self-issued intermediate (a key rollover
        certificate) is not counted, as RFC 5280 4.2.1.9 counts pathLenConstraint.
    :param revocation: ``"off"``, ``"soft-fail"`` (default), ``"hard-fail"`` or ``"require"``.
    :param crls: CRLs given offline (DER or PEM, files, cryptography CRLs).
    :param ocsp_responses: OCSP responses given offline.
    :param fetch: also download the CRLs and OCSP answers the certificates name (http and https only,
        size caps), each request bounded by ``timeout`` seconds.
    :param fetcher: what downloads them when ``fetch`` is on: by default an
        :class:`~caiso_pki.validation.HttpFetcher` with its limits; pass
        ``HttpFetcher(allowed_hosts=[...])`` to contact only your CAs' hosts, or any
        :class:`~caiso_pki.validation.Fetcher` (a proxy, a recorded fixture).
    :param timeout: seconds for each network request when ``fetch`` is on.
    :param algorithm_policy: which hashes and key sizes are acceptable (default: no MD5/SHA-1, RSA of
        2048 bits or more).
    :param revocation_cache: a :class:`~caiso_pki.validation.RevocationCache` to share downloads with
        other validators; by default each Validator keeps its own.
    :param profile: ``"rfc5280"`` (default) or ``"webpki"``.
    :param path_budget: bounds on path building (:class:`~caiso_pki.validation.options.PathBudget`).
    :param waive: codes of structural rules not to enforce (``"policy-constraints-not-critical"``),
        for data sets that predate them; every other rule still applies.
    :param on_fetch: called with each URL as a fetch starts (``caiso-pki verify`` shows it on a
        terminal); it must return at once.
    :param fleet_cache: a :class:`~caiso_pki.validation.FleetCache` to share what the fast path learns
        with other validators (templates are keyed by every option that can change an answer, so
        validators with different options never answer from each other's templates); by default
        each Validator keeps its own.
    """

    trust: TrustSet = attrs.field(converter=trust_set)
    key_usage: frozenset[str] = attrs.field(default=None, converter=key_usage_names)
    extended_key_usage: frozenset[str] = attrs.field(default=None, converter=eku_oids)
    policy: PolicyRequirement | None = attrs.field(default=None, validator=check_policy)
    max_path_length: int | None = attrs.field(default=None, validator=check_max_path_length)
    revocation: RevocationMode = attrs.field(default="soft-fail", validator=check_mode)
    crls: tuple[bytes, ...] = attrs.field(default=(), converter=crl_ders, repr=lambda v: f"<{len(v)} CRLs>")
    ocsp_responses: tuple[bytes, ...] = attrs.field(
        default=(), converter=ocsp_ders, repr=lambda v: f"<{len(v)} OCSP responses>"
    )
    fetch: bool = attrs.field(default=False, converter=to_fetch)
    timeout: float = attrs.field(default=10.0, converter=to_timeout)
    fetcher: Fetcher | None = attrs.field(default=None, validator=_check_fetcher)
    algorithm_policy: AlgorithmPolicy = attrs.field(
        default=None, converter=_algorithms, validator=check_algorithms
    )
    revocation_cache: RevocationCache | None = attrs.field(default=None, validator=_check_cache, eq=False)
    profile: Profile = attrs.field(default="rfc5280", validator=check_profile)
    path_budget: PathBudget = attrs.field(factory=PathBudget, validator=check_budget)
    waive: frozenset[str] = attrs.field(default=None, converter=waived_codes)
    on_fetch: Callable[[str], None] | None = attrs.field(
        default=None, eq=False, repr=False, validator=_check_callback
    )
    fleet_cache: FleetCache | None = attrs.field(default=None, eq=False, repr=False, validator=_check_fleet)
    _state: _State = attrs.field(init=False, factory=_State, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        self._check_combination()
        state = self._state
        if self.fleet_cache is not None:
            state.given_fleet = self.fleet_cache
        if self.crls or self.ocsp_responses:
            self._screen(state)

    def _make_settings(self) -> Settings:
        """What the fast path needs to know of these options (the fast path is imported now)."""
        from caiso_pki.validation.fastpath import HashedKey, Settings

        checking = self.revocation != "off"
        return Settings(
            key=HashedKey(
                tuple((a.certificate.der, a.distrust_after, a.label) for a in self.trust.anchors),
                tuple(cert.der for cert in self.trust.intermediates),
                self.key_usage,
                self.extended_key_usage,
                self.policy,
                self.max_path_length,
                self.revocation,
                frozenset(self.crls) if checking else frozenset(),
                frozenset(self.ocsp_responses) if checking else frozenset(),
                self.fetch and checking,
                self.algorithm_policy,
                self.profile,
                self.path_budget,
                self.waive,
            ),
            trust=self.trust,
            revocation=self.revocation,
            crls=self.crls,
            ocsp=bool(self.ocsp_responses),
            fetch=self.fetch,
            profile=self.profile,
        )

    def _check_combination(self) -> None:
        """Refuse options that cannot be meant together; note those that are legal but surprising."""
        given = [
            name for name, value in (("crls", self.crls), ("ocsp_responses", self.ocsp_responses)) if value
        ]
        if self.fetch:
            given.append("fetch=True")
        if self.revocation == "off" and given:
            raise MalformedInputError(
                f"revocation='off' with {' and '.join(given)}: revocation would not be checked, so a revoked "
                "certificate would validate; choose a checking mode ('soft-fail', 'hard-fail', 'require') "
                "or drop them"
            )
        if self.revocation == "require" and not given:
            raise MalformedInputError(
                "revocation='require' with neither crls, ocsp_responses nor fetch=True: every certificate "
                "below the anchor would fail for want of revocation information; give CRLs or OCSP "
                "responses, or fetch=True"
            )
        notes = []
        if self.revocation == "hard-fail" and not given:
            notes.append(
                "revocation='hard-fail' without CRLs, OCSP responses or fetching: a certificate that names a "
                "CRL or OCSP location cannot pass"
            )
        if self.on_fetch is not None and not self.fetch:
            notes.append("on_fetch is set but fetch is off: nothing is fetched")
        if self.fetcher is not None and not self.fetch:
            notes.append("fetcher is set but fetch is off: nothing is fetched")
        self._state.notes = tuple(notes)

    def _screen(self, state: _State) -> None:
        """Which CRLs and OCSP responses given offline may prove "good" (see :mod:`.evidence`)."""
        from caiso_pki.validation import evidence

        crl_facts = evidence.read_crls(self.crls)
        state.defective_crls = evidence.defects(crl_facts)
        state.crls = [facts.der for facts in crl_facts if not (facts.unusable or facts.no_good)]
        successful = []
        for der, response in zip(self.ocsp_responses, parse_ocsps(self.ocsp_responses), strict=True):
            status = response["response_status"].native
            if status == "successful":
                successful.append(der)
            else:
                state.unusable_ocsps.append(f"an OCSP response given offline says {status!r}")
        ocsp_facts = evidence.read_ocsps(successful)
        state.ocsps = [facts.der for facts in ocsp_facts if facts.unusable is None]
        state.unusable_ocsps.extend(facts.unusable for facts in ocsp_facts if facts.unusable is not None)
        state.evidence = (crl_facts, ocsp_facts)

    # -- copies --------------------------------------------------------------------------------------

    def __reduce__(self) -> tuple[Callable[[_Travelling], Validator], tuple[_Travelling]]:
        """Pickle the options only: the copy builds its caches afresh, empty, as a new Validator does.

        A ``fleet_cache`` or ``revocation_cache`` you passed is shared within one process only; the
        copy gets a new, empty one with the same size bounds (a RevocationCache's ``clock`` stays
        behind: the copy's reads the system clock).  An ``on_fetch`` that cannot be pickled (a lambda,
        a nested function), or a ``fetcher`` that cannot (one holding an ``ssl_context``), raises
        :class:`~caiso_pki.errors.NotPicklableError` naming it.
        """
        _check_travels(self.on_fetch, "on_fetch", "pass a module-level function")
        _check_travels(self.fetcher, "fetcher", "pass a fetcher that pickles (no ssl_context)")
        options = {
            field.alias or field.name: getattr(self, field.name)
            for field in attrs.fields(Validator)
            if field.init and field.name not in ("fleet_cache", "revocation_cache")
        }
        return _unpickle_validator, (
            _Travelling(options, _fleet_bounds(self.fleet_cache), _revocation_bounds(self.revocation_cache)),
        )

    def __copy__(self) -> Validator:
        """``copy.copy`` and ``copy.deepcopy``: the same options with fresh caches (``attrs.evolve``)."""
        return attrs.evolve(self)

    def __deepcopy__(self, memo: dict[int, object]) -> Validator:
        return attrs.evolve(self)

    @classmethod
    def _one_shot(cls, trust: TrustInput, options: ValidatorOptions) -> Validator:
        """A Validator for one call (``validate_chain``): it learns no templates, nothing would reuse them,
        so its leaf goes the full way without the fast path."""
        validator = cls(trust=trust, **options)
        validator._state.one_shot = True
        return validator

    # -- public API ------------------------------------------------------------------------------

    def validate(
        self,
        leaf: CertificateInput,
        intermediates: CertificatesInput = (),
        *,
        at: dt.datetime | None = None,
        server_name: str | None = None,
    ) -> ValidationResult:
        """Validate ``leaf`` up to one of the anchors and report everything found.

        ``leaf`` and ``intermediates`` accept :class:`~caiso_pki.certificate.Certificate`,
        ``cryptography`` certificates, DER or PEM bytes, PEM text or paths (a file holding several
        certificates: the first is the leaf, the rest are offered as intermediates).  ``intermediates``
        may come in any order and hold surplus certificates: the path is built from them.  The result's
        :attr:`~caiso_pki.validation.ValidationResult.path` runs anchor first.  ``at`` must be
        timezone-aware (default: now).  ``server_name`` (a DNS name or IP literal) must match a
        subjectAltName of the leaf.

        Raises only for bad input (:class:`~caiso_pki.errors.MalformedInputError`,
        :class:`~caiso_pki.errors.InvalidTimeError`); an invalid chain is a result with ``valid=False``.
        Safe to call from inside a running event loop.
        """
        when, name, first, offered = self._inputs(leaf, intermediates, at, server_name)
        return self._one(first, offered, when, name, None, eager=False)

    async def validate_async(
        self,
        leaf: CertificateInput,
        intermediates: CertificatesInput = (),
        *,
        at: dt.datetime | None = None,
        server_name: str | None = None,
    ) -> ValidationResult:
        """Asynchronous :meth:`validate` (same parameters and result); fetches run on the event loop."""
        when, name, first, offered = self._inputs(leaf, intermediates, at, server_name)
        return await self._one_async(first, offered, when, name, None, eager=False)

    def validate_many(
        self,
        leaves: Iterable[LeafInput],
        intermediates: CertificatesInput = (),
        *,
        at: dt.datetime | None = None,
        server_name: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> list[ValidationResult]:
        """Validate every leaf as :meth:`validate` would, much faster in bulk.

        ``leaves`` holds certificate inputs or ``(leaf, intermediates)`` pairs whose intermediates are
        offered for that leaf only; ``intermediates`` are offered for every leaf; ``server_name``, when
        given, must match every leaf.  ``at`` defaults to one "now" for the whole call;
        ``progress(done, total)`` is called after each leaf.  Returns one result per leaf, in input
        order, equal to what :meth:`validate` returns.  Raises
        :class:`~caiso_pki.errors.MalformedInputError` naming ``leaves[i]`` before any validation.
        """
        callable_or_none(progress, "progress")
        batch = self._batch(leaves, intermediates, at, server_name)
        if self._needs_io():
            return _run_sync(self._many_async(batch, progress))
        results: list[ValidationResult] = []
        for leaf, offered, pool in batch.items:
            results.append(self._one(leaf, offered, batch.at, batch.server_name, pool, eager=True))
            if progress is not None:
                progress(len(results), len(batch.items))
        return results

    async def validate_many_async(
        self,
        leaves: Iterable[LeafInput],
        intermediates: CertificatesInput = (),
        *,
        at: dt.datetime | None = None,
        server_name: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> list[ValidationResult]:
        """Asynchronous :meth:`validate_many` (same parameters and results)."""
        callable_or_none(progress, "progress")
        return await self._many_async(self._batch(leaves, intermediates, at, server_name), progress)

    def clear_caches(self) -> None:
        """Forget every cached template, CRL index, signature check and fetched response."""
        with self._state.lock:
            if self._state.given_fleet is not None:
                self._state.given_fleet.clear()
            self._state.signatures.clear()
            if self._state.revocation_cache is not None:
                self._state.revocation_cache.clear()

    @property
    def cache(self) -> FleetCache:
        """The templates, CRL indexes and signature checks this Validator has learnt (for statistics)."""
        return self._state.fleet

    # -- the work --------------------------------------------------------------------------------

    @staticmethod
    def _inputs(
        leaf: CertificateInput,
        intermediates: CertificatesInput,
        at: dt.datetime | None,
        server_name: str | None,
    ) -> tuple[dt.datetime, str | None, Certificate, list[Certificate]]:
        when = validation_time(at)
        name = server_name_text(server_name)
        leaf_and_extras = certificates(leaf, "certificate")
        if not leaf_and_extras:
            raise MalformedInputError("leaf: no certificate given")
        offered = [*leaf_and_extras[1:], *certificate_list(intermediates, "intermediate")]
        return when, name, leaf_and_extras[0], offered

    def _batch(
        self,
        leaves: Iterable[LeafInput],
        intermediates: CertificatesInput,
        at: dt.datetime | None,
        server_name: str | None,
    ) -> _Batch:
        when = validation_time(at)
        name = server_name_text(server_name)
        shared = certificate_list(intermediates, "intermediate")
        from caiso_pki.validation import fastpath

        items = [
            fastpath.split_item(item, position) for position, item in enumerate(fastpath.iterate(leaves))
        ]
        pools: dict[HashedKey, fastpath.Pool] = {}
        shared_pool = fastpath.Pool([*shared, *self.trust.intermediates], self.trust)
        prepared = []
        for leaf, own in items:
            if own:
                candidate = fastpath.Pool([*own, *shared, *self.trust.intermediates], self.trust)
                pool = pools.setdefault(candidate.key, candidate)
            else:
                pool = shared_pool
            prepared.append((leaf, [*own, *shared], pool))
        return _Batch(when, name, prepared)

    async def _many_async(self, batch: _Batch, progress: ProgressCallback | None) -> list[ValidationResult]:
        results: list[ValidationResult] = []
        for leaf, offered, pool in batch.items:
            results.append(
                await self._one_async(leaf, offered, batch.at, batch.server_name, pool, eager=True)
            )
            if progress is not None:
                progress(len(results), len(batch.items))
        return results

    def _settings(self) -> Settings:
        state = self._state
        if state.settings is None:
            settings = self._make_settings()
            state.settings = attrs.evolve(settings, learn=False) if state.one_shot else settings
        return state.settings

    def _one(
        self,
        leaf: Certificate,
        offered: Sequence[Certificate],
        at: dt.datetime,
        server_name: str | None,
        pool: Pool | None,
        *,
        eager: bool,
    ) -> ValidationResult:
        if self._state.one_shot:
            return self._full(leaf, offered, at, server_name)
        from caiso_pki.validation import fastpath

        cache, settings = self._state.fleet, self._settings()
        found = fastpath.lookup(
            cache, settings, leaf, offered, at=at, server_name=server_name, pool=pool, eager=eager
        )
        if found.result is not None:
            return found.result
        result = self._full(leaf, offered, at, server_name)
        fastpath.learn(cache, settings, found, result)
        return result

    def _full(
        self, leaf: Certificate, offered: Sequence[Certificate], at: dt.datetime, server_name: str | None
    ) -> ValidationResult:
        """Full validation (:mod:`~caiso_pki.validation.engine`), with I/O when it needs any."""
        request = self._request(leaf, offered, at, server_name)
        if request is None:
            return _no_anchors(leaf, at)
        if engine.needs_io(request):
            return _run_sync(self._io(request))
        return engine.run(request)

    async def _one_async(
        self,
        leaf: Certificate,
        offered: Sequence[Certificate],
        at: dt.datetime,
        server_name: str | None,
        pool: Pool | None,
        *,
        eager: bool,
    ) -> ValidationResult:
        from caiso_pki.validation import fastpath

        cache, settings = self._state.fleet, self._settings()
        found = None
        if not self._state.one_shot:
            found = fastpath.lookup(
                cache, settings, leaf, offered, at=at, server_name=server_name, pool=pool, eager=eager
            )
            if found.result is not None:
                return found.result
        request = self._request(leaf, offered, at, server_name)
        if request is None:
            result = _no_anchors(leaf, at)
        elif engine.needs_io(request):
            result = await self._io(request)
        else:
            result = engine.run(request)
        if found is not None:
            fastpath.learn(cache, settings, found, result)
        return result

    def _needs_io(self) -> bool:
        checking = self.revocation != "off"
        return checking and bool(self.fetch or self._state.crls or self._state.ocsps)

    def _request(
        self, leaf: Certificate, offered: Sequence[Certificate], at: dt.datetime, server_name: str | None
    ) -> engine.Request | None:
        """What the engine needs for one leaf, or ``None`` when there are no anchors to validate to."""
        anchors = self.trust.anchors
        if not anchors:
            return None
        state = self._state
        checking = self.revocation != "off"
        crls, ocsps = state.revocation_data() if checking and (state.crls or state.ocsps) else ([], [])
        return engine.Request(
            leaf=leaf,
            pool=[*offered, *self.trust.intermediates],
            anchors=anchors,
            at=at,
            key_usage=self.key_usage,
            extended_key_usage=self.extended_key_usage,
            server_name=server_name,
            policy=self.policy,
            max_path_length=self.max_path_length,
            mode=self.revocation,
            crls=list(crls),
            ocsps=list(ocsps),
            fetch=self.fetch and checking,
            timeout=self.timeout,
            algorithms=self.algorithm_policy,
            profile=self.profile,
            waive=self.waive,
            budget=self.path_budget,
            signatures=state.signatures,
            defective_crls=state.defective_crls,
            unusable_ocsps=state.unusable_ocsps,
            evidence=state.evidence if checking else ([], []),
            notes=state.notes,
        )

    async def _io(self, request: engine.Request) -> ValidationResult:
        """A validation that fetches, or judges revocation data, on the running event loop."""
        backend = self._backend() if request.fetch else None
        try:
            return await engine.run_async(request, backend.get_fetchers() if backend is not None else None)
        finally:
            if backend is not None:
                # closing a spent HTTP session must not mask the result
                with contextlib.suppress(Exception):
                    await backend.close()

    def _backend(self) -> _FetcherBackend:
        try:
            from caiso_pki.validation import fetchers
        except ImportError as exc:  # pragma: no cover - the module ships with the package
            raise RevocationError(
                "fetch=True needs caiso_pki.validation.fetchers, which is not available"
            ) from exc
        cache = self.revocation_cache
        if cache is None:
            with self._state.lock:
                if self._state.revocation_cache is None:
                    self._state.revocation_cache = fetchers.RevocationCache()
                cache = self._state.revocation_cache
        return fetchers._fetcher_backend(
            timeout=self.timeout, cache=cache, fetcher=self.fetcher, on_fetch=self.on_fetch
        )


class _Batch(NamedTuple):
    """The leaves of one validate_many call, converted: (leaf, intermediates offered, pool) each."""

    at: dt.datetime
    server_name: str | None
    items: list[tuple[Certificate, list[Certificate], Pool]]


class _Travelling(NamedTuple):
    """What a pickled Validator holds: its options, and the bounds of the caches it was given."""

    options: dict[str, Any]
    fleet: tuple[int, int, int] | None
    revocation: tuple[int, dt.timedelta | None] | None


def _check_travels(value: object, name: str, remedy: str) -> None:
    """Raise :class:`NotPicklableError` naming ``name`` unless ``value`` pickles."""
    import pickle

    if value is None:
        return
    try:
        pickle.dumps(value)
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        what = getattr(value, "__qualname__", type(value).__name__)
        raise NotPicklableError(
            f"{name}: {what!r} cannot be pickled, so this Validator cannot go to another process; "
            f"{remedy}, or send attrs.evolve(validator, {name}=None)"
        ) from exc


def _fleet_bounds(cache: FleetCache | None) -> tuple[int, int, int] | None:
    if cache is None:
        return None
    return cache._max_templates, cache._max_crls, cache._max_signatures


def _revocation_bounds(cache: RevocationCache | None) -> tuple[int, dt.timedelta | None] | None:
    return None if cache is None else (cache._max_entries, cache._max_age)


def _unpickle_validator(state: _Travelling) -> Validator:
    """The Validator a pickle holds (see :meth:`Validator.__reduce__`), with new, empty caches."""
    fleet_cache = revocation_cache = None
    if state.fleet is not None:
        from caiso_pki.validation.fastpath import FleetCache

        templates, crls, signatures = state.fleet
        fleet_cache = FleetCache(max_templates=templates, max_crls=crls, max_signatures=signatures)
    if state.revocation is not None:
        from caiso_pki.validation.fetchers import RevocationCache

        entries, max_age = state.revocation
        revocation_cache = RevocationCache(max_entries=entries, max_age=max_age)
    return Validator(**state.options, fleet_cache=fleet_cache, revocation_cache=revocation_cache)


def _no_anchors(leaf: Certificate, at: dt.datetime) -> ValidationResult:
    failure = ValidationFailure("untrusted-root", "no trust anchors were given", None, None)
    return ValidationResult(valid=False, path=(leaf,), failures=(failure,), at=at, anchored=False)


# -- the module-level functions ----------------------------------------------------------------------


class UsageAndRevocationOptions(TypedDict, total=False):
    """The :class:`Validator` options besides ``trust``, ``policy`` and ``profile``.

    What :func:`~caiso_pki.lint.check_chain` passes on (the CPS profile decides the policy).
    """

    key_usage: Iterable[str] | str | None
    extended_key_usage: Iterable[str] | str | None
    max_path_length: int | None
    revocation: RevocationMode
    crls: CrlsInput
    ocsp_responses: OcspsInput
    fetch: bool
    timeout: float
    fetcher: Fetcher | None
    algorithm_policy: AlgorithmPolicy | None
    revocation_cache: RevocationCache | None
    path_budget: PathBudget
    waive: Iterable[str] | None
    on_fetch: Callable[[str], None] | None
    fleet_cache: FleetCache | None


class ValidatorOptions(UsageAndRevocationOptions, total=False):
    """Every :class:`Validator` option but ``trust``, for the functions that build one (``**options``).

    ``tests/test_validator.py`` checks that these keys are exactly the Validator's other fields.
    """

    policy: PolicyRequirement | None
    profile: Profile


def validate_chain(
    leaf: CertificateInput,
    intermediates: CertificatesInput = (),
    *,
    trust: TrustInput,
    at: dt.datetime | None = None,
    server_name: str | None = None,
    **options: Unpack[ValidatorOptions],
) -> ValidationResult:
    """Validate ``leaf`` up to one of the anchors in ``trust`` and report everything found.

    A thin wrapper: ``Validator(trust=trust, **options).validate(leaf, intermediates, at=at,
    server_name=server_name)``; every option means what it means for :class:`Validator`
    (``key_usage``, ``extended_key_usage``, ``policy``, ``revocation``, ``crls``, ``fetch``,
    ``profile`` ...).  Build one :class:`Validator` instead when you validate more than one leaf with
    the same options: it keeps its caches between calls.

    Raises only for bad input (:class:`~caiso_pki.errors.MalformedInputError`,
    :class:`~caiso_pki.errors.InvalidTimeError`); an invalid chain is a result with ``valid=False``.
    Safe to call from inside a running event loop (it then runs on a worker thread); async code should
    prefer :func:`validate_chain_async`.
    """
    validator = Validator._one_shot(trust, options)
    return validator.validate(leaf, intermediates, at=at, server_name=server_name)


async def validate_chain_async(
    leaf: CertificateInput,
    intermediates: CertificatesInput = (),
    *,
    trust: TrustInput,
    at: dt.datetime | None = None,
    server_name: str | None = None,
    **options: Unpack[ValidatorOptions],
) -> ValidationResult:
    """Asynchronous :func:`validate_chain` (same parameters and result); fetches run on the event loop."""
    validator = Validator._one_shot(trust, options)
    return await validator.validate_async(leaf, intermediates, at=at, server_name=server_name)


def validate_many(
    leaves: Iterable[LeafInput],
    intermediates: CertificatesInput = (),
    *,
    trust: TrustInput,
    at: dt.datetime | None = None,
    server_name: str | None = None,
    progress: ProgressCallback | None = None,
    **options: Unpack[ValidatorOptions],
) -> list[ValidationResult]:
    """Validate every leaf as :func:`validate_chain` would, much faster in bulk.

    A thin wrapper: ``Validator(trust=trust, **options).validate_many(leaves, intermediates, at=at,
    server_name=server_name, progress=progress)``.  Build one :class:`Validator` and call its
    :meth:`~Validator.validate_many` instead to keep what it learns for later calls.

    Returns one :class:`~caiso_pki.validation.ValidationResult` per leaf, in input order, equal to what
    ``validate_chain(leaf, [*pair_intermediates, *intermediates], ...)`` returns.  Raises
    :class:`~caiso_pki.errors.MalformedInputError` for bad input (naming ``leaves[i]``) before any
    validation.
    """
    validator = Validator(trust=trust, **options)
    return validator.validate_many(leaves, intermediates, at=at, server_name=server_name, progress=progress)


async def validate_many_async(
    leaves: Iterable[LeafInput],
    intermediates: CertificatesInput = (),
    *,
    trust: TrustInput,
    at: dt.datetime | None = None,
    server_name: str | None = None,
    progress: ProgressCallback | None = None,
    **options: Unpack[ValidatorOptions],
) -> list[ValidationResult]:
    """Asynchronous :func:`validate_many` (same parameters and results); fetches run on the event loop."""
    validator = Validator(trust=trust, **options)
    return await validator.validate_many_async(
        leaves, intermediates, at=at, server_name=server_name, progress=progress
    )


def _run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` from synchronous code (asyncio is imported only now, when there is I/O)."""
    from caiso_pki.validation.running import run_sync

    return run_sync(coroutine)
