"""The API rules, checked over every public function and method, each with a planted violation.

The rules (issue "One way to do each thing"):

* **keyword-only options**: a parameter that is a ``bool``, or that has a default (an option), is
  keyword-only.  Two exceptions, neither of which a caller can confuse with another argument: a
  collection of extra inputs whose default is empty (``intermediates=()``), which is data and reads
  naturally in second place; and a lone, non-bool argument that is what the method asks about
  (``cert.days_remaining(at)``, ``store.expiring(within)``, ``store.save(directory)``);
* **one spelling for a secret**: ``password``, and ``key_password`` where a second secret exists;
  the same in the command line's options (``--password-file``, ``--key-password-env`` ...);
* **real input types**: no ``object`` or ``Any`` in a public signature;
* **nothing from a dependency in a public return**: a public function, method or property returns
  caiso-pki's types, the standard library's, or one of the deliberate exceptions in
  :data:`DEPENDENCY_RETURNS`, each with its reason.

"Public" is every name of ``caiso_pki.__all__``, and each public method, property, class method and
constructor of the classes among them.  Records (result classes the library builds and users read)
keep positional constructors: :data:`RECORDS` lists them.  Each checker is tried on a planted
violation below, so a rule that stopped seeing anything would fail.
"""

from __future__ import annotations

import inspect
import re
import types
import typing
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import attrs
import pytest

import caiso_pki
from _public_api import field_hints, hints

DEPENDENCIES = (
    "cryptography",
    "asn1crypto",
    "pyhanko_certvalidator",
    "httpx",
    "requests",
    "urllib3",
    "OpenSSL",
    "prometheus_client",
    "click",
    "rich",
    "attr",
    "aiohttp",
)

#: Keys are cryptography's key objects, on purpose: caiso-pki does not wrap a key, so the caller signs,
#: verifies, serialises or hands it to ``ssl`` with cryptography's own API.
KEY_MODULE = "cryptography.hazmat.primitives.asymmetric."

#: Public callables allowed to return a dependency's type, and why.
DEPENDENCY_RETURNS: dict[str, str] = {
    "Certificate.x509": "the named way out to cryptography's certificate, for code that needs it",
    "Certificate.asn1": "the named way out to asn1crypto's parsed form (pyhanko, signing libraries)",
    "Csr.x509": "the named way out to cryptography's CSR",
    "Subject.x509_name": "the named way out to cryptography's Name, for x509 builders",
    "load_crl": "a CRL is handed to cryptography-based code or back to validate_chain(crls=...)",
    "load_ocsp_response": "an OCSP response is handed back to validate_chain(ocsp=...) or cryptography",
    "requests_adapter": "mounting on a requests Session is its whole purpose (requests' HTTPAdapter)",
    "SnapshotCollector.collect": "prometheus_client's Collector protocol: it yields metric families",
}

SECRET = re.compile(r"pass(?!word)|passwd|secret|\bpin\b|pwd", re.IGNORECASE)
#: ``challenge_password`` is not a second spelling: it is the PKCS#9 attribute of that name (RFC 2985
#: 5.4.1), a value written into the CSR, not a secret that unlocks anything here.
SECRET_NAMES = frozenset({"password", "key_password", "challenge_password"})


def _is_record(cls: type) -> bool:
    return attrs.has(cls) and cls.__name__ in RECORDS


#: Result records: built by the library, read by users; their attrs constructors stay positional.
RECORDS = frozenset(
    {
        "AuditReport",
        "CertificateSample",
        "ChainCheck",
        "ConnectionCheck",
        "ConnectionReport",
        "CrlFreshness",
        "CsrDescription",
        "DistinguishedName",
        "EndpointStatus",
        "Finding",
        "FleetMetrics",
        "PolicyInformation",
        "ReadError",
        "RequestFinding",
        "RevocationStatus",
        "StoreDiff",
        "SubjectAltNames",
        "TrustEntry",
        "UserNotice",
        "ValidationFailure",
        "ValidationResult",
        "Pkcs12Bundle",
        "RenewalRequest",
    }
)


def public_members() -> Iterator[tuple[str, Callable[..., Any]]]:
    """(qualified name, function) for every public function, method, property and constructor."""
    for name in sorted(set(caiso_pki.__all__) - {"__version__"}):
        obj = getattr(caiso_pki, name)
        if isinstance(obj, type):
            if issubclass(obj, BaseException):
                continue
            for klass in reversed(obj.__mro__):
                if not klass.__module__.startswith("caiso_pki"):
                    continue
                for attribute, raw in vars(klass).items():
                    if attribute.startswith("_") and attribute != "__init__":
                        continue
                    if attribute == "__init__" and _is_record(obj):
                        continue
                    member = getattr(raw, "__func__", raw)
                    member = member.fget if isinstance(member, property) else member
                    if callable(member) and hasattr(member, "__code__"):
                        yield f"{name}.{attribute}", member
        elif callable(obj) and hasattr(obj, "__code__"):
            yield name, obj


