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
    "load_certificates": "caiso_pki.certificate",
    "load_certificate": "caiso_pki.certificate",
    "load_private_key": "caiso_pki.keys",
    "load_csr": "caiso_pki.csr",
    "load_crl": "caiso_pki.revocation_data",
    "load_pkcs12": "caiso_pki.pkcs12",
    "Pkcs12Bundle": "caiso_pki.pkcs12",
    "Certificate": "caiso_pki.certificate",
    "DistinguishedName": "caiso_pki.name",
    "SubjectAltNames": "caiso_pki.general_names",
    "PolicyInformation": "caiso_pki.policy",
    "UserNotice": "caiso_pki.policy",
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
    "load_ocsp_response": "caiso_pki.revocation_data",
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

__all__ = ["__version__", *_EXPORTS]  # noqa: PLE0604 -- the names of _EXPORTS


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'caiso_pki' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    """The public API and the module's dunders, not the names this file imports for its own use."""
    return sorted({*__all__, *(name for name in globals() if name.startswith("__") and name.endswith("__"))})


# What type checkers see, since they cannot follow __getattr__ (every name would be Any to them): the
# same table, as explicit re-exports.  tests/test_package.py proves it lists exactly the names of _EXPORTS.
if TYPE_CHECKING:
    from caiso_pki.audit import AuditReport as AuditReport
    from caiso_pki.audit import audit_paths as audit_paths
    from caiso_pki.certificate import (
        Certificate as Certificate,
    )
    from caiso_pki.certificate import (
        UnsupportedCertificateError as UnsupportedCertificateError,
    )
    from caiso_pki.certificate import (
        load_certificate as load_certificate,
    )
    from caiso_pki.certificate import (
        load_certificates as load_certificates,
    )
    from caiso_pki.connection import (
        ClientCredential as ClientCredential,
    )
    from caiso_pki.connection import (
        ConnectionCheck as ConnectionCheck,
    )
    from caiso_pki.connection import (
        ConnectionReport as ConnectionReport,
    )
    from caiso_pki.connection import (
        ConnectUnavailableError as ConnectUnavailableError,
    )
    from caiso_pki.connection import (
        connect as connect,
    )
    from caiso_pki.csr import (
        Csr as Csr,
    )
    from caiso_pki.csr import (
        CsrDescription as CsrDescription,
    )
    from caiso_pki.csr import (
        RenewalRequest as RenewalRequest,
    )
    from caiso_pki.csr import (
        build_csr as build_csr,
    )
    from caiso_pki.csr import (
        check_csr as check_csr,
    )
    from caiso_pki.csr import (
        describe_csr as describe_csr,
    )
    from caiso_pki.csr import (
        load_csr as load_csr,
    )
    from caiso_pki.csr import (
        renewal_csr as renewal_csr,
    )
    from caiso_pki.csr import (
        verify_csr as verify_csr,
    )
    from caiso_pki.display import FindingList as FindingList
    from caiso_pki.errors import (
        CaisoPkiError as CaisoPkiError,
    )
    from caiso_pki.errors import (
        FetchError as FetchError,
    )
    from caiso_pki.errors import (
        InvalidSubjectError as InvalidSubjectError,
    )
    from caiso_pki.errors import (
        InvalidTimeError as InvalidTimeError,
    )
    from caiso_pki.errors import (
        MalformedInputError as MalformedInputError,
    )
    from caiso_pki.errors import (
        PassphraseError as PassphraseError,
    )
    from caiso_pki.errors import (
        PlotUnavailableError as PlotUnavailableError,
    )
    from caiso_pki.errors import (
        ProfileError as ProfileError,
    )
    from caiso_pki.errors import (
        ProfileViolationError as ProfileViolationError,
    )
    from caiso_pki.errors import (
        RevocationError as RevocationError,
    )
    from caiso_pki.errors import (
        TrustStoreCorruptError as TrustStoreCorruptError,
    )
    from caiso_pki.errors import (
        TrustStoreError as TrustStoreError,
    )
    from caiso_pki.errors import (
        UnknownOidError as UnknownOidError,
    )
    from caiso_pki.errors import (
        UnsupportedAlgorithmError as UnsupportedAlgorithmError,
    )
    from caiso_pki.errors import (
        ValidationError as ValidationError,
    )
    from caiso_pki.exporter import Exporter as Exporter
    from caiso_pki.exposition import (
        MonitorUnavailableError as MonitorUnavailableError,
    )
    from caiso_pki.exposition import (
        SnapshotCollector as SnapshotCollector,
    )
    from caiso_pki.exposition import (
        render_prometheus as render_prometheus,
    )
    from caiso_pki.fleet_scan import FleetMonitor as FleetMonitor
    from caiso_pki.fleet_scan import scan_fleet as scan_fleet
    from caiso_pki.general_names import SubjectAltNames as SubjectAltNames
    from caiso_pki.inventory import (
        Inventory as Inventory,
    )
    from caiso_pki.inventory import (
        PasswordSource as PasswordSource,
    )
    from caiso_pki.inventory import (
        load_inventory as load_inventory,
    )
    from caiso_pki.keys import (
        KeySpec as KeySpec,
    )
    from caiso_pki.keys import (
        generate_private_key as generate_private_key,
    )
    from caiso_pki.keys import (
        load_private_key as load_private_key,
    )
    from caiso_pki.keys import (
        save_private_key as save_private_key,
    )
    from caiso_pki.lint import (
        ChainCheck as ChainCheck,
    )
    from caiso_pki.lint import (
        Finding as Finding,
    )
    from caiso_pki.lint import (
        Severity as Severity,
    )
    from caiso_pki.lint import (
        check_chain as check_chain,
    )
    from caiso_pki.lint import (
        detect_kind as detect_kind,
    )
    from caiso_pki.lint import (
        lint_certificate as lint_certificate,
    )
    from caiso_pki.lint import (
        lint_chain as lint_chain,
    )
    from caiso_pki.lint import (
        lint_csr as lint_csr,
    )
    from caiso_pki.lint import (
        worst_severity as worst_severity,
    )
    from caiso_pki.monitoring import (
        CertificateSample as CertificateSample,
    )
    from caiso_pki.monitoring import (
        CrlFreshness as CrlFreshness,
    )
    from caiso_pki.monitoring import (
        EndpointStatus as EndpointStatus,
    )
    from caiso_pki.monitoring import (
        FleetMetrics as FleetMetrics,
    )
    from caiso_pki.monitoring import (
        ReadError as ReadError,
    )
    from caiso_pki.monitoring import (
        certificate_kind as certificate_kind,
    )
    from caiso_pki.monitoring import (
        endpoint_status as endpoint_status,
    )
    from caiso_pki.monitoring import (
        fleet_metrics as fleet_metrics,
    )
    from caiso_pki.name import DistinguishedName as DistinguishedName
    from caiso_pki.oids import oid_name as oid_name
    from caiso_pki.oids import parse_oid as parse_oid
    from caiso_pki.pkcs12 import (
        Pkcs12Bundle as Pkcs12Bundle,
    )
    from caiso_pki.pkcs12 import (
        export_pkcs12 as export_pkcs12,
    )
    from caiso_pki.pkcs12 import (
        import_pkcs12 as import_pkcs12,
    )
    from caiso_pki.pkcs12 import (
        load_pkcs12 as load_pkcs12,
    )
    from caiso_pki.policy import (
        PolicyInformation as PolicyInformation,
    )
    from caiso_pki.policy import (
        PolicyRequirement as PolicyRequirement,
    )
    from caiso_pki.policy import (
        UserNotice as UserNotice,
    )
    from caiso_pki.profiles.cps import CpsProfile as CpsProfile
    from caiso_pki.profiles.cps import load_cps_profile as load_cps_profile
    from caiso_pki.profiles.request import (
        RequestFinding as RequestFinding,
    )
    from caiso_pki.profiles.request import (
        RequestProfile as RequestProfile,
    )
    from caiso_pki.profiles.request import (
        load_request_profile as load_request_profile,
    )
    from caiso_pki.revocation_data import load_crl as load_crl
    from caiso_pki.revocation_data import load_ocsp_response as load_ocsp_response
    from caiso_pki.sarif import findings_to_sarif as findings_to_sarif
    from caiso_pki.subject import Subject as Subject
    from caiso_pki.tls import (
        client_ssl_context as client_ssl_context,
    )
    from caiso_pki.tls import (
        httpx_client as httpx_client,
    )
    from caiso_pki.tls import (
        requests_adapter as requests_adapter,
    )
    from caiso_pki.tls import (
        server_ssl_context as server_ssl_context,
    )
    from caiso_pki.truststore import (
        StoreDiff as StoreDiff,
    )
    from caiso_pki.truststore import (
        TrustEntry as TrustEntry,
    )
    from caiso_pki.truststore import (
        TrustStore as TrustStore,
    )
    from caiso_pki.validation import (
        FAILURE_CODES as FAILURE_CODES,
    )
    from caiso_pki.validation import (
        AlgorithmPolicy as AlgorithmPolicy,
    )
    from caiso_pki.validation import (
        Fetcher as Fetcher,
    )
    from caiso_pki.validation import (
        FleetCache as FleetCache,
    )
    from caiso_pki.validation import (
        HttpFetcher as HttpFetcher,
    )
    from caiso_pki.validation import (
        PathBudget as PathBudget,
    )
    from caiso_pki.validation import (
        RevocationCache as RevocationCache,
    )
    from caiso_pki.validation import (
        RevocationStatus as RevocationStatus,
    )
    from caiso_pki.validation import (
        ValidationFailure as ValidationFailure,
    )
    from caiso_pki.validation import (
        ValidationResult as ValidationResult,
    )
    from caiso_pki.validation import (
        Validator as Validator,
    )
    from caiso_pki.validation import (
        fetcher_backend as fetcher_backend,
    )
    from caiso_pki.validation import (
        validate_chain as validate_chain,
    )
    from caiso_pki.validation import (
        validate_chain_async as validate_chain_async,
    )
    from caiso_pki.validation import (
        validate_many as validate_many,
    )
    from caiso_pki.validation import (
        validate_many_async as validate_many_async,
    )
