"""Names: name constraints (RFC 5280 4.2.1.10, 6.1.3 (b)-(c), 6.1.4 (g)) and server names (RFC 6125).

caiso-pki evaluates name constraints itself, for every name form RFC 5280 constrains, on constraints
from trust anchors (RFC 5937) as well as intermediates.  The rules, one per name form (:data:`FORMS`
reads the names, :class:`_Subtrees` matches them), each with the RFC text it implements or the choice it
makes where the RFC leaves one open; ``docs/choices.md`` ("Name constraints") gives the reasons and
what Go, BoringSSL, rustls-webpki and cryptography do, and ``tests/test_name_constraints.py`` runs a
minted chain for each choice, x509-limbo's name-constraint cases and Go's name-constraint table.

==============  ===================================================================================
form            rule
==============  ===================================================================================
dNSName         RFC 5280: "any DNS name that can be constructed by simply adding zero or more labels
                to the left-hand side of the name satisfies the name constraint".  Choice: a leading
                dot (``.example.com``) means subdomains only, as Go, BoringSSL, NSS and OpenSSL read
                it.  Labels are compared whole, ASCII case-insensitively, as the A-labels in the
                certificate (never decoded).  A wildcard SAN (``*.example.com``) is within a permitted
                subtree only when every name it can stand for is, and is excluded when any name it can
                stand for is (the class of Go's CVE-2025-61727).
rfc822Name      RFC 5280: a constraint is "a particular mailbox" (``user@host``), "all addresses at a
                particular host" (``host``) or "all mailboxes in a domain" (``.domain``).  The local
                part is compared exactly after RFC 5321 quoting is removed (``"joe"@x`` is ``joe@x``),
                hosts ASCII case-insensitively.  The subject's emailAddress attributes are checked as
                rfc822Names too, with or without a subjectAltName (RFC 5280 asks it without one).
iPAddress       RFC 5280: "the address and mask" (8 octets for IPv4, 32 for IPv6): the name is within
                when its masked bits equal the constraint's.  An IPv4 name never matches an IPv6
                constraint or the other way round.
directoryName   RFC 5280 7.1: the constraint's RDNs are a prefix of the subject's (or of a
                directoryName SAN's), each compared as RFC 5280 7.1 says (asn1crypto's normalised
                form).  An empty subject is not a name.
URI             RFC 5280: "the constraint applies to the host part of the name" and "MAY specify a
                host or a domain": ``host.example.com`` is that host only, ``.example.com`` its
                subdomains (NIST PKITS 4.13.34-36 test both).  The host is the authority's, without
                userinfo and port.
other forms     otherName, x400Address, ediPartyName, registeredID: a constraint applies only to
                names of its own form, and a name of such a form under a constraint of the same form
                is refused (caiso-pki cannot evaluate it, so it fails closed).
==============  ===================================================================================

Choices that apply to every form: an empty constraint (``""``, a zero-RDN name) matches every name of
its form, as Go and NSS read it.  A subtree with ``minimum`` or ``maximum`` present cannot be evaluated
(RFC 5280: they "MUST be" absent), so names of its form below are refused.  Once any certificate of the
path has name constraints, every name below must parse as its form (a DNS name in the preferred syntax,
a mailbox, 4 or 16 octets, a URI with a DNS host), or it is refused: an unreadable name cannot be shown
to be inside or outside a subtree.  In the ``webpki`` profile, a leaf without a subjectAltName has
its common name held to dNSName constraints when it looks like a host name.  Permitted subtrees from
several certificates must all be satisfied (RFC 5280 6.1.4 (g)(1), intersection); excluded subtrees
accumulate (6.1.4 (g)(2), union).

The budget: every constraining certificate's subtrees (all forms) times the names (SAN entries, and
the subject) of each certificate below it are counted before any comparison, as BoringSSL counts them.
Past :data:`MAX_COMPARISONS` for one constraining certificate, the chain fails with
``name-constraints-budget`` on that certificate, at once.  Matching itself is indexed (a name is looked
up by its suffixes, prefixes or masked networks, as Go 1.26 does), so a chain just under the bound is
still answered in milliseconds.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, Final

from asn1crypto.core import Void

from caiso_pki.certificate import Certificate

if TYPE_CHECKING:
    from asn1crypto import x509 as asn1_x509

__all__ = [
    "MAX_COMPARISONS",
    "Constraints",
    "NameConstraintsBudgetError",
    "NameConstraintsError",
    "UnreadableConstraintsError",
    "a_label",
    "mailbox",
    "name_matches",
    "uri_host",
]

#: At most this many (name x subtree) pairs per constraining certificate (BoringSSL's and
#: cryptography's bound).
MAX_COMPARISONS: Final = 1 << 20

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
_LABEL: Final = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
_ATOM: Final = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~\-]+")


class NameConstraintsError(Exception):
    """A name of a certificate is outside the permitted or inside an excluded subtree."""


class UnreadableConstraintsError(Exception):
    """The nameConstraints of the certificate at ``index`` do not decode."""

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


class NameConstraintsBudgetError(Exception):
    """Checking the names would take more comparisons than :data:`MAX_COMPARISONS`.

    ``index`` is the position in the path of the certificate whose constraints exceed it.
    """

    def __init__(self, message: str, index: int) -> None:
        super().__init__(message)
        self.index = index


# -- reading names -----------------------------------------------------------------------------------


def dns_name(value: bytes, *, wildcard: bool = True) -> str | None:
    """A DNS name in the preferred syntax as lower-case ASCII (a left-most ``*`` label allowed with
    ``wildcard``), or ``None``."""
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        return None
    if not text or len(text) > 253:
        return None
    labels = text.split(".")
    if wildcard and labels[0] == "*" and len(labels) > 1:
        labels = labels[1:]
    if not all(_LABEL.fullmatch(label) for label in labels):
        return None
    return text.lower()


def _constraint_host(value: bytes) -> str | None:
    """A dNSName/URI/email host constraint as lower-case ASCII (``""``, ``.domain`` or ``host``)."""
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        return None
    return text.lower()


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
    host_name = dns_name(host.encode("ascii"), wildcard=False)
    if host_name is None:
        return None
    return local, host_name


def uri_host(value: bytes) -> str | None:
    """The DNS host of a URI's authority (no userinfo, no port), or ``None`` (no host, an IP literal)."""
    try:
        text = value.decode("ascii")
    except UnicodeDecodeError:
        return None
    match = _URI.match(text)
    if match is None or not match.group(1) or match.group(1).startswith("["):
        return None
    host = match.group(1)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return dns_name(host.encode("ascii"), wildcard=False)
    return None


