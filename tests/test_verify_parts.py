"""`verify PART...`: the part records in the zips' comments are as hostile as the rest.

A record only names parts; what the bundle holds is still decided by the manifest,
SHA256SUMS and the files. A malformed or lying record is reported, never followed into
a crash, and never makes a bundle look complete."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest

from capture.bundle import sha256_hex
from capture.pack import _write_zip
from capture.parts import FORMAT, PartInfo, PartRecord, encode
from capture.verify import verify

from .bundles import bundle_files, make_bundle


def _split(root: Path, out: Path, groups: list[list[str]], fingerprint: str | None = None) -> list[Path]:
    """The bundle as parts holding `groups`, each with a record naming all of them."""
    fingerprint = fingerprint or sha256_hex((root / "manifest.json").read_bytes())
    names = [f"case.part{k}.zip" for k in range(1, len(groups) + 1)]
    infos = [PartInfo(name, len(group), group) for name, group in zip(names, groups)]
    out.mkdir(exist_ok=True)
    paths = []
    for number, group in enumerate(groups, 1):
        path = out / names[number - 1]
        _write_zip(root, group, path, (2025, 1, 1, 0, 0, 0),
                   encode(PartRecord(fingerprint, number, infos), "evidence verify ..."))
        paths.append(path)
    return paths


@pytest.fixture
def bundle(tmp_path) -> Path:
    return make_bundle(tmp_path / "case", n_captures=3)


def _halves(root: Path) -> list[list[str]]:
    files = bundle_files(root)
    return [files[: len(files) // 2], files[len(files) // 2:]]


def test_parts_written_by_hand_the_way_pack_writes_them_verify(bundle, tmp_path):
    parts = _split(bundle, tmp_path / "up", _halves(bundle))
    assert verify(parts).verdict == "INTACT"
    # One part alone names the other as missing.
    alone = verify(parts[1])
    assert alone.verdict == "ALTERED"
    assert any(p.startswith("part 1 of 2 is missing (case.part1.zip") for p in alone.problems)
    assert [(p.path, p.status) for p in alone.parts] == [("case.part2.zip", "ok"), ("case.part1.zip", "missing")]


def test_a_file_held_by_two_parts_is_unsafe_and_read_from_neither(bundle, tmp_path):
    first, second = _halves(bundle)
    second = second + ["captures/01-order/screenshot.png"]
    report = verify(_split(bundle, tmp_path / "up", [first, second]))
    assert report.verdict == "INVALID"
    [check] = [f for f in report.files if f.path == "captures/01-order/screenshot.png"]
    assert check.status == "unsafe" and "held by two parts, case.part1.zip and case.part2.zip" in check.detail


def test_records_naming_another_fingerprint_than_the_manifest_are_altered(bundle, tmp_path):
    report = verify(_split(bundle, tmp_path / "up", _halves(bundle), fingerprint="0" * 64))
    assert report.verdict == "ALTERED"
    assert any(p.startswith(f"the parts say they hold the bundle with fingerprint {'0' * 64}") for p in report.problems)


def _with_comment(root: Path, path: Path, comment: bytes) -> Path:
    _write_zip(root, bundle_files(root), path, (2025, 1, 1, 0, 0, 0), comment)
    return path


def _record(**changes) -> bytes:
    body = {"format": FORMAT, "version": 1, "fingerprint": "ab" * 32, "part": 1,
            "parts": [{"name": "case.part1.zip", "count": 1, "files": ["manifest.json"]}]}
    body.update(changes)
    return b"evidence-capture: part 1 of 1\n" + json.dumps(body).encode()


@pytest.mark.parametrize("comment, said", [
    (b"evidence-capture: part 1 of 2\n{not json", "its part record is not valid JSON"),
    (b"evidence-capture: part 1 of 2\n" + b"[" * 5000 + b"]" * 5000, "its part record is not valid JSON"),
    (b'evidence-capture: part 1 of 2\n{"format": "\xff"}', "its part record is not valid JSON"),
    (_record(format="something else"), "not one this version of evidence-capture reads"),
    (_record(fingerprint="../../etc"), "no valid fingerprint"),
    (_record(part=0), "no valid part number"),
    (_record(part=2), "no valid part number"),
    (_record(part=True), "no valid part number"),
    (_record(parts=[]), "must list 1 to 999 parts"),
    (_record(parts=[{"name": "x"}] * 1000), "must list 1 to 999 parts"),
    (_record(parts=[{"name": "a\x1b[2Jb.zip", "count": 0}]), "without a valid name"),
    (_record(parts=[{"name": "a.zip", "count": -1}]), "no valid file count"),
    (_record(parts=[{"name": "a.zip", "count": 1, "files": ["../../etc/passwd"]}]), "unsafe path"),
    (_record(parts=[{"name": "a.zip", "count": 2, "files": ["manifest.json"]}]), "does not match its count"),
    (_record(parts=["a.zip"]), "not an object"),
])
def test_a_malformed_part_record_is_reported_and_never_followed(bundle, tmp_path, comment, said):
    # Alone it is still read as a plain zip: the record is the problem, the files are checked.
    report = verify(_with_comment(bundle, tmp_path / "case.zip", comment))
    assert report.verdict == "INVALID"
    assert any(said in p for p in report.problems), report.problems
    assert report.parts == []
    # Given with a real part, it is no part at all.
    parts = _split(bundle, tmp_path / "up", _halves(bundle))
    mixed = verify([parts[0], tmp_path / "case.zip", parts[1]])
    assert mixed.verdict == "INVALID"
    assert [p.status for p in mixed.parts].count("not a part") == 1


def test_a_part_record_cannot_widen_what_a_zip_holds(bundle, tmp_path):
    # A record listing files the zips do not hold changes nothing: they are missing.
    first, second = _halves(bundle)
    parts = _split(bundle, tmp_path / "up", [first, second[1:]])
    report = verify(parts)
    assert report.verdict == "ALTERED"
    assert {f.path for f in report.files if f.status == "missing"} == {second[0]}


def test_a_part_that_is_not_a_zip_is_named(bundle, tmp_path):
    parts = _split(bundle, tmp_path / "up", _halves(bundle))
    broken = tmp_path / "up" / "case.part3.zip"
    broken.write_bytes(b"not a zip at all")
    report = verify([*parts, broken])
    assert report.verdict == "INVALID"
    assert ("case.part3.zip", "unreadable") in [(p.path, p.status) for p in report.parts]
    with zipfile.ZipFile(parts[0]) as archive:  # the real parts are still read
        assert archive.comment.startswith(b"evidence-capture: part 1 of 2")
