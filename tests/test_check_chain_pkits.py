"""NIST PKITS 4.8-4.12 (policies, requireExplicitPolicy, mappings, inhibitPolicyMapping, inhibitAnyPolicy)
through check_chain: a CPS profile whose kind accepts the case's user-initial-policy-set must give the same
policy outcome as validate_chain with those RFC 5280 inputs, and the outcome PKITS expects.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from _pkits import CASES as ALL_CASES
from _pkits import cert, pkits_options
from caiso_pki.lint import check_chain
from caiso_pki.policy import PolicyRequirement
from caiso_pki.profiles.cps import CpsProfile, load_cps_profile
from caiso_pki.validation import validate_chain

CASES: list[dict[str, Any]] = [case for case in ALL_CASES if "40800" <= case["id"] < "41300"]


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(value) for value in values) + "]"


def profile_for(params: dict[str, Any]) -> CpsProfile:
    """A CPS profile (TOML text) whose api-client kind carries the case's RFC 5280 initial inputs."""
    user_set = params.get("user_initial_policy_set")
    acceptable = _toml_list(user_set) if user_set else '"any"'
    text = f"""
name = "pkits"
[documents.pkits]
title = "NIST PKITS"
[kinds.api-client.policy]
acceptable = {acceptable}
require_explicit = {str(params.get("initial_explicit_policy", False)).lower()}
inhibit_mapping = {str(params.get("initial_policy_mapping_inhibit", False)).lower()}
inhibit_any = {str(params.get("initial_any_policy_inhibit", False)).lower()}
citation = {{ document = "pkits", section = "4.8" }}
"""
    return load_cps_profile(text)


def _inputs(case: dict[str, Any]) -> dict[str, Any]:
    options = pkits_options(case)
    del options["policy"]  # check_chain takes the policy requirement from the profile
    return options


def test_cases_selected() -> None:
    assert len(CASES) == 85
    assert {case["id"][:3] for case in CASES} == {"408", "409", "410", "411", "412"}


@pytest.mark.parametrize("case", CASES, ids=lambda case: f"{case['id']}-{case['name']}")
def test_check_chain_agrees_with_validate_chain(case: dict[str, Any]) -> None:
    params = case.get("params") or {}
    profile = profile_for(params)
    intermediates = [cert(name) for name in case.get("path_intermediates", case.get("other_certs", []))]
    leaf = cert(case["cert"])
    checked = check_chain(leaf, intermediates, profile=profile, kind="api-client", **_inputs(case))
    reference = validate_chain(
        leaf,
        intermediates,
        policy=PolicyRequirement(
            acceptable=frozenset(params.get("user_initial_policy_set", ["any"])),
            require_explicit=params.get("initial_explicit_policy", False),
            inhibit_mapping=params.get("initial_policy_mapping_inhibit", False),
            inhibit_any=params.get("initial_any_policy_inhibit", False),
        ),
        **_inputs(case),
    )
    assert profile.policy_requirement("api-client").require_explicit == params.get(
        "initial_explicit_policy", False
    )
    assert checked.validation.valid == reference.valid
    assert checked.validation.valid_policies == reference.valid_policies
    assert checked.validation.codes == reference.codes
    assert checked.validation.valid == ("error" not in case), checked.validation.failures
    assert checked.kind == "api-client"
    if checked.validation.valid:
        # The lint ran over the validated path as built (anchor first): its indexes are the path's.
        indexes = {f.certificate_index for f in checked.findings}
        assert indexes <= set(range(len(checked.validation.path)))
