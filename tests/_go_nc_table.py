"""Go's name-constraint table, ported: ``nameConstraintsTests`` of ``crypto/x509/name_constraints_test.go``.

Each :class:`GoEntry` is one Go row as Go writes it: the roots (several roots share a name and a key,
and differ in their constraints), the levels of intermediates (the certificates of one level share a
name and a key), the leaf's SANs and CN, and Go's ``expectedError`` (valid iff empty).  :func:`build_go`
mints each row as Go's test does (every root and every intermediate offered; path building picks) and
gives it Go's verdict, except for the few rows where our documented choice differs (``DIFFERS``, with
the reason; docs/choices.md says more).

Rows that test extended key usage, not name constraints, are not ported (``SKIPPED``).
Go's ``unknown:`` name is its hand-made SAN ``30 03 09 01 01`` and subtree ``[n] { 30 03 09 01 01 }``:
universal tag 9 (REAL), which is not a GeneralName at all.
"""

from __future__ import annotations

from collections.abc import Sequence

import attrs

from _nc_cases import REFUSED, Mint, NcCase, go_subject, name_constraints, tlv

__all__ = ["DIFFERS", "ENTRIES", "SKIPPED", "GoEntry", "build_go"]


@attrs.frozen
class Spec:
    """Go's ``constraintsSpec`` (without EKUs): permitted (``ok``) and excluded (``bad``) names."""

    ok: tuple[str, ...] = ()
    bad: tuple[str, ...] = ()


def S(ok: Sequence[str] = (), bad: Sequence[str] = ()) -> Spec:
    return Spec(tuple(ok), tuple(bad))


@attrs.frozen
class GoEntry:
    name: str
    roots: tuple[Spec, ...]
    intermediates: tuple[tuple[Spec, ...], ...]
    sans: tuple[str, ...]
    cn: str = ""
    error: str = ""


def E(
    name: str,
    roots: Sequence[Spec],
    intermediates: Sequence[Sequence[Spec]],
    sans: Sequence[str],
    *,
    cn: str = "",
    error: str = "",
) -> GoEntry:
    return GoEntry(name, tuple(roots), tuple(tuple(level) for level in intermediates), tuple(sans), cn, error)


ONE = [[S()]]  # one level with one unconstrained intermediate
FOO = ["dns:foo.com", "dns:.foo.com"]