def _leaves(hint: Any) -> Iterator[Any]:
    """Every type a hint names, through unions, generics, Literal and Annotated."""
    origin = typing.get_origin(hint)
    if origin is typing.Literal:
        return
    if origin is not None:
        if origin not in (typing.Union, types.UnionType, typing.Annotated):
            yield origin
        for argument in typing.get_args(hint):
            yield from _leaves(argument)
    elif isinstance(hint, (list, tuple)):  # Callable's parameter list
        for argument in hint:
            yield from _leaves(argument)
    else:
        yield hint


def _is_bool(hint: Any) -> bool:
    leaves = [leaf for leaf in _leaves(hint) if leaf is not type(None)]
    return bool(leaves) and all(leaf is bool for leaf in leaves)


def _positional(function: Callable[..., Any]) -> list[inspect.Parameter]:
    parameters = list(inspect.signature(function).parameters.values())
    return [
        p
        for p in parameters
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD) and p.name not in ("self", "cls")
    ]


def keyword_only_violations(name: str, function: Callable[..., Any]) -> list[str]:
    found = []
    resolved = hints(function)
    positional = _positional(function)
    for parameter in positional:
        lone = len(positional) == 1  # the only argument a caller may pass by position
        if _is_bool(resolved.get(parameter.name)):
            found.append(f"{name}({parameter.name}): a bool taken by position")
        elif parameter.default is not parameter.empty and parameter.default != () and not lone:
            found.append(f"{name}({parameter.name}={parameter.default!r}): an option taken by position")
    return found


def secret_violations(name: str, function: Callable[..., Any]) -> list[str]:
    return [
        f"{name}({parameter}): a secret spelled other than password/key_password"
        for parameter in inspect.signature(function).parameters
        if SECRET.search(parameter) or ("password" in parameter and parameter not in SECRET_NAMES)
    ]


def loose_type_violations(name: str, function: Callable[..., Any]) -> list[str]:
    return [
        f"{name}({parameter}): {hint!r} names object or Any"
        for parameter, hint in hints(function).items()
        if any(leaf is object or leaf is typing.Any for leaf in _leaves(hint))
    ]


def dependency_return_violations(name: str, function: Callable[..., Any]) -> list[str]:
    if name in DEPENDENCY_RETURNS:
        return []
    return [f"{name} returns {leaf}" for leaf in _dependency_types(hints(function).get("return"))]


def _dependency_types(hint: Any) -> list[str]:
    found = []
    for leaf in _leaves(hint):
        module = getattr(leaf, "__module__", "") or ""
        a_key = module.startswith(KEY_MODULE) and getattr(leaf, "__name__", "").endswith("Key")
        if module.split(".")[0] in DEPENDENCIES and not a_key:
            found.append(f"{module}.{getattr(leaf, '__qualname__', leaf)}")
    return found


