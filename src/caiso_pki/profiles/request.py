"""CSR request profiles: what a RIG, DPG, ICCP, API-client or UI-client request must look like.

Profiles are data.  The built-in ones ship as ``request_profiles.toml`` in this package; users load
their own TOML file, which may ``extends = "rig"`` a built-in and change only what differs::

    profile = load_request_profile("rig")
    profile = load_request_profile("site-profiles.toml", name="rig-ec-only")

:meth:`RequestProfile.check` returns every :class:`RequestFinding` at once; ``build_csr(...,
profile=...)`` refuses to sign when any finding is an error, and ``check_csr`` runs the same rules on a
CSR made elsewhere.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Mapping, Sized
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

import attrs

from caiso_pki import oids
from caiso_pki._convert import instance, instances, text, texts
from caiso_pki._source import NamedBytes
from caiso_pki._toml import decode_toml, parse_toml
from caiso_pki.errors import CaisoPkiError, MalformedInputError, ProfileError
from caiso_pki.keys import SUPPORTED_KEY_SPECS, KeySpec, key_usage_fits, key_usage_name
from caiso_pki.oids import oid_name, parse_oid
from caiso_pki.subject import attribute_oid, validate_attribute

if TYPE_CHECKING:
    from caiso_pki.types import JsonDict

__all__ = [
    "BUILTIN_PROFILE_NAMES",
    "RequestContent",
    "RequestFinding",
    "RequestProfile",
    "SanRules",
    "builtin_request_profiles",
    "load_request_profile",
]

Presence = Literal["required", "optional", "forbidden"]
Severity = Literal["error", "warning"]

BUILTIN_PROFILE_NAMES: Final = ("rig", "dpg", "iccp", "api-client", "ui-client")
_PRESENCE: Final = ("required", "optional", "forbidden")
_WEAK_HASHES: Final = frozenset({"md5", "sha1", "md2"})
_DNS_LABEL: Final = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


def _attr_label(dotted: str) -> str:
    from caiso_pki.subject import _label

    return _label(dotted)


@attrs.frozen
class RequestFinding:
    """One way a certificate request breaks its profile.

    ``code`` is a stable identifier (``"REQ-KEY-SPEC"``) for scripts; ``severity`` is ``"error"`` (the CA
    would refuse or mis-issue) or ``"warning"``; ``field`` names the part of the request
    (``"subject.C"``, ``"san.dns"``); ``rule`` names the profile rule (``"rig: subject.values"``).
    """

    code: str
    severity: Severity
    message: str
    field: str
    rule: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {
            "code": self.code,
            "severity": self.severity,
            "message": self.message,
            "field": self.field,
            "rule": self.rule,
        }

    def __str__(self) -> str:
        return f"{self.severity.upper()} {self.code} [{self.field}]: {self.message}"


@attrs.frozen
class RequestContent:
    """What a certificate request asks for, in the form the profile rules read.

    ``build_csr`` makes one from its arguments (before signing) and ``check_csr`` from a parsed CSR.
    ``key_usage``/``extended_key_usage`` are ``None`` when the request has no such extension;
    extended key usages are dotted OIDs.  ``subject_checked`` says the subject was already validated.
    """

    key_spec: KeySpec | None
    key_label: str
    subject: tuple[tuple[str, str], ...]
    dns: tuple[str, ...] = ()
    ip: tuple[str, ...] = ()
    uri: tuple[str, ...] = ()
    email: tuple[str, ...] = ()
    other_sans: tuple[str, ...] = ()
    key_usage: tuple[str, ...] | None = None
    extended_key_usage: tuple[str, ...] | None = None
    is_ca: bool = False
    signature_valid: bool | None = None
    signature_hash: str | None = None
    subject_checked: bool = False


@attrs.frozen(cache_hash=True, kw_only=True)
class SanRules:
    """Subject-alternative-name rules of a profile."""

    dns: Presence = "optional"
    ip: Presence = "optional"
    uri: Presence = "optional"
    email: Presence = "optional"
    cn_in_dns: bool = False
    wildcards: bool = False
    min: int = 0
    max: int = 100


@attrs.frozen
class _FastRules:
    """A profile's rules as sets and indexes, for the fast accept path."""

    required: frozenset[str]
    forbidden: frozenset[str]
    values: dict[str, frozenset[str]]
    san_required: tuple[int, ...]
    san_forbidden: tuple[int, ...]
    ku_required: dict[str, frozenset[str]]
    ku_allowed: dict[str, frozenset[str]]
    eku_required: frozenset[str]