def _ip_name(value: bytes) -> tuple[int, int] | None:
    if len(value) not in (4, 16):
        return None
    return len(value), int.from_bytes(value, "big")


def _rdn_keys(name: Any) -> tuple[object, ...] | None:
    try:
        return tuple(rdn.hashable for rdn in name.chosen)
    except Exception:  # RFC 4518 cannot prepare it: it cannot be compared with a constraint
        return None


#: form -> read(value): the name as the matcher compares it, or ``None`` when it does not parse.
FORMS: Final[dict[str, Callable[[Any], Any]]] = {
    "dNSName": dns_name,
    "rfc822Name": mailbox,
    "iPAddress": _ip_name,
    "directoryName": _rdn_keys,
    "URI": uri_host,
}


def _suffixes(host: str) -> Iterator[str]:
    """``host`` and each of its parent domains (``a.b.c``: ``a.b.c``, ``b.c``, ``c``)."""
    yield host
    position = host.find(".")
    while position != -1:
        yield host[position + 1 :]
        position = host.find(".", position + 1)


# -- the subtrees of one certificate ----------------------------------------------------------------


class _Subtrees:
    """The permitted or the excluded subtrees of one certificate, indexed by form for matching."""

    __slots__ = ("count", "domains", "everything", "hosts", "ips", "mailboxes", "prefixes", "unreadable")

    def __init__(self) -> None:
        self.count = 0
        self.everything: set[str] = set()  # forms with an empty constraint
        self.unreadable: set[str] = set()  # forms this code cannot evaluate (other forms, min/max)
        self.hosts: dict[str, set[str]] = {}  # form -> hosts (``example.com``)
        self.domains: dict[str, set[str]] = {}  # form -> domains of ``.example.com`` (``example.com``)
        self.mailboxes: set[tuple[str, str]] = set()
        self.ips: dict[int, dict[int, set[int]]] = {}  # length -> mask -> masked networks
        self.prefixes: set[tuple[object, ...]] = set()

    @property
    def forms(self) -> set[str]:
        return (
            self.everything
            | self.unreadable
            | set(self.hosts)
            | set(self.domains)
            | ({"rfc822Name"} if self.mailboxes else set())
            | ({"iPAddress"} if self.ips else set())
            | ({"directoryName"} if self.prefixes else set())
        )

    def add(self, subtree: Any) -> None:
        self.count += 1
        general = subtree["base"]
        form = _FORMS.get(general.name, general.name)
        if subtree["minimum"].native not in (0, None) or subtree["maximum"].native is not None:
            self.unreadable.add(form)
            return
        if form == "directoryName":
            keys = _rdn_keys(general.chosen)
            if keys is None:
                self.unreadable.add(form)
            elif keys:
                self.prefixes.add(keys)
            else:
                self.everything.add(form)
            return
        if form == "iPAddress":
            raw = bytes(general.chosen.contents or b"")
            half = len(raw) // 2
            if len(raw) not in (8, 32):
                self.unreadable.add(form)  # malformed-name-constraints says why
                return
            mask = int.from_bytes(raw[half:], "big")
            self.ips.setdefault(half, {}).setdefault(mask, set()).add(
                int.from_bytes(raw[:half], "big") & mask
            )
            return
        if form not in ("dNSName", "rfc822Name", "URI"):
            self.unreadable.add(form)
            return
        raw = bytes(general.chosen.contents or b"")
        if form == "rfc822Name" and b"@" in raw:
            found = mailbox(raw)
            if found is None:
                self.unreadable.add(form)  # malformed-name-constraints says why
            else:
                self.mailboxes.add(found)
            return
        text = _constraint_host(raw)
        if text is None:
            self.unreadable.add(form)
        elif not text:
            self.everything.add(form)
        elif text.startswith("."):
            self.domains.setdefault(form, set()).add(text[1:])
        else:
            self.hosts.setdefault(form, set()).add(text)

    def matches(self, form: str, name: Any, *, excluded: bool) -> bool:
        """Whether ``name`` (read by :data:`FORMS`) is inside one of these subtrees of its form."""
        if form in self.everything:
            return True
        if form == "iPAddress":
            length, value = name
            return any(value & mask in networks for mask, networks in self.ips.get(length, {}).items())
        if form == "directoryName":
            return any(name[:size] in self.prefixes for size in range(1, len(name) + 1))
        if form == "rfc822Name":
            if name in self.mailboxes:
                return True
            host = name[1]
        else:
            host = name
        hosts = self.hosts.get(form, set())
        domains = self.domains.get(form, set())
        if form == "dNSName":
            return _dns_matches(host, hosts, domains, excluded=excluded)
        return host in hosts or any(suffix in domains for suffix in list(_suffixes(host))[1:])


