"""OID registry: friendly names for the object identifiers caiso-pki shows, and OID parsing.

Users write OIDs as dotted strings (``"2.5.29.32.0"``) or as names from this registry
(``"anyPolicy"``, ``"clientAuth"``); :func:`parse_oid` accepts both, returns the dotted string, and
rejects anything else with an :class:`~caiso_pki.errors.UnknownOidError`.
"""

from __future__ import annotations

import re
from typing import Final

from cryptography import x509
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    CertificatePoliciesOID,
    CRLEntryExtensionOID,
    ExtendedKeyUsageOID,
    ExtensionOID,
    NameOID,
    SignatureAlgorithmOID,
)

from caiso_pki.errors import UnknownOidError

__all__ = [
    "AIA_CA_ISSUERS",
    "AIA_OCSP",
    "ANY_EXTENDED_KEY_USAGE",
    "ANY_POLICY",
    "AUTHORITY_INFO_ACCESS",
    "AUTHORITY_KEY_IDENTIFIER",
    "BASIC_CONSTRAINTS",
    "CERTIFICATE_POLICIES",
    "CLIENT_AUTH",
    "COMMON_NAME",
    "COUNTRY_NAME",
    "CRL_DISTRIBUTION_POINTS",
    "DEMO_BASIC_ASSURANCE_POLICY",
    "DN_QUALIFIER",
    "DOMAIN_COMPONENT",
    "DSA",
    "EC_PUBLIC_KEY",
    "ED25519",
    "ED448",
    "EMAIL_ADDRESS",
    "EMAIL_PROTECTION",
    "EXTENDED_KEY_USAGE",
    "GIVEN_NAME",
    "KEY_USAGE",
    "LOCALITY_NAME",
    "OCSP_SIGNING",
    "OID_NAMES",
    "ORGANIZATIONAL_UNIT_NAME",
    "ORGANIZATION_NAME",
    "PSEUDONYM",
    "RSASSA_PSS",
    "RSA_ENCRYPTION",
    "SERIAL_NUMBER",
    "SERVER_AUTH",
    "SMARTCARD_LOGON",
    "STATE_OR_PROVINCE_NAME",
    "STREET_ADDRESS",
    "SUBJECT_ALT_NAME",
    "SUBJECT_KEY_IDENTIFIER",
    "SURNAME",
    "TITLE",
    "USER_ID",
    "X25519",
    "X448",
    "_DOTTED",
    "oid_name",
    "parse_oid",
]

ANY_POLICY: Final = "2.5.29.32.0"

#: Policy OID asserted by the *demo* PKI for "Basic Assurance".  It lives under the ``2.999``
#: example arc on purpose: CAISO's real policy OID is not published, so nothing here pretends to know it.
DEMO_BASIC_ASSURANCE_POLICY: Final = "2.999.2008.1.1"

# -- the OIDs caiso-pki refers to by name, as dotted strings (the form the models and JSON use) ---------

# distinguished-name attributes (X.520, PKCS #9, RFC 4519)
COMMON_NAME: Final = NameOID.COMMON_NAME.dotted_string
SURNAME: Final = NameOID.SURNAME.dotted_string
SERIAL_NUMBER: Final = NameOID.SERIAL_NUMBER.dotted_string
COUNTRY_NAME: Final = NameOID.COUNTRY_NAME.dotted_string
LOCALITY_NAME: Final = NameOID.LOCALITY_NAME.dotted_string
STATE_OR_PROVINCE_NAME: Final = NameOID.STATE_OR_PROVINCE_NAME.dotted_string
STREET_ADDRESS: Final = NameOID.STREET_ADDRESS.dotted_string
ORGANIZATION_NAME: Final = NameOID.ORGANIZATION_NAME.dotted_string
ORGANIZATIONAL_UNIT_NAME: Final = NameOID.ORGANIZATIONAL_UNIT_NAME.dotted_string
TITLE: Final = NameOID.TITLE.dotted_string
GIVEN_NAME: Final = NameOID.GIVEN_NAME.dotted_string
DN_QUALIFIER: Final = NameOID.DN_QUALIFIER.dotted_string
PSEUDONYM: Final = NameOID.PSEUDONYM.dotted_string
EMAIL_ADDRESS: Final = NameOID.EMAIL_ADDRESS.dotted_string
DOMAIN_COMPONENT: Final = NameOID.DOMAIN_COMPONENT.dotted_string
USER_ID: Final = NameOID.USER_ID.dotted_string

