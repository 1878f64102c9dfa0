"""CPS profiles: the built-in data, overrides with ``extends``, and precise errors for malformed files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from caiso_pki import testing
from caiso_pki.errors import ProfileError
from caiso_pki.oids import ANY_POLICY, DEMO_BASIC_ASSURANCE_POLICY
from caiso_pki.policy import PolicyRequirement
from caiso_pki.profiles.cps import (
    BUILTIN_PROFILES,
    KINDS,
    RULE_CODES,
    USER_SUPPLIED,
    CpsProfile,
    load_cps_profile,
)


def test_builtin_profile_covers_every_kind_with_cited_rules() -> None:
    profile = load_cps_profile("caiso-basic-assurance")
    assert profile.name == "caiso-basic-assurance"
    assert set(profile.kinds) == set(KINDS)
    for kind in KINDS:
        rules = profile.kind(kind).rules
        assert {"policy", "signature", "key", "validity", "extensions", "key_usage"} <= set(rules)
        assert set(rules) <= set(RULE_CODES)
        for rule in rules.values():
            assert rule.citation.document in profile.documents
            assert rule.citation.section
            assert rule.citation.title
    assert set(profile.chain_rules) == {"policy_subset", "validity_nesting", "name_chaining"}
    rfc = profile.kind("rig").rule("key_usage")
    assert rfc is not None
    assert rfc.citation.url == "https://www.rfc-editor.org/rfc/rfc5280#section-4.2.1.3"


def test_builtin_profile_does_not_invent_policy_oids_or_validity() -> None:
    profile = load_cps_profile("caiso-basic-assurance")
    rig = profile.kind("rig")
    policy = rig.rule("policy")
    validity = rig.rule("validity")
    assert policy is not None
    assert validity is not None
    assert policy.unconfigured("required")
    assert policy.unconfigured("acceptable")
    assert validity.unconfigured("max_days")
    assert "rig.policy.required" in profile.unconfigured
    assert policy.note and "not public" in policy.note
    # Unconfigured: validation still requires an explicit policy, any OID accepted.
    assert profile.policy_requirement("rig") == PolicyRequirement(acceptable={"any"}, require_explicit=True)


def test_builtin_profile_states_the_public_facts() -> None:
    profile = load_cps_profile("caiso-basic-assurance")
    issuer = profile.kind("rig").rule("issuer")
    assert issuer is not None
    assert issuer.strings("retired") == ("Cybertrust",)
    retired_since = issuer.date("retired_since")
    assert retired_since is not None
    assert retired_since.isoformat() == "2024-11-01T00:00:00+00:00"
    assert issuer.citation.document == "caiso-access"
    api = profile.kind("api-client").rule("extended_key_usage")
    assert api is not None
    assert api.strings("required") == ("1.3.6.1.5.5.7.3.2",)
    assert profile.kind("root-ca").rule("crl_distribution_points") is None  # disabled for roots


def test_demo_profile_extends_the_builtin() -> None:
    profile = load_cps_profile("caiso-demo")
    assert profile.lineage == ("caiso-basic-assurance", "caiso-demo")
    assert profile.unconfigured == ()
    requirement = profile.policy_requirement("rig")
    assert requirement.acceptable == frozenset({DEMO_BASIC_ASSURANCE_POLICY})
    assert requirement.require_explicit
    issuing = profile.kind("issuing-ca").rule("policy")
    assert issuing is not None
    assert issuing.text("cps_uri") == testing.DEMO_CPS_URL
    # root-ca's own table (no required policy) still wins over the override's defaults.
    root = profile.kind("root-ca").rule("policy")
    assert root is not None
    assert root.strings("required") == ()
    assert profile.policy_requirement("root-ca").acceptable == frozenset({ANY_POLICY})


def test_override_file_relative_extends_and_flags(tmp_path: Path) -> None:
    base = tmp_path / "base.toml"
    base.write_text('extends = "caiso-demo"\nname = "mine"\n[kinds.rig.key]\nmin_rsa_bits = 3072\n')
    top = tmp_path / "top.toml"
    top.write_text(
        'extends = "base.toml"\nname = "top"\n'
        '[kinds.rig.policy]\nacceptable = ["1.2.3.4", "anyPolicy"]\nrequire_explicit = false\n'
        "inhibit_mapping = true\n"
    )
    profile = load_cps_profile(top)
    assert profile.lineage == ("caiso-basic-assurance", "caiso-demo", "mine", "top")
    key = profile.kind("rig").rule("key")
    assert key is not None
    assert key.integer("min_rsa_bits") == 3072
    assert profile.policy_requirement("rig") == PolicyRequirement(
        acceptable={"1.2.3.4", ANY_POLICY}, require_explicit=False, inhibit_mapping=True
    )
    assert profile.source == str(top)
    # str paths work too, and a profile passes through unchanged
    assert load_cps_profile(str(top)).lineage == profile.lineage
    assert load_cps_profile(profile) is profile


def test_disable_a_rule_and_change_severity() -> None:
    profile = load_cps_profile(
        'extends = "caiso-demo"\n[defaults.serial]\nenabled = false\n[kinds.rig.key]\nseverity = "warning"\n'
    )
    assert profile.kind("rig").rule("serial") is None
    key = profile.kind("rig").rule("key")
    assert key is not None
    assert key.severity == "warning"


def test_profile_to_dict_is_json() -> None:
    data = load_cps_profile("caiso-basic-assurance").to_dict()
    text = json.dumps(data)
    assert "user-supplied" in text
    assert data["kinds"]["rig"][0]["citation"]["document"]
    assert USER_SUPPLIED in [rule["params"].get("required") for rule in data["kinds"]["rig"]]


def test_builtin_names_are_files() -> None:
    for name in BUILTIN_PROFILES:
        assert isinstance(load_cps_profile(name), CpsProfile)


MALFORMED = [
    # (description, TOML text, what the message must name)
    ("bad OID", '[defaults.policy]\nrequired = ["1.2.x"]\n', "defaults.policy.required[0]"),
    ("unknown kind", "[kinds.router.key]\nmin_rsa_bits = 2048\n", "kinds.router"),
    ("wrong type", '[kinds.rig.key]\nmin_rsa_bits = "2048"\n', "kinds.rig.key.min_rsa_bits"),
    ("unknown key", "[kinds.rig.key]\nmin_bits = 2048\n", "kinds.rig.key.min_bits"),
    ("unknown top-level key", 'colour = "red"\n', "colour"),
    ("unknown rule table", "[defaults.magic]\nx = 1\n", "defaults.magic"),
    ("bad severity", '[defaults.key]\nseverity = "fatal"\n', "defaults.key.severity"),
    (
        "bad key usage name",
        '[defaults.key_usage]\nrequired = ["signing"]\n',
        "defaults.key_usage.required[0]",
    ),
    ("bad cps uri", '[defaults.policy]\ncps_uri = "cps.pdf"\n', "defaults.policy.cps_uri"),
    ("bad date", '[defaults.issuer]\nretired_since = "soon"\n', "defaults.issuer.retired_since"),
    ("undefined document", '[defaults.key]\ncitation = { document = "nope", section = "1" }\n', "document"),
    ("citation without section", '[defaults.key]\ncitation = { document = "rfc5280" }\n', "citation.section"),
    ("negative integer", "[defaults.serial]\nmin_bits = -1\n", "defaults.serial.min_bits"),
    ("kinds not a table", 'kinds = "rig"\n', "kinds"),
]


@pytest.mark.parametrize(("what", "text", "key"), MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_profile_names_file_and_key(tmp_path: Path, what: str, text: str, key: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('extends = "caiso-basic-assurance"\n' + text)
    with pytest.raises(ProfileError) as info:
        load_cps_profile(path)
    message = str(info.value)
    assert str(path) in message
    assert key in message


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "syntax.toml"
    path.write_text('extends = "caiso-demo"\n\n[kinds.rig.key]\nmin_rsa_bits = = 2048\n')
    with pytest.raises(ProfileError, match=r"syntax\.toml: not valid TOML: .*line 4"):
        load_cps_profile(path)


def test_missing_citation_without_base() -> None:
    with pytest.raises(ProfileError, match=r"kinds\.rig\.key\.citation"):
        load_cps_profile("[kinds.rig.key]\nmin_rsa_bits = 2048\n")


def test_extends_loop_and_unknown_names(tmp_path: Path) -> None:
    a = tmp_path / "a.toml"
    b = tmp_path / "b.toml"
    a.write_text('extends = "b.toml"\n')
    b.write_text('extends = "a.toml"\n')
    with pytest.raises(ProfileError, match="loops back"):
        load_cps_profile(a)
    with pytest.raises(ProfileError, match="unknown CPS profile 'caiso-platinum'"):
        load_cps_profile("caiso-platinum")
    with pytest.raises(ProfileError, match="no such CPS profile file"):
        load_cps_profile(tmp_path / "missing.toml")
    with pytest.raises(ProfileError, match="unknown certificate kind"):
        load_cps_profile("caiso-demo").kind("router")
    with pytest.raises(ProfileError, match="expected a name"):
        load_cps_profile(42)  # type: ignore[arg-type]


def test_inline_toml_text_profile() -> None:
    profile = load_cps_profile(
        'name = "pkits"\n[documents.x]\ntitle = "X"\n'
        '[kinds.api-client.policy]\nacceptable = ["2.16.840.1.101.3.2.1.48.1"]\nrequire_explicit = true\n'
        'citation = { document = "x", section = "1" }\n'
    )
    assert profile.name == "pkits"
    assert profile.source == "<profile text>"
    assert profile.policy_requirement("api-client").acceptable == frozenset({"2.16.840.1.101.3.2.1.48.1"})
    assert profile.kind("rig").rules == {}
