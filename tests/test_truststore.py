"""TrustStore: entries, queries, diff, expiry report, and the on-disk form under concurrency and crashes."""

from __future__ import annotations

import datetime as dt
import json
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import attrs
import pytest

from caiso_pki import testing
from caiso_pki.certificate import Certificate
from caiso_pki.errors import CaisoPkiError, InvalidTimeError, TrustStoreCorruptError, TrustStoreError
from caiso_pki.truststore import MANIFEST_NAME, StoreDiff, TrustEntry, TrustStore

DAY = dt.timedelta(days=1)


@pytest.fixture(scope="module")
def pki() -> testing.DemoPki:
    return testing.DemoPki.create()


@pytest.fixture(scope="module")
def caiso_store(pki: testing.DemoPki) -> TrustStore:
    return (
        TrustStore()
        .add(pki.root.certificate, labels={"caiso"}, source="caiso.com")
        .add(pki.issuing_ca.certificate, labels={"caiso"})
        .add(pki.entrust_root.certificate, labels={"rig"})
        .add(pki.entrust_intermediate.certificate, labels={"rig"})
        .add(
            pki.retired_root.certificate,
            labels={"caiso", "legacy"},
            distrust_after=testing.CYBERTRUST_END_OF_LIFE,
            notes="Verizon Cybertrust root, end of life Nov 2024",
        )
    )


def _leaves(pki: testing.DemoPki, count: int, prefix: str) -> list[Certificate]:
    return [
        pki.issuing_ca.issue("server", f"{prefix}{i}.example.com", reuse_key=True).certificate
        for i in range(count)
    ]


# -- entries and queries --------------------------------------------------------------------------------


def test_roles_default_from_self_issued(caiso_store: TrustStore, pki: testing.DemoPki) -> None:
    assert caiso_store.anchors() == (
        pki.root.certificate,
        pki.entrust_root.certificate,
        pki.retired_root.certificate,
    )
    assert caiso_store.intermediates() == (pki.issuing_ca.certificate, pki.entrust_intermediate.certificate)
    assert len(caiso_store) == 5
    assert [entry.role for entry in caiso_store] == [
        "anchor",
        "intermediate",
        "anchor",
        "intermediate",
        "anchor",
    ]


def test_contains_accepts_certificate_entry_and_full_fingerprint(
    caiso_store: TrustStore, pki: testing.DemoPki
) -> None:
    root = pki.root.certificate
    assert root in caiso_store
    assert caiso_store.entries[0] in caiso_store
    assert root.fingerprint_sha256 in caiso_store
    assert root.fingerprint_sha256.upper() in caiso_store
    assert root.fingerprint_sha256[:10] not in caiso_store  # prefixes are for find(), not membership
    assert "not hex" not in caiso_store
    assert pki.retired_issuing_ca.certificate not in caiso_store


def test_find_by_fingerprint_prefix_subject_and_ski(caiso_store: TrustStore, pki: testing.DemoPki) -> None:
    issuing = pki.issuing_ca.certificate
    colon_prefix = ":".join(issuing.fingerprint_sha256[i : i + 2] for i in range(0, 12, 2)).upper()
    assert [e.certificate for e in caiso_store.find(fingerprint=colon_prefix)] == [issuing]
    assert [e.certificate for e in caiso_store.find(fingerprint="sha256:" + issuing.fingerprint_sha256)] == [
        issuing
    ]
    assert {e.certificate for e in caiso_store.find(subject="demo caiso")} == {pki.root.certificate, issuing}
    ski = issuing.subject_key_identifier
    assert ski is not None
    assert [e.certificate for e in caiso_store.find(ski=ski.upper())] == [issuing]
    assert caiso_store.find(subject="entrust", fingerprint=issuing.fingerprint_sha256[:8]) == ()
    with pytest.raises(TrustStoreError, match="needs"):
        caiso_store.find()
    with pytest.raises(TrustStoreError, match="SHA-256 hex"):
        caiso_store.find(fingerprint="zz")


def test_get_refuses_ambiguous_and_missing(caiso_store: TrustStore, pki: testing.DemoPki) -> None:
    assert caiso_store.get(caiso_store.entries[1].fingerprint[:12]) == caiso_store.entries[1]
    many = TrustStore.from_certificates(_leaves(pki, 17, "ambiguous-"))  # 17 > 16: two share a first digit
    first_digits = [entry.fingerprint[0] for entry in many]
    shared = next(d for d in first_digits if first_digits.count(d) > 1)
    with pytest.raises(TrustStoreError, match="give more digits"):
        many.get(shared)
    with pytest.raises(TrustStoreError, match="no entry"):
        caiso_store.get("0" * 64)


