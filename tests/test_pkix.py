"""RFC 5280 6.1 path processing (``caiso_pki.validation.pkix``): its step table, met by real chains, and
pyhanko-certvalidator's own path validation as an independent second opinion.

* Every code of :data:`~caiso_pki.validation.pkix.STEPS` is given by some chain of NIST PKITS or of the
  minted rule table, and no chain gives a code outside the table (nothing falls through to ``internal``).
* pyhanko-certvalidator's public ``async_validate_path`` runs on the same paths (revocation off, the
  same algorithm policy, initial policy inputs and anchor qualifiers): it must reach the same verdict,
  except where :data:`PYHANKO_DIFFERS` says why it does not, one line per case.  (Which certificate
  failed, and why, pyhanko says only in its private state and its messages, which are not compared.)
  The test imports pyhanko itself: ``src/`` uses it only for revocation.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from typing import Any, Final

import pytest

from _pkits import CASES, PKITS_ALGORITHMS, cert, pkits_options
from _rule_cases import build_tables
from caiso_pki.certificate import Certificate
from caiso_pki.oids import ANY_POLICY
from caiso_pki.policy import PolicyRequirement
from caiso_pki.validation import AlgorithmPolicy, pkix, validate_chain
from caiso_pki.validation.options import trust_set
from caiso_pki.validation.signatures import SignatureCache

_IDNA_2003: Final = (
    "pyhanko's name-constraint step reads every dNSName through asn1crypto, which decodes it with "
    "Python's IDNA 2003 codec and raises on IDNA 2008 A-labels and stray bytes; RFC 5280 7.2 compares "
    "A-labels as the ASCII they are (the rules report non-ASCII names as invalid-dns-name)"
)

#: case -> why pyhanko-certvalidator's verdict differs from ours (it is the one that is wrong).
PYHANKO_DIFFERS: dict[str, str] = {
    "clean/valid/other-name-constraint-applies-to-nothing": "pyhanko has no otherName matcher and refuses "
    "the constraint's certificate (RFC 5280 4.2.1.10: constraints apply to names of their own form)",
    **{
        name: _IDNA_2003
        for name in (
            "rules/invalid-dns-name/non-ascii",
            "rules/invalid-dns-name/emoji",
            "clean/idn/server-name-u-label",
            "clean/idn/a-label-san",
            "clean/idn/server-name-upper-case-a-label",
            "clean/idn/server-name-a-label",
            "clean/idn/server-name-idna2003-mapping-is-no-match",
            "clean/escape/emoji-san",
        )
    },
}


def _paths() -> list[
    tuple[str, tuple[Certificate, ...], dt.datetime, PolicyRequirement | None, AlgorithmPolicy]
]:
    """(name, path anchor first, time, policy, algorithms) of every chain whose path can be built."""
    found = []
    for case in CASES:
        options = pkits_options(case)
        names = case.get("path_intermediates", case.get("other_certs", []))
        result = validate_chain(
            cert(case["cert"]), [cert(n) for n in names], **{**options, "revocation": "off", "crls": ()}
        )
        if result.path[0] == cert("TrustAnchorRootCertificate.crt") and len(result.path) > 1:
            found.append(
                (
                    f"pkits/{case['id']}-{case['name']}",
                    result.path,
                    options["at"],
                    options["policy"],
                    PKITS_ALGORITHMS,
                )
            )
    cases, clean = build_tables()
    for prefix, table in (("rules", cases), ("clean", clean)):
        for name, rule_case in table.items():
            options = rule_case.options()
            result = validate_chain(
                rule_case.leaf,
                rule_case.chain,
                at=rule_case.at,
                **{**options, "revocation": "off", "crls": ()},
            )
            anchor_ders = trust_set(rule_case.trust).anchor_ders
            if len(result.path) > 1 and result.path[0].der in anchor_ders:
                found.append(
                    (f"{prefix}/{name}", result.path, rule_case.at, options.get("policy"), AlgorithmPolicy())
                )
    return found


PATHS = _paths()


def _ours(
    path: tuple[Certificate, ...], at: dt.datetime, policy: Any, algorithms: AlgorithmPolicy
) -> pkix.Outcome:
    return pkix.process(path, at=at, policy=policy, algorithms=algorithms, cache=SignatureCache())


def test_enough_paths() -> None:
    assert len(PATHS) > 300


def test_every_step_code_is_met_and_nothing_else() -> None:
    table = frozenset().union(*(step.codes for step in pkix.STEPS))
    seen: dict[str, list[str]] = defaultdict(list)
    for name, path, at, policy, algorithms in PATHS:
        outcome = _ours(path, at, policy, algorithms)
        if outcome.failure is not None:
            seen[outcome.failure.code].append(name)
    assert set(seen) <= table, {code: names[:3] for code, names in seen.items() if code not in table}
    missing = table - set(seen) - {"name-constraints-budget"}  # met in tests/test_name_constraints.py
    assert not missing, missing


def _pyhanko(
    path: tuple[Certificate, ...], at: dt.datetime, policy: Any, algorithms: AlgorithmPolicy
) -> bool:
    from pyhanko_certvalidator import ValidationContext
    from pyhanko_certvalidator.authority import CertTrustAnchor, TrustQualifiers
    from pyhanko_certvalidator.name_trees import default_permitted_subtrees, process_general_subtrees
    from pyhanko_certvalidator.path import ValidationPath
    from pyhanko_certvalidator.policy_decl import DisallowWeakAlgorithmsPolicy, PKIXValidationParams
    from pyhanko_certvalidator.validate import async_validate_path

    params = None
    if policy is not None:
        params = PKIXValidationParams(
            user_initial_policy_set=frozenset(
                "any_policy" if oid == ANY_POLICY else oid for oid in policy.acceptable
            ),
            initial_explicit_policy=policy.require_explicit,
            initial_policy_mapping_inhibit=policy.inhibit_mapping,
            initial_any_policy_inhibit=policy.inhibit_any,
        )
    context = ValidationContext(
        trust_roots=[CertTrustAnchor(path[0].asn1)],
        moment=at,
        revocation_mode="soft-fail",
        time_tolerance=dt.timedelta(0),
        algorithm_usage_policy=DisallowWeakAlgorithmsPolicy(
            weak_hash_algos=algorithms.weak_hashes,
            rsa_key_size_threshold=algorithms.min_rsa_bits,
            dsa_key_size_threshold=algorithms.min_dsa_bits,
        ),
    )
    # the anchor's validity and permitted subtrees as trust qualifiers (RFC 5937), as caiso-pki uses them
    anchor = path[0].asn1
    anchor_params = None
    constraints = anchor.name_constraints_value
    if constraints is not None and constraints["permitted_subtrees"].native:
        anchor_params = PKIXValidationParams(
            initial_permitted_subtrees={
                **default_permitted_subtrees(),
                **process_general_subtrees(constraints["permitted_subtrees"]),
            }
        )
    qualifiers = TrustQualifiers(
        standard_parameters=anchor_params,
        valid_from=anchor.not_valid_before,
        valid_until=anchor.not_valid_after,
    )
    validation_path = ValidationPath(
        CertTrustAnchor(anchor, quals=qualifiers), [c.asn1 for c in path[1:-1]], path[-1].asn1
    )
    try:
        asyncio.run(async_validate_path(context, validation_path, parameters=params))
    except Exception:  # pyhanko refuses the path (any reason)
        return False
    return True


@pytest.mark.parametrize(("name", "path", "at", "policy", "algorithms"), PATHS, ids=[p[0] for p in PATHS])
def test_pyhanko_agrees(name: str, path: Any, at: Any, policy: Any, algorithms: AlgorithmPolicy) -> None:
    ours = _ours(path, at, policy, algorithms)
    theirs = _pyhanko(path, at, policy, algorithms)
    if name in PYHANKO_DIFFERS:
        assert theirs != (ours.failure is None), f"pyhanko now agrees on {name}: remove it from the table"
        return
    assert theirs == (ours.failure is None), (name, ours.failure)