MEMBERS = list(public_members())
RULES = {
    "keyword-only": keyword_only_violations,
    "secrets": secret_violations,
    "input-types": loose_type_violations,
    "dependency-returns": dependency_return_violations,
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_the_public_api_keeps_the_rule(rule: str) -> None:
    violations = [line for name, function in MEMBERS for line in RULES[rule](name, function)]
    assert not violations, "\n".join(violations)


def test_the_surface_is_seen() -> None:
    """The walk reaches functions, methods, properties and option-class constructors."""
    names = {name for name, _ in MEMBERS}
    for expected in (
        "validate_chain",
        "Validator.validate",
        "Validator.__init__",
        "Certificate.x509",
        "TrustStore.open",
        "load_pkcs12",
        "save_private_key",
    ):
        assert expected in names, expected
    assert "ValidationResult.__init__" not in names  # a record


def test_every_allowed_dependency_return_is_public_and_says_why() -> None:
    names = {name for name, _ in MEMBERS} | {
        f"{name}.{field}"
        for name in caiso_pki.__all__
        if isinstance(getattr(caiso_pki, name), type) and attrs.has(getattr(caiso_pki, name))
        for field in attrs.fields_dict(getattr(caiso_pki, name))
    }
    for name, reason in DEPENDENCY_RETURNS.items():
        assert name in names, f"{name}: allowed but not public (remove it from DEPENDENCY_RETURNS)"
        assert len(reason) > 20


def test_every_record_is_public_and_an_attrs_class() -> None:
    for name in RECORDS:
        assert attrs.has(getattr(caiso_pki, name)), name


def test_the_command_line_spells_secrets_one_way() -> None:
    """Every option of every caiso-pki command that carries a secret says password."""
    import click

    from caiso_pki.cli import main

    def walk(command: click.Command, path: str) -> Iterator[tuple[str, str]]:
        for parameter in command.params:
            for option in getattr(parameter, "opts", []):
                yield path, option
        if isinstance(command, click.Group):  # a lazy group: ask it, do not read .commands
            context = click.Context(command)
            for sub_name in command.list_commands(context):
                sub = command.get_command(context, sub_name)
                assert sub is not None, sub_name
                yield from walk(sub, f"{path} {sub_name}")

    options = list(walk(main, "caiso-pki"))
    assert len(options) > 50
    wrong = [f"{path}: {option}" for path, option in options if SECRET.search(option.lstrip("-"))]
    assert not wrong, "\n".join(wrong)


# Planted violations: each checker must see its rule broken.

if TYPE_CHECKING:
    from caiso_pki.certificate import Certificate


def _planted_positional_bool(path: str, overwrite: bool = False) -> None: ...


def _planted_positional_option(path: str, timeout: float = 5.0) -> None: ...


def _planted_fine(path: str, intermediates: tuple[str, ...] = (), *, overwrite: bool = False) -> None: ...


def _planted_lone_bool(strict: bool = False) -> None: ...


def _planted_lone_option(within: float = 90.0) -> None: ...


def _planted_passphrase(path: str, *, passphrase: str | None = None) -> None: ...


def _planted_pass_word(path: str, *, pfx_password: str | None = None) -> None: ...


def _planted_object(value: object) -> None: ...


def _planted_any(value: str, *, extra: Any = None) -> None: ...


def _planted_dependency_return(value: str) -> Certificate | None: ...


def _planted_dependency_return_x509(value: str) -> x509.Certificate: ...


from cryptography import x509  # noqa: E402  (the planted function above names it)


@pytest.mark.parametrize(
    ("rule", "function", "expected"),
    [
        ("keyword-only", _planted_positional_bool, "a bool taken by position"),
        ("keyword-only", _planted_positional_option, "an option taken by position"),
        ("keyword-only", _planted_lone_bool, "a bool taken by position"),
        ("secrets", _planted_passphrase, "passphrase"),
        ("secrets", _planted_pass_word, "pfx_password"),
        ("input-types", _planted_object, "value"),
        ("input-types", _planted_any, "extra"),
        ("dependency-returns", _planted_dependency_return_x509, "cryptography"),
    ],
)
def test_each_rule_sees_a_planted_violation(rule: str, function: Callable[..., Any], expected: str) -> None:
    violations = RULES[rule]("planted", function)
    assert violations and expected in violations[0], violations


def test_public_fields_hold_no_dependency_type() -> None:
    """An attrs field of a public class is read like a property: the same rule, the same exceptions."""
    violations = []
    for name in sorted(set(caiso_pki.__all__) - {"__version__"}):
        cls = getattr(caiso_pki, name)
        if isinstance(cls, type) and attrs.has(cls):
            violations += field_violations(name, cls)
    assert not violations, "\n".join(violations)
    assert "x509" in field_hints(caiso_pki.Csr)  # the walk sees fields (Csr.x509 is allowed)


def field_violations(name: str, cls: type) -> list[str]:
    return [
        f"{name}.{field}: {leaf}"
        for field, hint in field_hints(cls).items()
        if not field.startswith("_") and f"{name}.{field}" not in DEPENDENCY_RETURNS
        for leaf in _dependency_types(hint)
    ]


@attrs.frozen
class _PlantedRecord:
    name: str
    request: x509.CertificateSigningRequest


def test_the_field_rule_sees_a_planted_violation() -> None:
    assert field_violations("planted", _PlantedRecord) == [
        "planted.request: cryptography.hazmat.bindings._rust.x509.CertificateSigningRequest"
    ]


@pytest.mark.parametrize("rule", sorted(RULES))
def test_a_sound_signature_passes_every_rule(rule: str) -> None:
    assert RULES[rule]("planted", _planted_fine) == []
    assert RULES[rule]("planted", _planted_lone_option) == []
    assert not dependency_return_violations("planted", _planted_dependency_return)