def _subject_values(value: object) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """``((dotted OID, (allowed value, ...)), ...)``, checked."""
    from caiso_pki._convert import instances

    pairs = instances(value, tuple, "subject_values", "(attribute OID, allowed values) pairs")
    result = []
    for index, pair in enumerate(pairs):
        if len(pair) != 2:
            raise MalformedInputError(f"subject_values[{index}]: expected (attribute OID, allowed values)")
        result.append(
            (text(pair[0], f"subject_values[{index}][0]"), texts(pair[1], f"subject_values[{index}][1]"))
        )
    return tuple(result)


_TEXT_TUPLES: Final = (
    "required_subject",
    "forbidden_subject",
    "key_usage",
    "key_usage_optional",
    "extended_key_usage",
    "extended_key_usage_optional",
)


@attrs.frozen(cache_hash=True, kw_only=True)
class RequestProfile:
    """A request profile: allowed keys, subject rules, SAN rules and the key usages to request.

    Subject attributes are held as dotted OIDs and extended key usages as dotted OIDs; ``source`` is
    the file the profile came from (``"built-in"`` for the shipped ones).
    """

    name: str
    description: str = ""
    key_specs: tuple[KeySpec, ...] = attrs.field(
        default=tuple(KeySpec.parse(spec) for spec in SUPPORTED_KEY_SPECS)
    )
    required_subject: tuple[str, ...] = ()
    forbidden_subject: tuple[str, ...] = ()
    subject_values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    san: SanRules = SanRules()
    key_usage: tuple[str, ...] = ()
    key_usage_optional: tuple[str, ...] = ()
    extended_key_usage: tuple[str, ...] = ()
    extended_key_usage_optional: tuple[str, ...] = ()
    source: str = "built-in"
    # derived once, so that checking a request costs set lookups only
    _specs: frozenset[KeySpec] = attrs.field(init=False, eq=False, repr=False)
    _ku_allowed: frozenset[str] = attrs.field(init=False, eq=False, repr=False)
    _eku_allowed: frozenset[str] = attrs.field(init=False, eq=False, repr=False)
    _ku_by_algorithm: dict[str, tuple[str, ...]] = attrs.field(init=False, eq=False, repr=False)
    _fast: _FastRules = attrs.field(init=False, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        setattr_ = object.__setattr__
        # The boundary: every field checked once, naming it, so the rules below can trust them.
        for field in ("name", "description", "source"):
            text(getattr(self, field), field)
        for field in _TEXT_TUPLES:
            setattr_(self, field, texts(getattr(self, field), field))
        setattr_(self, "key_specs", instances(self.key_specs, KeySpec, "key_specs", "KeySpec objects"))
        setattr_(self, "subject_values", _subject_values(self.subject_values))
        instance(self.san, SanRules, "san", "SanRules")
        setattr_(self, "_specs", frozenset(self.key_specs))
        setattr_(self, "_ku_allowed", frozenset(self.key_usage) | frozenset(self.key_usage_optional))
        setattr_(
            self,
            "_eku_allowed",
            frozenset(self.extended_key_usage) | frozenset(self.extended_key_usage_optional),
        )
        algorithms = (KeySpec.parse("rsa-2048"), KeySpec.parse("ec-p256"))
        by_algorithm = {
            spec.algorithm: tuple(u for u in self.key_usage if key_usage_fits(u, spec)) for spec in algorithms
        }
        setattr_(self, "_ku_by_algorithm", by_algorithm)
        san = self.san
        kinds = (san.dns, san.ip, san.uri, san.email)
        setattr_(
            self,
            "_fast",
            _FastRules(
                required=frozenset(self.required_subject),
                forbidden=frozenset(self.forbidden_subject),
                values={dotted: frozenset(allowed) for dotted, allowed in self.subject_values},
                san_required=tuple(i for i, presence in enumerate(kinds) if presence == "required"),
                san_forbidden=tuple(i for i, presence in enumerate(kinds) if presence == "forbidden"),
                ku_required={a: frozenset(usages) for a, usages in by_algorithm.items()},
                ku_allowed={
                    spec.algorithm: frozenset(u for u in self._ku_allowed if key_usage_fits(u, spec))
                    for spec in algorithms
                },
                eku_required=frozenset(self.extended_key_usage),
            ),
        )

    def conforms(self, content: RequestContent) -> bool:
        """True when ``content`` has no error finding (warnings allowed); much cheaper than :meth:`check`."""
        return self._accepts(
            content.key_spec,
            content.subject,
            (content.dns, content.ip, content.uri, content.email),
            content.key_usage,
            content.extended_key_usage,
        ) and not (
            content.other_sans
            or content.is_ca
            or content.signature_valid is False
            or (content.signature_hash in _WEAK_HASHES)
            or not (
                content.subject_checked or all(validate_attribute(o, v) is None for o, v in content.subject)
            )
        )

    def _accepts(
        self,
        spec: KeySpec | None,
        subject: tuple[tuple[str, str], ...],
        sans: tuple[tuple[str, ...], Sized, Sized, Sized],
        key_usage: tuple[str, ...] | None,
        extended_key_usage: tuple[str, ...] | None,
    ) -> bool:
        # The fast accept path of build_csr: a conservative yes/no over precomputed sets.  It must say
        # True only when _check would report no error; tests compare the two on every rule.
        fast = self._fast
        if spec is None or spec not in self._specs:
            return False
        present = {dotted for dotted, _ in subject}
        if not fast.required <= present or not fast.forbidden.isdisjoint(present):
            return False
        values = fast.values
        for dotted, value in subject:
            allowed = values.get(dotted)
            if allowed is not None and value not in allowed:
                return False
        for index in fast.san_required:
            if not sans[index]:
                return False
        for index in fast.san_forbidden:
            if sans[index]:
                return False
        rules = self.san
        dns = sans[0]
        for name in dns:
            if dns_name_problem(name) is not None or (not rules.wildcards and name.startswith("*.")):
                return False
        if rules.cn_in_dns:
            lowered = {name.lower().rstrip(".") for name in dns}
            for dotted, value in subject:
                if dotted == oids.COMMON_NAME and value.lower().rstrip(".") not in lowered:
                    return False
        total = len(dns) + len(sans[1]) + len(sans[2]) + len(sans[3])
        if total < rules.min or total > rules.max:
            return False
        return _usage_accepted(self, spec.algorithm, key_usage, extended_key_usage)

    @property
    def default_key_spec(self) -> KeySpec:
        """The first allowed key spec (what ``caiso-pki csr new`` generates when not told)."""
        return self.key_specs[0]

    def key_usage_for(self, spec: KeySpec) -> tuple[str, ...]:
        """Key usages to request for a key of ``spec`` (RSA-only or EC-only bits dropped as needed)."""
        return self._ku_by_algorithm[spec.algorithm]

    def check(self, content: RequestContent) -> tuple[RequestFinding, ...]:
        """Every finding for ``content`` against this profile (empty when the request conforms)."""
        return tuple(_check(self, content))

    def to_dict(self) -> JsonDict:
        """JSON-ready form (attribute names and EKU names rather than OIDs where known)."""
        return {
            "name": self.name,
            "description": self.description,
            "source": self.source,
            "key_specs": [str(spec) for spec in self.key_specs],
            "subject": {
                "required": [_attr_label(o) for o in self.required_subject],
                "forbidden": [_attr_label(o) for o in self.forbidden_subject],
                "values": {_attr_label(o): list(v) for o, v in self.subject_values},
            },
            "san": attrs.asdict(self.san),
            "usage": {
                "key_usage": list(self.key_usage),
                "key_usage_optional": list(self.key_usage_optional),
                "extended_key_usage": [oid_name(o) for o in self.extended_key_usage],
                "extended_key_usage_optional": [oid_name(o) for o in self.extended_key_usage_optional],
            },
        }


# -- rules -----------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _usage_accepted(
    profile: RequestProfile,
    algorithm: str,
    key_usage: tuple[str, ...] | None,
    extended_key_usage: tuple[str, ...] | None,
) -> bool:
    fast = profile._fast
    if key_usage is not None:
        requested = frozenset(key_usage)
        if not fast.ku_required[algorithm] <= requested or not requested <= fast.ku_allowed[algorithm]:
            return False
    if extended_key_usage is not None:
        requested = frozenset(extended_key_usage)
        if not fast.eku_required <= requested or not requested <= profile._eku_allowed:
            return False
    return True


