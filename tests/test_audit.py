"""audit_paths on a folder of 1,000 demo certificates: the totals must match what was planted."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import attrs
import pytest

from caiso_pki import testing
from caiso_pki._revocation_server import RevocationServer
from caiso_pki.audit import (
    AuditReport,
    audit_paths,
    render_audit_csv,
    render_audit_html,
    render_audit_json,
    render_audit_text,
)
from caiso_pki.errors import MalformedInputError, ProfileError
from caiso_pki.truststore import TrustStore
from caiso_pki.validation import FleetCache

TOTAL = 1000
# name -> how many certificates of that kind the folder holds (the issuing CA itself is one more)
PLANTED: dict[str, int] = {
    "revoked": 15,
    "expired": 12,
    "not-yet-valid": 8,
    "wrong-issuer": 6,
    "retired-after-eol": 5,
    "retired-before-eol": 4,
    "entrust": 20,
    "expiring-30": 7,
    "expiring-60": 6,
    "expiring-90": 5,
    "long-validity": 3,
}
PLANTED["good"] = TOTAL - 1 - sum(PLANTED.values())
INVALID = {"revoked": "revoked", "expired": "expired", "not-yet-valid": "not-yet-valid"} | {
    "wrong-issuer": "bad-signature",
    "retired-after-eol": "distrusted-anchor",
}


@attrs.frozen
class Planted:
    pki: testing.DemoPki
    folder: Path
    store_dir: Path
    crl_files: tuple[Path, ...]
    at: dt.datetime


def plant(root: Path) -> Planted:
    """Write 999 leaves and the issuing CA under ``root/certs`` (nested folders), plus a trust store."""
    pki = testing.DemoPki.create()
    now = pki.now
    ca, entrust, retired = pki.issuing_ca, pki.entrust_intermediate, pki.retired_issuing_ca
    folder = root / "certs"
    certificates: list[tuple[str, Any]] = [("issuing-ca", ca.certificate)]

    def issue(kind: str, authority: testing.CertificateAuthority = ca, **options: Any) -> None:
        number = sum(1 for name, _ in certificates if name == kind)
        issued = authority.issue("rig", f"{kind}-{number:04d}.example.com", reuse_key=True, **options)
        certificates.append((kind, issued.certificate))

    for _ in range(PLANTED["good"]):
        issue("good")
    for _ in range(PLANTED["revoked"]):
        issue("revoked")
        ca.revoke(certificates[-1][1])
    for _ in range(PLANTED["expired"]):
        issue("expired", not_before=now - dt.timedelta(days=400))
    for _ in range(PLANTED["not-yet-valid"]):
        issue("not-yet-valid", not_before=now + dt.timedelta(days=10))
    for _ in range(PLANTED["wrong-issuer"]):
        issue("wrong-issuer", signing_key=pki.root.key)
    for _ in range(PLANTED["retired-after-eol"]):
        issue("retired-after-eol", retired)
    for _ in range(PLANTED["retired-before-eol"]):
        start = testing.CYBERTRUST_END_OF_LIFE - dt.timedelta(days=90)
        issue("retired-before-eol", retired, not_before=start, not_after=now + dt.timedelta(days=200))
    for _ in range(PLANTED["entrust"]):
        issue("entrust", entrust)
    for kind, days in (("expiring-30", 20), ("expiring-60", 45), ("expiring-90", 80)):
        for _ in range(PLANTED[kind]):
            issue(kind, not_after=now + dt.timedelta(days=days))
    for _ in range(PLANTED["long-validity"]):
        issue("long-validity", validity=dt.timedelta(days=900))
    assert len(certificates) == TOTAL
    for index, (kind, cert) in enumerate(certificates):
        target = folder / kind / f"{index // 100:02d}" / f"{index:04d}.pem"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(cert.pem)
    (folder / "README.txt").write_text("not a certificate\n")
    (folder / "good" / "key.pem").write_bytes(b"\x00\x01 not DER either")
    store = TrustStore.from_certificates(
        [pki.root.certificate, pki.entrust_root.certificate], labels={"caiso"}
    )
    store = store.add(retired.root, labels={"retired"}, distrust_after=testing.CYBERTRUST_END_OF_LIFE)
    store = store.add(entrust.certificate, role="intermediate").add(retired.certificate, role="intermediate")
    store_dir = root / "store"
    TrustStore.init(store_dir)
    store.save(store_dir)
    crl_files = []
    for authority in (pki.root, ca, pki.entrust_root, entrust, pki.retired_root, retired):
        path = root / f"{authority.slug}.crl"
        path.write_bytes(authority.crl())
        crl_files.append(path)
    return Planted(pki, folder, store_dir, tuple(crl_files), now + dt.timedelta(minutes=5))


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Planted:
    return plant(tmp_path_factory.mktemp("audit"))


@pytest.fixture(scope="module")
def report(planted: Planted) -> AuditReport:
    seen: list[tuple[int, int]] = []
    result = audit_paths(
        [planted.folder],
        trust=TrustStore.open(planted.store_dir),
        profile="caiso-demo",
        at=planted.at,
        revocation="hard-fail",
        crls=[path.read_bytes() for path in planted.crl_files],
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen[-1] == (TOTAL, TOTAL)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    return result


def _kind(entry: Any) -> str:
    return Path(entry.path).parts[-3]


def test_totals_match_what_was_planted(report: AuditReport) -> None:
    invalid = sum(PLANTED[kind] for kind in INVALID)
    assert report.totals == {"total": TOTAL, "valid": TOTAL - invalid, "invalid": invalid}
    assert report.by_code == {code: PLANTED[kind] for kind, code in INVALID.items()}
    assert report.files == TOTAL + 2
    assert sorted(Path(skip.path).name for skip in report.skipped) == ["README.txt", "key.pem"]
    for entry in report.entries:
        kind = _kind(entry)
        assert entry.result.codes == ((INVALID[kind],) if kind in INVALID else ()), (entry.path, entry.result)


def test_expiry_windows(report: AuditReport) -> None:
    planted_30 = PLANTED["expiring-30"]
    planted_60 = planted_30 + PLANTED["expiring-60"]
    planted_90 = planted_60 + PLANTED["expiring-90"]
    assert report.expiry_windows == {30: planted_30, 60: planted_60, 90: planted_90}
    assert {_kind(entry) for entry in report.expiring(30)} == {"expiring-30"}
    assert len(report.expired) == PLANTED["expired"]
    soonest = report.expiring(90)
    assert [e.certificate.not_after for e in soonest] == sorted(e.certificate.not_after for e in soonest)


def test_lint_with_the_profile(report: AuditReport) -> None:
    assert report.profile == "caiso-demo"
    long_lived = {
        entry.path for entry in report.entries if "CPS-VALIDITY-MAX" in {f.code for f in entry.findings}
    }
    # The retired-hierarchy leaves issued before its end of life span more than 825 days too.
    assert {Path(path).parts[-3] for path in long_lived} == {"long-validity", "retired-before-eol"}
    assert report.lint_by_code["CPS-VALIDITY-MAX"] == PLANTED["long-validity"] + PLANTED["retired-before-eol"]
    good = [entry for entry in report.entries if _kind(entry) == "good"]
    assert all(entry.findings == () and entry.lint_error is None for entry in good)
    assert not report.clean


def test_renderers(report: AuditReport) -> None:
    text = render_audit_text(report)
    assert f"{TOTAL} certificates" in text
    assert "revoked" in text and "expiring within 30 days: 7" in text
    data = json.loads(render_audit_json(report))
    assert data["totals"] == report.totals
    assert data["expiring"] == {"30": 7, "60": 13, "90": 18}
    assert len(data["entries"]) == TOTAL
    rows = list(csv.DictReader(io.StringIO(render_audit_csv(report))))
    assert len(rows) == TOTAL
    assert sum(row["outcome"] == "invalid" for row in rows) == report.totals["invalid"]
    assert {row["codes"] for row in rows if row["path"].split("/")[-3] == "revoked"} == {"revoked"}
    page = render_audit_html(report)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "http://" not in page and "https://" not in page

    class Cells(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.rows = 0

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.rows += tag == "tr"

    parser = Cells()
    parser.feed(page)
    assert parser.rows > TOTAL  # every certificate has its row


def test_html_escapes_hostile_names(planted: Planted, tmp_path: Path) -> None:
    issued = planted.pki.issuing_ca.issue("rig", "<script>alert(1)</script>", dns_names=["x.example.com"])
    (tmp_path / "evil.pem").write_text(issued.certificate.pem)
    page = render_audit_html(audit_paths([tmp_path], trust=TrustStore.open(planted.store_dir), at=planted.at))
    assert "<script>" not in page
    assert "&lt;script" in page


def test_cache_shared_and_templates_used(planted: Planted) -> None:
    cache = FleetCache()
    report = audit_paths(
        [planted.folder / "good"],
        trust=TrustStore.open(planted.store_dir),
        at=planted.at,
        intermediates=[planted.pki.issuing_ca.certificate],
        cache=cache,
    )
    assert report.totals == {"total": PLANTED["good"], "valid": PLANTED["good"], "invalid": 0}
    assert all(len(entry.result.warnings) == 2 for entry in report.entries)  # soft-fail, no CRLs given
    assert cache.stats.fast >= PLANTED["good"] - 5, cache.stats


def test_bad_input(planted: Planted, tmp_path: Path) -> None:
    store = TrustStore.open(planted.store_dir)
    with pytest.raises(MalformedInputError):
        audit_paths([], trust=store)
    with pytest.raises(ProfileError):
        audit_paths([planted.folder / "good" / "00"], trust=store, profile="no-such-profile")
    with pytest.raises(MalformedInputError, match="nowhere: no such file or directory"):
        audit_paths([tmp_path / "nowhere"], trust=store)  # issue 13 defect 5: a named path must exist


def test_html_includes_the_expiry_timeline_when_matplotlib_is_installed(report: AuditReport) -> None:
    pytest.importorskip("matplotlib", reason="the timeline needs the plot extra (matplotlib)")
    page = render_audit_html(report)
    assert 'class="timeline"' in page
    assert "data:image/svg+xml;base64," in page


def test_fetch_finds_revocation_through_the_fetched_crl(tmp_path: Path) -> None:
    """``audit_paths(fetch=True)`` downloads the CRL a certificate names (OCSP answers nothing here)."""
    with RevocationServer() as server:
        pki = testing.DemoPki.create(base_url=server.base_url)
        server.serve(pki)
        server.override("/ocsp", b"", status=503)
        revoked = pki.issuing_ca.issue("api-client", "api-revoked")
        pki.issuing_ca.revoke(revoked)
        (tmp_path / "revoked.pem").write_text(revoked.certificate.pem)
        store = pki.trust_store().filter(label="caiso")
        report = audit_paths(tmp_path, trust=store, revocation="require", fetch=True, timeout=5.0)
        offline = audit_paths(tmp_path, trust=store, revocation="soft-fail")
    (entry,) = report.entries
    assert entry.result.codes == ("revoked",)
    (status,) = [status for status in entry.result.revocation if status.status == "revoked"]
    assert status.source == "crl"
    assert status.url == pki.issuing_ca.crl_url
    (unchecked,) = offline.entries  # without fetch nothing is downloaded: soft-fail lets it pass
    assert "revoked" not in unchecked.result.codes


@pytest.mark.parametrize(
    ("fetch", "timeout"), [("yes", 5.0), (1, 5.0), (True, 0), (True, -1.0), (True, None)]
)
def test_fetch_options_are_checked(tmp_path: Path, fetch: object, timeout: object) -> None:
    pki = testing.DemoPki.create()
    (tmp_path / "leaf.pem").write_text(pki.issuing_ca.issue("rig", "rig-0009.example.com").certificate.pem)
    with pytest.raises(MalformedInputError, match=r"^(fetch|timeout): "):
        audit_paths(tmp_path, trust=[pki.root.certificate], fetch=fetch, timeout=timeout)  # type: ignore[arg-type]
