"""CPS profiles: what a CAISO certificate of each kind must look like, as data with citations.

A CPS profile is a TOML document (format: ``docs/cps-profiles.md``) with one table per rule and per
certificate kind (``root-ca``, ``issuing-ca``, ``rig``, ``dpg``, ``iccp``, ``api-client``,
``end-user-client``, ``ocsp-responder``).  Every rule table carries a citation (a document and a
section), which the linter (:mod:`caiso_pki.lint`) attaches to each finding.

The built-in ``caiso-basic-assurance`` profile encodes what CAISO's public documents state plus RFC 5280
hygiene.  Values CAISO does not publish (its policy OID, validity limits) are ``"user-supplied"``: the
profile does not invent them, and the linter reports ``CPS-POLICY-UNCONFIGURED`` /
``CPS-VALIDITY-UNCONFIGURED`` notices until an override file (``extends = "caiso-basic-assurance"``)
supplies them.  ``caiso-demo`` is such an override for the demo PKI of :mod:`caiso_pki.testing`.

>>> profile = load_cps_profile("caiso-demo")
>>> profile.policy_requirement("rig").require_explicit
True
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import attrs

from caiso_pki._source import NamedBytes
from caiso_pki._text import display_path
from caiso_pki._toml import decode_toml, parse_toml
from caiso_pki.errors import MalformedInputError, ProfileError, UnknownOidError
from caiso_pki.keys import KEY_USAGE_NAMES
from caiso_pki.oids import ANY_POLICY, oid_name, parse_oid
from caiso_pki.policy import PolicyRequirement

if TYPE_CHECKING:
    from caiso_pki.types import JsonDict

#: What names a CPS profile: a built-in name, a path, TOML text, or a file's bytes (NamedBytes).
ProfileSource = str | os.PathLike[str] | NamedBytes

__all__ = [
    "BUILTIN_PROFILES",
    "CHAIN_RULE_CODES",
    "KINDS",
    "RULE_CODES",
    "SEVERITIES",
    "USER_SUPPLIED",
    "Citation",
    "CpsProfile",
    "Document",
    "KindProfile",
    "Rule",
    "load_cps_profile",
]

#: The certificate kinds a CPS profile describes.
KINDS: Final = (
    "root-ca",
    "issuing-ca",
    "rig",
    "dpg",
    "iccp",
    "api-client",
    "end-user-client",
    "ocsp-responder",
)
#: The marker for values that CAISO does not publish: the user's override file supplies them.
USER_SUPPLIED: Final = "user-supplied"
#: Severity names, worst first (the linter's :class:`~caiso_pki.lint.Severity` values).
SEVERITIES: Final = ("error", "warning", "notice", "info")
#: Built-in profile name -> file beside this module.
BUILTIN_PROFILES: Final[dict[str, str]] = {
    "caiso-basic-assurance": "caiso-basic-assurance.toml",
    "caiso-demo": "caiso-demo.toml",
}

#: Rule table -> the finding codes it can produce (for documentation, SARIF rule lists and tests).
RULE_CODES: Final[dict[str, tuple[str, ...]]] = {
    "policy": (
        "CPS-POLICY-UNCONFIGURED",
        "CPS-POLICY-MISSING",
        "CPS-POLICY-UNACCEPTABLE",
        "CPS-POLICY-QUALIFIER",
    ),
    "signature": ("CPS-SIG-ALG",),
    "key": ("CPS-KEY-ALG", "CPS-KEY-SIZE", "CPS-KEY-CURVE"),
    "validity": ("CPS-VALIDITY-UNCONFIGURED", "CPS-VALIDITY-MAX"),
    "extensions": ("CPS-EXT-MISSING", "CPS-EXT-FORBIDDEN", "CPS-EXT-CRITICALITY"),
    "key_usage": ("CPS-KEY-USAGE",),
    "extended_key_usage": ("CPS-EKU",),
    "basic_constraints": ("CPS-BASIC-CONSTRAINTS",),
    "subject": ("CPS-SUBJECT",),
    "subject_alt_name": ("CPS-SAN",),
    "crl_distribution_points": ("CPS-CRLDP",),
    "authority_info_access": ("CPS-AIA",),
    "serial": ("CPS-SERIAL",),
    "issuer": ("CPS-ISSUER-RETIRED",),
}
#: Chain rule table -> its finding code.
CHAIN_RULE_CODES: Final[dict[str, str]] = {
    "policy_subset": "CPS-CHAIN-POLICY-SUBSET",
    "validity_nesting": "CPS-CHAIN-VALIDITY-NESTING",
    "name_chaining": "CPS-CHAIN-NAME",
}

_KEY_USAGE_NAMES: Final = frozenset(KEY_USAGE_NAMES)
_KEY_ALGORITHMS: Final = frozenset({"RSA", "EC", "DSA", "Ed25519", "Ed448"})
_SUBJECT_ATTRIBUTES: Final = frozenset({"CN", "O", "OU", "C", "L", "ST", "E", "DC", "UID", "SERIALNUMBER"})
_SAN_TYPES: Final = frozenset({"dns", "ip", "uri", "email"})
_URL_SCHEMES: Final = frozenset({"http", "https", "ldap"})
_COMMON_KEYS: Final = frozenset({"citation", "severity", "note", "enabled"})
_TOP_KEYS: Final = frozenset(
    {"name", "title", "description", "extends", "documents", "defaults", "kinds", "chain"}
)
_MAX_EXTENDS_DEPTH: Final = 8


# -- values ----------------------------------------------------------------------------------------


@attrs.frozen
class Document:
    """A document rules cite: a short title and a URL (``{section}`` in it is replaced)."""

    id: str
    title: str
    url: str | None = None
    note: str | None = None


@attrs.frozen
class Citation:
    """Where a rule comes from: a document and a section of it."""

    document: str
    section: str
    title: str
    url: str | None = None

    def __str__(self) -> str:
        return f"{self.title} §{self.section}"

    def to_dict(self) -> JsonDict:
        """JSON-ready form."""
        return {"document": self.document, "section": self.section, "title": self.title, "url": self.url}


@attrs.frozen
class Rule:
    """One rule table of a kind (``key``, ``policy`` ...): its parameters, severity and citation.

    Parameters are normalised at load time: OIDs dotted, extension names dotted, lists as tuples.  A
    parameter whose value is :data:`USER_SUPPLIED` has not been configured yet.
    """

    name: str
    params: Mapping[str, object] = attrs.field(repr=False)
    citation: Citation
    severity: str = "error"
    note: str | None = None

    def has(self, key: str) -> bool:
        """True when ``key`` is set (to a value or to ``"user-supplied"``)."""
        return key in self.params

    def unconfigured(self, key: str) -> bool:
        """True when ``key`` is ``"user-supplied"``: the user's override must give it."""
        return self.params.get(key) == USER_SUPPLIED

    def strings(self, key: str) -> tuple[str, ...] | None:
        """A list parameter (``None`` when absent or unconfigured)."""
        value = self.params.get(key)
        if isinstance(value, tuple):
            return tuple(str(item) for item in value)
        return None

    def integer(self, key: str) -> int | None:
        """An integer parameter (``None`` when absent or unconfigured)."""
        value = self.params.get(key)
        return value if isinstance(value, int) and not isinstance(value, bool) else None

    def flag(self, key: str, *, default: bool = False) -> bool:
        """A boolean parameter."""
        value = self.params.get(key, default)
        return value if isinstance(value, bool) else default

    def text(self, key: str) -> str | None:
        """A string parameter (``None`` when absent, false or unconfigured)."""
        value = self.params.get(key)
        return value if isinstance(value, str) and value != USER_SUPPLIED else None

    def date(self, key: str) -> dt.datetime | None:
        """A date parameter as an aware UTC datetime at midnight."""
        value = self.params.get(key)
        return value if isinstance(value, dt.datetime) else None

    def to_dict(self) -> JsonDict:
        """JSON-ready form."""
        params: dict[str, Any] = {}
        for key, value in self.params.items():
            if isinstance(value, tuple):
                params[key] = list(value)
            elif isinstance(value, dt.datetime):
                params[key] = value.date().isoformat()
            else:
                params[key] = value
        return {
            "rule": self.name,
            "codes": list(RULE_CODES.get(self.name, (CHAIN_RULE_CODES.get(self.name, ""),))),
            "severity": self.severity,
            "params": params,
            "citation": self.citation.to_dict(),
            "note": self.note,
        }


