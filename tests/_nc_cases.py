"""Name constraints as a table of minted chains: the specification of issue 21 ("Verdicts that hold").

Each :class:`NcCase` is a chain (usually root -> intermediate -> leaf, EC keys) whose verdict under
the choices of ``docs/choices.md`` ("Validation choices", section "Name constraints") is written next
to it: ``failures`` is the exact list of ``(code, index)`` a validation must report (0 = the anchor,
the last index = the leaf; empty = valid).  Three tables:

* :func:`build_own`: every name form RFC 5280 4.2.1.10 constrains (dNSName, rfc822Name, iPAddress v4
  and v6, directoryName, URI) permitted and excluded, on the anchor and on an intermediate, inside and
  outside; then the choices the RFC leaves open (leading dots, wildcards, empty constraints, masks,
  quoted mailboxes, case and A-labels, the CN, other name forms, several generations, the budget);
* :func:`build_limbo`: the x509-limbo name-constraint testcases (``limbo/testcases/rfc5280/nc.py``,
  ``webpki/nc.py``, ``cve.py``, the ``pathological`` denial-of-service pair), re-minted here;
* ``tests/_go_nc_table.py``: Go's ``nameConstraintsTests`` (``src/crypto/x509/name_constraints_test.go``).

Names are written ``form:value`` so a row reads like the certificate it stands for:

* ``dns:example.com``, ``email:alice@example.com``, ``uri:https://example.com/``;
* ``ip:10.1.1.1`` (a name) and ``ip:10.0.0.0/8`` (a constraint; the address bytes are kept as
  written, so ``ip:10.10.10.10/16`` is a subtree whose address has host bits set);
* ``dn:CN=foo,O=Org,C=US`` (RFC 4514, most specific first; ``dn:`` alone is the empty name);
* ``other:1.3.6.1.4.1.311.20.2.3=alice@example.com`` (an otherName holding a UTF8String, or NULL
  when nothing follows ``=``), ``rid:1.2.3.4`` (a registeredID);
* ``raw:<hex>``: a complete TLV, for what is not a GeneralName at all.

Everything is encoded by hand (cryptography's builder would refuse an empty dNSName, a malformed
mailbox, U-label bytes or a mask with host bits), so each name is exactly what the row says.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import attrs
from cryptography import x509
from cryptography.x509.oid import NameOID

from caiso_pki import testing
from caiso_pki._forge import raw_extension
from caiso_pki.certificate import Certificate

NC_OID = "2.5.29.30"
SAN_OID = "2.5.29.17"
_NC = x509.ObjectIdentifier(NC_OID)
_SAN = x509.ObjectIdentifier(SAN_OID)


def tlv(tag: int, content: bytes) -> bytes:
    """One DER TLV."""
    size = len(content)
    if size < 0x80:
        return bytes([tag, size]) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(length)]) + length + content


def _oid_body(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    body = [40 * parts[0] + parts[1], *parts[2:]]
    out = b""
    for arc in body:
        chunk = [arc & 0x7F]
        rest = arc >> 7
        while rest:
            chunk.append(0x80 | (rest & 0x7F))
            rest >>= 7
        out += bytes(reversed(chunk))
    return out


def _ip(text: str) -> bytes:
    if "/" not in text:
        return ipaddress.ip_address(text).packed
    address, prefix = text.split("/")
    packed = ipaddress.ip_address(address).packed
    bits = len(packed) * 8
    mask = ((1 << bits) - 1) ^ ((1 << (bits - int(prefix))) - 1)
    return packed + mask.to_bytes(len(packed), "big")


def general_name(spec: str) -> bytes:
    """The DER of one GeneralName written ``form:value`` (see the module docstring)."""
    form, _, value = spec.partition(":")
    if form == "dns":
        return tlv(0x82, value.encode())
    if form == "email":
        return tlv(0x81, value.encode())
    if form == "uri":
        return tlv(0x86, value.encode())
    if form == "ip":
        return tlv(0x87, _ip(value))
    if form == "dn":
        return tlv(0xA4, x509.Name.from_rfc4514_string(value).public_bytes() if value else b"\x30\x00")
    if form == "other":
        oid, _, text = value.partition("=")
        inner = tlv(0x0C, text.encode()) if text else b"\x05\x00"
        return tlv(0xA0, tlv(0x06, _oid_body(oid)) + tlv(0xA0, inner))
    if form == "rid":
        return tlv(0x88, _oid_body(value))
    if form == "raw":
        return bytes.fromhex(value)
    raise ValueError(f"unknown name form in {spec!r}")


def general_names(specs: Iterable[str]) -> bytes:
    """GeneralNames (a subjectAltName value)."""
    return tlv(0x30, b"".join(general_name(spec) for spec in specs))


def name_constraints(permitted: Sequence[str] = (), excluded: Sequence[str] = ()) -> bytes:
    """A NameConstraints value; an empty sequence of either kind is left out."""

    def subtrees(tag: int, specs: Sequence[str]) -> bytes:
        if not specs:
            return b""
        return tlv(tag, b"".join(tlv(0x30, general_name(spec)) for spec in specs))

    return tlv(0x30, subtrees(0xA0, permitted) + subtrees(0xA1, excluded))


def nc_extension(der: bytes, *, critical: bool = True) -> tuple[x509.ExtensionType, bool]:
    return (x509.UnrecognizedExtension(_NC, der), critical)


def subject(rfc4514: str) -> x509.Name:
    return x509.Name.from_rfc4514_string(rfc4514)


def with_name_constraints(der: bytes | None, *, critical: bool = True) -> Callable[[Any], None]:
    """A TBS edit that replaces the nameConstraints extension with ``der`` (removes it for None)."""
    from asn1crypto import x509 as asn1_x509

    def edit(tbs: Any) -> None:
        kept = [e for e in tbs["extensions"] if e["extn_id"].dotted != NC_OID]
        if der is not None:
            kept.append(raw_extension(NC_OID, der, critical=critical))
        tbs["extensions"] = asn1_x509.Extensions(kept)

    return edit


class Mint:
    """One demo PKI (EC keys) and helpers that mint anchors, CAs and leaves carrying names."""

    def __init__(self) -> None:
        self.pki = testing.DemoPki.create(key_spec="ec-p256")
        self.root = self.pki.root
        self.at = self.pki.now + dt.timedelta(minutes=1)
        self.plain = self.root.issue_intermediate("Demo NC Plain CA", key_spec="ec-p256")
        self._count = 0

    def _name(self, prefix: str) -> str:
        self._count += 1
        return f"{prefix} {self._count}"

    def anchor(self, der: bytes | None, *, critical: bool = True) -> Certificate:
        """The root re-signed by itself with a nameConstraints extension holding ``der``."""
        return self.root.resign(self.root.certificate, with_name_constraints(der, critical=critical))

    def ca(
        self,
        parent: testing.CertificateAuthority | None = None,
        der: bytes | None = None,
        *,
        critical: bool = True,
        sans: Sequence[str] | None = None,
        common_name: str | None = None,
        organization: str | None = None,
    ) -> testing.CertificateAuthority:
        """A CA under ``parent`` (default the root) with nameConstraints ``der`` (and a SAN)."""
        parent = parent or self.root
        extra: list[tuple[x509.ExtensionType, bool]] = []
        if der is not None:
            extra.append(nc_extension(der, critical=critical))
        if sans is not None:
            extra.append((x509.UnrecognizedExtension(_SAN, general_names(sans)), False))
        return parent.issue_intermediate(
            common_name or self._name("Demo NC CA"),
            key_spec="ec-p256",
            organization=organization,
            extra_extensions=extra,
        )

    def variant(
        self, parent: testing.CertificateAuthority, ca: testing.CertificateAuthority, der: bytes | None
    ) -> Certificate:
        """``ca``'s certificate re-signed by ``parent`` with other nameConstraints (same key and subject)."""
        return parent.resign(ca.certificate, with_name_constraints(der))

    def leaf(
        self,
        ca: testing.CertificateAuthority,
        sans: Sequence[str] | None = (),
        *,
        common_name: str = "Demo NC Leaf",
        subject_name: x509.Name | str | None = None,
        kind: Any = "rig",
        san_der: bytes | None = None,
        eku: Sequence[str] | None = None,
        san_critical: bool = False,
        extra: Sequence[tuple[x509.ExtensionType, bool]] = (),
    ) -> Certificate:
        """A leaf of ``ca`` whose subjectAltName holds exactly ``sans`` (none when ``sans`` is None)."""
        extra = list(extra)
        if san_der is not None:
            extra.append((x509.UnrecognizedExtension(_SAN, san_der), san_critical))
        elif sans is not None and len(sans) > 0:
            extra.append((x509.UnrecognizedExtension(_SAN, general_names(sans)), san_critical))
        return ca.issue(
            kind,
            common_name,
            dns_names=[],
            subject=subject_name,
            extra_extensions=extra,
            extended_key_usage=eku,
            reuse_key=True,
        ).certificate