def test_add_remove_return_new_stores(caiso_store: TrustStore, pki: testing.DemoPki) -> None:
    extra = pki.retired_issuing_ca.certificate
    bigger = caiso_store.add(extra, labels=["Legacy"])
    assert len(caiso_store) == 5 and len(bigger) == 6
    assert bigger.entries[-1].labels == frozenset({"legacy"})
    with pytest.raises(TrustStoreError, match="already in the store"):
        bigger.add(extra)
    replaced = bigger.add(extra, labels={"other"}, replace=True)
    assert len(replaced) == 6 and replaced.get(extra.fingerprint_sha256).labels == {"other"}
    smaller = bigger.remove(extra.fingerprint_sha256[:20])
    assert smaller == caiso_store
    assert bigger.remove(extra) == smaller == bigger.remove(bigger.entries[-1])
    with pytest.raises(TrustStoreError, match="no entry"):
        smaller.remove(extra)


def test_entries_validate_their_fields(pki: testing.DemoPki) -> None:
    cert = pki.root.certificate
    with pytest.raises(TrustStoreError, match="role"):
        TrustEntry(certificate=cert, role="root")  # type: ignore[arg-type]
    with pytest.raises(TrustStoreError, match="label"):
        TrustEntry(certificate=cert, role="anchor", labels={"has space"})
    with pytest.raises(InvalidTimeError, match="naive"):
        TrustEntry(certificate=cert, role="anchor", distrust_after=dt.datetime(2024, 11, 1))
    with pytest.raises(TrustStoreError, match="TrustEntry"):
        TrustStore(entries=[cert])  # type: ignore[list-item]


def test_filter_by_label_role_and_predicate(caiso_store: TrustStore, pki: testing.DemoPki) -> None:
    assert caiso_store.filter(label="rig").certificates() == (
        pki.entrust_root.certificate,
        pki.entrust_intermediate.certificate,
    )
    assert len(caiso_store.filter(labels=["rig", "legacy"])) == 3
    assert caiso_store.filter(label="caiso", role="anchor").certificates() == (
        pki.root.certificate,
        pki.retired_root.certificate,
    )
    assert len(caiso_store.filter(predicate=lambda e: e.distrust_after is not None)) == 1
    assert len(caiso_store.filter(label="ecn")) == 0
    assert caiso_store.labels() == {"caiso", "rig", "legacy"}


def test_trusted_drops_retired_entries(caiso_store: TrustStore, pki: testing.DemoPki) -> None:
    before_eol = testing.CYBERTRUST_END_OF_LIFE - DAY
    assert pki.retired_root.certificate in caiso_store.trusted(at=before_eol)
    assert pki.retired_root.certificate not in caiso_store.trusted(at=pki.now)
    assert pki.retired_root.certificate in caiso_store.trusted(at=pki.now, include_retired=True)
    entry = caiso_store.get(pki.retired_root.certificate.fingerprint_sha256)
    assert entry.trusts_issued_at(testing.CYBERTRUST_END_OF_LIFE)
    assert not entry.trusts_issued_at(testing.CYBERTRUST_END_OF_LIFE + dt.timedelta(seconds=1))


def test_dedupe_merges_conservatively(pki: testing.DemoPki) -> None:
    cert = pki.root.certificate
    early, late = dt.datetime(2020, 1, 1, tzinfo=dt.UTC), dt.datetime(2025, 1, 1, tzinfo=dt.UTC)
    store = TrustStore(
        entries=[
            TrustEntry(certificate=cert, role="intermediate", labels={"caiso"}, added=late, notes="a"),
            TrustEntry(certificate=pki.entrust_root.certificate, role="anchor"),
            TrustEntry(
                certificate=cert, role="anchor", labels={"rig"}, added=early, distrust_after=late, notes="b"
            ),
            TrustEntry(certificate=cert, role="anchor", distrust_after=early, notes="a"),
        ]
    )
    merged = store.dedupe()
    assert len(store) == 4 and len(merged) == 2
    entry = merged.entries[0]
    assert (entry.role, entry.labels, entry.added, entry.distrust_after, entry.notes) == (
        "anchor",
        {"caiso", "rig"},
        early,
        early,
        "a; b",
    )
    assert store.merge(merged) == merged


