"""`evidence pack`: a zip that verifies in place, and an upload folder that fits a form's limit."""

from __future__ import annotations

import json
import random
import shutil
import subprocess
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from capture.bundle import BundleWriter, sha256_hex
from capture.cli import main
from capture.manifest import Capture, Manifest, Tool, utc_now
from capture.pack import MB, pack, partition
from capture.parts import PartInfo, PartRecord, encode, parse
from capture.verify import verify

from .bundles import bundle_files, fake_environment, make_bundle
from .test_schemas import _validate

# --- zip -----------------------------------------------------------------------------


def test_packed_zip_verifies_in_place_with_the_bundle_at_its_top(tmp_path):
    root = make_bundle(tmp_path / "case")
    result = CliRunner().invoke(main, ["pack", str(root)])
    assert result.exit_code == 0, result.output
    zip_path = tmp_path / "case.zip"
    assert str(zip_path) in result.output and "--max-mb" in result.output
    report = verify(zip_path)
    assert report.verdict == "INTACT", report.model_dump_json(indent=2)
    assert report.fingerprint == sha256_hex((root / "manifest.json").read_bytes())
    with zipfile.ZipFile(zip_path) as archive:
        infos = archive.infolist()
        assert [i.filename for i in infos] == bundle_files(root)  # sorted, no folder, no dirs
        methods = {i.filename: i.compress_type for i in infos}
    assert methods["manifest.json"] == zipfile.ZIP_DEFLATED
    assert methods["captures/01-order/screenshot.png"] == zipfile.ZIP_STORED


def test_packing_the_same_bundle_twice_gives_identical_zips(tmp_path):
    root = make_bundle(tmp_path / "case")
    first = pack(root, tmp_path / "one.zip")
    second = pack(root, tmp_path / "two.zip")
    assert first.read_bytes() == second.read_bytes()


def test_pack_never_overwrites_an_existing_file(tmp_path):
    root = make_bundle(tmp_path / "case")
    (tmp_path / "case.zip").write_bytes(b"earlier upload")
    result = CliRunner().invoke(main, ["pack", str(root)])
    assert result.exit_code == 2
    assert "already exists" in result.output and len(result.output.strip().splitlines()) == 1
    assert (tmp_path / "case.zip").read_bytes() == b"earlier upload"


def test_pack_refuses_an_altered_bundle_and_writes_nothing(tmp_path):
    root = make_bundle(tmp_path / "case")
    (root / "captures/01-order/text.txt").write_text("edited after capture")
    result = CliRunner().invoke(main, ["pack", str(root), "-o", str(tmp_path / "out.zip")])
    assert result.exit_code == 1
    assert "ALTERED" in result.output
    assert not (tmp_path / "out.zip").exists()
    result = CliRunner().invoke(main, ["pack", str(root), "--max-mb", "1"])
    assert result.exit_code == 1 and "ALTERED" in result.output
    assert not (tmp_path / "case-upload").exists()


@pytest.mark.parametrize("what", ["missing", "empty-dir"])
def test_pack_refuses_what_is_not_a_bundle(tmp_path, what):
    target = tmp_path / "x"
    if what == "empty-dir":
        target.mkdir()
    result = CliRunner().invoke(main, ["pack", str(target)])
    assert result.exit_code == 2
    assert "not an evidence bundle directory" in result.output


def test_pack_refuses_a_zip_inside_the_bundle(tmp_path):
    root = make_bundle(tmp_path / "case")
    result = CliRunner().invoke(main, ["pack", str(root), "-o", str(root / "me.zip")])
    assert result.exit_code == 2
    assert not (root / "me.zip").exists()


