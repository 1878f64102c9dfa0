"""Names: name constraints (RFC 5280 4.2.1.10, 6.1.3 (b)-(c), 6.1.4 (g)) and server names (RFC 6125).

caiso-pki evaluates name constraints itself, for every name form RFC 5280 constrains, on constraints
from trust anchors (RFC 5937) as well as intermediates.  The rules, one per name form (:data:`FORMS`),
each with the RFC text it implements or the choice it makes where the RFC leaves one open:

==============  ===================================================================================
form            rule
==============  ===================================================================================
dNSName         RFC 5280: "any DNS name that can be constructed by simply adding zero or more labels
                to the left-hand side of the name satisfies the name constraint".  Choice: a leading
                dot (``.example.com``) means subdomains only, as Go, BoringSSL, NSS and OpenSSL read
                it.  ASCII case-insensitive, trailing dot ignored; names are compared as the A-labels
                in the certificate, never decoded.  A wildcard SAN (``*.example.com``) is within a
                permitted subtree only when every name it can stand for is, and is excluded when any
                name it can stand for is (the class of Go's CVE-2025-61727).
rfc822Name      RFC 5280: a constraint is "a particular mailbox" (``user@host``), "all addresses at a
                particular host" (``host``) or "all mailboxes in a domain" (``.domain``).  The local
                part is compared exactly after RFC 5321 quoting is removed (``"joe"@x`` is
                ``joe@x``), hosts ASCII case-insensitively.  A SAN that is not a mailbox cannot be
                matched and is refused wherever an rfc822Name constraint applies.  Without a
                subjectAltName, emailAddress attributes of the subject are checked (RFC 5280 4.2.1.10).
iPAddress       RFC 5280: "the address and mask" (8 octets for IPv4, 32 for IPv6): the name is within
                when its masked bits equal the constraint's.  An IPv4 name never matches an IPv6
                constraint or the other way round.
directoryName   RFC 5280 7.1: the constraint's RDNs are a prefix of the subject's, each compared as
                RFC 5280 7.1 says (asn1crypto's normalised comparison).  The subject counts when it
                is not empty.
URI             RFC 5280: "the constraint applies to the host part of the name" and "MAY specify a
                host or a domain": ``host.example.com`` is that host only, ``.example.com`` its
                subdomains.  A URI without a host, or whose host is an IP literal, cannot be matched
                and is refused wherever a URI constraint applies.
other forms     otherName, x400Address, ediPartyName, registeredID: a constraint applies only to
                names of its own form, and a name of such a form under a constraint of the same form
                is refused (caiso-pki cannot evaluate it, so it fails closed).
==============  ===================================================================================

Choices that apply to every form: an empty constraint (``""``, a zero-RDN name) matches every name of
its form, as Go and NSS read it.  Permitted subtrees from several certificates must all be satisfied
(RFC 5280 6.1.4 (g)(1), intersection); excluded subtrees accumulate (6.1.4 (g)(2), union).

The budget: checking one certificate's names costs (names x subtrees of their form), counted before
any comparison.  A chain whose count passes :data:`MAX_COMPARISONS` fails with the code
``name-constraints-budget`` at once, so a hostile certificate with thousands of names under an issuer
with thousands of subtrees costs microseconds, not minutes.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Final

from caiso_pki.certificate import Certificate

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509

__all__ = [
    "MAX_COMPARISONS",
    "Constraints",
    "NameConstraintsBudgetError",
    "NameConstraintsError",
    "a_label",
    "name_matches",
]

#: At most this many (name x subtree) comparisons for one chain.
MAX_COMPARISONS: Final = 65_536

# asn1crypto's GeneralName choice names -> the form names used here and in messages
_FORMS: Final[dict[str, str]] = {
    "dns_name": "dNSName",
    "rfc822_name": "rfc822Name",
    "ip_address": "iPAddress",
    "directory_name": "directoryName",
    "uniform_resource_identifier": "URI",
    "other_name": "otherName",
    "x400_address": "x400Address",
    "edi_party_name": "ediPartyName",
    "registered_id": "registeredID",
}
_URI: Final = re.compile(
    r"^[A-Za-z][A-Za-z0-9+.\-]*://(?:[^@/?#]*@)?(\[[^\]]*\]|[^:/?#]*)(?::\d*)?(?:[/?#]|$)"
)
_LABEL: Final = re.compile(r"[a-z0-9](?:[a-z0-9-]*[a-z0-9])?")
_ATOM: Final = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+")


class NameConstraintsError(Exception):
    """A name of a certificate is outside the permitted or inside an excluded subtree."""


class NameConstraintsBudgetError(Exception):
    """Checking the names would take more comparisons than :data:`MAX_COMPARISONS`."""


# -- the forms -----------------------------------------------------------------------------------------


def _host(value: bytes) -> str | None:
    """A DNS host as lower-case ASCII without a trailing dot, or ``None`` when it is not ASCII."""
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        return None
    text = text.lower()
    return text[:-1] if len(text) > 1 and text.endswith(".") else text


def _dns_within(name: str, base: str) -> bool:
    """Whether DNS name ``name`` is within constraint ``base`` (both from :func:`_host`)."""
    if not base:
        return True
    if base.startswith("."):
        return name.endswith(base) and len(name) > len(base)
    return name == base or name.endswith("." + base)


def _dns(host: str, base: bytes, excluded: bool) -> bool:
    constraint = _host(base)
    if constraint is None:
        return excluded  # a constraint that is not ASCII: malformed-name-constraints reports it
    if not host.startswith("*."):
        return _dns_within(host, constraint)
    rest = host[2:]
    if not constraint or _dns_within(rest, constraint.removeprefix(".")):
        return True
    # excluded: the wildcard can stand for the excluded host itself (``*.example.com``, ``a.example.com``)
    return excluded and not constraint.startswith(".") and constraint.partition(".")[2] == rest


def mailbox(value: bytes) -> tuple[str, str] | None:
    """(local part without RFC 5321 quoting, lower-case host) of an rfc822Name, or ``None``."""
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        return None
    local, at, host = text.rpartition("@")
    if not at or not local or not host:
        return None
    if local.startswith('"'):
        if len(local) < 2 or not local.endswith('"'):
            return None
        out = []
        escaped = False
        for char in local[1:-1]:
            if escaped:
                out.append(char)
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"' or not 32 <= ord(char) <= 126:
                return None
            else:
                out.append(char)
        if escaped:
            return None
        local = "".join(out)
    elif not all(_ATOM.fullmatch(atom) for atom in local.split(".")):
        return None
    host_text = _host(host.encode("ascii"))
    if not host_text or not all(_LABEL.fullmatch(label) for label in host_text.split(".")):
        return None
    return local, host_text


def _host_within(host: str, base: str) -> bool:
    """RFC 5280 host constraints of rfc822Name and URI: a host exactly, or ``.domain``'s subdomains."""
    if not base:
        return True
    if base.startswith("."):
        return host.endswith(base) and len(host) > len(base)
    return host == base