@attrs.frozen
class KindProfile:
    """The rules of one certificate kind after defaults and overrides are merged."""

    kind: str
    rules: Mapping[str, Rule] = attrs.field(repr=False)

    def rule(self, name: str) -> Rule | None:
        """The rule table ``name``, or ``None`` when the kind has none (or it is disabled)."""
        return self.rules.get(name)


@attrs.frozen
class CpsProfile:
    """A loaded CPS profile: per-kind rules, chain rules and the documents they cite.

    Build one with :func:`load_cps_profile`.  ``lineage`` lists the profiles it was built from, base
    first (``("caiso-basic-assurance", "caiso-demo")``).
    """

    name: str
    title: str
    description: str
    source: str
    kinds: Mapping[str, KindProfile] = attrs.field(repr=False)
    chain_rules: Mapping[str, Rule] = attrs.field(repr=False)
    documents: Mapping[str, Document] = attrs.field(repr=False)
    lineage: tuple[str, ...] = ()

    def kind(self, kind: str) -> KindProfile:
        """The rules of ``kind``; raises :class:`ProfileError` for a kind this profile lacks."""
        try:
            return self.kinds[kind]
        except KeyError:
            raise ProfileError(
                f"profile {self.name!r}: unknown certificate kind {kind!r}; use one of {', '.join(KINDS)}"
            ) from None

    def policy_requirement(self, kind: str) -> PolicyRequirement:
        """RFC 5280 initial policy inputs for validating a certificate of ``kind``.

        ``acceptable`` is the kind's acceptable policy OIDs (anyPolicy when the profile accepts any or
        has not been configured yet, in which case the linter reports ``CPS-POLICY-UNCONFIGURED``);
        explicit policy is required unless the profile sets ``require_explicit = false``.
        """
        rule = self.kind(kind).rule("policy")
        if rule is None:
            return PolicyRequirement(acceptable=frozenset({ANY_POLICY}), require_explicit=True)
        acceptable = rule.strings("acceptable")
        return PolicyRequirement(
            acceptable=frozenset(acceptable) if acceptable else frozenset({ANY_POLICY}),
            require_explicit=rule.flag("require_explicit", default=True),
            inhibit_mapping=rule.flag("inhibit_mapping"),
            inhibit_any=rule.flag("inhibit_any"),
        )

    @property
    def unconfigured(self) -> tuple[str, ...]:
        """``kind.rule.key`` of every value still ``"user-supplied"``."""
        return tuple(
            f"{kind}.{rule.name}.{key}"
            for kind, profile in self.kinds.items()
            for rule in profile.rules.values()
            for key in rule.params
            if rule.unconfigured(key)
        )

    def to_dict(self) -> JsonDict:
        """JSON-ready form of the effective (merged) profile."""
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "source": self.source,
            "lineage": list(self.lineage),
            "documents": {doc.id: attrs.asdict(doc) for doc in self.documents.values()},
            "kinds": {
                kind: [rule.to_dict() for rule in profile.rules.values()]
                for kind, profile in self.kinds.items()
            },
            "chain": [rule.to_dict() for rule in self.chain_rules.values()],
            "unconfigured": list(self.unconfigured),
        }


