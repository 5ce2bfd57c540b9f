"""`verify` and `evidence verify`: honest bundles pass, altered ones fail with the right
message, hostile ones are reported without being followed, extracted or crashed on."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import types
import warnings
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from capture import bundle as bundle_module
from capture import verify as verify_module
from capture.cli import main
from capture.errors import UsageError
from capture.manifest import TimestampCheck, VerificationReport
from capture.verify import verify

from .bundles import bundle_files, make_bundle, zip_bundle

SHOT = "captures/01-order/screenshot.png"


@pytest.fixture
def bundle(tmp_path) -> Path:
    return make_bundle(tmp_path / "bundle")


class Sentinel:
    """A directory beside the bundle that verify must never touch."""

    def __init__(self, root: Path):
        self.dir = root
        root.mkdir()
        (root / "secret.txt").write_bytes(b"do not read or touch\n")
        self.arm()

    def snapshot(self) -> dict:
        tree = {}
        for path in sorted(self.dir.rglob("*")):
            info = path.lstat()
            content = os.readlink(path) if path.is_symlink() else path.read_bytes() if path.is_file() else None
            tree[path] = (info.st_mode, info.st_mtime_ns, content)
        return tree

    def arm(self) -> None:
        """Take the reference snapshot (after a test has finished setting things up)."""
        self.before = self.snapshot()


@pytest.fixture(autouse=True)
def sentinel(tmp_path):
    """Every test here: nothing outside the bundle is created, changed or followed into."""
    guard = Sentinel(tmp_path / "sentinel")
    yield guard
    assert guard.snapshot() == guard.before, "verify touched something outside the bundle"


def flip_byte(path: Path, offset: int = 100) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def rewrite_sums(root: Path) -> None:
    """What a forger does after editing files: regenerate SHA256SUMS over what is there."""
    lines = [
        f"{hashlib.sha256((root / rel).read_bytes()).hexdigest()}  {rel}\n"
        for rel in bundle_files(root)
        if rel != "SHA256SUMS"
    ]
    (root / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")


def edit_manifest(root: Path, change) -> None:
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    change(manifest)
    (root / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")


def checks(report: VerificationReport, status: str | None = None) -> dict[str, str]:
    return {c.path: c.detail for c in report.files if status is None or c.status == status}


def test_reader_names_match_the_writer():
    assert verify_module.MANIFEST == bundle_module.MANIFEST
    assert verify_module.SUMS == bundle_module.SUMS


# --- honest bundles ------------------------------------------------------------------------


def test_fresh_bundle_is_intact(bundle):
    report = verify(bundle)
    assert report.verdict == "INTACT" and report.exit_code == 0
    assert report.files == [] and report.problems == []
    assert report.complete is True
    assert report.captures == 2
    manifest_bytes = (bundle / "manifest.json").read_bytes()
    assert report.fingerprint == hashlib.sha256(manifest_bytes).hexdigest()
    assert report.started_at == json.loads(manifest_bytes)["started_at"]
    assert report.finished_at == json.loads(manifest_bytes)["finished_at"]
    # every file but SHA256SUMS itself
    assert report.files_checked == len(bundle_files(bundle)) - 1


def test_interrupted_bundle_is_intact_but_incomplete(tmp_path):
    root = make_bundle(tmp_path / "bundle", n_captures=3, complete=False)
    report = verify(root)
    assert report.verdict == "INTACT"
    assert report.complete is False
    assert report.finished_at is None
    assert report.captures == 3
    result = CliRunner().invoke(main, ["verify", str(root)])
    assert result.exit_code == 0
    assert "INTACT" in result.output and "interrupted" in result.output


def test_crash_leftover_temp_file_does_not_spoil_an_interrupted_bundle(tmp_path):
    root = make_bundle(tmp_path / "bundle", n_captures=2, complete=False)
    leftover = root / "captures" / "03-chat" / ".screenshot.png.4242.tmp"  # capture 3 was being made
    leftover.parent.mkdir()
    leftover.write_bytes(b"half a png")
    report = verify(root)
    assert report.verdict == "INTACT" and report.complete is False
    assert [f.status for f in report.files if "4242" in f.path] == ["ignored"]
    # Resuming removes it: the finished bundle must not carry it.
    from capture.session import RunOptions, _open_bundle

    _open_bundle(RunOptions(targets=[], out_dir=root, resume=True))
    assert not leftover.exists() and verify(root).files == []


def test_a_temp_name_beside_a_file_the_manifest_lists_is_no_leftover(tmp_path):
    root = make_bundle(tmp_path / "bundle", n_captures=2, complete=False)
    (root / "captures" / "02-product" / ".page.html.4242.tmp").write_bytes(b"<h1>forged</h1>")
    assert verify(root).verdict == "ALTERED"


@pytest.mark.parametrize("name", [
    "captures/.screenshot.png.4242.tmp",          # not a capture folder
    "captures/01-order/.evidence.pdf.4242.tmp",   # not a name the writer writes
    ".fake-report.html.4242.tmp",
    "captures/01-order/.page.html.0.tmp",         # no such process id
])
def test_other_temp_names_in_an_interrupted_bundle_are_unexpected(tmp_path, name):
    root = make_bundle(tmp_path / "bundle", n_captures=2, complete=False)
    (root / name).parent.mkdir(parents=True, exist_ok=True)
    (root / name).write_bytes(b"hidden content")
    report = verify(root)
    assert report.verdict == "ALTERED"
    assert checks(report, "unexpected") == {name: "not listed in manifest.json or SHA256SUMS"}


def test_temp_file_in_a_finished_bundle_is_unexpected(bundle):
    (bundle / ".manifest.json.77.tmp").write_bytes(b"{}")
    report = verify(bundle)
    assert report.verdict == "ALTERED"
    assert [f.status for f in report.files if "77" in f.path] == ["unexpected"]


def test_zip_of_intact_bundle_is_intact(bundle, tmp_path):
    report = verify(zip_bundle(bundle, tmp_path / "bundle.zip"))
    assert report.verdict == "INTACT", report
    assert report.files_checked == len(bundle_files(bundle)) - 1


def test_zip_with_one_top_folder_is_intact(bundle, tmp_path):
    stored = zip_bundle(bundle, tmp_path / "bundle.zip", folder="bundle/", method=zipfile.ZIP_STORED)
    assert verify(stored).verdict == "INTACT"


def test_zip_is_read_in_place_not_extracted(bundle, tmp_path):
    archive = zip_bundle(bundle, tmp_path / "bundle.zip")
    before = sorted(p.name for p in tmp_path.iterdir())
    verify(archive)
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_verify_does_not_import_playwright(bundle):
    code = (
        "import sys; from capture.verify import verify; "
        f"assert verify({str(bundle)!r}).verdict == 'INTACT'; "
        "assert not any(m.startswith('playwright') for m in sys.modules), 'playwright imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --- altered bundles -----------------------------------------------------------------------


def test_flipped_byte_is_reported_as_altered(bundle):
    flip_byte(bundle / SHOT)
    report = verify(bundle)
    assert report.verdict == "ALTERED" and report.exit_code == 1
    [check] = report.files
    assert check.path == SHOT and check.status == "altered"
    assert "differs from the SHA-256 in manifest.json" in check.detail
    assert check.actual_sha256 == hashlib.sha256((bundle / SHOT).read_bytes()).hexdigest()
    assert check.expected_sha256 != check.actual_sha256


def test_truncated_file_reports_its_size(bundle):
    path = bundle / "captures/02-product/page.html"
    path.write_bytes(path.read_bytes()[:10])
    report = verify(bundle)
    assert report.verdict == "ALTERED"
    assert "10 bytes" in checks(report, "altered")["captures/02-product/page.html"]


def test_deleted_file_is_reported_as_missing(bundle):
    (bundle / "captures/02-product/text.txt").unlink()
    report = verify(bundle)
    assert report.verdict == "ALTERED"
    assert checks(report) == {
        "captures/02-product/text.txt": "listed in manifest.json but not in the bundle"
    }


def test_added_file_is_reported_as_unexpected(bundle):
    (bundle / "captures/01-order/extra.png").write_bytes(b"\x89PNG more evidence")
    report = verify(bundle)
    assert report.verdict == "ALTERED"
    assert checks(report) == {
        "captures/01-order/extra.png": "not listed in manifest.json or SHA256SUMS"
    }


def test_added_file_listed_only_in_sums_is_unexpected(bundle):
    (bundle / "captures/01-order/extra.png").write_bytes(b"\x89PNG more evidence")
    rewrite_sums(bundle)
    report = verify(bundle)
    assert report.verdict == "ALTERED"
    assert checks(report, "unexpected") == {
        "captures/01-order/extra.png": "listed in SHA256SUMS but not in manifest.json"
    }


def test_edited_manifest_field_is_reported_as_altered(bundle):
    edit_manifest(bundle, lambda m: m["case"].update(title="seller was right"))
    report = verify(bundle)
    assert report.verdict == "ALTERED"
    assert "manifest.json" in checks(report, "altered")
    assert "differs from the SHA-256 in SHA256SUMS" in checks(report)["manifest.json"]


def test_rewritten_sums_that_disagree_with_manifest_are_altered(bundle):
    flip_byte(bundle / SHOT)
    rewrite_sums(bundle)
    report = verify(bundle)
    assert report.verdict == "ALTERED"
    found = checks(report, "altered")
    assert "differs from the SHA-256 in manifest.json" in found[SHOT]
    assert found["SHA256SUMS"] == f"gives {SHOT} a different SHA-256 than manifest.json does"


def test_sums_line_removed_is_altered(bundle):
    sums = bundle / "SHA256SUMS"
    sums.write_text(
        "".join(line for line in sums.read_text().splitlines(True) if SHOT not in line)
    )
    report = verify(bundle)
    assert report.verdict == "ALTERED"
    assert checks(report) == {"SHA256SUMS": f"does not list {SHOT}, which manifest.json lists"}


def test_missing_sums_is_altered(bundle):
    (bundle / "SHA256SUMS").unlink()
    report = verify(bundle)
    assert report.verdict == "ALTERED"
    assert any("SHA256SUMS is missing" in p for p in report.problems)
    # every file, the report included, is still checked against the manifest
    assert checks(report) == {}


def test_report_file_changed_after_sums_is_altered(bundle):
    (bundle / "report.html").write_text("<p>a different report</p>")
    report = verify(bundle)
    assert report.verdict == "ALTERED"
    assert checks(report, "altered")["report.html"].startswith("content differs from the SHA-256 in manifest.json")


def test_report_file_not_covered_by_sums_is_unexpected(bundle):
    (bundle / "report.pdf").write_bytes(b"%PDF-1.4 not from the tool")
    report = verify(bundle)
    assert report.verdict == "ALTERED"
    assert set(checks(report, "unexpected")) == {"report.pdf"}


def test_flipped_byte_in_a_zip_is_reported(bundle, tmp_path):
    flip_byte(bundle / SHOT)
    report = verify(zip_bundle(bundle, tmp_path / "bundle.zip"))
    assert report.verdict == "ALTERED"
    assert set(checks(report, "altered")) == {SHOT}


def test_sums_in_binary_mode_are_accepted(bundle):
    sums = bundle / "SHA256SUMS"
    sums.write_text(sums.read_text().replace("  ", " *"))
    assert verify(bundle).verdict == "INTACT"


# --- timestamp tokens --------------------------------------------------------------------


def _add_token(bundle: Path) -> bytes:
    token = b"0\x82 not really a token"
    (bundle / "manifest.json.tsr").write_bytes(token)
    rewrite_sums(bundle)
    return token


def test_token_that_does_not_match_makes_the_bundle_altered(bundle, monkeypatch):
    token = _add_token(bundle)
    calls = []

    def check_token(name, data, manifest_bytes, tsa_cas):
        calls.append((name, data, manifest_bytes, tsa_cas))
        return TimestampCheck(path=name, status="invalid", detail="imprint differs")

    monkeypatch.setitem(sys.modules, "capture.timestamp", types.SimpleNamespace(check_token=check_token))
    report = verify(bundle, tsa_cas=[Path("ca.pem")])
    assert report.verdict == "ALTERED"
    assert [t.status for t in report.timestamps] == ["invalid"]
    assert calls == [("manifest.json.tsr", token, (bundle / "manifest.json").read_bytes(), [Path("ca.pem")])]


def test_token_that_matches_keeps_the_bundle_intact(bundle, monkeypatch):
    _add_token(bundle)

    def check_token(name, data, manifest_bytes, tsa_cas):
        return TimestampCheck(path=name, status="trusted", detail="imprint matches")

    monkeypatch.setitem(sys.modules, "capture.timestamp", types.SimpleNamespace(check_token=check_token))
    report = verify(bundle)
    assert report.verdict == "INTACT" and report.time_proven
    assert [t.path for t in report.timestamps] == ["manifest.json.tsr"]


def test_token_whose_signer_is_unproven_keeps_the_bundle_intact(bundle, monkeypatch):
    _add_token(bundle)

    def check_token(name, data, manifest_bytes, tsa_cas):
        return TimestampCheck(path=name, status="not verified", detail="does not chain")

    monkeypatch.setitem(sys.modules, "capture.timestamp", types.SimpleNamespace(check_token=check_token))
    report = verify(bundle)
    assert report.verdict == "INTACT" and report.exit_code == 0 and not report.time_proven


# --- hostile bundles: manifest paths ---------------------------------------------------------


def _point_artifact_at(bundle: Path, path: str) -> None:
    edit_manifest(bundle, lambda m: m["captures"][0]["artifacts"][0].update(path=path))
    rewrite_sums(bundle)


@pytest.mark.parametrize(
    "hostile, reason",
    [
        ("../sentinel/secret.txt", "'..'"),
        ("captures/../../sentinel/secret.txt", "'..'"),
        ("captures\\..\\..\\sentinel\\secret.txt", "backslash"),
        ("captures/01-order/screenshot.png\x00.txt", "NUL"),
        ("C:secret.txt", "drive letter"),
    ],
)
def test_unsafe_artifact_path_is_invalid(bundle, sentinel, hostile, reason):
    _point_artifact_at(bundle, hostile)
    report = verify(bundle)
    assert report.verdict == "INVALID" and report.exit_code == 1
    unsafe = [c for c in report.files if c.status == "unsafe"]
    assert len(unsafe) == 1 and reason in unsafe[0].detail
    assert "\x00" not in unsafe[0].path


def test_absolute_artifact_path_is_invalid_and_not_read(bundle, sentinel):
    secret = sentinel.dir / "secret.txt"
    edit_manifest(
        bundle,
        lambda m: m["captures"][0]["artifacts"][0].update(
            path=str(secret), sha256=hashlib.sha256(secret.read_bytes()).hexdigest(),
            bytes=secret.stat().st_size,
        ),
    )
    rewrite_sums(bundle)
    report = verify(bundle)
    assert report.verdict == "INVALID"
    assert "absolute path" in checks(report, "unsafe")[str(secret)]


def test_duplicate_artifact_entries_are_invalid(bundle):
    def duplicate(m):
        m["captures"][1]["artifacts"].append(dict(m["captures"][0]["artifacts"][0]))

    edit_manifest(bundle, duplicate)
    rewrite_sums(bundle)
    report = verify(bundle)
    assert report.verdict == "INVALID"
    assert "lists this file twice" in checks(report, "unsafe")[SHOT]


def test_artifact_paths_differing_only_in_case_are_invalid(bundle):
    def duplicate(m):
        twin = dict(m["captures"][0]["artifacts"][0], path=SHOT.upper())
        m["captures"][1]["artifacts"].append(twin)

    edit_manifest(bundle, duplicate)
    rewrite_sums(bundle)
    report = verify(bundle)
    assert report.verdict == "INVALID"
    assert "twice" in checks(report, "unsafe")[SHOT.upper()]


def test_unsafe_path_in_sums_is_invalid(bundle, sentinel):
    digest = hashlib.sha256((sentinel.dir / "secret.txt").read_bytes()).hexdigest()
    with open(bundle / "SHA256SUMS", "a", encoding="utf-8") as sums:
        sums.write(f"{digest}  ../sentinel/secret.txt\n")
    report = verify(bundle)
    assert report.verdict == "INVALID"
    assert "unsafe path" in checks(report, "unsafe")["../sentinel/secret.txt"]


def test_malformed_sums_line_is_invalid(bundle):
    with open(bundle / "SHA256SUMS", "a", encoding="utf-8") as sums:
        sums.write("SHA256 (report.html) = 00\n")
    report = verify(bundle)
    assert report.verdict == "INVALID"
    assert any("is not `<sha256>  <path>`" in p for p in report.problems)


# --- hostile bundles: the file tree ----------------------------------------------------------


def test_symlink_pointing_outside_is_not_followed(bundle, sentinel):
    # The target has exactly the bytes the manifest expects: following it would "pass".
    target = sentinel.dir / "copy.png"
    target.write_bytes((bundle / SHOT).read_bytes())
    (bundle / SHOT).unlink()
    (bundle / SHOT).symlink_to(target)
    sentinel.arm()
    report = verify(bundle)
    assert report.verdict == "INVALID"
    assert checks(report) == {SHOT: "is a symbolic link; not followed"}


def test_symlinked_directory_is_not_followed(bundle, sentinel):
    folder = bundle / "captures/02-product"
    copy = sentinel.dir / "02-product"
    copy.mkdir()
    for child in folder.iterdir():
        (copy / child.name).write_bytes(child.read_bytes())
        child.unlink()
    folder.rmdir()
    folder.symlink_to(copy, target_is_directory=True)
    sentinel.arm()
    report = verify(bundle)
    assert report.verdict == "INVALID"
    assert checks(report) == {"captures/02-product": "is a symbolic link; not followed"}


def test_manifest_that_is_a_symlink_is_not_read(bundle, sentinel):
    target = sentinel.dir / "manifest.json"
    target.write_bytes((bundle / "manifest.json").read_bytes())
    (bundle / "manifest.json").unlink()
    (bundle / "manifest.json").symlink_to(target)
    sentinel.arm()
    report = verify(bundle)
    assert report.verdict == "INVALID"
    assert report.fingerprint is None
    assert "symbolic link" in checks(report, "unsafe")["manifest.json"]


def test_fifo_in_bundle_is_reported_not_opened(bundle):
    os.mkfifo(bundle / "captures/01-order/pipe")
    report = verify(bundle)  # opening the FIFO would block forever
    assert report.verdict == "INVALID"
    assert "not a regular file" in checks(report, "unsafe")["captures/01-order/pipe"]


def test_hostile_file_names_are_printed_escaped(bundle):
    (bundle / "evil\x1b[2J\u202egnp.exe").write_bytes(b"x")
    result = CliRunner().invoke(main, ["verify", str(bundle)])
    assert result.exit_code == 1
    assert "\x1b" not in result.output and "\u202e" not in result.output
    assert "evil\\x1b[2J\\u202egnp.exe" in result.output


# --- hostile bundles: the manifest itself -----------------------------------------------------


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\xff\xfe{\x00}\x00", "is not UTF-8"),
        (b"{not json", "is not valid JSON"),
        (b"[" * 200_000 + b"]" * 200_000, "nested too deeply"),
        (b'{"a": ' * 60 + b"1" + b"}" * 60, "nested more than 32 levels"),
        (b'{"status": "complete", "status": "incomplete"}', "same key twice"),
        (b'{"bytes": NaN}', "NaN is not JSON"),
        (b'{"schema_version": "1.0", "status": "finished"}', "does not follow the manifest schema"),
        (b"[]", "does not follow the manifest schema"),
        (b'{"n": ' + b"9" * 10_000 + b"}", "not acceptable JSON"),
    ],
)
def test_malformed_manifest_is_invalid(bundle, content, message):
    (bundle / "manifest.json").write_bytes(content)
    rewrite_sums(bundle)
    report = verify(bundle)
    assert report.verdict == "INVALID" and report.exit_code == 1
    assert any(message in p for p in report.problems), report.problems
    assert report.complete is None


def test_manifest_over_64_mib_is_invalid_without_being_read(bundle):
    with open(bundle / "manifest.json", "wb") as handle:
        handle.truncate(64 * 1024 * 1024 + 1)
    report = verify(bundle)
    assert report.verdict == "INVALID"
    assert "more than the 67108864 allowed" in checks(report, "unreadable")["manifest.json"]


def test_manifest_with_extra_fields_is_invalid(bundle):
    edit_manifest(bundle, lambda m: m.update(signed_by="the seller"))
    rewrite_sums(bundle)
    report = verify(bundle)
    assert report.verdict == "INVALID"
    assert any("signed_by" in p for p in report.problems)


def test_reserved_name_in_manifest_is_invalid(bundle):
    _point_artifact_at(bundle, "SHA256SUMS")
    assert "reserved" in checks(verify(bundle), "unsafe")["SHA256SUMS"]


# --- hostile zips -------------------------------------------------------------------------------


def _zip_with(path: Path, bundle: Path, extra: dict[str, bytes], skip: tuple[str, ...] = ()) -> Path:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names: that is the point
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for rel in bundle_files(bundle):
                if rel not in skip:
                    archive.write(bundle / rel, rel)
            for name, data in extra.items():
                archive.writestr(name, data)
    return path


@pytest.mark.parametrize(
    "name, reason",
    [
        ("../sentinel/evil.txt", "'..'"),
        ("/tmp/evil.txt", "absolute path"),
        ("captures/..\\..\\evil.txt", "backslash"),
        ("captures/../../evil.txt", "'..'"),
    ],
)
def test_zip_entry_escaping_the_bundle_is_invalid(bundle, tmp_path, sentinel, name, reason):
    report = verify(_zip_with(tmp_path / "bundle.zip", bundle, {name: b"evil"}))
    assert report.verdict == "INVALID"
    assert reason in checks(report, "unsafe")[name]
    assert not (sentinel.dir / "evil.txt").exists() and not (tmp_path / "evil.txt").exists()


def test_duplicate_zip_entries_are_invalid(bundle, tmp_path):
    report = verify(_zip_with(tmp_path / "bundle.zip", bundle, {SHOT: b"\x89PNG the other one"}))
    assert report.verdict == "INVALID"
    assert "2 entries with this name" in checks(report, "unsafe")[SHOT]


def test_duplicate_manifest_in_zip_is_invalid(bundle, tmp_path):
    report = verify(_zip_with(tmp_path / "bundle.zip", bundle, {"manifest.json": b"{}"}))
    assert report.verdict == "INVALID"
    assert report.fingerprint is None
    assert "manifest.json" in checks(report, "unsafe")


def test_symlink_entry_in_zip_is_invalid(bundle, tmp_path):
    path = tmp_path / "bundle.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for rel in bundle_files(bundle):
            if rel == SHOT:
                info = zipfile.ZipInfo(rel)
                info.external_attr = (0o120777 << 16)
                archive.writestr(info, "/etc/passwd")
            else:
                archive.write(bundle / rel, rel)
    assert "symbolic link" in checks(verify(path), "unsafe")[SHOT]


def test_zip_with_manifest_over_64_mib_is_invalid(bundle, tmp_path):
    big = b" " * (64 * 1024 * 1024 + 1)
    report = verify(_zip_with(tmp_path / "bundle.zip", bundle, {"manifest.json": big}, skip=("manifest.json",)))
    assert report.verdict == "INVALID"
    assert "more than the 67108864 allowed" in checks(report, "unreadable")["manifest.json"]


def _patch_central_entry(path: Path, name: str, offset: int, value: int, local_offset: int | None = None) -> None:
    """Overwrite a 4-byte field of one entry's central directory (and local) header."""
    data = bytearray(path.read_bytes())
    encoded = name.encode()
    at = data.find(b"PK\x01\x02" + bytes(0), 0)
    while at >= 0:
        name_len = int.from_bytes(data[at + 28 : at + 30], "little")
        if bytes(data[at + 46 : at + 46 + name_len]) == encoded:
            data[at + offset : at + offset + 4] = value.to_bytes(4, "little")
            if local_offset is not None:
                local = int.from_bytes(data[at + 42 : at + 46], "little")
                data[local + local_offset : local + local_offset + 4] = value.to_bytes(4, "little")
            path.write_bytes(bytes(data))
            return
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"{name} not in {path}")


