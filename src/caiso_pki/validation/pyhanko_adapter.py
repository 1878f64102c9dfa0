"""The one seam to pyhanko-certvalidator: it judges CRLs and OCSP responses for a validated path.

pyhanko-certvalidator implements RFC 5280 6.3 (CRL validation: scope, distribution points, reasons,
indirect and delta CRLs, the CRL issuer's own path) and RFC 6960 (OCSP responder authorisation,
CertID matching, freshness) carefully; caiso-pki asks it, for each certificate of a path that has
already passed RFC 5280 6.1 (:mod:`caiso_pki.validation.pkix`), what the CRLs and OCSP responses at
hand prove, and turns its answer into an :class:`Answer`.  Nothing pyhanko defines leaves this module:
not its exceptions, not its objects.

Only its public API is used: ``ValidationContext`` (with ``record_validation`` for the prefixes of the
path, which is validated already), ``ValidationPath``, ``CertTrustAnchor``, ``SimpleTrustManager``,
``DisallowWeakAlgorithmsPolicy``, the ``SignatureValidator`` interface (implemented with
:mod:`caiso_pki.validation.signatures`), ``verify_crl``, ``verify_ocsp_response`` and the exceptions
of ``pyhanko_certvalidator.errors``.  :mod:`caiso_pki.validation.fetchers` is the only other module that
imports pyhanko-certvalidator, to plug caiso-pki's HTTP client into its fetcher interface.

Importing this module imports pyhanko-certvalidator, and with it ``asyncio``; validation imports it only
when there is revocation data to judge (CRLs or OCSP responses given, or fetching on).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from collections.abc import Sequence
from typing import Any, Final, Literal

import attrs
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator import errors as pv
from pyhanko_certvalidator.authority import CertTrustAnchor
from pyhanko_certvalidator.path import ValidationPath
from pyhanko_certvalidator.policy_decl import DisallowWeakAlgorithmsPolicy
from pyhanko_certvalidator.registry import SimpleTrustManager
from pyhanko_certvalidator.revinfo.validate_crl import verify_crl
from pyhanko_certvalidator.revinfo.validate_ocsp import verify_ocsp_response
from pyhanko_certvalidator.sig_validate import SignatureValidator

from caiso_pki.certificate import Certificate
from caiso_pki.validation import signatures
from caiso_pki.validation.options import AlgorithmPolicy

__all__ = ["Answer", "RevocationContext"]

# pyhanko logs tracebacks at WARNING during ordinary validation; an application that set up no logging
# would see them through logging's last-resort handler.  A NullHandler keeps them off stderr, and an
# application that configures logging still receives them.
logging.getLogger("pyhanko_certvalidator").addHandler(logging.NullHandler())

_REASONS: Final[dict[str, str]] = {
    "unspecified": "unspecified",
    "key_compromise": "keyCompromise",
    "ca_compromise": "cACompromise",
    "affiliation_changed": "affiliationChanged",
    "superseded": "superseded",
    "cessation_of_operation": "cessationOfOperation",
    "certificate_hold": "certificateHold",
    "remove_from_crl": "removeFromCRL",
    "privilege_withdrawn": "privilegeWithdrawn",
    "aa_compromise": "aACompromise",
}


@attrs.frozen
class Answer:
    """What one kind of revocation data proves about one certificate.

    ``kind``: ``"good"`` (a verified, current answer does not list it), ``"revoked"``, ``"none"``
    (nothing applies to it) or ``"defect"`` (data applies but cannot be used: ``message`` says why).
    """

    kind: Literal["good", "revoked", "none", "defect"]
    reason: str | None = None
    revocation_time: dt.datetime | None = None
    message: str = ""


def reason_name(reason: Any) -> str | None:
    """RFC 5280 spelling of an asn1crypto CRL reason."""
    if reason is None:
        return None
    native = getattr(reason, "native", reason)
    if native is None:
        return None
    return _REASONS.get(str(native), str(native))


@functools.lru_cache(maxsize=16)
def _algorithm_policy(policy: AlgorithmPolicy) -> DisallowWeakAlgorithmsPolicy:
    return DisallowWeakAlgorithmsPolicy(  # type: ignore[no-untyped-call]
        weak_hash_algos=policy.weak_hashes,
        rsa_key_size_threshold=policy.min_rsa_bits,
        dsa_key_size_threshold=policy.min_dsa_bits,
    )


def _trust_manager(anchors: tuple[Certificate, ...]) -> Any:
    """pyhanko's trust manager over ``anchors``, built per validation from this thread's asn1crypto
    objects (they are not shared between threads: see :attr:`~caiso_pki.certificate.Certificate.asn1`)."""
    return SimpleTrustManager.build(trust_roots=[CertTrustAnchor(cert.asn1) for cert in anchors])


class _Signatures(SignatureValidator):
    """pyhanko's signature interface on :mod:`caiso_pki.validation.signatures`, with a memory."""

    def __init__(self, cache: signatures.SignatureCache) -> None:
        self._cache = cache

    def validate_signature(
        self,
        signature: bytes,
        signed_data: bytes,
        public_key_info: Any,
        signature_algorithm: Any,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        from cryptography.exceptions import InvalidSignature

        key = signatures.SignatureCache.data_key(
            public_key_info.dump(), signature_algorithm.dump(), signature, signed_data
        )
        verdict = self._cache.get(key)
        if verdict is None:
            verdict = signatures.verify_data(public_key_info, signature_algorithm, signature, signed_data)
            self._cache.put(key, verdict)
        if verdict != "ok":
            raise InvalidSignature(f"the signature does not verify ({verdict})")


class RevocationContext:
    """pyhanko's view of one validated path and the revocation data at hand.

    :param path: the path, anchor first, that passed RFC 5280 6.1.
    :param fetchers: a pyhanko ``Fetchers`` object from :mod:`caiso_pki.validation.fetchers`, or ``None``.
    """

    def __init__(
        self,
        path: Sequence[Certificate],
        *,
        anchors: Sequence[Certificate],
        pool: Sequence[Certificate],
        at: dt.datetime,
        crls: Sequence[Any],
        ocsps: Sequence[Any],
        mode: str,
        fetchers: Any,
        algorithms: AlgorithmPolicy,
        cache: signatures.SignatureCache,
    ) -> None:
        self.path = tuple(path)
        self._context = ValidationContext(
            trust_manager=_trust_manager(tuple(anchors)),
            other_certs=[cert.asn1 for cert in (*pool, *path[:-1]) if _indexable(cert)],
            moment=at,
            crls=list(crls),
            ocsps=list(ocsps),
            revocation_mode=mode,
            allow_fetching=fetchers is not None,
            fetchers=fetchers,
            time_tolerance=dt.timedelta(0),
            algorithm_usage_policy=_algorithm_policy(algorithms),
            signature_validator=_Signatures(cache),
        )
        anchor = CertTrustAnchor(path[0].asn1)
        self._prefixes = [
            ValidationPath(anchor, [cert.asn1 for cert in path[1:position]], path[position].asn1)
            for position in range(1, len(path))
        ]
        # The path is validated already: CRLs signed by a CA of the path need no second validation.
        for position in range(1, len(path) - 1):
            self._context.record_validation(  # type: ignore[no-untyped-call]
                path[position].asn1, self._prefixes[position - 1]
            )

    def crls_available(self) -> bool:
        """Whether any CRL is at hand (given, or fetched so far)."""
        return bool(self._context.revinfo_manager.currently_available_crls())

    async def check_ocsp(self, index: int) -> Answer:
        """What the OCSP responses say about the certificate at ``index``."""
        cert = self.path[index].asn1
        try:
            await verify_ocsp_response(cert, self._prefixes[index - 1], self._context)
        except pv.RevokedError as exc:
            return _revoked(exc)
        except pv.OCSPNoMatchesError:
            return Answer("none")
        except pv.OCSPValidationIndeterminateError as exc:
            return Answer("defect", message=f"OCSP: {_failures(exc)}")
        except (pv.OCSPFetchError, pv.OCSPValidationError) as exc:
            return Answer("defect", message=f"OCSP: {exc}")
        except Exception as exc:  # fail closed: an answer we could not process proves nothing
            return Answer(
                "defect", message=f"OCSP response could not be processed ({type(exc).__name__}: {exc})"
            )
        return Answer("good")

    async def check_crl(self, index: int) -> Answer:
        """What the CRLs say about the certificate at ``index``."""
        cert = self.path[index].asn1
        try:
            await verify_crl(cert, self._prefixes[index - 1], self._context)
        except pv.RevokedError as exc:
            return _revoked(exc)
        except pv.CRLNoMatchesError:
            return Answer("none")
        except pv.CRLValidationIndeterminateError as exc:
            return Answer("defect", message=f"CRL: {_failures(exc)}")
        except (pv.CRLFetchError, pv.CRLValidationError) as exc:
            return Answer("defect", message=f"CRL: {exc}")
        except Exception as exc:  # fail closed
            return Answer("defect", message=f"CRL could not be processed ({type(exc).__name__}: {exc})")
        return Answer("good")

    def verified_crls(self, index: int) -> list[Any]:
        """The full CRLs of the certificate's issuer whose signatures pyhanko verified (asn1crypto)."""
        manager = self._context.revinfo_manager
        issuer = self.path[index].asn1.issuer
        found = []
        for container in manager.currently_available_crls():
            data = container.crl_data
            if data.delta_crl_indicator_value is not None or data.issuer != issuer:
                continue
            if manager.check_crl_issuer(data) is None:
                continue  # pyhanko did not verify this one
            found.append(data)
        return found

    def ocsp_responses(self) -> list[Any]:
        """Every OCSP response at hand (given or fetched), asn1crypto objects."""
        return list(self._context.ocsps)


def _indexable(cert: Certificate) -> bool:
    """Whether pyhanko's certificate registry can index ``cert`` by its subject (RFC 4518 can prepare
    it); only issuers are offered to it, so a leaf's odd subject never stops its revocation check."""
    try:
        cert.asn1.subject.hashable  # noqa: B018
    except Exception:  # a subject RFC 4518 cannot prepare: it cannot be an issuer pyhanko looks up
        return False
    return True


def _revoked(exc: Any) -> Answer:
    when = exc.revocation_dt if isinstance(exc.revocation_dt, dt.datetime) else None
    return Answer("revoked", reason=reason_name(exc.reason), revocation_time=when)


def _failures(exc: Any) -> str:
    details = [str(item[0]) for item in getattr(exc, "failures", ()) if item]
    return "; ".join(details) if details else str(getattr(exc, "msg", exc))
