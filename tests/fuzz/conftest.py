"""Hypothesis profiles for the fuzz tests, per-test input floors and the end-of-session input count.

Profiles: ``default`` (bounded, part of the normal suite) and ``long`` (``nox -s fuzz``), selected
with ``--hypothesis-profile=long`` or ``CAISO_PKI_FUZZ=long``.  Neither has a hypothesis deadline: that
is wall-clock time per example, which a loaded machine stretches; each input is bounded in CPU time
instead (``_harness.time_bound``).  Fuzz tests take ``scale`` times the profile's ``max_examples``
(see ``_harness.fuzz_settings``).  Every hypothesis test here must feed at
least 80 % of its budget to the parsers, and the session prints the total per parser; under xdist the
workers send their counts to the controller.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Generator
from typing import Any, Final

import pytest
from hypothesis import HealthCheck, settings

from ._harness import COUNTS

#: The total the normal suite must reach (issue 8 acceptance), checked when every fuzz test ran.
MIN_TOTAL_INPUTS: Final = 2000

settings.register_profile(
    "default",
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "long",
    max_examples=5000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
if os.environ.get("CAISO_PKI_FUZZ") == "long":
    settings.load_profile("long")
elif settings.get_current_profile_name() == "default":
    settings.load_profile("default")

_FLOOR: Final = 0.8
_TOTALS: Final[Counter[str]] = Counter()
_RAN: dict[str, int] = {"hypothesis_tests": 0}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    """Fail a hypothesis fuzz test that fed fewer than 80 % of its example budget to the parsers."""
    function = getattr(item, "function", None)
    fuzz_settings = getattr(function, "_hypothesis_internal_use_settings", None)
    before = sum(COUNTS.values())
    result = yield
    if fuzz_settings is None:
        return result
    _RAN["hypothesis_tests"] += 1
    ran = sum(COUNTS.values()) - before
    budget = fuzz_settings.max_examples
    assert ran >= int(budget * _FLOOR), f"{item.name}: only {ran} inputs for a budget of {budget} examples"
    return result


def pytest_sessionfinish(session: pytest.Session) -> None:
    worker_output = getattr(session.config, "workeroutput", None)
    if worker_output is not None:  # an xdist worker: hand the counts to the controller
        worker_output["caiso_fuzz_counts"] = dict(COUNTS)
        return
    _TOTALS.update(COUNTS)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    _TOTALS.update(getattr(node, "workeroutput", {}).get("caiso_fuzz_counts", {}))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _TOTALS:
        return
    total = sum(_TOTALS.values())
    parts = ", ".join(f"{name}={count}" for name, count in sorted(_TOTALS.items()))
    terminalreporter.write_sep("-", f"fuzz: {total} generated inputs across {len(_TOTALS)} parsers")
    terminalreporter.write_line(parts)
    terminalreporter.write_line(
        f"profile={settings.get_current_profile_name()}; acceptance floor {MIN_TOTAL_INPUTS} inputs"
        f" ({'met' if total >= MIN_TOTAL_INPUTS else 'NOT met for this selection'})"
    )
