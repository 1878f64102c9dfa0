"""Name constraints (issue 21, "Verdicts that hold"): every row of the three tables through validate_chain.

The tables are the specification of the name-constraint evaluator (docs/choices.md, "Name
constraints"): ``tests/_nc_cases.py`` (our own table and x509-limbo's cases) and
``tests/_go_nc_table.py`` (Go's ``nameConstraintsTests``).  Each case must give exactly its
``(code, index)`` failures.

The budget rows run in a child process with a timeout, so a regression cannot hang the suite.  (When
these tables were written, name constraints were pyhanko-certvalidator's: 126 rows failed and three
ran for 7 to 71 seconds; ``caiso_pki.validation.names`` now owns them and every row passes.)
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

#: Cases that exercise the budget run in a child process with a timeout (see test_budget).
BUDGET_CASES = [name for name, case in CASES.items() if any(code == BUDGET for code, _ in case.failures)]


def _params(names: list[str]) -> list[Any]:
    return [pytest.param(name, id=name) for name in names]


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
    import datetime as dt
    from caiso_pki import validate_chain
    from caiso_pki.certificate import Certificate
    from caiso_pki.validation import engine, names, pkix, rules  # imported before the clock starts
    folder, at, profile = sys.argv[1], dt.datetime.fromisoformat(sys.argv[2]), sys.argv[3]
    def read(name):
        return [Certificate.from_der(bytes.fromhex(h)) for h in open(f"{folder}/{name}").read().split()]
    leaf, chain, trust = read("leaf")[0], read("chain"), read("trust")
    start = time.process_time()
    result = validate_chain(leaf, chain, trust=trust, at=at, revocation="off", profile=profile)
    elapsed = time.process_time() - start
    print(json.dumps({"failures": [[f.code, f.index] for f in result.failures], "seconds": elapsed}))
    """
)


@pytest.mark.parametrize("name", _params(BUDGET_CASES))
def test_budget(name: str, tmp_path: Path) -> None:
    """Over the budget: refused with name-constraints-budget within 50 ms of CPU (the bound is checked
    before any name is decoded, and the evaluation ends there); just under it: answered within 2 s.

    The issue asks for the figure, so it is asserted, on the child's own CPU time (not the wall clock,
    which a loaded machine stretches); ``benchmarks/bench_pathological.py`` reports the worst case.
    """
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
    limit = 0.05 if case.failures else 2.0
    assert report["seconds"] < limit, report


# -- the tables themselves ---------------------------------------------------------------------------


def test_every_code_is_a_failure_code() -> None:
    codes = {code for case in CASES.values() for code, _ in case.failures}
    assert codes <= FAILURE_CODES, sorted(codes - FAILURE_CODES)


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