def _dns_matches(host: str, hosts: set[str], domains: set[str], *, excluded: bool) -> bool:
    """dNSName matching: ``hosts`` are ``example.com`` constraints, ``domains`` are ``.example.com``'s."""
    if host.startswith("*."):
        rest = host[2:]
        # every expansion L.rest is inside when rest is inside either kind, or rest is the domain of a dot
        if any(suffix in hosts or suffix in domains for suffix in _suffixes(rest)):
            return True
        # excluded: an expansion is itself an excluded host (``*.example.com`` and ``a.example.com``)
        return excluded and any(candidate.partition(".")[2] == rest for candidate in hosts)
    suffixes = list(_suffixes(host))
    return any(suffix in hosts for suffix in suffixes) or any(suffix in domains for suffix in suffixes[1:])


# -- counting without decoding ------------------------------------------------------------------------


def _count_elements(contents: bytes) -> int:
    """How many DER elements ``contents`` holds, by their headers only (never more than fit)."""
    count = position = 0
    end = len(contents)
    while position < end:
        if position + 2 > end:
            return count + 1
        length = contents[position + 1]
        header = 2
        if length & 0x80:
            size = length & 0x7F
            length = int.from_bytes(contents[position + 2 : position + 2 + size], "big")
            header += size
        position += header + length
        count += 1
    return count