def test_diff_reports_added_removed_changed(caiso_store: TrustStore, pki: testing.DemoPki) -> None:
    assert caiso_store.diff(caiso_store) == StoreDiff()
    assert not caiso_store.diff(caiso_store)
    issuing = pki.issuing_ca.certificate.fingerprint_sha256
    other = (
        caiso_store.remove(pki.entrust_root.certificate)
        .add(pki.retired_issuing_ca.certificate)
        .update_entry(issuing, labels={"caiso", "ecn"}, notes="also ECN")
    )
    diff = caiso_store.diff(other)
    assert [e.certificate for e in diff.added] == [pki.retired_issuing_ca.certificate]
    assert [e.certificate for e in diff.removed] == [pki.entrust_root.certificate]
    assert [(b.fingerprint, a.labels) for b, a in diff.changed] == [(issuing, {"caiso", "ecn"})]
    changed = diff.to_dict()["changed"][0]
    assert changed["labels"] == {"before": ["caiso"], "after": ["caiso", "ecn"]}
    assert changed["notes"] == {"before": "", "after": "also ECN"}
    assert "role" not in changed
    reverse = other.diff(caiso_store)
    assert (len(reverse.added), len(reverse.removed), len(reverse.changed)) == (1, 1, 1)


def test_expiring_lists_exactly_the_entries_set_up(pki: testing.DemoPki) -> None:
    now = pki.now
    soon = pki.root.issue_intermediate("Soon CA", key_spec="ec-p256", not_after=now + 30 * DAY)
    edge = pki.root.issue_intermediate("Edge CA", key_spec="ec-p256", not_after=now + 90 * DAY)
    later = pki.root.issue_intermediate("Later CA", key_spec="ec-p256", not_after=now + 91 * DAY)
    gone = pki.root.issue_intermediate(
        "Gone CA", key_spec="ec-p256", not_before=now - 400 * DAY, not_after=now - 2 * DAY
    )
    store = (
        TrustStore()
        .add(pki.root.certificate)
        .add(soon.certificate)
        .add(edge.certificate)
        .add(later.certificate)
        .add(gone.certificate)
        .add(pki.retired_root.certificate, distrust_after=testing.CYBERTRUST_END_OF_LIFE)
        .add(pki.entrust_root.certificate, distrust_after=now + 10 * DAY)  # retires later: not yet
    )
    report = store.expiring(at=now)
    assert [(f.entry.certificate, f.reason) for f in report] == [
        (pki.retired_root.certificate, "retired"),
        (gone.certificate, "expired"),
        (soon.certificate, "expiring"),
        (edge.certificate, "expiring"),
    ]
    assert [f.days for f in report][1:] == [-2, 30, 90]
    assert report[0].when == testing.CYBERTRUST_END_OF_LIFE
    assert {f.entry.certificate for f in store.expiring(dt.timedelta(days=365), at=now)} >= {
        later.certificate
    }
    assert [f.reason for f in store.expiring(dt.timedelta(0), at=now)] == ["retired", "expired"]
    assert report[2].to_dict()["reason"] == "expiring"


# -- on disk --------------------------------------------------------------------------------------------


def test_init_save_open_round_trip(tmp_path: Path, caiso_store: TrustStore) -> None:
    directory = tmp_path / "store"
    empty = TrustStore.init(directory)
    assert len(empty) == 0 and empty.directory == directory
    with pytest.raises(TrustStoreError, match="already holds"):
        TrustStore.init(directory)
    saved = caiso_store.save(directory)
    loaded = TrustStore.open(directory)
    assert loaded == saved == caiso_store
    assert loaded.directory == directory
    pems = sorted(p.name for p in directory.glob("*.pem"))
    assert pems == sorted(f"{e.fingerprint}.pem" for e in caiso_store)
    manifest = json.loads((directory / MANIFEST_NAME).read_text())
    assert manifest["format"] == "caiso-pki-truststore" and manifest["version"] == 1
    assert manifest["entries"][4]["distrust_after"] == "2024-11-01T00:00:00Z"
    # saving a smaller store removes the orphaned PEM files
    loaded.remove(loaded.entries[0]).save()
    assert len(list(directory.glob("*.pem"))) == 4
    assert len(TrustStore.open(directory)) == 4


