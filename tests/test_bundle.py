"""BundleWriter: atomic, hash-on-write, never overwrites evidence, SHA256SUMS that coreutils accepts."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import pytest

from capture.bundle import BundleWriter, is_token_name, token_name
from capture.bundlepath import UnsafePath
from capture.errors import UsageError
from capture.manifest import Manifest

from .bundles import bundle_files, make_bundle

SHA256SUM = shutil.which("sha256sum")


def test_fresh_bundle_passes_coreutils_sha256sum(tmp_path):
    root = make_bundle(tmp_path / "bundle", n_captures=3)
    assert SHA256SUM, "coreutils sha256sum is required"
    result = subprocess.run(
        [SHA256SUM, "--check", "--strict", "SHA256SUMS"],
        cwd=root, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    checked = [line.split(": ")[0] for line in result.stdout.splitlines() if line.endswith(": OK")]
    # every file in the bundle but SHA256SUMS itself
    assert sorted(checked) == [rel for rel in bundle_files(root) if rel != "SHA256SUMS"]


def test_interrupted_bundle_passes_coreutils_sha256sum(tmp_path):
    root = make_bundle(tmp_path / "bundle", n_captures=2, complete=False)
    result = subprocess.run(
        [SHA256SUM, "-c", "SHA256SUMS"], cwd=root, capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 0


def test_artifact_hashes_equal_hashlib_over_the_file(tmp_path):
    root = make_bundle(tmp_path / "bundle", n_captures=3)
    manifest = Manifest.model_validate_json((root / "manifest.json").read_bytes())
    artifacts = manifest.all_artifacts()
    assert len(artifacts) >= 10
    for artifact in artifacts:
        data = (root / artifact.path).read_bytes()
        assert artifact.sha256 == hashlib.sha256(data).hexdigest()
        assert artifact.bytes == len(data)


def test_write_manifest_returns_the_fingerprint(tmp_path):
    root = make_bundle(tmp_path / "bundle", n_captures=1)
    writer = BundleWriter(root)
    manifest = Manifest.model_validate_json((root / "manifest.json").read_bytes())
    fingerprint = writer.write_manifest(manifest)
    assert fingerprint == hashlib.sha256((root / "manifest.json").read_bytes()).hexdigest()


def test_interrupted_run_leaves_an_incomplete_manifest(tmp_path):
    root = make_bundle(tmp_path / "bundle", n_captures=2, complete=False)
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["status"] == "incomplete" and manifest["finished_at"] is None
    assert len(manifest["captures"]) == 2


def test_atomic_write_leaves_no_temporary_files(tmp_path):
    root = make_bundle(tmp_path / "bundle", n_captures=3)
    names = [p.name for p in root.rglob("*")]
    assert not [n for n in names if n.endswith(".tmp") or n.startswith(".")]


def test_failed_write_leaves_neither_the_file_nor_a_temporary(tmp_path):
    writer = BundleWriter.create(tmp_path / "bundle")
    with pytest.raises(RuntimeError), writer.open("captures/01-order/screenshot.png") as out:
        out.write(b"\x89PNG half a screenshot")
        raise RuntimeError("disk full")
    assert [p.name for p in (tmp_path / "bundle").rglob("*") if p.is_file()] == []


def test_rewrite_replaces_the_whole_file(tmp_path):
    writer = BundleWriter.create(tmp_path / "bundle")
    writer.write_file("report.html", b"x" * 1000)
    digest = writer.write_file("report.html", b"short")
    assert (tmp_path / "bundle/report.html").read_bytes() == b"short"
    assert digest == hashlib.sha256(b"short").hexdigest()


def test_non_empty_directory_is_refused(tmp_path):
    earlier = tmp_path / "earlier"
    earlier.mkdir()
    (earlier / "manifest.json").write_text("{}")
    with pytest.raises(UsageError, match="not empty"):
        BundleWriter.create(earlier)
    assert (earlier / "manifest.json").read_text() == "{}"


def test_existing_file_as_bundle_directory_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="not a directory"):
        BundleWriter.create(tmp_path / "file")


def test_empty_or_new_directory_is_accepted(tmp_path):
    (tmp_path / "empty").mkdir()
    assert BundleWriter.create(tmp_path / "empty").root == tmp_path / "empty"
    assert BundleWriter.create(tmp_path / "new/nested").root.is_dir()


@pytest.mark.parametrize("path", ["../outside.png", "/tmp/outside.png", "a\\b.png", "a/./b.png", ""])
def test_writer_refuses_paths_outside_the_bundle(tmp_path, path):
    writer = BundleWriter.create(tmp_path / "bundle")
    with pytest.raises(UnsafePath):
        writer.write_artifact(path, b"x", "screenshot", "image/png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bundle"]


def test_token_names_follow_the_numbering():
    assert [token_name(n) for n in (1, 2, 3)] == [
        "manifest.json.tsr", "manifest.json.2.tsr", "manifest.json.3.tsr"
    ]
    assert all(is_token_name(token_name(n)) for n in (1, 2, 10))
    assert not any(
        is_token_name(n)
        for n in ("manifest.json.0.tsr", "manifest.json.01.tsr", "manifest.json..tsr", "x.tsr",
                  "manifest.json.tsr.bak", "manifest.json.a.tsr")
    )
