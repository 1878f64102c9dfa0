"""Trust stores: which roots and intermediates a CAISO participant trusts, for what, and until when.

A :class:`TrustStore` is an immutable collection of :class:`TrustEntry` values.  Each entry wraps a
certificate with its role (``"anchor"`` or ``"intermediate"``), labels naming what it is trusted for
(``caiso``, ``rig``, ``ecn`` ...), where it came from, when it was added, and an optional
``distrust_after`` date: certificates issued after that date are not trusted (how a retired root such
as the Verizon Cybertrust roots, end of life November 2024, is recorded).  Every operation returns a
new store.

On disk a store is a directory holding one PEM file per certificate, named by its SHA-256
fingerprint, and ``manifest.json`` with the metadata::

    store = TrustStore.init("trust/")                  # an empty store
    with TrustStore.edit("trust/") as editor:          # locked read-modify-write
        editor.add(load_certificate("caiso-root.pem"), labels={"caiso"})
    store = TrustStore.open("trust/")

Writes are atomic (temporary file, fsync, rename) and serialized by a file lock, PEM files first and
the manifest last, so a killed writer leaves the previous store readable and two processes editing at
once both land.  A damaged or hand-edited manifest raises :class:`TrustStoreCorruptError` naming the
entry or file; it is never read as an empty store.

Import and export (PEM, DER, PKCS#7, PKCS#12, OpenSSL hashed directories, system bundles) live in
:mod:`caiso_pki.truststore_io`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, TypedDict, Unpack

import attrs

from caiso_pki import oids
from caiso_pki._atomic import atomic_write_bytes
from caiso_pki._convert import kind_of
from caiso_pki._text import display_path
from caiso_pki._time import ensure_aware, iso
from caiso_pki.certificate import Certificate
from caiso_pki.errors import CaisoPkiError, InvalidTimeError, TrustStoreCorruptError, TrustStoreError

if TYPE_CHECKING:
    from matplotlib.figure import Figure  # type: ignore[import-not-found,unused-ignore]
    from rich.console import RenderableType

    from caiso_pki.types import JsonDict, JsonValue, TrustInput

__all__ = [
    "MANIFEST_NAME",
    "AddOptions",
    "EntryChanges",
    "MANIFEST_VERSION",
    "ExpiryFinding",
    "Role",
    "StoreDiff",
    "StoreEditor",
    "TrustEntry",
    "TrustStore",
]

Role = Literal["anchor", "intermediate"]
ExpiryReason = Literal["retired", "expired", "expiring"]

#: File name of the metadata file inside a store directory.
MANIFEST_NAME: Final = "manifest.json"
#: Manifest format version written by this release (older versions are read, newer refused).
MANIFEST_VERSION: Final = 1
_FORMAT: Final = "caiso-pki-truststore"
_LOCK_NAME: Final = ".lock"
_LOCK_TIMEOUT: Final = 60.0
_ROLES: Final = ("anchor", "intermediate")
_LABEL: Final = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_FINGERPRINT: Final = re.compile(r"^[0-9a-f]{64}$")
_PEM_FILE: Final = re.compile(r"^[0-9a-f]{64}\.pem$")
_TOP_KEYS: Final = frozenset({"format", "version", "entries"})
_ENTRY_KEYS: Final = frozenset(
    {
        "fingerprint_sha256",
        "file",
        "role",
        "labels",
        "source",
        "added",
        "distrust_after",
        "notes",
        "subject",
        "not_after",
    }
)


# -- entries -----------------------------------------------------------------------------------------


def _labels(value: Iterable[str] | str) -> frozenset[str]:
    if value is None or isinstance(value, (bytes, bytearray)) or not isinstance(value, (str, Iterable)):
        raise TrustStoreError(f"labels: expected a label or a list of labels, got {kind_of(value)}")
    items = [value] if isinstance(value, str) else list(value)
    result = set()
    for item in items:
        if not isinstance(item, str):
            raise TrustStoreError(f"label {item!r}: labels are strings such as 'caiso', 'rig', 'ecn'")
        label = item.strip().lower()
        if not _LABEL.match(label):
            raise TrustStoreError(
                f"label {item!r}: use 1-64 characters a-z, 0-9, '.', '_' or '-', "
                "starting with a letter or digit"
            )
        result.add(label)
    return frozenset(result)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def _aware(value: dt.datetime) -> dt.datetime:
    return ensure_aware(value, what="trust entry time")


def _aware_or_none(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else ensure_aware(value, what="distrust_after")


def _entry_certificate(value: Certificate) -> Certificate:
    if not isinstance(value, Certificate):
        raise TrustStoreError(f"certificate: a trust entry holds a Certificate, not {kind_of(value)}")
    return value


def _check_role(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in _ROLES:
        raise TrustStoreError(f"role {value!r}: use 'anchor' or 'intermediate'")


def default_role(certificate: Certificate) -> Role:
    """``"anchor"`` for a self-issued certificate (a root), ``"intermediate"`` otherwise."""
    return "anchor" if certificate.is_self_issued else "intermediate"


def is_end_entity(certificate: Certificate) -> bool:
    """True for a certificate that is not a CA: basicConstraints says cA=FALSE, or is absent and the
    certificate is not self-issued (old version 1 roots have no extensions at all)."""
    if certificate.is_ca:
        return False
    has_constraints = oids.BASIC_CONSTRAINTS in {oid for oid, _ in certificate.extension_oids}
    return has_constraints or not certificate.is_self_issued


class AddOptions(TypedDict, total=False):
    """The metadata :meth:`TrustStore.add` takes, for the methods that pass it on."""

    role: Role | None
    labels: Iterable[str] | str
    source: str
    distrust_after: dt.datetime | None
    notes: str
    added: dt.datetime | None
    replace: bool


class EntryChanges(TypedDict, total=False):
    """The entry fields :meth:`TrustStore.update_entry` may change (the certificate stays)."""

    role: Role
    labels: frozenset[str] | Iterable[str]
    source: str
    added: dt.datetime
    distrust_after: dt.datetime | None
    notes: str


@attrs.frozen
class TrustEntry:
    """One trusted certificate and what it is trusted for.

    ``distrust_after``: certificates issued (``notBefore``) after this moment are not trusted through
    this entry; a retired root carries one.  Tools that cannot enforce it (``ssl``, ``openssl verify``)
    get the entry only while the date has not passed (see :meth:`TrustStore.trusted`).
    """

    certificate: Certificate = attrs.field(converter=_entry_certificate)
    role: Role = attrs.field(validator=_check_role)
    labels: frozenset[str] = attrs.field(default=frozenset(), converter=_labels, kw_only=True)
    source: str = attrs.field(default="", kw_only=True)
    added: dt.datetime = attrs.field(factory=_now, converter=_aware, kw_only=True)
    distrust_after: dt.datetime | None = attrs.field(default=None, converter=_aware_or_none, kw_only=True)
    notes: str = attrs.field(default="", kw_only=True)

    @property
    def fingerprint(self) -> str:
        """SHA-256 fingerprint of the certificate (lower-case hex), the entry's identity in a store."""
        return self.certificate.fingerprint_sha256

    @property
    def subject(self) -> str:
        """The certificate subject as an RFC 4514 string."""
        return self.certificate.subject.rfc4514

    def is_retired(self, at: dt.datetime | None = None) -> bool:
        """True once ``distrust_after`` has passed at ``at`` (default now)."""
        when = ensure_aware(at, what="at")
        return self.distrust_after is not None and when > self.distrust_after

    def trusts_issued_at(self, issued: dt.datetime) -> bool:
        """Whether a certificate issued (``notBefore``) at ``issued`` may chain to this entry."""
        when = ensure_aware(issued, what="issued")
        return self.distrust_after is None or when <= self.distrust_after

    def to_dict(self) -> JsonDict:
        """A JSON-ready view (also the manifest record)."""
        return {
            "fingerprint_sha256": self.fingerprint,
            "file": f"{self.fingerprint}.pem",
            "role": self.role,
            "labels": sorted(self.labels),
            "source": self.source,
            "added": iso(self.added),
            "distrust_after": iso(self.distrust_after) if self.distrust_after else None,
            "notes": self.notes,
            "subject": self.subject,
            "not_after": iso(self.certificate.not_after),
        }

    def _metadata(self) -> tuple[object, ...]:
        return (self.role, self.labels, self.source, self.distrust_after, self.notes)


