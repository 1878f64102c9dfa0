"""One minted certificate per failure code through every entry point (issue 15: a certificate per rule).

The case table lives in ``tests/_rule_cases.py``.  Each case must give exactly its failures, codes and
indices (0 = the anchor), with each failure's ``subject`` that of ``result.path[index]``, through

* :func:`~caiso_pki.validation.validate_chain`,
* a :class:`~caiso_pki.validation.Validator` that has just validated a valid leaf of the same issuer
  and shape (so a template exists the defect must not be answered from),
* :func:`~caiso_pki.validation.validate_many`, with the valid sibling first and the case twice (the second
  copy meets the cache the first one left),
* ``caiso-pki verify --json`` (in-process with CliRunner for every case, and as a real subprocess for
  a handful).

A guard test fails when a code of :data:`~caiso_pki.validation.FAILURE_CODES` has no case.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from _cli import console_script
from _rule_cases import Case, build_tables
from caiso_pki.certificate import Certificate
from caiso_pki.cli.verify import verify
from caiso_pki.truststore import TrustStore
from caiso_pki.validation import (
    CODES,
    FAILURE_CODES,
    FleetCache,
    ValidationResult,
    Validator,
    validate_chain,
    validate_many,
)
from caiso_pki.validation.rules import RULES, WAIVABLE

CASES, CLEAN = build_tables()

#: Codes no certificate can produce by design, with the reason.  The guard fails if one gains a case
#: or leaves FAILURE_CODES.
EXEMPT: dict[str, str] = {
    "internal": "an unexpected error inside the engine; a certificate that caused one would be an engine bug",
    "name-constraints-budget": "its chains hold thousands of names and subtrees: they are minted and run "
    "(in a child process, with their CPU time) by tests/test_name_constraints.py::test_budget",
}

#: The cases whose certificates go through a real ``caiso-pki`` process too.
SUBPROCESS_CASES = (
    "invalid-serial-number/negative",
    "malformed-extension/subject-alt-name",
    "expired/anchor",
    "webpki-wildcard/co-uk",
    "distrusted-anchor",
    "revoked",
    "path-building-limit/distinct-keys",
)


def _params(table: dict[str, Case], *, cli: bool = False) -> list[Any]:
    """The cases of ``table``; with ``cli``, those ``caiso-pki verify`` can express (no max_path_length)."""
    params = []
    for name, case in table.items():
        if cli and case.max_path_length is not None:
            continue
        params.append(pytest.param(name, id=name))
    return params


def _table(name: str) -> Case:
    return CASES[name] if name in CASES else CLEAN[name]


def _check(case: Case, result: ValidationResult, where: str) -> None:
    got = tuple((failure.code, failure.index) for failure in result.failures)
    assert got == case.failures, (where, result.failures)
    assert result.valid is not case.failures, where
    for failure in result.failures:
        if failure.index is None:
            assert failure.subject is None, (where, failure)
        else:
            assert failure.subject == result.path[failure.index].subject.rfc4514, (
                where,
                failure,
                result.path,
            )


# -- the four entry points --------------------------------------------------------------------------


@pytest.mark.parametrize("name", _params(CASES) + _params(CLEAN))
def test_validate_chain(name: str) -> None:
    case = _table(name)
    result = validate_chain(case.leaf, case.chain, at=case.at, server_name=case.server_name, **case.options())
    _check(case, result, "validate_chain")


@pytest.mark.parametrize("name", _params(CASES) + _params(CLEAN))
def test_validator(name: str) -> None:
    case = _table(name)
    validator = Validator(**case.options())
    if case.sibling is not None:
        validator.validate(case.sibling, case.chain, at=case.at, server_name=case.server_name)
    _check(
        case, validator.validate(case.leaf, case.chain, at=case.at, server_name=case.server_name), "Validator"
    )
    # and again, now that the case itself has been seen
    _check(
        case, validator.validate(case.leaf, case.chain, at=case.at, server_name=case.server_name), "Validator"
    )


@pytest.mark.parametrize("name", _params(CASES) + _params(CLEAN))
def test_validate_many(name: str) -> None:
    case = _table(name)
    siblings = [case.sibling] if case.sibling is not None else []
    cache = FleetCache()
    results = validate_many(
        [*siblings, case.leaf, case.leaf, *siblings],
        case.chain,
        at=case.at,
        server_name=case.server_name,
        fleet_cache=cache,
        **case.options(),
    )
    for result in results[len(siblings) : len(siblings) + 2]:
        _check(case, result, "validate_many")
    if siblings:
        alone = validate_chain(
            case.sibling, case.chain, at=case.at, server_name=case.server_name, **case.options()
        )
        assert results[0].codes == results[-1].codes == alone.codes
        if alone.valid and case.profile == "rfc5280":
            # the sibling's template was live in this call: its second copy was answered from it
            assert cache.stats.templates == 1 and cache.stats.fast == 1, cache.stats


def _cli_args(case: Case, directory: Path) -> list[str]:
    def write(name: str, certs: tuple[Certificate, ...]) -> str:
        path = directory / name
        path.write_text("".join(cert.pem for cert in certs))
        return str(path)

    args = [
        write("leaf.pem", (case.leaf,)),
        "--json",
        "--revocation",
        case.revocation,
        "--profile",
        case.profile,
    ]
    args += ["--at", case.at.isoformat().replace("+00:00", "Z")]
    if case.chain:
        args += ["--chain", write("chain.pem", case.chain)]
    if isinstance(case.trust, TrustStore):
        store = TrustStore.init(directory / "store")
        for entry in case.trust.entries:
            store = store.add(entry.certificate, distrust_after=entry.distrust_after)
        store.save()
        args += ["--store", str(directory / "store")]
    else:
        args += ["--trust", write("trust.pem", case.trust)]
    if case.usage is not None:
        args += ["--usage", case.usage]
    if case.server_name is not None:
        args += ["--server-name", case.server_name]
    if case.policy is not None:
        args += ["--policy", case.policy, "--explicit-policy"]
    for position, crl in enumerate(case.crls):
        path = directory / f"crl-{position}.crl"
        path.write_bytes(crl)
        args += ["--crl", str(path)]
    return args


def _check_json(case: Case, exit_code: int, output: str, where: str) -> None:
    assert exit_code == (1 if case.failures else 0), (where, output)
    report = json.loads(output)
    got = tuple((failure["code"], failure["index"]) for failure in report["failures"])
    assert got == case.failures, (where, report["failures"])
    assert report["valid"] is not case.failures
    for failure in report["failures"]:
        if failure["index"] is None:
            assert failure["subject"] is None
        else:
            assert failure["subject"] == report["path"][failure["index"]]["subject"], (where, failure)


@pytest.mark.parametrize("name", _params(CASES, cli=True) + _params(CLEAN, cli=True))
def test_cli_json(name: str, tmp_path: Path) -> None:
    case = _table(name)
    outcome = CliRunner().invoke(verify, _cli_args(case, tmp_path))
    assert outcome.exception is None or isinstance(outcome.exception, SystemExit), outcome.output
    _check_json(case, outcome.exit_code, outcome.stdout, "caiso-pki verify (CliRunner)")


@pytest.mark.parametrize("name", SUBPROCESS_CASES)
def test_cli_subprocess(name: str, tmp_path: Path) -> None:
    case = CASES[name]
    proc = subprocess.run(
        [console_script(), "verify", *_cli_args(case, tmp_path)],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert proc.stderr == b"", proc.stderr
    _check_json(case, proc.returncode, proc.stdout.decode(), "caiso-pki verify (subprocess)")


# -- the table itself --------------------------------------------------------------------------------


def test_every_failure_code_has_a_case() -> None:
    covered = {code for case in CASES.values() for code in case.codes}
    missing = sorted(FAILURE_CODES - covered - set(EXEMPT))
    assert not missing, f"failure codes without a minted case: {missing}"
    assert not (set(EXEMPT) & covered), "an exempt code has a case: remove its exemption"
    assert set(EXEMPT) <= FAILURE_CODES, "an exempt code is no longer a failure code: remove its exemption"
    assert covered <= FAILURE_CODES, sorted(covered - FAILURE_CODES)


def test_each_case_breaks_one_rule() -> None:
    """One code per case, except where one defect is two rules' business (listed here)."""
    two_rules = {
        "webpki-wildcard/partial-label": ("invalid-dns-name", "webpki-wildcard"),
        # anyExtendedKeyUsage alone: serverAuth is missing, and a forbidden purpose is there
        "webpki-server-auth/any-eku-only": ("webpki-server-auth", "webpki-forbidden-eku"),
    }
    for name, case in CASES.items():
        assert case.codes == two_rules.get(name, case.codes[:1]), name


