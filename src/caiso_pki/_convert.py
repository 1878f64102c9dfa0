"""Checks of caller-supplied values at the public boundary: one function per kind of input.

Public functions and attrs classes (in converters and ``__attrs_post_init__``) pass what callers give
them through these, so a wrong type (``None``, a number where text belongs, a list of numbers where
names belong) raises :class:`~caiso_pki.errors.MalformedInputError` naming the parameter, instead of a
``TypeError`` or ``AttributeError`` from deep inside.  Everything past the boundary can then trust its
inputs.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Collection, Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from caiso_pki.errors import InvalidTimeError, MalformedInputError

if TYPE_CHECKING:
    import attrs

__all__ = [
    "aware_time",
    "boolean",
    "callable_or_none",
    "choice",
    "count",
    "field_check",
    "kind_of",
    "positive_number",
    "instance",
    "instances",
    "optional_aware_time",
    "optional_count",
    "optional_instance",
    "optional_path",
    "optional_text",
    "path",
    "paths",
    "secret",
    "text",
    "text_pairs",
    "texts",
]

T = TypeVar("T")


def kind_of(value: object) -> str:
    """The type name of ``value`` for messages (``None`` for None)."""
    return "None" if value is None else type(value).__name__


def text(value: object, what: str) -> str:
    """``value`` when it is a ``str``."""
    if not isinstance(value, str):
        raise MalformedInputError(f"{what}: expected text (str), got {kind_of(value)}")
    return value


def optional_text(value: object, what: str) -> str | None:
    """``value`` when it is a ``str`` or ``None``."""
    return None if value is None else text(value, what)


def texts(value: object, what: str) -> tuple[str, ...]:
    """One ``str`` (one item) or an iterable of ``str``, as a tuple; ``None`` is refused."""
    if isinstance(value, str):
        return (value,)
    if value is None or isinstance(value, (bytes, bytearray)) or not isinstance(value, Iterable):
        raise MalformedInputError(f"{what}: expected text or a list of text, got {kind_of(value)}")
    items = tuple(value)
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise MalformedInputError(f"{what}[{index}]: expected text (str), got {kind_of(item)}")
    return items


def boolean(value: object, what: str) -> bool:
    """``value`` when it is ``True`` or ``False`` (a number is not a truth value here)."""
    if not isinstance(value, bool):
        raise MalformedInputError(f"{what}: expected True or False, got {kind_of(value)}")
    return value


def count(value: object, what: str, *, minimum: int = 0) -> int:
    """``value`` when it is an ``int`` of ``minimum`` or more (``True`` and ``False`` are not counts)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise MalformedInputError(f"{what}: expected a whole number (int), got {kind_of(value)}")
    if value < minimum:
        raise MalformedInputError(f"{what}: expected {minimum} or more, got {value}")
    return value


def optional_count(value: object, what: str) -> int | None:
    """``value`` when it is ``None`` or a count (see :func:`count`)."""
    return None if value is None else count(value, what)


def choice(value: object, choices: Collection[str], what: str) -> str:
    """``value`` when it is one of ``choices`` (text)."""
    if not isinstance(value, str) or value not in choices:
        shown = repr(value) if isinstance(value, str) else kind_of(value)
        raise MalformedInputError(f"{what}: {shown} is not one of {', '.join(sorted(choices))}")
    return value