#: Go's rows, in Go's order (a name Go repeats gets " (2)").
ENTRIES: tuple[GoEntry, ...] = (
    E("certificate generation process", [S()], [], ["dns:example.com"]),
    E("single level of intermediate", [S()], ONE, ["dns:example.com"]),
    E("two levels of intermediates", [S()], [[S()], [S()]], ["dns:example.com"]),
    E("matching DNS constraint in root", [S(["dns:example.com"])], ONE, ["dns:example.com"]),
    E("matching DNS constraint in intermediate", [S()], [[S(["dns:example.com"])]], ["dns:example.com"]),
    E(
        "leading period only matches subdomains",
        [S(["dns:.example.com"])],
        ONE,
        ["dns:example.com"],
        error='"example.com" is not permitted',
    ),
    E("leading period matches subdomains", [S()], [[S(["dns:.example.com"])]], ["dns:foo.example.com"]),
    E(
        "leading period matches multiple levels of subdomains",
        [S(["dns:.example.com"])],
        ONE,
        ["dns:foo.bar.example.com"],
    ),
    E(
        "specifying a permitted list of names does not exclude other name types",
        [S(["dns:.example.com"])],
        ONE,
        ["ip:10.1.1.1"],
    ),
    E(
        "specifying a permitted list of names does not exclude other name types (2)",
        [S(["ip:10.0.0.0/8"])],
        ONE,
        ["dns:example.com"],
    ),
    E(
        "intermediates can try to permit other names, which isn't forbidden if the leaf doesn't mention them",
        [S(["dns:example.com"])],
        [[S(["dns:example.com", "dns:foo.com"])]],
        ["dns:example.com"],
    ),
    E(
        "intermediates cannot add permitted names that the root doesn't grant them",
        [S(["dns:example.com"])],
        [[S(["dns:foo.example.com", "dns:foo.com"])]],
        ["dns:foo.com"],
        error='"foo.com" is not permitted',
    ),
    E(
        "intermediates can further limit their scope if they wish",
        [S(["dns:.example.com"])],
        [[S(["dns:.bar.example.com"])]],
        ["dns:foo.bar.example.com"],
    ),
    E(
        "intermediates can further limit their scope and that limitation is effective",
        [S(["dns:.example.com"])],
        [[S(["dns:.bar.example.com"])]],
        ["dns:foo.notbar.example.com"],
        error='"foo.notbar.example.com" is not permitted',
    ),
    E(
        "roots can exclude subtrees and that doesn't affect other names",
        [S(bad=["dns:.example.com"])],
        ONE,
        ["dns:foo.com"],
    ),
    E(
        "roots exclusions are effective",
        [S(bad=["dns:.example.com"])],
        ONE,
        ["dns:foo.example.com"],
        error='"foo.example.com" is excluded',
    ),
    E(
        "intermediates can also exclude names and that doesn't affect other names",
        [S()],
        [[S(bad=["dns:.example.com"])]],
        ["dns:foo.com"],
    ),
    E(
        "intermediate exclusions are effective",
        [S()],
        [[S(bad=["dns:.example.com"])]],
        ["dns:foo.example.com"],
        error='"foo.example.com" is excluded',
    ),
    E(
        "having an exclusion doesn't prohibit other types of names",
        [S(bad=["dns:.example.com"])],
        ONE,
        ["dns:foo.com", "ip:10.1.1.1"],
    ),
    E(
        "IP-based exclusions are permitted and don't affect unrelated IP addresses",
        [S(bad=["ip:10.0.0.0/8"])],
        ONE,
        ["ip:192.168.1.1"],
    ),
    E(
        "IP-based exclusions are effective",
        [S(bad=["ip:10.0.0.0/8"])],
        ONE,
        ["ip:10.0.0.1"],
        error='"10.0.0.1" is excluded',
    ),
    E(
        "intermediates can further constrain IP ranges",
        [S(bad=["ip:0.0.0.0/1"])],
        [[S(bad=["ip:11.0.0.0/8"])]],
        ["ip:11.0.0.1"],
        error='"11.0.0.1" is excluded',
    ),
    E(
        "multiple intermediates with incompatible constraints",
        [S()],
        [[S(["dns:.foo.com"]), S(["dns:.example.com"])]],
        ["dns:foo.example.com"],
    ),
    E(
        "multiple intermediates with incompatible constraints swapped",
        [S()],
        [[S(["dns:.example.com"]), S(["dns:.foo.com"])]],
        ["dns:foo.example.com"],
    ),
    E("multiple roots with incompatible constraints", [S(), S(["dns:foo.com"])], ONE, ["dns:example.com"]),
    E(
        "multiple roots with incompatible constraints swapped",
        [S(["dns:foo.com"]), S()],
        ONE,
        ["dns:example.com"],
    ),
    E(
        "chain building with multiple intermediates and roots",
        [S(["dns:foo.com"]), S(["dns:example.com"]), S()],
        [[S(), S(["dns:foo.com"])], [S(), S(["dns:foo.com"])]],
        ["dns:bar.com"],
    ),
    E(
        "chain building fails with no valid path",
        [S(["dns:foo.com"]), S(["dns:example.com"])],
        [[S(), S(["dns:foo.com"])], [S(["dns:bar.com"]), S(["dns:foo.com"])]],
        ["dns:bar.com"],
        error='"bar.com" is not permitted',
    ),
    E("unknown name types are unconstrained", [S()], ONE, ["unknown:"]),
    E("unknown name types allowed in constrained chain", [S(FOO)], ONE, ["unknown:"]),
    E("CN is ignored in constrained chain", [S(FOO)], ONE, [], cn="foo.com"),
    E("IPv6 permitted constraint", [S(["ip:2000:abcd::/32"])], ONE, ["ip:2000:abcd:1234::"]),
    E(
        "IPv6 permitted constraint is effective",
        [S(["ip:2000:abcd::/32"])],
        ONE,
        ["ip:2000:1234:abcd::"],
        error='"2000:1234:abcd::" is not permitted',
    ),
    E(
        "IPv6 permitted constraint does not affect DNS",
        [S(["ip:2000:abcd::/32"])],
        ONE,
        ["ip:2000:abcd::", "dns:foo.com"],
    ),
    E("IPv6 excluded constraint", [S(bad=["ip:2000:abcd::/32"])], ONE, ["ip:2000:1234::"]),
    E(
        "IPv6 excluded constraint is effective",
        [S(bad=["ip:2000:abcd::/32"])],
        ONE,
        ["ip:2000:abcd::"],
        error='"2000:abcd::" is excluded',
    ),
    E(
        "IPv6 constraint does not permit IPv4",
        [S(["ip:2000:abcd::/32"])],
        ONE,
        ["ip:10.0.0.1"],
        error='"10.0.0.1" is not permitted',
    ),
    E(
        "IPv4 constraint does not permit IPv6",
        [S(["ip:10.0.0.0/8"])],
        ONE,
        ["ip:2000:abcd::"],
        error='"2000:abcd::" is not permitted',
    ),
    E(
        "unknown excluded constraint does not affect other names",
        [S(bad=["unknown:"])],
        ONE,
        ["dns:example.com"],
    ),
    E(
        "unknown permitted constraint does not affect other names",
        [S(["unknown:"])],
        ONE,
        ["dns:example.com"],
    ),
    E("exact email constraint", [S(["email:foo@example.com"])], ONE, ["email:foo@example.com"]),
    E(
        "exact email constraint is effective",
        [S(["email:foo@example.com"])],
        ONE,
        ["email:bar@example.com"],
        error='"bar@example.com" is not permitted',
    ),
    E("email canonicalization", [S(["email:foo@example.com"])], ONE, ['email:"\\f\\o\\o"@example.com']),
    E("email host constraint", [S(["email:example.com"])], ONE, ["email:foo@example.com"]),
    E("email subdomain constraint", [S(["email:.example.com"])], ONE, ["email:foo@sub.example.com"]),
    E(
        "email subdomain constraint does not match parent",
        [S(["email:.example.com"])],
        ONE,
        ["email:foo@example.com"],
        error='"foo@example.com" is not permitted',
    ),
    E(
        "email subdomain constraint matches deeper subdomains",
        [S(["email:.example.com"])],
        ONE,
        ["email:foo@sub.sub.example.com"],
    ),
    E(
        "email local part is case-sensitive",
        [S(["email:foo@example.com"])],
        ONE,
        ["email:Foo@example.com"],
        error='"Foo@example.com" is not permitted',
    ),
    E(
        "email domain part is case-insensitive",
        [S(["email:foo@EXAMPLE.com"])],
        ONE,
        ["email:foo@example.com"],
    ),
    E("DNS domain is case-insensitive", [S(["dns:EXAMPLE.com"])], ONE, ["dns:example.com"]),
    E(
        "URI constraint covers host",
        [S(["uri:example.com"])],
        ONE,
        ["uri:http://example.com/bar", "uri:http://example.com:8080/", "uri:https://example.com/wibble#bar"],
    ),
    E("URI with IP is rejected", [S(["uri:example.com"])], ONE, ["uri:http://1.2.3.4/"], error="URI with IP"),
    E(
        "URI with IP and port is rejected",
        [S(["uri:example.com"])],
        ONE,
        ["uri:http://1.2.3.4:43/"],
        error="URI with IP",
    ),
    E(
        "URI with IPv6 is rejected",
        [S(["uri:example.com"])],
        ONE,
        ["uri:http://[2006:abcd::1]/"],
        error="URI with IP",
    ),
    E(
        "URI with IPv6 and port is rejected",
        [S(["uri:example.com"])],
        ONE,
        ["uri:http://[2006:abcd::1]:16/"],
        error="URI with IP",
    ),
    E(
        "URI permitted constraint is effective",
        [S(["uri:example.com"])],
        ONE,
        ["uri:http://bar.com/"],
        error='"http://bar.com/" is not permitted',
    ),
    E(
        "URI excluded constraint is effective",
        [S(bad=["uri:foo.com"])],
        ONE,
        ["uri:http://foo.com/"],
        error='"http://foo.com/" is excluded',
    ),
    E("URI subdomain constraint", [S(["uri:.foo.com"])], ONE, ["uri:http://www.foo.com/"]),
    E(
        "URI constraint not matched by URN",
        [S(["uri:example.com"])],
        ONE,
        ["uri:urn:example"],
        error="URI with empty host",
    ),
    E("IPv6 exclusion does not exclude all IPv4", [S(["ip:1.2.3.0/24"], ["ip:::0/0"])], ONE, ["ip:1.2.3.4"]),
    E("empty DNS permitted constraint allows anything", [S(["dns:"])], ONE, ["dns:example.com"]),
    E(
        "empty DNS excluded constraint rejects everything",
        [S(bad=["dns:"])],
        ONE,
        ["dns:example.com"],
        error='"example.com" is excluded',
    ),
    E("empty email permitted constraint allows anything", [S(["email:"])], ONE, ["email:foo@example.com"]),
    E(
        "empty email excluded constraint rejects everything",
        [S(bad=["email:"])],
        ONE,
        ["email:foo@example.com"],
        error='"foo@example.com" is excluded',
    ),
    E("empty URI permitted constraint allows anything", [S(["uri:"])], ONE, ["uri:https://example.com/test"]),
    E(
        "empty URI excluded constraint rejects everything",
        [S(bad=["uri:"])],
        ONE,
        ["uri:https://example.com/test"],
        error='"https://example.com/test" is excluded',
    ),
    E(
        "invalid SANs are ignored with no constraints",
        [S()],
        ONE,
        ["dns:this is invalid", "email:this @ is invalid"],
    ),
    E(
        "invalid DNS SAN detected with constraints",
        [S(bad=["uri:"])],
        ONE,
        ["dns:this is invalid"],
        error="cannot parse dnsName",
    ),
    E(
        "invalid email SAN detected with constraints",
        [S(bad=["uri:"])],
        ONE,
        ["email:this @ is invalid"],
        error="cannot parse rfc822Name",
    ),
    E("empty leaf is accepted in constrained chain", [S(FOO)], ONE, []),
    E("no SANs and non-hostname CN is accepted in constrained chain", [S(FOO)], ONE, [], cn="foo.bar"),
    E("constraints don't apply to CN", [S(FOO)], ONE, ["dns:foo.com"], cn="foo.bar"),
    E(
        "DNS SAN cannot use leading period form",
        [S(["dns:example.com"])],
        [],
        ["dns:.example.com"],
        error='cannot parse dnsName ".example.com"',
    ),
    E(
        "URI with IPv6 and zone is rejected",
        [S(["uri:example.com"])],
        ONE,
        ["uri:http://[2006:abcd::1%25.example.com]:16/"],
        error="URI with IP",
    ),
    E(
        "intermediate can narrow permitted dns scope",
        [S(["dns:"])],
        [[S(["dns:example.com"])]],
        ["dns:test.com"],
        error='"test.com" is not permitted',
    ),
    E(
        "intermediate cannot narrow excluded dns scope",
        [S(bad=["dns:"])],
        [[S(bad=["dns:example.com"])]],
        ["dns:test.com"],
        error='"test.com" is excluded by constraint ""',
    ),
    E(
        "intermediate can narrow excluded dns scope",
        [S(bad=["dns:example.com"])],
        [[S(bad=["dns:"])]],
        ["dns:test.com"],
        error='"test.com" is excluded by constraint ""',
    ),
    E(
        "permitted dns constraint is not a prefix match",
        [S(["dns:example.com"])],
        ONE,
        ["dns:testexample.com"],
        error='"testexample.com" is not permitted',
    ),
    E(
        "subdomain constraint does not allow wildcard",
        [S(["dns:a.com", "dns:foo.example.com", "dns:z.com"])],
        ONE,
        ["dns:*.example.com"],
        error='"*.example.com" is not permitted',
    ),
    E(
        "excluded dns constraint is not a prefix match",
        [S(bad=["dns:example.com"])],
        ONE,
        ["dns:testexample.com"],
    ),
    E(
        "excluded email constraint, multiple email with matching local portion",
        [S(bad=["email:a@example.com", "email:a@test.com"])],
        ONE,
        ["email:a@example.com"],
        error='"a@example.com" is excluded by constraint "a@example.com"',
    ),
    E("email_case_check", [S(["email:a@example.com"])], ONE, ["email:a@ExAmple.com"]),
    E("excluded constraint, empty DNS san", [S(bad=["dns:example.com"])], [], ["dns:"]),
    E(
        "subdomain excluded constraints preclude outer wildcard names",
        [S(bad=["dns:foo.example.com"])],
        ONE,
        ["dns:*.example.com"],
        error='"*.example.com" is excluded by constraint "foo.example.com"',
    ),
    E(
        "subdomain excluded constraints do not preclude far outer wildcard names",
        [S(bad=["dns:foo.example.com"])],
        ONE,
        ["dns:*.com"],
    ),
    E(
        "subdomain excluded constraints preclude inner wildcard names",
        [S(bad=["dns:foo.example.com"])],
        ONE,
        ["dns:*.foo.example.com"],
        error='"*.foo.example.com" is excluded by constraint "foo.example.com"',
    ),
    E(
        "subdomain excluded constraints preclude far inner wildcard names",
        [S(bad=["dns:foo.example.com"])],
        ONE,
        ["dns:*.bar.foo.example.com"],
        error='"*.bar.foo.example.com" is excluded by constraint "foo.example.com"',
    ),
    E(
        "outer wildcard names are not matched by subdomain permitted constraints",
        [S(["dns:foo.example.com"])],
        ONE,
        ["dns:*.example.com"],
        error='"*.example.com" is not permitted',
    ),
    E(
        "far outer wildcard names are not matched by subdomain permitted constraints",
        [S(["dns:foo.example.com"])],
        ONE,
        ["dns:*.com"],
        error='"*.com" is not permitted',
    ),
    E(
        "inner wildcard names are matched by subdomain permitted constraints",
        [S(["dns:foo.example.com"])],
        ONE,
        ["dns:*.foo.example.com"],
    ),
    E(
        "far inner wildcard names are matched by subdomain permitted constraints",
        [S(["dns:foo.example.com"])],
        ONE,
        ["dns:*.bar.foo.example.com"],
    ),
    E(
        "cross include should not match",
        [S(["dns:foo.example.com"])],
        ONE,
        ["dns:*.bar.example.com"],
        error='"*.bar.example.com" is not permitted by any constraint',
    ),
    E("cross exclude should not match", [S(bad=["dns:foo.example.com"])], ONE, ["dns:*.bar.example.com"]),
    E(
        "subdomain exclusion blocks uppercase wildcard",
        [S(bad=["dns:sub.example.com"])],
        ONE,
        ["dns:*.EXAMPLE.COM"],
        error='"*.EXAMPLE.COM" is excluded by constraint "sub.example.com"',
    ),
    E(
        "uppercase subdomain exclusion blocks lowercase wildcard",
        [S(bad=["dns:SUB.EXAMPLE.COM"])],
        ONE,
        ["dns:*.example.com"],
        error='"*.example.com" is excluded by constraint "sub.example.com"',
    ),
)

