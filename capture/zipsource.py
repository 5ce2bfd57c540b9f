"""Hostile zip reader: a zip read in place, trusting nothing it declares.

Why not zipfile: it decompresses every method it knows, and bounds the output of
deflate only (a 6 KB bzip2 entry became 8 GB of memory); it forgives bytes the
central directory does not cover (a stub in front, an entry smuggled between two
real ones, which a streaming reader such as Java's ZipInputStream shows instead);
and it quietly shifts every offset when something was put in front of the zip.

This reader accepts what `evidence pack` and common zip tools write for a bundle:
stored and deflate entries, zip64, data descriptors, a comment. Opening reads
headers only and checks that every byte of the file belongs to exactly one entry,
the central directory or the end records. Entry data is read later, on request, in
bounded blocks, and never beyond the size the directory declares.

Standard library only and cheap to import: `evidence verify` imports it at start-up.
"""

from __future__ import annotations

import os
import stat
import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from .limits import MAX_ENTRIES

MAX_DIRECTORY_BYTES = 32 << 20
# Deflate cannot expand more than about 1032:1; a larger declared size is a lie.
MAX_DEFLATE_RATIO = 1100
OUTPUT_BLOCK = 4 << 20
INPUT_BLOCK = 1 << 20

STORED, DEFLATED = 0, 8
_METHODS = {
    1: "Shrink", 2: "Reduce", 3: "Reduce", 4: "Reduce", 5: "Reduce", 6: "Implode",
    9: "Deflate64", 10: "PKWARE DCL Implode", 12: "bzip2", 14: "LZMA", 16: "IBM z/OS CMPSC",
    18: "IBM TERSE", 19: "IBM LZ77", 93: "Zstandard", 94: "MP3", 95: "XZ", 96: "JPEG",
    97: "WavPack", 98: "PPMd",
}
_AES = 99  # WinZip AES: an encryption that poses as a method
_FLAG_ENCRYPTED, _FLAG_DESCRIPTOR, _FLAG_STRONG_ENCRYPTION, _FLAG_UTF8 = 0x1, 0x8, 0x40, 0x800
_MAX32, _MAX16 = 0xFFFFFFFF, 0xFFFF
_ZIP64_FIELD, _UNICODE_PATH_FIELD = 0x0001, 0x7075

_SIG_LOCAL, _SIG_CENTRAL, _SIG_DESCRIPTOR = b"PK\x03\x04", b"PK\x01\x02", b"PK\x07\x08"
_SIG_END, _SIG_END64, _SIG_LOCATOR = b"PK\x05\x06", b"PK\x06\x06", b"PK\x06\x07"
# signature, version, flags, method, time, date, crc, compressed, size, name and extra lengths
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
# signature, version made by, system made on, version needed, flags, method, time, date,
# crc, compressed, size, name/extra/comment lengths, disk, internal and external attributes, offset
_CENTRAL = struct.Struct("<4sBBHHHHHIIIHHHHHII")
# signature, this disk, directory's disk, entries on this disk, entries, size, offset, comment length
_END = struct.Struct("<4sHHHHIIH")
# signature, size of the rest, versions, disks, entry counts, directory size and offset
_END64 = struct.Struct("<4sQHHIIQQQQ")
# signature, disk of the zip64 end record, its offset, number of disks
_LOCATOR = struct.Struct("<4sIQI")

_PREAD = hasattr(os, "pread")
_O_BINARY = getattr(os, "O_BINARY", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)


class ZipRefused(Exception):
    """The file cannot be read as a zip at all; str() is one line saying why."""


class NotAZip(ZipRefused):
    """Not even an end record: the file is no zip (or was cut short)."""


class EntryUnreadable(Exception):
    """One entry's data is not what the directory declares; str() says how."""


@dataclass
class ZipEntry:
    name: str
    raw_name: bytes
    flags: int
    method: int
    crc: int
    compress_size: int
    file_size: int
    header_offset: int  # where the directory says the local header is
    external_attr: int
    data_offset: int = -1  # known once the local header was found
    # (status, detail) in verify's words, "unsafe" or "unreadable"; None when readable.
    problem: tuple[str, str] | None = None

    @property
    def is_dir(self) -> bool:
        return self.name.endswith("/")

    def refuse(self, status: str, detail: str) -> None:
        """Record the first thing wrong with the entry; later ones add nothing for the reader."""
        if self.problem is None:
            self.problem = (status, detail)


