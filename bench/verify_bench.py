"""How fast is `evidence verify` on a 1 GiB bundle, next to the plain alternatives?

Builds a ~1 GiB bundle (a few dozen files of random bytes, mixed sizes) through the
real BundleWriter in a temporary directory under bench/work/, then times, interleaved
round by round (median of N):

- `evidence verify BUNDLE`               (the installed console script, a subprocess)
- plain hashlib on all cores             (a subprocess of the same Python: a thread pool
                                          hashing the same files with 1 MiB reads)
- `sha256sum -c SHA256SUMS`              (coreutils, one core)

Each command pays its own process start, so the ratios compare like with like. Files
are read once before timing so that all three read from the page cache.

    .venv/bin/python bench/verify_bench.py [--rounds 5] [--size-mib 1024] [--keep]

Writes bench/verify-results.json. bench_verify(rounds) is the entry point for bench/run.py.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bytecode import compile_package  # bench/, the script's folder

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
WORK = HERE / "work"
RESULTS = HERE / "verify-results.json"

BASELINE = r"""
import hashlib, os, sys
from concurrent.futures import ThreadPoolExecutor

root = sys.argv[1]
paths = []
for folder, _, names in os.walk(root):
    paths += [os.path.join(folder, n) for n in names if n != "SHA256SUMS"]

def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb", buffering=0) as handle:
        while block := handle.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()

with ThreadPoolExecutor(os.cpu_count()) as pool:
    print(len(list(pool.map(sha256, paths))), "files hashed")
"""


def _evidence() -> list[str]:
    script = Path(sys.executable).with_name("evidence")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "capture"]


def _sizes(total: int, rng: random.Random) -> list[int]:
    """A few large files (trace, HAR, tall screenshots) and many smaller ones."""
    sizes = [total // 4, total // 8]  # like trace.zip and network.har
    rest = total - sum(sizes)
    while rest > 0:
        size = min(rest, rng.choice([256 << 10, 1 << 20, 4 << 20, 16 << 20, 40 << 20]))
        sizes.append(size)
        rest -= size
    return sizes


def build_bundle(root: Path, total_bytes: int, seed: int = 0) -> Path:
    """A complete bundle of about total_bytes, written through BundleWriter."""
    from capture.bundle import BundleWriter
    from capture.manifest import (
        BrowserInfo,
        Capture,
        Environment,
        Manifest,
        Tool,
        Viewport,
        utc_now,
    )

    rng = random.Random(seed)
    writer = BundleWriter.create(root)
    manifest = Manifest(
        tool=Tool(version="bench"),
        status="incomplete",
        started_at=utc_now(),
        environment=Environment(
            os=platform.platform(), python=platform.python_version(), playwright="n/a",
            browser=BrowserInfo(name="none", version="n/a", user_agent="bench", headless=True),
            viewport=Viewport(width=1280, height=800), locale="zh-CN", timezone="UTC",
        ),
    )
    sizes = _sizes(total_bytes, rng)
    manifest.artifacts.append(
        writer.write_artifact("trace.zip", os.urandom(sizes[0]), "trace", "application/zip")
    )
    manifest.artifacts.append(
        writer.write_artifact("network.har", os.urandom(sizes[1]), "har", "application/json")
    )
    per_capture = 8
    for start in range(2, len(sizes), per_capture):
        index = len(manifest.captures) + 1
        folder = f"captures/{index:02d}-page"
        capture = Capture(index=index, kind="page", requested_url=f"http://127.0.0.1/{index}",
                          started_at=utc_now())
        for n, size in enumerate(sizes[start : start + per_capture], 1):
            capture.artifacts.append(
                writer.write_artifact(f"{folder}/screenshot-{n:03d}.png", os.urandom(size),
                                      "screenshot_tile", "image/png", offset_y=0, height=1)
            )
        manifest.captures.append(capture)
        writer.write_manifest(manifest)
        writer.write_sums(manifest)
    manifest.status = "complete"
    manifest.finished_at = utc_now()
    writer.write_manifest(manifest)
    writer.write_sums(manifest)
    return root


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _timed(command: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of one run; CPU time is steadier on a busy machine."""
    cpu = _children_cpu()
    start = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed ({done.returncode}): {done.stdout[-500:]}{done.stderr[-500:]}")
    return elapsed, _children_cpu() - cpu


def _sha_extensions() -> bool | None:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    return " sha_ni" in flags or " sha2" in flags


