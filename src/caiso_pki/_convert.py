"""Checks of caller-supplied values at the public boundary: one function per kind of input.

Public functions and attrs classes (in converters and ``__attrs_post_init__``) pass what callers give
them through these, so a wrong type (``None``, a number where text belongs, a list of numbers where
names belong) raises :class:`~caiso_pki.errors.MalformedInputError` naming the parameter, instead of a
``TypeError`` or ``AttributeError`` from deep inside.  Everything past the boundary can then trust its
inputs.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import TypeVar

from caiso_pki.errors import MalformedInputError

__all__ = [
    "kind_of",
    "callable_or_none",
    "instance",
    "instances",
    "optional_text",
    "path",
    "secret",
    "text",
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


def instance(value: object, kinds: type[T] | tuple[type, ...], what: str, expected: str) -> T:
    """``value`` when it is an instance of ``kinds``; ``expected`` says what in words."""
    if not isinstance(value, kinds):
        raise MalformedInputError(f"{what}: expected {expected}, got {kind_of(value)}")
    return value  # type: ignore[return-value]


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


def callable_or_none(value: T | None, what: str) -> T | None:
    """``value`` when it is callable or ``None``."""
    if value is not None and not callable(value):
        raise MalformedInputError(f"{what}: expected a function (or None), got {kind_of(value)}")
    return value


def secret(value: object, what: str) -> bytes | None:
    """A passphrase as bytes: ``str`` (UTF-8) or ``bytes``; ``None`` for none.  Never shown in messages."""
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise MalformedInputError(f"{what}: expected str or bytes, got {kind_of(value)}")
