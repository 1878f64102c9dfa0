"""Name constraints (issue 21, "Verdicts that hold"): every row of the three tables through validate_chain.

The tables are the specification of the name-constraint evaluator (docs/choices.md, "Name
constraints"): ``tests/_nc_cases.py`` (our own table and x509-limbo's cases) and
``tests/_go_nc_table.py`` (Go's ``nameConstraintsTests``).  Each case must give exactly its
``(code, index)`` failures.

Today's engine hands name constraints to pyhanko-certvalidator, which gets many rows wrong: those rows
are marked ``xfail(strict=True)`` with the defect that breaks them (:data:`TODAY`), so the suite stays
green now and each fix turns its rows into unexpected passes that must be unmarked.  Rows that run for
tens of seconds today are not run (:data:`HANGS`); the budget rows run in a child process with a
timeout, so a regression cannot hang the suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from _go_nc_table import DIFFERS, ENTRIES, SKIPPED, build_go
from _nc_cases import BUDGET, FORMS, REFUSED, Mint, NcCase, build_limbo, build_own
from caiso_pki import validate_chain
from caiso_pki.validation import FAILURE_CODES

_MINT = Mint()
OWN = build_own(_MINT)
LIMBO = build_limbo(_MINT)
GO = build_go(_MINT)
CASES: dict[str, NcCase] = {**OWN, **LIMBO, **GO}

# -- what today's engine (pyhanko-certvalidator's name_trees) gets wrong -------------------------------

CRASH = (
    "issue 21: pyhanko raises KeyError(GeneralNameType.DIRECTORY_NAME) on every chain under an anchor "
    "with excludedSubtrees (reported as name-constraints on the intermediate)"
)
NO_IP = (
    "issue 21: pyhanko has no iPAddress matcher ('No containment checker available'): every IP SAN under "
    "an IP constraint is refused"
)
DOT_PERMITTED = (
    "issue 21: pyhanko matches a leading-dot dNSName constraint literally, so '.example.com' permits nothing"
)
DOT_EXCLUDED = (
    "issue 21: pyhanko matches a leading-dot dNSName constraint literally, so an excluded '.example.com' "
    "excludes nothing (fails open)"
)
WILDCARD = (
    "issue 21: a wildcard SAN that can stand for an excluded name is accepted (class of Go's CVE-2025-61727)"
)
EMPTY = "issue 21: pyhanko reads an empty constraint as matching nothing (it matches every name of its form)"
QUOTED = "issue 21: pyhanko does not canonicalise a quoted rfc822Name local part before comparing"
MAILBOX = "issue 21: an rfc822Name SAN that is not a mailbox is accepted under name constraints"
HOST_EXCLUDED = "issue 21: an excluded rfc822Name/URI host constraint does not exclude that host's subdomains"
SUBJECT_EMAIL = (
    "issue 21: rfc822Name constraints are not applied to the subject's emailAddress when a SAN is present"
)
OTHER_NAME = (
    "issue 21: pyhanko cannot process an otherName constraint (unhashable OrderedDict) and refuses the CA "
    "that holds it, whatever the names below"
)
CN_WEBPKI = "issue 21: the webpki profile does not hold a SAN-less leaf's hostname CN to dNSName constraints"
NONCRITICAL_WEBPKI = (
    "issue 21: name-constraints-not-critical applies in the webpki profile too, although CABF BR 7.1.2.5.2 "
    "allows a non-critical nameConstraints"
)
EMAIL_CONSTRAINT_SYNTAX = (
    "issue 21: malformed-name-constraints does not check that an rfc822Name constraint is a mailbox, a host "
    "or a .domain"
)
INVALID_NAME = (
    "issue 21: a dNSName SAN that is not a DNS name is refused by invalid-dns-name only, not by the "
    "constraint it cannot be inside"
)
SAN_WITHOUT_CONSTRAINTS = (
    "issue 21: pyhanko decodes the SAN for name constraints even when no CA in the path has any "
    "(an extra name-constraints failure beside malformed-extension)"
)
ANCHOR_INTERNAL = (
    "issue 21: an undecodable nameConstraints on the anchor is an internal error (pyhanko's trust-anchor "
    "qualifiers cannot be built) instead of the rules' verdict on the anchor"
)

_BY_REASON: dict[str, tuple[str, ...]] = {
    CRASH: (
        "dns/anchor/excluded/inside",
        "dns/anchor/excluded/outside",
        "email/anchor/excluded/inside",
        "email/anchor/excluded/outside",
        "ipv4/anchor/excluded/inside",
        "ipv4/anchor/excluded/outside",
        "ipv6/anchor/excluded/inside",
        "ipv6/anchor/excluded/outside",
        "uri/anchor/excluded/inside",
        "uri/anchor/excluded/outside",
        "leading-dot/anchor/excluded/subdomain",
        "leading-dot/anchor/excluded/the-domain-itself",
        "wildcard/anchor/excluded/one-subdomain",
        "empty/dns/anchor/excluded",
        "cn/webpki/no-san/hostname-excluded",
        "generations/anchor-excludes-what-intermediate-permits",
        "generations/both-allow",
        "limbo: rfc5280::nc::excluded-different-constraint-type",
        "limbo: rfc5280::nc::intermediate-with-san-rejected-by-root-nc",
        "Go: roots can exclude subtrees and that doesn't affect other names",
        "Go: roots exclusions are effective",
        "Go: having an exclusion doesn't prohibit other types of names",
        "Go: IP-based exclusions are permitted and don't affect unrelated IP addresses",
        "Go: IP-based exclusions are effective",
        "Go: intermediates can further constrain IP ranges",
        "Go: IPv6 excluded constraint",
        "Go: IPv6 excluded constraint is effective",
        "Go: URI excluded constraint is effective",
        "Go: IPv6 exclusion does not exclude all IPv4",
        "Go: empty DNS excluded constraint rejects everything",
        "Go: empty email excluded constraint rejects everything",
        "Go: empty URI excluded constraint rejects everything",
        "Go: invalid DNS SAN detected with constraints",
        "Go: invalid email SAN detected with constraints",
        "Go: intermediate cannot narrow excluded dns scope",
        "Go: intermediate can narrow excluded dns scope",
        "Go: excluded dns constraint is not a prefix match",
        "Go: excluded email constraint, multiple email with matching local portion",
        "Go: subdomain excluded constraints preclude outer wildcard names",
        "Go: subdomain excluded constraints do not preclude far outer wildcard names",
        "Go: subdomain excluded constraints preclude inner wildcard names",
        "Go: subdomain excluded constraints preclude far inner wildcard names",
        "Go: cross exclude should not match",
        "Go: subdomain exclusion blocks uppercase wildcard",
        "Go: uppercase subdomain exclusion blocks lowercase wildcard",
    ),
    NO_IP: (
        "ipv4/anchor/permitted/inside",
        "ipv4/intermediate/permitted/inside",
        "ipv4/intermediate/excluded/outside",
        "ipv6/anchor/permitted/inside",
        "ipv6/intermediate/permitted/inside",
        "ipv6/intermediate/excluded/outside",
        "empty/ipv4/permitted",
        "empty/ipv6/permitted",
        "ip/permitted/v4/0",
        "ip/permitted/v4/8/inside",
        "ip/permitted/v4/24/inside",
        "ip/permitted/v4/32/inside",
        "ip/permitted/v6/0",
        "ip/permitted/v6/64/inside",
        "ip/permitted/v6/128/inside",
        "ip/excluded/v6-subtree-spares-v4",
        "ip/permitted/host-bits-in-subtree",
        "generations/ip-then-dns",
        "limbo: rfc5280::nc::permitted-ipv4-match",
        "limbo: rfc5280::nc::permitted-ipv6-match",
        "Go: IPv6 permitted constraint",
        "Go: IPv6 permitted constraint does not affect DNS",
    ),
    DOT_PERMITTED: (
        "leading-dot/anchor/permitted/subdomain",
        "leading-dot/anchor/permitted/deep-subdomain",
        "leading-dot/intermediate/permitted/subdomain",
        "leading-dot/intermediate/permitted/deep-subdomain",
        "wildcard/permitted/leading-dot",
        "limbo: rfc5280::nc::invalid-dnsname-leading-period",
        "Go: leading period matches subdomains",
        "Go: leading period matches multiple levels of subdomains",
        "Go: intermediates can further limit their scope if they wish",
        "Go: multiple intermediates with incompatible constraints",
        "Go: multiple intermediates with incompatible constraints swapped",
    ),
    DOT_EXCLUDED: (
        "leading-dot/intermediate/excluded/subdomain",
        "wildcard/excluded/leading-dot",
        "Go: intermediate exclusions are effective",
    ),
    WILDCARD: (
        "wildcard/excluded/one-subdomain",
        "wildcard/excluded/uppercase-wildcard",
        "wildcard/excluded/uppercase-constraint",
        "wildcard/permitted-and-excluded",
        "limbo: rfc5280::nc::nc-forbids-dnsname-wildcard-san",
        "limbo: cve::cve-2025-61727",
    ),
    EMPTY: (
        "empty/dns/permitted",
        "empty/dns/excluded",
        "empty/email/permitted",
        "empty/uri/permitted",
        "empty/dns/anchor/permitted",
        "Go: empty DNS permitted constraint allows anything",
        "Go: empty email permitted constraint allows anything",
        "Go: empty URI permitted constraint allows anything",
    ),
    QUOTED: (
        "email/quoted/permitted",
        "email/quoted/escaped-permitted",
        "email/quoted/excluded",
        "Go: email canonicalization",
    ),
    MAILBOX: (
        "email/invalid-mailbox/two-ats",
        "email/invalid-mailbox/empty-local",
        "email/invalid-mailbox/unterminated-quote",
        "email/invalid-mailbox/under-dns-constraint",
        "limbo: rfc5280::nc::nc-permits-invalid-email-san",
    ),
    HOST_EXCLUDED: ("email/host/excluded-subdomain", "uri/excluded/subdomain"),
    SUBJECT_EMAIL: ("email/subject-email/with-san/outside",),
    OTHER_NAME: (
        "other-form/othername-constraint/no-othername",
        "other-form/othername-constraint/othername-san",
        "other-form/othername-excluded/othername-san",
        "limbo: rfc5280::nc::nc-forbids-othername",
        "limbo: rfc5280::nc::nc-forbids-othername-noop",
    ),
    CN_WEBPKI: ("cn/webpki/no-san/hostname-outside",),
    NONCRITICAL_WEBPKI: (
        "criticality/webpki/non-critical",
        "criticality/webpki/non-critical-outside",
        "limbo: webpki::nc::permitted-dns-match-noncritical",
    ),
    EMAIL_CONSTRAINT_SYNTAX: ("limbo: rfc5280::nc::invalid-email-address",),
    INVALID_NAME: (
        "limbo: rfc5280::nc::nc-permits-invalid-dns-san",
        "Go: DNS SAN cannot use leading period form",
    ),
    SAN_WITHOUT_CONSTRAINTS: ("Go: unknown name types are unconstrained",),
    ANCHOR_INTERNAL: (
        "Go: unknown excluded constraint does not affect other names",
        "Go: unknown permitted constraint does not affect other names",
    ),
}
#: Rows today's engine gets wrong, with the defect (xfail, strict: a fix must unmark them).
TODAY: dict[str, str] = {name: reason for reason, names in _BY_REASON.items() for name in names}

#: Rows not run today: pyhanko compares every name with every subtree, for seconds to minutes.
HANGS: dict[str, str] = {
    "budget/over": "hangs today (~7 s): no name-constraint budget; 1,100 x 1,001 comparisons, then accepted",
    "limbo: pathological::nc-dos (permitted)": "hangs today (~50 s): no budget; 2,048 x 2,049 comparisons",
    "limbo: pathological::nc-dos (excluded)": "hangs today (~70 s): no budget; 2,048 x 2,049 comparisons",
}

#: Cases that exercise the budget run in a child process with a timeout (see test_budget).
BUDGET_CASES = [name for name, case in CASES.items() if any(code == BUDGET for code, _ in case.failures)]


def _params(names: list[str]) -> list[Any]:
    params = []
    for name in names:
        marks = []
        if name in HANGS:
            marks.append(pytest.mark.xfail(run=False, reason=HANGS[name]))
        elif name in TODAY:
            marks.append(pytest.mark.xfail(strict=True, reason=TODAY[name]))
        params.append(pytest.param(name, id=name, marks=marks))
    return params


def _got(case: NcCase) -> tuple[tuple[str, int | None], ...]:
    result = validate_chain(
        case.leaf, case.chain, trust=case.trust, at=case.at, revocation="off", profile=case.profile
    )
    assert result.valid is not bool(result.failures)
    return tuple((failure.code, failure.index) for failure in result.failures)


@pytest.mark.parametrize("name", _params([name for name in CASES if name not in BUDGET_CASES]))
def test_verdict(name: str) -> None:
    case = CASES[name]
    assert _got(case) == case.failures


_CHILD = textwrap.dedent(
    """
    import json, sys, time
    from caiso_pki import validate_chain
    from caiso_pki.certificate import Certificate
    import datetime as dt
    folder, at, profile = sys.argv[1], dt.datetime.fromisoformat(sys.argv[2]), sys.argv[3]
    def read(name):
        return [Certificate.from_der(bytes.fromhex(h)) for h in open(f"{folder}/{name}").read().split()]
    leaf, chain, trust = read("leaf")[0], read("chain"), read("trust")
    start = time.perf_counter()
    result = validate_chain(leaf, chain, trust=trust, at=at, revocation="off", profile=profile)
    elapsed = time.perf_counter() - start
    print(json.dumps({"failures": [[f.code, f.index] for f in result.failures], "seconds": elapsed}))
    """
)


@pytest.mark.parametrize("name", _params(BUDGET_CASES))
def test_budget(name: str, tmp_path: Path) -> None:
    """Over the budget: refused with name-constraints-budget, and quickly (the bound is checked first)."""
    case = CASES[name]
    (tmp_path / "leaf").write_text(case.leaf.der.hex())
    (tmp_path / "chain").write_text(" ".join(cert.der.hex() for cert in case.chain))
    (tmp_path / "trust").write_text(" ".join(cert.der.hex() for cert in case.trust))
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(tmp_path), case.at.isoformat(), case.profile],
        capture_output=True,
        timeout=60,
        check=True,
        text=True,
    )
    report = json.loads(proc.stdout)
    assert tuple(tuple(failure) for failure in report["failures"]) == case.failures
    assert report["seconds"] < 2.0, report


# -- the tables themselves ---------------------------------------------------------------------------


def test_today_and_hangs_name_real_cases() -> None:
    assert set(TODAY) <= set(CASES), sorted(set(TODAY) - set(CASES))
    assert set(HANGS) <= set(CASES), sorted(set(HANGS) - set(CASES))
    assert not set(TODAY) & set(HANGS)
    assert sum(len(names) for names in _BY_REASON.values()) == len(TODAY), (
        "a case is listed under two reasons"
    )


def test_every_code_is_a_failure_code() -> None:
    """Every expected code exists, but for the budget's own code, which the new evaluator adds."""
    codes = {code for case in CASES.values() for code, _ in case.failures}
    assert codes - FAILURE_CODES <= {BUDGET}, sorted(codes - FAILURE_CODES)


