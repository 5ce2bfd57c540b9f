"""Trusted timestamps (issue 8) against a real local RFC 3161 authority (tests/tsa.py)."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from capture.bundle import MANIFEST
from capture.cli import main
from capture.errors import UsageError
from capture.timestamp import (
    TimestampError,
    check_token,
    request_token,
    stamp_bundle,
    token_files,
    token_info,
)

from .bundles import make_bundle
from .tsa import local_tsa, make_query, make_reply, tsa_material  # noqa: F401 - pytest fixtures

SHORT_TIMEOUT = 2.0
ISO_MS_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def openssl_verify(root: Path, token: str, ca: Path) -> subprocess.CompletedProcess:
    # Exactly what the README tells a support agent to run.
    return subprocess.run(
        ["openssl", "ts", "-verify", "-data", "manifest.json", "-in", token, "-CAfile", str(ca)],
        cwd=root, capture_output=True, text=True, timeout=60, check=False,
    )


@pytest.fixture
def bundle(tmp_path) -> Path:
    return make_bundle(tmp_path / "bundle")


@pytest.fixture(scope="module")
def stamped(tmp_path_factory, local_tsa):  # noqa: F811 - fixture import
    """One bundle stamped once by the good authority, shared by the read-only checks."""
    root = make_bundle(tmp_path_factory.mktemp("stamped") / "bundle")
    result = stamp_bundle(root, [local_tsa.url], timeout=20)
    return root, result


# --- a good authority ----------------------------------------------------------------


def test_stamped_token_is_accepted_by_plain_openssl_ts_verify(stamped, local_tsa):  # noqa: F811
    root, result = stamped
    assert result.warnings == []
    assert [t.path for t in result.tokens] == ["manifest.json.tsr"]
    proc = openssl_verify(root, "manifest.json.tsr", local_tsa.ca)
    assert proc.returncode == 0, proc.stderr
    assert "Verification: OK" in proc.stdout


def test_stamp_result_names_authority_time_serial_and_signer(stamped, local_tsa):  # noqa: F811
    _, result = stamped
    token = result.tokens[0]
    assert token.authority == local_tsa.url
    assert ISO_MS_Z.match(token.time)
    assert token.serial and token.serial.startswith("0x")
    assert token.signer == "CN=Evidence Test TSA, O=Evidence Tests"
    assert "Evidence Test TSA" in token.tsa_name
    lines = "\n".join(result.summary_lines())
    assert local_tsa.url in lines and token.serial in lines and token.time in lines


def test_token_info_reads_the_fields_openssl_prints(stamped):
    root, _ = stamped
    info = token_info((root / "manifest.json.tsr").read_bytes())
    assert info["hash_algorithm"] == "sha256"
    assert info["imprint"] == __import__("hashlib").sha256((root / MANIFEST).read_bytes()).hexdigest()
    assert info["policy"] is not None
    assert info["status"] == "Granted"


def test_token_checked_with_its_ca_is_ok_and_chain_verified(stamped, local_tsa):  # noqa: F811
    root, result = stamped
    check = check_token("manifest.json.tsr", (root / "manifest.json.tsr").read_bytes(),
                        (root / MANIFEST).read_bytes(), [local_tsa.ca])
    assert check.status == "trusted", check.detail
    assert check.chain_verified and check.trust_source == "--tsa-ca"
    assert check.time == result.tokens[0].time
    assert check.serial == result.tokens[0].serial
    assert check.signer == result.tokens[0].signer


def test_token_from_an_authority_unknown_to_the_system_is_not_verified(stamped):
    # The test TSA's root is in no system trust store: matching bytes, unproven signer.
    root, _ = stamped
    check = check_token("manifest.json.tsr", (root / "manifest.json.tsr").read_bytes(),
                        (root / MANIFEST).read_bytes(), [])
    assert check.status == "not verified"
    assert not check.chain_verified
    assert "matches manifest.json" in check.detail and "unproven" in check.detail
    assert "--tsa-ca" in check.detail


def test_token_checked_against_an_unrelated_ca_is_not_chain_verified(stamped, tsa_material):  # noqa: F811
    root, _ = stamped
    check = check_token("manifest.json.tsr", (root / "manifest.json.tsr").read_bytes(),
                        (root / MANIFEST).read_bytes(), [tsa_material.other_ca])
    # A CA that does not chain says nothing about the bytes: never invalid, never ALTERED.
    assert check.status == "not verified"
    assert not check.chain_verified
    assert "does not chain to the given --tsa-ca" in check.detail


def test_several_ca_files_are_tried_together(stamped, tsa_material):  # noqa: F811
    root, _ = stamped
    check = check_token("manifest.json.tsr", (root / "manifest.json.tsr").read_bytes(),
                        (root / MANIFEST).read_bytes(), [tsa_material.other_ca, tsa_material.ca])
    assert check.status == "trusted" and check.chain_verified


def test_a_der_encoded_ca_file_is_accepted(stamped, tsa_material, tmp_path):  # noqa: F811
    root, _ = stamped
    der = tmp_path / "ca.der"
    subprocess.run(["openssl", "x509", "-in", str(tsa_material.ca), "-outform", "DER", "-out", str(der)],
                   check=True, capture_output=True, timeout=60)
    check = check_token("manifest.json.tsr", (root / "manifest.json.tsr").read_bytes(),
                        (root / MANIFEST).read_bytes(), [der])
    assert check.status == "trusted" and check.chain_verified


@pytest.mark.parametrize("content", [None, b"not a certificate"], ids=["missing", "junk"])
def test_an_unusable_ca_file_is_a_usage_error(stamped, tmp_path, content):
    root, _ = stamped
    ca = tmp_path / "ca.pem"
    if content is not None:
        ca.write_bytes(content)
    with pytest.raises(UsageError, match="--tsa-ca"):
        check_token("manifest.json.tsr", (root / "manifest.json.tsr").read_bytes(),
                    (root / MANIFEST).read_bytes(), [ca])


@pytest.mark.parametrize("with_ca", [False, True], ids=["without-ca", "with-ca"])
def test_edited_manifest_is_reported_as_altered_by_its_token(stamped, local_tsa, with_ca):  # noqa: F811
    root, _ = stamped
    edited = (root / MANIFEST).read_bytes().replace(b'"status": "complete"', b'"status": "incomplete"')
    assert edited != (root / MANIFEST).read_bytes()
    check = check_token("manifest.json.tsr", (root / "manifest.json.tsr").read_bytes(), edited,
                        [local_tsa.ca] if with_ca else [])
    assert check.status == "invalid"
    assert not check.chain_verified


def test_edited_manifest_fails_plain_openssl_verify(tmp_path, stamped, local_tsa):  # noqa: F811
    root, _ = stamped
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "manifest.json.tsr").write_bytes((root / "manifest.json.tsr").read_bytes())
    (copy / MANIFEST).write_bytes((root / MANIFEST).read_bytes() + b" ")
    proc = openssl_verify(copy, "manifest.json.tsr", local_tsa.ca)
    assert proc.returncode != 0
    assert "imprint mismatch" in proc.stderr


@pytest.mark.parametrize("with_ca", [False, True], ids=["without-ca", "with-ca"])
def test_token_with_a_flipped_byte_in_its_signature_is_altered(stamped, local_tsa, with_ca):  # noqa: F811
    root, _ = stamped
    token = bytearray((root / "manifest.json.tsr").read_bytes())
    token[-10] ^= 0x01  # the signature value is the last field of the token
    check = check_token("manifest.json.tsr", bytes(token), (root / MANIFEST).read_bytes(),
                        [local_tsa.ca] if with_ca else [])
    assert check.status == "invalid"
    assert not check.chain_verified


def test_token_without_its_signer_certificate_needs_the_tsa_certificate_to_verify(bundle, tsa_material):  # noqa: F811
    manifest = (bundle / MANIFEST).read_bytes()
    token = make_reply(tsa_material, make_query(manifest, cert=False))
    assert check_token("t", token, manifest, []).status == "not verified"
    missing = check_token("t", token, manifest, [tsa_material.ca])
    assert missing.status == "not verified" and "--tsa-ca" in missing.detail
    both = check_token("t", token, manifest, [tsa_material.ca, tsa_material.cert])
    assert both.status == "trusted" and both.chain_verified


@pytest.mark.parametrize("junk", [b"", b"\x30\x03\x02\x01", b"<html>not a token</html>" * 10],
                         ids=["empty", "truncated-der", "html"])
def test_a_token_file_that_is_not_a_token_is_invalid(bundle, junk):
    check = check_token("manifest.json.tsr", junk, (bundle / MANIFEST).read_bytes(), [])
    assert check.status == "invalid"
    assert check.detail


def test_bare_token_without_the_reply_wrapper_is_also_understood(stamped, local_tsa, tmp_path):  # noqa: F811
    root, _ = stamped
    bare = subprocess.run(
        ["openssl", "ts", "-reply", "-in", str(root / "manifest.json.tsr"), "-token_out"],
        capture_output=True, check=True, timeout=60,
    ).stdout
    check = check_token("manifest.json.tsr", bare, (root / MANIFEST).read_bytes(), [local_tsa.ca])
    assert check.status == "trusted" and check.chain_verified


def test_two_authorities_give_two_tokens_and_a_later_stamp_a_third(bundle, local_tsa):  # noqa: F811
    result = stamp_bundle(bundle, [local_tsa.url, local_tsa.url], timeout=20)
    assert result.warnings == []
    assert [t.path for t in result.tokens] == ["manifest.json.tsr", "manifest.json.2.tsr"]
    again = stamp_bundle(bundle, [local_tsa.url], timeout=20)
    assert [t.path for t in again.tokens] == ["manifest.json.3.tsr"]
    assert token_files(bundle) == ["manifest.json.tsr", "manifest.json.2.tsr", "manifest.json.3.tsr"]
    for name in token_files(bundle):
        assert openssl_verify(bundle, name, local_tsa.ca).returncode == 0


# --- authorities that fail -----------------------------------------------------------


@pytest.mark.parametrize("mode", ["error", "garbage", "hang", "drip", "wrong", "reject", "redirect"])
def test_failing_authority_gives_a_retry_warning_and_leaves_the_bundle_untouched(bundle, local_tsa, mode):  # noqa: F811
    before = snapshot(bundle)
    url = local_tsa.url_for(mode)
    result = stamp_bundle(bundle, [url], timeout=SHORT_TIMEOUT)
    assert result.tokens == []
    assert result.exit_code == 1
    [warning] = result.warnings
    assert warning.startswith(f"no trusted timestamp from {url}: ")
    assert f"evidence stamp BUNDLE --tsa {url}" in warning
    assert token_files(bundle) == []
    assert snapshot(bundle) == before
    sums = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=bundle, timeout=60, check=False)
    assert sums.returncode == 0


@pytest.mark.parametrize(
    ("mode", "reason"),
    [("error", "HTTP 500"), ("garbage", "not a timestamp reply"), ("hang", "no answer within"),
     ("drip", "no complete answer within"),
     ("wrong", "message imprint"), ("reject", "refused"), ("redirect", "redirected")],
)
def test_request_token_says_why_in_one_line(local_tsa, mode, reason):  # noqa: F811
    with pytest.raises(TimestampError, match=reason) as caught:
        request_token(b"manifest bytes", local_tsa.url_for(mode), timeout=SHORT_TIMEOUT)
    assert "\n" not in str(caught.value)


def test_one_failing_authority_does_not_cost_the_other_token(bundle, local_tsa):  # noqa: F811
    result = stamp_bundle(bundle, [local_tsa.url_for("error"), local_tsa.url], timeout=SHORT_TIMEOUT)
    assert [t.authority for t in result.tokens] == [local_tsa.url]
    assert [t.path for t in result.tokens] == ["manifest.json.tsr"]
    assert len(result.warnings) == 1 and local_tsa.url_for("error") in result.warnings[0]


def test_an_answer_larger_than_the_bound_is_refused(local_tsa):  # noqa: F811
    with pytest.raises(TimestampError, match="larger than 100 bytes"):
        request_token(b"manifest bytes", local_tsa.url, timeout=20, max_bytes=100)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://127.0.0.1/tsa", "127.0.0.1:1/tsa", "http://"])
def test_only_http_and_https_authorities_are_asked(url):
    with pytest.raises(TimestampError, match="http"):
        request_token(b"manifest bytes", url, timeout=SHORT_TIMEOUT)


# --- evidence stamp ------------------------------------------------------------------


def test_evidence_stamp_adds_a_token_and_sha256sums_still_passes(bundle, local_tsa):  # noqa: F811
    result = CliRunner().invoke(main, ["stamp", str(bundle), "--tsa", local_tsa.url])
    assert result.exit_code == 0, result.output
    assert "manifest.json.tsr" in result.output and local_tsa.url in result.output
    assert openssl_verify(bundle, "manifest.json.tsr", local_tsa.ca).returncode == 0
    sums = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=bundle, capture_output=True,
                          text=True, timeout=60, check=False)
    assert sums.returncode == 0, sums.stdout + sums.stderr
    assert "manifest.json.tsr: OK" in sums.stdout


def test_evidence_stamp_json_lists_the_tokens(bundle, local_tsa):  # noqa: F811
    result = CliRunner().invoke(main, ["stamp", str(bundle), "--tsa", local_tsa.url, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["tokens"][0]["path"] == "manifest.json.tsr"
    assert data["tokens"][0]["authority"] == local_tsa.url


def test_evidence_stamp_with_only_failing_authorities_exits_1_with_the_retry_command(bundle, local_tsa):  # noqa: F811
    before = snapshot(bundle)
    url = local_tsa.url_for("error")
    result = CliRunner().invoke(main, ["stamp", str(bundle), "--tsa", url])
    assert result.exit_code == 1
    assert f"evidence stamp BUNDLE --tsa {url}" in result.output
    assert "Traceback" not in result.output
    assert snapshot(bundle) == before


@pytest.mark.parametrize("what", ["missing", "empty-dir", "file", "bad-manifest"])
def test_evidence_stamp_refuses_what_is_not_a_bundle(tmp_path, local_tsa, what):  # noqa: F811
    target = tmp_path / "target"
    if what == "empty-dir":
        target.mkdir()
    elif what == "file":
        target.write_text("hello")
    elif what == "bad-manifest":
        target.mkdir()
        (target / MANIFEST).write_text('{"not": "a manifest"}')
    result = CliRunner().invoke(main, ["stamp", str(target), "--tsa", local_tsa.url])
    assert result.exit_code == 2
    assert result.output.startswith("evidence: ") and result.output.count("\n") == 1
    assert not (target.is_dir() and token_files(target))


@pytest.mark.parametrize("args", [[], ["--tsa", "file:///etc/passwd"]], ids=["no-tsa", "file-url"])
def test_evidence_stamp_needs_an_http_authority(bundle, args):
    result = CliRunner().invoke(main, ["stamp", str(bundle), *args])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert token_files(bundle) == []


# --- evidence verify over stamped bundles ----------------------------------------------


def test_evidence_verify_with_tsa_ca_passes_a_stamped_bundle(bundle, local_tsa):  # noqa: F811
    assert CliRunner().invoke(main, ["stamp", str(bundle), "--tsa", local_tsa.url]).exit_code == 0
    result = CliRunner().invoke(main, ["verify", str(bundle), "--tsa-ca", str(local_tsa.ca), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["verdict"] == "INTACT"
    [token] = report["timestamps"]
    assert token["path"] == "manifest.json.tsr"
    assert token["status"] == "trusted" and token["chain_verified"] is True


def test_evidence_verify_without_tsa_ca_says_the_time_is_unproven(bundle, local_tsa):  # noqa: F811
    assert CliRunner().invoke(main, ["stamp", str(bundle), "--tsa", local_tsa.url]).exit_code == 0
    result = CliRunner().invoke(main, ["verify", str(bundle)])
    assert result.exit_code == 0, result.output
    assert "TIMESTAMP  manifest.json.tsr not verified: states 20" in result.output
    assert 'claimed to be from "' in result.output
    assert "Without a trusted timestamp this proves only" in result.output


def test_evidence_verify_reports_an_edited_manifest_through_its_token(bundle, local_tsa):  # noqa: F811
    assert CliRunner().invoke(main, ["stamp", str(bundle), "--tsa", local_tsa.url]).exit_code == 0
    manifest = bundle / MANIFEST
    original = manifest.read_bytes()
    manifest.write_bytes(original.replace("卡密未到账".encode(), "卡密已到账".encode()))
    assert manifest.read_bytes() != original
    result = CliRunner().invoke(main, ["verify", str(bundle), "--tsa-ca", str(local_tsa.ca), "--json"])
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["verdict"] == "ALTERED"
    assert [t["status"] for t in report["timestamps"]] == ["invalid"]


def test_a_bundle_whose_authority_failed_still_verifies(bundle, local_tsa):  # noqa: F811
    stamp = CliRunner().invoke(main, ["stamp", str(bundle), "--tsa", local_tsa.url_for("garbage")])
    assert stamp.exit_code == 1
    result = CliRunner().invoke(main, ["verify", str(bundle)])
    assert result.exit_code == 0, result.output
    assert "INTACT" in result.output
