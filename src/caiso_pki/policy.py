"""Certificate policies: what a certificate asserts, and what a relying party requires.

A certificate names the policies it was issued under in its certificatePolicies extension (RFC 5280
4.2.1.4): :class:`PolicyInformation` is one of them, with its CPS pointers and user notices.  A relying
party states which policies it accepts as the RFC 5280 6.1 initial policy inputs of path validation:
:class:`PolicyRequirement`, shared by validation and the CPS checks.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from caiso_pki.errors import MalformedInputError
from caiso_pki.oids import ANY_POLICY, oid_name, parse_oid

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509 as cx509

    from caiso_pki.types import JsonDict

__all__ = ["PolicyInformation", "PolicyRequirement", "UserNotice"]


def _to_oid_set(value: Iterable[str] | str) -> frozenset[str]:
    from caiso_pki._convert import texts

    items = texts(value, "acceptable")
    result = set()
    for text in items:
        result.add(
            ANY_POLICY if text.strip().lower() in {"any", "anypolicy"} else parse_oid(text).dotted_string
        )
    if not result:
        raise MalformedInputError(
            "PolicyRequirement: the acceptable policy set is empty; pass OIDs, or {'any'} for anyPolicy"
        )
    return frozenset(result)


@attrs.frozen
class PolicyRequirement:
    """The RFC 5280 initial policy inputs of path validation.

    ``acceptable`` is the user-initial-policy-set: dotted OIDs or registry names; ``"any"`` means
    anyPolicy.  The three flags are initial-explicit-policy, initial-policy-mapping-inhibit and
    initial-any-policy-inhibit.
    """

    acceptable: frozenset[str] = attrs.field(default=frozenset({ANY_POLICY}), converter=_to_oid_set)
    require_explicit: bool = attrs.field(default=False, kw_only=True)
    inhibit_mapping: bool = attrs.field(default=False, kw_only=True)
    inhibit_any: bool = attrs.field(default=False, kw_only=True)

    @property
    def accepts_any(self) -> bool:
        """True when the initial policy set is anyPolicy."""
        return ANY_POLICY in self.acceptable


@attrs.frozen
class UserNotice:
    """A policy user-notice qualifier."""

    explicit_text: str | None = None
    organization: str | None = None
    notice_numbers: tuple[int, ...] = ()


@attrs.frozen
class PolicyInformation:
    """One certificate policy: its OID and CPS-pointer and user-notice qualifiers."""

    oid: str
    cps_uris: tuple[str, ...] = ()
    user_notices: tuple[UserNotice, ...] = ()

    @classmethod
    def from_cryptography(cls, info: cx509.PolicyInformation) -> PolicyInformation:
        """Read one policy of a ``cryptography`` CertificatePolicies extension."""
        from cryptography import x509 as cx509

        cps: list[str] = []
        notices: list[UserNotice] = []
        for qualifier in info.policy_qualifiers or ():
            if isinstance(qualifier, str):
                cps.append(qualifier)
            elif isinstance(qualifier, cx509.UserNotice):
                ref = qualifier.notice_reference
                notices.append(
                    UserNotice(
                        explicit_text=qualifier.explicit_text,
                        organization=ref.organization if ref else None,
                        notice_numbers=tuple(ref.notice_numbers) if ref else (),
                    )
                )
        return cls(oid=info.policy_identifier.dotted_string, cps_uris=tuple(cps), user_notices=tuple(notices))

    @classmethod
    def from_asn1(cls, info: asn1_x509.PolicyInformation) -> PolicyInformation:
        """Read one policy of an ``asn1crypto`` CertificatePolicies value (for certificates that
        cryptography refuses)."""
        cps: list[str] = []
        notices: list[UserNotice] = []
        for qualifier in info["policy_qualifiers"] or ():
            kind = qualifier["policy_qualifier_id"].native
            native = qualifier["qualifier"].native
            if kind == "certification_practice_statement":
                cps.append(str(native))
            elif kind == "user_notice":
                ref = native.get("notice_ref") or {}
                notices.append(
                    UserNotice(
                        explicit_text=native.get("explicit_text"),
                        organization=ref.get("organization"),
                        notice_numbers=tuple(ref.get("notice_numbers") or ()),
                    )
                )
        oid = str(info["policy_identifier"].dotted)
        return cls(oid=oid, cps_uris=tuple(cps), user_notices=tuple(notices))

    @property
    def name(self) -> str:
        """Friendly name from the OID registry (the dotted OID when unknown)."""
        return oid_name(self.oid)

    def to_dict(self) -> JsonDict:
        """JSON-ready form."""
        return {
            "oid": self.oid,
            "name": self.name,
            "cps_uris": list(self.cps_uris),
            "user_notices": [
                {
                    "explicit_text": notice.explicit_text,
                    "organization": notice.organization,
                    "notice_numbers": list(notice.notice_numbers),
                }
                for notice in self.user_notices
            ],
        }