@pytest.mark.parametrize(
    "year, stamped", [(2300, (2107, 12, 31, 23, 59, 58)), (1975, (1980, 1, 1, 0, 0, 0))]
)
def test_pack_clamps_a_capture_time_outside_the_zip_range(tmp_path, year, stamped):
    root = make_bundle(tmp_path / "case")
    manifest = Manifest.model_validate_json((root / "manifest.json").read_bytes())
    # A manifest may claim any year to 9999; a zip entry holds 1980 to 2107 only.
    manifest.started_at = manifest.started_at.replace(year=year, month=6, day=15)
    manifest.finished_at = manifest.started_at + timedelta(seconds=5)
    for capture in manifest.captures:  # nothing may claim to end before the run began
        capture.started_at, capture.finished_at = manifest.started_at, manifest.finished_at
    writer = BundleWriter(root)
    writer.write_manifest(manifest)
    writer.write_sums(manifest)
    result = CliRunner().invoke(main, ["pack", str(root)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(tmp_path / "case.zip") as archive:
        assert {info.date_time for info in archive.infolist()} == {stamped}
    assert verify(tmp_path / "case.zip").verdict == "INTACT"


# --- the upload folder (--max-mb) ----------------------------------------------------------


def sized_bundle(root: Path, shots: list[int], trace: int = 0, seed: int = 1) -> Path:
    """A complete bundle of one capture per screenshot of the given sizes (incompressible
    bytes, stored as they are), plus a trace.zip of `trace` bytes when asked."""
    rng = random.Random(seed)
    writer = BundleWriter.create(root)
    t0 = utc_now()
    manifest = Manifest(tool=Tool(version="0.1.0"), status="complete", started_at=t0,
                        finished_at=t0 + timedelta(seconds=5), environment=fake_environment())
    for index, size in enumerate(shots, 1):
        capture = Capture(index=index, kind="page", requested_url=f"http://127.0.0.1/{index}", started_at=t0)
        capture.artifacts.append(writer.write_artifact(
            f"captures/{index:02d}-page/screenshot.png", b"\x89PNG\r\n\x1a\n" + rng.randbytes(size),
            "screenshot", "image/png"))
        capture.artifacts.append(writer.write_artifact(
            f"captures/{index:02d}-page/text.txt", f"页面 {index}\n".encode() * 200, "text", "text/plain"))
        manifest.captures.append(capture)
    if trace:
        manifest.artifacts.append(writer.write_artifact("trace.zip", rng.randbytes(trace), "trace",
                                                        "application/zip"))
    writer.write_manifest(manifest)
    writer.write_sums(manifest)
    return Path(root)


def _pack(root: Path, out: Path, max_mb: str = "1") -> str:
    result = CliRunner().invoke(main, ["pack", str(root), "--max-mb", max_mb, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return result.output


def _parts(out: Path) -> list[Path]:
    return sorted(out.glob("*.part*.zip"), key=lambda p: int(p.stem.rsplit("part", 1)[1]))


def test_upload_folder_files_each_fit_and_the_parts_verify_as_the_bundle(tmp_path):
    root = sized_bundle(tmp_path / "case", [330_000] * 9)
    fingerprint = sha256_hex((root / "manifest.json").read_bytes())
    output = _pack(root, tmp_path / "upload")
    out = tmp_path / "upload"
    parts = _parts(out)
    assert len(parts) >= 3 and {p.name for p in out.iterdir()} == {p.name for p in parts} | {"README.txt"}
    assert all(p.stat().st_size <= 1 * MB for p in out.iterdir())
    assert fingerprint in output and "OVER THE LIMIT" not in output
    # Each part an ordinary complete zip; together every bundle file, byte for byte, once.
    held = {}
    for part in parts:
        assert part.read_bytes()[:4] == b"PK\x03\x04"
        with zipfile.ZipFile(part) as archive:
            assert archive.testzip() is None
            for name in archive.namelist():
                assert name not in held
                held[name] = archive.read(name)
    assert sorted(held) == bundle_files(root)
    assert all(held[name] == (root / name).read_bytes() for name in held)
    report = verify(parts, expect=fingerprint)
    assert report.verdict == "INTACT", report.model_dump_json(indent=2)
    assert [(p.part, p.of, p.status) for p in report.parts] == [(k, len(parts), "ok") for k in range(1, len(parts) + 1)]
    checked = CliRunner().invoke(main, ["verify", *map(str, reversed(parts)), "--expect", fingerprint])
    assert checked.exit_code == 0 and checked.output.strip().splitlines()[-1].startswith("INTACT")


def test_parts_unzipped_into_one_folder_are_the_bundle_for_sha256sum(tmp_path):
    root = sized_bundle(tmp_path / "case", [330_000] * 6)
    _pack(root, tmp_path / "upload")
    folder = tmp_path / "unzipped"
    for part in _parts(tmp_path / "upload"):
        with zipfile.ZipFile(part) as archive:
            archive.extractall(folder)
    assert bundle_files(folder) == bundle_files(root)  # no record file, nothing extra
    sums = subprocess.run(["sha256sum", "-c", "SHA256SUMS"], cwd=folder, capture_output=True, text=True)
    assert sums.returncode == 0, sums.stdout + sums.stderr
    assert verify(folder).verdict == "INTACT"


def test_a_missing_part_is_named_and_the_rest_do_not_verify(tmp_path):
    root = sized_bundle(tmp_path / "case", [330_000] * 9)
    _pack(root, tmp_path / "upload")
    parts = _parts(tmp_path / "upload")
    given = [p for p in parts if p.name != "case.part2.zip"]
    result = CliRunner().invoke(main, ["verify", *map(str, given)])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[-1].startswith(f"ALTERED: part 2 of {len(parts)} is missing (case.part2.zip)")
    assert f"PROBLEM    part 2 of {len(parts)} is missing (case.part2.zip" in result.output
    with zipfile.ZipFile(parts[1]) as archive:
        inside = archive.namelist()
    for name in inside:  # its files are named as in the part that was not given
        assert f"MISSING    {name}: listed in manifest.json but not in the bundle (it is in case.part2.zip" \
            in result.output


def test_a_part_given_twice_or_from_another_bundle_is_reported(tmp_path):
    root = sized_bundle(tmp_path / "case", [330_000] * 6)
    _pack(root, tmp_path / "upload")
    parts = _parts(tmp_path / "upload")
    copy = tmp_path / "again.zip"
    shutil.copyfile(parts[0], copy)
    twice = verify([*parts, copy])
    assert twice.verdict == "INVALID"
    assert f"part 1 of {len(parts)} is given twice (case.part1.zip and again.zip); only case.part1.zip was read" \
        in twice.problems
    assert [p.status for p in twice.parts if p.path == "again.zip"] == ["duplicate"]

    other = sized_bundle(tmp_path / "other", [330_000] * 6, seed=2)
    _pack(other, tmp_path / "other-upload")
    stranger = _parts(tmp_path / "other-upload")[1]
    mixed = verify([*parts, stranger])
    fingerprint = sha256_hex((other / "manifest.json").read_bytes())
    assert mixed.verdict == "INVALID"
    assert any(p.startswith(f"other.part2.zip is part 2 of {len(parts)} of another bundle (fingerprint {fingerprint})")
               for p in mixed.problems)
    plain = verify([*parts, pack(other, tmp_path / "plain.zip")])
    assert plain.verdict == "INVALID" and any("plain.zip is not a part written by evidence pack" in p
                                              for p in plain.problems)


def test_a_file_over_the_limit_gets_a_part_of_its_own_and_a_plain_note(tmp_path):
    root = sized_bundle(tmp_path / "case", [330_000] * 4, trace=1_300_000)
    output = _pack(root, tmp_path / "upload")
    parts = _parts(tmp_path / "upload")
    alone = [p for p in parts if zipfile.ZipFile(p).namelist() == ["trace.zip"]]
    assert len(alone) == 1 and alone[0].stat().st_size > 1 * MB
    assert all(p.stat().st_size <= 1 * MB for p in parts if p not in alone)
    assert f"NOTE: {alone[0].name} is {alone[0].stat().st_size:,} bytes, over the 1,000,000-byte limit" in output
    readme = (tmp_path / "upload/README.txt").read_text(encoding="utf-8")
    assert f"{alone[0].name}  {alone[0].stat().st_size:,} bytes  超出限制 OVER THE LIMIT" in readme
    assert "It holds only trace.zip, which is larger than the limit by itself" in readme
    assert verify(parts).verdict == "INTACT"


def test_upload_readme_says_what_to_upload_first_the_fingerprint_and_how_staff_check(tmp_path):
    root = sized_bundle(tmp_path / "case", [330_000] * 6)
    fingerprint = sha256_hex((root / "manifest.json").read_bytes())
    _pack(root, tmp_path / "upload")
    names = [p.name for p in _parts(tmp_path / "upload")]
    readme = (tmp_path / "upload/README.txt").read_bytes()
    assert b"\r\n" in readme  # opens as lines in any Windows editor
    text = readme.decode("utf-8")
    assert f"指纹 Fingerprint (SHA-256 of manifest.json): {fingerprint}" in text
    assert "上传顺序 Upload in this order:" in text and ", ".join(names) in text
    assert "evidence verify " + " ".join(names) + f" --expect {fingerprint}" in text
    assert "sha256sum -c SHA256SUMS" in text and "sha256sum manifest.json" in text
    assert "The PDF is a reading copy" in text and "PDF 是阅读副本" in text
    assert "the bundle has no report.pdf" not in text  # said on the console only


def test_upload_folder_is_never_written_over_and_defaults_beside_the_bundle(tmp_path):
    root = sized_bundle(tmp_path / "case", [1000])
    taken = tmp_path / "taken"
    taken.mkdir()
    (taken / "mine.txt").write_text("keep me")
    refused = CliRunner().invoke(main, ["pack", str(root), "--max-mb", "2", "-o", str(taken)])
    assert refused.exit_code == 2 and "already exists and is not empty" in refused.output
    assert [p.name for p in taken.iterdir()] == ["mine.txt"]
    done = CliRunner().invoke(main, ["pack", str(root), "--max-mb"])  # the value defaults to 10
    assert done.exit_code == 0, done.output
    assert "at most 10 MB" in done.output
    assert sorted(p.name for p in (tmp_path / "case-upload").iterdir()) == ["README.txt", "case.zip"]
    assert verify(tmp_path / "case-upload/case.zip").verdict == "INTACT"
    again = CliRunner().invoke(main, ["pack", str(root), "--max-mb", "10"])
    assert again.exit_code == 2 and "case-upload already exists" in again.output


def test_a_max_mb_under_one_is_refused(tmp_path):
    root = sized_bundle(tmp_path / "case", [1000])
    result = CliRunner().invoke(main, ["pack", str(root), "--max-mb", "0.5"])
    assert result.exit_code == 2 and not (tmp_path / "case-upload").exists()


def test_verify_json_of_parts_follows_the_schema(tmp_path):
    root = sized_bundle(tmp_path / "case", [330_000] * 6)
    _pack(root, tmp_path / "upload")
    parts = _parts(tmp_path / "upload")
    result = CliRunner().invoke(main, ["verify", "--json", *map(str, parts[1:])])
    assert result.exit_code == 1
    report = json.loads(result.output)
    assert _validate(report, "verification-report.schema.json") == []
    assert {"path": "case.part1.zip", "part": 1, "of": len(parts), "status": "missing",
            "files": len(zipfile.ZipFile(parts[0]).namelist()), "detail": "not given"} in report["parts"]


# --- partition and part records, without a bundle ----------------------------------------------


def test_partition_fills_parts_largest_first_and_keeps_manifest_and_sums_in_part_one():
    costs = {"manifest.json": 10, "SHA256SUMS": 10, "a": 60, "b": 50, "c": 40, "d": 30, "huge": 500}
    parts = partition(costs, 100)
    assert set(parts[0]) >= {"SHA256SUMS", "manifest.json"}
    assert parts[-1] == ["huge"]  # alone, last
    assert sorted(name for part in parts for name in part) == sorted(costs)
    assert all(sum(costs[n] for n in part) <= 100 for part in parts[:-1])


def test_a_part_record_round_trips_and_drops_file_lists_that_do_not_fit():
    infos = [PartInfo(f"case.part{k}.zip", 2, [f"captures/{k}/a.png", f"captures/{k}/b.png"]) for k in (1, 2)]
    record = PartRecord("ab" * 32, 2, infos)
    again = parse(encode(record, "evidence verify case.part1.zip case.part2.zip"))
    assert again == record
    many = [PartInfo(f"case.part{k}.zip", 300, [f"captures/{k:03d}/{i:04d}-{'x' * 100}.png" for i in range(300)])
            for k in range(1, 4)]
    comment = encode(PartRecord("cd" * 32, 1, many), "evidence verify ...")
    assert len(comment) <= 65_535
    assert [p.files for p in parse(comment).parts] == [None, None, None]
    assert parse(b"a comment some other tool wrote") is None