def _email(name: tuple[str, str], base: bytes, excluded: bool) -> bool:
    local, host = name
    if b"@" in base:
        return mailbox(base) == (local, host)
    constraint = _host(base)
    if constraint is None:
        return excluded
    return _host_within(host, constraint)


def _ip_name(value: bytes) -> bytes | None:
    return value if len(value) in (4, 16) else None


def _ip(name: bytes, base: bytes, excluded: bool) -> bool:
    half = len(name)
    if len(base) != 2 * half:
        return False  # the other address family
    mask = int.from_bytes(base[half:], "big")
    return int.from_bytes(name, "big") & mask == int.from_bytes(base[:half], "big") & mask


def uri_host(value: bytes) -> str | None:
    """The host of a URI as lower-case ASCII, or ``None`` when it has none or it is an IP literal."""
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        return None
    match = _URI.match(text)
    if match is None or not match.group(1) or match.group(1).startswith("["):
        return None
    host = _host(match.group(1).encode("ascii"))
    if not host:
        return None
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return host
    return None


def _uri(host: str, base: bytes, excluded: bool) -> bool:
    constraint = _host(base)
    if constraint is None:
        return excluded
    return _host_within(host, constraint)


def _directory(name: Any, base: Any, excluded: bool) -> bool:
    base_rdns = base.chosen
    name_rdns = name.chosen
    return len(name_rdns) >= len(base_rdns) and all(
        mine == theirs for mine, theirs in zip(base_rdns, name_rdns, strict=False)
    )