@functools.lru_cache(maxsize=1024)
def dns_name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid DNS SAN (ASCII LDH labels, optional leading ``*.``), or ``None``."""
    if not name.isascii():
        return f"{name!r} is not ASCII; give internationalised names in their xn-- (A-label) form"
    host = name[2:] if name.startswith("*.") else name
    if not host or len(name) > 253:
        return f"{name!r} is not a valid DNS name (empty or longer than 253 characters)"
    labels = host.rstrip(".").split(".")
    if not all(_DNS_LABEL.match(label) for label in labels):
        return f"{name!r} is not a valid DNS name (labels are letters, digits and inner hyphens)"
    return None


def _check(profile: RequestProfile, content: RequestContent) -> list[RequestFinding]:
    findings: list[RequestFinding] = []
    name = profile.name

    def add(code: str, message: str, field: str, rule: str, severity: Severity = "error") -> None:
        findings.append(RequestFinding(code, severity, message, field, f"{name}: {rule}"))

    specs, ku_allowed, eku_allowed = profile._specs, profile._ku_allowed, profile._eku_allowed
    spec = content.key_spec
    if spec is None or spec not in specs:
        add(
            "REQ-KEY-SPEC",
            f"key {content.key_label} is not allowed; use one of "
            f"{', '.join(str(s) for s in profile.key_specs)}",
            "key",
            "key_specs",
        )

    # subject
    present: dict[str, list[str]] = {}
    for dotted, value in content.subject:
        present.setdefault(dotted, []).append(value)
        if not content.subject_checked:
            problem = validate_attribute(dotted, value)
            if problem is not None:
                add("REQ-SUBJECT-INVALID", problem, f"subject.{_attr_label(dotted)}", "RFC 5280")
    for dotted in profile.required_subject:
        if dotted not in present:
            add(
                "REQ-SUBJECT-MISSING",
                f"the subject must include {_attr_label(dotted)}",
                f"subject.{_attr_label(dotted)}",
                "subject.required",
            )
    for dotted in profile.forbidden_subject:
        if dotted in present:
            add(
                "REQ-SUBJECT-FORBIDDEN",
                f"the subject must not include {_attr_label(dotted)}",
                f"subject.{_attr_label(dotted)}",
                "subject.forbidden",
            )
    for dotted, allowed in profile.subject_values:
        for value in present.get(dotted, ()):
            if value not in allowed:
                add(
                    "REQ-SUBJECT-VALUE",
                    f"{_attr_label(dotted)}={value!r} is not allowed; use {' or '.join(map(repr, allowed))}",
                    f"subject.{_attr_label(dotted)}",
                    "subject.values",
                )

    # subject alternative names
    rules = profile.san
    for kind, values in (
        ("dns", content.dns),
        ("ip", content.ip),
        ("uri", content.uri),
        ("email", content.email),
    ):
        presence = getattr(rules, kind)
        if presence == "required" and not values:
            add(
                "REQ-SAN-MISSING",
                f"at least one {kind.upper()} subject alternative name is required",
                f"san.{kind}",
                f"san.{kind}",
            )
        elif presence == "forbidden" and values:
            add(
                "REQ-SAN-FORBIDDEN",
                f"{kind.upper()} subject alternative names are not allowed: {', '.join(values)}",
                f"san.{kind}",
                f"san.{kind}",
            )
    if content.other_sans:
        add(
            "REQ-SAN-FORBIDDEN",
            f"only DNS, IP, URI and e-mail names are allowed, not {', '.join(content.other_sans)}",
            "san.other",
            "san",
        )
    for dns in content.dns:
        problem = dns_name_problem(dns)
        if problem is not None:
            add("REQ-SAN-SYNTAX", problem, "san.dns", "san.dns")
        elif dns.startswith("*.") and not rules.wildcards:
            add("REQ-SAN-WILDCARD", f"wildcard name {dns!r} is not allowed", "san.dns", "san.wildcards")
    if rules.cn_in_dns:
        lowered = {dns.lower().rstrip(".") for dns in content.dns}
        for common_name in present.get(oids.COMMON_NAME, ()):
            if common_name.lower().rstrip(".") not in lowered:
                add(
                    "REQ-SAN-CN-NOT-IN-DNS",
                    f"the CN {common_name!r} must also be a DNS subject alternative name",
                    "san.dns",
                    "san.cn_in_dns",
                )
    total = (
        len(content.dns) + len(content.ip) + len(content.uri) + len(content.email) + len(content.other_sans)
    )
    if total < rules.min or total > rules.max:
        add(
            "REQ-SAN-COUNT",
            f"{total} subject alternative names; the profile allows {rules.min} to {rules.max}",
            "san",
            "san.min/san.max",
        )

    # key usage
    if content.key_usage is None:
        if profile.key_usage:
            add(
                "REQ-KU-ABSENT",
                "the request has no keyUsage extension; the CA will choose the key usages",
                "key_usage",
                "usage.key_usage",
                "warning",
            )
    else:
        requested = set(content.key_usage)
        expected = profile.key_usage_for(spec) if spec is not None else profile.key_usage
        missing = [usage for usage in expected if usage not in requested]
        if missing:
            add(
                "REQ-KU-MISSING",
                f"keyUsage must include {', '.join(missing)}",
                "key_usage",
                "usage.key_usage",
            )
        extra = sorted(requested - ku_allowed)
        if extra:
            add(
                "REQ-KU-EXTRA",
                f"keyUsage must not include {', '.join(extra)}",
                "key_usage",
                "usage.key_usage_optional",
            )
        if spec is not None:
            misfit = sorted(usage for usage in requested & ku_allowed if not key_usage_fits(usage, spec))
            if misfit:
                add(
                    "REQ-KU-KEY-TYPE",
                    f"{', '.join(misfit)} cannot be used with a {spec} key",
                    "key_usage",
                    "usage.key_usage",
                )

    # extended key usage
    if content.extended_key_usage is None:
        if profile.extended_key_usage:
            add(
                "REQ-EKU-ABSENT",
                "the request has no extendedKeyUsage extension; the CA will choose the purposes",
                "extended_key_usage",
                "usage.extended_key_usage",
                "warning",
            )
    else:
        requested_eku = set(content.extended_key_usage)
        missing = [oid_name(o) for o in profile.extended_key_usage if o not in requested_eku]
        if missing:
            add(
                "REQ-EKU-MISSING",
                f"extendedKeyUsage must include {', '.join(missing)}",
                "extended_key_usage",
                "usage.extended_key_usage",
            )
        extra = sorted(oid_name(o) for o in requested_eku - eku_allowed)
        if extra:
            add(
                "REQ-EKU-EXTRA",
                f"extendedKeyUsage must not include {', '.join(extra)}",
                "extended_key_usage",
                "usage.extended_key_usage_optional",
            )

    if content.is_ca:
        add(
            "REQ-CA-REQUESTED",
            "an end-entity request must not ask for basicConstraints cA=TRUE",
            "basic_constraints",
            "end entity",
        )
    if content.signature_valid is False:
        add(
            "REQ-SIGNATURE",
            "the CSR's self-signature does not verify: the request was altered or is damaged",
            "signature",
            "proof of possession",
        )
    if content.signature_hash is not None and content.signature_hash in _WEAK_HASHES:
        add(
            "REQ-SIGNATURE-HASH",
            f"the CSR is signed with {content.signature_hash.upper()}; use SHA-256 or stronger",
            "signature",
            "signature hash",
        )
    return findings


# -- loading ---------------------------------------------------------------------------------------

_LIST: Final = "list of strings"
#: Upper bound of the numeric fields (SAN counts): far more names than any CA puts in one certificate.
MAX_SAN_COUNT: Final = 1000
#: longest ``extends`` chain accepted (a bound, so a hostile file cannot exhaust the recursion limit)
_MAX_EXTENDS_DEPTH: Final = 16
_SCHEMA: Final[dict[str, Any]] = {
    "name": str,
    "description": str,
    "extends": str,
    "key_specs": _LIST,
    "subject": {"required": _LIST, "forbidden": _LIST, "values": "values"},
    "san": {
        "dns": "presence",
        "ip": "presence",
        "uri": "presence",
        "email": "presence",
        "cn_in_dns": bool,
        "wildcards": bool,
        "min": int,
        "max": int,
    },
    "usage": {
        "key_usage": _LIST,
        "key_usage_optional": _LIST,
        "extended_key_usage": _LIST,
        "extended_key_usage_optional": _LIST,
    },
}


class _Ctx:
    """Where a profile being loaded came from, to make every error name the file, key and line."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.text = text

    def error(self, key: str, message: str) -> ProfileError:
        line = _line_of(self.text, key)
        where = f"{self.source}: line {line}" if line else self.source
        return ProfileError(f"{where}: key {key!r}: {message}")


