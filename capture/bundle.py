"""BundleWriter: every byte of a bundle goes through here.

Each file is hashed as it is written, written under a temporary name, fsynced and
renamed, so a crash leaves either the old file or the new one, never half of one.
"""

from __future__ import annotations

import hashlib
import os
import re
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .bundlepath import bundle_path
from .errors import UsageError
from .manifest import Artifact, Manifest, utc_now
from .messages import t

MANIFEST = "manifest.json"
SUMS = "SHA256SUMS"
REPORT_FILES = ("report.html", "report.pdf")
# Every sealed file's SHA-256 in coreutils format, itself listed in the manifest: with it
# plain tools check the whole seal (sha256sum manifest.json = the fingerprint; the manifest
# names this file's hash; sha256sum -c this file). SHA256SUMS cannot do that: it lists
# the manifest, so the manifest cannot vouch for it.
SEALED_LIST = "sealed.sha256"
# `evidence report` on a sealed bundle writes here: SHA256SUMS lists these files, the
# manifest (and so the fingerprint) never does, and verify calls them unsealed.
UNSEALED_DIR = "unsealed"
TSR_PREFIX = "manifest.json"
TSR_SUFFIX = ".tsr"
_UNSEALED_NAME = re.compile(r"unsealed/report-[1-9][0-9]{0,5}\.(html|pdf)")


def is_outside_manifest_file(name: str) -> bool:
    """Bundle files the manifest cannot list (they are made over it or after it)."""
    return name in (MANIFEST, SUMS) or is_token_name(name) or name.startswith(UNSEALED_DIR + "/")


def is_unsealed_rendering(name: str) -> bool:
    """unsealed/report-N.html|pdf: a report rendered after the bundle was sealed."""
    return _UNSEALED_NAME.fullmatch(name) is not None


_TOKEN_NAME = re.compile(r"manifest\.json(\.[2-9]|\.[1-9][0-9]{1,5})?\.tsr")
# Versions whose report was written after the manifest, outside it: their bundles keep
# verifying, with that report called unsealed. Later versions seal it.
LEGACY_REPORT_VERSIONS = ("0.1.0",)


def is_token_name(name: str) -> bool:
    """manifest.json.tsr, manifest.json.2.tsr, manifest.json.3.tsr ... (as token_name writes)."""
    return _TOKEN_NAME.fullmatch(name) is not None


def is_legacy_report(name: str, manifest: Manifest) -> bool:
    """report.html/report.pdf at the top of a bundle made before reports were sealed."""
    return (name in REPORT_FILES and manifest.tool.version in LEGACY_REPORT_VERSIONS
            and all(a.path != name for a in manifest.artifacts))


def token_name(number: int) -> str:
    return "manifest.json.tsr" if number == 1 else f"manifest.json.{number}.tsr"


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _fsync_dir(path: Path) -> None:
    # Makes the rename itself durable; not possible on every platform.
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class _HashingFile:
    def __init__(self, handle):
        self._handle = handle
        self.sha256 = hashlib.sha256()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.sha256.update(data)
        self.size += len(data)
        return self._handle.write(data)


