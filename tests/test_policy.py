"""PolicyRequirement: the RFC 5280 initial policy inputs."""

from __future__ import annotations

import pytest

from caiso_pki import MalformedInputError, PolicyRequirement, UnknownOidError
from caiso_pki.oids import ANY_POLICY


def test_default_is_any_policy() -> None:
    requirement = PolicyRequirement()
    assert requirement.acceptable == frozenset({ANY_POLICY})
    assert requirement.accepts_any
    assert not requirement.require_explicit


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("any", {ANY_POLICY}),
        ({"anyPolicy"}, {ANY_POLICY}),
        (["2.999.1", " 2.999.2 "], {"2.999.1", "2.999.2"}),
        ("2.16.840.1.101.3.2.1.48.1", {"2.16.840.1.101.3.2.1.48.1"}),
    ],
)
def test_acceptable_is_normalised(given: object, expected: set[str]) -> None:
    assert PolicyRequirement(given).acceptable == frozenset(expected)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["not-an-oid", ["2.999.1", "x.y"], "3.1"])
def test_bad_oids_raise_our_error(bad: object) -> None:
    with pytest.raises(UnknownOidError):
        PolicyRequirement(bad)  # type: ignore[arg-type]


def test_empty_set_is_refused() -> None:
    with pytest.raises(MalformedInputError, match="empty"):
        PolicyRequirement(frozenset())