def _norm_fingerprint(value: str) -> str:
    text = value.strip().lower()
    text = text.removeprefix("sha256:")
    text = text.replace(":", "").replace(" ", "")
    if not text or any(ch not in "0123456789abcdef" for ch in text) or len(text) > 64:
        raise TrustStoreError(f"fingerprint {value!r}: expected SHA-256 hex (a prefix is fine)")
    return text


# -- reports -----------------------------------------------------------------------------------------


@attrs.frozen
class StoreDiff:
    """What changed from one store to another: entries added, removed, and changed metadata.

    ``changed`` holds ``(before, after)`` pairs for certificates in both stores whose role, labels,
    source, ``distrust_after`` or notes differ.
    """

    added: tuple[TrustEntry, ...] = ()
    removed: tuple[TrustEntry, ...] = ()
    changed: tuple[tuple[TrustEntry, TrustEntry], ...] = ()

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def to_dict(self) -> JsonDict:
        """A JSON-ready view."""
        changes: list[JsonValue] = []
        for before, after in self.changed:
            fields: dict[str, JsonValue] = {}
            for name in ("role", "labels", "source", "distrust_after", "notes"):
                old, new = before.to_dict()[name], after.to_dict()[name]
                if old != new:
                    fields[name] = {"before": old, "after": new}
            changes.append({"fingerprint_sha256": before.fingerprint, "subject": before.subject, **fields})
        return {
            "added": [entry.to_dict() for entry in self.added],
            "removed": [entry.to_dict() for entry in self.removed],
            "changed": changes,
        }


