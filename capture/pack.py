"""`evidence pack`: the bundle as one zip, or as an upload folder that fits a complaint form.

Zip layout (decided here, read by verify): every bundle file at the zip's top level
under its bundle-relative path with forward slashes (manifest.json, SHA256SUMS,
captures/01-order/screenshot.png, ...), no enclosing folder, no directory entries,
sorted by name, every entry stamped with the capture's start time, so packing the same
bundle twice gives the same bytes. PNG, PDF, zip and other already-compressed files are
stored; the rest is deflated.

Upload folder (`--max-mb N`): every file at most N MB (N x 1,000,000 bytes, so the limit
holds whichever megabyte a form means) and of a kind forms take (PDF, ZIP, TXT):
- report.pdf, the sealed report byte for byte (or, when it alone is over the limit, the
  sealed report.html printed again in parts report-1.pdf ..., each saying which part);
- the bundle as NAME.zip, or as NAME.part1.zip ... when it does not fit in one: each an
  ordinary complete zip, together holding every file exactly as sealed, each naming in
  its zip comment which part it is (capture/parts.py); a file over the limit by itself
  gets a part of its own, which is then over the limit too, and says so;
- README.txt (zh + en): what to upload first, the fingerprint, how staff check it.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from .bundle import MANIFEST, SUMS
from .errors import EvidenceError, UsageError
from .manifest import Manifest
from .messages import t
from .parts import MAX_COMMENT, MAX_PARTS, PartInfo, PartRecord
from .parts import encode as encode_part_record

STORED_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".gif", ".pdf", ".zip", ".gz", ".br", ".zst"}
MB = 1_000_000
MIN_MB = 1.0
DEFAULT_MB = 10.0
_COPY_BLOCK = 1 << 20
# Bytes a zip spends on an entry besides its data and (twice) its name: local header,
# central directory record, and room for zip64 fields.
_ENTRY_OVERHEAD = 30 + 46 + 64
_END_RECORD = 22
_SLACK = 4096
README = "README.txt"


# --- zip -------------------------------------------------------------------------------


def _bundle_files(root: Path) -> list[str]:
    """Every file of the bundle as a relative posix path, refusing anything but files."""
    names = []
    # Bounded by what is on disk; os.walk does not follow directory symlinks.
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        for name in sorted(dirs + files):
            path = here / name
            mode = path.lstat().st_mode
            rel = path.relative_to(root).as_posix()
            if stat.S_ISLNK(mode):
                raise UsageError(t("pack.symlink", rel=rel))
            if stat.S_ISREG(mode):
                names.append(rel)
            elif not stat.S_ISDIR(mode):
                raise UsageError(t("pack.not_regular", rel=rel))
    return sorted(names)


# What a zip entry's DOS time can hold; a manifest may claim any year up to 9999.
ZIP_EARLIEST = (1980, 1, 1, 0, 0, 0)
ZIP_LATEST = (2107, 12, 31, 23, 59, 58)  # two-second resolution


def _zip_time(root: Path) -> tuple[int, int, int, int, int, int]:
    try:
        started = Manifest.model_validate_json((root / MANIFEST).read_bytes()).started_at
    except (OSError, ValueError):
        return ZIP_EARLIEST
    when = (started.year, started.month, started.day, started.hour, started.minute, started.second)
    return min(max(when, ZIP_EARLIEST), ZIP_LATEST)


def _check_bundle(root: Path) -> None:
    if root.is_file() and root.suffix.lower() == ".zip":
        raise UsageError(t("pack.already_zip", root=root))
    if not root.is_dir() or not (root / MANIFEST).is_file():
        raise UsageError(t("pack.not_bundle", root=root, manifest=MANIFEST))


def default_zip(root: Path) -> Path:
    root = Path(root).resolve()
    return root.with_name(root.name + ".zip")


def default_upload_dir(root: Path) -> Path:
    root = Path(root).resolve()
    return root.with_name(root.name + "-upload")


def _stored(name: str) -> bool:
    return Path(name).suffix.lower() in STORED_SUFFIXES


def _write_zip(root: Path, names: list[str], dest: Path, when, comment: bytes = b"") -> None:
    with zipfile.ZipFile(dest, "w", allowZip64=True) as archive:
        archive.comment = comment
        for name in names:
            info = zipfile.ZipInfo(name, date_time=when)
            info.create_system = 3  # unix, whatever packs it: same bundle, same bytes
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            info.compress_type = zipfile.ZIP_STORED if _stored(name) else zipfile.ZIP_DEFLATED
            source = root.joinpath(*name.split("/"))
            info.file_size = source.stat().st_size
            with open(source, "rb") as src, archive.open(info, "w") as dst:
                for block in iter(lambda: src.read(_COPY_BLOCK), b""):
                    dst.write(block)
    with open(dest, "rb") as handle:
        os.fsync(handle.fileno())


def pack(root: Path, out: Path | None = None) -> Path:
    """Write the bundle at `root` as a zip (default: `<root>.zip` beside it); returns its path."""
    root = Path(root)
    _check_bundle(root)
    out = Path(out) if out is not None else default_zip(root)
    if out.exists():
        raise UsageError(t("pack.exists", out=out))
    if out.resolve().is_relative_to(root.resolve()):
        raise UsageError(t("pack.zip_inside", out=out))
    if not out.parent.is_dir():
        raise UsageError(t("path.not_a_dir", path=out.parent))
    names = _bundle_files(root)
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        _write_zip(root, names, tmp, _zip_time(root))
        if out.exists():  # appeared while we were writing: still never overwrite
            raise UsageError(t("pack.exists", out=out))
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def pack_zip(root: Path, out: Path | None = None) -> tuple[Path, str]:
    """`evidence pack BUNDLE`: refuse a bundle that does not verify, then zip it; (zip, fingerprint)."""
    from .verify import require_intact

    root = Path(root)
    _check_bundle(root)
    zip_path = Path(out) if out is not None else default_zip(root)
    if zip_path.exists():
        raise UsageError(t("pack.exists", out=zip_path))
    checked = require_intact(root, "pack it")
    return pack(root, zip_path), checked.fingerprint


# --- parts -----------------------------------------------------------------------------


def _data_size(path: Path, stored: bool) -> int:
    """Bytes the file takes inside a zip: as is, or deflated exactly as zipfile will."""
    if stored:
        return path.stat().st_size
    squeeze = zlib.compressobj(zlib.Z_DEFAULT_COMPRESSION, zlib.DEFLATED, -15)
    total = 0
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(_COPY_BLOCK), b""):
            total += len(squeeze.compress(block))
    return total + len(squeeze.flush())


def _costs(root: Path, names: list[str]) -> dict[str, int]:
    return {
        name: _ENTRY_OVERHEAD + 2 * len(name.encode("utf-8"))
        + _data_size(root.joinpath(*name.split("/")), _stored(name))
        for name in names
    }


def partition(costs: dict[str, int], capacity: int) -> list[list[str]]:
    """Bundle files into parts of at most `capacity` bytes each: manifest.json and
    SHA256SUMS open part 1, then the largest first into the first part with room; a file
    too large for any part gets one of its own (placed last)."""
    first = [name for name in (MANIFEST, SUMS) if name in costs]
    parts, room, alone = [first], [capacity - sum(costs[n] for n in first)], []
    for name in sorted(set(costs) - set(first), key=lambda n: (-costs[n], n)):
        if costs[name] > capacity:
            alone.append([name])
            continue
        for i, left in enumerate(room):
            if costs[name] <= left:
                parts[i].append(name)
                room[i] -= costs[name]
                break
        else:
            parts.append([name])
            room.append(capacity - costs[name])
    return [sorted(part) for part in parts if part] + sorted(alone)


def part_names(stem: str, count: int) -> list[str]:
    return [f"{stem}.zip"] if count == 1 else [f"{stem}.part{k}.zip" for k in range(1, count + 1)]


def verify_command(names: list[str], fingerprint: str | None = None) -> str:
    shown = names if len(names) <= 4 else [names[0], names[1], "...", names[-1]]
    expect = f" --expect {fingerprint}" if fingerprint else " --expect FINGERPRINT"
    return "evidence verify " + " ".join(shown) + expect


def _write_parts(root: Path, groups: list[list[str]], stem: str, fingerprint: str, folder: Path) -> list[Path]:
    names = part_names(stem, len(groups))
    infos = [PartInfo(name, len(group), group) for name, group in zip(names, groups)]
    when = _zip_time(root)
    written = []
    for number, (name, group) in enumerate(zip(names, groups), 1):
        comment = encode_part_record(PartRecord(fingerprint, number, infos), verify_command(names))
        _write_zip(root, group, folder / name, when, comment)
        written.append(folder / name)
    return written


def _comment_reserve(names: list[str]) -> int:
    """Room for the part record in each zip: every file name once, and a line per part."""
    listed = sum(len(json.dumps(name)) + 1 for name in names)
    return min(MAX_COMMENT, 600 + listed + 120 * (len(names) + 1))


# --- the upload folder -------------------------------------------------------------------


@dataclass
class UploadFile:
    name: str
    size: int
    what: str  # "report", "report_part", "zip", "part", "readme"
    holds: list[str] = field(default_factory=list)  # bundle files, for zips
    over_limit: bool = False
    pages: tuple[int, int] | None = None  # report parts: the report's pages it holds


@dataclass
class Upload:
    folder: Path
    bundle: str
    fingerprint: str
    limit: int
    files: list[UploadFile] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def zips(self) -> list[UploadFile]:
        return [f for f in self.files if f.what in ("zip", "part")]

    def summary_lines(self) -> list[str]:
        over = any(f.over_limit for f in self.files)
        lines = [t("pack.wrote_folder", folder=self.folder, mb=self.limit / MB, limit=self.limit,
                   extra=t("pack.except_noted") if over else "")]
        for item in self.files:
            flag = t("pack.over_limit") if item.over_limit else ""
            lines.append(t("pack.file_line", name=item.name, size=item.size, flag=flag))
        lines.extend(self.notes)
        reports = [f.name for f in self.files if f.what in ("report", "report_part")]
        lines.append(t("pack.upload_first", reports=" ".join(reports)) if reports else t("pack.upload_zips"))
        lines.append(t("run.fingerprint", fingerprint=self.fingerprint))
        lines.append(t("pack.staff", command=verify_command([f.name for f in self.zips], self.fingerprint)))
        return lines


def _check_out_dir(out_dir: Path, root: Path) -> None:
    if out_dir.exists() and (not out_dir.is_dir() or any(out_dir.iterdir())):
        raise UsageError(t("pack.folder_not_empty", out=out_dir))
    if out_dir.resolve().is_relative_to(root.resolve()):
        raise UsageError(t("pack.folder_inside", out=out_dir))
    if not out_dir.parent.is_dir():
        raise UsageError(t("path.not_a_dir", path=out_dir.parent))


def pack_upload(root: Path, max_mb: float = DEFAULT_MB, out_dir: Path | None = None,
                browser_settings=None) -> Upload:
    """`evidence pack BUNDLE --max-mb N`: refuse a bundle that does not verify, then write
    the upload folder (never over anything), check it with verify, and return what it holds."""
    from .verify import require_intact

    root = Path(root)
    _check_bundle(root)
    if not max_mb >= MIN_MB:
        raise UsageError(t("pack.min_mb", min=MIN_MB))
    limit = int(max_mb * MB)
    out_dir = Path(out_dir) if out_dir is not None else default_upload_dir(root)
    _check_out_dir(out_dir, root)
    fingerprint = require_intact(root, "pack it").fingerprint
    upload = Upload(out_dir, root.resolve().name, fingerprint, limit)
    try:
        # Written beside its final name, then renamed: no half-made upload folder, ever.
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".tmp", dir=out_dir.parent))
    except OSError as exc:
        raise UsageError(t("path.cannot_write", path=out_dir.parent, reason=exc.strerror)) from None
    try:
        _fill(root, upload, tmp, browser_settings)
        _self_check(tmp, upload)
        if out_dir.exists():
            out_dir.rmdir()  # empty (checked above); fails rather than overwrite if it filled up
        os.rename(tmp, out_dir)
    except OSError as exc:
        raise EvidenceError(t("pack.write_failed", out=out_dir, reason=exc.strerror or exc)) from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return upload


def _fill(root: Path, upload: Upload, folder: Path, browser_settings) -> None:
    _add_report(root, upload, folder, browser_settings)
    groups, paths = _bundle_parts(root, upload, folder)
    for path, group in zip(paths, groups):
        size = path.stat().st_size
        item = UploadFile(path.name, size, "zip" if len(groups) == 1 else "part", group, size > upload.limit)
        upload.files.append(item)
        if item.over_limit:
            upload.notes.append(t("pack.note_over", name=path.name, size=size, limit=upload.limit,
                                  held=", ".join(group)))
    text = readme_text(upload)
    (folder / README).write_text(text, encoding="utf-8", newline="\r\n")
    upload.files.append(UploadFile(README, (folder / README).stat().st_size, "readme"))


def _bundle_parts(root: Path, upload: Upload, folder: Path) -> tuple[list[list[str]], list[Path]]:
    """The bundle as zips of at most the limit each (a file larger than it alone in one)."""
    names = _bundle_files(root)
    costs = _costs(root, names)
    capacity = upload.limit - _END_RECORD - _comment_reserve(names) - _SLACK
    for _ in range(3):
        groups = partition(costs, capacity)
        if len(groups) > MAX_PARTS:
            raise UsageError(t("pack.too_many_parts", count=len(groups), mb=upload.limit / MB, most=MAX_PARTS))
        paths = _write_parts(root, groups, upload.bundle, upload.fingerprint, folder)
        # The sizes above are exact but for zip64 fields; should a part still come out
        # over the limit, pack again with that much less room.
        over = max((p.stat().st_size - upload.limit for p, g in zip(paths, groups) if len(g) > 1), default=0)
        if over <= 0:
            return groups, paths
        for path in paths:
            path.unlink()
        capacity -= over + _SLACK
    raise EvidenceError(t("pack.cannot_fit"))


def _add_report(root: Path, upload: Upload, folder: Path, browser_settings) -> None:
    sealed = root / "report.pdf"
    if not sealed.is_file():
        upload.notes.append(t("pack.note_no_report"))
        return
    if sealed.stat().st_size <= upload.limit:
        shutil.copyfile(sealed, folder / "report.pdf")
        upload.files.append(UploadFile("report.pdf", sealed.stat().st_size, "report"))
        return
    from .report import print_report_parts

    pieces = print_report_parts(root, upload.fingerprint, upload.limit, folder,
                                browser_settings=browser_settings)
    for path, pages in pieces:
        size = path.stat().st_size
        upload.files.append(UploadFile(path.name, size, "report_part", over_limit=size > upload.limit,
                                       pages=pages))
        if size > upload.limit:
            upload.notes.append(t("pack.note_page_over", name=path.name, size=size))


def _self_check(folder: Path, upload: Upload) -> None:
    """What staff will run, run here first: the parts must verify as the bundle."""
    from .verify import verify

    report = verify([folder / item.name for item in upload.zips], expect=upload.fingerprint)
    if report.verdict != "INTACT":
        problem = (report.problems or [f.detail for f in report.files] or ["?"])[0]
        raise EvidenceError(t("pack.self_check", verdict=report.verdict, problem=problem))


# --- README.txt --------------------------------------------------------------------------


def readme_text(upload: Upload) -> str:
    """What the buyer uploads and what staff do with it, in Chinese and English."""
    zips = [f.name for f in upload.zips]
    reports = [f.name for f in upload.files if f.what in ("report", "report_part")]
    mb = f"{upload.limit / MB:g} MB ({upload.limit:,} bytes)"
    lines = [
        "电子证据上传包 / Evidence upload package",
        "=" * 44,
        f"证据包 Bundle: {upload.bundle}",
        f"指纹 Fingerprint (SHA-256 of manifest.json): {upload.fingerprint}",
        f"每个文件最多 Each file at most: {mb}" + ("，注明的除外 / except as noted below" if any(
            f.over_limit for f in upload.files) else ""),
        "",
        "请在投诉文字中引用上面的指纹。/ Quote the fingerprint above in the complaint text.",
        "",
        "上传顺序 Upload in this order:",
    ]
    step = 1
    if reports:
        lines.append(f"  {step}. {', '.join(reports)}")
        lines.append("     阅读用报告（PDF）：调解人员先看这个。/ The report to read (PDF): what a mediator reads first.")
        step += 1
    lines.append(f"  {step}. {', '.join(zips)}")
    lines.append("     证据包本身（原始 PNG 截图、网页、聊天记录、网络日志、manifest.json）；所有 zip 都要上传。"
                 if len(zips) > 1 else "     证据包本身（原始 PNG 截图、网页、聊天记录、网络日志、manifest.json）。")
    lines.append("     The evidence bundle itself (original PNG screenshots, pages, chat, network log, "
                 "manifest.json)" + ("; upload every zip." if len(zips) > 1 else "."))
    lines.append(f"  {step + 1}. {README}（可选 optional）: 本说明 / this note")
    lines += ["", "文件 Files:"] + _file_lines(upload) + [""] + _staff_lines(upload, zips)
    return "\n".join(lines) + "\n"


def _file_lines(upload: Upload) -> list[str]:
    lines = []
    parts = sum(1 for f in upload.files if f.what == "report_part")
    for number, item in enumerate((f for f in upload.files if f.what != "readme"), 1):
        over = "  超出限制 OVER THE LIMIT" if item.over_limit else ""
        lines.append(f"  {item.name}  {item.size:,} bytes{over}")
        if item.what == "report":
            lines.append("     封存的报告，与证据包中的 report.pdf 逐字节相同 / the sealed report, byte for byte "
                         "the bundle's report.pdf")
        elif item.what == "report_part":
            first, last = item.pages or (0, 0)
            lines.append(f"     报告第 {number}/{parts} 部分，第 {first}–{last} 页：封存的 report.html 为上传重新打印"
                         f"（整份太大）/ report part {number} of {parts}, pages {first}–{last}: the sealed "
                         "report.html printed again for upload (the whole is too large); the sealed "
                         "report.pdf is in the zips")
        else:
            shown = ", ".join(item.holds[:4]) + (f" … (+{len(item.holds) - 4})" if len(item.holds) > 4 else "")
            lines.append(f"     {len(item.holds)} 个文件 files: {shown}")
        if item.over_limit:
            lines.append(_over_limit_note(item))
    return lines


def _over_limit_note(item: UploadFile) -> str:
    if item.what == "report_part":
        return ("     这一页本身就超过限制。/ One page of the report is larger than the limit by itself.")
    held = ", ".join(item.holds)
    return (f"     只含 {held}：它本身就超过限制。请上传到接受大文件的地方，或按要求另行提供；核验需要它。\n"
            f"     It holds only {held}, which is larger than the limit by itself. Upload it where large "
            "files are accepted, or send it on request: verify needs it.")


def _staff_lines(upload: Upload, zips: list[str]) -> list[str]:
    together = "所有 zip 一起 all zips together" if len(zips) > 1 else "zip"
    return [
        "工作人员如何核验 How staff check the evidence:",
        f"  1. 安装 evidence-capture 后运行（{together}）/ With evidence-capture installed, run:",
        "       evidence verify " + " ".join(zips) + f" --expect {upload.fingerprint}",
        "     结果应为 INTACT；缺少某一部分时会指明。/ It must print INTACT; a missing part is named.",
        "  2. 或者：把所有 zip 解压到同一个文件夹，在其中运行 / Or: unzip every zip into one folder, and in it run:",
        "       sha256sum -c SHA256SUMS",
        "     每行都应为 OK / every line must say OK; then",
        "       sha256sum manifest.json",
        "     应显示上面的指纹 / must show the fingerprint above.",
        "  PDF 是阅读副本（其中图片为 JPEG）；证据是 zip 中的原始 PNG 和其他文件。",
        "  The PDF is a reading copy (its images are JPEG); the evidence is the original PNGs and other",
        "  files in the zips.",
        "  每个 zip 的注释写明它是第几部分 / Each zip's comment says which part it is.",
    ]