def test_every_form_kind_place_and_position_has_a_case() -> None:
    for form, kinds in FORMS.items():
        for kind in kinds:
            for where in ("anchor", "intermediate"):
                for position in ("inside", "outside"):
                    assert f"{form}/{where}/{kind}/{position}" in OWN


def test_go_table_is_ported_whole() -> None:
    """Go's 107 rows: each ported, or skipped with its reason; differences name real rows."""
    names = [entry.name for entry in ENTRIES]
    assert len(names) == len(set(names)) and not set(names) & set(SKIPPED)
    assert len(names) + len(SKIPPED) == 107
    assert {f"Go: {name}" for name in names} == set(GO)
    assert set(DIFFERS) <= set(names)
    for name, case in GO.items():
        if case.differs is None:
            go_invalid = next(entry for entry in ENTRIES if f"Go: {entry.name}" == name).error != ""
            assert case.valid is not go_invalid, name


def test_limbo_cases_the_issue_lists() -> None:
    """The x509-limbo cases today's engine gets wrong (issue 21) are all here, with limbo's verdict."""
    expected = {
        "cve::cve-2025-61727": False,
        "rfc5280::nc::nc-forbids-dnsname-wildcard-san": False,
        "rfc5280::nc::nc-permits-invalid-email-san": False,
        "rfc5280::nc::permitted-ipv4-match": True,
        "rfc5280::nc::permitted-ipv6-match": True,
        "rfc5280::nc::excluded-different-constraint-type": True,
        "rfc5280::nc::nc-forbids-othername-noop": True,
        "webpki::nc::permitted-dns-match-noncritical": True,
    }
    for limbo_id, valid in expected.items():
        assert LIMBO[f"limbo: {limbo_id}"].valid is valid, limbo_id
    assert {name for name in LIMBO if "nc-dos" in name} <= set(BUDGET_CASES)


def test_differences_are_documented() -> None:
    """Every row whose verdict differs from its peer's is explained in docs/choices.md."""
    text = " ".join((Path(__file__).parent.parent / "docs" / "choices.md").read_text().split())
    for name, case in CASES.items():
        if case.differs is not None:
            assert case.origin.split(": ", 1)[1] in text, name
    for name in SKIPPED:
        assert name in text, name


def test_refusals_never_name_the_anchor() -> None:
    """Constraints apply to the certificates below the one that carries them: never index 0."""
    for name, case in CASES.items():
        for code, index in case.failures:
            if code in (REFUSED, BUDGET):
                assert index is not None and index >= 1, (name, index)
