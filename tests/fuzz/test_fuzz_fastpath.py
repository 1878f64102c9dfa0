"""Fuzzing the fast path: random one-change leaves under every chain shape, answered fast and in full.

``tests/test_fastpath_differential.py`` takes every mutation kind of ``tests/_leaf_mutations.py`` once
per shape, then some at random, from a fixed seed.  This test draws all of its leaves at random (the
kinds that keep the template's shape three times as often, so templates are used, learnt from
mutated leaves and relearnt) from a new seed each session: :data:`LEAVES_PER_SHAPE` per shape, 1,000 under
``CAISO_PKI_FUZZ=long`` (or ``--hypothesis-profile=long``), which is 11,000 for the eleven shapes.

The seed is printed and named in every failure; ``CAISO_PKI_FASTPATH_SEED=<seed>`` draws the same
mutations again (the keys, and so the signatures, are new each run).  The known differences
(:data:`~_leaf_mutations.KNOWN_DIFFERENCES`, each with its strict xfail in the CI differential) are
counted, not failed.
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
from hypothesis import settings

from _leaf_mutations import (
    KNOWN_DIFFERENCES,
    SHAPES,
    build_batch,
    describe,
    run,
    seed_from_environment,
    split,
    write_report,
)

#: Random leaves per chain shape, by profile.
LEAVES_PER_SHAPE = {"default": 20, "long": 1000}
#: The issue's floor for the fuzz session.
MIN_LONG_LEAVES = 10_000
#: One seed for the session (each shape draws from it under its own name).
SEED = seed_from_environment(None)


def _profile() -> str:
    long = os.environ.get("CAISO_PKI_FUZZ") == "long" or settings.get_current_profile_name() == "long"
    return "long" if long else "default"


def test_long_session_runs_at_least_ten_thousand_leaves() -> None:
    assert LEAVES_PER_SHAPE["long"] * len(SHAPES) >= MIN_LONG_LEAVES


@pytest.mark.filterwarnings("ignore:Attribute's length must be")
@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_fast_path_agrees_on_random_leaves(shape: str) -> None:
    seed = SEED
    count = LEAVES_PER_SHAPE[_profile()]
    print(f"fast-path fuzz: shape={shape} seed={seed} leaves={count}")
    batch = build_batch(SHAPES[shape], seed, mode="fuzz", count=count)
    verdicts = run(batch)
    write_report(batch, verdicts)
    assert len(verdicts) == count

    differing = [v for v in verdicts if v.differences]
    unexpected = [v for v in differing if v.leaf.mutation.kind not in KNOWN_DIFFERENCES]
    categories = Counter(category for v in unexpected for _, category, _ in v.differences)
    assert not unexpected, (
        f"{len(unexpected)} of {count} leaves differ (seed={seed}; {dict(categories)})\n"
        + "\n".join(describe(batch, verdict) for verdict in unexpected[:20])
    )
    table = split(verdicts)
    known = {kind: row["differ"] for kind, row in table.items() if row["differ"]}
    fast = sum(row["fast"] for row in table.values())
    print(f"fast-path fuzz: shape={shape} seed={seed} fast={fast}/{count} known differences={known}")
    if SHAPES[shape].templated and count >= 100:
        assert fast >= 0.25 * count, (shape, seed, fast, count)