@attrs.frozen
class ExpiryFinding:
    """An entry that needs attention: ``retired`` (distrust_after passed), ``expired``, or ``expiring``.

    ``when`` is the moment that matters (the ``distrust_after`` or ``notAfter``); ``days`` counts whole
    days from the report time to ``when`` (negative when in the past).
    """

    entry: TrustEntry
    reason: ExpiryReason
    when: dt.datetime
    days: int

    def to_dict(self) -> JsonDict:
        """A JSON-ready view."""
        return {
            "fingerprint_sha256": self.entry.fingerprint,
            "subject": self.entry.subject,
            "labels": sorted(self.entry.labels),
            "reason": self.reason,
            "when": iso(self.when),
            "days": self.days,
        }


# -- the store ---------------------------------------------------------------------------------------


def _entries(value: Iterable[TrustEntry]) -> tuple[TrustEntry, ...]:
    from caiso_pki._convert import instances

    try:
        return instances(value, TrustEntry, "entries", "TrustEntry values")
    except CaisoPkiError as exc:
        raise TrustStoreError(str(exc)) from exc


def _optional_path(value: str | os.PathLike[str] | None) -> Path | None:
    from caiso_pki._convert import path

    try:
        return None if value is None else path(value, "directory")
    except CaisoPkiError as exc:
        raise TrustStoreError(str(exc)) from exc


def _directory(value: object) -> Path:
    """A store directory given by a caller: a path, never ``None`` or empty text."""
    from caiso_pki._convert import path

    try:
        return path(value, "directory")
    except CaisoPkiError as exc:
        raise TrustStoreError(str(exc)) from exc


CertificateLike = Certificate | TrustEntry