@pytest.mark.parametrize("name", [*CASES, *CLEAN])
def test_exempt_codes_never_appear(name: str) -> None:
    case = _table(name)
    for profile in ("rfc5280", "webpki"):
        options = case.options() | {"profile": profile}
        result = validate_chain(case.leaf, case.chain, at=case.at, server_name=case.server_name, **options)
        assert not set(result.codes) & set(EXEMPT), (profile, result.failures)


def test_scopes_are_minted_where_they_apply() -> None:
    """Anchor rules on the anchor, CA rules on a CA (the anchor or an intermediate), leaf rules on the
    leaf, rules about issued certificates never on the anchor."""
    by_code = {rule.code: rule for rule in RULES}
    for name, case in CASES.items():
        for code, index in case.failures:
            rule = by_code.get(code)
            shared = code not in WAIVABLE and rule is not None and rule.profile == "rfc5280"
            if rule is None or shared or rule.scope == "any":
                continue  # path validation reports not-a-ca, key-usage, critical-extension anywhere
            last = len(case.chain) + 1
            expected = {"anchor": {0}, "leaf": {last}, "ca": {0, 1}, "issued": set(range(1, last + 1))}
            assert index in expected[rule.scope], (name, code, rule.scope, index)


_WEBPKI = [name for name, case in CASES.items() if case.profile == "webpki"]


