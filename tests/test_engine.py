"""The engine's one table of pyhanko internals, ``STEP_CODES``: every entry is met by a real chain.

Failure codes come from the type of pyhanko's exception and the step of RFC 5280 6.1 that raised it
(the pyhanko function ``intl_validate_path`` called), refined by facts.  This test validates NIST
PKITS and the minted rule cases, records which step each failure came from (by wrapping the engine's
own ``_step``), and requires every step of the table to be seen with the code the table (or the facts)
give.  A pyhanko release that renames or moves a step fails here, in CI on both ends of the supported
range, instead of changing codes silently.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import pytest

from _pkits import CASES, cert, pkits_options
from _rule_cases import build_tables
from caiso_pki.validation import engine, validate_chain

#: The codes each step is expected to give (steps decided by facts give several).
EXPECTED: dict[str, set[str]] = {
    "check_certificate_signature": {"bad-signature", "unsupported-algorithm", "weak-algorithm"},
    "_check_validity": {"expired", "not-yet-valid"},
    "check_name_constraints": {"name-constraints"},
    "process_policies": {"policy"},
    "_finish_policy_processing": {"policy"},
    "_prepare_next_step": {"not-a-ca", "path-length-exceeded", "key-usage", "policy", "name-constraints"},
    "intl_validate_path": {"name-chaining", "critical-extension", "expired", "not-yet-valid", "policy"},
}


@pytest.fixture(scope="module")
def seen() -> dict[str, set[str]]:
    """step -> the codes the engine gave its exceptions, over every PKITS error and minted rule case."""
    observed: dict[str, set[str]] = defaultdict(set)
    original = engine._code_for

    def recording(exc: BaseException, path: Any, index: int) -> str:
        code = original(exc, path, index)
        step, _module = engine._step(exc)
        observed[step or "(outside intl_validate_path)"].add(code)
        return code

    engine._code_for = recording  # type: ignore[assignment]
    try:
        for case in CASES:
            if "error" not in case:
                continue
            names = case.get("path_intermediates", case.get("other_certs", []))
            validate_chain(cert(case["cert"]), [cert(n) for n in names], **pkits_options(case))
        for table in build_tables():
            for rule_case in table.values():
                validate_chain(
                    rule_case.leaf,
                    rule_case.chain,
                    at=rule_case.at,
                    server_name=rule_case.server_name,
                    **rule_case.options(),
                )
    finally:
        engine._code_for = original  # type: ignore[assignment]
    return observed


def test_the_table_names_the_steps() -> None:
    assert set(engine.STEP_CODES) == set(EXPECTED)


@pytest.mark.parametrize("step", sorted(engine.STEP_CODES))
def test_every_step_is_met_and_gives_its_codes(step: str, seen: dict[str, set[str]]) -> None:
    assert step in seen, f"no chain failed in pyhanko's {step}: {dict(seen)}"
    fixed = engine.STEP_CODES[step]
    assert seen[step] & EXPECTED[step], (step, seen[step])
    # "malformed" is a fact (asn1crypto could not read the certificate), possible at any step
    assert seen[step] <= EXPECTED[step] | {"malformed"}, (step, seen[step])
    if fixed is not None:
        assert fixed in seen[step], (step, seen[step])


def test_no_pyhanko_exception_is_left_unexplained(seen: dict[str, set[str]]) -> None:
    """Steps outside the table give fact-decided codes only, and nothing falls through to internal."""
    assert all("internal" not in codes for codes in seen.values()), dict(seen)
    for step in set(seen) - set(engine.STEP_CODES):
        assert seen[step] <= {"malformed"}, (step, seen[step])