class BundleWriter:
    """Writes files into one bundle directory and remembers their hashes."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self._hashes: dict[str, str] = {}
        # For recovery after a failed write (a full disk): what the manifest on disk
        # lists, and what was written since SHA256SUMS last matched it.
        self._saved: Manifest | None = None
        self._unsaved: set[str] = set()
        self._dirty_dirs: set[Path] = set()

    def _sync_dirs(self) -> None:
        for directory in sorted(self._dirty_dirs, key=lambda p: len(p.parts), reverse=True):
            _fsync_dir(directory)
        self._dirty_dirs.clear()

    @classmethod
    def create(cls, root: Path) -> "BundleWriter":
        """A new bundle; refuses a directory that already holds anything."""
        root = Path(root)
        if root.exists():
            if not root.is_dir():
                raise UsageError(t("bundle.not_dir", root=root))
            if any(root.iterdir()):
                raise UsageError(t("bundle.not_empty", root=root))
        try:
            root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise UsageError(t("bundle.cannot_create", root=root, reason=exc.strerror)) from None
        return cls(root)

    def _target(self, rel: str) -> Path:
        return self.root.joinpath(*bundle_path(rel).parts)

    @contextmanager
    def open(self, rel: str) -> Iterator[_HashingFile]:
        """Stream a file into the bundle; the hash is known when the block ends."""
        target = self._target(rel)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        try:
            with open(tmp, "wb") as handle:
                hashing = _HashingFile(handle)
                yield hashing
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        # Directory entries are made durable in batches (before the manifest that
        # names them), not once per file: one fsync per directory per save.
        self._dirty_dirs.add(target.parent)
        if rel in (MANIFEST, SUMS):
            self._sync_dirs()
        self._hashes[rel] = hashing.sha256.hexdigest()
        self._unsaved.add(rel)

    def write_file(self, rel: str, data: bytes) -> str:
        """Write a file that the manifest does not list (report, token); returns its SHA-256."""
        with self.open(rel) as out:
            out.write(data)
        return self._hashes[rel]

    def write_artifact(self, rel: str, data: bytes, role: str, media_type: str, **extra) -> Artifact:
        with self.open(rel) as out:
            out.write(data)
        return Artifact(
            path=rel,
            role=role,
            media_type=media_type,
            bytes=out.size,
            sha256=out.sha256.hexdigest(),
            created_at=utc_now(),
            **extra,
        )

    def write_sealed_list(self, manifest: Manifest) -> Artifact:
        """sealed.sha256 over every file the manifest lists so far (call it last)."""
        listed = sorted((a.path, a.sha256) for a in manifest.all_artifacts() if a.path != SEALED_LIST)
        lines = [f"{digest}  {path}\n" for path, digest in listed]
        return self.write_artifact(SEALED_LIST, "".join(lines).encode("utf-8"), "checksums", "text/plain")

    def write_manifest(self, manifest: Manifest) -> str:
        """Atomically (re)write manifest.json; returns the bundle fingerprint."""
        self._sync_dirs()  # the files it names are durable before it is
        fingerprint = self.write_file(MANIFEST, manifest.to_json_bytes())
        self._saved = manifest.model_copy(deep=True)
        return fingerprint

    def _hash_of(self, rel: str) -> str:
        known = self._hashes.get(rel)
        if known is None:
            digest = hashlib.sha256()
            with open(self._target(rel), "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
            known = self._hashes[rel] = digest.hexdigest()
        return known

    def forget(self, rel: str) -> None:
        """Drop a remembered hash (the file is about to be replaced by someone else)."""
        self._hashes.pop(rel, None)

    def write_sums(self, manifest: Manifest) -> None:
        """SHA256SUMS in coreutils format over every file except itself."""
        entries: dict[str, str] = {}
        for artifact in manifest.all_artifacts():
            entries[artifact.path] = artifact.sha256
        entries[MANIFEST] = self._hash_of(MANIFEST)
        for rel in self._outside_files(manifest):
            entries[rel] = self._hash_of(rel)
        lines = [f"{digest}  {path}\n" for path, digest in sorted(entries.items())]
        self.write_file(SUMS, "".join(lines).encode("utf-8"))
        self._unsaved.clear()

    def _outside_files(self, manifest: Manifest) -> list[str]:
        """Timestamp tokens and unsealed renderings: in SHA256SUMS, not in the manifest."""
        found = [c.name for c in self.root.iterdir()
                 if is_token_name(c.name) or is_legacy_report(c.name, manifest)]
        unsealed = self.root / UNSEALED_DIR
        if unsealed.is_dir() and not unsealed.is_symlink():
            found += [f"{UNSEALED_DIR}/{c.name}" for c in unsealed.iterdir()
                      if is_unsealed_rendering(f"{UNSEALED_DIR}/{c.name}")]
        return [rel for rel in sorted(found)
                if (self.root / rel).is_file() and not (self.root / rel).is_symlink()]

    def recover(self) -> list[str]:
        """After a failed write: remove this run's files that no saved manifest lists,
        then make SHA256SUMS match the manifest on disk again, so the bundle verifies
        for what it holds. Returns what was removed (never a recorded file)."""
        listed = {a.path for a in self._saved.all_artifacts()} if self._saved else set()
        removed = []
        for rel in sorted(self._unsaved - listed - {MANIFEST, SUMS}):
            try:
                self._target(rel).unlink()
                removed.append(rel)
            except OSError:
                pass
            self._hashes.pop(rel, None)
        if self._saved is not None:
            self.write_sums(self._saved)
        return removed
