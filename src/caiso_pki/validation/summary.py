"""Totals over many validation results (:func:`summarize`), for fleet reports and dashboards.

Apart from :mod:`.results` so that validating one chain does not build this class.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from caiso_pki.types import JsonDict
    from caiso_pki.validation.results import ValidationResult

__all__ = ["FleetSummary", "summarize"]


@attrs.frozen
class FleetSummary:
    """Totals over a list of results: how many are valid, and how often each failure code occurs."""

    total: int
    valid: int
    invalid: int
    by_code: Mapping[str, int]

    def to_dict(self) -> JsonDict:
        """JSON-ready form."""
        return {
            "total": self.total,
            "valid": self.valid,
            "invalid": self.invalid,
            "by_code": {code: count for code, count in self.by_code.items()},
        }


def summarize(results: Iterable[ValidationResult]) -> FleetSummary:
    """Count valid and invalid results and the failure codes (each code once per result)."""
    total = valid = 0
    codes: Counter[str] = Counter()
    for result in results:
        total += 1
        if result.valid:
            valid += 1
        codes.update(dict.fromkeys(result.codes, 1))
    return FleetSummary(total, valid, total - valid, dict(sorted(codes.items())))