#: Go's rows about extended key usage, which do not touch name constraints.
SKIPPED: dict[str, str] = {
    name: "extended key usage nesting and requested EKUs, not name constraints (EKU is tested elsewhere)"
    for name in (
        "empty EKU in CA means any is ok",
        "any EKU means any is ok",
        "intermediate with enumerated EKUs",
        "unknown EKU in leaf",
        "intermediate cannot add EKUs not in root if leaf uses them",
        "EKUs in root are effective",
        "netscapeSGC EKU does not permit server/client auth",
        "msSGC EKU does not permit server/client auth",
        "serverAuth EKU does not permit clientAuth",
        "msSGC EKU does not permit serverAuth",
        "any requested EKU is sufficient",
        "unrequested EKUs not required to be nested",
    )
}

_UNDECODABLE = (
    "Go skips a GeneralName it cannot parse (here universal tag 9, which is no GeneralName at all); "
    "we fail closed on an extension that does not decode"
)
#: Rows whose verdict under our choices is not Go's: the failures we expect instead, and why.
DIFFERS: dict[str, tuple[tuple[tuple[str, int], ...], str]] = {
    "unknown name types are unconstrained": ((("malformed-extension", 2),), _UNDECODABLE),
    "unknown name types allowed in constrained chain": (
        ((REFUSED, 2), ("malformed-extension", 2)),
        _UNDECODABLE,
    ),
    "unknown excluded constraint does not affect other names": (
        (("malformed-extension", 0), ("name-constraints-not-critical", 0)),
        _UNDECODABLE + "; Go's test extension is also non-critical, which RFC 5280 4.2.1.10 forbids",
    ),
    "unknown permitted constraint does not affect other names": (
        (("malformed-extension", 0), ("name-constraints-not-critical", 0)),
        _UNDECODABLE + "; Go's test extension is also non-critical, which RFC 5280 4.2.1.10 forbids",
    ),
    "invalid SANs are ignored with no constraints": (
        (("invalid-dns-name", 2),),
        "a dNSName outside the preferred name syntax is refused by the invalid-dns-name rule "
        "(RFC 5280 4.2.1.6) whether or not a constraint applies; Go checks SAN syntax only under constraints",
    ),
    "excluded constraint, empty DNS san": (
        ((REFUSED, 1), ("invalid-dns-name", 1)),
        "an empty dNSName is not a DNS name (RFC 5280 4.2.1.6 preferred name syntax): invalid-dns-name, and "
        "under a dNSName constraint a name that does not parse is refused; Go lets the empty name through",
    ),
}

