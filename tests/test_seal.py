"""One fingerprint covers everything a person reads, and verify never says more than it knows.

The forger here is a hostile seller with the bundle in hand: he edits the report, then
recomputes whatever hashes the bundle carries, then even buys a timestamp of his own.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from capture.cli import main
from capture.verify import verify

from .bundles import make_bundle
from .test_verify import checks, edit_manifest, rewrite_sums
from .tsa import local_tsa, make_material, make_query, make_reply, tsa_material  # noqa: F401

FORGED = "<html><body>卖家承认欺诈 the seller admitted fraud</body></html>\n".encode()


@pytest.fixture
def sealed(tmp_path) -> tuple[Path, str]:
    root = make_bundle(tmp_path / "bundle", n_captures=2)
    return root, hashlib.sha256((root / "manifest.json").read_bytes()).hexdigest()


def _forge_report_everywhere(root: Path) -> str:
    """Edit the report, then recompute its hash in the manifest and SHA256SUMS."""
    (root / "report.html").write_bytes(FORGED)

    def rehash(manifest):
        for artifact in manifest["artifacts"]:
            if artifact["path"] == "report.html":
                artifact.update(sha256=hashlib.sha256(FORGED).hexdigest(), bytes=len(FORGED))

    edit_manifest(root, rehash)
    rewrite_sums(root)
    return hashlib.sha256((root / "manifest.json").read_bytes()).hexdigest()


def test_the_report_is_listed_in_the_manifest_it_is_sealed_with(sealed):
    root, _ = sealed
    manifest = json.loads((root / "manifest.json").read_text())
    [report] = [a for a in manifest["artifacts"] if a["role"] == "report"]
    assert report["sha256"] == hashlib.sha256((root / "report.html").read_bytes()).hexdigest()
    assert verify(root).report_sealed is True


def test_forged_report_with_recomputed_sums_is_altered(sealed):
    root, fingerprint = sealed
    (root / "report.html").write_bytes(FORGED)
    rewrite_sums(root)  # the hole of the first landing: only SHA256SUMS covered the report
    report = verify(root, expect=fingerprint)
    assert report.verdict == "ALTERED" and report.exit_code == 1
    assert checks(report, "altered")["report.html"].startswith("content differs from the SHA-256 in manifest.json")


def test_forged_report_with_recomputed_manifest_is_caught_by_the_quoted_fingerprint(sealed):
    root, fingerprint = sealed
    new_fingerprint = _forge_report_everywhere(root)
    alone = verify(root)
    # Consistent among themselves: without the quoted number nothing can tell...
    assert alone.verdict == "INTACT" and alone.fingerprint == new_fingerprint
    # ...which is why the quoted one decides.
    quoted = verify(root, expect=fingerprint)
    assert quoted.verdict == "ALTERED" and quoted.exit_code == 1 and quoted.fingerprint_matches is False
    assert any(fingerprint in p and new_fingerprint in p for p in quoted.problems)


def test_expect_accepts_the_quoted_fingerprint_as_a_person_pastes_it(sealed):
    root, fingerprint = sealed
    report = verify(root, expect=f"  {fingerprint.upper()}\n")
    assert report.verdict == "INTACT" and report.fingerprint_matches is True
    assert report.expected_fingerprint == fingerprint


@pytest.mark.parametrize("quoted", ["abc", "z" * 64, ""])
def test_expect_that_is_no_fingerprint_is_a_usage_error(sealed, quoted):
    root, _ = sealed
    result = CliRunner().invoke(main, ["verify", str(root), "--expect", quoted])
    assert result.exit_code == 2
    assert "64 hexadecimal characters" in result.output and "Traceback" not in result.output


def test_verify_text_says_what_intact_proves_without_a_timestamp(sealed):
    root, fingerprint = sealed
    result = CliRunner().invoke(main, ["verify", str(root)])
    assert result.exit_code == 0
    assert "Without a trusted timestamp this proves only that the files match this bundle's own manifest" in result.output
    assert "--expect FINGERPRINT" in result.output
    quoted = CliRunner().invoke(main, ["verify", str(root), "--expect", fingerprint])
    assert quoted.exit_code == 0
    assert "This is the bundle whose fingerprint was quoted" in quoted.output
    wrong = CliRunner().invoke(main, ["verify", str(root), "--expect", "0" * 64])
    assert wrong.exit_code == 1 and "ALTERED" in wrong.output and f"not the quoted {'0' * 64}" in wrong.output


def test_edited_transcript_rehashed_consistently_is_caught_only_with_the_quoted_fingerprint(sealed):
    root, fingerprint = sealed
    transcript = root / "captures" / "02-product" / "text.txt"
    transcript.write_bytes("订单号 A0002: 已收到卡密\n".encode())

    def rehash(manifest):
        for artifact in manifest["captures"][1]["artifacts"]:
            if artifact["path"].endswith("text.txt"):
                artifact.update(sha256=hashlib.sha256(transcript.read_bytes()).hexdigest(),
                                bytes=transcript.stat().st_size)

    edit_manifest(root, rehash)
    rewrite_sums(root)
    text = CliRunner().invoke(main, ["verify", str(root)]).output
    assert "INTACT" in text and "proves only" in text  # honest about what it cannot know
    assert verify(root, expect=fingerprint).verdict == "ALTERED"


# --- timestamps: bytes and time are separate verdicts ----------------------------------------


def _stamp_with(root: Path, material) -> None:
    manifest = (root / "manifest.json").read_bytes()
    (root / "manifest.json.tsr").write_bytes(make_reply(material, make_query(manifest)))
    rewrite_sums(root)


@pytest.fixture(scope="module")
def fake_digicert(tmp_path_factory):
    """A TSA anybody can make: a self-signed root and a TSA certificate named like DigiCert's."""
    return make_material(tmp_path_factory.mktemp("fake-tsa"), root_cn="DigiCert Trusted Root G4",
                         tsa_cn="DigiCert Timestamp 2025", org="DigiCert, Inc.")


