"""Distinguished names as certificates carry them: the :class:`DistinguishedName` view.

A name is read once into its RFC 4514 string (the form ``openssl`` and ``cryptography`` print) and its
attributes in order, each as (dotted OID, friendly name, value), so a report can show it and a program
can ask for one attribute (``name.get("OU")``) without parsing strings.  Names that ``cryptography``
refuses are read from ``asn1crypto`` into the same view (:meth:`DistinguishedName.from_asn1`).
Requested names, for a CSR, are built with :class:`caiso_pki.subject.Subject` instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

import attrs

from caiso_pki import oids
from caiso_pki.oids import oid_name

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509
    from cryptography import x509 as cx509

    from caiso_pki.types import JsonDict

__all__ = ["DistinguishedName"]


@attrs.frozen
class DistinguishedName:
    """A distinguished name: its RFC 4514 string and (OID, name, value) attributes in order."""

    rfc4514: str
    attributes: tuple[tuple[str, str, str], ...] = attrs.field(repr=False)

    @classmethod
    def from_cryptography(cls, name: cx509.Name) -> DistinguishedName:
        """Build the view from a ``cryptography`` Name."""
        attributes = tuple((attr.oid.dotted_string, oid_name(attr.oid), _text(attr.value)) for attr in name)
        return cls(rfc4514=name.rfc4514_string(), attributes=attributes)

    @classmethod
    def from_asn1(cls, name: asn1_x509.Name) -> DistinguishedName:
        """Build the view from an ``asn1crypto`` Name (fallback for certificates cryptography refuses).

        The RFC 4514 string follows cryptography's form: RDNs last-first, multi-valued RDNs joined by ``+``.
        """
        attributes: list[tuple[str, str, str]] = []
        rdns: list[str] = []
        for rdn in name.chosen:
            parts = []
            for atv in rdn:
                dotted = str(atv["type"].dotted)
                value = _text(_asn1_text(atv["value"]))
                attributes.append((dotted, oid_name(dotted), value))
                parts.append(f"{_short(dotted)}={_escape(value)}")
            rdns.append("+".join(parts))
        return cls(rfc4514=",".join(reversed(rdns)), attributes=tuple(attributes))

    def get(self, attribute: str) -> list[str]:
        """All values of ``attribute``: a name (``"organizationalUnitName"``, ``"OU"``) or a dotted OID."""
        key = _ALIASES.get(attribute.upper(), attribute)
        return [value for dotted, name, value in self.attributes if key in (dotted, name)]

    def _first(self, attribute: str) -> str | None:
        values = self.get(attribute)
        return values[0] if values else None

    @property
    def common_name(self) -> str | None:
        """The first CN, or ``None``."""
        return self._first("commonName")

    @property
    def organization(self) -> str | None:
        """The first O, or ``None``."""
        return self._first("organizationName")

    @property
    def organizational_units(self) -> list[str]:
        """Every OU, in order."""
        return self.get("organizationalUnitName")

    @property
    def country(self) -> str | None:
        """The C attribute, or ``None``."""
        return self._first("countryName")

    def __str__(self) -> str:
        return self.rfc4514

    def to_dict(self) -> JsonDict:
        """JSON-ready form: the RFC 4514 string and each attribute."""
        return {
            "rfc4514": self.rfc4514,
            "attributes": [{"oid": o, "name": n, "value": v} for o, n, v in self.attributes],
        }


#: Short attribute names :meth:`DistinguishedName.get` accepts, and the registry name each stands for.
_ALIASES: Final = {
    "CN": "commonName",
    "O": "organizationName",
    "OU": "organizationalUnitName",
    "L": "localityName",
    "ST": "stateOrProvinceName",
    "C": "countryName",
    "E": "emailAddress",
    "EMAIL": "emailAddress",
    "DC": "domainComponent",
    "UID": "userId",
    "SERIALNUMBER": "serialNumber",
}
#: The RFC 4514 short names (section 3) cryptography writes; other attributes appear as dotted OIDs.
_SHORT: Final = {
    oids.COMMON_NAME: "CN",
    oids.ORGANIZATION_NAME: "O",
    oids.ORGANIZATIONAL_UNIT_NAME: "OU",
    oids.LOCALITY_NAME: "L",
    oids.STATE_OR_PROVINCE_NAME: "ST",
    oids.COUNTRY_NAME: "C",
    oids.STREET_ADDRESS: "STREET",
    oids.DOMAIN_COMPONENT: "DC",
    oids.USER_ID: "UID",
}


def _short(dotted: str) -> str:
    return _SHORT.get(dotted, dotted)


def _escape(value: str) -> str:
    out = "".join("\\" + ch if ch in ',+"\\<>;=' else ch for ch in value)
    if out.startswith((" ", "#")):
        out = "\\" + out
    if out.endswith(" ") and len(out) > 1:
        out = out[:-1] + "\\ "
    return out


def _text(value: str | bytes) -> str:
    return value if isinstance(value, str) else value.hex()


def _asn1_text(value: Any) -> str | bytes:
    native = value.native
    if isinstance(native, (str, bytes)):
        return native
    return str(native)
