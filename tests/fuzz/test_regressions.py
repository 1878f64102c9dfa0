"""Inputs the fuzzers found that once escaped as a non-CaisoPkiError or hung; each must now fail cleanly."""

from __future__ import annotations

import pytest

from caiso_pki.errors import UnknownOidError
from caiso_pki.oids import parse_oid


@pytest.mark.parametrize(
    "text",
    [
        "1." + "9" * 5000,  # ValueError from int(): more than sys.get_int_max_str_digits() digits
        "0." + "4" * 4301,
        "1.40",
    ],
)
def test_parse_oid_refuses_huge_second_arc(text: str) -> None:
    with pytest.raises(UnknownOidError, match="second arc"):
        parse_oid(text)


def test_parse_oid_accepts_large_arcs_under_2() -> None:
    assert parse_oid("2.999.2008.1.1").dotted_string == "2.999.2008.1.1"
    assert parse_oid("1.39").dotted_string == "1.39"
