"""Type checkers' view of :mod:`caiso_pki`, and the one table of its public names.

Each public name is re-exported from the module that defines it.  ``__init__.py`` reads this file to
import a name lazily on first use (the layout of SPEC 1, scientific Python's lazy loading), so the
export list is written once, here.
"""

from typing import Final

from caiso_pki.audit import (
    AuditReport as AuditReport,
)
from caiso_pki.audit import (
    audit_paths as audit_paths,
)
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
    load_csr as load_csr,
)
from caiso_pki.csr import (
    renewal_csr as renewal_csr,
)
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
    NotPicklableError as NotPicklableError,
)
from caiso_pki.errors import (
    PasswordError as PasswordError,
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
from caiso_pki.exporter import (
    Exporter as Exporter,
)
from caiso_pki.exposition import (
    MonitorUnavailableError as MonitorUnavailableError,
)
from caiso_pki.exposition import (
    SnapshotCollector as SnapshotCollector,
)
from caiso_pki.exposition import (
    render_prometheus as render_prometheus,
)
from caiso_pki.fleet_scan import (
    FleetMonitor as FleetMonitor,
)
from caiso_pki.fleet_scan import (
    scan_fleet as scan_fleet,
)
from caiso_pki.general_names import (
    SubjectAltNames as SubjectAltNames,
)
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
from caiso_pki.kinds import (
    FileKind as FileKind,
)
from caiso_pki.kinds import (
    file_kind as file_kind,
)
from caiso_pki.lint import (
    ChainCheck as ChainCheck,
)
from caiso_pki.lint import (
    Finding as Finding,
)
from caiso_pki.lint import (
    FindingList as FindingList,
)
from caiso_pki.lint import (
    Severity as Severity,
)
from caiso_pki.lint import (
    check_chain as check_chain,
)
from caiso_pki.lint import (
    cps_kind as cps_kind,
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
    endpoint_status as endpoint_status,
)
from caiso_pki.monitoring import (
    fleet_kind as fleet_kind,
)
from caiso_pki.monitoring import (
    fleet_metrics as fleet_metrics,
)
from caiso_pki.name import (
    DistinguishedName as DistinguishedName,
)
from caiso_pki.oids import (
    oid_name as oid_name,
)
from caiso_pki.oids import (
    parse_oid as parse_oid,
)
from caiso_pki.pkcs12 import (
    Pkcs12Bundle as Pkcs12Bundle,
)
from caiso_pki.pkcs12 import (
    export_pkcs12 as export_pkcs12,
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
from caiso_pki.profiles.cps import (
    CpsProfile as CpsProfile,
)
from caiso_pki.profiles.cps import (
    load_cps_profile as load_cps_profile,
)
from caiso_pki.profiles.request import (
    RequestFinding as RequestFinding,
)
from caiso_pki.profiles.request import (
    RequestProfile as RequestProfile,
)
from caiso_pki.profiles.request import (
    load_request_profile as load_request_profile,
)
from caiso_pki.revocation_data import (
    load_crl as load_crl,
)
from caiso_pki.revocation_data import (
    load_ocsp_response as load_ocsp_response,
)
from caiso_pki.sarif import (
    findings_to_sarif as findings_to_sarif,
)
from caiso_pki.subject import (
    Subject as Subject,
)
from caiso_pki.tls import (
    client_ssl_context as client_ssl_context,
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

__version__: Final[str]
__all__: list[str]
