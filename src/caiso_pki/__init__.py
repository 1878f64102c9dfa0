"""caiso-pki: keys, CSRs, chain validation, CPS policy checks and trust stores for CAISO participants.

The public API is re-exported here.  Importing ``caiso_pki`` is cheap: each name is imported from its
module the first time it is used, so a service that only loads certificates never pays for the
validation engine, the HTTP client or the command line.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, Final

__version__: Final = "0.1.0.dev0"

# name -> module that defines it
_EXPORTS: Final[dict[str, str]] = {
    # errors
    "CaisoPkiError": "caiso_pki.errors",
    "MalformedInputError": "caiso_pki.errors",
    "PassphraseError": "caiso_pki.errors",
    "UnsupportedAlgorithmError": "caiso_pki.errors",
    "UnknownOidError": "caiso_pki.errors",
    "InvalidSubjectError": "caiso_pki.errors",
    "InvalidTimeError": "caiso_pki.errors",
    "ProfileError": "caiso_pki.errors",
    "ProfileViolationError": "caiso_pki.errors",
    "ValidationError": "caiso_pki.errors",
    "TrustStoreError": "caiso_pki.errors",
    "TrustStoreCorruptError": "caiso_pki.errors",
    "RevocationError": "caiso_pki.errors",
    "FetchError": "caiso_pki.errors",
    # loading and the certificate model
    "load_certificates": "caiso_pki._io",
    "load_certificate": "caiso_pki._io",
    "load_private_key": "caiso_pki._io",
    "load_csr": "caiso_pki._io",
    "load_crl": "caiso_pki._io",
    "load_pkcs12": "caiso_pki._io",
    "Pkcs12Bundle": "caiso_pki._io",
    "Certificate": "caiso_pki.certificate",
    "DistinguishedName": "caiso_pki.certificate",
    "SubjectAltNames": "caiso_pki.certificate",
    "PolicyInformation": "caiso_pki.certificate",
    "UserNotice": "caiso_pki.certificate",
    "UnsupportedCertificateError": "caiso_pki.certificate",
    "oid_name": "caiso_pki.oids",
    "parse_oid": "caiso_pki.oids",
    "PolicyRequirement": "caiso_pki.policy",
    # keys and CSRs
    "KeySpec": "caiso_pki.keys",
    "generate_private_key": "caiso_pki.keys",
    "save_private_key": "caiso_pki.keys",
    "Subject": "caiso_pki.subject",
    "Csr": "caiso_pki.csr",
    "build_csr": "caiso_pki.csr",
    "check_csr": "caiso_pki.csr",
    "renewal_csr": "caiso_pki.csr",
    "verify_csr": "caiso_pki.csr",
    "describe_csr": "caiso_pki.csr",
    "RequestProfile": "caiso_pki.profiles.request",
    "load_request_profile": "caiso_pki.profiles.request",
    # trust stores, PKCS#12, TLS
    "TrustStore": "caiso_pki.truststore",
    "TrustEntry": "caiso_pki.truststore",
    "StoreDiff": "caiso_pki.truststore",
    "export_pkcs12": "caiso_pki.pkcs12",
    "import_pkcs12": "caiso_pki.pkcs12",
    "client_ssl_context": "caiso_pki.tls",
    "requests_adapter": "caiso_pki.tls",
    "httpx_client": "caiso_pki.tls",
    "server_ssl_context": "caiso_pki.tls",
    # connecting to an ISO application
    "connect": "caiso_pki.connection",
    "ConnectionReport": "caiso_pki.connection",
    "ConnectionCheck": "caiso_pki.connection",
    "ClientCredential": "caiso_pki.connection",
    "ConnectUnavailableError": "caiso_pki.connection",
    # validation
    "Validator": "caiso_pki.validation",
    "validate_chain": "caiso_pki.validation",
    "validate_chain_async": "caiso_pki.validation",
    "PathBudget": "caiso_pki.validation",
    "ValidationResult": "caiso_pki.validation",
    "ValidationFailure": "caiso_pki.validation",
    "RevocationStatus": "caiso_pki.validation",
    "RevocationCache": "caiso_pki.validation",
    "fetcher_backend": "caiso_pki.validation",
    "load_ocsp_response": "caiso_pki._io",
    "HttpFetcher": "caiso_pki.validation",
    "Fetcher": "caiso_pki.validation",
    "findings_to_sarif": "caiso_pki.sarif",
    "detect_kind": "caiso_pki.lint",
    "worst_severity": "caiso_pki.lint",
    "AlgorithmPolicy": "caiso_pki.validation",
    "FAILURE_CODES": "caiso_pki.validation",
    "PlotUnavailableError": "caiso_pki.errors",
    "FleetCache": "caiso_pki.validation",
    "audit_paths": "caiso_pki.audit",
    "AuditReport": "caiso_pki.audit",
    "RenewalRequest": "caiso_pki.csr",
    "CsrDescription": "caiso_pki.csr",
    "RequestFinding": "caiso_pki.profiles.request",
    "FindingList": "caiso_pki.display",
    "validate_many": "caiso_pki.validation",
    "validate_many_async": "caiso_pki.validation",
    # fleet monitoring: metrics, Prometheus output, the exporter
    "FleetMetrics": "caiso_pki.monitoring",
    "CertificateSample": "caiso_pki.monitoring",
    "CrlFreshness": "caiso_pki.monitoring",
    "EndpointStatus": "caiso_pki.monitoring",
    "ReadError": "caiso_pki.monitoring",
    "certificate_kind": "caiso_pki.monitoring",
    "endpoint_status": "caiso_pki.monitoring",
    "fleet_metrics": "caiso_pki.monitoring",
    "render_prometheus": "caiso_pki.exposition",
    "SnapshotCollector": "caiso_pki.exposition",
    "MonitorUnavailableError": "caiso_pki.exposition",
    "FleetMonitor": "caiso_pki.fleet_scan",
    "scan_fleet": "caiso_pki.fleet_scan",
    "Inventory": "caiso_pki.inventory",
    "PasswordSource": "caiso_pki.inventory",
    "load_inventory": "caiso_pki.inventory",
    "Exporter": "caiso_pki.exporter",
    # CPS profiles and linting
    "CpsProfile": "caiso_pki.profiles.cps",
    "load_cps_profile": "caiso_pki.profiles.cps",
    "Finding": "caiso_pki.lint",
    "Severity": "caiso_pki.lint",
    "lint_certificate": "caiso_pki.lint",
    "lint_csr": "caiso_pki.lint",
    "lint_chain": "caiso_pki.lint",
    "check_chain": "caiso_pki.lint",
    "ChainCheck": "caiso_pki.lint",
}

# The same names once more, as a literal for linters and star-imports (tests/test_package.py proves
# that _EXPORTS, __all__ and the TYPE_CHECKING imports below are one set).
__all__ = [
    "__version__",
    "AlgorithmPolicy",
    "AuditReport",
    "CaisoPkiError",
    "Certificate",
    "CertificateSample",
    "ChainCheck",
    "ClientCredential",
    "ConnectUnavailableError",
    "ConnectionCheck",
    "ConnectionReport",
    "CpsProfile",
    "CrlFreshness",
    "Csr",
    "CsrDescription",
    "DistinguishedName",
    "EndpointStatus",
    "Exporter",
    "FAILURE_CODES",
    "FetchError",
    "Fetcher",
    "Finding",
    "FindingList",
    "FleetCache",
    "FleetMetrics",
    "FleetMonitor",
    "HttpFetcher",
    "InvalidSubjectError",
    "InvalidTimeError",
    "Inventory",
    "KeySpec",
    "MalformedInputError",
    "MonitorUnavailableError",
    "PassphraseError",
    "PasswordSource",
    "PathBudget",
    "Pkcs12Bundle",
    "PlotUnavailableError",
    "PolicyInformation",
    "PolicyRequirement",
    "ProfileError",
    "ProfileViolationError",
    "ReadError",
    "RenewalRequest",
    "RequestFinding",
    "RequestProfile",
    "RevocationCache",
    "RevocationError",
    "RevocationStatus",
    "Severity",
    "SnapshotCollector",
    "StoreDiff",
    "Subject",
    "SubjectAltNames",
    "TrustEntry",
    "TrustStore",
    "TrustStoreCorruptError",
    "TrustStoreError",
    "UnknownOidError",
    "UnsupportedAlgorithmError",
    "UnsupportedCertificateError",
    "UserNotice",
    "ValidationError",
    "ValidationFailure",
    "ValidationResult",
    "Validator",
    "audit_paths",
    "build_csr",
    "certificate_kind",
    "check_chain",
    "check_csr",
    "client_ssl_context",
    "connect",
    "describe_csr",
    "detect_kind",
    "endpoint_status",
    "export_pkcs12",
    "fetcher_backend",
    "findings_to_sarif",
    "fleet_metrics",
    "generate_private_key",
    "httpx_client",
    "import_pkcs12",
    "lint_certificate",
    "lint_chain",
    "lint_csr",
    "load_certificate",
    "load_certificates",
    "load_cps_profile",
    "load_crl",
    "load_csr",
    "load_inventory",
    "load_ocsp_response",
    "load_pkcs12",
    "load_private_key",
    "load_request_profile",
    "oid_name",
    "parse_oid",
    "render_prometheus",
    "renewal_csr",
    "requests_adapter",
    "save_private_key",
    "scan_fleet",
    "server_ssl_context",
    "validate_chain",
    "validate_chain_async",
    "validate_many",
    "validate_many_async",
    "verify_csr",
    "worst_severity",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'caiso_pki' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))


# Static view of the same table for type checkers (tests/test_package.py proves the two agree).
if TYPE_CHECKING:
    from caiso_pki._io import (
        Pkcs12Bundle,
        load_certificate,
        load_certificates,
        load_crl,
        load_csr,
        load_ocsp_response,
        load_pkcs12,
        load_private_key,
    )
    from caiso_pki.audit import AuditReport, audit_paths
    from caiso_pki.certificate import (
        Certificate,
        DistinguishedName,
        PolicyInformation,
        SubjectAltNames,
        UnsupportedCertificateError,
        UserNotice,
    )
    from caiso_pki.connection import (
        ClientCredential,
        ConnectionCheck,
        ConnectionReport,
        ConnectUnavailableError,
        connect,
    )
    from caiso_pki.csr import (
        Csr,
        CsrDescription,
        RenewalRequest,
        build_csr,
        check_csr,
        describe_csr,
        renewal_csr,
        verify_csr,
    )
    from caiso_pki.display import FindingList
    from caiso_pki.errors import (
        CaisoPkiError,
        FetchError,
        InvalidSubjectError,
        InvalidTimeError,
        MalformedInputError,
        PassphraseError,
        PlotUnavailableError,
        ProfileError,
        ProfileViolationError,
        RevocationError,
        TrustStoreCorruptError,
        TrustStoreError,
        UnknownOidError,
        UnsupportedAlgorithmError,
        ValidationError,
    )
    from caiso_pki.exporter import Exporter
    from caiso_pki.exposition import MonitorUnavailableError, SnapshotCollector, render_prometheus
    from caiso_pki.fleet_scan import FleetMonitor, scan_fleet
    from caiso_pki.inventory import Inventory, PasswordSource, load_inventory
    from caiso_pki.keys import (
        KeySpec,
        generate_private_key,
        save_private_key,
    )
    from caiso_pki.lint import (
        ChainCheck,
        Finding,
        Severity,
        check_chain,
        detect_kind,
        lint_certificate,
        lint_chain,
        lint_csr,
        worst_severity,
    )
    from caiso_pki.monitoring import (
        CertificateSample,
        CrlFreshness,
        EndpointStatus,
        FleetMetrics,
        ReadError,
        certificate_kind,
        endpoint_status,
        fleet_metrics,
    )
    from caiso_pki.oids import oid_name, parse_oid
    from caiso_pki.pkcs12 import export_pkcs12, import_pkcs12
    from caiso_pki.policy import PolicyRequirement
    from caiso_pki.profiles.cps import CpsProfile, load_cps_profile
    from caiso_pki.profiles.request import (
        RequestFinding,
        RequestProfile,
        load_request_profile,
    )
    from caiso_pki.sarif import findings_to_sarif
    from caiso_pki.subject import Subject
    from caiso_pki.tls import client_ssl_context, httpx_client, requests_adapter, server_ssl_context
    from caiso_pki.truststore import (
        StoreDiff,
        TrustEntry,
        TrustStore,
    )
    from caiso_pki.validation import (
        FAILURE_CODES,
        AlgorithmPolicy,
        Fetcher,
        FleetCache,
        HttpFetcher,
        PathBudget,
        RevocationCache,
        RevocationStatus,
        ValidationFailure,
        ValidationResult,
        Validator,
        fetcher_backend,
        validate_chain,
        validate_chain_async,
        validate_many,
        validate_many_async,
    )
