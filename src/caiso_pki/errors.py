"""The exceptions caiso-pki raises.

Every error the library raises on purpose is a :class:`CaisoPkiError`, so a caller can catch one
type and know that nothing from a dependency leaks through.  The subclasses say what kind of problem
it was; messages name the input (a file path, ``<bytes>`` or a short description) and say what to do.
Secrets (private keys, passwords) never appear in a message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

if TYPE_CHECKING:
    from collections.abc import Sequence

    from caiso_pki.profiles.request import RequestFinding
    from caiso_pki.validation import ValidationResult

__all__ = [
    "CaisoPkiError",
    "FetchError",
    "InvalidSubjectError",
    "InvalidTimeError",
    "MalformedInputError",
    "NotPicklableError",
    "PasswordError",
    "PlotUnavailableError",
    "ProfileError",
    "Remedy",
    "ProfileViolationError",
    "RevocationError",
    "TrustStoreCorruptError",
    "TrustStoreError",
    "UnknownOidError",
    "UnsupportedAlgorithmError",
    "ValidationError",
]


#: What the caller can do about an error, as a key each front end words in its own terms: the library
#: says "pass overwrite=True", the command line says "use --force" (see :attr:`CaisoPkiError.remedy`).
Remedy = Literal["overwrite", "replace", "init-store", "role-anchor"]

#: How the library words each remedy (the command line has its own table in ``caiso_pki.cli._common``).
API_REMEDIES: Final[dict[str, str]] = {
    "overwrite": "pass overwrite=True to replace it",
    "replace": "pass replace=True to replace it",
    "init-store": "create one with TrustStore.init",
    "role-anchor": "pass role='anchor' to pin it as a trust anchor",
}


class CaisoPkiError(Exception):
    """Base class of every error raised by caiso-pki.

    ``problem`` is the message without the advice; ``remedy``, when set, names the fix (a
    :data:`Remedy`), and ``str(error)`` ends with the library's wording of it.  The command line shows
    ``problem`` with its own wording instead, so a CLI user reads "use --force", not "pass overwrite=True".
    """

    def __init__(self, message: str = "", *, remedy: Remedy | None = None) -> None:
        self.problem = message
        self.remedy: Remedy | None = remedy
        super().__init__(f"{message}; {API_REMEDIES[remedy]}" if remedy is not None else message)


class MalformedInputError(CaisoPkiError, ValueError):
    """Input could not be parsed: bad PEM, garbage DER, the wrong kind of object, an empty file."""


class NotPicklableError(CaisoPkiError, TypeError):
    """An object that must not or cannot be pickled: it holds a private key, or an option (a callback)
    that cannot travel to another process.

    A ``TypeError`` too, as the standard library's own "cannot pickle" error is, so code that handles a
    failed ``pickle.dumps`` keeps working.
    """


class PasswordError(CaisoPkiError, ValueError):
    """The password of an encrypted private key or a PKCS#12 file is missing, wrong, or was given for
    data that is not encrypted."""


class UnsupportedAlgorithmError(CaisoPkiError, ValueError):
    """A key type, curve, key size or signature algorithm that caiso-pki does not handle."""


class UnknownOidError(MalformedInputError):
    """A string that is not a dotted OID nor a name in caiso-pki's OID registry."""


class InvalidSubjectError(MalformedInputError):
    """A distinguished name that cannot be parsed or breaks RFC 5280 limits."""


class InvalidTimeError(CaisoPkiError, ValueError):
    """A naive datetime, an unparseable timestamp or an impossible validity period."""


class ProfileError(CaisoPkiError, ValueError):
    """A request or CPS profile file that cannot be loaded (bad TOML, unknown key, bad OID ...)."""


class ProfileViolationError(CaisoPkiError):
    """A request breaks its profile; ``findings`` lists every violation at once."""

    def __init__(self, message: str, findings: Sequence[RequestFinding] = ()) -> None:
        super().__init__(message)
        self.findings = tuple(findings)


class ValidationError(CaisoPkiError):
    """A certificate chain did not validate; ``result`` holds the full ValidationResult."""

    def __init__(self, message: str, result: ValidationResult | None = None) -> None:
        super().__init__(message)
        self.result = result


class TrustStoreError(CaisoPkiError):
    """A trust-store operation failed (missing entry, locked store, bad directory ...)."""


class TrustStoreCorruptError(TrustStoreError):
    """An on-disk trust store whose manifest or certificate files are damaged or inconsistent."""


class RevocationError(CaisoPkiError):
    """Revocation information (CRL, OCSP) could not be obtained or is unusable."""


class FetchError(RevocationError):
    """An HTTP fetch (CRL, OCSP, caIssuers) was refused, failed, timed out or was too large."""


class PlotUnavailableError(CaisoPkiError):
    """matplotlib is not installed; ``pip install 'caiso-pki[plot]'`` provides it."""
