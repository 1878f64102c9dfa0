"""What a validation answers: :class:`ValidationResult`, its failures and per-certificate revocation."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Literal

import attrs

from caiso_pki._time import iso
from caiso_pki.certificate import Certificate, certificate_summary
from caiso_pki.errors import ValidationError

if TYPE_CHECKING:
    from rich.console import RenderableType

    from caiso_pki.types import JsonDict

__all__ = ["RevocationStatus", "ValidationFailure", "ValidationResult"]


@attrs.frozen
class ValidationFailure:
    """One reason a chain is not valid: a stable ``code``, a message, and the certificate concerned.

    ``index`` is the certificate's position in :attr:`ValidationResult.path` (0 = anchor) or ``None``
    when the problem is not about one certificate.
    """

    code: str
    message: str
    index: int | None = None
    subject: str | None = None

    def to_dict(self) -> JsonDict:
        """JSON-ready form."""
        return {"code": self.code, "message": self.message, "index": self.index, "subject": self.subject}


@attrs.frozen
class RevocationStatus:
    """Revocation status of one certificate of the path and where it came from.

    ``index`` is the certificate's position in :attr:`ValidationResult.path` (0 = the anchor).

    ``status`` is ``"good"`` (a verified, current CRL or OCSP answer says so), ``"revoked"``,
    ``"unknown"`` (no usable information: the warnings say why) or ``"not-checked"`` (the trust anchor,
    or revocation ``"off"``); ``source`` is ``"crl"``, ``"ocsp"`` or ``None``; ``url`` is where it was
    fetched from (``None`` for information given offline).
    """

    index: int
    subject: str
    status: Literal["good", "revoked", "unknown", "not-checked"]
    source: Literal["crl", "ocsp"] | None = None
    url: str | None = None
    this_update: dt.datetime | None = None
    next_update: dt.datetime | None = None
    reason: str | None = None
    revocation_time: dt.datetime | None = None

    def to_dict(self) -> JsonDict:
        """JSON-ready form (datetimes as ISO 8601)."""
        return {
            "index": self.index,
            "subject": self.subject,
            "status": self.status,
            "source": self.source,
            "url": self.url,
            "this_update": iso(self.this_update),
            "next_update": iso(self.next_update),
            "reason": self.reason,
            "revocation_time": iso(self.revocation_time),
        }


@attrs.frozen
class ValidationResult:
    """The outcome of a validation (:meth:`Validator.validate`, :func:`validate_chain`).

    ``path`` runs **anchor first**, from the trust anchor to the leaf, the order in which RFC 5280 6.1
    processes it, when a path was built (``anchored`` is true); when none could be, it holds the best
    partial chain found, leaf last, and ``anchored`` is false: its first element is then not a trust
    anchor.  Failure and revocation ``index`` values are positions in it (0 = the anchor).  Every path
    in caiso-pki runs this way: ``lint_chain(result.path, profile)`` lints this one.  ``valid_policies``
    holds the dotted OIDs of the user-domain policies that survived RFC 5280 policy processing.
    """

    valid: bool
    path: tuple[Certificate, ...]
    failures: tuple[ValidationFailure, ...] = ()
    valid_policies: frozenset[str] = frozenset()
    revocation: tuple[RevocationStatus, ...] = ()
    warnings: tuple[str, ...] = ()
    at: dt.datetime = attrs.field(factory=lambda: dt.datetime.now(dt.UTC))
    anchored: bool = attrs.field(default=True, kw_only=True)

    def __bool__(self) -> bool:
        return self.valid

    def __repr__(self) -> str:
        leaf = repr(self.path[-1].subject.rfc4514) if self.path else None
        codes = list(self.codes)
        return f"<ValidationResult valid={self.valid} leaf={leaf} path={len(self.path)} codes={codes}>"

    def _repr_html_(self) -> str:
        from caiso_pki.display import validation_html

        return validation_html(self)

    def __rich__(self) -> RenderableType:
        from caiso_pki.display import validation_rich

        return validation_rich(self)

    @property
    def leaf(self) -> Certificate | None:
        """The validated certificate (the last of :attr:`path`, which runs anchor first)."""
        return self.path[-1] if self.path else None

    @property
    def codes(self) -> tuple[str, ...]:
        """The failure codes, in order."""
        return tuple(failure.code for failure in self.failures)

    def raise_for_failure(self) -> None:
        """Raise :class:`~caiso_pki.errors.ValidationError` (carrying this result) unless valid."""
        if self.valid:
            return
        summary = "; ".join(f"{f.code}: {f.message}" for f in self.failures) or "not valid"
        raise ValidationError(f"certificate chain is not valid: {summary}", result=self)

    def to_dict(self) -> JsonDict:
        """JSON-ready form."""
        return {
            "valid": self.valid,
            "at": iso(self.at),
            "anchored": self.anchored,
            "path": [{"index": index, **certificate_summary(cert)} for index, cert in enumerate(self.path)],
            "failures": [failure.to_dict() for failure in self.failures],
            "valid_policies": sorted(self.valid_policies),
            "revocation": [status.to_dict() for status in self.revocation],
            "warnings": list(self.warnings),
        }
