"""Hostile reader: a bundle directory, its .zip or its .partK.zip files in, a
VerificationReport out.

Everything in the bundle is treated as written by an adversary: names are checked
before they are looked up, symlinks and special files are reported and never
opened, zips are read in place (never extracted) with their declared sizes
bounded, and every read is bounded. Only a path that is not a bundle at all is
a UsageError; every other problem becomes part of the verdict. The parts of an
`evidence pack --max-mb` upload are read as one bundle: the union of their entries,
each part's record (capture/parts.py) only naming the parts, never vouching for files.

Speed: the files are hashed in a thread pool (hashlib releases the GIL) that is
started before pydantic is imported, so model construction and manifest
validation overlap with the hashing. That is why capture.manifest and
capture.bundle (which pull in pydantic) are imported inside verify().
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
import unicodedata
from collections.abc import Sequence
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .bundlepath import UnsafePath, bundle_path
from .errors import UsageError
from .hashing import Hashing, above_standard, can_fork
from .messages import t
from .parts import MAX_PARTS, PartRecord, PartRecordError, PartsSorted, missing_part_of, sort_parts
from .parts import parse as parse_part_record
from .zipsource import EntryUnreadable, NotAZip, ZipEntry, ZipReader, ZipRefused

if TYPE_CHECKING:
    from .manifest import Manifest, VerificationReport

# The same names as capture.bundle.MANIFEST / SUMS (a test keeps them equal); not
# imported from there because bundle.py imports pydantic, see the module docstring.
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"

from .limits import (  # noqa: E402 - next to the names they replace
    MAX_DIR_DEPTH,
    MAX_ENTRIES,
    MAX_JSON_DEPTH,
    MAX_MANIFEST_BYTES,
    MAX_SUMS_BYTES,
    MAX_TOKEN_BYTES,
    MAX_ZIP_TOTAL_BYTES,
)
# Reads of 128 KiB: measured on 1 GiB, the copy out of the page cache costs half the
# system time of 1-4 MiB reads (the block stays in the core's L2 cache for the hash).
READ_BLOCK = 128 << 10
# Below this a bundle hashes in a few milliseconds: not worth a child process.
FORK_FROM_BYTES = 32 << 20

_SUMS_LINE = re.compile(r"([0-9a-f]{64}) ([ *])(.*)", re.DOTALL)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)
_DIR_FD = os.open in os.supports_dir_fd and bool(_O_NOFOLLOW)

INVALID, ALTERED = "INVALID", "ALTERED"
# BundleWriter's temporary names: ".NAME.PID.tmp" next to the file being written, and
# the names it writes that way (a crash leaves one of these behind, nothing else).
_WRITER_TMP = re.compile(r"(?:(?P<folder>[^/]+(?:/[^/]+)*)/)?\.(?P<name>[^/]+)\.[1-9][0-9]{0,9}\.tmp")
_WRITER_ROOT_FILE = re.compile(r"network(\.[0-9]+)?\.har|trace(-[0-9]+)?(\.[0-9]+)?\.zip|report\.(html|pdf)")
_WRITER_CAPTURE_DIR = re.compile(r"captures/[0-9]{2,}-(order|product|chat|page)")
_WRITER_CAPTURE_FILE = re.compile(
    r"(screenshot|page|text|transcript|chat-[0-9]{3,}|screenshot-[0-9]{3,}|segment-[0-9]{3,})"
    r"\.(png|jpg|html|mhtml|txt)"
)
_FINGERPRINT = re.compile(r"[0-9a-f]{64}")
_SEVERITY = {
    "ok": None,
    "unsealed": None,
    "ignored": None,
    "altered": ALTERED,
    "missing": ALTERED,
    "unexpected": ALTERED,
    "unsafe": INVALID,
    "unreadable": INVALID,
}


class _Unreadable(Exception):
    """A file in the bundle could not be read as what it claims to be."""


def shown(text: str, limit: int = 300) -> str:
    """A bundle-supplied string made safe to print: no control, format or surrogate characters."""
    out = []
    for ch in text[:limit]:
        if unicodedata.category(ch)[0] == "C":
            out.append(f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return "".join(out) + ("…" if len(text) > limit else "")


def check_path(text: str) -> str:
    """bundle_path() plus what only a reader meets: names that were not UTF-8."""
    bundle_path(text)
    if any(0xD800 <= ord(ch) <= 0xDFFF for ch in text):
        raise UnsafePath("name is not valid UTF-8")
    return text


def _fold(text: str) -> str:
    # Two names a case-insensitive or normalising file system would treat as one.
    return unicodedata.normalize("NFC", text).casefold()


# --- findings ----------------------------------------------------------------------------


@dataclass
class _Findings:
    files: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    severities: set[str] = field(default_factory=set)

    def file(self, path: str, status: str, detail: str, expected: str | None = None,
             actual: str | None = None) -> None:
        self.files.append(
            {"path": shown(path), "status": status, "detail": detail,
             "expected_sha256": expected, "actual_sha256": actual}
        )
        if _SEVERITY[status]:
            self.severities.add(_SEVERITY[status])

    def problem(self, severity: str, text: str) -> None:
        self.problems.append(text)
        self.severities.add(severity)

    def verdict(self) -> str:
        if INVALID in self.severities:
            return INVALID
        return ALTERED if ALTERED in self.severities else "INTACT"


# --- sources: a directory or a zip -------------------------------------------------------


@dataclass
class _Inventory:
    files: dict[str, int] = field(default_factory=dict)  # safe regular files -> size
    flagged: set[str] = field(default_factory=set)  # names already reported as unsafe


def _flagged_ancestor(rel: str, flagged: set[str]) -> str | None:
    parts = rel.split("/")
    for i in range(1, len(parts) + 1):
        prefix = "/".join(parts[:i])
        if prefix in flagged:
            return prefix
    return None


class _Reading:
    """read() and hash() for a source that knows how to _read_into(rel, sink, limit)."""

    def read(self, rel: str, limit: int) -> bytes:
        chunks: list[bytes] = []
        self._read_into(rel, lambda view: chunks.append(bytes(view)), limit)
        return b"".join(chunks)

    def hash(self, rel: str) -> tuple[int, str]:
        # Plain large reads, not mmap: a file truncated under a mapping kills the
        # process with SIGBUS, and reads measured as fast here.
        digest = hashlib.sha256()
        size = self._read_into(rel, digest.update, None)
        return size, digest.hexdigest()


class _DirSource(_Reading):
    def __init__(self, root: Path):
        self.root = root
        self._root_fd: int | None = None

    def __enter__(self):
        if _DIR_FD:
            self._root_fd = above_standard(os.open(self.root, os.O_RDONLY | _O_DIRECTORY))
        return self

    def __exit__(self, *exc):
        if self._root_fd is not None:
            os.close(self._root_fd)

    def has(self, name: str) -> bool:
        return os.path.lexists(self.root / name)

    def inventory(self, findings: _Findings) -> _Inventory | None:
        inv = _Inventory()
        stack: list[tuple[str, str, int]] = [(str(self.root), "", 0)]
        seen = 0
        while stack:
            real, prefix, depth = stack.pop()
            try:
                entries = list(os.scandir(real))
            except OSError as exc:
                findings.file(prefix.rstrip("/") or ".", "unreadable", f"cannot list: {exc.strerror}")
                continue
            for entry in entries:
                seen += 1
                if seen > MAX_ENTRIES:
                    findings.problem(INVALID, f"the bundle holds more than {MAX_ENTRIES} files; not checked")
                    return None
                rel = prefix + entry.name
                try:
                    check_path(rel)
                except UnsafePath as exc:
                    findings.file(rel, "unsafe", f"unsafe name ({exc}); not opened")
                    inv.flagged.add(rel)
                    continue
                try:
                    if entry.is_symlink():
                        findings.file(rel, "unsafe", "is a symbolic link; not followed")
                        inv.flagged.add(rel)
                    elif entry.is_dir(follow_symlinks=False):
                        if depth + 1 > MAX_DIR_DEPTH:
                            findings.file(rel, "unsafe", "directories nested too deeply; not opened")
                            inv.flagged.add(rel)
                        else:
                            stack.append((entry.path, rel + "/", depth + 1))
                    elif entry.is_file(follow_symlinks=False):
                        inv.files[rel] = entry.stat(follow_symlinks=False).st_size
                    else:
                        findings.file(rel, "unsafe", "is not a regular file (device, pipe or socket); not opened")
                        inv.flagged.add(rel)
                except OSError as exc:
                    findings.file(rel, "unreadable", f"cannot inspect: {exc.strerror}")
                    inv.flagged.add(rel)
        return inv

    def _open(self, rel: str) -> int:
        """Open rel for reading without following a symlink at any component."""
        flags = os.O_RDONLY | _O_NOFOLLOW | _O_NONBLOCK | _O_BINARY
        if not _DIR_FD:
            return os.open(self.root.joinpath(*rel.split("/")), flags)
        parts = rel.split("/")
        opened: list[int] = []
        try:
            fd = self._root_fd
            for part in parts[:-1]:
                fd = os.open(part, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW, dir_fd=fd)
                opened.append(fd)
            return os.open(parts[-1], flags, dir_fd=fd)
        finally:
            for fd in opened:
                os.close(fd)

    def _read_into(self, rel: str, sink, limit: int | None) -> int:
        try:
            fd = self._open(rel)
        except OSError as exc:
            raise _Unreadable(f"cannot open: {exc.strerror}") from None
        with open(fd, "rb", buffering=0) as handle:
            try:
                info = os.fstat(handle.fileno())
                if not stat.S_ISREG(info.st_mode):
                    raise _Unreadable("is not a regular file")
                if limit is not None and info.st_size > limit:
                    raise _Unreadable(f"is {info.st_size} bytes, more than the {limit} allowed")
                return _pump(handle.readinto, sink, limit, info.st_size)
            except OSError as exc:
                raise _Unreadable(f"cannot read: {exc.strerror}") from None



def _pump(readinto, sink, limit: int | None, size_hint: int) -> int:
    """Feed a file to sink in large blocks; refuse to go past limit."""
    # Sized to the file (plus one byte to see the end), so small files stay cheap.
    buffer = bytearray(max(64 << 10, min(READ_BLOCK, size_hint + 1)))
    view = memoryview(buffer)
    total = 0
    while True:
        n = readinto(buffer)
        if not n:
            return total
        total += n
        if limit is not None and total > limit:
            raise _Unreadable(f"is more than the {limit} bytes allowed")
        sink(view[:n])


class _ZipSource(_Reading):
    """A zip's entries as the files of a bundle: names checked, one enclosing folder allowed."""

    def __init__(self, reader: ZipReader, label: str = ""):
        self.reader = reader
        self.label = label  # "NAME.part2.zip: " before its problems, when several zips are read
        self.root = ""
        self.entries: dict[str, ZipEntry] = {}
        self._names = {entry.name for entry in reader.entries}
        if MANIFEST not in self._names and SUMS not in self._names:
            # A bundle zipped from its parent directory: everything under one folder.
            for wanted in (MANIFEST, SUMS):
                tops = {n[: -len(wanted)] for n in self._names
                        if n.endswith("/" + wanted) and n.count("/") == 1}
                if len(tops) == 1:
                    self.root = tops.pop()
                    break

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.reader.close()

    def has(self, name: str) -> bool:
        return self.root + name in self._names

    def inventory(self, findings: _Findings) -> _Inventory | None:
        for problem in self.reader.problems:
            findings.problem(INVALID, self.label + problem)
        entries = self.reader.entries
        declared = sum(entry.file_size for entry in entries)
        if declared > MAX_ZIP_TOTAL_BYTES:
            findings.problem(
                INVALID,
                f"{self.label}the zip declares {declared} bytes, more than the {MAX_ZIP_TOTAL_BYTES} a bundle may hold; not checked",
            )
            return None
        inv = _Inventory()
        counts: dict[str, int] = {}
        for entry in entries:
            counts[entry.name] = counts.get(entry.name, 0) + 1
        for entry in entries:
            self._take(entry, counts[entry.name], inv, findings)
        return inv

    def _take(self, entry: ZipEntry, count: int, inv: _Inventory, findings: _Findings) -> None:
        name = entry.name
        bare = name[:-1] if entry.is_dir else name
        inside = name.startswith(self.root)
        # Findings name paths relative to the bundle, like the manifest does.
        rel = bare[len(self.root):] if inside else bare
        if count > 1:
            if rel not in inv.flagged:
                findings.file(rel, "unsafe", f"the zip holds {count} entries with this name")
                inv.flagged.add(rel)
            return
        try:
            check_path(bare)
        except UnsafePath as exc:
            findings.file(bare, "unsafe", f"unsafe zip entry name ({exc}); not read")
            inv.flagged.add(rel)
            return
        if entry.is_dir or not rel:
            if entry.problem and rel:
                # Shown with its slash and not flagged: the files under it are judged on their own.
                findings.file(rel + "/", *entry.problem)
            return
        if entry.problem:
            findings.file(rel, *entry.problem)
        elif not inside:
            findings.file(rel, "unexpected", "outside the bundle's folder in the zip")
        else:
            self.entries[rel] = entry
            inv.files[rel] = entry.file_size
            return
        inv.flagged.add(rel)

    def _read_into(self, rel: str, sink, limit: int | None) -> int:
        try:
            return self.reader.read_into(self.entries[rel], sink, limit)
        except EntryUnreadable as exc:
            raise _Unreadable(str(exc)) from None
        except OSError as exc:
            raise _Unreadable(f"cannot be read from the zip ({exc.strerror})") from None