# -- schema: converters that raise ProfileError naming the file and key ------------------------------

_Convert = Callable[[object, str, str], object]


def _fail(name: str, key: str, message: str) -> ProfileError:
    return ProfileError(f"{name}: key {key!r}: {message}")


def _type_name(value: object) -> str:
    return {str: "a string", bool: "a boolean", int: "an integer", list: "a list", dict: "a table"}.get(
        type(value), type(value).__name__
    )


def _list(value: object, name: str, key: str) -> list[object]:
    if not isinstance(value, list):
        raise _fail(name, key, f"expected a list, got {_type_name(value)}")
    return value


def _str_items(value: object, name: str, key: str) -> list[str]:
    items = _list(value, name, key)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise _fail(name, f"{key}[{index}]", f"expected a string, got {_type_name(item)}")
    return [str(item) for item in items]


def _oids(value: object, name: str, key: str) -> tuple[str, ...]:
    result = []
    for index, item in enumerate(_str_items(value, name, key)):
        try:
            result.append(parse_oid(item))
        except UnknownOidError as exc:
            raise _fail(name, f"{key}[{index}]", f"bad OID: {exc}") from exc
    return tuple(result)


def _policy_oids(value: object, name: str, key: str) -> object:
    if value == USER_SUPPLIED:
        return USER_SUPPLIED
    if isinstance(value, str) and value.lower() in {"any", "anypolicy"}:
        return (ANY_POLICY,)
    if isinstance(value, str):
        raise _fail(name, key, f"expected a list of OIDs, 'any' or {USER_SUPPLIED!r}, got {value!r}")
    return _oids(value, name, key)


