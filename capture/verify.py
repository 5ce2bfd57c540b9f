"""Hostile reader: a bundle directory or .zip in, a VerificationReport out.

Everything in the bundle is treated as written by an adversary: names are checked
before they are looked up, symlinks and special files are reported and never
opened, zips are read in place (never extracted) with their declared sizes
bounded, and every read is bounded. Only a path that is not a bundle at all is
a UsageError; every other problem becomes part of the verdict.

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
import threading
import unicodedata
import zipfile
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from .bundlepath import UnsafePath, bundle_path
from .errors import UsageError

if TYPE_CHECKING:
    from .manifest import Manifest, VerificationReport

# The same names as capture.bundle.MANIFEST / SUMS (a test keeps them equal); not
# imported from there because bundle.py imports pydantic, see the module docstring.
MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"

MAX_MANIFEST_BYTES = 64 << 20
MAX_SUMS_BYTES = 16 << 20
MAX_TOKEN_BYTES = 1 << 20
MAX_ENTRIES = 100_000
MAX_DIR_DEPTH = 32
MAX_JSON_DEPTH = 32
# A zip's central directory is loaded whole by zipfile; bound it before opening.
MAX_ZIP_DIRECTORY_BYTES = 32 << 20
MAX_ZIP_TOTAL_BYTES = 16 << 30
# Deflate cannot expand more than about 1032:1; a larger declared size is a lie.
MAX_DEFLATE_RATIO = 1100
READ_BLOCK = 4 << 20

_SUMS_LINE = re.compile(r"([0-9a-f]{64}) ([ *])(.*)", re.DOTALL)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_BINARY = getattr(os, "O_BINARY", 0)
_DIR_FD = os.open in os.supports_dir_fd and bool(_O_NOFOLLOW)

INVALID, ALTERED = "INVALID", "ALTERED"
# BundleWriter's temporary names: ".NAME.PID.tmp" next to the file being written.
_WRITER_TMP = re.compile(r"(^|/)\.[^/]+\.[0-9]+\.tmp$")
_SEVERITY = {
    "ok": None,
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
            self._root_fd = os.open(self.root, os.O_RDONLY | _O_DIRECTORY)
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
    def __init__(self, path: Path, archive: zipfile.ZipFile):
        self.path = path
        self.archive = archive
        self.root = ""
        self.infos: dict[str, zipfile.ZipInfo] = {}
        self._local = threading.local()
        self._handles: list[zipfile.ZipFile] = []
        self._lock = threading.Lock()
        names = {info.filename for info in archive.infolist()}
        if MANIFEST not in names and SUMS not in names:
            # A bundle zipped from its parent directory: everything under one folder.
            for wanted in (MANIFEST, SUMS):
                tops = {n[: -len(wanted)] for n in names if n.endswith("/" + wanted) and n.count("/") == 1}
                if len(tops) == 1:
                    self.root = tops.pop()
                    break

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for handle in self._handles:
            handle.close()
        self.archive.close()

    def has(self, name: str) -> bool:
        return self.root + name in {info.filename for info in self.archive.infolist()}

    def inventory(self, findings: _Findings) -> _Inventory | None:
        infos = self.archive.infolist()
        if len(infos) > MAX_ENTRIES:
            findings.problem(INVALID, f"the zip holds more than {MAX_ENTRIES} entries; not checked")
            return None
        declared = sum(info.file_size for info in infos)
        if declared > MAX_ZIP_TOTAL_BYTES:
            findings.problem(
                INVALID,
                f"the zip declares {declared} bytes, more than the {MAX_ZIP_TOTAL_BYTES} a bundle may hold; not checked",
            )
            return None
        inv = _Inventory()
        counts: dict[str, int] = {}
        for info in infos:
            counts[info.filename] = counts.get(info.filename, 0) + 1
        for info in infos:
            name = info.filename
            bare = name[:-1] if info.is_dir() else name
            inside = name.startswith(self.root)
            # Findings name paths relative to the bundle, like the manifest does.
            rel = bare[len(self.root):] if inside else bare
            if counts[name] > 1:
                if rel not in inv.flagged:
                    findings.file(rel, "unsafe", f"the zip holds {counts[name]} entries with this name")
                    inv.flagged.add(rel)
                continue
            try:
                check_path(bare)
            except UnsafePath as exc:
                findings.file(bare, "unsafe", f"unsafe zip entry name ({exc}); not read")
                inv.flagged.add(rel)
                continue
            if info.is_dir() or not rel:
                continue
            problem = _entry_problem(info)
            if problem:
                findings.file(rel, *problem)
            elif not inside:
                findings.file(rel, "unexpected", "outside the bundle's folder in the zip")
            else:
                self.infos[rel] = info
                inv.files[rel] = info.file_size
                continue
            inv.flagged.add(rel)
        return inv

    def _handle(self) -> zipfile.ZipFile:
        handle = getattr(self._local, "zip", None)
        if handle is None:
            handle = zipfile.ZipFile(self.path)
            with self._lock:
                self._handles.append(handle)
            self._local.zip = handle
        return handle

    def _read_into(self, rel: str, sink, limit: int | None) -> int:
        info = self.infos[rel]
        if limit is not None and info.file_size > limit:
            raise _Unreadable(f"is {info.file_size} bytes, more than the {limit} allowed")
        # Anything can go wrong inside a hostile archive (bad CRC, truncated data,
        # a corrupt stream, an unsupported method): each is a finding, not a crash.
        try:
            with self._handle().open(info) as member:
                size = _pump(member.readinto, sink, info.file_size, info.file_size)
        except _Unreadable:
            raise
        except Exception as exc:  # noqa: BLE001 - see above
            raise _Unreadable(f"cannot be read from the zip ({shown(str(exc), 120) or type(exc).__name__})") from None
        if size != info.file_size:
            raise _Unreadable(f"holds {size} bytes but the zip declares {info.file_size}")
        return size



def _entry_problem(info: zipfile.ZipInfo) -> tuple[str, str] | None:
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return ("unsafe", "is a symbolic link entry; not followed")
    if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
        return ("unsafe", "is not a regular file entry")
    if info.flag_bits & 0x1:
        return ("unreadable", "is encrypted")
    if info.compress_type == zipfile.ZIP_STORED and info.compress_size != info.file_size:
        detail = f"is stored uncompressed, yet declares {info.compress_size} bytes for {info.file_size}"
        return ("unreadable", detail)
    if (info.compress_type == zipfile.ZIP_DEFLATED
            and info.file_size > info.compress_size * MAX_DEFLATE_RATIO + 1024):
        detail = f"declares {info.file_size} bytes from {info.compress_size}, more than deflate can produce"
        return ("unreadable", detail)
    return None


def _zip_directory_size(path: Path) -> int | None:
    """Central directory size from the end record, read before zipfile loads it whole."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        tail_len = min(end, 22 + 0xFFFF)
        handle.seek(end - tail_len)
        tail = handle.read(tail_len)
        at = tail.rfind(b"PK\x05\x06")
        if at < 0 or at + 22 > len(tail):
            return None
        size = int.from_bytes(tail[at + 12 : at + 16], "little")
        if size == 0xFFFFFFFF and at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":
            offset = int.from_bytes(tail[at - 12 : at - 4], "little")
            if offset + 56 <= end:
                handle.seek(offset)
                record = handle.read(56)
                if record[:4] == b"PK\x06\x06":
                    size = int.from_bytes(record[40:48], "little")
        return size


