"""verify's hashes from a child process (capture/hashing.py): the same results, the same
exceptions, and nothing lost when the child dies.

The child is forked, so these run in a subprocess of their own: a test process has
threads of its own, and forking one is what can_fork refuses.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from capture.verify import FORK_FROM_BYTES

from .bundles import make_bundle

SCRIPT = r"""
import hashlib, json, os, signal, sys
from capture.hashing import Hashing, can_fork

class Unreadable(Exception):
    pass

root, parent = sys.argv[1], os.getpid()

def hash_one(rel):
    if rel == "bad":
        raise Unreadable("is not a regular file")
    if rel == "odd":
        raise ValueError("something unexpected")
    if rel == "die" and os.getpid() != parent:
        os.kill(os.getpid(), signal.SIGKILL)  # the child dies; the parent must carry on
    data = open(os.path.join(root, rel), "rb").read()
    return len(data), hashlib.sha256(data).hexdigest()

names = sorted(os.listdir(root)) + ["bad", "odd"]
out = {"can_fork": can_fork()}  # a process with one thread, on Linux
hashing = Hashing(hash_one, names, 2, Unreadable, fork=True)
out["forked"] = hashing._reader is not None
try:
    for rel, future in hashing.futures.items():
        try:
            out[rel] = list(future.result(timeout=60))
        except Exception as exc:
            out[rel] = [type(exc).__name__, str(exc)]
finally:
    hashing.close()
print(json.dumps(out))
"""


def _files(root: Path, names: list[str]) -> dict[str, bytes]:
    root.mkdir()
    made = {}
    for n, name in enumerate(names):
        made[name] = os.urandom(n * 70_001 + 1)
        (root / name).write_bytes(made[name])
    return made


def _run(root: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", SCRIPT, str(root)], capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_hashes_from_the_child_are_the_files_hashes(tmp_path):
    made = _files(tmp_path / "files", [f"f{n:02d}" for n in range(12)])
    out = _run(tmp_path / "files")
    assert out["forked"] and out["can_fork"]
    for name, data in made.items():
        assert out[name] == [len(data), hashlib.sha256(data).hexdigest()]
    assert out["bad"] == ["Unreadable", "is not a regular file"]
    assert out["odd"] == ["ValueError", "something unexpected"]  # as a thread would raise it


def test_a_child_that_dies_loses_no_hash(tmp_path):
    made = _files(tmp_path / "files", ["a", "b", "die", "c", "d", "e"])
    out = _run(tmp_path / "files")
    assert out["forked"]
    for name, data in made.items():
        assert out[name] == [len(data), hashlib.sha256(data).hexdigest()], name


def _verify(bundle: Path) -> subprocess.CompletedProcess:
    evidence = Path(sys.executable).with_name("evidence")
    command = [str(evidence)] if evidence.exists() else [sys.executable, "-m", "capture"]
    return subprocess.run([*command, "verify", str(bundle), "--json"], capture_output=True, text=True,
                          timeout=120, check=False)


def test_verify_of_a_bundle_hashed_in_a_child_names_the_changed_byte(tmp_path):
    # Large enough for the child (FORK_FROM_BYTES): the verdicts are those of threads.
    bundle = make_bundle(tmp_path / "b", n_captures=3, trace_bytes=FORK_FROM_BYTES + (1 << 20))
    done = _verify(bundle)
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["verdict"] == "INTACT"

    trace = bundle / "trace.zip"
    with trace.open("r+b") as handle:
        handle.seek(FORK_FROM_BYTES // 2)
        byte = handle.read(1)
        handle.seek(FORK_FROM_BYTES // 2)
        handle.write(bytes([byte[0] ^ 1]))
    done = _verify(bundle)
    report = json.loads(done.stdout)
    assert done.returncode == 1 and report["verdict"] == "ALTERED"
    assert [(f["path"], f["status"]) for f in report["files"]] == [("trace.zip", "altered")]


@pytest.mark.parametrize("closed", [(1,), (2,), (0,), (0, 1, 2)])
def test_verify_started_with_standard_descriptors_closed_still_reads_the_bundle(tmp_path, closed):
    # `evidence verify B >&-`: the next file opened would get number 1, and the hashing
    # child, which points 0-2 at /dev/null, would close it (every file "unreadable").
    bundle = make_bundle(tmp_path / "b", n_captures=2, trace_bytes=FORK_FROM_BYTES + (1 << 20))
    evidence = Path(sys.executable).with_name("evidence")
    command = [str(evidence)] if evidence.exists() else [sys.executable, "-m", "capture"]

    def run() -> subprocess.CompletedProcess:
        return subprocess.run([*command, "verify", str(bundle)], capture_output=True, text=True, timeout=120,
                              check=False, preexec_fn=lambda: [os.close(fd) for fd in closed])

    intact = run()
    assert intact.returncode == 0, intact.stdout + intact.stderr
    if 1 not in closed:
        assert intact.stdout.splitlines()[-1].startswith("INTACT:")
    trace = bundle / "trace.zip"
    data = bytearray(trace.read_bytes())
    data[12345] ^= 1
    trace.write_bytes(bytes(data))
    altered = run()
    assert altered.returncode == 1
    if 1 not in closed:
        assert "ALTERED    trace.zip: content differs" in altered.stdout


def test_a_child_never_takes_a_standard_descriptor_for_its_pipe(tmp_path):
    # A library caller with fd 1 closed: the pipe and the bundle's folder move above 2.
    bundle = make_bundle(tmp_path / "b", n_captures=1, trace_bytes=FORK_FROM_BYTES + (1 << 20))
    code = "import os, sys\nfrom capture.verify import verify\nos.close(0); os.close(1)\n" \
           f"sys.stderr.write(verify({str(bundle)!r}).verdict)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert done.stderr.strip().endswith("INTACT"), done.stderr


ORPHAN = r"""
import os, signal, sys, time
from capture.hashing import Hashing

class Unreadable(Exception):
    pass

def slow(rel):
    time.sleep(60)  # the child would hash for a minute
    return 0, ""

hashing = Hashing(slow, ["a", "b"], 2, Unreadable, fork=True)
print(hashing._child, flush=True)
os.kill(os.getpid(), signal.SIGKILL)  # the parent dies as under `timeout -s KILL`
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in ("Z", "X")


def test_the_child_dies_with_its_parent_and_does_not_hold_its_output():
    # communicate() returns only when every holder of the pipe has closed it: the child
    # has /dev/null for its output, so only the parent's death counts.
    done = subprocess.run([sys.executable, "-c", ORPHAN], capture_output=True, text=True, timeout=30,
                          check=False)
    child = int(done.stdout.split()[0])
    for _ in range(100):  # up to 10 s
        if not _alive(child):
            break
        time.sleep(0.1)
    assert not _alive(child)