def test_token_from_a_self_made_digicert_is_not_verified_and_its_name_only_a_claim(sealed, fake_digicert):
    root, fingerprint = sealed
    _stamp_with(root, fake_digicert)
    report = verify(root, expect=fingerprint)
    assert report.verdict == "INTACT" and not report.time_proven
    [token] = report.timestamps
    assert token.status == "not verified" and not token.chain_verified
    assert "DigiCert" in (token.authority or "")
    text = CliRunner().invoke(main, ["verify", str(root)]).output
    assert 'not verified: states 20' in text and 'claimed to be from "' in text
    assert "trusted:" not in text and "Without a trusted timestamp" in text


def test_forged_report_resealed_and_stamped_by_a_self_made_tsa_is_never_trusted(sealed, fake_digicert):
    root, fingerprint = sealed
    _forge_report_everywhere(root)
    _stamp_with(root, fake_digicert)
    alone = verify(root)
    assert alone.verdict == "INTACT" and [t.status for t in alone.timestamps] == ["not verified"]
    assert not alone.time_proven
    assert verify(root, expect=fingerprint).verdict == "ALTERED"
    # Even given the forger's own root as the CA, the quoted fingerprint still decides.
    with_ca = verify(root, tsa_cas=[fake_digicert.ca], expect=fingerprint)
    assert with_ca.verdict == "ALTERED"