# certificate extensions (RFC 5280 4.2)
SUBJECT_KEY_IDENTIFIER: Final = ExtensionOID.SUBJECT_KEY_IDENTIFIER.dotted_string
KEY_USAGE: Final = ExtensionOID.KEY_USAGE.dotted_string
SUBJECT_ALT_NAME: Final = ExtensionOID.SUBJECT_ALTERNATIVE_NAME.dotted_string
BASIC_CONSTRAINTS: Final = ExtensionOID.BASIC_CONSTRAINTS.dotted_string
CRL_DISTRIBUTION_POINTS: Final = ExtensionOID.CRL_DISTRIBUTION_POINTS.dotted_string
CERTIFICATE_POLICIES: Final = ExtensionOID.CERTIFICATE_POLICIES.dotted_string
AUTHORITY_KEY_IDENTIFIER: Final = ExtensionOID.AUTHORITY_KEY_IDENTIFIER.dotted_string
EXTENDED_KEY_USAGE: Final = ExtensionOID.EXTENDED_KEY_USAGE.dotted_string
AUTHORITY_INFO_ACCESS: Final = ExtensionOID.AUTHORITY_INFORMATION_ACCESS.dotted_string

# extended key usages (RFC 5280 4.2.1.12, and Microsoft's smart-card logon)
SERVER_AUTH: Final = ExtendedKeyUsageOID.SERVER_AUTH.dotted_string
CLIENT_AUTH: Final = ExtendedKeyUsageOID.CLIENT_AUTH.dotted_string
EMAIL_PROTECTION: Final = ExtendedKeyUsageOID.EMAIL_PROTECTION.dotted_string
OCSP_SIGNING: Final = ExtendedKeyUsageOID.OCSP_SIGNING.dotted_string
ANY_EXTENDED_KEY_USAGE: Final = ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE.dotted_string
SMARTCARD_LOGON: Final = "1.3.6.1.4.1.311.20.2.2"

# authority information access methods (RFC 5280 4.2.2.1)
AIA_OCSP: Final = AuthorityInformationAccessOID.OCSP.dotted_string
AIA_CA_ISSUERS: Final = AuthorityInformationAccessOID.CA_ISSUERS.dotted_string

# public key algorithms (RFC 3279, RFC 4055, RFC 5480, RFC 8410)
RSA_ENCRYPTION: Final = "1.2.840.113549.1.1.1"
RSASSA_PSS: Final = SignatureAlgorithmOID.RSASSA_PSS.dotted_string
EC_PUBLIC_KEY: Final = "1.2.840.10045.2.1"
DSA: Final = "1.2.840.10040.4.1"
ED25519: Final = SignatureAlgorithmOID.ED25519.dotted_string
ED448: Final = SignatureAlgorithmOID.ED448.dotted_string
X25519: Final = "1.3.101.110"
X448: Final = "1.3.101.111"

_DOTTED: Final = re.compile(r"^[0-2](\.(0|[1-9][0-9]*))+$")