def _line_of(text: str, key: str) -> int | None:
    last = re.escape(key.rsplit(".", 1)[-1])
    pattern = re.compile(rf"^\s*(?:\[+[^\]]*\b{last}\]+|(?:\"{last}\"|'{last}'|{last})\s*=)", re.MULTILINE)
    match = pattern.search(text)
    if match is None:
        return None
    return text.count("\n", 0, match.start()) + 1


def _type_name(value: object) -> str:
    return {dict: "table", list: "array", str: "string", bool: "boolean", int: "integer"}.get(
        type(value), type(value).__name__
    )


def _validate(raw: Mapping[str, Any], schema: Mapping[str, Any], prefix: str, ctx: _Ctx) -> None:
    for key, value in raw.items():
        path = f"{prefix}.{key}" if prefix else key
        expected = schema.get(key)
        if expected is None:
            raise ctx.error(path, f"unknown key (allowed here: {', '.join(sorted(schema))})")
        if isinstance(expected, dict):
            if not isinstance(value, dict):
                raise ctx.error(path, f"must be a table, got {_type_name(value)}")
            _validate(value, expected, path, ctx)
        elif expected == _LIST:
            if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
                raise ctx.error(path, f"must be a list of strings, got {_type_name(value)}")
        elif expected == "values":
            if not isinstance(value, dict):
                raise ctx.error(
                    path, f"must be a table of attribute = [allowed values], got {_type_name(value)}"
                )
            for attr, allowed in value.items():
                if not isinstance(allowed, list) or not all(isinstance(item, str) for item in allowed):
                    raise ctx.error(f"{path}.{attr}", f"must be a list of strings, got {_type_name(allowed)}")
        elif expected == "presence":
            if value not in _PRESENCE:
                raise ctx.error(path, f"must be one of {', '.join(map(repr, _PRESENCE))}, got {value!r}")
        elif expected is int:
            if type(value) is not int or not 0 <= value <= MAX_SAN_COUNT:
                raise ctx.error(
                    path, f"must be an integer from 0 to {MAX_SAN_COUNT}, got {_type_name(value)} {value!r}"
                )
        elif type(value) is not expected:
            raise ctx.error(path, f"must be a {_type_name(expected())}, got {_type_name(value)}")