def _count_names(cert: asn1_x509.Certificate) -> int:
    """The names of ``cert`` name constraints apply to: SAN entries (counted in the DER), and one for the
    subject with its attributes."""
    count = 1 if cert.subject.contents not in (None, b"") else 0
    extensions = cert["tbs_certificate"]["extensions"]
    if extensions.contents is None:
        return count
    for extension in extensions:
        if extension["extn_id"].dotted == "2.5.29.17":
            inner = extension["extn_value"].contents or b""
            # SubjectAltName ::= SEQUENCE OF GeneralName: skip the outer header
            if len(inner) >= 2:
                header = 2 + ((inner[1] & 0x7F) if inner[1] & 0x80 else 0)
                count += _count_elements(inner[header:])
    return count


# -- the state of one path -----------------------------------------------------------------------------


def _general(general: Any) -> tuple[str, Any]:
    form = _FORMS.get(general.name, general.name)
    if form == "directoryName":
        return form, general.chosen
    if form in FORMS:
        return form, bytes(general.chosen.contents or b"")
    return form, None


def certificate_names(cert: asn1_x509.Certificate, *, cn_as_dns: bool) -> list[tuple[str, Any]]:
    """The names RFC 5280 6.1.3 (b)-(c) checks, as (form, raw value): the subject (when not empty), its
    emailAddress attributes, the subjectAltName entries, and with ``cn_as_dns`` (webpki, a leaf without
    SAN) a host-like common name as a dNSName.  Raises when the subjectAltName does not decode."""
    names: list[tuple[str, Any]] = []
    subject = cert.subject
    sans = cert.subject_alt_name_value
    if len(subject.chosen):
        names.append(("directoryName", subject))
        for rdn in subject.chosen:
            for attribute in rdn:
                kind = attribute["type"].native
                if kind == "email_address":
                    names.append(("rfc822Name", str(attribute["value"].native).encode("utf-8")))
                elif kind == "common_name" and cn_as_dns and sans is None:
                    value = str(attribute["value"].native).encode("utf-8")
                    if dns_name(value) is not None and b"." in value:
                        names.append(("dNSName", value))
    if sans is not None:
        names.extend(_general(general) for general in sans)
    return names


