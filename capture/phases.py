"""Where a run's time goes: wall clock and CPU per phase, for the benchmark.

`evidence capture --phase-log FILE` writes one JSON record per phase of every target and
of the session, with this process's peak memory as the phase ends. Each target keeps a
lap timer: a call `laps("settle_network")` closes the phase that began at the previous
call. CPU is taken twice: this process (Python, the
event loop, redaction, hashing) and its child processes (Playwright's driver and the
browser, read from /proc where there is one). With several targets at once, the child
CPU of concurrent phases overlaps; `--jobs 1` gives each phase its own.

Off by default; then a lap costs one attribute test.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat_fields(pid: int) -> list[bytes]:
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return []


def proc_stats() -> dict[int, tuple[int, int, int]] | None:
    """Every process's (parent pid, its own CPU ticks, its reaped children's CPU ticks),
    from /proc; None without /proc. (bench/proc_cpu.py reads it too.)"""
    try:
        names = os.listdir("/proc")
    except OSError:
        return None
    stats: dict[int, tuple[int, int, int]] = {}
    for name in names:
        if not name.isdigit():
            continue
        fields = _stat_fields(int(name))
        if len(fields) < 15:
            continue  # gone between the listing and the read
        # After the name: state, ppid, ... utime, stime, cutime, cstime (fields 14-17).
        stats[int(name)] = (int(fields[1]), int(fields[11]) + int(fields[12]),
                            int(fields[13]) + int(fields[14]))
    return stats


def descendants(stats: dict[int, tuple[int, int, int]], root: int) -> list[int]:
    """The processes below `root` in `stats` (children, their children, ...)."""
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    found, todo, seen = [], list(children.get(root, ())), {root}
    while todo:
        pid = todo.pop()
        if pid not in seen:
            seen.add(pid)
            found.append(pid)
            todo.extend(children.get(pid, ()))
    return found


def _children_cpu(root: int) -> float | None:
    """CPU seconds of every descendant of process `root`, or None without /proc."""
    stats = proc_stats()
    if stats is None:
        return None
    # A reaped child's time is in its parent's cutime: a renderer that exits moves its
    # CPU there, so the sum over live processes never goes down. This process's own
    # reaped children (the driver, once it exits) count as well.
    ticks = stats.get(root, (0, 0, 0))[2]
    ticks += sum(stats[pid][1] + stats[pid][2] for pid in descendants(stats, root))
    return ticks / TICKS


def peak_mib(pid: int | str = "self") -> float | None:
    """A process's peak resident memory so far (VmHWM), in MiB; None without /proc.
    (bench/proc_cpu.py reads the run's first process with it.)"""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def _sample() -> tuple[float, float, float | None]:
    return time.monotonic(), time.process_time(), _children_cpu(os.getpid())


class PhaseLog:
    def __init__(self, path: Path | None = None):
        self.path = path
        self.records: list[dict] = []
        self.started = _sample() if path else None
        self.peak_children = self.started[2] if self.started else None

    @property
    def on(self) -> bool:
        return self.path is not None

    def laps(self, target: str) -> Laps:
        return Laps(self, target)

    def add(self, target: str, phase: str, before, after) -> None:
        children = None if before[2] is None or after[2] is None else after[2] - before[2]
        if after[2] is not None:
            self.peak_children = max(self.peak_children or 0.0, after[2])
        if children is not None and children < 0:
            children = None  # the browser exited and its time left with it (closing)
        self.records.append({
            "target": target, "phase": phase,
            "start": round(before[0] - self.started[0], 4),
            "wall": round(after[0] - before[0], 4),
            "cpu_own": round(after[1] - before[1], 4),
            "cpu_children": None if children is None else round(children, 4),
            # Where memory peaks: the high-water mark as this phase ends (the benchmark's
            # memory target is this process's own peak).
            "peak_mib": peak_mib(),
        })

    def write(self) -> None:
        """The records as JSON; a failure here is the benchmark's, never the evidence's."""
        if not self.on:
            return
        total = _sample()
        self.add("session", "total", self.started, total)
        if self.started[2] is not None:  # what the children used in all, at its highest
            self.records[-1]["cpu_children"] = round(self.peak_children - self.started[2], 4)
        try:
            Path(self.path).write_text(json.dumps({"phases": self.records}, indent=1) + "\n", encoding="utf-8")
        except OSError:
            pass


class Laps:
    """One target's (or the session's) phases, each from the previous lap to this one."""

    def __init__(self, log: PhaseLog, target: str):
        self.log, self.target = log, target
        self.last = _sample() if log.on else None

    def __call__(self, phase: str) -> None:
        if self.last is None:
            return
        now = _sample()
        self.log.add(self.target, phase, self.last, now)
        self.last = now

    def restart(self) -> None:
        """Time from here on belongs to the next lap (e.g. after waiting for a job slot)."""
        if self.last is not None:
            self.last = _sample()


OFF = PhaseLog()