def _merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _attributes(values: list[str], path: str, ctx: _Ctx) -> tuple[str, ...]:
    result = []
    for value in values:
        try:
            result.append(attribute_oid(value))
        except CaisoPkiError as exc:
            raise ctx.error(path, f"{value!r} is not a subject attribute name or a valid OID") from exc
    return tuple(result)


def _build(name: str, raw: Mapping[str, Any], prefix: str, ctx: _Ctx) -> RequestProfile:
    fields: dict[str, Any] = {"name": raw.get("name", name), "source": ctx.source}
    if "description" in raw:
        fields["description"] = raw["description"]
    if "key_specs" in raw:
        specs = []
        for value in raw["key_specs"]:
            try:
                specs.append(KeySpec.parse(value))
            except CaisoPkiError as exc:
                raise ctx.error(f"{prefix}key_specs", f"{value!r}: {exc}") from exc
        if not specs:
            raise ctx.error(f"{prefix}key_specs", "must name at least one key spec")
        fields["key_specs"] = tuple(specs)
    subject = raw.get("subject", {})
    fields["required_subject"] = _attributes(subject.get("required", []), f"{prefix}subject.required", ctx)
    fields["forbidden_subject"] = _attributes(subject.get("forbidden", []), f"{prefix}subject.forbidden", ctx)
    values = []
    for attr, allowed in subject.get("values", {}).items():
        (dotted,) = _attributes([attr], f"{prefix}subject.values.{attr}", ctx)
        values.append((dotted, tuple(allowed)))
    fields["subject_values"] = tuple(values)
    fields["san"] = SanRules(**raw.get("san", {}))
    if fields["san"].min > fields["san"].max:
        raise ctx.error(
            f"{prefix}san.min", f"min ({fields['san'].min}) is larger than max ({fields['san'].max})"
        )
    usage = raw.get("usage", {})
    for key in ("key_usage", "key_usage_optional"):
        names = []
        for value in usage.get(key, []):
            try:
                names.append(key_usage_name(value))
            except CaisoPkiError as exc:
                raise ctx.error(f"{prefix}usage.{key}", str(exc)) from exc
        fields[key] = tuple(names)
    for key in ("extended_key_usage", "extended_key_usage_optional"):
        oids = []
        for value in usage.get(key, []):
            try:
                oids.append(parse_oid(value))
            except CaisoPkiError as exc:
                raise ctx.error(
                    f"{prefix}usage.{key}", f"{value!r} is not a valid OID or known name"
                ) from exc
        fields[key] = tuple(oids)
    return RequestProfile(**fields)