def _quoted(raw: bytes, limit: int = 120) -> str:
    """An entry name from the file, safe to print (no control or bidi characters)."""
    text = raw.decode("utf-8", "backslashreplace")
    out = "".join(
        ch if ch.isprintable() else (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}")
        for ch in text[:limit]
    )
    return "'" + out + ("…" if len(text) > limit else "") + "'"


def _extra_fields(extra: bytes) -> dict[int, bytes] | None:
    """The extra field's records by id, None when they do not tile it exactly.

    A malformed extra field is no hiding place (its bytes belong to the entry and names and
    sizes are compared as declared), so it only stops zip64 sizes from being found in it.
    """
    fields: dict[int, bytes] = {}
    pos = 0
    while pos < len(extra):
        if pos + 4 > len(extra):
            return None
        kind, length = struct.unpack_from("<HH", extra, pos)
        if pos + 4 + length > len(extra):
            return None
        fields.setdefault(kind, extra[pos + 4 : pos + 4 + length])
        pos += 4 + length
    return fields


def _zip64_values(field: bytes | None, values: list[int], sentinels: list[int]) -> list[int] | None:
    """values with each one that is all ones taken, in order, from the zip64 extra field."""
    out, pos = [], 0
    for value, sentinel in zip(values, sentinels):
        if value == sentinel:
            width = 8 if sentinel == _MAX32 else 4
            if field is None or pos + width > len(field):
                return None
            value = int.from_bytes(field[pos : pos + width], "little")
            pos += width
        out.append(value)
    return out


def _decoded_name(raw: bytes, flags: int, fields: dict[int, bytes]) -> tuple[str, str | None]:
    """(name, problem): UTF-8 when flagged or ASCII, cp437 otherwise (as zipfile does)."""
    if flags & _FLAG_UTF8 or raw.isascii():
        name = raw.decode("utf-8", "surrogateescape")  # check_path() then refuses the surrogates
    else:
        name = raw.decode("cp437")
    field = fields.get(_UNICODE_PATH_FIELD)
    if not (field and len(field) > 5 and field[0] == 1
            and int.from_bytes(field[1:5], "little") == zlib.crc32(raw)):
        return name, None
    # Info-ZIP's unzip shows this name instead: both must say the same.
    other = field[5:].decode("utf-8", "surrogateescape")
    if raw.decode("utf-8", "surrogateescape") != other:
        return name, (f"names itself {_quoted(raw)} and, in its Unicode path field, {_quoted(field[5:])}:"
                      " zip tools would show different files")
    return other, None


def _entry_problem(entry: ZipEntry) -> tuple[str, str] | None:
    """What makes an entry unfit to read, from its directory record alone."""
    mode = entry.external_attr >> 16
    if stat.S_ISLNK(mode):
        return ("unsafe", "is a symbolic link entry; not followed")
    if entry.is_dir:
        if entry.file_size or entry.compress_size > (2 if entry.method == DEFLATED else 0):
            return ("unsafe", f"is a folder entry, yet holds {entry.compress_size} bytes of data")
        return None
    if stat.S_IFMT(mode) and not stat.S_ISREG(mode):
        return ("unsafe", "is not a regular file entry")
    if entry.flags & (_FLAG_ENCRYPTED | _FLAG_STRONG_ENCRYPTION) or entry.method == _AES:
        return ("unreadable", "is encrypted")
    if entry.method not in (STORED, DEFLATED):
        method = _METHODS.get(entry.method, "an unknown method")
        return ("unreadable", f"is compressed with {method} (zip method {entry.method}); verify reads only "
                              "stored and deflate entries, as evidence pack writes them, and did not decompress it")
    if entry.method == STORED and entry.compress_size != entry.file_size:
        return ("unreadable",
                f"is stored uncompressed, yet declares {entry.compress_size} bytes for {entry.file_size}")
    if entry.method == DEFLATED and entry.file_size > entry.compress_size * MAX_DEFLATE_RATIO + 1024:
        return ("unreadable",
                f"declares {entry.file_size} bytes from {entry.compress_size}, more than deflate can produce")
    return None


