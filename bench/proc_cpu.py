"""CPU seconds of one run, per kind of process: the run's own Python, Playwright's driver,
and each kind of Chromium process (the browser, its GPU process, renderers, utilities);
and the peak memory of the run's own process.

A waited-for child's rusage lumps all its descendants together (those that were waited
for), and the machine-wide figure cannot say which process did the work. So /proc is
read every INTERVAL seconds while the run goes on: every descendant of the run's first
process, its latest utime + stime, and the first process's VmHWM. What a process spends
in its last INTERVAL before it exits is missed, and the reading itself costs 2-3 % of
one core. Linux only; elsewhere the result is empty.

    with ProcessCpu(process.pid) as sampler:
        process.wait()
    sampler.by_kind  # {"chromium renderer": 2.6, "driver (node)": 0.9, ...}
    sampler.root_peak_mib  # the first process's own peak resident memory (VmHWM)
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from capture.phases import TICKS, descendants, peak_mib, proc_stats  # the phase log's own /proc reader

INTERVAL = 0.1
PROC = Path("/proc")


def kind_of(argv: list[str]) -> str:
    """"chromium renderer", "chromium browser", "driver (node)", "python", or the program's name."""
    program = os.path.basename(argv[0]) if argv else "?"
    for arg in argv[1:]:
        if arg.startswith("--type="):
            return f"chromium {arg[len('--type='):]}"
    if "chrom" in program.lower():
        return "chromium browser"
    if program == "node" or program.startswith("node"):
        return "driver (node)"
    if program.startswith("python") or program in {"evidence", "shot-scraper"}:
        return "python"
    return program


def _argv(pid: str) -> list[str]:
    try:
        raw = (PROC / pid / "cmdline").read_bytes()
    except OSError:
        return []
    # Chromium rewrites its command line into one string with spaces.
    return raw.replace(b"\0", b" ").decode(errors="replace").split()


class ProcessCpu:
    def __init__(self, root: int):
        self.root = root
        self.latest: dict[int, tuple[str, float]] = {}  # pid -> (kind, CPU seconds)
        self.root_peak_mib: float | None = None  # its high-water mark, as last read
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="proc-cpu", daemon=True)

    def __enter__(self) -> ProcessCpu:
        if PROC.is_dir():
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)

    @property
    def by_kind(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for kind, seconds in self.latest.values():
            totals[kind] = round(totals.get(kind, 0.0) + seconds, 3)
        return dict(sorted(totals.items(), key=lambda item: -item[1]))

    def _read_peak(self) -> None:
        peak = peak_mib(self.root)
        if peak is not None:  # None once it has exited: the last reading stands
            self.root_peak_mib = peak

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(INTERVAL)

    def sample(self) -> None:
        self._read_peak()
        stats = proc_stats()
        if stats is None:
            return
        for pid in (self.root, *descendants(stats, self.root)):  # alive now
            if pid not in stats:
                continue
            known = self.latest.get(pid)
            kind = known[0] if known and _settled(known[0]) else kind_of(_argv(str(pid)))
            if kind == "?" and known:  # a process exiting reads an empty command line
                kind = known[0]
            self.latest[pid] = (kind, stats[pid][1] / TICKS)


def _settled(kind: str) -> bool:
    """Whether a process of this kind stays it. A renderer forked from the zygote shows
    the zygote's command line at first; Debian's /usr/bin/chromium is a shell script that
    execs the browser in the same process, which a first look can catch as "sh"."""
    return kind in ("driver (node)", "python") or (kind.startswith("chromium ") and kind != "chromium zygote")