OID_NAMES: Final[dict[str, str]] = {
    # distinguished-name attributes
    NameOID.COMMON_NAME.dotted_string: "commonName",
    NameOID.ORGANIZATION_NAME.dotted_string: "organizationName",
    NameOID.ORGANIZATIONAL_UNIT_NAME.dotted_string: "organizationalUnitName",
    NameOID.LOCALITY_NAME.dotted_string: "localityName",
    NameOID.STATE_OR_PROVINCE_NAME.dotted_string: "stateOrProvinceName",
    NameOID.COUNTRY_NAME.dotted_string: "countryName",
    NameOID.EMAIL_ADDRESS.dotted_string: "emailAddress",
    NameOID.SERIAL_NUMBER.dotted_string: "serialNumber",
    NameOID.DOMAIN_COMPONENT.dotted_string: "domainComponent",
    NameOID.USER_ID.dotted_string: "userId",
    NameOID.TITLE.dotted_string: "title",
    NameOID.GIVEN_NAME.dotted_string: "givenName",
    NameOID.SURNAME.dotted_string: "surname",
    NameOID.STREET_ADDRESS.dotted_string: "streetAddress",
    NameOID.POSTAL_CODE.dotted_string: "postalCode",
    NameOID.BUSINESS_CATEGORY.dotted_string: "businessCategory",
    NameOID.JURISDICTION_COUNTRY_NAME.dotted_string: "jurisdictionCountryName",
    NameOID.ORGANIZATION_IDENTIFIER.dotted_string: "organizationIdentifier",
    # extensions
    ExtensionOID.BASIC_CONSTRAINTS.dotted_string: "basicConstraints",
    ExtensionOID.KEY_USAGE.dotted_string: "keyUsage",
    ExtensionOID.EXTENDED_KEY_USAGE.dotted_string: "extendedKeyUsage",
    ExtensionOID.SUBJECT_ALTERNATIVE_NAME.dotted_string: "subjectAltName",
    ExtensionOID.ISSUER_ALTERNATIVE_NAME.dotted_string: "issuerAltName",
    ExtensionOID.SUBJECT_KEY_IDENTIFIER.dotted_string: "subjectKeyIdentifier",
    ExtensionOID.AUTHORITY_KEY_IDENTIFIER.dotted_string: "authorityKeyIdentifier",
    ExtensionOID.CERTIFICATE_POLICIES.dotted_string: "certificatePolicies",
    ExtensionOID.POLICY_MAPPINGS.dotted_string: "policyMappings",
    ExtensionOID.POLICY_CONSTRAINTS.dotted_string: "policyConstraints",
    ExtensionOID.INHIBIT_ANY_POLICY.dotted_string: "inhibitAnyPolicy",
    ExtensionOID.NAME_CONSTRAINTS.dotted_string: "nameConstraints",
    ExtensionOID.CRL_DISTRIBUTION_POINTS.dotted_string: "cRLDistributionPoints",
    ExtensionOID.FRESHEST_CRL.dotted_string: "freshestCRL",
    ExtensionOID.AUTHORITY_INFORMATION_ACCESS.dotted_string: "authorityInfoAccess",
    ExtensionOID.SUBJECT_INFORMATION_ACCESS.dotted_string: "subjectInfoAccess",
    ExtensionOID.OCSP_NO_CHECK.dotted_string: "ocspNoCheck",
    ExtensionOID.CRL_NUMBER.dotted_string: "cRLNumber",
    ExtensionOID.DELTA_CRL_INDICATOR.dotted_string: "deltaCRLIndicator",
    ExtensionOID.ISSUING_DISTRIBUTION_POINT.dotted_string: "issuingDistributionPoint",
    ExtensionOID.PRECERT_SIGNED_CERTIFICATE_TIMESTAMPS.dotted_string: "signedCertificateTimestampList",
    ExtensionOID.PRECERT_POISON.dotted_string: "ctPrecertificatePoison",
    ExtensionOID.TLS_FEATURE.dotted_string: "tlsFeature",
    ExtensionOID.SUBJECT_DIRECTORY_ATTRIBUTES.dotted_string: "subjectDirectoryAttributes",
    "2.5.29.16": "privateKeyUsagePeriod",
    CRLEntryExtensionOID.CRL_REASON.dotted_string: "cRLReason",
    CRLEntryExtensionOID.INVALIDITY_DATE.dotted_string: "invalidityDate",
    CRLEntryExtensionOID.CERTIFICATE_ISSUER.dotted_string: "certificateIssuer",
    # extended key usages
    SERVER_AUTH: "serverAuth",
    CLIENT_AUTH: "clientAuth",
    ExtendedKeyUsageOID.CODE_SIGNING.dotted_string: "codeSigning",
    ExtendedKeyUsageOID.EMAIL_PROTECTION.dotted_string: "emailProtection",
    ExtendedKeyUsageOID.TIME_STAMPING.dotted_string: "timeStamping",
    ExtendedKeyUsageOID.OCSP_SIGNING.dotted_string: "OCSPSigning",
    ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE.dotted_string: "anyExtendedKeyUsage",
    SMARTCARD_LOGON: "smartcardLogon",
    # policies and qualifiers
    ANY_POLICY: "anyPolicy",
    CertificatePoliciesOID.CPS_QUALIFIER.dotted_string: "cpsPointer",
    CertificatePoliciesOID.CPS_USER_NOTICE.dotted_string: "userNotice",
    DEMO_BASIC_ASSURANCE_POLICY: "demoBasicAssurance",
    # access methods
    AIA_OCSP: "ocsp",
    AIA_CA_ISSUERS: "caIssuers",
    # signature algorithms
    SignatureAlgorithmOID.RSA_WITH_SHA1.dotted_string: "sha1WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA256.dotted_string: "sha256WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA384.dotted_string: "sha384WithRSAEncryption",
    SignatureAlgorithmOID.RSA_WITH_SHA512.dotted_string: "sha512WithRSAEncryption",
    SignatureAlgorithmOID.RSASSA_PSS.dotted_string: "rsassaPss",
    SignatureAlgorithmOID.ECDSA_WITH_SHA1.dotted_string: "ecdsa-with-SHA1",
    SignatureAlgorithmOID.ECDSA_WITH_SHA224.dotted_string: "ecdsa-with-SHA224",
    SignatureAlgorithmOID.ECDSA_WITH_SHA256.dotted_string: "ecdsa-with-SHA256",
    SignatureAlgorithmOID.ECDSA_WITH_SHA384.dotted_string: "ecdsa-with-SHA384",
    SignatureAlgorithmOID.ECDSA_WITH_SHA512.dotted_string: "ecdsa-with-SHA512",
    SignatureAlgorithmOID.ED25519.dotted_string: "Ed25519",
    SignatureAlgorithmOID.ED448.dotted_string: "Ed448",
    SignatureAlgorithmOID.DSA_WITH_SHA1.dotted_string: "dsa-with-sha1",
    SignatureAlgorithmOID.DSA_WITH_SHA224.dotted_string: "dsa-with-sha224",
    SignatureAlgorithmOID.DSA_WITH_SHA256.dotted_string: "dsa-with-sha256",
    SignatureAlgorithmOID.RSA_WITH_SHA224.dotted_string: "sha224WithRSAEncryption",
    "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
    "1.2.840.113549.1.1.2": "md2WithRSAEncryption",
    # key algorithms
    RSA_ENCRYPTION: "rsaEncryption",
    EC_PUBLIC_KEY: "id-ecPublicKey",
    DSA: "dsa",
    # GOST algorithms (Russian national standards): named so reports can say what is not supported
    "1.2.643.2.2.19": "GOST R 34.10-2001",
    "1.2.643.2.2.20": "GOST R 34.10-94",
    "1.2.643.7.1.1.1.1": "GOST R 34.10-2012 (256 bit)",
    "1.2.643.7.1.1.1.2": "GOST R 34.10-2012 (512 bit)",
    "1.2.643.2.2.3": "GOST R 34.11-94 with GOST R 34.10-2001",
    "1.2.643.2.2.4": "GOST R 34.11-94 with GOST R 34.10-94",
    "1.2.643.7.1.1.3.2": "GOST R 34.11-2012 with GOST R 34.10-2012 (256 bit)",
    "1.2.643.7.1.1.3.3": "GOST R 34.11-2012 with GOST R 34.10-2012 (512 bit)",
}