#: Expected failures for Go's invalid rows where more than name-constraints at the leaf is reported.
EXTRA: dict[str, tuple[tuple[str, int], ...]] = {
    "invalid DNS SAN detected with constraints": ((REFUSED, 2), ("invalid-dns-name", 2)),
    "DNS SAN cannot use leading period form": ((REFUSED, 1), ("invalid-dns-name", 1)),
    # eight candidate paths all fail: the first one's failure, and path building's own limit
    "chain building fails with no valid path": ((REFUSED, 3), ("path-building-limit", None)),  # type: ignore[dict-item]
}

_UNKNOWN_SAN = tlv(0x30, bytes.fromhex("090101"))


def _constraints(spec: Spec) -> bytes | None:
    if not spec.ok and not spec.bad:
        return None
    if spec.ok == ("unknown:",) or spec.bad == ("unknown:",):
        tag = 0xA0 if spec.ok else 0xA1
        return tlv(0x30, tlv(tag, tlv(0x30, bytes.fromhex("090101"))))
    return name_constraints(spec.ok, spec.bad)


def build_go(mint: Mint | None = None) -> dict[str, NcCase]:
    """Every ported Go row as a case named ``Go: <row name>``."""
    m = mint or Mint()
    table: dict[str, NcCase] = {}
    for entry in ENTRIES:
        if entry.name in SKIPPED:
            continue
        roots = []
        for spec in entry.roots:
            der = _constraints(spec)
            # Go's unknown-constraint rows use a non-critical extension (pkix.Extension's default)
            critical = not (der is not None and "unknown:" in (spec.ok + spec.bad))
            roots.append(m.anchor(der, critical=critical))
        parent = m.root
        chain = []
        for level, specs in enumerate(entry.intermediates):
            ca = m.ca(parent, common_name=f"Go {entry.name[:40]} level {level}")
            chain += [m.variant(parent, ca, _constraints(spec)) for spec in specs]
            parent = ca
        if entry.sans == ("unknown:",):
            leaf = m.leaf(parent, None, san_der=_UNKNOWN_SAN, subject_name=go_subject(entry.cn), eku=())
        else:
            leaf = m.leaf(parent, list(entry.sans) or None, subject_name=go_subject(entry.cn), eku=())
        index = len(entry.intermediates) + 1
        failures: tuple[tuple[str, int], ...] = ((REFUSED, index),) if entry.error else ()
        failures = EXTRA.get(entry.name, failures)
        differs = None
        if entry.name in DIFFERS:
            failures, differs = DIFFERS[entry.name]
        table[f"Go: {entry.name}"] = NcCase(
            failures=failures,
            leaf=leaf,
            chain=tuple(chain),
            trust=tuple(roots),
            at=m.at,
            origin=f"Go: {entry.name}",
            differs=differs,
        )
    return table
