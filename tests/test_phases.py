"""The benchmark's phase log (capture/phases.py): each phase's record carries the
process's peak memory as it ends, which only rises, and rises with what the phase held."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from capture.phases import PhaseLog, peak_mib

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


SCRIPT = r"""
import sys
from capture.phases import PhaseLog

log = PhaseLog(sys.argv[1])
laps = log.laps("01-page")
laps("small")
held = bytearray(64 << 20)
held[:: 4096] = b"\1" * len(held[:: 4096])  # touched: a real 64 MiB of resident memory
laps("large")
del held
laps("after")
log.write()
"""


def test_each_phase_records_the_peak_memory_it_reached(tmp_path):
    # A process of its own: a high-water mark counts everything the process ever held,
    # and the test process has held more than 64 MiB before.
    path = tmp_path / "phases.json"
    subprocess.run([sys.executable, "-c", SCRIPT, str(path)], check=True, timeout=60)
    records = json.loads(path.read_text(encoding="utf-8"))["phases"]
    assert [(r["target"], r["phase"]) for r in records] == [
        ("01-page", "small"), ("01-page", "large"), ("01-page", "after"), ("session", "total")]
    peaks = [r["peak_mib"] for r in records]
    assert all(isinstance(p, float) and p > 0 for p in peaks)
    # A high-water mark: it does not go down, beyond the kernel's batched accounting.
    assert all(later >= earlier - 1 for earlier, later in zip(peaks, peaks[1:]))
    assert peaks[1] - peaks[0] >= 60  # the 64 MiB held during "large"
    assert peak_mib() > 0


def test_no_log_means_no_reading():
    log = PhaseLog()
    laps = log.laps("01-page")
    laps("anything")
    log.write()  # no path: nothing written, nothing recorded
    assert not log.on and log.records == [] and laps.last is None