@dataclass
class _Region:
    start: int
    end: int
    what: ZipEntry | str  # an entry, or the name of a directory structure


class ZipReader:
    """A zip's directory, checked against every byte of the file; entries read on request.

    After construction, `entries` lists every central directory entry (each with its
    `problem`, if any) and `problems` every fault of the zip as a whole (bytes nothing
    accounts for, a miscounted directory): one line each, for the verdict.
    """

    def __init__(self, path: Path, max_entries: int = MAX_ENTRIES,
                 max_directory: int = MAX_DIRECTORY_BYTES):
        self.path = Path(path)
        self.entries: list[ZipEntry] = []
        self.problems: list[str] = []
        self.comment = b""  # the archive comment, as found (at most 65 535 bytes)
        self._lock = threading.Lock()
        self._fd = os.open(self.path, os.O_RDONLY | _O_BINARY | _O_NONBLOCK)
        try:
            info = os.fstat(self._fd)
            if not stat.S_ISREG(info.st_mode):
                raise NotAZip("it is not a regular file")
            self.size = info.st_size
            self._load(max_entries, max_directory)
        except BaseException:
            os.close(self._fd)
            raise

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _read(self, offset: int, length: int) -> bytes:
        """Up to length bytes at offset (fewer only at the end of the file); thread-safe."""
        length = max(0, min(length, self.size - offset))
        chunks, got = [], 0
        while got < length:
            if _PREAD:
                chunk = os.pread(self._fd, length - got, offset + got)
            else:
                with self._lock:
                    os.lseek(self._fd, offset + got, os.SEEK_SET)
                    chunk = os.read(self._fd, length - got)
            if not chunk:
                break
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _damaged(self, why: str) -> ZipRefused:
        return ZipRefused(f"{self.path.name} is not a readable zip archive ({why})")

    def _several_disks(self) -> ZipRefused:
        return ZipRefused(f"{self.path.name} spans several disks (a split or spanned zip); verify reads "
                          "only single-file zips, such as evidence pack writes")

    # --- opening: end records, central directory, local headers, accounting --------------

    def _load(self, max_entries: int, max_directory: int) -> None:
        regions: list[_Region] = []
        count, size, offset, boundary = self._end_records(regions)
        if size > max_directory:
            raise ZipRefused(f"the zip's directory is {size} bytes, too large for a bundle")
        if offset + size > boundary:
            raise self._damaged("its central directory runs into its end record")
        shift = 0
        if size and self._read(offset, 4) != _SIG_CENTRAL:
            # Something put in front of a zip whose offsets do not count it (cat stub a.zip):
            # the directory sits right before the end records. Those bytes are reported below.
            shift = boundary - size - offset
            if shift <= 0 or self._read(offset + shift, 4) != _SIG_CENTRAL:
                raise self._damaged("no central directory where its end record says")
        regions.append(_Region(offset + shift, offset + shift + size, "central directory"))
        directory = self._read(offset + shift, size)
        if len(directory) < size:
            raise self._damaged("its central directory is cut short")
        self.entries = self._central_entries(directory, max_entries)
        if len(self.entries) != count:
            self.problems.append(f"the zip's end record counts {count} entries, but its directory "
                                 f"holds {len(self.entries)}")
        for entry in sorted(self.entries, key=lambda e: e.header_offset):
            region = self._local_entry(entry, shift)
            if region is not None:
                regions.append(region)
        self._account(regions)
        for entry in self.entries:
            problem = _entry_problem(entry)
            if problem:
                entry.refuse(*problem)

    def _end_records(self, regions: list[_Region]) -> tuple[int, int, int, int]:
        """(entry count, directory size, directory offset, where the directory must end)."""
        at, record = self._find_end()
        _, disk, directory_disk, on_disk, count, size, offset, comment = record
        regions.append(_Region(at, at + _END.size + comment, "end record"))
        # Where `evidence pack` says which part of a bundle this zip is (see pack.py).
        self.comment = self._read(at + _END.size, comment)
        boundary = at
        locator = self._read(at - _LOCATOR.size, _LOCATOR.size) if at >= _LOCATOR.size else b""
        if locator[:4] == _SIG_LOCATOR:
            boundary, wide = self._zip64_end(at, locator, regions)
            # A reader that knows no zip64 uses the narrow values: they must not lead elsewhere.
            narrow = (disk, directory_disk, on_disk, count, size, offset)
            sentinels = (_MAX16,) * 4 + (_MAX32,) * 2
            if any(old not in (new, all_ones) for old, new, all_ones in zip(narrow, wide, sentinels)):
                self.problems.append("the zip's end record and its zip64 end record disagree "
                                     "(zip tools would read different directories)")
            disk, directory_disk, on_disk, count, size, offset = wide
        if disk or directory_disk or on_disk != count:
            raise self._several_disks()
        return count, size, offset, boundary

    def _zip64_end(self, at: int, locator: bytes, regions: list[_Region]) -> tuple[int, tuple]:
        """(where the zip64 end record starts, its disk, count, size and offset values)."""
        _, end64_disk, end64_at, disks = _LOCATOR.unpack(locator)
        if end64_disk != 0 or disks > 1:
            raise self._several_disks()
        regions.append(_Region(at - _LOCATOR.size, at, "zip64 end locator"))
        fits = end64_at + _END64.size <= at - _LOCATOR.size
        fixed = self._read(end64_at, _END64.size) if fits else b""
        if len(fixed) < _END64.size or fixed[:4] != _SIG_END64:
            raise self._damaged("its zip64 end record is missing")
        _, rest, _, _, disk, directory_disk, on_disk, count, size, offset = _END64.unpack(fixed)
        if rest < _END64.size - 12 or end64_at + 12 + rest > at - _LOCATOR.size:
            raise self._damaged("its zip64 end record is malformed")
        regions.append(_Region(end64_at, end64_at + 12 + rest, "zip64 end record"))
        return end64_at, (disk, directory_disk, on_disk, count, size, offset)

    def _find_end(self) -> tuple[int, tuple]:
        """The end record whose comment ends the file; failing that, the last one that fits."""
        if self.size < _END.size:
            raise NotAZip("too short to be a zip")
        start = max(0, self.size - _END.size - _MAX16)
        tail = self._read(start, self.size - start)
        fallback = None
        at = tail.rfind(_SIG_END)
        while at >= 0:
            if at + _END.size <= len(tail):
                record = _END.unpack_from(tail, at)
                finish = at + _END.size + record[-1]
                if finish == len(tail):
                    return start + at, record
                if fallback is None and finish < len(tail):
                    fallback = (start + at, record)
            at = tail.rfind(_SIG_END, 0, at)
        if fallback is None:
            raise NotAZip("no end-of-directory record: not a zip, or cut short")
        return fallback

    def _central_entries(self, directory: bytes, max_entries: int) -> list[ZipEntry]:
        entries: list[ZipEntry] = []
        pos = 0
        while pos < len(directory):
            if len(entries) >= max_entries:
                raise ZipRefused(f"the zip holds more than {max_entries} entries; not checked")
            if pos + _CENTRAL.size > len(directory) or directory[pos : pos + 4] != _SIG_CENTRAL:
                raise self._damaged(f"its central directory is damaged at entry {len(entries) + 1}")
            (_, _, _, _, flags, method, _, _, crc, compressed, size, name_len, extra_len, comment_len,
             disk, _, external, offset) = _CENTRAL.unpack_from(directory, pos)
            name_at = pos + _CENTRAL.size
            pos = name_at + name_len + extra_len + comment_len
            if pos > len(directory):
                raise self._damaged(f"its central directory is damaged at entry {len(entries) + 1}")
            raw = directory[name_at : name_at + name_len]
            fields = _extra_fields(directory[name_at + name_len : name_at + name_len + extra_len])
            values = _zip64_values((fields or {}).get(_ZIP64_FIELD), [size, compressed, offset, disk],
                                   [_MAX32, _MAX32, _MAX32, _MAX16])
            if values is None:
                raise self._damaged(f"entry {len(entries) + 1} lacks the zip64 sizes its directory refers to")
            size, compressed, offset, disk = values
            if disk != 0:
                raise self._several_disks()
            name, problem = _decoded_name(raw, flags, fields or {})
            entry = ZipEntry(name, raw, flags, method, crc, compressed, size, offset, external)
            if problem:
                entry.refuse("unsafe", problem)
            entries.append(entry)
        return entries

    def _local_entry(self, entry: ZipEntry, shift: int) -> _Region | None:
        """Check the local header the directory points at; the bytes the entry spans."""
        at = entry.header_offset + shift
        head = self._read(at, _LOCAL.size)
        if len(head) < _LOCAL.size or head[:4] != _SIG_LOCAL:
            entry.refuse("unreadable", f"has no local header at offset {at}, where the zip's directory puts it")
            return None
        _, _, flags, method, _, _, crc, compressed, size, name_len, extra_len = _LOCAL.unpack(head)
        rest = self._read(at + _LOCAL.size, name_len + extra_len)
        if len(rest) < name_len + extra_len:
            entry.refuse("unreadable", "its local header is cut short")
            return None
        raw, fields = rest[:name_len], _extra_fields(rest[name_len:])
        entry.data_offset = at + _LOCAL.size + name_len + extra_len
        zip64 = (fields or {}).get(_ZIP64_FIELD)
        if zip64 is not None and len(zip64) >= 16:
            # A local zip64 field carries both sizes, whichever of them overflowed.
            size = int.from_bytes(zip64[:8], "little") if size == _MAX32 else size
            compressed = int.from_bytes(zip64[8:16], "little") if compressed == _MAX32 else compressed
        else:
            size, compressed = _zip64_values(zip64, [size, compressed], [_MAX32, _MAX32]) or (size, compressed)
        end = entry.data_offset + entry.compress_size
        if flags & _FLAG_DESCRIPTOR:
            end += self._descriptor(entry, end, zip64 is not None)
        if raw != entry.raw_name:
            entry.refuse("unsafe", f"its local header names it {_quoted(raw)}: zip readers that read local "
                                   "headers (streaming ones, such as Java's) would see another file")
        elif method != entry.method or (flags ^ entry.flags) & (_FLAG_ENCRYPTED | _FLAG_DESCRIPTOR):
            entry.refuse("unsafe", "its local header and the zip's directory disagree on how it is stored")
        elif any(mine != theirs and not (flags & _FLAG_DESCRIPTOR and mine == 0) for mine, theirs in
                 zip((crc, compressed, size), (entry.crc, entry.compress_size, entry.file_size))):
            # With a data descriptor, a value not yet known when the header was written is 0.
            entry.refuse("unsafe", f"its local header declares {size} bytes ({compressed} compressed, CRC-32 "
                                   f"{crc:08x}), the zip's directory {entry.file_size} ({entry.compress_size}, "
                                   f"{entry.crc:08x})")
        return _Region(at, end, entry)

    def _descriptor(self, entry: ZipEntry, at: int, zip64: bool) -> int:
        """Length of the data descriptor at `at` that repeats the directory's values, 0 if none does."""
        blob = self._read(at, 24)
        wide = [(True, 8), (False, 8)]
        narrow = [(True, 4), (False, 4)]
        for signed, width in (wide + narrow) if zip64 else (narrow + wide):
            pos = 4 if signed else 0
            length = pos + 4 + 2 * width
            if len(blob) < length or (signed and blob[:4] != _SIG_DESCRIPTOR):
                continue
            crc = int.from_bytes(blob[pos : pos + 4], "little")
            compressed = int.from_bytes(blob[pos + 4 : pos + 4 + width], "little")
            size = int.from_bytes(blob[pos + 4 + width : length], "little")
            if (crc, compressed, size) == (entry.crc, entry.compress_size, entry.file_size):
                return length
        entry.refuse("unsafe", "its data descriptor (after its data) does not repeat what the zip's directory says")
        return 0

    def _account(self, regions: list[_Region]) -> None:
        """Every byte of the file in exactly one region: gaps are hidden data, overlaps two readings."""
        regions.sort(key=lambda region: (region.start, region.end))
        pos, furthest = 0, None
        for region in regions:
            if region.start > pos:
                self.problems.append(self._unaccounted(pos, region.start - pos))
            elif furthest is not None and region.start < pos:
                self._overlap(furthest.what, region.what)
            if region.end > pos:
                pos, furthest = region.end, region
        if pos < self.size:
            self.problems.append(self._unaccounted(pos, self.size - pos, "data added after the zip's end record"))

    def _unaccounted(self, at: int, length: int, hint: str = "a hidden entry?") -> str:
        head = self._read(at, min(length, _LOCAL.size + 256))
        if len(head) >= _LOCAL.size and head[:4] == _SIG_LOCAL:
            name_len = _LOCAL.unpack_from(head)[9]
            hint = (f"a hidden entry named {_quoted(head[_LOCAL.size : _LOCAL.size + name_len])}, "
                    "which zip readers that read local headers would show")
        return f"{length} bytes at offset {at} of the zip are not accounted for by its directory ({hint})"

    def _overlap(self, first: ZipEntry | str, second: ZipEntry | str) -> None:
        if isinstance(first, ZipEntry) and isinstance(second, ZipEntry):
            first.refuse("unsafe", f"shares bytes of the zip with entry {_quoted(second.raw_name)}")
            second.refuse("unsafe", f"shares bytes of the zip with entry {_quoted(first.raw_name)}")
        elif isinstance(first, ZipEntry) or isinstance(second, ZipEntry):
            entry, where = (first, second) if isinstance(first, ZipEntry) else (second, first)
            entry.refuse("unsafe", f"runs into the zip's {where}")
        else:
            self.problems.append(f"the zip's {first} and {second} overlap")

    # --- reading one entry ---------------------------------------------------------------

    def read_into(self, entry: ZipEntry, sink: Callable[[bytes], object], limit: int | None = None) -> int:
        """Feed the entry's bytes to sink in blocks; its size. EntryUnreadable if it is not as declared."""
        if entry.problem is not None or entry.data_offset < 0:
            raise EntryUnreadable(entry.problem[1] if entry.problem else "has no local header")
        if limit is not None and entry.file_size > limit:
            raise EntryUnreadable(f"is {entry.file_size} bytes, more than the {limit} allowed")
        if entry.method == STORED or entry.compress_size == 0:
            # Zero bytes of deflate data: an empty file as some writers store it.
            size, crc = self._copy(entry, sink)
        else:
            size, crc = self._inflate(entry, sink)
        if size != entry.file_size:
            raise EntryUnreadable(f"holds {size} bytes but the zip declares {entry.file_size}")
        if crc != entry.crc:
            raise EntryUnreadable("its data does not match the CRC-32 the zip declares (damaged or changed)")
        return size

    def _copy(self, entry: ZipEntry, sink) -> tuple[int, int]:
        pos, left, crc = entry.data_offset, entry.compress_size, 0
        while left:
            block = self._read(pos, min(left, OUTPUT_BLOCK))
            if not block:
                raise EntryUnreadable("its data is cut short (the zip is truncated)")
            crc = zlib.crc32(block, crc)
            sink(block)
            pos += len(block)
            left -= len(block)
        return entry.compress_size, crc

    def _inflate(self, entry: ZipEntry, sink) -> tuple[int, int]:
        inflater = zlib.decompressobj(-15)
        pos, left, total, crc, pending = entry.data_offset, entry.compress_size, 0, 0, b""
        while not inflater.eof:
            if not pending and left:
                pending = self._read(pos, min(left, INPUT_BLOCK))
                if not pending:
                    raise EntryUnreadable("its data is cut short (the zip is truncated)")
                pos += len(pending)
                left -= len(pending)
            try:
                # One byte more than declared is enough to know the declaration was a lie.
                out = inflater.decompress(pending, min(OUTPUT_BLOCK, entry.file_size - total + 1))
            except zlib.error as exc:
                raise EntryUnreadable(f"its deflate data is damaged ({exc})") from None
            progressed = out or len(inflater.unconsumed_tail) != len(pending)
            pending = inflater.unconsumed_tail
            if not progressed:
                raise EntryUnreadable("its deflate data is cut short")
            total += len(out)
            if total > entry.file_size:
                raise EntryUnreadable(f"inflates to more than the {entry.file_size} bytes the zip declares")
            if out:
                crc = zlib.crc32(out, crc)
                sink(out)
        hidden = left + len(pending) + len(inflater.unused_data)
        if hidden:
            raise EntryUnreadable(f"holds {hidden} bytes after the end of its deflate data (hidden data?)")
        return total, crc