def aware_time(value: object, what: str) -> dt.datetime:
    """``value`` when it is a timezone-aware ``datetime`` (a naive one is ambiguous)."""
    if not isinstance(value, dt.datetime):
        raise InvalidTimeError(f"{what}: expected a datetime, got {kind_of(value)}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidTimeError(f"{what}: {value.isoformat()} is naive; pass a timezone-aware datetime (UTC)")
    return value


def optional_aware_time(value: object, what: str) -> dt.datetime | None:
    """``value`` when it is ``None`` or a timezone-aware ``datetime``."""
    return None if value is None else aware_time(value, what)


def text_pairs(value: object, what: str) -> tuple[tuple[str, str], ...]:
    """A mapping of text to text, or an iterable of (text, text) pairs, as a tuple of pairs."""
    if isinstance(value, Mapping):
        items: Iterable[object] = value.items()
    elif value is None or isinstance(value, (str, bytes, bytearray)) or not isinstance(value, Iterable):
        raise MalformedInputError(f"{what}: expected a mapping of names to text, got {kind_of(value)}")
    else:
        items = value
    pairs = []
    for index, item in enumerate(items):
        if not isinstance(item, (tuple, list)) or len(item) != 2:
            raise MalformedInputError(f"{what}[{index}]: expected a (name, value) pair, got {kind_of(item)}")
        name, item_text = item
        pairs.append((text(name, f"{what}[{index}] name"), text(item_text, f"{what}[{name!r}]")))
    return tuple(pairs)


def instance(value: object, kinds: type[T] | tuple[type, ...], what: str, expected: str) -> T:
    """``value`` when it is an instance of ``kinds``; ``expected`` says what in words."""
    if not isinstance(value, kinds):
        raise MalformedInputError(f"{what}: expected {expected}, got {kind_of(value)}")
    return value  # type: ignore[return-value]


def optional_instance(value: object, kinds: type[T] | tuple[type, ...], what: str, expected: str) -> T | None:
    """``value`` when it is ``None`` or an instance of ``kinds``."""
    return None if value is None else instance(value, kinds, what, expected)


def instances(value: object, kinds: type[T] | tuple[type, ...], what: str, expected: str) -> tuple[T, ...]:
    """An iterable of ``kinds`` instances, as a tuple (text and bytes are not such an iterable)."""
    if value is None or isinstance(value, (str, bytes, bytearray)) or not isinstance(value, Iterable):
        raise MalformedInputError(f"{what}: expected a list of {expected}, got {kind_of(value)}")
    items = tuple(value)
    for index, item in enumerate(items):
        instance(item, kinds, f"{what}[{index}]", expected)
    return items


def path(value: object, what: str) -> Path:
    """A file system path from ``str`` or ``os.PathLike``; empty text is refused (it would mean ".")."""
    if not isinstance(value, (str, os.PathLike)):
        raise MalformedInputError(f"{what}: expected a path (str or os.PathLike), got {kind_of(value)}")
    try:
        raw = os.fspath(value)
    except TypeError as exc:
        raise MalformedInputError(f"{what}: not a usable path") from exc
    if not raw:
        raise MalformedInputError(f"{what}: the path is empty")
    return Path(raw)


def optional_path(value: object, what: str) -> Path | None:
    """``None``, or a path as :func:`path` takes it."""
    return None if value is None else path(value, what)


def paths(value: object, what: str) -> tuple[Path, ...]:
    """One path (``str`` or ``os.PathLike``: one input, not its letters) or an iterable of paths."""
    if isinstance(value, (str, os.PathLike)):
        return (path(value, what),)
    if value is None or isinstance(value, (bytes, bytearray)) or not isinstance(value, Iterable):
        raise MalformedInputError(
            f"{what}: expected a path or a list of paths (str or os.PathLike), got {kind_of(value)}"
        )
    return tuple(path(item, f"{what}[{index}]") for index, item in enumerate(value))


def callable_or_none(value: T | None, what: str) -> T | None:
    """``value`` when it is callable or ``None``."""
    if value is not None and not callable(value):
        raise MalformedInputError(f"{what}: expected a function (or None), got {kind_of(value)}")
    return value


def secret(value: object, what: str) -> bytes | None:
    """A password as bytes: ``str`` (UTF-8) or ``bytes``; ``None`` for none.  Never shown in messages."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise MalformedInputError(f"{what}: expected str or bytes, got {kind_of(value)}")


def field_check(
    check: Callable[[object, str], object],
) -> Callable[[object, attrs.Attribute[Any], object], None]:
    """An attrs validator that passes a field's value through ``check`` (one of the functions above),
    naming the field as ``Class.field`` in the message."""

    def validate(owner: object, attribute: attrs.Attribute[Any], value: object) -> None:
        check(value, f"{type(owner).__name__}.{attribute.name}")

    return validate


def positive_number(value: object, what: str, unit: str = "seconds") -> float:
    """``value`` when it is a real number above zero (``bool`` is refused)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise MalformedInputError(f"{what}: expected a positive number of {unit}, got {value!r}")
    return float(value)
