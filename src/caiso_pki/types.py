"""The public type aliases: what callers may pass, and what ``to_dict()`` returns.

One place names every accepted input, so signatures read ``leaf: CertificateInput`` instead of ``Any``
and an editor or mypy can tell a caller what to pass:

* :data:`CertificateInput`: a :class:`~caiso_pki.certificate.Certificate`, a ``cryptography``
  certificate, DER or PEM bytes, PEM text, a path, or anything holding a ``certificate`` (a
  :class:`~caiso_pki.truststore.TrustEntry`, a :class:`~caiso_pki.testing.IssuedCertificate`);
* :data:`TrustInput`: a :class:`~caiso_pki.truststore.TrustStore`, trust entries or certificates;
* :data:`PrivateKeyInput`: a ``cryptography`` private key, PEM or DER bytes, PEM text or a path;
* :data:`CrlInput` and :data:`OcspInput`: revocation data given offline;
* :data:`TimelineInput`: what an expiry timeline draws (a store, entries, certificates);
* :data:`JsonDict`: the JSON-ready dictionaries every ``to_dict()`` returns.

This module sits at the bottom of the import order, as httpx's ``_types.py`` does: it imports
``cryptography.x509`` (for the certificate, CRL and OCSP classes) and names caiso-pki's own models
for type checkers only, so importing it loads no model module.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, TypeAlias, runtime_checkable

from cryptography import x509
from cryptography.x509 import ocsp

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

    from caiso_pki.certificate import Certificate
    from caiso_pki.csr import Csr
    from caiso_pki.truststore import TrustEntry, TrustStore

__all__ = [
    "CertificateHolder",
    "CertificateInput",
    "CertificatesInput",
    "CrlInput",
    "CsrInput",
    "CrlsInput",
    "JsonDict",
    "JsonValue",
    "LeafInput",
    "OcspInput",
    "OcspsInput",
    "PrivateKeyInput",
    "SourceInput",
    "TimelineInput",
    "TrustInput",
]


@runtime_checkable
class CertificateHolder(Protocol):
    """Anything that carries a parsed certificate as ``.certificate`` (trust entries, issued test certs)."""

    @property
    def certificate(self) -> Certificate: ...


#: Raw input: DER or PEM bytes, PEM text (a ``str`` holding ``-----BEGIN``) or a path.
SourceInput: TypeAlias = bytes | bytearray | memoryview | str | os.PathLike[str]
#: One certificate (a file or PEM text may hold several: the first is the certificate, the rest extras).
CertificateInput: TypeAlias = "Certificate | x509.Certificate | CertificateHolder | SourceInput"
#: One certificate input or an iterable of them.
CertificatesInput: TypeAlias = "CertificateInput | Iterable[CertificateInput]"
#: Trust anchors (and intermediates): a store, its entries, or certificates (never the OS list).
TrustInput: TypeAlias = (
    "TrustStore | TrustEntry | CertificatesInput | Iterable[TrustEntry | CertificateInput]"
)
#: What an expiry timeline draws: a trust store, or certificates and anything holding one (trust entries).
TimelineInput: TypeAlias = (
    "TrustStore | Certificate | CertificateHolder | Iterable[Certificate | CertificateHolder]"
)
#: A leaf of a batch: anything :func:`~caiso_pki.validation.validate_chain` takes as its leaf, or a pair
#: ``(leaf, intermediates)`` whose intermediates are offered for that leaf only.
LeafInput: TypeAlias = "CertificateInput | tuple[CertificateInput, CertificatesInput]"
#: A private key: a ``cryptography`` private key, PEM or DER bytes (PKCS#8, PKCS#1, SEC1), PEM text or a path.
PrivateKeyInput: TypeAlias = "PrivateKeyTypes | SourceInput"
#: One CRL: a ``cryptography`` CRL, DER or PEM bytes, PEM text or a path.
CrlInput: TypeAlias = x509.CertificateRevocationList | SourceInput
#: One CRL or an iterable of them.
CrlsInput: TypeAlias = CrlInput | Iterable[CrlInput]
#: A certificate signing request: a :class:`~caiso_pki.csr.Csr`, a ``cryptography`` CSR, or its bytes/path.
CsrInput: TypeAlias = "Csr | x509.CertificateSigningRequest | SourceInput"
#: One OCSP response: a ``cryptography`` OCSP response, DER bytes or a path.
OcspInput: TypeAlias = ocsp.OCSPResponse | SourceInput
#: One OCSP response or an iterable of them.
OcspsInput: TypeAlias = OcspInput | Iterable[OcspInput]
#: A JSON value as ``json.dumps`` takes it.
JsonValue: TypeAlias = "str | int | float | bool | Sequence[JsonValue] | Mapping[str, JsonValue] | None"
#: The JSON-ready dictionary ``to_dict()`` methods return.
JsonDict: TypeAlias = "dict[str, JsonValue]"