def _open_source(path: Path, findings: _Findings):
    """The bundle as a source, None when it is a broken zip (findings say why), or UsageError."""
    if not os.path.lexists(path):
        raise UsageError(f"{path} does not exist; give a bundle directory or its .zip")
    if path.is_dir():
        source = _DirSource(path)
        if not (source.has(MANIFEST) or source.has(SUMS)):
            raise UsageError(f"{path} has no {MANIFEST}: it is not an evidence bundle")
        return source
    if not path.is_file():
        raise UsageError(f"{path} is neither a directory nor a file; give a bundle directory or its .zip")
    try:
        looks_zip = zipfile.is_zipfile(path)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
    if not looks_zip and path.suffix.lower() != ".zip":
        raise UsageError(f"{path} is neither a bundle directory nor a .zip")
    try:
        directory = _zip_directory_size(path)
        if directory is not None and directory > MAX_ZIP_DIRECTORY_BYTES:
            findings.problem(INVALID, f"the zip's directory is {directory} bytes, too large for a bundle")
            return None
        archive = zipfile.ZipFile(path)
    except Exception as exc:  # noqa: BLE001 - zipfile raises many kinds on hostile input
        findings.problem(INVALID, f"{path.name} is not a readable zip archive ({shown(str(exc), 120)})")
        return None
    source = _ZipSource(path, archive)
    if not (source.has(MANIFEST) or source.has(SUMS)):
        archive.close()
        raise UsageError(f"{path} holds no {MANIFEST}: it is not an evidence bundle")
    return source


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


