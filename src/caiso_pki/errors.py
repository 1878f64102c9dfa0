"""The exceptions caiso-pki raises.

Every error the library raises on purpose is a :class:`CaisoPkiError`, so a caller can catch one
type and know that nothing from a dependency leaks through.  The subclasses say what kind of problem
it was; messages name the input (a file path, ``<bytes>`` or a short description) and say what to do.
Secrets (private keys, passphrases, PKCS#12 passwords) never appear in a message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "CaisoPkiError",
    "FetchError",
    "InvalidSubjectError",
    "InvalidTimeError",
    "MalformedInputError",
    "PassphraseError",
    "PlotUnavailableError",
    "ProfileError",
    "ProfileViolationError",
    "RevocationError",
    "TrustStoreCorruptError",
    "TrustStoreError",
    "UnknownOidError",
    "UnsupportedAlgorithmError",
    "ValidationError",
]


class CaisoPkiError(Exception):
    """Base class of every error raised by caiso-pki."""


class MalformedInputError(CaisoPkiError, ValueError):
    """Input could not be parsed: bad PEM, garbage DER, the wrong kind of object, an empty file."""


class PassphraseError(CaisoPkiError, ValueError):
    """A passphrase or PKCS#12 password is missing, wrong, or was given for unencrypted data."""


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

    def __init__(self, message: str, findings: Sequence[Any] = ()) -> None:
        super().__init__(message)
        self.findings = tuple(findings)


class ValidationError(CaisoPkiError):
    """A certificate chain did not validate; ``result`` holds the full ValidationResult."""

    def __init__(self, message: str, result: Any = None) -> None:
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