def go_subject(cn: str) -> x509.Name:
    """Go's test leaf subject: OU=Leaf and, when given, CN."""
    attributes = [x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "Leaf")]
    if cn:
        attributes.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attributes)


# -- the case ------------------------------------------------------------------------------------------


@attrs.frozen
class NcCase:
    """A chain, the profile to validate it in, and the exact failures our choices give it.

    ``origin`` names the peer's test the row comes from (``Go: <name>``, ``limbo: <id>``); when our
    documented choice gives another verdict than that peer, ``differs`` says why (docs/choices.md).
    """

    failures: tuple[tuple[str, int], ...]
    leaf: Certificate
    chain: tuple[Certificate, ...]
    trust: tuple[Certificate, ...]
    at: dt.datetime
    profile: str = "rfc5280"
    origin: str = ""
    differs: str | None = None

    @property
    def valid(self) -> bool:
        return not self.failures


Table = dict[str, NcCase]
REFUSED = "name-constraints"
BUDGET = "name-constraints-budget"


class Cases:
    """A table being filled: each ``add`` is one row (names unique, failures as tuples)."""

    def __init__(self, mint: Mint) -> None:
        self.mint = mint
        self.table: Table = {}

    def add(
        self,
        name: str,
        failures: Iterable[tuple[str, int]],
        leaf: Certificate,
        chain: Sequence[Certificate],
        trust: Sequence[Certificate],
        **kw: Any,
    ) -> None:
        assert name not in self.table, f"duplicate case {name}"
        self.table[name] = NcCase(
            failures=tuple(failures), leaf=leaf, chain=tuple(chain), trust=tuple(trust), at=self.mint.at, **kw
        )

    def on_anchor(
        self,
        name: str,
        failures: Iterable[tuple[str, int]],
        *,
        permitted: Sequence[str] = (),
        excluded: Sequence[str] = (),
        sans: Sequence[str] | None = (),
        critical: bool = True,
        der: bytes | None = None,
        profile: str = "rfc5280",
        **leaf_kw: Any,
    ) -> None:
        """root (constrained) -> plain intermediate -> leaf; the leaf is index 2."""
        m = self.mint
        anchor = m.anchor(
            der if der is not None else name_constraints(permitted, excluded), critical=critical
        )
        leaf = m.leaf(m.plain, sans, **leaf_kw)
        self.add(name, failures, leaf, (m.plain.certificate,), (anchor,), profile=profile)

    def on_ca(
        self,
        name: str,
        failures: Iterable[tuple[str, int]],
        *,
        permitted: Sequence[str] = (),
        excluded: Sequence[str] = (),
        sans: Sequence[str] | None = (),
        critical: bool = True,
        der: bytes | None = None,
        profile: str = "rfc5280",
        **leaf_kw: Any,
    ) -> None:
        """root -> intermediate (constrained) -> leaf; the leaf is index 2."""
        m = self.mint
        ca = m.ca(der=der if der is not None else name_constraints(permitted, excluded), critical=critical)
        leaf = m.leaf(ca, sans, **leaf_kw)
        self.add(name, failures, leaf, (ca.certificate,), (m.root.certificate,), profile=profile)


LEAF = 2  # root -> intermediate -> leaf
INSIDE_DN = "CN=Demo NC Leaf,O=Demo Participant,C=US"

#: Per name form: (permitted constraint, a name inside it, a name outside it) and the same for
#: excluded.  A name is a SAN, or for ``dn`` the leaf's subject (written ``subject:``).
FORMS: dict[str, dict[str, tuple[str, str, str]]] = {
    "dns": {
        "permitted": ("dns:example.com", "dns:host.example.com", "dns:host.example.net"),
        "excluded": ("dns:example.com", "dns:host.example.com", "dns:host.example.net"),
    },
    "email": {
        "permitted": ("email:example.com", "email:alice@example.com", "email:alice@example.net"),
        "excluded": ("email:example.com", "email:alice@example.com", "email:alice@example.net"),
    },
    "ipv4": {
        "permitted": ("ip:10.0.0.0/8", "ip:10.1.1.1", "ip:192.168.1.1"),
        "excluded": ("ip:10.0.0.0/8", "ip:10.1.1.1", "ip:192.168.1.1"),
    },
    "ipv6": {
        "permitted": ("ip:2001:db8::/32", "ip:2001:db8:1::1", "ip:2001:db9::1"),
        "excluded": ("ip:2001:db8::/32", "ip:2001:db8:1::1", "ip:2001:db9::1"),
    },
    "uri": {
        "permitted": ("uri:example.com", "uri:https://example.com/path", "uri:https://example.net/path"),
        "excluded": ("uri:example.com", "uri:https://example.com/path", "uri:https://example.net/path"),
    },
    # The intermediates are C=US, O=Demo ...: inside every permitted subtree and no excluded one.
    "dn": {
        "permitted": ("dn:C=US", f"subject:{INSIDE_DN}", "subject:CN=Demo NC Leaf,O=Demo Participant,C=CA"),
        "excluded": (
            "dn:O=Blocked Org,C=US",
            "subject:CN=Demo NC Leaf,O=Blocked Org,C=US",
            f"subject:{INSIDE_DN}",
        ),
    },
}


def _leaf_name(name: str) -> dict[str, Any]:
    if name.startswith("subject:"):
        return {"sans": None, "subject_name": subject(name.removeprefix("subject:"))}
    return {"sans": [name]}


