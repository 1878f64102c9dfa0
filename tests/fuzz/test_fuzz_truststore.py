"""Property-based fuzzing of trust-store manifests: TrustStore.open loads or raises a CaisoPkiError.

A real store (three certificates) is written once; each example writes a damaged ``manifest.json``
into a copy of it.  Inputs: byte-level damage of the real manifest, JSON-level damage (a random node
replaced by a random JSON value of another type) and deeply nested JSON.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from caiso_pki import testing
from caiso_pki.truststore import MANIFEST_NAME, TrustStore

from ._harness import exercise, fuzz_settings, mutated


def _make_store(directory: Path) -> bytes:
    """A real store of three certificates in ``directory``; its manifest."""
    pki = testing.DemoPki.create(now=dt.datetime(2025, 6, 1, tzinfo=dt.UTC))
    store = TrustStore.init(directory)
    store = store.add(pki.root.certificate, labels={"caiso"}, source="demo")
    store = store.add(
        pki.entrust_root.certificate,
        labels={"rig", "entrust"},
        distrust_after=dt.datetime(2030, 1, 1, tzinfo=dt.UTC),
        notes="private RIG root",
    )
    store = store.add(pki.issuing_ca.certificate, role="intermediate")
    store.save(directory)
    return (directory / MANIFEST_NAME).read_bytes()


@attrs.frozen
class Seed:
    """The real store's manifest and a copy of the store whose manifest each example replaces."""

    manifest: bytes
    scratch: Path


@pytest.fixture(scope="module")
def seed(tmp_path_factory: pytest.TempPathFactory) -> Seed:
    """Written once, in this module's own directory (never the shared temporary one)."""
    base = tmp_path_factory.mktemp("fuzz-store")
    manifest = _make_store(base / "store")
    shutil.copytree(base / "store", base / "scratch")
    return Seed(manifest, base / "scratch")


def _open_with(scratch: Path, manifest: bytes) -> TrustStore:
    (scratch / MANIFEST_NAME).write_bytes(manifest)
    store = TrustStore.open(scratch)
    for entry in store:
        entry.to_dict()
    return store


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=10), inner, max_size=3),
    max_leaves=6,
)
REPLACEMENTS = st.one_of(
    JSON,
    st.sampled_from(
        [
            "2025-13-45T00:00:00+00:00",
            "2025-06-01T00:00:00",
            "9999-12-31T23:59:59Z",
            "0001-01-01T00:00:00+00:00",
            "anchor",
            "intermediate",
            "../../etc/passwd",
            "0" * 64,
            "A" * 64,
            -1,
            2**64,
            True,
        ]
    ),
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, value in node.items():
            found.extend(_paths(value, (*prefix, key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_paths(value, (*prefix, index)))
    return found


@st.composite
def json_mutations(draw: st.DrawFn, manifest: bytes) -> bytes:
    document = json.loads(manifest)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(document)))
        replacement = draw(REPLACEMENTS)
        if not path:
            document = replacement
            continue
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        if draw(st.booleans()) and isinstance(parent, dict):
            parent.pop(path[-1], None)
        else:
            parent[path[-1]] = replacement
    return json.dumps(document).encode()


DEEP = st.builds(
    lambda depth, opener: (opener * depth).encode(),
    st.integers(1_000, 200_000),
    st.sampled_from(["[", '{"a":']),
)


def manifests(manifest: bytes) -> st.SearchStrategy[bytes]:
    """Byte-level and JSON-level damage of ``manifest``, and deeply nested JSON."""
    return st.one_of(mutated([manifest]), json_mutations(manifest), json_mutations(manifest), DEEP)


@fuzz_settings(scale=1.5)
@given(data=st.data())
def test_truststore_open(seed: Seed, data: st.DataObject) -> None:
    manifest = data.draw(manifests(seed.manifest), label="manifest")
    exercise("TrustStore.open", _open_with, seed.scratch, manifest)