def _choice_list(allowed: frozenset[str], what: str) -> _Convert:
    lookup = {item.lower(): item for item in allowed}

    def convert(value: object, name: str, key: str) -> object:
        result = []
        for index, item in enumerate(_str_items(value, name, key)):
            if item.lower() not in lookup:
                raise _fail(name, f"{key}[{index}]", f"unknown {what} {item!r}; use one of {sorted(allowed)}")
            result.append(lookup[item.lower()])
        return tuple(result)

    return convert


def _curves(value: object, name: str, key: str) -> object:
    return tuple(item.lower() for item in _str_items(value, name, key))


def _subject_attributes(value: object, name: str, key: str) -> object:
    result = []
    for index, item in enumerate(_str_items(value, name, key)):
        if item.upper() in _SUBJECT_ATTRIBUTES:
            result.append(item.upper())
            continue
        try:
            result.append(parse_oid(item))
        except UnknownOidError as exc:
            raise _fail(
                name,
                f"{key}[{index}]",
                f"unknown attribute {item!r}; use {sorted(_SUBJECT_ATTRIBUTES)} or an OID",
            ) from exc
    return tuple(result)


def _strings(value: object, name: str, key: str) -> object:
    return tuple(_str_items(value, name, key))


def _bool(value: object, name: str, key: str) -> object:
    if not isinstance(value, bool):
        raise _fail(name, key, f"expected true or false, got {_type_name(value)}")
    return value


def _int(low: int, high: int, why: str) -> _Convert:
    """A converter for an integer in ``low .. high``; ``why`` says where the upper bound comes from.

    Every numeric field has both bounds, so a value that passes ``profile validate`` cannot overflow a
    date or a loop when the profile is used.
    """

    def convert(value: object, name: str, key: str) -> object:
        if isinstance(value, bool) or not isinstance(value, int):
            raise _fail(name, key, f"expected an integer, got {_type_name(value)}")
        if not low <= value <= high:
            raise _fail(name, key, f"expected an integer from {low} to {high} ({why}), got {value}")
        return value

    return convert


def _int_or_user(low: int, high: int, why: str) -> _Convert:
    number = _int(low, high, why)

    def convert(value: object, name: str, key: str) -> object:
        return USER_SUPPLIED if value == USER_SUPPLIED else number(value, name, key)

    return convert


#: The bounds of the numeric fields, with the reason for each upper bound.
MAX_VALIDITY_DAYS: Final = 36_525  # 100 years: longer than any root CA's lifetime
MAX_RSA_BITS: Final = 16_384  # the largest RSA modulus OpenSSL and cryptography generate or accept
MAX_PATH_LENGTH: Final = 255
MAX_SERIAL_OCTETS: Final = 20  # RFC 5280 4.1.2.2: serial numbers are at most 20 octets


def _url_or_user(value: object, name: str, key: str) -> object:
    if value is False or value == USER_SUPPLIED:
        return value
    if not isinstance(value, str) or "://" not in value:
        raise _fail(name, key, f"expected a URL, {USER_SUPPLIED!r} or false, got {value!r}")
    return value


def _date(value: object, name: str, key: str) -> object:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    raise _fail(name, key, f"expected a TOML date such as 2024-11-01, got {_type_name(value)}")


