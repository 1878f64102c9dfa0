"""Property-based fuzzing of the text parsers: RFC 4514 subjects, OID strings, PolicyRequirement."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from caiso_pki.oids import parse_oid
from caiso_pki.policy import PolicyRequirement

from ._corpus import OIDS
from ._harness import exercise, fuzz_settings, mutated_text

_OID_CHARS = "0123456789.. -+x\u0660\u00b9"


def _oid_round_trip(text: str) -> None:
    oid = parse_oid(text)
    assert parse_oid(oid.dotted_string) == oid, text


OID_TEXT = st.one_of(
    mutated_text(OIDS, _OID_CHARS),
    mutated_text(OIDS),
    st.text(max_size=64),
    st.lists(st.integers(0, 2**70), min_size=1, max_size=8).map(lambda arcs: ".".join(map(str, arcs))),
    st.builds(lambda n: f"1.{'9' * n}", st.integers(1, 6000)),
    st.builds(lambda n: f"2.5.{'7' * n}", st.integers(1, 6000)),
)


@fuzz_settings(scale=2)
@given(text=OID_TEXT)
def test_parse_oid(text: str) -> None:
    exercise("parse_oid", _oid_round_trip, text)


def _policy(values: list[str] | str, flags: tuple[bool, bool, bool]) -> None:
    requirement = PolicyRequirement(
        acceptable=values, require_explicit=flags[0], inhibit_mapping=flags[1], inhibit_any=flags[2]
    )
    assert all(parse_oid(oid).dotted_string == oid for oid in requirement.acceptable)
    requirement.accepts_any


@fuzz_settings(scale=1)
@given(
    values=st.one_of(st.lists(OID_TEXT, max_size=5), OID_TEXT),
    flags=st.tuples(st.booleans(), st.booleans(), st.booleans()),
)
def test_policy_requirement(values: list[str] | str, flags: tuple[bool, bool, bool]) -> None:
    exercise("PolicyRequirement", _policy, values, flags)