def _resolve_all(
    tables: Mapping[str, Mapping[str, Any]],
    ctx: _Ctx,
    prefix: Callable[[str], str],
    outer: Mapping[str, Mapping[str, Any]],
) -> dict[str, dict[str, Any]]:
    """Resolve ``extends`` chains; ``outer`` holds already-resolved profiles (the built-ins)."""
    resolved: dict[str, dict[str, Any]] = {}

    def resolve(name: str, chain: tuple[str, ...]) -> dict[str, Any]:
        if name in resolved:
            return resolved[name]
        raw = dict(tables[name])
        parent = raw.pop("extends", None)
        if parent is not None:
            if len(chain) >= _MAX_EXTENDS_DEPTH:
                raise ctx.error(
                    f"{prefix(name)}extends", f"extends chain is longer than {_MAX_EXTENDS_DEPTH} profiles"
                )
            if parent in chain or parent == name:
                raise ctx.error(
                    f"{prefix(name)}extends", f"circular extends: {' -> '.join((*chain, name, parent))}"
                )
            if parent in tables:
                base = resolve(parent, (*chain, name))
            elif parent in outer:
                base = dict(outer[parent])
            else:
                known = sorted({*tables, *outer})
                raise ctx.error(
                    f"{prefix(name)}extends", f"unknown profile {parent!r} (known: {', '.join(known)})"
                )
            base.pop("name", None)
            raw = _merge(base, raw)
        resolved[name] = raw
        return raw

    for name in tables:
        resolve(name, ())
    return resolved