@attrs.frozen
class TrustStore:
    """An immutable collection of trust anchors and intermediates; every operation returns a new store.

    ``directory`` is where the store was opened from (``None`` for one built in memory); :meth:`save`
    writes there by default.  A store built from imported bundles may hold the same certificate twice;
    :meth:`dedupe` merges such entries, and :meth:`save` always writes the deduplicated store.
    """

    entries: tuple[TrustEntry, ...] = attrs.field(default=(), converter=_entries)
    directory: Path | None = attrs.field(default=None, converter=_optional_path, eq=False, kw_only=True)

    # -- container protocol --------------------------------------------------------------------------

    def __iter__(self) -> Iterator[TrustEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, item: object) -> bool:
        if isinstance(item, TrustEntry):
            item = item.certificate
        if isinstance(item, Certificate):
            return any(entry.certificate == item for entry in self.entries)
        if isinstance(item, str):
            try:
                wanted = _norm_fingerprint(item)
            except TrustStoreError:
                return False
            return len(wanted) == 64 and any(entry.fingerprint == wanted for entry in self.entries)
        return False

    def __repr__(self) -> str:
        where = f" directory={str(self.directory)!r}" if self.directory else ""
        return f"<TrustStore {len(self.entries)} entries{where}>"

    def _repr_html_(self) -> str:
        from caiso_pki.display import truststore_html

        return truststore_html(self)

    def __rich__(self) -> RenderableType:
        from caiso_pki.display import truststore_rich

        return truststore_rich(self)

    def plot_expiry(self, *, at: dt.datetime | None = None) -> Figure:
        """An expiry timeline of the entries (matplotlib Figure); needs ``pip install 'caiso-pki[plot]'``."""
        from caiso_pki.display import plot_expiry

        return plot_expiry(self, at=at)

    # -- views ---------------------------------------------------------------------------------------

    def anchors(self) -> tuple[Certificate, ...]:
        """The certificates of every ``anchor`` entry (trust roots), in store order."""
        return tuple(entry.certificate for entry in self.entries if entry.role == "anchor")

    def intermediates(self) -> tuple[Certificate, ...]:
        """The certificates of every ``intermediate`` entry, in store order."""
        return tuple(entry.certificate for entry in self.entries if entry.role == "intermediate")

    def certificates(self) -> tuple[Certificate, ...]:
        """Every certificate, in store order."""
        return tuple(entry.certificate for entry in self.entries)

    def labels(self) -> frozenset[str]:
        """Every label used in the store."""
        return frozenset(label for entry in self.entries for label in entry.labels)

    # -- queries -------------------------------------------------------------------------------------

    def find(
        self,
        *,
        fingerprint: str | None = None,
        subject: str | None = None,
        ski: str | None = None,
    ) -> tuple[TrustEntry, ...]:
        """Entries matching every given criterion.

        ``fingerprint``: SHA-256 hex, any prefix, colons allowed.  ``subject``: a case-insensitive
        substring of the RFC 4514 subject.  ``ski``: subject key identifier hex (colons allowed).
        """
        if fingerprint is None and subject is None and ski is None:
            raise TrustStoreError("find() needs a fingerprint, subject or ski")
        result = list(self.entries)
        if fingerprint is not None:
            prefix = _norm_fingerprint(fingerprint)
            result = [entry for entry in result if entry.fingerprint.startswith(prefix)]
        if subject is not None:
            needle = subject.strip().lower()
            result = [entry for entry in result if needle in entry.subject.lower()]
        if ski is not None:
            wanted = ski.strip().lower().replace(":", "")
            result = [entry for entry in result if entry.certificate.subject_key_identifier == wanted]
        return tuple(result)

    def get(self, fingerprint: str) -> TrustEntry:
        """The one entry whose fingerprint starts with ``fingerprint``; raise if none or ambiguous."""
        found = {entry.fingerprint: entry for entry in self.find(fingerprint=fingerprint)}
        if not found:
            raise TrustStoreError(f"no entry with fingerprint {fingerprint!r} in the store")
        if len(found) > 1:
            raise TrustStoreError(
                f"fingerprint prefix {fingerprint!r} matches {len(found)} entries; give more digits"
            )
        return next(iter(found.values()))

    def filter(
        self,
        *,
        label: str | None = None,
        labels: Iterable[str] | None = None,
        role: Role | None = None,
        predicate: Callable[[TrustEntry], bool] | None = None,
    ) -> TrustStore:
        """A store of the entries that have ``label`` (or any of ``labels``), ``role`` and ``predicate``."""
        wanted: frozenset[str] | None = None
        if label is not None or labels is not None:
            wanted = _labels([label] if label is not None else []) | _labels(labels or ())
        kept = [
            entry
            for entry in self.entries
            if (wanted is None or entry.labels & wanted)
            and (role is None or entry.role == role)
            and (predicate is None or predicate(entry))
        ]
        return attrs.evolve(self, entries=kept)

    def trusted(self, *, at: dt.datetime | None = None, include_retired: bool = False) -> TrustStore:
        """The entries that may still be used at ``at`` (default now): retired entries are dropped.

        This is what TLS contexts and exports for tools that cannot enforce ``distrust_after`` use.
        """
        if include_retired:
            return self
        when = ensure_aware(at, what="at")
        return self.filter(predicate=lambda entry: not entry.is_retired(when))

    # -- changes -------------------------------------------------------------------------------------

    def add(
        self,
        item: Certificate | TrustEntry,
        *,
        role: Role | None = None,
        labels: Iterable[str] | str = (),
        source: str = "",
        distrust_after: dt.datetime | None = None,
        notes: str = "",
        added: dt.datetime | None = None,
        replace: bool = False,
    ) -> TrustStore:
        """A store with ``item`` added.

        A :class:`Certificate` becomes an entry with the given metadata (``role`` defaults to
        ``anchor`` for a self-issued certificate, ``intermediate`` for other CA certificates); a
        :class:`TrustEntry` is added as is.  An end-entity certificate (not a CA) is refused unless
        ``role="anchor"`` is given, which pins it; it can never be an intermediate.  Adding a
        certificate already present raises :class:`TrustStoreError` unless ``replace=True``.
        """
        if isinstance(item, TrustEntry):
            entry = item
        elif isinstance(item, Certificate):
            if role != "anchor" and is_end_entity(item):
                raise TrustStoreError(
                    f"{item.subject.rfc4514!r} ({item.fingerprint_sha256[:16]}) is an end-entity "
                    "certificate, not a CA; a trust store holds CA certificates",
                    remedy="role-anchor",
                )
            entry = TrustEntry(
                certificate=item,
                role=role or default_role(item),
                labels=labels,
                source=source,
                added=added or _now(),
                distrust_after=distrust_after,
                notes=notes,
            )
        else:
            raise TrustStoreError(f"add() takes a Certificate or TrustEntry, not {type(item).__name__}")
        present = [existing for existing in self.entries if existing.fingerprint == entry.fingerprint]
        if present and not replace:
            raise TrustStoreError(
                f"{entry.subject!r} ({entry.fingerprint[:16]}) is already in the store", remedy="replace"
            )
        kept = [existing for existing in self.entries if existing.fingerprint != entry.fingerprint]
        return attrs.evolve(self, entries=[*kept, entry])

    def add_all(self, items: Iterable[Certificate | TrustEntry], **options: Unpack[AddOptions]) -> TrustStore:
        """A store with every item added (same options as :meth:`add`)."""
        store = self
        for item in items:
            store = store.add(item, **options)
        return store

    def remove(self, item: str | Certificate | TrustEntry) -> TrustStore:
        """A store without the entry for ``item`` (a fingerprint prefix, certificate or entry)."""
        if isinstance(item, str):
            fingerprint = self.get(item).fingerprint
        elif isinstance(item, TrustEntry):
            fingerprint = item.fingerprint
        elif isinstance(item, Certificate):
            fingerprint = item.fingerprint_sha256
        else:
            raise TrustStoreError(f"remove() takes a fingerprint, Certificate or TrustEntry, not {item!r}")
        if fingerprint not in self:
            raise TrustStoreError(f"no entry with fingerprint {fingerprint} in the store")
        return attrs.evolve(self, entries=[e for e in self.entries if e.fingerprint != fingerprint])

    def update_entry(self, fingerprint: str, **changes: Unpack[EntryChanges]) -> TrustStore:
        """A store where the entry for ``fingerprint`` has ``changes`` applied (labels, notes ...)."""
        target = self.get(fingerprint)
        if "certificate" in changes:  # not an EntryChanges key; callers without a type checker may try
            raise TrustStoreError("update_entry() cannot change the certificate; remove and add instead")
        try:
            updated = attrs.evolve(target, **changes)
        except TypeError as exc:
            raise TrustStoreError(f"update_entry(): {exc}") from exc
        return attrs.evolve(
            self, entries=[updated if e.fingerprint == target.fingerprint else e for e in self.entries]
        )

    def merge(self, other: TrustStore | Iterable[TrustEntry]) -> TrustStore:
        """A store holding the entries of both, duplicates merged as by :meth:`dedupe`."""
        return attrs.evolve(self, entries=[*self.entries, *other]).dedupe()

    def dedupe(self) -> TrustStore:
        """A store with one entry per certificate.

        Duplicates merge conservatively: labels are united, the role is ``anchor`` if any copy says
        so, ``added`` is the earliest, ``distrust_after`` the earliest given, notes are joined.
        """
        merged: dict[str, TrustEntry] = {}
        for entry in self.entries:
            first = merged.get(entry.fingerprint)
            if first is None:
                merged[entry.fingerprint] = entry
                continue
            dates = [d for d in (first.distrust_after, entry.distrust_after) if d is not None]
            notes = [n for n in dict.fromkeys((*first.notes.split("; "), *entry.notes.split("; "))) if n]
            merged[entry.fingerprint] = attrs.evolve(
                first,
                role="anchor" if "anchor" in (first.role, entry.role) else "intermediate",
                labels=first.labels | entry.labels,
                source=first.source or entry.source,
                added=min(first.added, entry.added),
                distrust_after=min(dates) if dates else None,
                notes="; ".join(notes),
            )
        return attrs.evolve(self, entries=list(merged.values()))

    def diff(self, other: TrustStore) -> StoreDiff:
        """What changes going from this store to ``other``."""
        before = {entry.fingerprint: entry for entry in self.dedupe()}
        after = {entry.fingerprint: entry for entry in other.dedupe()}
        return StoreDiff(
            added=tuple(entry for fp, entry in after.items() if fp not in before),
            removed=tuple(entry for fp, entry in before.items() if fp not in after),
            changed=tuple(
                (before[fp], entry)
                for fp, entry in after.items()
                if fp in before and before[fp]._metadata() != entry._metadata()
            ),
        )

    def expiring(
        self, within: dt.timedelta = dt.timedelta(days=90), *, at: dt.datetime | None = None
    ) -> tuple[ExpiryFinding, ...]:
        """Entries that are retired, expired, or expire within ``within`` of ``at`` (default now).

        Each entry is reported once with the most pressing reason (retired, then expired, then
        expiring), sorted by date.  ``within`` must be a :class:`datetime.timedelta`
        (``timedelta(days=90)``), and ``at + within`` must be before year 10000; otherwise
        :class:`InvalidTimeError`.
        """
        when = ensure_aware(at, what="at")
        if not isinstance(within, dt.timedelta):
            raise InvalidTimeError(
                f"expiring(): within must be a datetime.timedelta such as timedelta(days=90), "
                f"not {type(within).__name__}"
            )
        try:
            horizon = when + within
        except OverflowError as exc:
            raise InvalidTimeError(
                f"expiring(): {within.days} days after {when.date().isoformat()} is past year 9999; "
                "look less far ahead"
            ) from exc
        findings = []
        for entry in self.dedupe():
            not_after = entry.certificate.not_after
            reason: ExpiryReason
            if entry.distrust_after is not None and when > entry.distrust_after:
                reason, moment = "retired", entry.distrust_after
            elif not_after < when:
                reason, moment = "expired", not_after
            elif not_after <= horizon:
                reason, moment = "expiring", not_after
            else:
                continue
            days = (moment - when) // dt.timedelta(days=1)
            findings.append(ExpiryFinding(entry=entry, reason=reason, when=moment, days=days))
        return tuple(sorted(findings, key=lambda f: (f.when, f.entry.fingerprint)))

    # -- building ------------------------------------------------------------------------------------

    @classmethod
    def from_certificates(
        cls,
        certificates: Iterable[Certificate],
        *,
        labels: Iterable[str] | str = (),
        source: str = "",
        role: Role | None = None,
        distrust_after: dt.datetime | None = None,
    ) -> TrustStore:
        """A store of ``certificates`` (duplicates kept; see :meth:`dedupe`)."""
        from caiso_pki._convert import instances

        try:
            certificates = instances(certificates, Certificate, "certificates", "Certificate objects")
        except CaisoPkiError as exc:
            raise TrustStoreError(str(exc)) from exc
        added = _now()
        return cls(
            entries=[
                TrustEntry(
                    certificate=cert,
                    role=role or default_role(cert),
                    labels=labels,
                    source=source,
                    added=added,
                    distrust_after=distrust_after,
                )
                for cert in certificates
            ]
        )

    # -- on disk -------------------------------------------------------------------------------------

    @classmethod
    def init(cls, directory: str | os.PathLike[str]) -> TrustStore:
        """Create an empty store in ``directory`` (created if missing); refuse an existing store."""
        path = _directory(directory)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TrustStoreError(f"{path}: cannot create the trust store directory: {exc.strerror}") from exc
        with _locked(path):
            if (path / MANIFEST_NAME).exists():
                raise TrustStoreError(f"{path} already holds a trust store ({MANIFEST_NAME} exists)")
            store = cls(directory=path)
            _write(store, path)
        return store

    @classmethod
    def open(cls, directory: str | os.PathLike[str]) -> TrustStore:
        """Read the store in ``directory``; raise :class:`TrustStoreCorruptError` if it is damaged."""
        path = _directory(directory)
        with _locked(path, read_only_ok=True):
            return _read(path)

    def save(self, directory: str | os.PathLike[str] | None = None, *, overwrite: bool = False) -> TrustStore:
        """Write this store (deduplicated) to ``directory`` (default: where it was opened), replacing it.

        This is a whole-store write: the directory ends up holding exactly this store.  Saving back to
        the directory the store was opened from (or initialised in) replaces it, and so does saving into
        an empty store (``TrustStore.init``); another directory whose store holds entries is refused
        unless ``overwrite``.  To change a store that other processes may also change, use :meth:`edit`
        or :meth:`update`.
        """
        target = _directory(directory) if directory is not None else self.directory
        if target is None:
            raise TrustStoreError("save(): this store was built in memory; pass a directory")
        if not target.is_dir():
            raise TrustStoreError(f"{target}: no such directory", remedy="init-store")
        own = self.directory is not None and _same_directory(self.directory, target)
        store = attrs.evolve(self.dedupe(), directory=target)
        with _locked(target):
            if not own and not overwrite and (target / MANIFEST_NAME).exists() and _read(target).entries:
                raise TrustStoreError(
                    f"{display_path(target)} already holds another trust store", remedy="overwrite"
                )
            _write(store, target)
        return store

    @classmethod
    @contextlib.contextmanager
    def edit(cls, directory: str | os.PathLike[str]) -> Iterator[StoreEditor]:
        """Lock the store, read it, let the caller change it, and write it back on a clean exit.

        ::

            with TrustStore.edit("trust/") as editor:
                editor.add(cert, labels={"rig"})
                editor.remove("3f2a")

        The lock is held for the whole block, so concurrent editors (threads or processes) queue and
        none of their changes is lost.  If the block raises, nothing is written.
        """
        path = _directory(directory)
        with _locked(path):
            editor = StoreEditor(_read(path))
            yield editor
            if editor.store is not editor.original:
                editor.store = attrs.evolve(editor.store.dedupe(), directory=path)
                _write(editor.store, path)

    @classmethod
    def update(cls, directory: str | os.PathLike[str], fn: Callable[[TrustStore], TrustStore]) -> TrustStore:
        """Atomic read-modify-write: replace the store in ``directory`` with ``fn(store)``."""
        with cls.edit(directory) as editor:
            editor.store = fn(editor.store)
        return editor.store


