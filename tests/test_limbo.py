"""x509-limbo's testcases outside name constraints, re-minted (``tests/_limbo_cases.py``), limbo's verdicts.

Every case must get limbo's verdict, except the rows of :data:`KNOWN_DIFFERENCES`, which must be
exactly the table "Where we differ from x509-limbo" of ``docs/choices.md`` (a test reads it).  Where
limbo expects a refusal and we accept, the row is one of the documented choices about trust anchors or
the revocationDate reading (see :data:`ACCEPTING_SECTIONS`).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from _limbo_cases import LimboCase, build
from caiso_pki.errors import MalformedInputError
from caiso_pki.validation import ValidationResult, validate_chain

CASES = build()

#: limbo id -> (limbo's verdict, ours: "valid" or the failure codes, the docs/choices.md section)
KNOWN_DIFFERENCES: dict[str, tuple[str, str, str]] = {
    "rfc5280::ski::root-missing-ski": ("refused", "valid", "Trust anchors"),
    "rfc5280::aki::cross-signed-root-missing-aki": ("refused", "valid", "Trust anchors"),
    "rfc5280::serial::serial-number-negative": ("refused", "valid", "Trust anchors"),
    "webpki::san::exact-localhost-ip-san": ("valid", "webpki-cn-not-in-san", "The commonName under webpki"),
    "webpki::san::leftmost-wildcard-san": ("valid", "webpki-cn-not-in-san", "The commonName under webpki"),
    "rfc5280::crl::revocation-date-in-future": (
        "refused",
        "valid",
        "A revocationDate after the validation time",
    ),
}


#: Cases whose expected peer name our API refuses as input (``MalformedInputError``: an A-label that is
#: not valid IDNA2008 is not a host name we can match).  limbo expects each to fail: no verdict of
#: ours is "valid" for them, and the test checks the error names ``server_name``.
BAD_SERVER_NAMES = frozenset(
    {
        "webpki::cn::cabf-cn-punycode-not-in-san",
        "webpki::cn::cabf-cn-utf8-vs-punycode-mismatch",
        "webpki::san::unicode-emoji-san",
        "webpki::san::wildcard-embedded-ulabel-san",
    }
)


def _validate(case: LimboCase) -> ValidationResult:
    return validate_chain(case.leaf, case.chain, at=case.at, server_name=case.server_name, **case.options())


@pytest.mark.parametrize("limbo_id", sorted(CASES))
def test_limbo_verdict(limbo_id: str) -> None:
    case = CASES[limbo_id]
    if limbo_id in BAD_SERVER_NAMES:
        assert not case.succeeds
        with pytest.raises(MalformedInputError, match="server_name"):
            _validate(case)
        # and without the peer name the chain itself is refused
        assert not validate_chain(case.leaf, case.chain, at=case.at, **case.options()).valid
        return
    result = _validate(case)
    if limbo_id in KNOWN_DIFFERENCES:
        limbo, ours, _ = KNOWN_DIFFERENCES[limbo_id]
        assert limbo == ("valid" if case.succeeds else "refused")
        assert (", ".join(result.codes) or "valid") == ours, result.failures
        return
    assert result.valid is case.succeeds, (limbo_id, result.failures)


#: The documented sections under which limbo refuses a chain we accept: the trust-anchor choices, and
#: the revocationDate reading (flagged in docs/choices.md as left to the revocation code).
ACCEPTING_SECTIONS = {"Trust anchors", "A revocationDate after the validation time"}


def test_no_false_accept_outside_the_documented_choices() -> None:
    """A known difference where limbo refuses and we accept is one of the documented choices above."""
    for limbo_id, (limbo, ours, section) in KNOWN_DIFFERENCES.items():
        if limbo == "refused" and ours == "valid":
            assert section in ACCEPTING_SECTIONS, limbo_id


def _choices_table() -> dict[str, tuple[str, str, str]]:
    text = (Path(__file__).parent.parent / "docs" / "choices.md").read_text()
    section = text.split("## Where we differ from x509-limbo", 1)[1]
    rows: dict[str, tuple[str, str, str]] = {}
    for line in section.splitlines():
        match = re.match(r"\| `([^`]+)`[^|]*\| (\w+) \| `?([\w, -]+?)`? \| \"([^\"]+)\" \|", line)
        if match:
            rows[match.group(1)] = (match.group(2), match.group(3), match.group(4))
    return rows


def test_known_differences_are_the_documented_ones() -> None:
    assert _choices_table() == KNOWN_DIFFERENCES


def test_differences_are_ported_cases() -> None:
    assert set(KNOWN_DIFFERENCES) <= set(CASES)