class _PartsSource(_Reading):
    """The parts of one `evidence pack --max-mb` as one bundle: the union of their entries."""

    def __init__(self, parts: list[_ZipSource]):
        self.parts = parts
        self.owner: dict[str, _ZipSource] = {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for part in self.parts:
            part.reader.close()

    def has(self, name: str) -> bool:
        return any(part.has(name) for part in self.parts)

    def inventory(self, findings: _Findings) -> _Inventory | None:
        declared = sum(entry.file_size for part in self.parts for entry in part.reader.entries)
        if declared > MAX_ZIP_TOTAL_BYTES:
            findings.problem(INVALID, f"the parts declare {declared} bytes, more than the "
                                      f"{MAX_ZIP_TOTAL_BYTES} a bundle may hold; not checked")
            return None
        inv, doubled = _Inventory(), set()
        for part in self.parts:
            own = part.inventory(findings)
            if own is None:
                return None
            inv.flagged |= own.flagged
            for rel, size in own.files.items():
                if rel in self.owner or rel in doubled:
                    if rel not in doubled:
                        findings.file(rel, "unsafe", f"held by two parts, {self.owner[rel].label[:-2]} "
                                                     f"and {part.label[:-2]}; not read")
                    doubled.add(rel)
                    inv.files.pop(rel, None)
                    inv.flagged.add(rel)
                    continue
                self.owner[rel] = part
                inv.files[rel] = size
        return inv

    def _read_into(self, rel: str, sink, limit: int | None) -> int:
        return self.owner[rel]._read_into(rel, sink, limit)


@dataclass
class _Opened:
    source: object | None  # a _DirSource, _ZipSource or _PartsSource; None: nothing readable
    parts: PartsSorted | None = None  # what the part records said, for zips written by pack


def _open_source(paths: list[Path], findings: _Findings) -> _Opened:
    """The bundle as a source (UsageError when it is not a bundle at all)."""
    several = len(paths) > 1
    for path in paths:
        if not os.path.lexists(path):
            raise UsageError(t("verify.no_such_path", path=path))
        if path.is_dir() and several:
            raise UsageError(t("verify.dir_among_parts", path=path))
        if not path.is_dir() and not path.is_file():
            raise UsageError(t("verify.not_file_or_dir", path=path))
    if not several and paths[0].is_dir():
        source = _DirSource(paths[0])
        if not (source.has(MANIFEST) or source.has(SUMS)):
            raise UsageError(t("verify.not_bundle", path=paths[0]))
        return _Opened(source)
    opened = []  # (label, reader or None when unreadable, record or None)
    try:
        for path in paths:
            label = shown(path.name if [p.name for p in paths].count(path.name) == 1 else str(path))
            reader = _open_zip(path, findings, several)
            opened.append((label, reader, reader and _part_record(reader, label, findings)))
        label, reader, record = opened[0]
        if not several and (reader is None or record is None or record.of == 1):
            return _single_zip(paths[0], label, reader, record) if reader else _Opened(None)
        return _parts(opened, findings)
    except BaseException:
        for _, reader, _ in opened:
            if reader is not None:
                reader.close()
        raise


def _open_zip(path: Path, findings: _Findings, several: bool) -> ZipReader | None:
    try:
        return ZipReader(path, max_entries=MAX_ENTRIES)
    except NotAZip as exc:
        if path.suffix.lower() != ".zip" and not several:
            raise UsageError(t("verify.not_bundle_or_zip", path=path)) from None
        findings.problem(INVALID, f"{shown(path.name)} is not a readable zip archive ({exc})")
    except ZipRefused as exc:
        findings.problem(INVALID, str(exc))
    except OSError as exc:
        raise UsageError(t("verify.unreadable", path=path, error=exc.strerror)) from None
    return None


def _part_record(reader: ZipReader, label: str, findings: _Findings) -> PartRecord | None:
    try:
        return parse_part_record(reader.comment)
    except PartRecordError as exc:
        findings.problem(INVALID, f"{label}: {exc}")
        return None


def _single_zip(path: Path, label: str, reader: ZipReader, record: PartRecord | None) -> _Opened:
    source = _ZipSource(reader)
    if not (source.has(MANIFEST) or source.has(SUMS)):
        reader.close()
        raise UsageError(t("verify.not_bundle", path=path))
    return _Opened(source, sort_parts([(label, record)]) if record is not None else None)


def _parts(opened: list[tuple[str, ZipReader, PartRecord | None]], findings: _Findings) -> _Opened:
    """Several zips (or one that says it is one part of several): one file per part."""
    given = [(label, record) for label, _, record in opened if record is not None]
    result = sort_parts(given)
    for label, reader, record in opened:
        if reader is None:
            result.checks.append({"path": label, "part": None, "of": None, "files": 0,
                                  "status": "unreadable", "detail": "not a readable zip; not read"})
        elif record is None:
            findings.problem(INVALID, f"{label} is not a part written by evidence pack (no part record): "
                                      "give one bundle .zip, or every .partK.zip of one bundle")
            result.checks.append({"path": label, "part": None, "of": None, "files": len(reader.entries),
                                  "status": "not a part", "detail": "no part record; not read"})
    for severity, text in result.problems:
        findings.problem(severity, text)
    readers = [reader for _, reader, record in opened if record is not None]
    chosen = [(number, readers[index]) for number, index in sorted(result.chosen.items())]
    keep = {id(reader) for _, reader in chosen}
    for _, reader, _ in opened:
        if reader is not None and id(reader) not in keep:
            reader.close()
    labels = {id(reader): label for label, reader, _ in opened}
    if not chosen:
        return _Opened(None, result)
    return _Opened(_PartsSource([_ZipSource(r, labels[id(r)] + ": ") for _, r in chosen]), result)


# --- manifest.json and SHA256SUMS, parsed with the standard library ----------------------


def _no_duplicate_keys(pairs):
    keys = [key for key, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("an object has the same key twice")
    return dict(pairs)


def _no_constants(name):
    raise ValueError(f"{name} is not JSON")


def _json_depth_exceeds(obj, limit: int) -> bool:
    stack = [(obj, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((value, depth + 1) for value in node.values())
        elif isinstance(node, list):
            stack.extend((value, depth + 1) for value in node)
    return False


def parse_manifest_json(data: bytes) -> tuple[object | None, str | None]:
    """(parsed JSON, None) or (None, why it is not an acceptable manifest)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return None, f"{MANIFEST} is not UTF-8 text (bad byte at offset {exc.start})"
    try:
        obj = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constants)
    except RecursionError:
        return None, f"{MANIFEST} is nested too deeply"
    except json.JSONDecodeError as exc:
        return None, f"{MANIFEST} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
    except ValueError as exc:
        return None, f"{MANIFEST} is not acceptable JSON ({shown(str(exc), 120)})"
    if _json_depth_exceeds(obj, MAX_JSON_DEPTH):
        return None, f"{MANIFEST} is nested more than {MAX_JSON_DEPTH} levels deep"
    return obj, None


def _raw_artifact_paths(obj) -> list[str]:
    """Artifact paths read straight from the JSON, before (and whether or not) it validates."""
    found: list[str] = []

    def take(artifacts):
        if isinstance(artifacts, list):
            for artifact in artifacts:
                if isinstance(artifact, dict) and isinstance(artifact.get("path"), str):
                    found.append(artifact["path"])

    if isinstance(obj, dict):
        take(obj.get("artifacts"))
        captures = obj.get("captures")
        if isinstance(captures, list):
            for capture in captures:
                if isinstance(capture, dict):
                    take(capture.get("artifacts"))
    return found


def parse_sums(data: bytes, findings: _Findings) -> dict[str, str] | None:
    """SHA256SUMS as {path: sha256}; coreutils text or `*` binary lines, nothing looser."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        findings.problem(INVALID, f"{SUMS} is not UTF-8 text (bad byte at offset {exc.start})")
        return None
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if len(lines) > MAX_ENTRIES:
        findings.problem(INVALID, f"{SUMS} has more than {MAX_ENTRIES} lines")
        return None
    sums: dict[str, str] = {}
    broken = False
    for number, line in enumerate(lines, 1):
        match = _SUMS_LINE.fullmatch(line)
        if not match:
            findings.problem(INVALID, f"{SUMS} line {number} is not `<sha256>  <path>`: {shown(line, 100)!s}")
            broken = True
            continue
        digest, _, rel = match.groups()
        try:
            check_path(rel)
        except UnsafePath as exc:
            findings.file(rel, "unsafe", f"{SUMS} line {number}: unsafe path ({exc}); not opened")
            broken = True
            continue
        if rel in sums:
            findings.file(rel, "unsafe", f"{SUMS} lists this path twice (line {number})")
            broken = True
            continue
        if rel == SUMS:
            findings.problem(INVALID, f"{SUMS} line {number} lists {SUMS} itself")
            continue
        sums[rel] = digest
    return None if broken and not sums else sums


def _schema_problem(exc) -> str:
    errors = exc.errors(include_url=False, include_input=False)
    parts = []
    for error in errors[:3]:
        where = ".".join(str(part) for part in error.get("loc", ())) or "(top)"
        parts.append(f"{shown(where, 80)}: {shown(error.get('msg', ''), 120)}")
    more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
    return f"{MANIFEST} does not follow the manifest schema: " + "; ".join(parts) + more


# --- the verifier ------------------------------------------------------------------------


def _workers() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def verify(path: Path | Sequence[Path], tsa_cas: Sequence[Path] = (),
           expect: str | None = None, status=None) -> VerificationReport:
    """Check a bundle directory, its .zip, or all the .partK.zip files `evidence pack
    --max-mb` made of it (read as one bundle); UsageError only when it is not a bundle at all.

    `expect` is the fingerprint quoted in the complaint: a bundle whose fingerprint
    differs is ALTERED however consistent its files are among themselves. `status`
    shows a progress line every few seconds while the files are hashed.
    """
    paths = [Path(p) for p in path] if isinstance(path, (list, tuple)) else [Path(path)]
    if not paths:
        raise UsageError(t("verify.nothing_given"))
    if len(paths) > MAX_PARTS:
        raise UsageError(t("verify.too_many_parts", count=len(paths), most=MAX_PARTS))
    expect = check_fingerprint(expect) if expect is not None else None
    findings = _Findings()
    opened = _open_source(paths, findings)
    label = paths[0] if len(paths) == 1 else " + ".join(str(p) for p in paths)
    if opened.source is None:
        report = _report(label, findings, manifest=None, manifest_bytes=None, checked=0, raw=None,
                         timestamps=[])
    else:
        with opened.source:
            report = _Verifier(label, opened.source, findings, list(tsa_cas), status).run()
    if opened.parts is not None:
        report = _against_parts(report, opened.parts)
    return _against_expected(report, expect) if expect is not None else report


def _against_parts(report: VerificationReport, parts: PartsSorted) -> VerificationReport:
    """The part records' word against what the parts hold."""
    from .manifest import PartCheck

    report.parts = [PartCheck(**check) for check in parts.checks]
    ref = parts.reference
    if ref is None:
        return report
    for check in report.files:
        info = missing_part_of(ref, parts.chosen, check.path) if check.status == "missing" else None
        if info is not None:
            check.detail += f" (it is in {shown(info.name)}, which was not given)"
    if report.fingerprint is not None and report.fingerprint != ref.fingerprint:
        report.problems.append(f"the parts say they hold the bundle with fingerprint {ref.fingerprint}, "
                               f"but their manifest.json has fingerprint {report.fingerprint}")
        if report.verdict == "INTACT":
            report.verdict = ALTERED
    return report


def require_intact(root: Path, doing: str) -> VerificationReport:
    """The verification of a bundle directory we are about to add to, or EvidenceError:
    adding anything (a report, a token, a zip, more captures) to a bundle that does not
    verify would hide what verify found."""
    from .errors import EvidenceError

    report = verify(Path(root))
    if report.verdict != "INTACT":
        # Callers name what they were about to do in English; the known ones are translated.
        doing_id = _REFUSED.get(doing)
        raise EvidenceError(t("refuse.line", root=root, verdict=report.verdict,
                              doing=t(doing_id) if doing_id else doing))
    return report


_REFUSED = {"pack it": "refuse.pack", "timestamp it": "refuse.stamp", "resume it": "refuse.resume",
            "render its report, which would hide that": "refuse.report"}


def check_fingerprint(text: str) -> str:
    """A fingerprint as quoted by a person: 64 hex digits, any case, spaces around."""
    cleaned = text.strip().lower()
    if not _FINGERPRINT.fullmatch(cleaned):

        raise UsageError(t("verify.bad_expect"))
    return cleaned


def _against_expected(report: VerificationReport, expect: str) -> VerificationReport:
    report.expected_fingerprint = expect
    report.fingerprint_matches = report.fingerprint == expect
    if not report.fingerprint_matches:
        have = report.fingerprint or "none (no readable manifest.json)"
        report.problems.append(
            f"this bundle's fingerprint is {have}, not the quoted {expect}: it is not the bundle "
            "the complaint quotes, or it was changed after that fingerprint was taken"
        )
        if report.verdict == "INTACT":
            report.verdict = ALTERED
    return report


class _Verifier:
    def __init__(self, path: Path, source, findings: _Findings, tsa_cas: list[Path], status=None):
        self.path = path
        self.source = source
        self.findings = findings
        self.tsa_cas = tsa_cas
        self.status = status  # progress lines for a person, or None

    def _read(self, inv: _Inventory, name: str, limit: int) -> bytes | None:
        if name not in inv.files:
            return None
        try:
            return self.source.read(name, limit)
        except _Unreadable as exc:
            self.findings.file(name, "unreadable", str(exc))
            inv.flagged.add(name)
            return None

    def run(self) -> VerificationReport:
        f = self.findings
        inv = self.source.inventory(f)
        if inv is None:
            return _report(self.path, f, None, None, 0, None, [])

        manifest_bytes = self._read(inv, MANIFEST, MAX_MANIFEST_BYTES)
        raw, raw_ok = None, False
        if manifest_bytes is not None:
            raw, why = parse_manifest_json(manifest_bytes)
            if why:
                f.problem(INVALID, why)
            raw_ok = why is None
        raw_paths = _raw_artifact_paths(raw)

        sums_bytes = self._read(inv, SUMS, MAX_SUMS_BYTES)
        sums = parse_sums(sums_bytes, f) if sums_bytes is not None else None

        # Start hashing now, so the pydantic import and validation below overlap with it:
        # in a child process where that can be (hashing.py), for a directory (the
        # offsets of a zip's file would be shared with the child) worth the fork.
        wanted = {p for p in (*raw_paths, *(sums or {})) if p in inv.files} - {MANIFEST, SUMS}
        rels = sorted(wanted, key=lambda rel: -inv.files[rel])
        fork = (can_fork() and isinstance(self.source, _DirSource)
                and sum(inv.files[rel] for rel in rels) >= FORK_FROM_BYTES)
        hashing = Hashing(self.source.hash, rels, _workers(), _Unreadable, fork=fork)
        try:
            manifest = self._validate(raw, raw_paths) if manifest_bytes is not None and raw_ok else None
            hashes = self._collect(hashing.futures, inv)
        finally:
            hashing.close()

        _Comparison(f, inv, manifest, raw_paths, hashes).run(manifest_bytes, sums)
        timestamps = self._timestamps(inv, manifest_bytes)
        checked = len(hashes) + (manifest_bytes is not None)
        return _report(self.path, f, manifest, manifest_bytes, checked, raw, timestamps)

    def _validate(self, raw, raw_paths: list[str]) -> Manifest | None:
        from pydantic import ValidationError

        from .manifest import Manifest

        if not isinstance(raw, dict):
            # `null`, a list, a number: well-formed JSON, but no manifest at all.
            what = "null" if raw is None else {list: "a list", str: "a string", bool: "true/false"}.get(
                type(raw), "a number")
            self.findings.problem(INVALID, f"{MANIFEST} does not follow the manifest schema: it holds "
                                           f"{what}, not an object")
            return None
        try:
            return Manifest.model_validate(raw)
        except ValidationError as exc:
            self.findings.problem(INVALID, _schema_problem(exc))
        # The schema refused it; still name every unsafe path it lists (never opened).
        for rel in raw_paths:
            try:
                check_path(rel)
            except UnsafePath as exc:
                self.findings.file(rel, "unsafe", f"{MANIFEST} lists an unsafe path ({exc}); not opened")
        return None

    def _collect(self, futures: dict[str, Future], inv: _Inventory) -> dict[str, tuple[int, str]]:
        self._await_hashing(futures, inv)
        hashes: dict[str, tuple[int, str]] = {}
        for rel, future in futures.items():
            try:
                hashes[rel] = future.result()
            except _Unreadable as exc:
                self.findings.file(rel, "unreadable", str(exc))
                inv.flagged.add(rel)
        return hashes

    def _await_hashing(self, futures: dict[str, Future], inv: _Inventory) -> None:
        """Wait for the hashes, with a progress line every few seconds on a large bundle."""
        if self.status is None:
            return
        from .progress import Ticker

        tick, pending = Ticker(self.status), set(futures.values())
        size = sum(inv.files[rel] for rel in futures)
        while pending:
            _, pending = wait(pending, timeout=0.25)
            done = size - sum(inv.files[rel] for rel, f in futures.items() if f in pending)
            left = len(pending)
            tick(lambda left=left, done=done: t(
                "progress.verify", files=len(futures) - left, total=len(futures), done=done >> 20, size=size >> 20))

    def _timestamps(self, inv: _Inventory, manifest_bytes: bytes | None) -> list:
        from .bundle import is_token_name
        from .manifest import TimestampCheck

        checks = []
        for name in sorted(n for n in inv.files if "/" not in n and is_token_name(n)):
            token = self._read(inv, name, MAX_TOKEN_BYTES)
            if token is None:
                continue
            if manifest_bytes is None:
                checks.append(TimestampCheck(path=name, status="invalid",
                                             detail=f"no readable {MANIFEST} to check it against"))
                continue
            check = self._check_token(name, token, manifest_bytes)
            if check.status == "invalid":
                # The token was made over other bytes, or changed after signing: a file
                # of this bundle is not as it was sealed. A CA that does not chain never
                # lands here: that is `not verified`.
                self.findings.severities.add(ALTERED)
            checks.append(check)
        return checks

    def _check_token(self, name: str, token: bytes, manifest_bytes: bytes):
        from .manifest import TimestampCheck
        from .timestamp import check_token

        try:
            return check_token(name, token, manifest_bytes, self.tsa_cas)
        except UsageError:
            raise
        except Exception as exc:  # noqa: BLE001 - a hostile token must not crash verify
            return TimestampCheck(path=name, status="invalid",
                                  detail=f"could not be checked ({shown(str(exc), 120)})")


class _Comparison:
    """manifest.json, SHA256SUMS and the files present: each must agree with the others."""

    def __init__(self, findings: _Findings, inv: _Inventory, manifest, raw_paths, hashes):
        self.f = findings
        self.inv = inv
        self.manifest = manifest
        self.raw_paths = raw_paths
        self.hashes = hashes
        self.in_manifest: dict[str, str] = {}

    def settled(self, rel: str) -> bool:
        # Already reported as unsafe/unreadable (itself or a folder on its way).
        return _flagged_ancestor(rel, self.inv.flagged) is not None

    def run(self, manifest_bytes: bytes | None, sums: dict[str, str] | None) -> None:
        if self.manifest is not None:
            self._manifest_files()
        known = set(self.in_manifest) if self.manifest is not None else set(self.raw_paths)
        if manifest_bytes is None and MANIFEST not in self.inv.flagged:
            self.f.file(MANIFEST, "missing", f"the bundle has no {MANIFEST}",
                        expected=(sums or {}).get(MANIFEST))
        if sums is None:
            self._without_sums(known)
            return
        self._sums_against_manifest(manifest_bytes, sums)
        self._sums_files(sums, known)
        self._strays(known, sums)

    def _manifest_files(self) -> None:
        from .bundle import is_outside_manifest_file

        folded: dict[str, str] = {}
        for artifact in self.manifest.all_artifacts():
            rel = artifact.path
            if is_outside_manifest_file(rel):
                self.f.file(rel, "unsafe", f"{MANIFEST} lists a name reserved for files made after it")
                continue
            key = _fold(rel)
            if key in folded:
                same = "twice" if folded[key] == rel else f"twice (as {shown(folded[key])} too)"
                self.f.file(rel, "unsafe", f"{MANIFEST} lists this file {same}")
                continue
            folded[key] = rel
            self.in_manifest[rel] = artifact.sha256
            if self.settled(rel):
                continue
            if rel not in self.inv.files:
                self.f.file(rel, "missing", f"listed in {MANIFEST} but not in the bundle",
                            expected=artifact.sha256)
                continue
            size, actual = self.hashes[rel]
            if actual != artifact.sha256 or size != artifact.bytes:
                detail = "content differs from the SHA-256 in " + MANIFEST
                if size != artifact.bytes:
                    detail += f" ({size} bytes, {MANIFEST} says {artifact.bytes})"
                self.f.file(rel, "altered", detail, expected=artifact.sha256, actual=actual)

    def _without_sums(self, known: set[str]) -> None:
        from .bundle import is_outside_manifest_file

        if SUMS not in self.inv.flagged and SUMS not in self.inv.files:
            self.f.problem(ALTERED, f"{SUMS} is missing: the bundle's files cannot be cross-checked "
                                    "(the tool writes it after every capture)")
        for rel in sorted(set(self.inv.files) - known - {MANIFEST, SUMS}):
            if is_outside_manifest_file(rel):
                self.f.file(rel, "unexpected", f"cannot be checked without a usable {SUMS}, which covers it")
            else:
                self.f.file(rel, "unexpected", f"not listed in {MANIFEST}")

    def _sums_against_manifest(self, manifest_bytes: bytes | None, sums: dict[str, str]) -> None:
        from .bundle import sha256_hex

        if manifest_bytes is not None:
            actual = sha256_hex(manifest_bytes)
            if MANIFEST not in sums:
                self.f.file(SUMS, "altered", f"does not list {MANIFEST}")
            elif sums[MANIFEST] != actual:
                self.f.file(MANIFEST, "altered", f"content differs from the SHA-256 in {SUMS} "
                                                 "(edited after the bundle was finished?)",
                            expected=sums[MANIFEST], actual=actual)
        for rel, expected in self.in_manifest.items():
            if rel not in sums:
                self.f.file(SUMS, "altered", f"does not list {shown(rel)}, which {MANIFEST} lists")
            elif sums[rel] != expected:
                self.f.file(SUMS, "altered", f"gives {shown(rel)} a different SHA-256 than {MANIFEST} does",
                            expected=expected, actual=sums[rel])

    def _sums_files(self, sums: dict[str, str], known: set[str]) -> None:
        """Files only SHA256SUMS vouches for: tokens, unsealed renderings (and all of them
        when the manifest is unusable)."""
        from .bundle import is_token_name

        for rel, expected in sums.items():
            if rel in self.in_manifest or rel == MANIFEST or self.settled(rel):
                continue
            if rel not in self.inv.files:
                self.f.file(rel, "missing", f"listed in {SUMS} but not in the bundle", expected=expected)
                continue
            unsealed = self._unsealed_reason(rel)
            if rel not in known and not is_token_name(rel) and unsealed is None:
                self.f.file(rel, "unexpected", f"listed in {SUMS} but not in {MANIFEST}")
                continue
            actual = self.hashes[rel][1]
            if actual != expected:
                self.f.file(rel, "altered", f"content differs from the SHA-256 in {SUMS}",
                            expected=expected, actual=actual)
            elif unsealed is not None:
                self.f.file(rel, "unsealed", unsealed, expected=expected, actual=actual)

    def _unsealed_reason(self, rel: str) -> str | None:
        from .bundle import is_legacy_report, is_unsealed_rendering

        if self.manifest is None:
            return None
        if is_unsealed_rendering(rel):
            return ("a report rendered after the bundle was sealed: not covered by the fingerprint, "
                    "so it proves nothing; only a report listed in manifest.json is sealed")
        if is_legacy_report(rel, self.manifest):
            # Any other report file outside the manifest is unexpected: ALTERED.
            return (f"not covered by the fingerprint (written outside the manifest by evidence-capture "
                    f"{self.manifest.tool.version}, which did not seal reports): it proves nothing")
        return None

    def _strays(self, known: set[str], sums: dict[str, str]) -> None:
        for rel in sorted(set(self.inv.files) - known - set(sums) - {MANIFEST, SUMS}):
            if self._writer_leftover(rel):
                # The writer's own half-written file from a crash: the design promises
                # that such a bundle still verifies for what it holds.
                self.f.file(rel, "ignored", "temporary file of a write cut short by a crash: not evidence, "
                                            "not checked (--resume removes it)")
                continue
            self.f.file(rel, "unexpected", f"not listed in {MANIFEST} or {SUMS}")

    def _writer_leftover(self, rel: str) -> bool:
        """A name BundleWriter itself gives a file while writing it, in a bundle whose run
        did not finish; anything else with a .tmp name is as unexpected as any other file."""
        if self.manifest is None or self.manifest.status != "incomplete":
            return False
        match = _WRITER_TMP.fullmatch(rel)
        if match is None:
            return False
        folder, name = match["folder"] or "", match["name"]
        if folder == "" and name in (MANIFEST, SUMS):
            return True  # the two files rewritten after every capture
        # Every other file is written once: a temp name next to one the manifest already
        # lists cannot be a leftover (the rename would have consumed it).
        target = f"{folder}/{name}" if folder else name
        if target in self.in_manifest:
            return False
        if folder == "":
            return _WRITER_ROOT_FILE.fullmatch(name) is not None
        return _WRITER_CAPTURE_DIR.fullmatch(folder) is not None and \
            _WRITER_CAPTURE_FILE.fullmatch(name) is not None


def _report(path, findings: _Findings, manifest, manifest_bytes, checked, raw, timestamps):
    from .manifest import FileCheck, VerificationReport

    started = finished = None
    if manifest is not None and isinstance(raw, dict):
        started, finished = raw.get("started_at"), raw.get("finished_at")
    files = sorted(findings.files, key=lambda item: (item["path"], item["status"]))
    return VerificationReport(
        bundle=shown(str(path), 1000),
        verdict=findings.verdict(),
        complete=None if manifest is None else manifest.status == "complete",
        fingerprint=hashlib.sha256(manifest_bytes).hexdigest() if manifest_bytes is not None else None,
        report_sealed=None if manifest is None else any(
            a.role == "report" for a in manifest.artifacts),
        time_proven=any(t.status == "trusted" for t in timestamps),
        started_at=started if isinstance(started, str) else None,
        finished_at=finished if isinstance(finished, str) else None,
        captures=len(manifest.captures) if manifest is not None else 0,
        files_checked=checked,
        files=[FileCheck(**item) for item in files],
        problems=findings.problems,
        timestamps=timestamps,
    )