@attrs.define
class StoreEditor:
    """The mutable handle :meth:`TrustStore.edit` yields; assign ``store`` or call the helpers."""

    store: TrustStore
    original: TrustStore = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        self.original = self.store

    def add(self, item: Certificate | TrustEntry, **options: Unpack[AddOptions]) -> TrustEntry:
        """Add a certificate or entry (options as :meth:`TrustStore.add`); return the new entry."""
        self.store = self.store.add(item, **options)
        return self.store.entries[-1]

    def remove(self, item: str | Certificate | TrustEntry) -> None:
        """Remove an entry (fingerprint prefix, certificate or entry)."""
        self.store = self.store.remove(item)


# -- disk format -------------------------------------------------------------------------------------


def _same_directory(first: Path, second: Path) -> bool:
    try:
        return first.resolve() == second.resolve()
    except OSError:
        return first == second


@contextlib.contextmanager
def _locked(directory: Path, *, read_only_ok: bool = False) -> Iterator[None]:
    from filelock import FileLock, Timeout

    if not directory.is_dir():
        raise TrustStoreError(f"{directory}: no trust store here (directory missing)", remedy="init-store")
    lock_path = directory / _LOCK_NAME
    lock = FileLock(str(lock_path), timeout=_LOCK_TIMEOUT, is_singleton=False)
    held = False
    try:
        lock.acquire()
        held = True
    except Timeout as exc:
        raise TrustStoreError(f"{directory}: trust store is locked by another process ({lock_path})") from exc
    except PermissionError as exc:
        # A read-only store (e.g. shipped in a package) can still be read: its files never change.
        if not read_only_ok:
            raise TrustStoreError(f"{directory}: cannot lock the trust store: {exc.strerror}") from exc
    except OSError as exc:
        raise TrustStoreError(f"{directory}: cannot lock the trust store: {exc.strerror}") from exc
    try:
        yield
    finally:
        if held:
            lock.release()