_SCHEMA: Final[dict[str, dict[str, _Convert]]] = {
    "policy": {
        "required": _policy_oids,
        "acceptable": _policy_oids,
        "cps_uri": _url_or_user,
        "require_explicit": _bool,
        "inhibit_mapping": _bool,
        "inhibit_any": _bool,
    },
    "signature": {"algorithms": _oids},
    "key": {
        "algorithms": _choice_list(_KEY_ALGORITHMS, "key algorithm"),
        "min_rsa_bits": _int(0, MAX_RSA_BITS, "the largest RSA key in use"),
        "curves": _curves,
    },
    "validity": {"max_days": _int_or_user(1, MAX_VALIDITY_DAYS, "100 years")},
    "extensions": {"required": _oids, "forbidden": _oids, "critical": _oids, "non_critical": _oids},
    "key_usage": {
        "required": _choice_list(_KEY_USAGE_NAMES, "key usage"),
        "forbidden": _choice_list(_KEY_USAGE_NAMES, "key usage"),
    },
    "extended_key_usage": {"required": _oids, "allowed": _oids, "forbidden": _oids},
    "basic_constraints": {
        "ca": _bool,
        "require_path_length": _bool,
        "max_path_length": _int(0, MAX_PATH_LENGTH, "no real hierarchy is deeper"),
    },
    "subject": {
        "required_attributes": _subject_attributes,
        "countries": _strings,
        "common_name_in_san": _bool,
    },
    "subject_alt_name": {"required": _bool, "types": _choice_list(_SAN_TYPES, "name type")},
    "crl_distribution_points": {"required": _bool, "schemes": _choice_list(_URL_SCHEMES, "URL scheme")},
    "authority_info_access": {
        "ocsp_required": _bool,
        "ca_issuers_required": _bool,
        "schemes": _choice_list(_URL_SCHEMES, "URL scheme"),
    },
    "serial": {
        "min_bits": _int(0, MAX_SERIAL_OCTETS * 8, "RFC 5280 4.1.2.2: at most 20 octets"),
        "max_octets": _int(1, MAX_SERIAL_OCTETS, "RFC 5280 4.1.2.2"),
    },
    "issuer": {"retired": _strings, "retired_since": _date},
}
_CHAIN_SCHEMA: Final[dict[str, dict[str, _Convert]]] = {name: {} for name in CHAIN_RULE_CODES}


def _table(value: object, name: str, key: str) -> dict[str, object]:
    if not isinstance(value, dict):
        raise _fail(name, key, f"expected a table, got {_type_name(value)}")
    return value


def _rule_table(value: object, schema: Mapping[str, _Convert], name: str, key: str) -> dict[str, object]:
    table = _table(value, name, key)
    result: dict[str, object] = {}
    for item, raw in table.items():
        path = f"{key}.{item}"
        if item in schema:
            result[item] = schema[item](raw, name, path)
        elif item == "citation":
            cite = _table(raw, name, path)
            unknown = set(cite) - {"document", "section"}
            if unknown:
                raise _fail(
                    name, f"{path}.{sorted(unknown)[0]}", "unknown key; a citation has document and section"
                )
            for part in ("document", "section"):
                if not isinstance(cite.get(part), str) or not cite[part]:
                    raise _fail(name, f"{path}.{part}", "expected a non-empty string")
            result[item] = (str(cite["document"]), str(cite["section"]))
        elif item == "severity":
            if raw not in SEVERITIES:
                raise _fail(name, path, f"expected one of {', '.join(SEVERITIES)}, got {raw!r}")
            result[item] = raw
        elif item == "note":
            if not isinstance(raw, str):
                raise _fail(name, path, f"expected a string, got {_type_name(raw)}")
            result[item] = raw
        elif item == "enabled":
            result[item] = _bool(raw, name, path)
        else:
            known = sorted(set(schema) | _COMMON_KEYS)
            raise _fail(name, path, f"unknown key; {key} takes {', '.join(known)}")
    return result


@attrs.frozen
class _Layer:
    """One profile file after schema checks: what it sets, before merging with what it extends."""

    name: str
    meta: dict[str, str]
    extends: str | None
    documents: dict[str, Document]
    defaults: dict[str, dict[str, object]]
    kinds: dict[str, dict[str, dict[str, object]]]
    chain: dict[str, dict[str, object]]


def _rules(value: object, name: str, key: str) -> dict[str, dict[str, object]]:
    table = _table(value, name, key)
    result = {}
    for rule, raw in table.items():
        if rule not in _SCHEMA:
            raise _fail(name, f"{key}.{rule}", f"unknown rule table; use one of {', '.join(_SCHEMA)}")
        result[rule] = _rule_table(raw, _SCHEMA[rule], name, f"{key}.{rule}")
    return result