@pytest.mark.parametrize("name", _WEBPKI)
def test_webpki_rules_are_silent_in_the_default_profile(name: str) -> None:
    case = CASES[name]
    options = case.options() | {"profile": "rfc5280"}
    result = validate_chain(case.leaf, case.chain, at=case.at, server_name=case.server_name, **options)
    assert result.codes == tuple(code for code in case.codes if not code.startswith("webpki-")), (
        result.failures
    )


_SOURCE = re.compile(r"(RFC \d{4} \d+(\.\d+)*|CABF BR \d+(\.\d+)+)")
#: Rules whose source is caiso-pki's own policy rather than a section of a standard.
OWN_POLICY = {"weak-key": "caiso-pki AlgorithmPolicy (RFC 5280 sets no key sizes)"}


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: f"{rule.profile}:{rule.code}")
def test_rules_cite_their_section(rule: Any) -> None:
    if rule.code in OWN_POLICY:
        assert rule.source.startswith("caiso-pki AlgorithmPolicy")
    else:
        assert _SOURCE.match(rule.source), rule.source
        expected = "CABF BR" if rule.profile == "webpki" else "RFC"
        assert rule.source.startswith(expected), rule.source
    assert rule.summary
    assert rule.code in CODES and CODES[rule.code].source, rule.code


def _waive_case(code: str) -> str:
    return next(name for name, case in CASES.items() if case.codes == (code,))


#: What still fails once the rule is waived, because the defect is not only that rule's business:
#: cryptography refuses a repeated extension and an empty extendedKeyUsage outright (and the rules
#: then say so as ``malformed-extension``), and pyhanko trips over an undecodable subjectAltName.
STILL_FAILS: dict[str, tuple[str, ...]] = {
    "duplicate-extension": ("malformed-extension",),
    "empty-extended-key-usage": ("malformed-extension",),
    "malformed-extension": ("malformed",),
}


@pytest.mark.parametrize("code", sorted(WAIVABLE))
def test_waive_turns_exactly_that_rule_off(code: str) -> None:
    case = CASES[_waive_case(code)]
    options = case.options()
    result = validate_chain(case.leaf, case.chain, at=case.at, server_name=case.server_name, **options)
    assert result.codes == (code,)
    waived = validate_chain(
        case.leaf, case.chain, at=case.at, server_name=case.server_name, waive={code}, **options
    )
    assert waived.codes == STILL_FAILS.get(code, ()), waived.failures
    # waiving another rule changes nothing
    other = next(c for c in sorted(WAIVABLE) if c != code)
    assert validate_chain(
        case.leaf, case.chain, at=case.at, server_name=case.server_name, waive={other}, **options
    ).codes == (code,)


@pytest.mark.parametrize("code", sorted(FAILURE_CODES - WAIVABLE))
def test_path_validation_codes_cannot_be_waived(code: str) -> None:
    from caiso_pki.errors import MalformedInputError

    with pytest.raises(MalformedInputError, match="cannot be waived"):
        Validator(trust=CASES["expired/anchor"].trust, waive={code})


# -- inputs that are bad, not certificates that are --------------------------------------------------


@pytest.mark.parametrize("server_name", ["\N{PILE OF POO}.example.com", "xn--zz", "a..b", ""])
def test_unusable_server_names_are_bad_input(server_name: str, tmp_path: Path) -> None:
    from caiso_pki.errors import MalformedInputError

    case = CLEAN["valid/rig"]
    with pytest.raises(MalformedInputError, match="server_name"):
        validate_chain(case.leaf, case.chain, at=case.at, server_name=server_name, **case.options())
    outcome = CliRunner().invoke(verify, [*_cli_args(case, tmp_path), "--server-name", server_name])
    assert outcome.exit_code == 2, outcome.output
    assert "Traceback" not in outcome.output