def _manifest_bytes(store: TrustStore) -> bytes:
    # One entry per line: readable and diff-friendly, and fast (indent= would use the slow encoder).
    lines = [json.dumps(entry.to_dict(), ensure_ascii=False) for entry in store.entries]
    entries = "[\n    " + ",\n    ".join(lines) + "\n  ]" if lines else "[]"
    text = f'{{\n  "format": "{_FORMAT}",\n  "version": {MANIFEST_VERSION},\n  "entries": {entries}\n}}\n'
    return text.encode("utf-8")


def _write(store: TrustStore, directory: Path) -> None:
    """PEM files first, then the manifest, then garbage: a crash at any point leaves a readable store."""
    wanted = set()
    for entry in store.entries:
        name = f"{entry.fingerprint}.pem"
        wanted.add(name)
        pem = entry.certificate.pem.encode("ascii")
        target = directory / name
        try:
            if target.read_bytes() == pem:
                continue
        except OSError:
            pass
        # The store's own files: replacing them is what writing a store means.
        atomic_write_bytes(target, pem, mode=0o644, overwrite=True, error=TrustStoreError)
    atomic_write_bytes(
        directory / MANIFEST_NAME, _manifest_bytes(store), mode=0o644, overwrite=True, error=TrustStoreError
    )
    for child in directory.iterdir():
        stale_pem = _PEM_FILE.match(child.name) and child.name not in wanted
        stale_tmp = child.name.startswith(".") and child.name.endswith(".tmp")
        if stale_pem or stale_tmp:
            with contextlib.suppress(FileNotFoundError):
                child.unlink()