def build_own(mint: Mint | None = None) -> Table:
    """Our own table: every form, where and kind, then each choice the RFC leaves open."""
    cases = Cases(mint or Mint())
    m = cases.mint
    on_anchor, on_ca = cases.on_anchor, cases.on_ca
    bad = [(REFUSED, LEAF)]

    # -- every form x permitted/excluded x anchor/intermediate x inside/outside -------------------
    for form, kinds in FORMS.items():
        for kind, (constraint, inside, outside) in kinds.items():
            for where, place in (("anchor", on_anchor), ("intermediate", on_ca)):
                for position, name in (("inside", inside), ("outside", outside)):
                    refused = (kind == "permitted") == (position == "outside")
                    place(
                        f"{form}/{where}/{kind}/{position}",
                        bad if refused else [],
                        **{kind: [constraint]},
                        **_leaf_name(name),
                    )

    # A directoryName constraint applies to every subject below it, the intermediate's too.
    on_anchor(
        "dn/anchor/permitted/refuses-intermediate",
        [(REFUSED, 1)],
        permitted=["dn:O=Demo Participant,C=US"],
        sans=None,
        subject_name=subject(INSIDE_DN),
    )
    on_anchor(
        "dn/anchor/excluded/refuses-intermediate",
        [(REFUSED, 1)],
        excluded=["dn:O=Demo California ISO,C=US"],
        sans=None,
        subject_name=subject(INSIDE_DN),
    )
    # ... compared as RFC 5280 7.1 says: case-insensitive, insignificant spaces, any string type.
    on_ca(
        "dn/intermediate/permitted/case-and-spaces",
        [],
        permitted=["dn:O=DEMO   participant,C=us"],
        sans=None,
        subject_name=subject(INSIDE_DN),
    )
    on_ca(
        "dn/intermediate/excluded/case",
        bad,
        excluded=["dn:O=BLOCKED ORG,C=US"],
        sans=None,
        subject_name=subject("CN=x,O=Blocked Org,C=US"),
    )
    # ... and to directoryName SANs as well as the subject (x509-limbo's subject/SAN mismatch pair).
    on_ca(
        "dn/intermediate/permitted/san-outside",
        bad,
        permitted=["dn:C=US"],
        sans=["dn:CN=elsewhere,C=CA"],
        subject_name=subject(INSIDE_DN),
    )
    on_ca(
        "dn/intermediate/excluded/san-inside",
        bad,
        excluded=["dn:O=Blocked Org,C=US"],
        sans=["dn:CN=x,O=Blocked Org,C=US"],
        subject_name=subject(INSIDE_DN),
    )
    # An empty subject is not a name (its SAN carries the identity; RFC 5280 4.1.2.6).
    on_ca(
        "dn/intermediate/permitted/empty-subject",
        [],
        permitted=["dn:C=US", "dns:example.com"],
        sans=["dns:host.example.com"],
        subject_name=x509.Name([]),
        san_critical=True,
    )

    # -- leading dots ------------------------------------------------------------------------------
    for where, place in (("anchor", on_anchor), ("intermediate", on_ca)):
        place(
            f"leading-dot/{where}/permitted/subdomain",
            [],
            permitted=["dns:.example.com"],
            sans=["dns:foo.example.com"],
        )
        place(
            f"leading-dot/{where}/permitted/deep-subdomain",
            [],
            permitted=["dns:.example.com"],
            sans=["dns:a.b.example.com"],
        )
        place(
            f"leading-dot/{where}/permitted/the-domain-itself",
            bad,
            permitted=["dns:.example.com"],
            sans=["dns:example.com"],
        )
        place(
            f"leading-dot/{where}/permitted/suffix-not-label",
            bad,
            permitted=["dns:.example.com"],
            sans=["dns:badexample.com"],
        )
        # The fail-open of today: an intermediate excluding .example.com let foo.example.com through.
        place(
            f"leading-dot/{where}/excluded/subdomain",
            bad,
            excluded=["dns:.example.com"],
            sans=["dns:foo.example.com"],
        )
        place(
            f"leading-dot/{where}/excluded/the-domain-itself",
            [],
            excluded=["dns:.example.com"],
            sans=["dns:example.com"],
        )
    on_ca(
        "leading-dot/email/permitted/subdomain",
        [],
        permitted=["email:.example.com"],
        sans=["email:alice@mail.example.com"],
    )
    on_ca(
        "leading-dot/email/permitted/the-host-itself",
        bad,
        permitted=["email:.example.com"],
        sans=["email:alice@example.com"],
    )
    on_ca(
        "leading-dot/uri/permitted/subdomain",
        [],
        permitted=["uri:.example.com"],
        sans=["uri:https://www.example.com/"],
    )
    on_ca(
        "leading-dot/uri/permitted/the-host-itself",
        bad,
        permitted=["uri:.example.com"],
        sans=["uri:https://example.com/"],
    )
    on_ca(
        "leading-dot/uri/excluded/subdomain",
        bad,
        excluded=["uri:.example.com"],
        sans=["uri:https://www.example.com/"],
    )

    # -- wildcard SANs ------------------------------------------------------------------------------
    wild = [
        # excluded: refused when the wildcard can stand for an excluded name (any expansion)
        ("excluded/one-subdomain", "excluded", "dns:foo.example.com", "dns:*.example.com", True),
        ("excluded/parent", "excluded", "dns:example.com", "dns:*.example.com", True),
        ("excluded/leading-dot", "excluded", "dns:.example.com", "dns:*.example.com", True),
        ("excluded/inner", "excluded", "dns:foo.example.com", "dns:*.foo.example.com", True),
        ("excluded/far-inner", "excluded", "dns:foo.example.com", "dns:*.bar.foo.example.com", True),
        ("excluded/uppercase-wildcard", "excluded", "dns:sub.example.com", "dns:*.EXAMPLE.COM", True),
        ("excluded/uppercase-constraint", "excluded", "dns:SUB.EXAMPLE.COM", "dns:*.example.com", True),
        ("excluded/far-outer", "excluded", "dns:foo.example.com", "dns:*.com", False),
        ("excluded/cross", "excluded", "dns:foo.example.com", "dns:*.bar.example.com", False),
        ("excluded/deeper-leading-dot", "excluded", "dns:.foo.example.com", "dns:*.example.com", False),
        # Go issue 76935: a single-label exclusion must not catch every wildcard
        ("excluded/single-label", "excluded", "dns:corp", "dns:*.example.com", False),
        # permitted: accepted only when every expansion is inside
        ("permitted/parent", "permitted", "dns:example.com", "dns:*.example.com", False),
        ("permitted/leading-dot", "permitted", "dns:.example.com", "dns:*.example.com", False),
        ("permitted/inner", "permitted", "dns:foo.example.com", "dns:*.foo.example.com", False),
        ("permitted/one-subdomain", "permitted", "dns:foo.example.com", "dns:*.example.com", True),
        ("permitted/far-outer", "permitted", "dns:foo.example.com", "dns:*.com", True),
        ("permitted/cross", "permitted", "dns:foo.example.com", "dns:*.bar.example.com", True),
    ]
    for label, kind, constraint, san, refused in wild:
        on_ca(f"wildcard/{label}", bad if refused else [], **{kind: [constraint]}, sans=[san])
    on_anchor(
        "wildcard/anchor/excluded/one-subdomain",
        bad,
        excluded=["dns:foo.example.com"],
        sans=["dns:*.example.com"],
    )
    on_ca(
        "wildcard/permitted-and-excluded",
        bad,
        permitted=["dns:example.com"],
        excluded=["dns:bar.example.com"],
        sans=["dns:*.example.com"],
    )

    # -- empty constraints: every name of that form ------------------------------------------------
    empties = [
        ("dns", "dns:", "dns:anything.example.org"),
        ("email", "email:", "email:bob@example.org"),
        ("uri", "uri:", "uri:https://example.org/x"),
        ("ipv4", "ip:0.0.0.0/0", "ip:203.0.113.7"),
        ("ipv6", "ip:::/0", "ip:2001:db8::1"),
        ("dn", "dn:", f"subject:{INSIDE_DN}"),
    ]
    for form, constraint, name in empties:
        on_ca(f"empty/{form}/permitted", [], permitted=[constraint], **_leaf_name(name))
        on_ca(f"empty/{form}/excluded", bad, excluded=[constraint], **_leaf_name(name))
    on_anchor("empty/dn/anchor/excluded", [(REFUSED, 1)], excluded=["dn:"], sans=None)
    on_anchor("empty/dns/anchor/permitted", [], permitted=["dns:"], sans=["dns:anything.example.org"])
    on_anchor("empty/dns/anchor/excluded", bad, excluded=["dns:"], sans=["dns:anything.example.org"])
    # ... but a URI without a host is still refused under any URI constraint
    on_ca("empty/uri/permitted/no-host", bad, permitted=["uri:"], sans=["uri:urn:example:thing"])

    # -- iPAddress masks and families ------------------------------------------------------------------
    masks = [
        ("v4/0", "ip:0.0.0.0/0", "ip:203.0.113.7", False),
        ("v4/8/inside", "ip:10.0.0.0/8", "ip:10.255.255.255", False),
        ("v4/8/outside", "ip:10.0.0.0/8", "ip:11.0.0.0", True),
        ("v4/24/inside", "ip:192.0.2.0/24", "ip:192.0.2.255", False),
        ("v4/24/outside", "ip:192.0.2.0/24", "ip:192.0.3.0", True),
        ("v4/32/inside", "ip:192.0.2.7/32", "ip:192.0.2.7", False),
        ("v4/32/outside", "ip:192.0.2.7/32", "ip:192.0.2.8", True),
        ("v6/0", "ip:::/0", "ip:2001:db8::1", False),
        ("v6/64/inside", "ip:2001:db8:0:1::/64", "ip:2001:db8:0:1:ffff::5", False),
        ("v6/64/outside", "ip:2001:db8:0:1::/64", "ip:2001:db8:0:2::5", True),
        ("v6/128/inside", "ip:2001:db8::7/128", "ip:2001:db8::7", False),
        ("v6/128/outside", "ip:2001:db8::7/128", "ip:2001:db8::8", True),
        # a v4 name is never inside a v6 subtree, nor a v6 name (v4-mapped included) in a v4 one
        ("v4-name/v6-subtree", "ip:::/0", "ip:10.0.0.1", True),
        ("v6-name/v4-subtree", "ip:0.0.0.0/0", "ip:2001:db8::1", True),
        ("v4-mapped-name/v4-subtree", "ip:10.0.0.0/8", "ip:::ffff:10.0.0.1", True),
    ]
    for label, constraint, name, refused in masks:
        on_ca(f"ip/permitted/{label}", bad if refused else [], permitted=[constraint], sans=[name])
    on_ca("ip/excluded/v4/32", bad, excluded=["ip:192.0.2.7/32"], sans=["ip:192.0.2.7"])
    on_ca("ip/excluded/v6/64", bad, excluded=["ip:2001:db8:0:1::/64"], sans=["ip:2001:db8:0:1::5"])
    on_ca(
        "ip/excluded/v6-subtree-spares-v4",
        [],
        permitted=["ip:1.2.3.0/24"],
        excluded=["ip:::/0"],
        sans=["ip:1.2.3.4"],
    )
    # Host bits in a subtree's address: cryptography cannot decode the extension (malformed-extension
    # on the CA); the subtree still means its masked network (Go's TestNameConstraintIPNonZeroHostBits)
    undecodable = ("malformed-extension", 1)
    on_ca(
        "ip/excluded/host-bits-in-subtree",
        [(REFUSED, LEAF), undecodable],
        excluded=["ip:10.0.0.0/30", "ip:10.10.10.10/16"],
        sans=["ip:10.10.0.1"],
    )
    on_ca(
        "ip/permitted/host-bits-in-subtree",
        [undecodable],
        permitted=["ip:10.10.10.10/16"],
        sans=["ip:10.10.200.1"],
    )
    # an iPAddress SAN that is not 4 or 16 octets (here an address and a mask) is refused
    on_ca("ip/permitted/malformed-name", bad, permitted=["ip:192.0.2.0/24"], sans=["ip:192.0.2.0/24"])

    # -- rfc822Name --------------------------------------------------------------------------------------
    on_ca("email/mailbox/exact", [], permitted=["email:alice@example.com"], sans=["email:alice@example.com"])
    on_ca(
        "email/mailbox/other-local-part",
        bad,
        permitted=["email:alice@example.com"],
        sans=["email:bob@example.com"],
    )
    on_ca(
        "email/mailbox/local-part-case",
        bad,
        permitted=["email:alice@example.com"],
        sans=["email:Alice@example.com"],
    )
    on_ca(
        "email/mailbox/domain-case",
        [],
        permitted=["email:alice@EXAMPLE.com"],
        sans=["email:alice@example.COM"],
    )
    on_ca(
        "email/host/subdomain-not-the-host",
        bad,
        permitted=["email:example.com"],
        sans=["email:alice@mail.example.com"],
    )
    on_ca("email/host/domain-case", [], permitted=["email:Example.COM"], sans=["email:alice@EXAMPLE.com"])
    # an excluded host is that host only, as RFC 5280 says (NIST PKITS 4.13.25 requires it)
    on_ca(
        "email/host/excluded-subdomain",
        [],
        excluded=["email:example.com"],
        sans=["email:alice@mail.example.com"],
    )
    # quoted local parts are canonicalised before comparing (RFC 5321 4.1.2)
    on_ca(
        "email/quoted/permitted",
        [],
        permitted=["email:alice@example.com"],
        sans=['email:"alice"@example.com'],
    )
    on_ca(
        "email/quoted/escaped-permitted",
        [],
        permitted=["email:alice@example.com"],
        sans=['email:"\\a\\l\\i\\c\\e"@example.com'],
    )
    on_ca(
        "email/quoted/excluded", bad, excluded=["email:alice@example.com"], sans=['email:"alice"@example.com']
    )
    on_ca(
        "email/quoted/other-mailbox",
        bad,
        permitted=["email:alice@example.com"],
        sans=['email:"alice bob"@example.com'],
    )
    # a SAN that is not a mailbox is refused wherever a constraint is in force
    for label, value in (
        ("two-ats", "alice@bob@example.com"),
        ("no-at", "alice.example.com"),
        ("empty-local", "@example.com"),
        ("empty-domain", "alice@"),
        ("space", "this @ is invalid"),
        ("unterminated-quote", '"alice@example.com'),
    ):
        on_ca(f"email/invalid-mailbox/{label}", bad, permitted=["email:example.com"], sans=[f"email:{value}"])
    on_ca(
        "email/invalid-mailbox/under-dns-constraint",
        bad,
        permitted=["dns:example.com"],
        sans=["dns:host.example.com", "email:this @ is invalid"],
    )

    # emailAddress in the subject is an rfc822Name for rfc822Name constraints (RFC 5280 4.2.1.10)
    def with_email(address: str) -> x509.Name:
        return x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Demo Participant"),
                x509.NameAttribute(NameOID.COMMON_NAME, "Demo NC Leaf"),
                x509.NameAttribute(NameOID.EMAIL_ADDRESS, address),
            ]
        )

    on_ca(
        "email/subject-email/no-san/inside",
        [],
        permitted=["email:example.com"],
        sans=None,
        subject_name=with_email("alice@example.com"),
    )
    on_ca(
        "email/subject-email/no-san/outside",
        bad,
        permitted=["email:example.com"],
        sans=None,
        subject_name=with_email("alice@example.net"),
    )
    on_ca(
        "email/subject-email/with-san/outside",
        bad,
        permitted=["email:example.com"],
        sans=["email:alice@example.com"],
        subject_name=with_email("alice@example.net"),
    )

    # -- URI ------------------------------------------------------------------------------------------------
    uris = [
        ("port", "https://example.com:8443/x", False),
        ("userinfo", "https://user:secret@example.com/x", False),
        ("query-fragment", "https://example.com?q=1#top", False),
        ("host-case", "HTTPS://EXAMPLE.COM/X", False),
        ("subdomain", "https://www.example.com/", True),
        ("no-authority", "urn:example:thing", True),
        ("mailto", "mailto:alice@example.com", True),
        ("empty-host", "file:///etc/hosts", True),
        ("ipv4-literal", "https://192.0.2.1/", True),
        ("ipv6-literal", "https://[2001:db8::1]:443/", True),
        ("userinfo-trick", "https://example.com@evil.example.net/", True),
    ]
    for label, uri, refused in uris:
        on_ca(
            f"uri/permitted/{label}",
            bad if refused else [],
            permitted=["uri:example.com"],
            sans=[f"uri:{uri}"],
        )
    # an excluded host is that host only (NIST PKITS 4.13.36 requires it)
    on_ca("uri/excluded/subdomain", [], excluded=["uri:example.com"], sans=["uri:https://www.example.com/"])
    on_ca("uri/excluded/other-host", [], excluded=["uri:example.com"], sans=["uri:https://example.net/"])

    # -- one form's constraint does not apply to another form -------------------------------------------
    isolation = [
        ("dns-permits-ip-name", {"permitted": ["dns:example.com"]}, ["ip:10.1.1.1"]),
        ("ip-permits-dns-name", {"permitted": ["ip:10.0.0.0/8"]}, ["dns:host.example.net"]),
        ("ip-excludes-dns-name", {"excluded": ["ip:192.0.2.0/24"]}, ["dns:host.example.net"]),
        ("email-permits-dns-name", {"permitted": ["email:example.com"]}, ["dns:host.example.net"]),
        ("uri-permits-dns-name", {"permitted": ["uri:example.com"]}, ["dns:host.example.net"]),
        ("dns-permits-uri-name", {"permitted": ["dns:example.com"]}, ["uri:https://example.net/"]),
        ("dns-permits-email-name", {"permitted": ["dns:example.com"]}, ["email:alice@example.net"]),
    ]
    for label, constraints, sans in isolation:
        on_ca(f"other-form/{label}", [], sans=sans, **constraints)
    upn = "1.3.6.1.4.1.311.20.2.3"
    on_ca(
        "other-form/othername-constraint/no-othername",
        [],
        permitted=[f"other:{upn}=example.com"],
        sans=["dns:host.example.net"],
    )
    on_ca(
        "other-form/othername-constraint/othername-san",
        bad,
        permitted=[f"other:{upn}=example.com"],
        sans=[f"other:{upn}=alice@example.com"],
    )
    on_ca(
        "other-form/othername-excluded/othername-san",
        bad,
        excluded=[f"other:{upn}=example.com"],
        sans=["dns:host.example.com", f"other:{upn}=alice@example.net"],
    )
    on_ca(
        "other-form/registeredid-constraint/no-registeredid",
        [],
        excluded=["rid:1.2.3.4"],
        sans=["dns:host.example.net"],
    )
    on_ca(
        "other-form/registeredid-constraint/registeredid-san",
        bad,
        permitted=["rid:1.2.3.4"],
        sans=["rid:1.2.3.4"],
    )

    # -- the CN when there is no SAN -------------------------------------------------------------------
    on_anchor(
        "cn/rfc5280/no-san/hostname-outside",
        [],
        permitted=["dns:example.com"],
        sans=None,
        common_name="evil.example.net",
    )
    on_anchor(
        "cn/rfc5280/with-san/cn-outside",
        [],
        permitted=["dns:example.com"],
        sans=["dns:www.example.com"],
        common_name="evil.example.net",
    )
    cn_rule = ("webpki-cn-not-in-san", LEAF)
    on_anchor(
        "cn/webpki/no-san/hostname-outside",
        [(REFUSED, LEAF), cn_rule],
        permitted=["dns:example.com"],
        sans=None,
        common_name="evil.example.net",
        kind="server",
        profile="webpki",
    )
    on_anchor(
        "cn/webpki/no-san/hostname-inside",
        [cn_rule],
        permitted=["dns:example.com"],
        sans=None,
        common_name="www.example.com",
        kind="server",
        profile="webpki",
    )
    on_anchor(
        "cn/webpki/no-san/hostname-excluded",
        [(REFUSED, LEAF), cn_rule],
        excluded=["dns:example.com"],
        sans=None,
        common_name="www.example.com",
        kind="server",
        profile="webpki",
    )
    on_anchor(
        "cn/webpki/no-san/not-a-hostname",
        [cn_rule],
        permitted=["dns:example.com"],
        sans=None,
        common_name="Demo Participant Server",
        kind="server",
        profile="webpki",
    )

    # -- case and IDNA ------------------------------------------------------------------------------------
    on_ca("case/constraint-upper", [], permitted=["dns:EXAMPLE.com"], sans=["dns:host.example.com"])
    on_ca("case/name-upper", [], permitted=["dns:example.com"], sans=["dns:HOST.EXAMPLE.COM"])
    on_ca("case/excluded-mixed", bad, excluded=["dns:Example.COM"], sans=["dns:host.example.com"])
    on_ca(
        "idna/a-label/inside",
        [],
        permitted=["dns:xn--bcher-kva.example"],
        sans=["dns:shop.xn--bcher-kva.example"],
    )
    on_ca(
        "idna/a-label/outside",
        bad,
        permitted=["dns:xn--bcher-kva.example"],
        sans=["dns:shop.xn--bcher-kvb.example"],
    )
    on_ca(
        "idna/a-label/excluded",
        bad,
        excluded=["dns:xn--bcher-kva.example"],
        sans=["dns:XN--BCHER-KVA.example"],
    )
    # a U-label (raw UTF-8) is not a dNSName: invalid-dns-name, and refused under the constraint
    on_ca(
        "idna/u-label-name",
        [(REFUSED, LEAF), ("invalid-dns-name", LEAF)],
        permitted=["dns:xn--bcher-kva.example"],
        sans=["dns:bücher.example"],
    )

    # -- several generations: the constraints intersect --------------------------------------------------
    def two_levels(
        name: str,
        failures: list[tuple[str, int]],
        anchor: dict[str, list[str]],
        ca: dict[str, list[str]],
        sans: list[str],
    ) -> None:
        constrained = m.anchor(name_constraints(**anchor))
        middle = m.ca(der=name_constraints(**ca))
        cases.add(name, failures, m.leaf(middle, sans), (middle.certificate,), (constrained,))

    two_levels(
        "generations/narrowed/inside",
        [],
        {"permitted": ["dns:example.com"]},
        {"permitted": ["dns:sub.example.com"]},
        ["dns:a.sub.example.com"],
    )
    two_levels(
        "generations/narrowed/outside-intermediate",
        bad,
        {"permitted": ["dns:example.com"]},
        {"permitted": ["dns:sub.example.com"]},
        ["dns:other.example.com"],
    )
    two_levels(
        "generations/widened-by-intermediate",
        bad,
        {"permitted": ["dns:example.com"]},
        {"permitted": ["dns:example.com", "dns:example.net"]},
        ["dns:host.example.net"],
    )
    two_levels(
        "generations/anchor-excludes-what-intermediate-permits",
        bad,
        {"excluded": ["dns:bad.example.com"]},
        {"permitted": ["dns:example.com"]},
        ["dns:bad.example.com"],
    )
    two_levels(
        "generations/both-allow",
        [],
        {"excluded": ["dns:bad.example.com"]},
        {"permitted": ["dns:example.com"]},
        ["dns:good.example.com"],
    )
    two_levels(
        "generations/ip-then-dns",
        [],
        {"permitted": ["ip:10.0.0.0/8"]},
        {"permitted": ["dns:example.com"]},
        ["dns:host.example.com", "ip:10.2.3.4"],
    )
    two_levels(
        "generations/ip-then-dns/ip-outside",
        bad,
        {"permitted": ["ip:10.0.0.0/8"]},
        {"permitted": ["dns:example.com"]},
        ["dns:host.example.com", "ip:11.2.3.4"],
    )
    # an intermediate's own SAN is a name below the anchor's constraints (index 1)
    outer = m.anchor(name_constraints(permitted=["dns:example.com"]))
    named = m.ca(sans=["dns:ca.example.net"])
    cases.add(
        "generations/intermediate-san-outside",
        [(REFUSED, 1)],
        m.leaf(named, ["dns:host.example.com"]),
        (named.certificate,),
        (outer,),
    )
    # three levels: root -> CA1 (example.com) -> CA2 (a.example.com) -> leaf b.example.com, index 3
    ca1 = m.ca(der=name_constraints(permitted=["dns:example.com"]))
    ca2 = m.ca(ca1, der=name_constraints(permitted=["dns:a.example.com"]))
    cases.add(
        "generations/three-levels/outside",
        [(REFUSED, 3)],
        m.leaf(ca2, ["dns:b.example.com"]),
        (ca2.certificate, ca1.certificate),
        (m.root.certificate,),
    )
    cases.add(
        "generations/three-levels/inside",
        [],
        m.leaf(ca2, ["dns:x.a.example.com"]),
        (ca2.certificate, ca1.certificate),
        (m.root.certificate,),
    )
    # a self-issued intermediate is not held to the constraints above it (RFC 5280 6.1.4 (b))
    self_issued = m.root.issue_intermediate(
        "Demo CAISO Root CA",
        organization="Demo California ISO",
        key_spec="ec-p256",
        extra_extensions=[
            (
                x509.UnrecognizedExtension(
                    x509.ObjectIdentifier(SAN_OID), general_names(["dns:not-example.net"])
                ),
                False,
            )
        ],
    )
    cases.add(
        "generations/self-issued-intermediate",
        [],
        m.leaf(self_issued, ["dns:host.example.com"]),
        (self_issued.certificate,),
        (outer,),
    )

    # -- criticality ----------------------------------------------------------------------------------------
    on_ca(
        "criticality/rfc5280/non-critical",
        [("name-constraints-not-critical", 1)],
        critical=False,
        permitted=["dns:example.com"],
        sans=["dns:host.example.com"],
    )
    on_ca(
        "criticality/rfc5280/non-critical-outside",
        [(REFUSED, LEAF), ("name-constraints-not-critical", 1)],
        critical=False,
        permitted=["dns:example.com"],
        sans=["dns:host.example.net"],
    )
    # CABF BR 7.1.2.5.2 allows a non-critical nameConstraints; it is enforced all the same
    on_ca(
        "criticality/webpki/non-critical",
        [],
        critical=False,
        permitted=["dns:example.com"],
        sans=["dns:host.example.com"],
        kind="server",
        common_name="host.example.com",
        profile="webpki",
    )
    on_ca(
        "criticality/webpki/non-critical-outside",
        [(REFUSED, LEAF)],
        critical=False,
        permitted=["dns:example.com"],
        sans=["dns:host.example.net"],
        kind="server",
        common_name="host.example.net",
        profile="webpki",
    )
    # minimum/maximum present: malformed-name-constraints, and a name of that form below is refused
    # (RFC 5280 4.2.1.10: "MUST either process these fields or reject the certificate")
    with_max = tlv(0x30, tlv(0xA0, tlv(0x30, general_name("dns:example.com") + tlv(0x81, b"\x01"))))
    on_ca(
        "malformed/maximum-present",
        [(REFUSED, LEAF), ("malformed-name-constraints", 1)],
        der=with_max,
        sans=["dns:host.example.com"],
    )
    # a non-contiguous mask is malformed; names of other forms are still judged by the rest
    odd_mask = name_constraints(permitted=["raw:8708c0a80000ff00ff00", "dns:example.com"])
    on_ca(
        "malformed/non-contiguous-mask",
        [("malformed-name-constraints", 1)],
        der=odd_mask,
        sans=["dns:host.example.com"],
    )

    # -- the budget -----------------------------------------------------------------------------------
    # names x subtrees, counted before matching: 2**20 = 1,048,576 per path (docs/choices.md)
    hosts = [f"dns:h{i}.example.com" for i in range(1000)]
    under = m.ca(der=name_constraints(permitted=hosts))
    cases.add("budget/just-under", [], m.leaf(under, hosts), (under.certificate,), (m.root.certificate,))
    over = m.ca(der=name_constraints(excluded=[f"dns:x{i}.invalid" for i in range(1100)]))
    cases.add("budget/over", [(BUDGET, 1)], m.leaf(over, hosts), (over.certificate,), (m.root.certificate,))
    return cases.table