def test_open_refuses_missing_store(tmp_path: Path) -> None:
    with pytest.raises(TrustStoreError, match="directory missing") as missing:
        TrustStore.open(tmp_path / "nope")
    assert not isinstance(missing.value, TrustStoreCorruptError)
    with pytest.raises(TrustStoreError, match="not a trust store"):
        TrustStore.open(tmp_path)
    with pytest.raises(TrustStoreError, match="in memory"):
        TrustStore().save()


def _corrupt_manifest(directory: Path, change: str, store: TrustStore) -> None:
    path = directory / MANIFEST_NAME
    doc = json.loads(path.read_text())
    first = doc["entries"][0]
    fp = first["fingerprint_sha256"]
    if change == "bad-json":
        path.write_text(path.read_text()[:-20])
        return
    if change == "missing-pem":
        (directory / f"{fp}.pem").unlink()
    elif change == "fingerprint-mismatch":
        (directory / f"{fp}.pem").write_text(store.entries[1].certificate.pem)
    elif change == "garbage-pem":
        (directory / f"{fp}.pem").write_text("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n")
    elif change == "bad-date":
        first["added"] = "yesterday"
    elif change == "naive-date":
        first["distrust_after"] = "2024-11-01T00:00:00"
    elif change == "unknown-field":
        first["trusted"] = True
    elif change == "unknown-top-field":
        doc["extra"] = 1
    elif change == "bad-role":
        first["role"] = "root"
    elif change == "bad-label":
        first["labels"] = ["ok", "not ok"]
    elif change == "path-traversal":
        first["file"] = "../evil.pem"
    elif change == "duplicate":
        doc["entries"].append(first)
    elif change == "entries-not-list":
        doc["entries"] = {}
    elif change == "wrong-format":
        doc["format"] = "something-else"
    path.write_text(json.dumps(doc))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("bad-json", "invalid JSON at line"),
        ("missing-pem", "missing certificate file for entry 0"),
        ("fingerprint-mismatch", "fingerprint mismatch for entry 0"),
        ("garbage-pem", "unreadable certificate file for entry 0"),
        ("bad-date", r"entry 0 \(\w+\): added 'yesterday'"),
        ("naive-date", "distrust_after '2024-11-01T00:00:00' is not an aware"),
        ("unknown-field", r"entry 0 \(\w+\): unknown field\(s\) \['trusted'\]"),
        ("unknown-top-field", r"unknown top-level field\(s\) \['extra'\]"),
        ("bad-role", "role 'root'"),
        ("bad-label", "label 'not ok'"),
        ("path-traversal", "file '../evil.pem' must be"),
        ("duplicate", "listed twice"),
        ("entries-not-list", "'entries' must be a list"),
        ("wrong-format", "format is 'something-else'"),
    ],
)
def test_corrupt_manifest_is_an_error_naming_the_entry(
    tmp_path: Path, caiso_store: TrustStore, change: str, message: str
) -> None:
    directory = tmp_path / "store"
    TrustStore.init(directory)
    caiso_store.save(directory)
    _corrupt_manifest(directory, change, caiso_store)
    with pytest.raises(TrustStoreCorruptError, match=message) as info:
        TrustStore.open(directory)
    assert str(directory) in str(info.value)
    with pytest.raises(TrustStoreCorruptError), TrustStore.edit(directory):
        pass


def test_newer_manifest_version_is_refused_not_corrupt(tmp_path: Path) -> None:
    TrustStore.init(tmp_path)
    path = tmp_path / MANIFEST_NAME
    doc = json.loads(path.read_text())
    doc["version"] = 99
    path.write_text(json.dumps(doc))
    with pytest.raises(TrustStoreError, match="newer") as info:
        TrustStore.open(tmp_path)
    assert not isinstance(info.value, TrustStoreCorruptError)


def test_edit_writes_on_success_and_nothing_on_error(tmp_path: Path, pki: testing.DemoPki) -> None:
    TrustStore.init(tmp_path)
    with TrustStore.edit(tmp_path) as editor:
        entry = editor.add(pki.root.certificate, labels={"caiso"})
    assert entry.certificate == pki.root.certificate
    assert TrustStore.open(tmp_path).certificates() == (pki.root.certificate,)
    manifest_before = (tmp_path / MANIFEST_NAME).read_bytes()

    class Boom(Exception):
        pass

    def failing_edit() -> None:
        with TrustStore.edit(tmp_path) as editor:
            editor.add(pki.entrust_root.certificate)
            raise Boom

    with pytest.raises(Boom):
        failing_edit()
    assert (tmp_path / MANIFEST_NAME).read_bytes() == manifest_before
    result = TrustStore.update(tmp_path, lambda s: s.add(pki.entrust_root.certificate, labels={"rig"}))
    assert TrustStore.open(tmp_path) == result
    assert len(result) == 2