def verify(path: Path, tsa_cas: Sequence[Path] = ()) -> VerificationReport:
    """Check a bundle directory or .zip; UsageError only when it is not a bundle at all."""
    path = Path(path)
    findings = _Findings()
    source = _open_source(path, findings)
    if source is None:
        return _report(path, findings, manifest=None, manifest_bytes=None, checked=0, raw=None,
                       timestamps=[])
    with source:
        return _Verifier(path, source, findings, list(tsa_cas)).run()


class _Verifier:
    def __init__(self, path: Path, source, findings: _Findings, tsa_cas: list[Path]):
        self.path = path
        self.source = source
        self.findings = findings
        self.tsa_cas = tsa_cas

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
        raw = None
        if manifest_bytes is not None:
            raw, why = parse_manifest_json(manifest_bytes)
            if why:
                f.problem(INVALID, why)
        raw_paths = _raw_artifact_paths(raw)

        sums_bytes = self._read(inv, SUMS, MAX_SUMS_BYTES)
        sums = parse_sums(sums_bytes, f) if sums_bytes is not None else None

        # Start hashing now, so the pydantic import and validation below overlap with it.
        wanted = {p for p in (*raw_paths, *(sums or {})) if p in inv.files} - {MANIFEST, SUMS}
        pool = ThreadPoolExecutor(max_workers=min(_workers(), max(1, len(wanted))))
        try:
            futures: dict[str, Future] = {
                rel: pool.submit(self.source.hash, rel)
                for rel in sorted(wanted, key=lambda rel: -inv.files[rel])
            }
            manifest = self._validate(raw) if raw is not None else None
            hashes = self._collect(futures, inv)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)

        self._compare(inv, manifest, raw_paths, manifest_bytes, sums, hashes)
        timestamps = self._timestamps(inv, manifest_bytes)
        checked = len(hashes) + (manifest_bytes is not None)
        return _report(self.path, f, manifest, manifest_bytes, checked, raw, timestamps)

    def _validate(self, raw) -> Manifest | None:
        from pydantic import ValidationError

        from .manifest import Manifest

        try:
            return Manifest.model_validate(raw)
        except ValidationError as exc:
            self.findings.problem(INVALID, _schema_problem(exc))
            return None

    def _collect(self, futures: dict[str, Future], inv: _Inventory) -> dict[str, tuple[int, str]]:
        hashes: dict[str, tuple[int, str]] = {}
        for rel, future in futures.items():
            try:
                hashes[rel] = future.result()
            except _Unreadable as exc:
                self.findings.file(rel, "unreadable", str(exc))
                inv.flagged.add(rel)
        return hashes

    def _compare(self, inv, manifest, raw_paths, manifest_bytes, sums, hashes) -> None:
        from .bundle import is_outside_manifest_file, sha256_hex

        f = self.findings

        def settled(rel: str) -> bool:
            # Already reported as unsafe/unreadable (itself or a folder on its way).
            return _flagged_ancestor(rel, inv.flagged) is not None

        in_manifest: dict[str, str] = {}
        if manifest is not None:
            folded: dict[str, str] = {}
            for artifact in manifest.all_artifacts():
                rel = artifact.path
                try:
                    check_path(rel)
                except UnsafePath as exc:
                    f.file(rel, "unsafe", f"{MANIFEST} lists an unsafe path ({exc}); not opened")
                    continue
                if is_outside_manifest_file(rel):
                    f.file(rel, "unsafe", f"{MANIFEST} lists a name reserved for files made after it")
                    continue
                key = _fold(rel)
                if key in folded:
                    same = "twice" if folded[key] == rel else f"twice (as {shown(folded[key])} too)"
                    f.file(rel, "unsafe", f"{MANIFEST} lists this file {same}")
                    continue
                folded[key] = rel
                in_manifest[rel] = artifact.sha256
                if settled(rel):
                    continue
                if rel not in inv.files:
                    f.file(rel, "missing", f"listed in {MANIFEST} but not in the bundle",
                           expected=artifact.sha256)
                    continue
                size, actual = hashes[rel]
                if actual != artifact.sha256 or size != artifact.bytes:
                    detail = "content differs from the SHA-256 in " + MANIFEST
                    if size != artifact.bytes:
                        detail += f" ({size} bytes, {MANIFEST} says {artifact.bytes})"
                    f.file(rel, "altered", detail, expected=artifact.sha256, actual=actual)
        known = set(in_manifest) if manifest is not None else set(raw_paths)

        if manifest_bytes is None and MANIFEST not in inv.flagged:
            f.file(MANIFEST, "missing", f"the bundle has no {MANIFEST}", expected=(sums or {}).get(MANIFEST))

        if sums is None:
            if SUMS not in inv.flagged and SUMS not in inv.files:
                f.problem(ALTERED, f"{SUMS} is missing: the bundle's files cannot be cross-checked "
                                   "(the tool writes it after every capture)")
            for rel in sorted(set(inv.files) - known - {MANIFEST, SUMS}):
                if is_outside_manifest_file(rel):
                    f.file(rel, "unexpected", f"cannot be checked without a usable {SUMS}, which covers it")
                else:
                    f.file(rel, "unexpected", f"not listed in {MANIFEST}")
            return

        # SHA256SUMS must agree with the manifest, and cover exactly the bundle's files.
        if manifest_bytes is not None:
            actual = sha256_hex(manifest_bytes)
            if MANIFEST not in sums:
                f.file(SUMS, "altered", f"does not list {MANIFEST}")
            elif sums[MANIFEST] != actual:
                f.file(MANIFEST, "altered", f"content differs from the SHA-256 in {SUMS} "
                                            "(edited after the bundle was finished?)",
                       expected=sums[MANIFEST], actual=actual)
        for rel, expected in in_manifest.items():
            if rel not in sums:
                f.file(SUMS, "altered", f"does not list {shown(rel)}, which {MANIFEST} lists")
            elif sums[rel] != expected:
                f.file(SUMS, "altered", f"gives {shown(rel)} a different SHA-256 than {MANIFEST} does",
                       expected=expected, actual=sums[rel])
        for rel, expected in sums.items():
            # Files the manifest vouches for were checked above; the rest (report,
            # tokens, and everything when the manifest is unusable) against SHA256SUMS.
            if rel in in_manifest or rel == MANIFEST or settled(rel):
                continue
            if rel not in inv.files:
                f.file(rel, "missing", f"listed in {SUMS} but not in the bundle", expected=expected)
            elif rel not in known and not is_outside_manifest_file(rel):
                f.file(rel, "unexpected", f"listed in {SUMS} but not in {MANIFEST}")
            else:
                actual = hashes[rel][1]
                if actual != expected:
                    f.file(rel, "altered", f"content differs from the SHA-256 in {SUMS}",
                           expected=expected, actual=actual)
        for rel in sorted(set(inv.files) - known - set(sums) - {MANIFEST, SUMS}):
            if manifest is not None and manifest.status == "incomplete" and _WRITER_TMP.search(rel):
                # The writer's own half-written file from a crash: the design promises
                # that such a bundle still verifies for what it holds.
                f.file(rel, "ok", "temporary file of a write cut short by a crash; not evidence, ignored")
                continue
            f.file(rel, "unexpected", f"not listed in {MANIFEST} or {SUMS}")

    def _timestamps(self, inv: _Inventory, manifest_bytes: bytes | None) -> list:
        from .bundle import is_token_name
        from .manifest import TimestampCheck

        checks = []
        for name in sorted(n for n in inv.files if "/" not in n and is_token_name(n)):
            token = self._read(inv, name, MAX_TOKEN_BYTES)
            if token is None:
                continue
            if manifest_bytes is None:
                checks.append(TimestampCheck(path=name, status="unchecked",
                                             detail=f"no readable {MANIFEST} to check it against"))
                continue
            try:
                from .timestamp import check_token
            except ImportError as exc:
                checks.append(TimestampCheck(path=name, status="unchecked",
                                             detail=f"timestamp checking is not available ({exc})"))
                continue
            try:
                check = check_token(name, token, manifest_bytes, self.tsa_cas)
            except UsageError:
                raise
            except Exception as exc:  # noqa: BLE001 - a hostile token must not crash verify
                check = TimestampCheck(path=name, status="invalid",
                                       detail=f"could not be checked ({shown(str(exc), 120)})")
            if check.status in ("altered", "invalid"):
                self.findings.severities.add(ALTERED)
            checks.append(check)
        return checks


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
        started_at=started if isinstance(started, str) else None,
        finished_at=finished if isinstance(finished, str) else None,
        captures=len(manifest.captures) if manifest is not None else 0,
        files_checked=checked,
        files=[FileCheck(**item) for item in files],
        problems=findings.problems,
        timestamps=timestamps,
    )