# -- x509-limbo ---------------------------------------------------------------------------------------

LEADING_DOT_DIFFERS = (
    "limbo reads a leading-dot dNSName constraint as malformed (RFC 5280 defines the leading dot for "
    "URI and email constraints only); we accept it with subdomain-only meaning, as Go, BoringSSL, "
    "rustls-webpki, NSS and SChannel do, because deployed roots (HARICA) and Mozilla-imposed constraints "
    "use it"
)


def build_limbo(mint: Mint | None = None) -> Table:
    """x509-limbo's name-constraint testcases, re-minted (ids as limbo names them, profile as it runs them).

    Sources: ``limbo/testcases/rfc5280/nc.py``, ``limbo/testcases/webpki/nc.py``; ``cve::cve-2025-61727``
    and ``rfc5280::nc::nc-forbids-dnsname-wildcard-san`` minted from their descriptions (an excluded
    subdomain must exclude a covering wildcard SAN), and the ``pathological::nc-dos`` pair minted from
    its description (2048 constraints against 2048 names).
    """
    cases = Cases(mint or Mint())
    m = cases.mint
    root = m.root

    def direct(
        name: str,
        failures: list[tuple[str, int]],
        anchor_nc: bytes | None,
        sans: Sequence[str] | None,
        *,
        critical: bool = True,
        profile: str = "rfc5280",
        differs: str | None = None,
        **kw: Any,
    ) -> None:
        """limbo's ``root -> leaf``: the leaf is index 1."""
        anchor = m.anchor(anchor_nc, critical=critical) if anchor_nc is not None else root.certificate
        leaf = m.leaf(root, sans, **kw)
        cases.add(
            f"limbo: {name}",
            failures,
            leaf,
            (),
            (anchor,),
            profile=profile,
            origin=f"limbo: {name}",
            differs=differs,
        )

    def via_ca(
        name: str, failures: list[tuple[str, int]], ca_nc: bytes, sans: Sequence[str], **kw: Any
    ) -> None:
        """limbo's ``root -> ICA -> leaf``: the leaf is index 2."""
        ca = m.ca(der=ca_nc)
        cases.add(
            f"limbo: {name}",
            failures,
            m.leaf(ca, sans, **kw),
            (ca.certificate,),
            (root.certificate,),
            origin=f"limbo: {name}",
        )

    nc = name_constraints
    p = "rfc5280::nc::"
    direct(p + "permitted-dns-mismatch", [(REFUSED, 1)], nc(["dns:example.com"]), ["dns:not-example.com"])
    via_ca(p + "excluded-dns-match", [(REFUSED, 2)], nc(excluded=["dns:example.com"]), ["dns:example.com"])
    direct(p + "permitted-dns-match", [], nc(["dns:example.com"]), ["dns:example.com"])
    direct(
        p + "permitted-dns-match-noncritical",
        [("name-constraints-not-critical", 0)],
        nc(["dns:example.com"]),
        ["dns:example.com"],
        critical=False,
    )
    direct(p + "permitted-dns-match-more", [], nc(["dns:example.com"]), ["dns:foo.bar.example.com"])
    direct(
        p + "excluded-dns-match-second",
        [(REFUSED, 1)],
        nc(excluded=["dns:not-allowed.example.com"]),
        ["dns:example.com", "dns:not-allowed.example.com"],
    )
    direct(p + "permitted-ip-mismatch", [(REFUSED, 1)], nc(["ip:192.0.2.0/24"]), ["ip:192.0.3.1"])
    direct(p + "excluded-ipv4-match", [(REFUSED, 1)], nc(excluded=["ip:192.0.2.0/24"]), ["ip:192.0.2.1"])
    direct(p + "excluded-ipv6-match", [(REFUSED, 1)], nc(excluded=["ip:::1/128"]), ["ip:::1"])
    direct(p + "permitted-ipv4-match", [], nc(["ip:192.0.2.0/24"]), ["ip:192.0.2.1"])
    direct(p + "permitted-ipv6-match", [], nc(["ip:::1/128"]), ["ip:::1"])
    direct(
        p + "permitted-dn-mismatch",
        [(REFUSED, 1)],
        nc(["dn:CN=foo"]),
        ["dn:CN=not-foo"],
        subject_name=subject("CN=not-foo"),
    )
    direct(
        p + "excluded-dn-match",
        [(REFUSED, 1)],
        nc(excluded=["dn:CN=foo"]),
        ["dn:CN=foo"],
        subject_name=subject("CN=foo"),
    )
    direct(p + "permitted-dn-match", [], nc(["dn:CN=foo"]), ["dn:CN=foo"], subject_name=subject("CN=foo"))
    direct(
        p + "permitted-dn-match-subject-san-mismatch",
        [(REFUSED, 1)],
        nc(["dn:CN=foo"]),
        ["dn:CN=foo"],
        subject_name=subject("CN=not-foo"),
    )
    direct(
        p + "excluded-dn-match-sub-mismatch",
        [(REFUSED, 1)],
        nc(excluded=["dn:CN=foo"]),
        ["dn:CN=not-foo"],
        subject_name=subject("CN=foo"),
    )
    direct(
        p + "excluded-match-permitted-and-excluded",
        [(REFUSED, 1)],
        nc(["dns:example.com"], ["dns:example.com"]),
        ["dns:example.com"],
    )
    direct(p + "permitted-different-constraint-type", [], nc(["ip:192.0.2.0/24"]), ["dns:example.com"])
    direct(
        p + "excluded-different-constraint-type", [], nc(excluded=["ip:192.0.2.0/24"]), ["dns:example.com"]
    )
    # a wildcard is not a DNS name: the constraint is malformed, and no dNSName can be inside it
    direct(
        p + "invalid-dnsname-wildcard",
        [(REFUSED, 1), ("malformed-name-constraints", 0)],
        nc(["dns:*.example.com"]),
        ["dns:foo.example.com"],
    )
    direct(
        p + "invalid-dnsname-leading-period",
        [],
        nc(["dns:.example.com"]),
        ["dns:foo.example.com"],
        differs=LEADING_DOT_DIFFERS,
    )
    # an iPAddress subtree of 4 or 16 octets (no mask): malformed, and every IP name under it refused
    direct(
        p + "invalid-ipv4-address",
        [(REFUSED, 1), ("malformed-name-constraints", 0)],
        nc(["raw:87047f000001"]),
        ["ip:127.0.0.1"],
    )
    direct(
        p + "invalid-ipv6-address",
        [(REFUSED, 1), ("malformed-name-constraints", 0)],
        nc(["raw:8710" + "00" * 15 + "01"]),
        ["ip:::1"],
    )
    direct(
        p + "invalid-email-address",
        [(REFUSED, 1), ("malformed-name-constraints", 0)],
        nc(["email:invalid@invalid@example.com"]),
        ["email:example@example.com"],
    )
    in_leaf = nc(["dns:example.com"])
    direct(
        p + "not-allowed-in-ee-noncritical",
        [("name-constraints-not-critical", 1), ("name-constraints-in-end-entity", 1)],
        None,
        ["dns:example.com"],
        extra=[nc_extension(in_leaf, critical=False)],
    )
    direct(
        p + "not-allowed-in-ee-critical",
        [("name-constraints-in-end-entity", 1)],
        None,
        ["dns:example.com"],
        extra=[nc_extension(in_leaf)],
    )

    # root -> ICA1 -> ICA2 -> EE: a CA's own SAN is a name below the constraints
    both = nc(["dns:permitted.example.com"], ["dns:forbidden.example.com"])
    ica1 = m.ca(der=both)
    ica2 = m.ca(ica1, sans=["dns:forbidden.example.com"])
    cases.add(
        f"limbo: {p}intermediate-with-san-rejected-by-intermediate-nc",
        [(REFUSED, 2)],
        m.leaf(ica2, ["dns:permitted.example.com"]),
        (ica2.certificate, ica1.certificate),
        (root.certificate,),
        origin=f"limbo: {p}intermediate-with-san-rejected-by-intermediate-nc",
    )
    constrained_root = m.anchor(both)
    ica1 = m.ca()
    ica2 = m.ca(ica1, sans=["dns:forbidden.example.com"])
    cases.add(
        f"limbo: {p}intermediate-with-san-rejected-by-root-nc",
        [(REFUSED, 2)],
        m.leaf(ica2, ["dns:permitted.example.com"]),
        (ica2.certificate, ica1.certificate),
        (constrained_root,),
        origin=f"limbo: {p}intermediate-with-san-rejected-by-root-nc",
    )
    for label, first, second in (
        ("narrows", ["dns:foo.example.com", "dns:bar.example.com"], ["dns:bar.example.com"]),
        ("widens", ["dns:bar.example.com"], ["dns:foo.example.com", "dns:bar.example.com"]),
    ):
        ica1 = m.ca(der=nc(first))
        ica2 = m.ca(ica1, der=nc(second))
        cases.add(
            f"limbo: {p}restrictive-permits-in-intermediates-{label}",
            [(REFUSED, 3)],
            m.leaf(ica2, ["dns:foo.example.com"]),
            (ica2.certificate, ica1.certificate),
            (root.certificate,),
            origin=f"limbo: {p}restrictive-permits-in-intermediates-{label}",
        )
    via_ca(
        p + "nc-permits-invalid-dns-san",
        [(REFUSED, 2), ("invalid-dns-name", 2)],
        nc(["dns:example.com"]),
        ["dns:.example.com", "dns:foo.example.com"],
    )
    via_ca(
        p + "nc-permits-invalid-ip-san",
        [(REFUSED, 2)],
        nc(["ip:192.0.2.0/24"]),
        ["ip:192.0.2.0/24", "ip:192.0.2.1"],
    )
    via_ca(
        p + "nc-permits-invalid-email-san",
        [(REFUSED, 2)],
        nc(["email:example.com"]),
        ["email:good@example.com", "email:alsogood@example.com", "email:invalid@address@example.com"],
    )
    via_ca(p + "nc-permits-email-exact", [], nc(["email:foo@example.com"]), ["email:foo@example.com"])
    via_ca(p + "nc-permits-email-domain", [], nc(["email:example.com"]), ["email:foo@example.com"])
    private = "other:1.3.6.1.4.1.55738.666.3="
    via_ca(
        p + "nc-forbids-othername",
        [(REFUSED, 2)],
        nc(["dns:example.com"], [private]),
        ["dns:example.com", private],
    )
    via_ca(p + "nc-forbids-othername-noop", [], nc(["dns:example.com"], [private]), ["dns:example.com"])
    # the one wildcard pair limbo carries: an excluded subdomain excludes a wildcard covering it
    via_ca(
        p + "nc-forbids-dnsname-wildcard-san",
        [(REFUSED, 2)],
        nc(["dns:example.com"], ["dns:bar.example.com"]),
        ["dns:*.example.com"],
    )
    via_ca(
        "cve::cve-2025-61727", [(REFUSED, 2)], nc(excluded=["dns:test.example.com"]), ["dns:*.example.com"]
    )

    # path building must get past a constrained dead end (limbo's two graph cases)
    a_ica = m.ca(der=both, common_name="Demo NC ICA A")
    shared = m.ca(a_ica, common_name="an-intermediate")  # ICA_B'' (no SAN) under ICA_A
    discarded = m.pki.entrust_root
    dead_end = discarded.resign(shared.certificate, _reissue(discarded, sans=["dns:forbidden.example.com"]))
    cases.add(
        f"limbo: {p}nc-forbids-alternate-chain-ica",
        [],
        m.leaf(shared, ["dns:permitted.example.com"], subject_name=subject("CN=permitted.example.com")),
        (a_ica.certificate, dead_end, shared.certificate),
        (root.certificate,),
        origin=f"limbo: {p}nc-forbids-alternate-chain-ica",
    )
    forbidding = m.ca(der=nc(excluded=["dns:forbidden.example.com"]), common_name="Demo NC ICA A2")
    root_b = m.pki.entrust_root
    unconstrained = m.ca(root_b, sans=["dns:unconstrained-ica.example.com"], common_name="an-intermediate 2")
    refused_copy = forbidding.resign(
        unconstrained.certificate, _reissue(forbidding, sans=["dns:forbidden.example.com"])
    )
    cases.add(
        f"limbo: {p}nc-forbids-same-chain-ica",
        [],
        m.leaf(
            unconstrained,
            ["dns:unconstrained.example.com"],
            subject_name=subject("CN=unconstrained.example.com"),
        ),
        (forbidding.certificate, refused_copy, unconstrained.certificate),
        (root.certificate, root_b.certificate),
        origin=f"limbo: {p}nc-forbids-same-chain-ica",
    )

    # webpki::nc
    w = "webpki::nc::"
    direct(
        w + "permitted-dns-match-noncritical",
        [],
        nc(["dns:example.com"]),
        ["dns:example.com"],
        critical=False,
        profile="webpki",
        kind="server",
        common_name="example.com",
    )
    for label, der in (
        ("both-null", tlv(0x30, b"")),
        ("both-empty-sequences", tlv(0x30, tlv(0xA0, b"") + tlv(0xA1, b""))),
    ):
        ca = m.ca(der=der)
        leaf = m.leaf(ca, ["dns:example.com"], kind="server", common_name="example.com")
        cases.add(
            f"limbo: {w}intermediate-permitted-excluded-subtrees-{label}",
            [("malformed-name-constraints", 1)],
            leaf,
            (ca.certificate,),
            (root.certificate,),
            profile="webpki",
            origin=f"limbo: {w}intermediate-permitted-excluded-subtrees-{label}",
        )

    # pathological::nc-dos-*: 2048 subtrees against 2048 names (4,194,304 > 2**20)
    names = [f"dns:n{i}.example.com" for i in range(2048)]
    for label, der in (
        ("permitted", nc(names)),
        ("excluded", nc(excluded=[f"dns:x{i}.invalid" for i in range(2048)])),
    ):
        ca = m.ca(der=der)
        cases.add(
            f"limbo: pathological::nc-dos ({label})",
            [(BUDGET, 1)],
            m.leaf(ca, names),
            (ca.certificate,),
            (root.certificate,),
            origin="limbo: pathological::nc-dos-1..3",
        )
    return cases.table


def _reissue(issuer: testing.CertificateAuthority, *, sans: Sequence[str]) -> Callable[[Any], None]:
    """An edit that makes a CA certificate issued by ``issuer`` (issuer name, AKI) with ``sans``."""
    from asn1crypto import x509 as a

    def edit(tbs: Any) -> None:
        tbs["issuer"] = a.Name.load(issuer.certificate.x509.subject.public_bytes())
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()).public_bytes()
        kept = [e for e in tbs["extensions"] if e["extn_id"].dotted not in ("2.5.29.35", SAN_OID)]
        kept.append(raw_extension("2.5.29.35", aki))
        kept.append(raw_extension(SAN_OID, general_names(sans)))
        tbs["extensions"] = a.Extensions(kept)

    return edit