def _check_layer(data: dict[str, Any], name: str) -> _Layer:
    for key in data:
        if key not in _TOP_KEYS:
            raise _fail(name, key, f"unknown key; a CPS profile takes {', '.join(sorted(_TOP_KEYS))}")
    meta: dict[str, str] = {}
    for key in ("name", "title", "description", "extends"):
        if key in data:
            if not isinstance(data[key], str):
                raise _fail(name, key, f"expected a string, got {_type_name(data[key])}")
            meta[key] = data[key]
    documents: dict[str, Document] = {}
    for doc_id, raw in _table(data.get("documents", {}), name, "documents").items():
        path = f"documents.{doc_id}"
        doc = _table(raw, name, path)
        unknown = set(doc) - {"title", "url", "note"}
        if unknown:
            raise _fail(
                name, f"{path}.{sorted(unknown)[0]}", "unknown key; a document has title, url and note"
            )
        for part in ("title", "url", "note"):
            if part in doc and not isinstance(doc[part], str):
                raise _fail(name, f"{path}.{part}", f"expected a string, got {_type_name(doc[part])}")
        if "title" not in doc:
            raise _fail(name, f"{path}.title", "missing: every document needs a title")
        documents[doc_id] = Document(
            id=doc_id,
            title=str(doc["title"]),
            url=str(doc["url"]) if "url" in doc else None,
            note=str(doc["note"]) if "note" in doc else None,
        )
    defaults = _rules(data.get("defaults", {}), name, "defaults")
    kinds: dict[str, dict[str, dict[str, object]]] = {}
    for kind, raw in _table(data.get("kinds", {}), name, "kinds").items():
        if kind not in KINDS:
            raise _fail(name, f"kinds.{kind}", f"unknown certificate kind; use one of {', '.join(KINDS)}")
        kinds[kind] = _rules(raw, name, f"kinds.{kind}")
    chain: dict[str, dict[str, object]] = {}
    for rule, raw in _table(data.get("chain", {}), name, "chain").items():
        if rule not in _CHAIN_SCHEMA:
            raise _fail(name, f"chain.{rule}", f"unknown chain rule; use one of {', '.join(_CHAIN_SCHEMA)}")
        chain[rule] = _rule_table(raw, _CHAIN_SCHEMA[rule], name, f"chain.{rule}")
    return _Layer(
        name=name,
        meta=meta,
        extends=meta.get("extends"),
        documents=documents,
        defaults=defaults,
        kinds=kinds,
        chain=chain,
    )


# -- loading ---------------------------------------------------------------------------------------


def _read(path: Path) -> str:
    from caiso_pki._source import read_file

    if not path.exists() and not path.is_symlink():
        raise ProfileError(f"{display_path(path)}: no such CPS profile file")
    try:
        return _decode(read_file(path, what="CPS profile"))
    except MalformedInputError as exc:  # a directory, unreadable, over the size cap
        raise ProfileError(f"cannot read CPS profile: {exc}") from exc


def _decode(data: NamedBytes) -> str:
    return decode_toml(data, data.name, what="CPS profile", error=ProfileError)


def _builtin_path(name: str) -> Path:
    return Path(__file__).resolve().parent / BUILTIN_PROFILES[name]


def _looks_like_toml(text: str) -> bool:
    return "\n" in text or "=" in text


def _locate(
    source: ProfileSource, base: Path | None, referrer: str | None = None
) -> tuple[str, str, Path | None]:
    """(text, display name, directory for relative ``extends``) of a profile reference.

    ``referrer`` is the profile whose ``extends`` named ``source``, so an error names that file.
    """
    if isinstance(source, NamedBytes):
        return _decode(source), source.name, source.path.parent if source.path is not None else base
    if isinstance(source, str) and source in BUILTIN_PROFILES:
        path = _builtin_path(source)
        return _read(path), source, path.parent
    if isinstance(source, str) and _looks_like_toml(source):
        return source, "<profile text>", base
    path = Path(source)
    if base is not None and not path.is_absolute():
        path = base / path
    if (
        not path.exists()
        and isinstance(source, str)
        and os.sep not in source
        and not source.endswith(".toml")
    ):
        where = f"{referrer}: extends = {source!r}: " if referrer is not None else ""
        raise ProfileError(
            f"{where}unknown CPS profile {source!r}: not a built-in "
            f"({', '.join(BUILTIN_PROFILES)}) nor a file"
        )
    if referrer is not None and not path.exists():
        raise ProfileError(f"{referrer}: extends = {source!r}: no such profile file {display_path(path)}")
    return _read(path), str(path), path.parent


def _layers(source: ProfileSource) -> list[_Layer]:
    """The chain of layers, base first, following ``extends``."""
    chain: list[_Layer] = []
    seen: list[str] = []
    reference: ProfileSource = source
    base: Path | None = None
    referrer: str | None = None
    while True:
        text, name, directory = _locate(reference, base, referrer)
        if name in seen:
            raise ProfileError(f"{name}: 'extends' loops back: {' -> '.join([*seen, name])}")
        seen.append(name)
        if len(seen) > _MAX_EXTENDS_DEPTH:
            raise ProfileError(f"{name}: 'extends' nests deeper than {_MAX_EXTENDS_DEPTH} profiles")
        layer = _check_layer(parse_toml(text, name, error=ProfileError), name)
        chain.append(layer)
        if layer.extends is None:
            break
        reference, base, referrer = layer.extends, directory, name
    chain.reverse()
    return chain


