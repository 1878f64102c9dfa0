"""Property-based fuzzing of request and CPS profile TOML: load or raise ProfileError (a CaisoPkiError).

Two kinds of input: the shipped profile file and a small one with character-level damage, and
structurally valid TOML whose keys come from the schema but whose values have random types and content
(type confusion is where loaders break).
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from caiso_pki.profiles.cps import load_cps_profile
from caiso_pki.profiles.request import load_request_profile

from ._harness import exercise, fuzz_settings, mutated_text

BUILTIN_TOML = resources.files("caiso_pki.profiles").joinpath("request_profiles.toml").read_text("utf-8")
SINGLE_TOML = """\
name = "site-rig"
extends = "rig"
description = "RIG at one site"
key_specs = ["ec-p256", "rsa-2048"]

[subject]
required = ["CN", "O", "C", "OU"]
forbidden = ["emailAddress", "2.5.4.7"]

[subject.values]
OU = ["RIG", "Metering"]

[san]
dns = "required"
ip = "optional"
max = 3

[usage]
extended_key_usage = ["clientAuth", "1.3.6.1.5.5.7.3.1"]
"""
REQUEST_SEEDS = (SINGLE_TOML, BUILTIN_TOML)
_TOML_CHARS = "[]{}=\"'.,#\n 0123456789-_abcdefxyzTRUEfalse\\\u00e9"


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This module's own directory for the files the loaders read (never the shared temporary one)."""
    return tmp_path_factory.mktemp("fuzz-profiles")


def _toml_value(value: Any) -> str:
    """TOML for a JSON-like value (JSON string escapes are valid TOML basic-string escapes)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(item) for item in value) + "]"
    return "{" + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + "}"


SCALARS = st.one_of(
    st.booleans(),
    st.integers(-(2**63), 2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=20),
    st.sampled_from(
        ["rig", "dpg", "ec-p256", "rsa-1024", "CN", "2.5.4.3", "required", "serverAuth", "1.2.3"]
    ),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
TOP_KEYS = st.sampled_from(["name", "description", "extends", "key_specs", "profiles", "bogus"])
TABLES = {
    "subject": ["required", "forbidden", "values"],
    "san": ["dns", "ip", "uri", "email", "cn_in_dns", "wildcards", "min", "max"],
    "usage": ["key_usage", "key_usage_optional", "extended_key_usage", "extended_key_usage_optional"],
}


@st.composite
def typed_profiles(draw: st.DrawFn) -> str:
    """A syntactically valid profile whose keys follow the schema and whose values are random."""
    lines = [f"{key} = {_toml_value(draw(VALUES))}" for key in draw(st.sets(TOP_KEYS, max_size=4))]
    for table, keys in TABLES.items():
        chosen = draw(st.sets(st.sampled_from(keys), max_size=4))
        if chosen:
            lines.append(f"[{table}]")
            lines.extend(f"{key} = {_toml_value(draw(VALUES))}" for key in sorted(chosen))
    return "\n".join(lines) + "\n"


def _load_request(scratch: Path, text: str, name: str | None) -> object:
    path = scratch / "profile.toml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    profile = load_request_profile(path, name=name)
    profile.to_dict()
    return profile


NAMES = st.sampled_from([None, "rig", "dpg", "site-rig", "profile", "iccp"])


@fuzz_settings(scale=1.5)
@given(text=mutated_text(REQUEST_SEEDS, _TOML_CHARS), name=NAMES)
def test_request_profile_mutated(scratch: Path, text: str, name: str | None) -> None:
    exercise("request_profile[mutated]", _load_request, scratch, text, name)


@fuzz_settings(scale=1.5)
@given(text=typed_profiles(), name=NAMES)
def test_request_profile_typed(scratch: Path, text: str, name: str | None) -> None:
    exercise("request_profile[typed]", _load_request, scratch, text, name)


@fuzz_settings(scale=0.5)
@given(data=st.binary(max_size=512))
def test_request_profile_random_bytes(scratch: Path, data: bytes) -> None:
    def load() -> object:
        path = scratch / "random.toml"
        path.write_bytes(data)
        return load_request_profile(path)

    exercise("request_profile[bytes]", load)


# -- CPS profiles ----------------------------------------------------------------------------------

_CPS_DIR = resources.files("caiso_pki.profiles")
CPS_SEEDS = tuple(
    _CPS_DIR.joinpath(name).read_text("utf-8") for name in ("caiso-basic-assurance.toml", "caiso-demo.toml")
)


def _load_cps(text: str) -> object:
    profile = load_cps_profile(text)
    profile.to_dict()
    return profile


def _load_cps_file(scratch: Path, text: str) -> object:
    path = scratch / "cps.toml"
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    profile = load_cps_profile(path)
    profile.to_dict()
    return profile


@fuzz_settings(scale=1)
@given(text=mutated_text(CPS_SEEDS, _TOML_CHARS))
def test_cps_profile_text_mutated(text: str) -> None:
    exercise("cps_profile[text]", _load_cps, text)


@fuzz_settings(scale=0.5)
@given(text=mutated_text(CPS_SEEDS, _TOML_CHARS))
def test_cps_profile_file_mutated(scratch: Path, text: str) -> None:
    exercise("cps_profile[file]", _load_cps_file, scratch, text)


@fuzz_settings(scale=0.5)
@given(text=st.text(max_size=200))
def test_cps_profile_random_text(text: str) -> None:
    exercise("cps_profile[random]", _load_cps, text)