def _same(value: Any) -> Any:
    return value


#: form -> (read, within): ``read`` turns the name into what ``within`` compares (``None``: it cannot be
#: matched, and is refused wherever a constraint of its form applies); ``within(name, base, excluded)``
#: says whether the name is inside the subtree.  Forms missing here are refused under constraints of
#: their own form.
FORMS: Final[dict[str, tuple[Callable[[Any], Any], Callable[[Any, Any, bool], bool]]]] = {
    "dNSName": (_host, _dns),
    "rfc822Name": (mailbox, _email),
    "iPAddress": (_ip_name, _ip),
    "directoryName": (_same, _directory),
    "URI": (uri_host, _uri),
}


# -- the state of one path -----------------------------------------------------------------------------


def _general_value(general: Any) -> tuple[str, Any]:
    form = _FORMS.get(general.name, general.name)
    if form == "directoryName":
        return form, general.chosen
    if form in ("otherName", "x400Address", "ediPartyName", "registeredID"):
        return form, general.chosen.dump()
    return form, bytes(general.chosen.contents or b"")


def certificate_names(cert: asn1_x509.Certificate) -> Iterator[tuple[str, Any]]:
    """The names RFC 5280 6.1.3 (b)-(c) checks: the subject (if not empty), the SAN entries, and
    without a SAN the subject's emailAddress attributes as rfc822Names."""
    subject = cert.subject
    if len(subject.chosen):
        yield "directoryName", subject
    sans = cert.subject_alt_name_value
    if sans is None:
        for rdn in subject.chosen:
            for attribute in rdn:
                if attribute["type"].native == "email_address":
                    yield "rfc822Name", str(attribute["value"].native).encode("utf-8", "surrogateescape")
        return
    for general in sans:
        yield _general_value(general)


class Constraints:
    """permitted_subtrees and excluded_subtrees through a path (RFC 5280 6.1.2 (b)-(c), 6.1.4 (g))."""

    __slots__ = ("_budget", "excluded", "permitted")

    def __init__(self) -> None:
        # one dict per constraining certificate: form -> subtree bases (an empty list permits nothing)
        self.permitted: list[dict[str, list[Any]]] = []
        self.excluded: dict[str, list[Any]] = {}
        self._budget = MAX_COMPARISONS

    @property
    def active(self) -> bool:
        """Whether any constraint applies yet."""
        return bool(self.permitted or self.excluded)

    def add(self, value: asn1_x509.NameConstraints) -> None:
        """6.1.4 (g): intersect with the permitted and add the excluded subtrees of ``value``."""
        permitted = value["permitted_subtrees"]
        if permitted.native is not None:
            generation: dict[str, list[Any]] = {}
            for subtree in permitted:
                form, base = _general_value(subtree["base"])
                generation.setdefault(form, []).append(base)
            self.permitted.append(generation)
        excluded = value["excluded_subtrees"]
        if excluded.native is not None:
            for subtree in excluded:
                form, base = _general_value(subtree["base"])
                self.excluded.setdefault(form, []).append(base)

    def check(self, cert: asn1_x509.Certificate) -> None:
        """6.1.3 (b)-(c): raise :class:`NameConstraintsError` (or the budget error) naming the name."""
        if not self.active:
            return
        names = list(certificate_names(cert))
        cost = 0
        for form, _ in names:
            cost += sum(len(generation.get(form, ())) for generation in self.permitted)
            cost += len(self.excluded.get(form, ()))
        self._budget -= cost
        if self._budget < 0:
            raise NameConstraintsBudgetError(
                f"checking {len(names)} names against the name constraints would take more than "
                f"{MAX_COMPARISONS} comparisons"
            )
        for form, value in names:
            permitted = [generation[form] for generation in self.permitted if form in generation]
            excluded = self.excluded.get(form, ())
            if not permitted and not excluded:
                continue
            reader, within = FORMS.get(form, (_unreadable, _never))
            name = reader(value)
            if name is None:
                raise NameConstraintsError(
                    f"{form} {_shown(form, value)} cannot be matched against {form} constraints"
                )
            for bases in permitted:
                if not any(within(name, base, False) for base in bases):
                    raise NameConstraintsError(
                        f"{form} {_shown(form, value)} is not in the permitted subtrees"
                    )
            for base in excluded:
                if within(name, base, True):
                    raise NameConstraintsError(
                        f"{form} {_shown(form, value)} is in an excluded subtree ({_shown(form, base)})"
                    )


