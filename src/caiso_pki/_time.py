"""Time as caiso-pki takes it and writes it: timezone-aware in, ISO 8601 UTC with a ``Z`` out.

Every JSON report (``to_dict()``), the trust-store manifest and the command line's JSON write times
with :func:`iso`, so one program can read what another wrote; every API that takes a time passes it
through :func:`ensure_aware`, so a naive ``datetime`` (which means a different instant on every
machine) is refused instead of guessed at.
"""

from __future__ import annotations

import datetime as dt
from typing import overload

from caiso_pki.errors import InvalidTimeError

__all__ = ["ensure_aware", "iso"]


def ensure_aware(at: dt.datetime | None, *, what: str = "time") -> dt.datetime:
    """Return ``at`` in UTC (now when ``None``); refuse naive datetimes, which are ambiguous."""
    if at is None:
        return dt.datetime.now(dt.UTC)
    if not isinstance(at, dt.datetime):
        raise InvalidTimeError(f"{what}: expected a datetime, got {type(at).__name__}")
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidTimeError(f"{what} {at.isoformat()} is naive; pass a timezone-aware datetime (UTC)")
    return at.astimezone(dt.UTC)


@overload
def iso(value: dt.datetime) -> str: ...
@overload
def iso(value: None) -> None: ...
@overload
def iso(value: dt.datetime | None) -> str | None: ...
def iso(value: dt.datetime | None) -> str | None:
    """``value`` as ISO 8601 in UTC with a ``Z`` (``2025-06-01T12:00:00Z``); ``None`` stays ``None``."""
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z") if value is not None else None
