"""Validity compared at the whole second the times are encoded in (docs/choices.md).

RFC 5280 4.1.2.5 times name whole seconds, and the period runs "from notBefore through notAfter,
inclusive": a validation time 5 ms into notAfter's own second is inside it (x509-limbo
``rfc5280::validity::notafter-fractional``), 1 ms before notBefore is the second before it
(``rfc5280::validity::notbefore-fractional``).  Checked for the leaf, an intermediate and the anchor,
through every entry point.  These chains are not in the rule tables because ``tests/test_pkix.py`` runs
pyhanko-certvalidator on every path there, and pyhanko compares instants (so does OpenSSL, which also
counts notAfter's own second as expired: ``tests/test_openssl_differential.py``).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from _rule_cases import times
from caiso_pki import testing
from caiso_pki.certificate import Certificate
from caiso_pki.cli.verify import verify
from caiso_pki.errors import InvalidTimeError
from caiso_pki.validation import Validator, validate_chain, validate_many

MS = dt.timedelta(milliseconds=1)
SECOND = dt.timedelta(seconds=1)


def _chain(where: str) -> tuple[Certificate, Certificate, Certificate, dt.datetime]:
    """(leaf, intermediate, anchor, the notAfter of the one named by ``where``), minted with whole seconds."""
    pki = testing.DemoPki.create(key_spec="ec-p256")
    root, issuing = pki.root, pki.issuing_ca
    end = (pki.now + dt.timedelta(days=10)).replace(microsecond=0)
    start = pki.now - dt.timedelta(days=1)
    leaf = issuing.issue("rig", reuse_key=True).certificate
    intermediate, anchor = issuing.certificate, root.certificate
    if where == "leaf":
        leaf = issuing.resign(leaf, times(start, end))
    elif where == "intermediate":
        intermediate = root.resign(intermediate, times(start, end))
    else:
        anchor = root.resign(anchor, times(start, end))
    return leaf, intermediate, anchor, end


def test_validity_at_truncates_to_the_second() -> None:
    leaf, _, _, _ = _chain("leaf")
    assert leaf.validity_at(leaf.not_after) == "valid"
    assert leaf.validity_at(leaf.not_after + 5 * MS) == "valid"
    assert leaf.validity_at(leaf.not_after + 999 * MS) == "valid"
    assert leaf.validity_at(leaf.not_after + SECOND) == "expired"
    assert leaf.validity_at(leaf.not_before) == "valid"
    assert leaf.validity_at(leaf.not_before - MS) == "not-yet-valid"
    assert leaf.is_valid_at(leaf.not_after + 5 * MS)
    assert not leaf.is_valid_at(leaf.not_before - MS)
    with pytest.raises(InvalidTimeError):
        leaf.validity_at(leaf.not_after.replace(tzinfo=None))


@pytest.mark.parametrize("where", ["leaf", "intermediate", "anchor"])
@pytest.mark.parametrize(
    ("offset", "expired"), [(5 * MS, False), (999 * MS, False), (SECOND, True)], ids=["5ms", "999ms", "1s"]
)
def test_not_after_second_is_inside(where: str, offset: dt.timedelta, expired: bool, tmp_path: Path) -> None:
    leaf, intermediate, anchor, end = _chain(where)
    at = end + offset
    index = {"anchor": 0, "intermediate": 1, "leaf": 2}[where]
    expected = (("expired", index),) if expired else ()

    def check(result: object) -> None:
        got = tuple((f.code, f.index) for f in result.failures)  # type: ignore[attr-defined]
        assert got == expected, (where, offset, result)

    options = {"trust": [anchor], "revocation": "off"}
    check(validate_chain(leaf, [intermediate], at=at, **options))
    check(Validator(**options).validate(leaf, [intermediate], at=at))
    for result in validate_many([leaf, leaf], [intermediate], at=at, **options):
        check(result)
    (tmp_path / "leaf.pem").write_text(leaf.pem)
    (tmp_path / "chain.pem").write_text(intermediate.pem)
    (tmp_path / "trust.pem").write_text(anchor.pem)
    args = [str(tmp_path / "leaf.pem"), "--chain", str(tmp_path / "chain.pem")]
    args += ["--trust", str(tmp_path / "trust.pem"), "--revocation", "off", "--json"]
    args += ["--at", at.isoformat().replace("+00:00", "Z")]
    outcome = CliRunner().invoke(verify, args)
    report = json.loads(outcome.stdout)
    assert tuple((f["code"], f["index"]) for f in report["failures"]) == expected, outcome.stdout


def test_not_before_is_not_rounded_up() -> None:
    pki = testing.DemoPki.create(key_spec="ec-p256")
    leaf = pki.issuing_ca.issue("rig", reuse_key=True).certificate
    result = validate_chain(
        leaf, pki.issuing_ca.chain, trust=[pki.root.certificate], at=leaf.not_before - MS, revocation="off"
    )
    assert result.codes == ("not-yet-valid",)
    assert result.at == leaf.not_before - MS  # the time given is the time reported