_BY_NAME: Final[dict[str, str]] = {name.lower(): dotted for dotted, name in OID_NAMES.items()}
_BY_NAME.update({"any": ANY_POLICY, "ocspsigning": ExtendedKeyUsageOID.OCSP_SIGNING.dotted_string})


def _shown(value: object) -> str:
    """``repr`` of ``value`` for messages, cut short so a hostile input cannot flood a log."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}...({len(text)} characters)"


def oid_name(oid: x509.ObjectIdentifier | str) -> str:
    """Return the friendly name of ``oid``, or its dotted form when the registry does not know it."""
    if isinstance(oid, x509.ObjectIdentifier):
        dotted = oid.dotted_string
    elif isinstance(oid, str):
        dotted = oid
    else:
        raise UnknownOidError(f"oid: expected a dotted string or an ObjectIdentifier, got {_shown(oid)}")
    return OID_NAMES.get(dotted, dotted)


def parse_oid(value: str | x509.ObjectIdentifier) -> str:
    """The dotted form of an OID given as a dotted string, a registry name or an ObjectIdentifier.

    ``parse_oid("clientAuth") == "1.3.6.1.5.5.7.3.2"``.  A dotted string is checked (arcs, the
    second arc below 40 under 0 and 1) and returned in canonical form.  Raises
    :class:`UnknownOidError` naming ``value`` when it is neither a valid dotted OID nor a known name.
    """
    return _object_identifier(value).dotted_string


def _object_identifier(value: str | x509.ObjectIdentifier) -> x509.ObjectIdentifier:
    """:func:`parse_oid`, as the ``cryptography`` object (for building extensions)."""
    if isinstance(value, x509.ObjectIdentifier):
        return value
    shown = _shown(value)
    if not isinstance(value, str):
        raise UnknownOidError(f"OID {shown}: expected a dotted string such as '2.5.29.32.0'")
    text = value.strip()
    dotted = _BY_NAME.get(text.lower(), text)
    if not _DOTTED.match(dotted):
        raise UnknownOidError(
            f"OID {shown} is neither a dotted OID (like '1.3.6.1.5.5.7.3.2') nor a known name"
        )
    first, second = dotted.split(".")[:2]
    # Compare the digit count first: int() of a huge arc raises ValueError (int max str digits).
    if first in ("0", "1") and (len(second) > 2 or int(second) > 39):
        raise UnknownOidError(f"OID {shown}: second arc must be below 40 under arc {first}")
    try:
        return x509.ObjectIdentifier(dotted)
    except ValueError as exc:
        raise UnknownOidError(f"OID {shown} is not a valid object identifier") from exc