class Constraints:
    """permitted_subtrees and excluded_subtrees through a path (RFC 5280 6.1.2 (b)-(c), 6.1.4 (g))."""

    __slots__ = ("_pending", "_sources", "excluded", "permitted")

    def __init__(self) -> None:
        self.permitted: list[_Subtrees] = []  # one per constraining certificate (6.1.4 (g)(1))
        self.excluded: list[_Subtrees] = []  # one per constraining certificate (6.1.4 (g)(2))
        self._sources: list[list[int]] = []  # [path index, subtree count, names counted so far]
        self._pending: list[tuple[int, Any]] = []  # (index, NameConstraints) not indexed yet

    @property
    def active(self) -> bool:
        """Whether any constraint applies yet."""
        return bool(self._sources)

    def add(self, value: asn1_x509.NameConstraints, index: int) -> None:
        """6.1.4 (g): the subtrees of the certificate at ``index`` (counted now, indexed when needed)."""
        count = 0
        for field in ("permitted_subtrees", "excluded_subtrees"):
            subtrees = value[field]
            if not isinstance(subtrees, Void):
                count += _count_elements(subtrees.contents or b"")
        self._sources.append([index, count, 0])
        self._pending.append((index, value))

    def _index(self) -> None:
        for index, value in self._pending:
            try:
                for field, into in (
                    ("permitted_subtrees", self.permitted),
                    ("excluded_subtrees", self.excluded),
                ):
                    subtrees = value[field]
                    if isinstance(subtrees, Void):
                        continue  # absent
                    indexed = _Subtrees()
                    for subtree in subtrees:
                        indexed.add(subtree)
                    into.append(indexed)
            except Exception as exc:  # asn1crypto cannot decode the subtrees
                raise UnreadableConstraintsError(
                    f"its nameConstraints cannot be decoded ({type(exc).__name__}: {exc})", index
                ) from exc
        self._pending = []

    def check(self, cert: asn1_x509.Certificate, *, cn_as_dns: bool = False) -> None:
        """6.1.3 (b)-(c): raise :class:`NameConstraintsError` naming the refused name, or
        :class:`NameConstraintsBudgetError` naming the certificate whose constraints cost too much.

        The names are counted from the DER and the budget checked before anything is decoded.
        """
        if not self.active:
            return
        counted = _count_names(cert)
        for source in self._sources:
            index, subtrees, so_far = source
            source[2] = so_far + counted
            if subtrees * source[2] > MAX_COMPARISONS:
                raise NameConstraintsBudgetError(
                    f"checking names against the {subtrees} name constraints of this certificate takes more "
                    f"than {MAX_COMPARISONS} comparisons",
                    index,
                )
        if self._pending:
            self._index()
        try:
            names = certificate_names(cert, cn_as_dns=cn_as_dns)
        except Exception as exc:  # a subjectAltName that does not decode: its names cannot be checked
            raise NameConstraintsError(f"the subjectAltName cannot be read to check it ({exc})") from exc
        for form, raw in names:
            self._check_name(form, raw)

    def _check_name(self, form: str, raw: Any) -> None:
        reader = FORMS.get(form)
        constrained = any(form in subtrees.forms for subtrees in (*self.permitted, *self.excluded))
        if reader is None:
            if constrained:
                raise NameConstraintsError(
                    f"a name of the form {form} cannot be evaluated under {form} constraints"
                )
            return
        name = reader(raw)
        if form == "directoryName" and name == ():
            return  # an empty name is no name
        if name is None:
            if form == "directoryName" and not constrained:
                return  # a subject RFC 4518 cannot prepare, but no directoryName constraint to compare with
            raise NameConstraintsError(f"{form} {_shown(form, raw)} does not parse, so it cannot be checked")
        for subtrees in (*self.permitted, *self.excluded):
            if form in subtrees.unreadable:
                raise NameConstraintsError(
                    f"{form} {_shown(form, raw)} is under a {form} constraint that cannot be evaluated"
                )
        for subtrees in self.permitted:
            if form in subtrees.forms and not subtrees.matches(form, name, excluded=False):
                raise NameConstraintsError(f"{form} {_shown(form, raw)} is not in the permitted subtrees")
        for subtrees in self.excluded:
            if form in subtrees.forms and subtrees.matches(form, name, excluded=True):
                raise NameConstraintsError(f"{form} {_shown(form, raw)} is in an excluded subtree")


def _shown(form: str, value: Any) -> str:
    if isinstance(value, bytes):
        if form == "iPAddress" and len(value) in (4, 16):
            return str(ipaddress.ip_address(value))
        return repr(value.decode("ascii", "backslashreplace"))
    try:
        return repr(value.human_friendly)
    except Exception:  # a name that cannot be rendered is still named by its form
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