def _in_profiles(name: str) -> str:
    return f"profiles.{name}."


def _top_level(name: str) -> str:
    return ""


@functools.cache
def _builtin() -> tuple[dict[str, dict[str, Any]], dict[str, RequestProfile]]:
    from importlib import resources

    text = resources.files("caiso_pki.profiles").joinpath("request_profiles.toml").read_text("utf-8")
    ctx = _Ctx("caiso_pki/profiles/request_profiles.toml", text)
    data = parse_toml(text, ctx.source, error=ProfileError)
    tables = data["profiles"]
    for name, table in tables.items():
        _validate(table, _SCHEMA, f"profiles.{name}", ctx)
    raw = _resolve_all(tables, ctx, _in_profiles, {})
    return raw, {name: _build(name, table, _in_profiles(name), ctx) for name, table in raw.items()}


def builtin_request_profiles() -> dict[str, RequestProfile]:
    """The built-in profiles by name (parsed once per process)."""
    return dict(_builtin()[1])


def _read_profile_file(path: Path) -> NamedBytes:
    from caiso_pki._source import read_file
    from caiso_pki._text import display_path

    if not path.exists() and not path.is_symlink():
        raise ProfileError(f"{display_path(path)}: no such profile file")
    try:
        return read_file(path, what="request profile")
    except MalformedInputError as exc:  # a directory, unreadable, over the size cap
        raise ProfileError(f"cannot read request profile: {exc}") from exc


