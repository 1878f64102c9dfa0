"""Revocation data given offline: loading CRLs and OCSP responses from files or bytes.

Validation takes revocation evidence it did not fetch itself (``crls=``, ``ocsp_responses=``), and the
command line reads it from files; :func:`load_crl` and :func:`load_ocsp_response` read it once here,
forcing every lazy part of the parse, so damage is a :class:`~caiso_pki.errors.MalformedInputError`
naming the input at load time and never an exception from ``cryptography`` later.  The values are
``cryptography``'s own CRL and OCSP response objects.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

from caiso_pki._encoding import CRL_LABELS, is_pem, is_rust_panic, one_block_der
from caiso_pki._source import read_source
from caiso_pki.errors import MalformedInputError

if TYPE_CHECKING:
    from cryptography import x509
    from cryptography.x509 import ocsp as cx_ocsp

    from caiso_pki.types import SourceInput

__all__ = ["load_crl", "load_ocsp_response"]


def load_crl(source: SourceInput) -> x509.CertificateRevocationList:
    """Load an X.509 CRL from PEM or DER.

    Every revoked entry is read once here, so iterating the returned CRL cannot fail later.
    """
    from cryptography import x509
    from cryptography.utils import CryptographyDeprecationWarning

    data, name = read_source(source, what="CRL")
    der = one_block_der(data, name, CRL_LABELS, "X509 CRL")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CryptographyDeprecationWarning)
            crl = x509.load_der_x509_crl(der)
            crl.issuer  # noqa: B018
            crl.extensions  # noqa: B018
            crl.last_update_utc  # noqa: B018
            crl.next_update_utc  # noqa: B018
            crl.signature_algorithm_oid  # noqa: B018
            for entry in crl:
                entry.serial_number  # noqa: B018
                entry.revocation_date_utc  # noqa: B018
                entry.extensions  # noqa: B018
    except (
        ValueError,
        TypeError,
        x509.InvalidVersion,
        x509.DuplicateExtension,
        x509.UnsupportedGeneralNameType,
    ) as exc:
        raise MalformedInputError(f"{name}: not a valid CRL") from exc
    except BaseException as exc:
        if is_rust_panic(exc):
            raise MalformedInputError(f"{name}: not a valid CRL") from exc
        raise
    return crl


def load_ocsp_response(source: SourceInput) -> cx_ocsp.OCSPResponse:
    """Load a DER OCSP response (bytes or a path) and check that it parses.

    Use it for offline revocation data handed to validation.  A response whose status is not
    ``successful`` still loads (check ``response_status``); anything that is not an OCSP response
    raises :class:`~caiso_pki.errors.MalformedInputError` naming the input.
    """
    from cryptography.x509 import ocsp as cx_ocsp_module

    data, name = read_source(source, what="OCSP response")
    if is_pem(data):
        raise MalformedInputError(f"{name}: PEM is not a format for OCSP responses; pass the DER bytes")
    try:
        response = cx_ocsp_module.load_der_ocsp_response(data)
        if response.response_status == cx_ocsp_module.OCSPResponseStatus.SUCCESSFUL:
            response.responder_name  # noqa: B018
            response.produced_at_utc  # noqa: B018
            response.extensions  # noqa: B018
            for single in response.responses:
                single.serial_number  # noqa: B018
                single.certificate_status  # noqa: B018
                single.this_update_utc  # noqa: B018
                single.next_update_utc  # noqa: B018
    except Exception as exc:  # ValueError, or anything else cryptography's parser throws at damage
        raise MalformedInputError(f"{name}: not a DER OCSP response ({type(exc).__name__}: {exc})") from exc
    return response
