"""Randomized mutations of manifests and zips: verify always ends with a verdict, never raises.

Fixed seeds, so a failure reproduces; every case is small, so the whole file takes seconds.
"""

from __future__ import annotations

import hashlib
import json
import random
import shutil
import warnings
import zipfile
from pathlib import Path

import pytest

from capture.manifest import VerificationReport
from capture.output import print_verification
from capture.verify import verify

from .bundles import bundle_files, make_bundle, zip_bundle

CASES_PER_SEED = 60
HOSTILE_STRINGS = [
    "", "../x", "../../etc/passwd", "/etc/passwd", "a\\b", "a\x00b", "C:x", "captures/./x",
    "captures//x", "captures/01-order/screenshot.png", "manifest.json", "SHA256SUMS",
    "\u202e", "\ud800", "é" * 600, "\x1b[2J", "0" * 64, "f" * 64, "complete", "incomplete",
    "2025-11-25T17:00:00.000Z", "not a date",
]


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return make_bundle(tmp_path_factory.mktemp("fuzz") / "bundle", n_captures=3)


def _random_value(rng: random.Random):
    kind = rng.randrange(9)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([0, -1, 1, 2**31, 2**63, 10**30, -(10**30)])
    if kind == 2:
        return rng.random() * 10**rng.randrange(0, 300)
    if kind == 3:
        return rng.choice([True, False])
    if kind == 4:
        return []
    if kind == 5:
        return {}
    if kind == 6:
        return [rng.choice(HOSTILE_STRINGS)] * rng.randrange(1, 4)
    if kind == 7:
        return {rng.choice(HOSTILE_STRINGS): rng.choice(HOSTILE_STRINGS)}
    return rng.choice(HOSTILE_STRINGS)


def _slots(node, out):
    """Every (container, key) in the JSON tree."""
    if isinstance(node, dict):
        for key in list(node):
            out.append((node, key))
            _slots(node[key], out)
    elif isinstance(node, list):
        for index in range(len(node)):
            out.append((node, index))
            _slots(node[index], out)
    return out


def _mutate_json(manifest: dict, rng: random.Random) -> None:
    for _ in range(rng.randrange(1, 4)):
        slots = _slots(manifest, [])
        if not slots:
            return
        container, key = rng.choice(slots)
        action = rng.randrange(6)
        if action == 0:
            del container[key]
        elif action == 1:
            container[key] = _random_value(rng)
        elif action == 2 and isinstance(container, dict):
            container[rng.choice(HOSTILE_STRINGS) or "extra"] = _random_value(rng)
        elif action == 3 and isinstance(container, list):
            container.append(container[key])  # duplicate entry
        elif action == 4 and isinstance(container[key], str):
            text = container[key]
            if text:
                at = rng.randrange(len(text))
                container[key] = text[:at] + rng.choice("0a/\\.\x00Z") + text[at + 1 :]
        else:
            # type swap: wrap or unwrap
            value = container[key]
            container[key] = [value] if not isinstance(value, list) else (value[0] if value else {})


def _mutate_bytes(data: bytes, rng: random.Random) -> bytes:
    data = bytearray(data)
    action = rng.randrange(4)
    if action == 0 and data:
        for _ in range(rng.randrange(1, 6)):
            data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    elif action == 1:
        del data[rng.randrange(len(data) + 1) :]
    elif action == 2:
        at = rng.randrange(len(data) + 1)
        data[at:at] = rng.randbytes(rng.randrange(1, 16))
    else:
        data[rng.randrange(len(data) + 1) :] = b"\xff\xfe\x00"
    return bytes(data)


def _rewrite_sums(root: Path) -> None:
    lines = [
        f"{hashlib.sha256((root / rel).read_bytes()).hexdigest()}  {rel}\n"
        for rel in bundle_files(root)
        if rel != "SHA256SUMS"
    ]
    (root / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")


def _assert_verdict(path: Path) -> VerificationReport:
    report = verify(path)
    assert isinstance(report, VerificationReport)
    assert report.exit_code in (0, 1)
    # The report must also survive being printed and serialised.
    VerificationReport.model_validate_json(report.model_dump_json())
    print_verification(report, as_json=False)
    return report


@pytest.mark.parametrize("seed", range(5))
def test_mutated_manifest_always_gets_a_verdict(pristine, tmp_path, seed, capsys):
    root = tmp_path / "bundle"
    shutil.copytree(pristine, root)
    original = (root / "manifest.json").read_bytes()
    original_sums = (root / "SHA256SUMS").read_bytes()
    rng = random.Random(seed)
    verdicts = set()
    for _ in range(CASES_PER_SEED):
        if rng.random() < 0.5:
            manifest = json.loads(original)
            _mutate_json(manifest, rng)
            data = json.dumps(manifest, indent=rng.choice([None, 2])).encode("utf-8", "surrogatepass")
        else:
            data = _mutate_bytes(original, rng)
        (root / "manifest.json").write_bytes(data)
        if rng.random() < 0.5:
            _rewrite_sums(root)  # a forger who fixes SHA256SUMS up: reach the deeper checks
        verdicts.add(_assert_verdict(root).verdict)
        (root / "manifest.json").write_bytes(original)
        (root / "SHA256SUMS").write_bytes(original_sums)
    capsys.readouterr()
    assert "INTACT" not in verdicts or len(verdicts) > 1
    assert _assert_verdict(root).verdict == "INTACT"


def _rename_entry(source: Path, target: Path, rng: random.Random) -> None:
    with zipfile.ZipFile(source) as archive:
        entries = [(info, archive.read(info)) for info in archive.infolist()]
    victim = rng.randrange(len(entries))
    names = [info.filename for info, _ in entries]
    name = names[victim]
    choice = rng.randrange(6)
    if choice == 0:
        name = "../" + name
    elif choice == 1:
        name = "/" + name
    elif choice == 2:
        name = name.replace("/", "\\")
    elif choice == 3:
        name = rng.choice(names)  # a duplicate
    elif choice == 4:
        name = name.upper()
    else:
        at = rng.randrange(len(name))
        name = name[:at] + rng.choice("._/x") + name[at + 1 :]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for index, (info, data) in enumerate(entries):
                archive.writestr(name if index == victim else info.filename, data)


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("layout", ["", "bundle/"])
def test_mutated_zip_always_gets_a_verdict(pristine, tmp_path, seed, layout, capsys):
    method = zipfile.ZIP_STORED if seed % 2 else zipfile.ZIP_DEFLATED
    base = zip_bundle(pristine, tmp_path / "base.zip", folder=layout, method=method)
    original = base.read_bytes()
    directory_at = original.rfind(b"PK\x01\x02")
    rng = random.Random(1000 + seed)
    target = tmp_path / "mutated.zip"
    for _ in range(CASES_PER_SEED // 2):
        action = rng.randrange(5)
        if action == 0:
            _rename_entry(base, target, rng)
        elif action == 1:  # flips anywhere
            target.write_bytes(_mutate_bytes(original, rng))
        elif action == 2:  # truncation
            target.write_bytes(original[: rng.randrange(len(original))])
        elif action == 3:  # flips in the second half, where the central directory's names and sizes live
            data = bytearray(original)
            for _ in range(rng.randrange(1, 3)):
                data[rng.randrange(directory_at // 2, len(data))] ^= 1 << rng.randrange(8)
            target.write_bytes(bytes(data))
        else:  # garbage in front (like a self-extractor stub)
            target.write_bytes(rng.randbytes(rng.randrange(1, 64)) + original)
        _assert_verdict(target)
    capsys.readouterr()
    assert _assert_verdict(base).verdict == "INTACT"
