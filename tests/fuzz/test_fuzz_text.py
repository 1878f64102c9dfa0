"""Property-based fuzzing of the text parsers: RFC 4514 subjects, OID strings, PolicyRequirement."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from caiso_pki.oids import parse_oid
from caiso_pki.policy import PolicyRequirement
from caiso_pki.subject import Subject

from ._corpus import OIDS, SUBJECTS
from ._harness import exercise, fuzz_settings, mutated_text

_OID_CHARS = "0123456789.. -+x\u0660\u00b9"
_DN_CHARS = '=,+;\\#"<> \x00\n\u00e9\u200bCNOUcn0123456789abcdefABCDEF'


def _oid_round_trip(text: str) -> None:
    oid = parse_oid(text)
    assert parse_oid(oid) == oid, text


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
    assert all(parse_oid(oid) == oid for oid in requirement.acceptable)
    requirement.accepts_any


@fuzz_settings(scale=1)
@given(
    values=st.one_of(st.lists(OID_TEXT, max_size=5), OID_TEXT),
    flags=st.tuples(st.booleans(), st.booleans(), st.booleans()),
)
def test_policy_requirement(values: list[str] | str, flags: tuple[bool, bool, bool]) -> None:
    exercise("PolicyRequirement", _policy, values, flags)


def _subject_round_trip(text: str) -> None:
    subject = Subject.parse(text)
    again = Subject.parse(subject.rfc4514)
    # Compare the names, not the Subject values: ``extra`` keeps the order it was given in, while the
    # encoded name puts DC first, so Subject("DC=0,UID=0") != Subject(its own rfc4514) as values.
    assert again.x509_name == subject.x509_name, (text, subject.rfc4514)


SUBJECT_TEXT = st.one_of(
    mutated_text(SUBJECTS, _DN_CHARS),
    mutated_text(SUBJECTS),
    st.text(max_size=80),
    st.lists(
        st.tuples(
            st.sampled_from(["CN", "O", "OU", "C", "L", "ST", "E", "DC", "UID", "2.5.4.12", "x"]), st.text()
        ),
        max_size=6,
    ).map(lambda pairs: ",".join(f"{k}={v}" for k, v in pairs)),
)


@fuzz_settings(scale=2)
@given(text=SUBJECT_TEXT)
def test_subject_parse(text: str) -> None:
    exercise("Subject.parse", _subject_round_trip, text)
