"""What an input holds: :func:`file_kind` sorts a file into certificate, CSR, key, CRL and the rest.

The commands and features that take "any PKI file" (``caiso-pki inspect`` and ``lint``, audits, the
fleet scan, trust-store imports) ask this module what a file is before choosing a loader.  PEM is
sorted by its labels; DER by which loader accepts it, so this sits above the models and their
loaders (:mod:`caiso_pki.certificate`, :mod:`caiso_pki.csr`, :mod:`caiso_pki.keys`,
:mod:`caiso_pki.pkcs12`, :mod:`caiso_pki.revocation_data`) and asks each in turn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from caiso_pki._encoding import (
    CERT_LABELS,
    CRL_LABELS,
    CSR_LABELS,
    KEY_LABELS,
    PKCS7_LABELS,
    is_pem,
    looks_like_pkcs7,
    pfx_has_mac,
    split_pem,
)
from caiso_pki._source import NamedBytes, read_source
from caiso_pki.certificate import TrailingDataError, load_certificates
from caiso_pki.csr import load_csr
from caiso_pki.errors import CaisoPkiError, PasswordError
from caiso_pki.keys import load_private_key
from caiso_pki.revocation_data import load_crl, load_ocsp_response

if TYPE_CHECKING:
    from caiso_pki.types import SourceInput

__all__ = ["FileKind", "file_kind"]

FileKind = Literal["certificate", "pkcs7", "csr", "crl", "ocsp-response", "private-key", "pkcs12", "unknown"]

_PEM_KINDS: Final[tuple[tuple[frozenset[str], FileKind], ...]] = (
    (CERT_LABELS, "certificate"),
    (PKCS7_LABELS, "pkcs7"),
    (CSR_LABELS, "csr"),
    (CRL_LABELS, "crl"),
    (KEY_LABELS, "private-key"),
)


def _is_ocsp_response(data: bytes) -> bool:
    try:
        load_ocsp_response(data)
    except (CaisoPkiError, ValueError, TypeError):
        return False
    return True


def file_kind(source: SourceInput) -> FileKind:
    """Guess what ``source`` holds without needing a password (used by ``caiso-pki inspect``).

    PEM is classified by its labels; DER by which loader accepts it.  Returns ``"unknown"`` when
    nothing fits; raises only for unreadable sources (missing file, empty, damaged PEM).
    """
    data, name = read_source(source)
    if is_pem(data):
        labels = {block.label for block in split_pem(data, name)}
        for group, kind in _PEM_KINDS:
            if labels & group:
                return kind
        return "unknown"
    if looks_like_pkcs7(data):
        return "pkcs7"
    if pfx_has_mac(data) is not None:
        return "pkcs12"
    try:
        load_certificates(NamedBytes(data, name))
    except TrailingDataError:  # a certificate all the same: its loader says what is wrong with it
        return "certificate"
    except CaisoPkiError:
        pass
    else:
        return "certificate"
    for kind, loader in (("csr", load_csr), ("crl", load_crl)):
        try:
            loader(data)
        except CaisoPkiError:
            continue
        return kind
    if _is_ocsp_response(data):
        return "ocsp-response"
    try:
        load_private_key(data)
    except PasswordError:
        return "private-key"
    except CaisoPkiError:
        return "unknown"
    return "private-key"