# PEM bytes -> parsed certificate.  Store files never change under one name, and re-reading a store on
# every locked edit would otherwise re-parse every certificate each time.
_PARSED: dict[bytes, Certificate] = {}
_PARSED_MAX: Final = 20_000


def _corrupt(directory: Path, what: str) -> TrustStoreCorruptError:
    return TrustStoreCorruptError(f"{directory / MANIFEST_NAME}: {what}")


def _parse_time(value: object, *, directory: Path, where: str, field: str) -> dt.datetime:
    if not isinstance(value, str):
        raise _corrupt(directory, f"{where}: {field} must be an ISO 8601 string, got {value!r}")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        return ensure_aware(parsed, what=field)
    except (ValueError, InvalidTimeError) as exc:
        raise _corrupt(directory, f"{where}: {field} {value!r} is not an aware ISO 8601 time") from exc


def _read(directory: Path) -> TrustStore:
    manifest = directory / MANIFEST_NAME
    try:
        raw = manifest.read_bytes()
    except FileNotFoundError as exc:
        raise TrustStoreError(
            f"{directory}: no {MANIFEST_NAME}; not a trust store", remedy="init-store"
        ) from exc
    except OSError as exc:
        raise TrustStoreError(f"{manifest}: cannot read: {exc.strerror}") from exc
    try:
        document = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise _corrupt(directory, "not UTF-8 text") from exc
    except json.JSONDecodeError as exc:
        raise _corrupt(directory, f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    except RecursionError as exc:  # json recurses once per nested array/object
        raise _corrupt(directory, "JSON arrays or objects nest too deeply") from exc
    if not isinstance(document, dict):
        raise _corrupt(directory, "expected a JSON object at the top level")
    unknown = sorted(set(document) - _TOP_KEYS)
    if unknown:
        raise _corrupt(directory, f"unknown top-level field(s) {unknown}")
    if document.get("format") != _FORMAT:
        raise _corrupt(directory, f"format is {document.get('format')!r}, expected {_FORMAT!r}")
    version = document.get("version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise _corrupt(directory, f"version {version!r} is not a positive integer")
    if version > MANIFEST_VERSION:
        raise TrustStoreError(
            f"{manifest}: format version {version} is newer than this caiso-pki reads ({MANIFEST_VERSION}); "
            "upgrade caiso-pki"
        )
    records = document.get("entries")
    if not isinstance(records, list):
        raise _corrupt(directory, "'entries' must be a list")
    entries: list[TrustEntry] = []
    seen: set[str] = set()
    for index, record in enumerate(records):
        entry = _read_entry(directory, index, record)
        if entry.fingerprint in seen:
            raise _corrupt(directory, f"entry {index}: fingerprint {entry.fingerprint} is listed twice")
        seen.add(entry.fingerprint)
        entries.append(entry)
    return TrustStore(entries=entries, directory=directory)


def _read_entry(directory: Path, index: int, record: object) -> TrustEntry:
    from caiso_pki.certificate import load_certificates

    where = f"entry {index}"
    if not isinstance(record, dict):
        raise _corrupt(directory, f"{where}: expected an object")
    fingerprint = record.get("fingerprint_sha256")
    if isinstance(fingerprint, str):
        where = f"entry {index} ({fingerprint[:16]})"
    unknown = sorted(set(record) - _ENTRY_KEYS)
    if unknown:
        raise _corrupt(directory, f"{where}: unknown field(s) {unknown}")
    if not isinstance(fingerprint, str) or not _FINGERPRINT.match(fingerprint):
        raise _corrupt(
            directory, f"{where}: fingerprint_sha256 {fingerprint!r} is not 64 lower-case hex digits"
        )
    expected_file = f"{fingerprint}.pem"
    if record.get("file", expected_file) != expected_file:
        raise _corrupt(directory, f"{where}: file {record.get('file')!r} must be {expected_file!r}")
    for field in ("source", "notes", "subject", "not_after"):
        if field in record and not isinstance(record[field], str):
            raise _corrupt(directory, f"{where}: {field} must be a string")
    role = record.get("role")
    if role not in _ROLES:
        raise _corrupt(directory, f"{where}: role {role!r} must be 'anchor' or 'intermediate'")
    labels = record.get("labels", [])
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        raise _corrupt(directory, f"{where}: labels must be a list of strings")
    added = _parse_time(record.get("added"), directory=directory, where=where, field="added")
    distrust_raw = record.get("distrust_after")
    distrust = (
        None
        if distrust_raw is None
        else _parse_time(distrust_raw, directory=directory, where=where, field="distrust_after")
    )
    pem_path = directory / expected_file
    try:
        pem = pem_path.read_bytes()
    except FileNotFoundError as exc:
        raise TrustStoreCorruptError(
            f"{pem_path}: missing certificate file for {where} of {directory / MANIFEST_NAME}"
        ) from exc
    except OSError as exc:
        raise TrustStoreCorruptError(
            f"{pem_path}: cannot read certificate file for {where}: {exc.strerror}"
        ) from exc
    certificate = _PARSED.get(pem)
    if certificate is None:
        try:
            certificates = load_certificates(pem_path)
        except CaisoPkiError as exc:
            raise TrustStoreCorruptError(
                f"{pem_path}: unreadable certificate file for {where}: {exc}"
            ) from exc
        if len(certificates) != 1:
            raise TrustStoreCorruptError(
                f"{pem_path}: holds {len(certificates)} certificates, expected exactly one"
            )
        certificate = certificates[0]
        if len(_PARSED) >= _PARSED_MAX:
            _PARSED.clear()
        _PARSED[pem] = certificate
    if certificate.fingerprint_sha256 != fingerprint:
        raise TrustStoreCorruptError(
            f"{pem_path}: fingerprint mismatch for {where}: the file holds {certificate.fingerprint_sha256}"
        )
    try:
        return TrustEntry(
            certificate=certificate,
            role=role,
            labels=labels,
            source=record.get("source", ""),
            added=added,
            distrust_after=distrust,
            notes=record.get("notes", ""),
        )
    except TrustStoreError as exc:
        raise _corrupt(directory, f"{where}: {exc}") from exc


def _trust_items(items: list[object], *, single: bool) -> TrustStore:
    """A store of the trust inputs ``items`` (see :func:`trust_material`)."""
    from cryptography import x509 as cx509

    from caiso_pki.certificate import load_certificates

    entries: list[TrustEntry] = []
    certificates: list[Certificate] = []
    for index, item in enumerate(items):
        what = "trust" if single else f"trust[{index}]"
        holder = getattr(item, "certificate", None)
        if isinstance(item, TrustEntry):
            entries.append(item)
        elif isinstance(item, Certificate):
            certificates.append(item)
        elif isinstance(item, cx509.Certificate):
            certificates.append(Certificate.from_cryptography(item))
        elif isinstance(holder, Certificate):  # an issued test certificate, a PFX's contents
            certificates.append(holder)
        elif isinstance(item, (bytes, bytearray, memoryview, str, os.PathLike)):
            certificates.extend(load_certificates(item))
        else:
            kind = "None" if item is None else type(item).__name__
            raise TrustStoreError(
                f"{what}: expected a TrustStore, certificates, PEM/DER bytes or a path, got {kind}"
            )
    store = TrustStore(entries=entries) if entries else TrustStore()
    return store.merge(TrustStore.from_certificates(certificates)) if certificates else store


def trust_material(
    trust: TrustInput,
    *,
    labels: Iterable[str] | None = None,
    at: dt.datetime | None = None,
    include_retired: bool = False,
) -> TrustStore:
    """Turn what callers pass as ``trust=`` into a store, the same inputs everywhere (validation too).

    ``trust`` is a :class:`TrustStore`, a :class:`TrustEntry`, one certificate input (a
    :class:`Certificate`, a ``cryptography`` certificate, DER/PEM bytes, PEM text, a path) or a list of
    any of these (``["root.pem", other_root]``).  Certificates given directly take their default role.
    A store is filtered by ``labels`` (any of them) and stripped of retired entries.  A wrong input
    raises :class:`TrustStoreError` naming ``trust`` (or ``trust[i]``).
    """
    if isinstance(trust, TrustStore):
        store = trust
    elif isinstance(trust, (TrustEntry, Certificate, bytes, bytearray, memoryview, str, os.PathLike)):
        store = _trust_items([trust], single=True)
    elif trust is not None and isinstance(trust, Iterable):
        store = _trust_items(list(trust), single=False)
    else:
        store = _trust_items([trust], single=True)
    if labels is not None:
        store = store.filter(labels=labels)
    return store.trusted(at=at, include_retired=include_retired)