def _unreadable(value: Any) -> None:
    return None


def _never(name: Any, base: Any, excluded: bool) -> bool:
    return False


def _shown(form: str, value: Any) -> str:
    if form == "directoryName":
        try:
            return repr(value.human_friendly)
        except Exception:  # a name that cannot be rendered is still named by its form
            return "<directoryName>"
    if form == "iPAddress" and isinstance(value, bytes):
        if len(value) in (4, 16):
            return str(ipaddress.ip_address(value))
        if len(value) in (8, 32):
            half = len(value) // 2
            network = ipaddress.ip_network(
                (value[:half], sum(bin(b).count("1") for b in value[half:])), False
            )
            return str(network)
    if isinstance(value, bytes):
        return repr(value.decode("ascii", "backslashreplace"))
    return "<name>"


# -- server names (RFC 6125) --------------------------------------------------------------------------


def name_matches(leaf: Certificate, server_name: str) -> bool:
    """RFC 6125 matching against subjectAltName only: DNS names (left-most wildcard label) or IPs.

    ``server_name`` may be a U-label or A-label name (compared as IDNA2008 A-labels, ASCII
    case-insensitively) or an IP literal.  SAN values are compared as the bytes in the certificate,
    never decoded through an IDNA codec.  Anything that cannot be read does not match.
    """
    try:
        sans = leaf.asn1.subject_alt_name_value
    except Exception:  # malformed-extension reports it
        return False
    if sans is None:
        return False
    target = server_name.strip().rstrip(".")
    try:
        address = ipaddress.ip_address(target.strip("[]"))
    except ValueError:
        address = None
    if address is not None:
        return any(
            general.name == "ip_address"
            and len(raw := _contents(general)) in (4, 16)
            and ipaddress.ip_address(raw) == address
            for general in sans
        )
    wanted = a_label(target)
    if wanted is None:
        return False
    for general in sans:
        if general.name != "dns_name":
            continue
        try:
            pattern = general.chosen.contents.decode("ascii").lower().rstrip(".")
        except (UnicodeDecodeError, ValueError):
            continue
        if _wildcard_match(pattern, wanted):
            return True
    return False


def _contents(general: Any) -> bytes:
    try:
        return bytes(general.chosen.contents)
    except Exception:  # an undecodable name matches nothing
        return b""


def a_label(name: str) -> str | None:
    """``name`` as lower-case IDNA2008 A-labels (UTS #46 mapping), or ``None`` when it is not a name."""
    import idna

    if not name or len(name) > 253:
        return None
    if name.isascii():
        lowered = name.lower()
        labels = lowered.split(".")
        if (
            all(labels)
            and all(len(label) <= 63 for label in labels)
            and not any(label.startswith("xn--") for label in labels)
        ):
            return lowered
    try:
        return idna.encode(name, uts46=True).decode("ascii").lower()
    except (idna.IDNAError, UnicodeError, ValueError):
        return None


def _wildcard_match(pattern: str, name: str) -> bool:
    if pattern == name:
        return True
    if not pattern.startswith("*."):
        return False
    suffix = pattern[2:]
    if "*" in suffix or suffix.count(".") < 1:
        return False  # no wildcards below the left-most label, nor for a bare TLD
    head, _, rest = name.partition(".")
    return bool(head) and rest == suffix
