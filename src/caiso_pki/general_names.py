"""General names as certificates carry them in subjectAltName: the :class:`SubjectAltNames` view.

RFC 5280 4.2.1.6 names a certificate's other identities (DNS names, IP addresses, URIs, e-mail
addresses, directory names ...) as GeneralNames.  The view groups them by type, as text, so a report
shows them and a check asks ``"rig-0001.example.com" in sans.dns``; name types with no text form
(otherName, registeredID) are kept as ``OID:hex`` under ``other``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

import attrs

from caiso_pki.name import DistinguishedName

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509 as cx509

__all__ = ["SubjectAltNames"]

#: The name types, as the fields of :class:`SubjectAltNames` (in order).
_GROUPS: Final = ("dns", "ip", "uri", "email", "directory", "other")
#: asn1crypto's GeneralName choices -> the :class:`SubjectAltNames` field of each (the rest: ``other``).
_ASN1_GENERAL_NAME_GROUPS: Final = {
    "dns_name": "dns",
    "ip_address": "ip",
    "uniform_resource_identifier": "uri",
    "rfc822_name": "email",
    "directory_name": "directory",
}


@attrs.frozen(kw_only=True)
class SubjectAltNames:
    """Subject alternative names grouped by type."""

    dns: tuple[str, ...] = ()
    ip: tuple[str, ...] = ()
    uri: tuple[str, ...] = ()
    email: tuple[str, ...] = ()
    directory: tuple[str, ...] = ()
    other: tuple[str, ...] = ()

    @classmethod
    def from_cryptography(cls, value: cx509.SubjectAlternativeName | None) -> SubjectAltNames:
        """Group a ``cryptography`` SubjectAlternativeName (or ``None``) by name type."""
        from cryptography import x509 as cx509

        if value is None:
            return cls()
        groups: dict[str, list[str]] = {key: [] for key in _GROUPS}
        for general in value:
            if isinstance(general, cx509.DNSName):
                groups["dns"].append(general.value)
            elif isinstance(general, cx509.IPAddress):
                groups["ip"].append(str(general.value))
            elif isinstance(general, cx509.UniformResourceIdentifier):
                groups["uri"].append(general.value)
            elif isinstance(general, cx509.RFC822Name):
                groups["email"].append(general.value)
            elif isinstance(general, cx509.DirectoryName):
                groups["directory"].append(general.value.rfc4514_string())
            elif isinstance(general, cx509.OtherName):
                groups["other"].append(f"{general.type_id.dotted_string}:{general.value.hex()}")
            elif isinstance(general, cx509.RegisteredID):
                groups["other"].append(general.value.dotted_string)
            else:
                groups["other"].append(str(general.value))
        return cls(**{key: tuple(items) for key, items in groups.items()})

    @classmethod
    def from_asn1(cls, names: asn1_x509.GeneralNames | None) -> SubjectAltNames:
        """Group an ``asn1crypto`` GeneralNames (or ``None``) by name type (fallback for certificates
        cryptography refuses)."""
        groups: dict[str, list[str]] = {key: [] for key in _GROUPS}
        for general in names or ():
            group = _ASN1_GENERAL_NAME_GROUPS.get(general.name, "other")
            if group == "directory":
                groups[group].append(DistinguishedName.from_asn1(general.chosen).rfc4514)
            else:
                groups[group].append(str(general.chosen.native))
        return cls(**{key: tuple(items) for key, items in groups.items()})

    def __bool__(self) -> bool:
        return any((self.dns, self.ip, self.uri, self.email, self.directory, self.other))

    def to_dict(self) -> dict[str, list[str]]:
        """JSON-ready form."""
        return {field.name: list(getattr(self, field.name)) for field in attrs.fields(SubjectAltNames)}