def test_errors_are_caiso_pki_errors(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(CaisoPkiError):
        TrustStore.init(tmp_path / "file" / "sub")


_ADDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from caiso_pki.certificate import load_certificate
    from caiso_pki.truststore import TrustStore

    store_dir, cert_dir, go = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3])
    certs = [load_certificate(p) for p in sorted(cert_dir.glob("*.pem"))]
    while not go.exists():
        pass
    for cert in certs:
        with TrustStore.edit(store_dir) as editor:
            editor.add(cert, role="anchor", labels={"caiso"}, source=str(cert_dir))  # pinned leaves
    """
)


def test_two_processes_adding_concurrently_both_land(tmp_path: Path, pki: testing.DemoPki) -> None:
    store_dir = tmp_path / "store"
    TrustStore.init(store_dir)
    go = tmp_path / "go"
    workers = []
    for name in ("a", "b"):
        cert_dir = tmp_path / name
        cert_dir.mkdir()
        for index, cert in enumerate(_leaves(pki, 100, f"{name}-")):
            (cert_dir / f"{index:03d}.pem").write_text(cert.pem)
        workers.append(
            subprocess.Popen([sys.executable, "-c", _ADDER, str(store_dir), str(cert_dir), str(go)])
        )
    go.touch()
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0]
    final = TrustStore.open(store_dir)
    assert len(final) == 200
    assert {e.source for e in final} == {str(tmp_path / "a"), str(tmp_path / "b")}
    assert len(list(store_dir.glob("*.pem"))) == 200
    assert not list(store_dir.glob(".*.tmp"))
    doc = json.loads((store_dir / MANIFEST_NAME).read_text())
    assert len(doc["entries"]) == 200


_SAVER = textwrap.dedent(
    """
    import sys
    from caiso_pki.certificate import load_certificates
    from caiso_pki.truststore import TrustStore

    store_dir, bundle_a, bundle_b = sys.argv[1:]
    stores = [TrustStore.from_certificates(load_certificates(b)) for b in (bundle_a, bundle_b)]
    stores[0].save(store_dir, overwrite=True)
    print("ready", flush=True)
    i = 0
    while True:
        stores[i % 2].save(store_dir, overwrite=True)
        i += 1
    """
)


def test_write_killed_midway_leaves_a_readable_store(tmp_path: Path, pki: testing.DemoPki) -> None:
    store_dir = tmp_path / "store"
    TrustStore.init(store_dir)
    certs_a, certs_b = _leaves(pki, 30, "kill-a-"), _leaves(pki, 30, "kill-b-")
    bundle_a, bundle_b = tmp_path / "a.pem", tmp_path / "b.pem"
    bundle_a.write_text("".join(c.pem for c in certs_a))
    bundle_b.write_text("".join(c.pem for c in [*certs_a[:10], *certs_b]))
    expected = {frozenset(certs_a), frozenset([*certs_a[:10], *certs_b])}
    rng = random.Random(4)
    seen = set()
    for _ in range(12):
        child = subprocess.Popen(
            [sys.executable, "-c", _SAVER, str(store_dir), str(bundle_a), str(bundle_b)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        # random delay inside the save loop (each save rewrites up to 30 PEMs, then the manifest)
        time.sleep(rng.uniform(0.0, 0.2))
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
        child.stdout.close()
        store = TrustStore.open(store_dir)
        certificates = frozenset(store.certificates())
        assert certificates in expected
        seen.add(certificates)
    # the store is still writable after the kills (the lock died with the process)
    TrustStore.update(store_dir, lambda s: s.add(pki.root.certificate, replace=True))
    assert pki.root.certificate in TrustStore.open(store_dir)
    assert not list(store_dir.glob(".*.tmp"))


def test_entry_to_dict_is_json_ready(caiso_store: TrustStore) -> None:
    data = [entry.to_dict() for entry in caiso_store]
    assert json.loads(json.dumps(data)) == data
    assert attrs.asdict(caiso_store.entries[0], recurse=False)["labels"] == {"caiso"}