def load_request_profile(
    name_or_path: str | os.PathLike[str] | NamedBytes | RequestProfile, *, name: str | None = None
) -> RequestProfile:
    """Load a built-in profile by name (``"rig"``, ``"dpg"``, ``"iccp"``, ``"api-client"``,
    ``"ui-client"``) or a profile from a TOML file.

    A file holds either one profile at top level (its name is ``name =`` or the file stem) or several
    under ``[profiles.<name>]`` (pick one with ``name=``; required when there are several).  A profile
    may ``extends = "<profile>"`` one in the same file or a built-in.  Unknown keys, wrong types, bad
    OIDs and unknown key specs raise :class:`ProfileError` naming the file, line and key.  The bytes of a
    file already read (:class:`~caiso_pki._source.NamedBytes`, as the command line passes them) work too.
    """
    if isinstance(name_or_path, RequestProfile):
        return name_or_path
    if not isinstance(name_or_path, (str, os.PathLike, NamedBytes)):
        raise ProfileError(
            f"request profile: expected a built-in name ({', '.join(_builtin()[1])}), a TOML file path or "
            f"a RequestProfile, got {type(name_or_path).__name__ if name_or_path is not None else 'None'}"
        )
    if isinstance(name_or_path, str) and not name_or_path:
        raise ProfileError("request profile: the name is empty")
    builtins = _builtin()[1]
    if isinstance(name_or_path, str) and name is None and name_or_path in builtins:
        return builtins[name_or_path]
    if isinstance(name_or_path, NamedBytes):
        content = name_or_path
        path = content.path if content.path is not None else Path("profile")
    else:
        path = Path(name_or_path)
        if (
            isinstance(name_or_path, str)
            and not path.suffix
            and not path.exists()
            and os.sep not in name_or_path
        ):
            raise ProfileError(
                f"unknown request profile {name_or_path!r}; built-in profiles: {', '.join(builtins)}"
            )
        content = _read_profile_file(path)
    source = content.name
    text = decode_toml(content, source, what="request profile", error=ProfileError)
    ctx = _Ctx(source, text)
    data = parse_toml(text, source, error=ProfileError)
    if "profiles" in data:
        extra = sorted(set(data) - {"profiles"})
        if extra:
            raise ctx.error(extra[0], "unknown key beside [profiles] tables")
        tables = data["profiles"]
        if (
            not isinstance(tables, dict)
            or not tables
            or not all(isinstance(t, dict) for t in tables.values())
        ):
            raise ctx.error("profiles", "must hold one or more [profiles.<name>] tables")
        for table_name, table in tables.items():
            _validate(table, _SCHEMA, f"profiles.{table_name}", ctx)
        prefix = _in_profiles
        if name is None:
            if len(tables) != 1:
                raise ProfileError(f"{source}: holds profiles {', '.join(tables)}; pass name= to choose one")
            name = next(iter(tables))
        elif name not in tables:
            raise ProfileError(f"{source}: no profile {name!r} (it holds {', '.join(tables)})")
    else:
        _validate(data, _SCHEMA, "", ctx)
        profile_name = data.get("name", path.stem)
        if name is not None and name != profile_name:
            raise ProfileError(f"{source}: holds profile {profile_name!r}, not {name!r}")
        name = profile_name
        tables = {name: data}
        prefix = _top_level
    resolved = _resolve_all(tables, ctx, prefix, _builtin()[0])
    return _build(name, resolved[name], prefix(name), ctx)
