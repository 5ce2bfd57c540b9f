"""The part record: which part of which bundle an `evidence pack --max-mb` zip is.

Each part is a complete, ordinary zip. Its record lives in the zip's archive comment,
not in a file, so unzipping every part into one folder gives back exactly the bundle
(`sha256sum -c SHA256SUMS` and `evidence verify FOLDER` see nothing extra), and `unzip`
prints the first line for a person:

    evidence-capture: part 2 of 3 of bundle NAME, fingerprint 0a30...; check with: evidence verify ...
    {"format": "evidence-capture part", "version": 1, "fingerprint": "...", "part": 2,
     "parts": [{"name": "NAME.part1.zip", "count": 20, "files": ["SHA256SUMS", ...]}, ...]}

(the JSON on one line). Every part carries the whole list, so a verifier holding some
parts can name the missing ones and the files they hold. The writer (pack.py) and the
hostile reader (verify.py) both use this module; standard library only.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from .bundlepath import UnsafePath, bundle_path

FORMAT = "evidence-capture part"
VERSION = 1
MAX_COMMENT = 65_535  # what a zip's end record can hold
MAX_PARTS = 999
MAX_NAME_CHARS = 255
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")
_HEAD = "evidence-capture: part "


class PartRecordError(ValueError):
    """A comment that claims to be a part record but is not a valid one; str() says why."""


@dataclass
class PartInfo:
    name: str
    count: int
    files: list[str] | None = None  # None when the lists did not fit in the comment


@dataclass
class PartRecord:
    fingerprint: str
    part: int  # 1-based
    parts: list[PartInfo] = field(default_factory=list)

    @property
    def of(self) -> int:
        return len(self.parts)

    @property
    def layout(self) -> tuple:
        """What two parts of the same packing agree on."""
        return self.fingerprint, tuple((p.name, p.count, tuple(p.files or ())) for p in self.parts)


def _json(record: PartRecord, with_files: bool) -> str:
    parts = []
    for info in record.parts:
        entry: dict = {"name": info.name, "count": info.count}
        if with_files and info.files is not None:
            entry["files"] = info.files
        parts.append(entry)
    body = {"format": FORMAT, "version": VERSION, "fingerprint": record.fingerprint,
            "part": record.part, "parts": parts}
    return json.dumps(body, ensure_ascii=True, separators=(",", ":"))


def encode(record: PartRecord, verify_hint: str) -> bytes:
    """The archive comment for one part; file lists are left out if they do not fit."""
    head = (f"{_HEAD}{record.part} of {record.of}, fingerprint {record.fingerprint}; "
            f"check with: {verify_hint}")
    head = head.encode("ascii", "replace").decode("ascii")
    for with_files in (True, False):
        text = head + "\n" + _json(record, with_files)
        if len(text) <= MAX_COMMENT:
            return text.encode("ascii")
    raise ValueError("too many parts to describe in a zip comment")


def parse(comment: bytes) -> PartRecord | None:
    """The record in a zip comment; None when the comment is not one; PartRecordError when
    it claims to be one and is malformed."""
    if not comment.startswith(_HEAD.encode()):
        return None
    if len(comment) > MAX_COMMENT:
        raise PartRecordError("its part record is longer than a zip comment can be")
    _, _, body = comment.partition(b"\n")
    try:
        data = json.loads(body.decode("ascii"))
    except (UnicodeDecodeError, RecursionError, ValueError):
        raise PartRecordError("its part record is not valid JSON") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("version") != VERSION:
        raise PartRecordError("its part record is not one this version of evidence-capture reads")
    fingerprint, part, parts = data.get("fingerprint"), data.get("part"), data.get("parts")
    if not isinstance(fingerprint, str) or not _FINGERPRINT.fullmatch(fingerprint):
        raise PartRecordError("its part record has no valid fingerprint")
    if not isinstance(parts, list) or not 1 <= len(parts) <= MAX_PARTS:
        raise PartRecordError(f"its part record must list 1 to {MAX_PARTS} parts")
    if type(part) is not int or not 1 <= part <= len(parts):
        raise PartRecordError("its part record gives no valid part number")
    return PartRecord(fingerprint, part, [_part_info(entry) for entry in parts])


def _part_info(entry) -> PartInfo:
    if not isinstance(entry, dict):
        raise PartRecordError("its part record lists a part that is not an object")
    name, count, files = entry.get("name"), entry.get("count"), entry.get("files")
    if not isinstance(name, str) or not 0 < len(name) <= MAX_NAME_CHARS or not name.isprintable():
        raise PartRecordError("its part record lists a part without a valid name")
    if type(count) is not int or count < 0:
        raise PartRecordError(f"its part record gives part {name!r} no valid file count")
    if files is None:
        return PartInfo(name, count)
    if not isinstance(files, list) or len(files) != count or not all(isinstance(f, str) for f in files):
        raise PartRecordError(f"its part record's file list for {name!r} does not match its count")
    for rel in files:
        try:
            bundle_path(rel)
        except UnsafePath:
            raise PartRecordError(f"its part record lists an unsafe path for {name!r}") from None
    return PartInfo(name, count, list(files))


# --- a verifier's view of the parts it was given ------------------------------------------


@dataclass
class PartsSorted:
    """Which given parts to read, and what to say about the others."""

    reference: PartRecord | None = None
    chosen: dict[int, int] = field(default_factory=dict)  # part number -> index of the given file
    checks: list[dict] = field(default_factory=list)  # one per given file and per missing part
    problems: list[tuple[str, str]] = field(default_factory=list)  # (INVALID | ALTERED, text)


def sort_parts(given: list[tuple[str, PartRecord]]) -> PartsSorted:
    """Given (file name, record) in the order given: the packing most of them belong to
    (the first one's on a tie), one file per part of it, and the parts nobody gave."""
    out = PartsSorted()
    if not given:
        return out
    layouts = [record.layout for _, record in given]
    best = max(layouts, key=lambda layout: (layouts.count(layout), -layouts.index(layout)))
    out.reference = ref = given[layouts.index(best)][1]
    for index, (label, record) in enumerate(given):
        check = {"path": label, "part": record.part, "of": record.of,
                 "files": record.parts[record.part - 1].count}
        if record.layout != ref.layout:
            whose = ("another packing of this bundle (its list of parts differs)"
                     if record.fingerprint == ref.fingerprint
                     else f"another bundle (fingerprint {record.fingerprint})")
            check.update(status="foreign", detail=f"part of {whose}; not read")
            out.problems.append(("INVALID", f"{label} is part {record.part} of {record.of} of {whose}; not read"))
        elif record.part in out.chosen:
            first = given[out.chosen[record.part]][0]
            check.update(status="duplicate", detail=f"the same part as {first}; not read")
            out.problems.append(("INVALID", f"part {record.part} of {record.of} is given twice "
                                            f"({first} and {label}); only {first} was read"))
        else:
            out.chosen[record.part] = index
            check.update(status="ok", detail="")
        out.checks.append(check)
    for number, info in enumerate(ref.parts, 1):
        if number not in out.chosen:
            out.checks.append({"path": info.name, "part": number, "of": ref.of, "files": info.count,
                               "status": "missing", "detail": "not given"})
            out.problems.append(("ALTERED", f"part {number} of {ref.of} is missing ({info.name}, "
                                            f"{info.count} files): give every part of the bundle"))
    return out


def missing_part_of(reference: PartRecord, chosen: dict[int, int], rel: str) -> PartInfo | None:
    """The part, not given, that holds bundle file `rel` (when the lists are known)."""
    for number, info in enumerate(reference.parts, 1):
        if number not in chosen and info.files is not None and rel in info.files:
            return info
    return None