def _citation(value: object, documents: Mapping[str, Document], name: str, key: str) -> Citation:
    if not isinstance(value, tuple):
        raise _fail(name, f"{key}.citation", "missing: every rule needs a citation (document and section)")
    doc_id, section = value
    doc = documents.get(doc_id)
    if doc is None:
        raise _fail(
            name, f"{key}.citation.document", f"{doc_id!r} is not defined under [documents.*] in this profile"
        )
    url = doc.url.replace("{section}", section) if doc.url else None
    return Citation(document=doc_id, section=section, title=doc.title, url=url)


def _build_rule(
    rule: str, merged: dict[str, object], documents: Mapping[str, Document], name: str, key: str
) -> Rule:
    params = {k: v for k, v in merged.items() if k not in _COMMON_KEYS}
    note = merged.get("note")
    severity = merged.get("severity", "error")
    return Rule(
        name=rule,
        params=params,
        citation=_citation(merged.get("citation"), documents, name, key),
        severity=str(severity),
        note=str(note) if note is not None else None,
    )


def _assemble(layers: list[_Layer]) -> CpsProfile:
    top = layers[-1]
    name = top.name
    documents: dict[str, Document] = {}
    for layer in layers:
        documents.update(layer.documents)
    meta: dict[str, str] = {}
    for layer in layers:
        meta.update(layer.meta)
    kinds: dict[str, KindProfile] = {}
    for kind in KINDS:
        # Specificity first, then file order: every layer's defaults, then every layer's kind tables,
        # so an override's [defaults.x] reaches kinds that the base leaves at the defaults while a
        # base's per-kind table (such as root-ca's empty policy) still wins over generic defaults.
        merged: dict[str, dict[str, object]] = {}
        for layer in layers:
            for rule, table in layer.defaults.items():
                merged.setdefault(rule, {}).update(table)
        for layer in layers:
            for rule, table in layer.kinds.get(kind, {}).items():
                merged.setdefault(rule, {}).update(table)
        rules = {
            rule: _build_rule(rule, table, documents, name, f"kinds.{kind}.{rule}")
            for rule, table in merged.items()
            if table.get("enabled", True)
        }
        kinds[kind] = KindProfile(kind=kind, rules=rules)
    chain_merged: dict[str, dict[str, object]] = {}
    for layer in layers:
        for rule, table in layer.chain.items():
            chain_merged.setdefault(rule, {}).update(table)
    chain_rules = {
        rule: _build_rule(rule, table, documents, name, f"chain.{rule}")
        for rule, table in chain_merged.items()
        if table.get("enabled", True)
    }
    return CpsProfile(
        name=meta.get("name", name),
        title=meta.get("title", meta.get("name", name)),
        description=meta.get("description", ""),
        source=name,
        kinds=kinds,
        chain_rules=chain_rules,
        documents=documents,
        lineage=tuple(layer.meta.get("name", layer.name) for layer in layers),
    )


def load_cps_profile(source: ProfileSource | CpsProfile) -> CpsProfile:
    """Load a CPS profile: a built-in name, a TOML file path, TOML text, or the bytes of a file read
    with :func:`caiso_pki._source.read_file` (:class:`~caiso_pki._source.NamedBytes`).

    ``extends = "NAME"`` (a built-in name or a path relative to the file) layers the file over another
    profile.  Raises :class:`ProfileError` naming the file and the offending key (and the line for TOML
    syntax errors) for anything malformed: bad OIDs, unknown kinds or keys, wrong value types.
    """
    if isinstance(source, CpsProfile):
        return source
    if not isinstance(source, (str, os.PathLike, NamedBytes)):
        raise ProfileError(f"CPS profile: expected a name, path or TOML text, got {type(source).__name__}")
    return _assemble(_layers(source))


def describe_oids(oids: tuple[str, ...]) -> str:
    """``name (dotted)`` list for messages."""
    return ", ".join(oid_name(oid) if oid_name(oid) == oid else f"{oid_name(oid)} ({oid})" for oid in oids)