def _entry(path: Path, name: str) -> zipfile.ZipInfo:
    with zipfile.ZipFile(path) as archive:
        return archive.getinfo(name)


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
@pytest.mark.parametrize("delta", [-7, +7])
def test_zip_whose_declared_size_lies_is_invalid(bundle, tmp_path, method, delta):
    path = zip_bundle(bundle, tmp_path / "bundle.zip", method=method)
    size = _entry(path, SHOT).file_size
    _patch_central_entry(path, SHOT, 24, size + delta, local_offset=22)  # uncompressed size
    report = verify(path)
    assert report.verdict == "INVALID"
    assert SHOT in checks(report, "unreadable")


def test_zip_declaring_a_bomb_is_refused_before_reading(bundle, tmp_path):
    path = zip_bundle(bundle, tmp_path / "bundle.zip")
    _patch_central_entry(path, SHOT, 24, 0xFFFF_FFF0, local_offset=22)
    report = verify(path)
    assert report.verdict == "INVALID"
    assert "more than deflate can produce" in checks(report, "unreadable")[SHOT]


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_zip_with_corrupt_crc_is_invalid(bundle, tmp_path, method):
    path = zip_bundle(bundle, tmp_path / "bundle.zip", method=method)
    crc = _entry(path, SHOT).CRC
    _patch_central_entry(path, SHOT, 16, crc ^ 0x1, local_offset=14)
    report = verify(path)
    assert report.verdict == "INVALID"
    assert "CRC" in checks(report, "unreadable")[SHOT]


