"""Bounded path building: candidate paths from a leaf to a trust anchor, never more work than a budget.

pyhanko-certvalidator's own path builder explores every combination of issuers sharing a name; a
peer that presents a hundred intermediates with one subject makes it run for minutes.  This builder
works like Go's ``crypto/x509`` and cryptography's verifier instead:

* depth first from the leaf, trying for each certificate the anchors and intermediates whose subject
  is its issuer name, best first: authorityKeyIdentifier matching the candidate's
  subjectKeyIdentifier, then anchors before intermediates, then candidates valid at the validation
  time, then input order;
* each edge is kept only when the candidate's key verifies the signature (signature checks are
  counted, and cached by :class:`~caiso_pki.validation.signatures.SignatureCache`); when no path has
  good signatures, a second pass allows edges whose signature fails, so RFC 5280 validation reports
  ``bad-signature`` on the right certificate rather than ``no-path``;
* a certificate whose subject and public key already appear in the chain is skipped (no cycles, and
  no chain that only repeats one key under one name);
* :class:`~caiso_pki.validation.options.PathBudget` caps the depth, the signature checks, the
  candidates considered and the complete paths handed on.  When a cap is reached the builder stops
  and says which (``limit``); a branch deeper than the depth cap is only pruned (``pruned``).  When
  no valid path is found and either happened, the validation fails with ``path-building-limit``.

Missing issuers can be fetched from the authorityInfoAccess caIssuers URL: the builder does no I/O
itself; it lists the dead ends (:meth:`PathBuilder.dead_ends`) and takes what the caller fetched
(:meth:`PathBuilder.add`), once per certificate.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

from caiso_pki.certificate import Certificate
from caiso_pki.validation.options import Anchor, PathBudget

__all__ = ["Candidate", "PathBuilder", "name_keys"]


class Candidate(NamedTuple):
    """A complete candidate path: its anchor and the certificates below it, top first, leaf last."""

    anchor: Anchor
    chain: tuple[Certificate, ...]

    @property
    def path(self) -> tuple[Certificate, ...]:
        """Anchor first, leaf last (the order of :attr:`ValidationResult.path`)."""
        return (self.anchor.certificate, *self.chain)


# verify(issuer, subject) -> True (verifies), False (does not), None (cannot tell here)
Verifier = Callable[[Certificate, Certificate], "bool | None"]


class PathBuilder:
    """Depth-first, budgeted search for paths from ``leaf`` to one of ``anchors``."""

    def __init__(
        self,
        leaf: Certificate,
        pool: Sequence[Certificate],
        anchors: Sequence[Anchor],
        *,
        budget: PathBudget,
        at: dt.datetime,
        verify: Verifier,
        fetching: bool = False,
    ) -> None:
        self.leaf = leaf
        self.budget = budget
        self.at = at
        self._verify = verify
        self._fetching = fetching
        self._fetched: set[bytes] = set()
        self._wanted: dict[bytes, Certificate] = {}
        self.limit: str | None = None
        self.pruned: str | None = None
        self.signature_checks = 0
        self.candidates_seen = 0
        self.paths_given = 0
        self.deepest: tuple[Certificate, ...] = (leaf,)
        self._names: dict[int, tuple[object, object]] = {}
        self._anchors_by_name: dict[object, list[Anchor]] = {}
        anchor_ders = set()
        for anchor in anchors:
            anchor_ders.add(anchor.certificate.der)
            self._anchors_by_name.setdefault(self._name_keys(anchor.certificate)[0], []).append(anchor)
        self._by_name: dict[object, list[Certificate]] = {}
        self._known: set[bytes] = set(anchor_ders)
        for cert in pool:
            if cert.der in self._known:
                continue
            self._known.add(cert.der)
            self._add(cert)
        self._edges: dict[tuple[bytes, bytes], bool | None] = {}
        self._facts: dict[int, tuple[tuple[object, bytes], bytes | None, bytes | None, bool]] = {}

    def _add(self, cert: Certificate) -> None:
        try:
            key = self._name_keys(cert)[0]
        except Exception:  # an intermediate whose name cannot be read cannot be an issuer
            return
        self._by_name.setdefault(key, []).append(cert)

    def candidates(self) -> Iterator[Candidate]:
        """Candidate paths, best first: good signatures everywhere, then (if none) any signatures.

        When it finds no path, :meth:`dead_ends` lists the certificates that had no issuer at all (for
        their caIssuers URLs); :meth:`add` offers fetched issuers, and a new call searches again.
        """
        for allow_bad in (False, True):
            given = self.paths_given
            for candidate in self._search([self.leaf], allow_bad=allow_bad):
                yield candidate
                if self.limit is not None:
                    return
            if self.paths_given > given or self.limit is not None:
                return

    def dead_ends(self) -> list[Certificate]:
        """Certificates met without any issuer candidate whose issuers were not fetched yet (once each)."""
        wanted, self._wanted = list(self._wanted.values()), {}
        fresh = [cert for cert in wanted if cert.der not in self._fetched]
        self._fetched.update(cert.der for cert in fresh)
        return fresh

    def add(self, issuers: Sequence[Certificate]) -> bool:
        """Offer fetched issuer certificates; whether any was new."""
        arrived = False
        for issuer in issuers:
            if issuer.der not in self._known:
                self._known.add(issuer.der)
                self._add(issuer)
                arrived = True
        return arrived

    def _search(self, chain: list[Certificate], *, allow_bad: bool) -> Iterator[Candidate]:
        if len(chain) > len(self.deepest):
            self.deepest = tuple(chain)
        current = chain[-1]
        try:
            issuer_key = self._name_keys(current)[1]
        except Exception:  # an issuer name that cannot be read: no issuer can be found
            return
        anchors = self._anchors_by_name.get(issuer_key, [])
        intermediates = self._by_name.get(issuer_key, [])
        if not anchors and not intermediates:
            if self._fetching and current.der not in self._fetched:
                self._wanted.setdefault(current.der, current)
            return
        ranked = sorted(
            [(cand.certificate, cand) for cand in anchors] + [(cert, None) for cert in intermediates],
            key=lambda item: self._rank(current, item[0], is_anchor=item[1] is not None),
        )
        in_chain = {self._fact(cert)[0] for cert in chain}
        for cert, anchor in ranked:
            self.candidates_seen += 1
            if self.candidates_seen > self.budget.max_candidates:
                self.limit = f"more than {self.budget.max_candidates} issuer candidates"
                return
            if anchor is None and self._fact(cert)[0] in in_chain:
                continue  # a cycle, or the same key under the same name again
            verdict = self._edge(cert, current)
            if self.limit is not None:
                return
            if verdict is False and not allow_bad:
                continue
            if anchor is not None:
                self.paths_given += 1
                yield Candidate(anchor, tuple(reversed(chain)))
                if self.paths_given >= self.budget.max_paths:
                    self.limit = f"more than {self.budget.max_paths} candidate paths"
                    return
                continue
            if len(chain) > self.budget.max_depth:
                self.pruned = f"more than {self.budget.max_depth} intermediates"
                continue
            for candidate in self._search([*chain, cert], allow_bad=allow_bad):
                yield candidate
                if self.limit is not None:
                    return
            if self.limit is not None:
                return

    def _edge(self, issuer: Certificate, subject: Certificate) -> bool | None:
        pair = (issuer.der, subject.der)
        if pair in self._edges:
            return self._edges[pair]
        self.signature_checks += 1
        if self.signature_checks > self.budget.max_signature_checks:
            self.limit = f"more than {self.budget.max_signature_checks} signature checks"
            return None
        try:
            verdict = self._verify(issuer, subject)
        except Exception:  # anything odd: let RFC 5280 validation decide (and name the defect)
            verdict = None
        self._edges[pair] = verdict
        return verdict

    def _name_keys(self, cert: Certificate) -> tuple[object, object]:
        """(subject, issuer) in asn1crypto's normalised, hashable form, computed once per certificate."""
        found = self._names.get(id(cert))
        if found is None:
            found = self._names[id(cert)] = name_keys(cert)
        return found

    def _fact(self, cert: Certificate) -> tuple[tuple[object, bytes], bytes | None, bytes | None, bool]:
        """(identity, authority key id, subject key id, valid at ``at``), read once per certificate."""
        found = self._facts.get(id(cert))
        if found is None:
            asn1: Any = cert.asn1
            identity = (self._name_keys(cert)[0], asn1.public_key.dump())
            try:
                aki, ski = asn1.authority_key_identifier, asn1.key_identifier
            except Exception:  # unreadable identifiers rank last but stay candidates
                aki = ski = None
            try:
                current = cert.not_before <= self.at <= cert.not_after
            except Exception:  # a validity that cannot be read ranks last
                current = False
            found = self._facts[id(cert)] = (identity, aki, ski, current)
        return found

    def _rank(self, subject: Certificate, candidate: Certificate, *, is_anchor: bool) -> tuple[int, int, int]:
        aki = self._fact(subject)[1]
        _, _, ski, current = self._fact(candidate)
        key_match = 1 if not aki or not ski else (0 if aki == ski else 2)
        return key_match, 0 if is_anchor else 1, 0 if current else 1


def name_keys(cert: Certificate) -> tuple[object, object]:
    """(subject, issuer) of ``cert`` in asn1crypto's normalised, hashable form (RFC 5280 7.1)."""
    subject, issuer = _raw_names(cert)
    return name_key(subject), name_key(issuer)


def _raw_names(cert: Certificate) -> tuple[bytes, bytes]:
    """The DER of the subject and issuer names (cryptography's view when it has one: much cheaper)."""
    parsed = cert._x509
    if parsed is not None:
        return parsed.subject.public_bytes(), parsed.issuer.public_bytes()
    asn1: Any = cert.asn1
    return asn1.subject.dump(), asn1.issuer.dump()


@functools.lru_cache(maxsize=4096)
def name_key(der: bytes) -> object:
    """asn1crypto's normalised form of a DER name (RFC 5280 7.1 comparison), computed once per name.

    A name RFC 4518 string preparation cannot prepare (unassigned or private-use code points, an
    emailAddress that is not IDNA) is keyed by its exact bytes: it equals only itself.
    """
    from asn1crypto import x509 as asn1_x509

    try:
        return asn1_x509.Name.load(der).hashable
    except Exception:  # not preparable: compare the bytes
        return ("der", der)