def test_a_ca_that_does_not_chain_is_not_verified_and_never_altered(sealed, tsa_material):  # noqa: F811
    root, fingerprint = sealed
    _stamp_with(root, tsa_material)
    result = CliRunner().invoke(main, ["verify", str(root), "--tsa-ca", str(tsa_material.other_ca), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["verdict"] == "INTACT" and report["files"] == [] and report["problems"] == []
    assert [t["status"] for t in report["timestamps"]] == ["not verified"]


def test_a_token_whose_ca_is_given_is_trusted_and_shows_its_time(sealed, tsa_material):  # noqa: F811
    root, fingerprint = sealed
    _stamp_with(root, tsa_material)
    report = verify(root, tsa_cas=[tsa_material.ca], expect=fingerprint)
    assert report.verdict == "INTACT" and report.time_proven
    [token] = report.timestamps
    assert token.status == "trusted" and token.time
    text = CliRunner().invoke(main, ["verify", str(root), "--tsa-ca", str(tsa_material.ca)]).output
    assert f"trusted: {token.time}" in text
    assert f"existed unchanged at {token.time}" in text


def test_a_token_over_other_bytes_is_invalid_and_the_bundle_altered(sealed, tsa_material):  # noqa: F811
    root, _ = sealed
    (root / "manifest.json.tsr").write_bytes(make_reply(tsa_material, make_query(b"another manifest")))
    rewrite_sums(root)
    report = verify(root, tsa_cas=[tsa_material.ca])
    assert [t.status for t in report.timestamps] == ["invalid"]
    assert report.verdict == "ALTERED"


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl not installed")
def test_plain_openssl_checks_the_token_as_the_report_tells_a_mediator(sealed, tsa_material):  # noqa: F811
    root, _ = sealed
    _stamp_with(root, tsa_material)
    # The commands printed in the report, run as a mediator would.
    show = subprocess.run(["openssl", "ts", "-reply", "-in", "manifest.json.tsr", "-text"], cwd=root,
                          capture_output=True, text=True, timeout=60)
    assert show.returncode == 0 and "Time stamp:" in show.stdout
    check = subprocess.run(["openssl", "ts", "-verify", "-data", "manifest.json", "-in", "manifest.json.tsr",
                            "-CAfile", str(tsa_material.ca)], cwd=root, capture_output=True, text=True, timeout=60)
    assert "Verification: OK" in check.stdout
    digest = subprocess.run(["openssl", "dgst", "-sha256", "manifest.json"], cwd=root,
                            capture_output=True, text=True, timeout=60)
    assert hashlib.sha256((root / "manifest.json").read_bytes()).hexdigest() in digest.stdout


# --- later renderings ------------------------------------------------------------------------


def test_unsealed_rendering_listed_in_sums_is_reported_as_unsealed_not_evidence(sealed):
    root, fingerprint = sealed
    (root / "unsealed").mkdir()
    (root / "unsealed" / "report-1.html").write_bytes(FORGED)
    rewrite_sums(root)
    report = verify(root, expect=fingerprint)
    assert report.verdict == "INTACT"
    assert "not covered by the fingerprint" in checks(report, "unsealed")["unsealed/report-1.html"]
    text = CliRunner().invoke(main, ["verify", str(root)]).output
    assert "UNSEALED   unsealed/report-1.html" in text


def test_other_files_in_the_unsealed_folder_are_unexpected(sealed):
    root, _ = sealed
    (root / "unsealed").mkdir()
    (root / "unsealed" / "confession.pdf").write_bytes(FORGED)
    rewrite_sums(root)
    assert verify(root).verdict == "ALTERED"


def test_a_manifest_cannot_claim_the_unsealed_folder(sealed):
    root, _ = sealed
    (root / "unsealed").mkdir()
    (root / "unsealed" / "report-1.pdf").write_bytes(FORGED)
    edit_manifest(root, lambda m: m["artifacts"].append(dict(
        m["artifacts"][-1], path="unsealed/report-1.pdf", sha256=hashlib.sha256(FORGED).hexdigest(),
        bytes=len(FORGED))))
    rewrite_sums(root)
    report = verify(root)
    assert report.verdict == "INVALID"
    assert "reserved" in checks(report, "unsafe")["unsealed/report-1.pdf"]


def test_a_report_file_outside_the_manifest_is_unexpected_not_unsealed(sealed):
    root, fingerprint = sealed
    (root / "report.pdf").write_bytes(b"%PDF-1.4 forged")  # the bundle seals only report.html
    rewrite_sums(root)
    report = verify(root, expect=fingerprint)
    assert report.verdict == "ALTERED"
    assert "report.pdf" in checks(report, "unexpected")


def _legacy(root: Path) -> str:
    """A bundle as 0.1.0 wrote it: the report outside the manifest, covered by SHA256SUMS."""
    def unseal(manifest):
        manifest["tool"]["version"] = "0.1.0"
        manifest["artifacts"] = [a for a in manifest["artifacts"] if a["role"] != "report"]

    edit_manifest(root, unseal)
    rewrite_sums(root)
    return hashlib.sha256((root / "manifest.json").read_bytes()).hexdigest()


def test_a_bundle_from_before_reports_were_sealed_still_verifies_and_says_so(sealed):
    root, _ = sealed
    fingerprint = _legacy(root)
    report = verify(root, expect=fingerprint)
    assert report.verdict == "INTACT" and report.report_sealed is False
    assert "did not seal reports" in checks(report, "unsealed")["report.html"]
    # Adding to it (stamp, report) rewrites SHA256SUMS: the old report stays covered.
    from capture.bundle import BundleWriter
    from capture.manifest import Manifest

    BundleWriter(root).write_sums(Manifest.model_validate_json((root / "manifest.json").read_bytes()))
    assert verify(root, expect=fingerprint).verdict == "INTACT"


@pytest.mark.parametrize("name", ["manifest.json.1.tsr", "manifest.json.\u00b2.tsr", "manifest.json.\u0662.tsr",
                                  "manifest.json.0.tsr", "manifest.json.01.tsr"])
def test_token_names_the_writer_never_writes_are_unexpected(sealed, name):
    root, _ = sealed
    (root / name).write_bytes(b"not a token")
    rewrite_sums(root)
    report = verify(root)
    assert report.verdict == "ALTERED" and report.timestamps == []


def _plain_check(root: Path, fingerprint: str) -> bool:
    """The three coreutils commands the report and README give a mediator."""
    run = lambda cmd: subprocess.run(cmd, shell=True, cwd=root, capture_output=True, text=True, timeout=60)  # noqa: E731
    digest = run("sha256sum manifest.json").stdout.split()[0]
    listed = run("grep -c $(sha256sum sealed.sha256 | cut -c1-64) manifest.json").stdout.strip()
    return digest == fingerprint and listed == "1" and run("sha256sum -c sealed.sha256").returncode == 0


@pytest.mark.skipif(not shutil.which("sha256sum"), reason="needs coreutils")
def test_plain_tools_check_the_whole_seal_and_catch_a_forged_report(sealed):
    root, fingerprint = sealed
    assert _plain_check(root, fingerprint)
    (root / "report.html").write_bytes(FORGED)
    rewrite_sums(root)  # SHA256SUMS agrees with the forgery...
    assert subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=root, capture_output=True).returncode == 0
    assert not _plain_check(root, fingerprint)  # ...the sealed list does not


def test_the_sealed_list_names_every_sealed_file_once(sealed):
    root, _ = sealed
    manifest = json.loads((root / "manifest.json").read_text())
    paths = [a["path"] for a in manifest["artifacts"]] + [
        a["path"] for c in manifest["captures"] for a in c["artifacts"]]
    lines = (root / "sealed.sha256").read_text().splitlines()
    assert sorted(line.split("  ", 1)[1] for line in lines) == sorted(p for p in paths if p != "sealed.sha256")