def test_truncated_zip_is_invalid(bundle, tmp_path):
    path = zip_bundle(bundle, tmp_path / "bundle.zip")
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    report = verify(path)
    assert report.verdict == "INVALID"
    assert any("not a readable zip" in p for p in report.problems)


# --- not a bundle at all: usage errors ----------------------------------------------------------


def test_missing_path_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        verify(tmp_path / "nowhere")


def test_directory_without_manifest_is_not_a_bundle(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos/cat.png").write_bytes(b"png")
    with pytest.raises(UsageError, match="not an evidence bundle"):
        verify(tmp_path / "photos")


def test_plain_file_is_not_a_bundle(tmp_path):
    (tmp_path / "notes.txt").write_text("hello")
    with pytest.raises(UsageError, match="neither a bundle directory nor a .zip"):
        verify(tmp_path / "notes.txt")


def test_zip_without_manifest_is_not_a_bundle(tmp_path):
    with zipfile.ZipFile(tmp_path / "photos.zip", "w") as archive:
        archive.writestr("cat.png", b"png")
    with pytest.raises(UsageError, match="not an evidence bundle"):
        verify(tmp_path / "photos.zip")


# --- the command line ------------------------------------------------------------------------------


def test_cli_intact_bundle_exits_0(bundle):
    result = CliRunner().invoke(main, ["verify", str(bundle)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[-1].startswith("INTACT:")
    assert any(hashlib.sha256((bundle / "manifest.json").read_bytes()).hexdigest() in line for line in lines)


def test_cli_altered_bundle_exits_1_with_one_line_per_problem(bundle):
    flip_byte(bundle / SHOT)
    (bundle / "captures/02-product/text.txt").unlink()
    result = CliRunner().invoke(main, ["verify", str(bundle)])
    assert result.exit_code == 1
    assert f"ALTERED    {SHOT}: content differs" in result.output
    assert "MISSING    captures/02-product/text.txt" in result.output
    assert result.output.splitlines()[-1].startswith("ALTERED:")


def test_cli_invalid_bundle_exits_1(bundle):
    (bundle / "manifest.json").write_bytes(b"{not json")
    result = CliRunner().invoke(main, ["verify", str(bundle)])
    assert result.exit_code == 1
    assert result.output.splitlines()[-1].startswith("INVALID:")
    assert "Traceback" not in result.output


def test_cli_json_is_a_verification_report(bundle, tmp_path):
    flip_byte(bundle / SHOT)
    result = CliRunner().invoke(main, ["verify", str(zip_bundle(bundle, tmp_path / "b.zip")), "--json"])
    assert result.exit_code == 1
    report = VerificationReport.model_validate_json(result.output)
    assert report.verdict == "ALTERED" and report.files[0].path == SHOT


def _verify_process(how: str, *args) -> subprocess.CompletedProcess:
    if how == "console script":
        script = Path(sys.executable).with_name("evidence")
        if not script.exists():
            pytest.skip("no console script next to this Python")
        command = [str(script)]
    else:
        command = [sys.executable, "-m", "capture"]
    return subprocess.run([*command, "verify", *map(str, args)], capture_output=True, timeout=120, check=False)


@pytest.mark.parametrize("how", ["console script", "python -m capture"])
def test_the_process_ends_quickly_with_its_whole_verdict_and_exit_code(tmp_path, how):
    # verify ends its process without the interpreter's teardown (cli.Finished): what it
    # printed must still all be there, far more than a pipe holds, with the exit code.
    root = make_bundle(tmp_path / "bundle", n_captures=80)
    intact = _verify_process(how, root, "--json")
    assert intact.returncode == 0, intact.stderr
    assert VerificationReport.model_validate_json(intact.stdout).verdict == "INTACT"
    listed = sorted(p for p in bundle_files(root) if p not in ("manifest.json", "SHA256SUMS"))
    for rel in listed:
        flip_byte(root / rel, 0)
    altered = _verify_process(how, root, "--json")
    assert altered.returncode == 1, altered.stderr
    assert len(altered.stdout) > 1 << 16  # beyond one pipe buffer
    report = VerificationReport.model_validate_json(altered.stdout)
    assert sorted(f.path for f in report.files if f.status == "altered") == listed
    text = _verify_process(how, root)
    assert text.returncode == 1 and text.stdout.decode().splitlines()[-1].startswith("ALTERED:")
    assert _verify_process(how, tmp_path / "nowhere").returncode == 2


def test_cli_missing_path_exits_2_with_one_line(tmp_path):
    result = CliRunner().invoke(main, ["verify", str(tmp_path / "nowhere")])
    assert result.exit_code == 2
    assert len(result.output.strip().splitlines()) == 1
    assert "does not exist" in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit)


def test_deleted_file_is_reported_even_when_the_manifest_is_unusable(bundle):
    (bundle / "captures/01-order/text.txt").unlink()
    (bundle / "manifest.json").write_bytes(b"{not json")
    report = verify(bundle)
    assert report.verdict == "INVALID"
    assert checks(report, "missing") == {
        "captures/01-order/text.txt": "listed in SHA256SUMS but not in the bundle"
    }


@pytest.mark.parametrize("offset", [0, 3 * 1024 * 1024 - 1])
def test_flipped_byte_in_a_large_file_is_reported(tmp_path, offset):
    root = make_bundle(tmp_path / "bundle", trace_bytes=3 * 1024 * 1024)
    assert verify(root).verdict == "INTACT"
    flip_byte(root / "trace.zip", offset)
    report = verify(root)
    assert report.verdict == "ALTERED"
    assert set(checks(report, "altered")) == {"trace.zip"}
    assert verify(zip_bundle(root, tmp_path / "bundle.zip")).verdict == "ALTERED"
