"""The base of every value that holds a private key: it refuses pickling, and says how to move the key.

cryptography's key objects refuse pickling with a bare ``TypeError``, so a value holding one fails
deep inside ``pickle`` (or ``multiprocessing``) with a message that names a Rust class.  That refusal
is right: a pickle carries the key in the clear, to wherever the bytes go (a worker's pipe, a cache,
a file).  :class:`KeyHolder` makes the refusal ours (:class:`~caiso_pki.errors.NotPicklableError`),
names the value, and says what to do instead.  Copying in memory (``copy.copy``, ``copy.deepcopy``)
still works: it never leaves the process.  :class:`OptionalKeyHolder` is the same for a value whose key
may be absent (a trust-only PKCS#12 bundle): without a key it pickles field by field.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, NoReturn, SupportsIndex, cast

import attrs

from caiso_pki.errors import NotPicklableError

if TYPE_CHECKING:
    from typing import Self

    from attrs import Attribute, AttrsInstance

__all__ = ["KeyHolder", "OptionalKeyHolder"]


def refuse_pickle(value: object) -> NoReturn:
    """Raise :class:`NotPicklableError` for ``value``, which holds a private key."""
    # Only the class name goes into the message: never anything read from the key.
    raise NotPicklableError(
        f"{type(value).__name__} holds a private key, and a private key is never pickled (a pickle "
        "would carry it unencrypted); send its certificates, which pickle, and move the key "
        "encrypted: write it with save_private_key or private_key_pem and a password (or "
        "export_pkcs12), and read it back with load_private_key (or load_pkcs12)"
    )


class _CopiesFields:
    """``copy.copy`` and ``copy.deepcopy`` field by field, without going through ``__reduce_ex__``."""

    __slots__ = ()

    def _key_holder_fields(self) -> tuple[Attribute[object], ...]:
        found: tuple[Attribute[object], ...] = attrs.fields(cast("type[AttrsInstance]", type(self)))
        return found

    def __copy__(self) -> Self:
        clone = object.__new__(type(self))
        for field in self._key_holder_fields():
            object.__setattr__(clone, field.name, getattr(self, field.name))
        return clone

    def __deepcopy__(self, memo: dict[int, object]) -> Self:
        clone = object.__new__(type(self))
        memo[id(self)] = clone  # before the fields: a CA's PKI lists the CA again
        for field in self._key_holder_fields():
            object.__setattr__(clone, field.name, copy.deepcopy(getattr(self, field.name), memo))
        return clone


class KeyHolder(_CopiesFields):
    """Base class for attrs classes with a private-key field: pickling raises, copying works."""

    __slots__ = ()

    def __reduce_ex__(self, protocol: SupportsIndex) -> NoReturn:
        refuse_pickle(self)


class OptionalKeyHolder(_CopiesFields):
    """Base class for attrs classes whose ``key`` field may be ``None``: without a key the value pickles
    field by field (its certificates as their DER), with one it refuses as :class:`KeyHolder` does."""

    __slots__ = ()
    key: object

    def __reduce_ex__(self, protocol: SupportsIndex) -> str | tuple[object, ...]:
        if self.key is not None:
            refuse_pickle(self)
        return object.__reduce_ex__(self, protocol)