def bench_verify(rounds: int = 5, size_mib: int = 1024, keep: bool = False) -> dict:
    """Build the bundle, time the three commands interleaved, return the results."""
    sha256sum = shutil.which("sha256sum")
    if not sha256sum:
        raise RuntimeError("coreutils sha256sum not found")
    WORK.mkdir(parents=True, exist_ok=True)
    compile_package()
    temp = Path(tempfile.mkdtemp(prefix="verify-", dir=WORK))
    try:
        root = build_bundle(temp / "bundle", size_mib << 20)
        files = [p for p in root.rglob("*") if p.is_file()]
        total = sum(p.stat().st_size for p in files)
        commands = {
            "verify": (_evidence() + ["verify", str(root)], None),
            "hashlib": ([sys.executable, "-c", BASELINE, str(root)], None),
            "sha256sum": ([sha256sum, "--quiet", "-c", "SHA256SUMS"], root),
        }
        for command, cwd in commands.values():  # warm-up: page cache, imports, .pyc
            _timed(command, cwd)
        seconds: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        order = list(commands)
        for round_ in range(rounds):
            # Rotate who goes first, so a burst of outside load does not favour one command.
            for name in order[round_ % 3 :] + order[: round_ % 3]:
                wall, used = _timed(*commands[name])
                seconds[name].append(wall)
                cpu[name].append(used)
    finally:
        if not keep:
            shutil.rmtree(temp, ignore_errors=True)
    median = {name: statistics.median(values) for name, values in seconds.items()}
    median_cpu = {name: statistics.median(values) for name, values in cpu.items()}
    return {
        "benchmark": "verify",
        "bundle_bytes": total,
        "bundle_files": len(files),
        "rounds": rounds,
        "cpus": os.cpu_count(),
        "cpu_sha_extensions": _sha_extensions(),
        "python": platform.python_version(),
        "load_average": os.getloadavg(),
        "seconds": seconds,
        "median_seconds": median,
        "cpu_seconds": cpu,
        "median_cpu_seconds": median_cpu,
        "ratios": {
            "verify_over_hashlib": median["verify"] / median["hashlib"],
            "verify_over_sha256sum": median["verify"] / median["sha256sum"],
            "sha256sum_over_verify": median["sha256sum"] / median["verify"],
            "cpu_verify_over_hashlib": median_cpu["verify"] / median_cpu["hashlib"],
            # verify's CPU time spread perfectly over every core, over hashlib's wall time:
            # the ratio verify could reach by overlapping better. Above the target, only
            # less work (its start-up, Click, pydantic's validators) brings verify down.
            "cpu_floor_over_hashlib": median_cpu["verify"] / (os.cpu_count() or 1) / median["hashlib"],
            # The fastest round of each: what a quiet machine would show when the median is noisy.
            "best_verify_over_hashlib": min(seconds["verify"]) / min(seconds["hashlib"]),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--keep", action="store_true", help="keep the generated bundle under bench/work/")
    args = parser.parse_args()
    results = bench_verify(args.rounds, args.size_mib, args.keep)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    median, ratios = results["median_seconds"], results["ratios"]
    print(f"bundle: {results['bundle_bytes'] / (1 << 30):.2f} GiB in {results['bundle_files']} files, "
          f"{results['cpus']} CPUs, SHA extensions: {results['cpu_sha_extensions']}")
    for name in ("verify", "hashlib", "sha256sum"):
        runs = ", ".join(f"{s:.3f}" for s in results["seconds"][name])
        print(f"  {name:<10} median {median[name]:.3f} s wall, "
              f"{results['median_cpu_seconds'][name]:.3f} s CPU  ({runs})")
    print(f"verify / hashlib on all cores: {ratios['verify_over_hashlib']:.2f}x (target <= 1.15x)")
    print(f"verify / sha256sum -c:         {ratios['verify_over_sha256sum']:.2f}x "
          f"(sha256sum takes {ratios['sha256sum_over_verify']:.1f}x as long)")
    print(f"verify / hashlib, CPU time:    {ratios['cpu_verify_over_hashlib']:.2f}x; "
          f"fastest rounds: {ratios['best_verify_over_hashlib']:.2f}x")
    print(f"verify's CPU on all cores / hashlib: {ratios['cpu_floor_over_hashlib']:.2f}x "
          f"(the floor without less work)")
    print(f"load average during the run: {results['load_average'][0]:.2f} (noisy above {results['cpus']})")
    print(f"written {RESULTS.relative_to(REPO)}")


if __name__ == "__main__":
    main()
