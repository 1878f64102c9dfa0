"""The :class:`Validator`: validation options built once into an immutable object that owns its caches.

Modelled on ``httpx.Client`` and cryptography's ``PolicyBuilder``: every option lives in one place,
is checked once (a bad one fails at construction, naming the option and the value), and the object
keeps what it learns between calls, so a service that checks each connecting peer's client certificate
builds one ``Validator`` at start-up and calls :meth:`Validator.validate` per handshake.

What it caches, all thread-safe and bounded (see :class:`~caiso_pki.fleet.FleetCache`): validated chain
prefixes ("templates", which let a later leaf of an already-seen chain shape skip everything but its
own last step), parsed CRLs, signature checks, and CRLs and OCSP answers fetched over the network
(until their nextUpdate).  ``attrs.evolve(validator, revocation="require")`` gives a variant with fresh,
unshared caches; :meth:`Validator.clear_caches` empties them.

The module-level :func:`validate_chain` and :func:`validate_chain_async` are thin wrappers: each call
builds a ``Validator`` and validates one leaf with it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import datetime as dt
import threading
import weakref
from collections.abc import Callable, Coroutine, Iterable, Sequence
from typing import TYPE_CHECKING, Any, Final, TypedDict, TypeVar, Unpack

import attrs

from caiso_pki.certificate import Certificate
from caiso_pki.errors import MalformedInputError, RevocationError
from caiso_pki.policy import PolicyRequirement
from caiso_pki.types import CertificateInput, CertificatesInput, CrlsInput, OcspsInput, TrustInput
from caiso_pki.validation.options import (
    STRICT_ALGORITHMS,
    AlgorithmPolicy,
    PathBudget,
    Profile,
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
    pkix_params,
    server_name_text,
    to_fetch,
    to_timeout,
    trust_set,
    validation_time,
    waived_codes,
)
from caiso_pki.validation.results import ValidationFailure, ValidationResult

if TYPE_CHECKING:
    from asn1crypto import crl as asn1_crl
    from asn1crypto import ocsp as asn1_ocsp

    from caiso_pki.fleet import FleetCache, LeafInput, ProgressCallback
    from caiso_pki.revocation import CaisoFetcherBackend, RevocationCache

__all__ = [
    "UsageAndRevocationOptions",
    "Validator",
    "ValidatorOptions",
    "validate_chain",
    "validate_chain_async",
]

T = TypeVar("T")


def _algorithms(value: AlgorithmPolicy | None) -> AlgorithmPolicy:
    return STRICT_ALGORITHMS if value is None else value


def _check_cache(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is None:
        return
    from caiso_pki.revocation import RevocationCache

    if not isinstance(value, RevocationCache):
        raise MalformedInputError(f"revocation_cache: expected a RevocationCache, got {type(value).__name__}")


class _State:
    """The caches of one Validator (never shared with another, ``attrs.evolve`` included)."""

    def __init__(self) -> None:
        from caiso_pki.fleet import FleetCache, HashedKey

        self.lock = threading.Lock()
        self.fleet: FleetCache = FleetCache()
        from caiso_pki.validation.building import SignatureCache

        self.crls: list[asn1_crl.CertificateList] = []
        self.defective_crls: list[tuple[object, str]] = []
        self.ocsps: list[asn1_ocsp.OCSPResponse] = []
        self.unusable_ocsps: list[str] = []
        self.signatures = SignatureCache()
        self.revocation_cache: RevocationCache | None = None
        self.options_key: HashedKey = HashedKey()
        self.learn = True  # False for the one-shot Validator of validate_chain: nothing to reuse


@attrs.frozen
class Validator:
    """RFC 5280 chain validation with its options fixed: build once, validate many leaves.

    :param trust: the trust anchors: a :class:`~caiso_pki.truststore.TrustStore` (its ``distrust_after``
        dates and intermediate entries are honoured), trust entries, or certificates.  The operating
        system's trust list is never consulted.
    :param key_usage: keyUsage bits the leaf must assert (``"digitalSignature"``).
    :param extended_key_usage: purposes the leaf must allow: names (``"clientAuth"``) or dotted OIDs.
    :param policy: the RFC 5280 initial policy inputs (:class:`~caiso_pki.policy.PolicyRequirement`).
    :param max_path_length: at most this many intermediates.
    :param revocation: ``"off"``, ``"soft-fail"`` (default), ``"hard-fail"`` or ``"require"``.
    :param crls: CRLs given offline (DER or PEM, files, cryptography CRLs).
    :param ocsp_responses: OCSP responses given offline.
    :param fetch: also download the CRLs and OCSP answers the certificates name (http and https only,
        size caps), each request bounded by ``timeout`` seconds.
    :param timeout: seconds for each network request when ``fetch`` is on.
    :param algorithm_policy: which hashes and key sizes are acceptable (default: no MD5/SHA-1, RSA of
        2048 bits or more).
    :param revocation_cache: a :class:`~caiso_pki.revocation.RevocationCache` to share downloads with
        other validators; by default each Validator keeps its own.
    :param profile: ``"rfc5280"`` (default) or ``"webpki"``.
    :param path_budget: bounds on path building (:class:`~caiso_pki.validation.options.PathBudget`).
    :param waive: codes of structural rules not to enforce (``"policy-constraints-not-critical"``),
        for data sets that predate them; every other rule still applies.
    :param on_fetch: called with each URL as a fetch starts (``caiso-pki verify`` shows it on a
        terminal); it must return at once.
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
    algorithm_policy: AlgorithmPolicy = attrs.field(
        default=None, converter=_algorithms, validator=check_algorithms
    )
    revocation_cache: RevocationCache | None = attrs.field(default=None, validator=_check_cache, eq=False)
    profile: Profile = attrs.field(default="rfc5280", validator=check_profile)
    path_budget: PathBudget = attrs.field(factory=PathBudget, validator=check_budget)
    waive: frozenset[str] = attrs.field(default=None, converter=waived_codes)
    on_fetch: Callable[[str], None] | None = attrs.field(default=None, eq=False, repr=False)
    _state: _State = attrs.field(init=False, factory=_State, repr=False, eq=False, hash=False)

    def __attrs_post_init__(self) -> None:
        from caiso_pki.validation.revinfo import screen_crls

        self._state.crls, self._state.defective_crls = screen_crls(parse_crls(self.crls))
        for response in parse_ocsps(self.ocsp_responses):
            status = response["response_status"].native
            if status == "successful":
                self._state.ocsps.append(response)
            else:
                self._state.unusable_ocsps.append(f"an OCSP response given offline says {status!r}")
        from caiso_pki.fleet import HashedKey

        self._state.options_key = HashedKey(
            tuple((a.certificate.der, a.distrust_after, a.label) for a in self.trust.anchors),
            tuple(cert.der for cert in self.trust.intermediates),
            self.key_usage,
            self.extended_key_usage,
            self.policy,
            self.max_path_length,
            self.revocation,
            frozenset(self.crls) if self.revocation != "off" else frozenset(),
            frozenset(self.ocsp_responses) if self.revocation != "off" else frozenset(),
            self.fetch and self.revocation != "off",
            self.algorithm_policy,
            self.profile,
            self.path_budget,
            self.waive,
        )

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
        certificates: the first is the leaf, the rest are offered as intermediates).  ``at`` must be
        timezone-aware (default: now).  ``server_name`` (a DNS name or IP literal) must match a
        subjectAltName of the leaf.

        Raises only for bad input (:class:`~caiso_pki.errors.MalformedInputError`,
        :class:`~caiso_pki.errors.InvalidTimeError`); an invalid chain is a result with ``valid=False``.
        Safe to call from inside a running event loop (it then runs on a worker thread).
        """
        from caiso_pki import fleet

        when, name, first, offered = self._inputs(leaf, intermediates, at, server_name)
        state = fleet.lookup(self, first, offered, at=when, server_name=name)
        if state.result is not None:  # answered from the cache: no event loop needed
            return state.result
        return _run_sync(fleet.finish(self, state, at=when, server_name=name))

    async def validate_async(
        self,
        leaf: CertificateInput,
        intermediates: CertificatesInput = (),
        *,
        at: dt.datetime | None = None,
        server_name: str | None = None,
    ) -> ValidationResult:
        """Asynchronous :meth:`validate` (same parameters and result); fetches run on the event loop."""
        from caiso_pki import fleet

        when, name, first, offered = self._inputs(leaf, intermediates, at, server_name)
        return await fleet.validate_leaf(self, first, offered, at=when, server_name=name)

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

    def validate_many(
        self,
        leaves: Iterable[LeafInput],
        intermediates: CertificatesInput = (),
        *,
        at: dt.datetime | None = None,
        progress: ProgressCallback | None = None,
    ) -> list[ValidationResult]:
        """Validate every leaf as :meth:`validate` would, much faster in bulk.

        ``leaves`` holds certificate inputs or ``(leaf, intermediates)`` pairs whose intermediates are
        offered for that leaf only; ``intermediates`` are offered for every leaf.  ``at`` defaults to
        one "now" for the whole call; ``progress(done, total)`` is called after each leaf.  Returns
        one result per leaf, in input order, equal to what :meth:`validate` returns.  Raises
        :class:`~caiso_pki.errors.MalformedInputError` naming ``leaves[i]`` before any validation.
        """
        return _run_sync(self.validate_many_async(leaves, intermediates, at=at, progress=progress))

    async def validate_many_async(
        self,
        leaves: Iterable[LeafInput],
        intermediates: CertificatesInput = (),
        *,
        at: dt.datetime | None = None,
        progress: ProgressCallback | None = None,
    ) -> list[ValidationResult]:
        """Asynchronous :meth:`validate_many` (same parameters and results)."""
        from caiso_pki import fleet

        return await fleet.validate_leaves(
            self, leaves, intermediates, at=validation_time(at), progress=progress
        )

    def clear_caches(self) -> None:
        """Forget every cached template, CRL index, signature check and fetched response."""
        with self._state.lock:
            self._state.fleet.clear()
            self._state.signatures.clear()
            if self._state.revocation_cache is not None:
                self._state.revocation_cache.clear()

    @property
    def cache(self) -> FleetCache:
        """The templates, CRL indexes and signature checks this Validator has learnt (for statistics)."""
        return self._state.fleet

    # -- internals used by caiso_pki.fleet ------------------------------------------------------

    def _with_fleet_cache(self, cache: FleetCache) -> Validator:
        """This validator, but learning into ``cache`` (``validate_many(cache=...)``)."""
        self._state.fleet = cache
        return self

    async def _full(
        self, leaf: Certificate, offered: Sequence[Certificate], *, at: dt.datetime, server_name: str | None
    ) -> ValidationResult:
        """Full RFC 5280 validation of one leaf (no templates)."""
        from caiso_pki.validation import engine

        anchors = self.trust.anchors
        if not anchors:
            return ValidationResult(
                valid=False,
                path=(leaf,),
                failures=(ValidationFailure("untrusted-root", "no trust anchors were given", None, None),),
                at=at,
            )
        checking = self.revocation != "off"
        request = engine.Request(
            leaf=leaf,
            pool=[*offered, *self.trust.intermediates],
            anchors=anchors,
            at=at,
            key_usage=self.key_usage,
            extended_key_usage=self.extended_key_usage,
            server_name=server_name,
            params=pkix_params(self.policy) if self.policy is not None else None,
            max_path_length=self.max_path_length,
            mode=self.revocation,
            crls=list(self._state.crls) if checking else [],
            ocsps=list(self._state.ocsps) if checking else [],
            fetch=self.fetch and checking,
            timeout=self.timeout,
            algorithms=self.algorithm_policy,
            profile=self.profile,
            waive=self.waive,
            budget=self.path_budget,
            signatures=self._state.signatures,
            defective_crls=self._state.defective_crls,
            unusable_ocsps=self._state.unusable_ocsps,
        )
        backend = self._backend() if request.fetch else None
        try:
            return await engine.run(request, backend)
        finally:
            if backend is not None:
                # closing a spent HTTP session must not mask the result
                with contextlib.suppress(Exception):
                    await backend.close()

    def _backend(self) -> CaisoFetcherBackend:
        try:
            from caiso_pki import revocation as revocation_module
        except ImportError as exc:  # pragma: no cover - the module ships with the package
            raise RevocationError("fetch=True needs caiso_pki.revocation, which is not available") from exc
        cache = self.revocation_cache
        if cache is None:
            with self._state.lock:
                if self._state.revocation_cache is None:
                    self._state.revocation_cache = revocation_module.RevocationCache()
                cache = self._state.revocation_cache
        return revocation_module.fetcher_backend(timeout=self.timeout, cache=cache, on_fetch=self.on_fetch)


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
    algorithm_policy: AlgorithmPolicy | None
    revocation_cache: RevocationCache | None
    path_budget: PathBudget
    waive: Iterable[str] | None
    on_fetch: Callable[[str], None] | None


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
    return _run_sync(
        validate_chain_async(leaf, intermediates, trust=trust, at=at, server_name=server_name, **options)
    )


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
    validator = Validator(trust=trust, **options)
    validator._state.learn = False
    return await validator.validate_async(leaf, intermediates, at=at, server_name=server_name)


# -- running coroutines from synchronous code ---------------------------------------------------------

_THREAD_LOOPS: Final = threading.local()


def _run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run ``coroutine`` to completion from synchronous code, inside a running event loop or not."""
    box: list[T] = []

    async def main() -> None:
        # The task's result stays None: Python 3.11's asyncio.run formats the main task's repr (result
        # included) when it restores the SIGINT handler, which would cost a full result repr per call.
        box.append(await coroutine)

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        _run_on_thread_loop(main())
    else:
        # Called from async code (a notebook, a service handler): asyncio.run cannot nest; use a thread.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(asyncio.run, main()).result()
    return box[0]


def _run_on_thread_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run ``coroutine`` on this thread's own event loop, created once and reused.

    ``asyncio.run`` (and ``asyncio.Runner``) build or prepare a loop and install a SIGINT handler per
    call, which costs about a sixth of a whole chain validation; a service validating peer after peer
    keeps one loop per thread instead.  Whatever the coroutine left running is cancelled before
    returning, as ``asyncio.run`` would.
    """
    loop: asyncio.AbstractEventLoop | None = getattr(_THREAD_LOOPS, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _THREAD_LOOPS.loop = loop
        weakref.finalize(threading.current_thread(), loop.close)
    try:
        loop.run_until_complete(coroutine)
    finally:
        leftovers = [task for task in asyncio.all_tasks(loop) if not task.done()]
        if leftovers:
            for task in leftovers:
                task.cancel()
            loop.run_until_complete(_drain(leftovers))


async def _drain(tasks: list[asyncio.Task[Any]]) -> None:
    await asyncio.gather(*tasks, return_exceptions=True)
