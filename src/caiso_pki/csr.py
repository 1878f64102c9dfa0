"""Certificate signing requests: the :class:`Csr` value and (later in this module) CSR building."""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from cryptography import x509

    from caiso_pki.certificate import DistinguishedName

__all__ = ["Csr"]


@attrs.frozen(eq=False, hash=False)
class Csr:
    """A PKCS#10 certificate signing request: PEM, DER and the ``cryptography`` object."""

    x509: x509.CertificateSigningRequest = attrs.field(repr=False)

    @functools.cached_property
    def der(self) -> bytes:
        """DER encoding."""
        from cryptography.hazmat.primitives.serialization import Encoding

        return self.x509.public_bytes(Encoding.DER)

    @functools.cached_property
    def pem(self) -> str:
        """PEM text."""
        from cryptography.hazmat.primitives.serialization import Encoding

        return self.x509.public_bytes(Encoding.PEM).decode("ascii")

    @functools.cached_property
    def subject(self) -> DistinguishedName:
        """The requested subject name."""
        from caiso_pki.certificate import DistinguishedName

        return DistinguishedName.from_cryptography(self.x509.subject)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Csr):
            return NotImplemented
        return self.der == other.der

    def __hash__(self) -> int:
        return hash(self.der)

    def __repr__(self) -> str:
        return f"<Csr subject={self.subject.rfc4514!r}>"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready description (subject only until CSR description lands)."""
        return {"subject": self.subject.to_dict()}
