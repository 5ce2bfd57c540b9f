"""The benchmark: evidence-capture next to a bare Playwright script and shot-scraper.

    .venv/bin/python bench/run.py [--rounds 5] [--quick] [--verify-gib 1] [--keep]

In one run, on pages served by a stdlib server on 127.0.0.1 (bench/sites/: a plain
order page, a 6 000 px product page, a 30 000 px page; tests/sites/chat/lazy.html: a
400-message chat that loads history 30 messages at a time with a known delay):

1. baseline      bench/baseline.py: one Chromium, go to each page, full-page screenshot, sha256
2. shot-scraper  `shot-scraper multi` with full-page shots of the same pages, installed into a
                 throwaway venv outside the repo, pointed at the same Chromium (bench/peer_wrapper.py)
3. evidence      `evidence capture --page --product --page --chat`, every artifact (trace on);
                 also with --no-trace (what the trace costs) and --jobs 1 (what concurrency gains)
4. help          `evidence --help`
5. long alone    the baseline and `evidence capture` on the 30 000 px page alone: the peak
                 memory of their own process (bench/proc_cpu.py), which the targets bound
Each is its own process (start-up and browser launch count for all alike), round-robin,
median of the rounds. Then verify on a ~1 GiB bundle (bench/verify_bench.py) and chat
seconds per 100 messages beyond the site's delays (bench/chat_bench.py).

Prints a table and writes bench/results.json. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime
from functools import partial
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from bytecode import compile_package  # noqa: E402 - bench/, the script's folder
from proc_cpu import ProcessCpu  # noqa: E402 - bench/, the script's folder
from capture.localserver import LocalServer, QuietFileHandler  # noqa: E402 - after the path
SITES = HERE / "sites"
CHAT_SITE = REPO / "tests" / "sites" / "chat"
WORK = HERE / "work"
RESULTS = HERE / "results.json"
PEER_VENV = Path(os.environ.get("EVIDENCE_BENCH_PEER_VENV", "/tmp/evidence-bench-peer-venv"))

CHAT_MESSAGES = 400
CHAT_DELAY_MS = 100  # per history load; lazy.js loads 30 messages a time
RUN_TIMEOUT = 300  # seconds for any one measured command

TARGETS = {  # ./evidence option, path on the bench server
    "plain": ("--page", "/plain.html"),
    "product": ("--product", "/product.html"),
    "long": ("--page", "/long.html"),
    "chat": ("--chat", f"/chat/lazy.html?n={CHAT_MESSAGES}&delay={CHAT_DELAY_MS}"),
}
TARGETS_MET = {
    "capture_over_baseline": ("<=", 1.5),
    "capture_over_shot_scraper": ("<", 1.0),
    "verify_over_sha256sum": ("<=", 1.0),
    "help_seconds": ("<", 0.3),
    # The tool's own process (not the browser's) on the 30 000 px page, peak resident memory.
    "peak_memory_capture_over_baseline_long": ("<=", 1.0),
}


# --- the local site ----------------------------------------------------------------------


class _Handler(QuietFileHandler):
    """bench/sites at /, tests/sites/chat at /chat/, and /chat/history with a delay."""

    delays: dict  # {"seconds": float, "loads": int, "lock": Lock}, shared by all requests

    def translate_path(self, path):
        route = urlsplit(path).path
        if route.startswith("/chat/"):
            self.directory = str(CHAT_SITE)
            return super().translate_path(route[len("/chat") :])
        self.directory = str(SITES)
        return super().translate_path(route)

    def do_GET(self):  # noqa: N802 - stdlib name
        parts = urlsplit(self.path)
        if parts.path != "/chat/history":
            return super().do_GET()
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        before = int(query.get("before", 1))
        limit = min(int(query.get("limit", 30)), 200)
        delay = min(int(query.get("delay", 0)), 5000) / 1000
        started = time.perf_counter()
        self.server.stopping.wait(delay)  # the site's own loading time, subtracted later
        with self.delays["lock"]:
            self.delays["seconds"] += time.perf_counter() - started
            self.delays["loads"] += 1
        body = json.dumps({"ids": list(range(max(1, before - limit), before))}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        return None


class Site:
    """The bench pages on 127.0.0.1:0 for as long as the `with` block runs."""

    def __init__(self):
        self.delays = {"seconds": 0.0, "loads": 0, "lock": threading.Lock()}
        handler = type("Handler", (_Handler,), {"delays": self.delays})
        self.server = LocalServer(partial(handler, directory=str(SITES)), name="bench-site")

    def __enter__(self) -> Site:
        self.server.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.stop()

    @property
    def base(self) -> str:
        return self.server.url

    def urls(self) -> dict[str, str]:
        return {name: self.base + path for name, (_, path) in TARGETS.items()}

    def reset_delays(self) -> None:
        with self.delays["lock"]:
            self.delays["seconds"], self.delays["loads"] = 0.0, 0

    def delay_totals(self) -> tuple[float, int]:
        with self.delays["lock"]:
            return self.delays["seconds"], self.delays["loads"]


# --- running and timing commands ----------------------------------------------------------


class CommandFailed(Exception):
    pass


def timed(command: list[str], cwd: Path | None = None, env: dict | None = None,
          sampled: dict | None = None) -> tuple[float, str]:
    """(wall seconds, stdout) of one run; the whole process group is killed on a timeout
    so that no browser outlives its run. `sampled` gets the run's CPU seconds per kind of
    process ("cpu") and the peak memory of its own process ("peak_mib"; bench/proc_cpu.py)."""
    start = time.perf_counter()
    process = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL, text=True, start_new_session=True,
    )
    try:
        with ProcessCpu(process.pid) as sampler:
            out, err = process.communicate(timeout=RUN_TIMEOUT)
        if sampled is not None:
            sampled.update(cpu=sampler.by_kind, peak_mib=sampler.root_peak_mib)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        raise CommandFailed(f"{Path(command[0]).name} took over {RUN_TIMEOUT} s") from None
    elapsed = time.perf_counter() - start
    if process.returncode != 0:
        tail = (err.strip() or out.strip()).splitlines()[-3:]
        raise CommandFailed(f"{Path(command[0]).name} exited {process.returncode}: " + " | ".join(tail))
    return elapsed, out


def machine_busy_seconds() -> float | None:
    """CPU seconds all cores have been busy since boot (Linux /proc/stat), or None.

    Taken around a run on an otherwise idle machine, this is the CPU the run cost, every
    process counted once (anything else running counts too): the phase log's CPU figures
    overlap wherever targets run side by side, and rusage would count a browser process
    only once it was reaped, lumped in with the rest."""
    try:
        ticks = [int(f) for f in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    except (OSError, ValueError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq, steal = ticks
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def evidence_command() -> list[str]:
    script = Path(sys.executable).with_name("evidence")
    return [str(script)] if script.exists() else [sys.executable, "-m", "capture"]


def chromium() -> tuple[str, list[str]]:
    from capture.browser import find_browser, launch_args

    return str(find_browser().executable), launch_args()


# --- the peer ----------------------------------------------------------------------------------


def setup_peer(say) -> tuple[list[str] | None, str]:
    """(command prefix running shot-scraper, its version) or (None, why not)."""
    python = PEER_VENV / "bin" / "python"
    probe = [str(python), "-c", "import importlib.metadata as m; print(m.version('shot-scraper'))"]

    def version() -> str | None:
        if not python.exists():
            return None
        done = subprocess.run(probe, capture_output=True, text=True, timeout=60, check=False)
        return done.stdout.strip() if done.returncode == 0 else None

    found = version()
    if found is None:
        say(f"installing shot-scraper into {PEER_VENV} (throwaway, outside the repo)")
        base = getattr(sys, "_base_executable", sys.executable)
        steps = [
            [base, "-m", "venv", "--clear", str(PEER_VENV)],
            [str(python), "-m", "pip", "install", "-q", "shot-scraper"],
        ]
        for step in steps:
            try:
                done = subprocess.run(step, capture_output=True, text=True, timeout=600, check=False)
            except (OSError, subprocess.TimeoutExpired) as exc:
                return None, f"`{' '.join(step[-3:])}` failed: {exc}"
            if done.returncode != 0:
                tail = " | ".join((done.stderr.strip() or done.stdout.strip()).splitlines()[-2:])
                return None, f"`{' '.join(step[-3:])}` exited {done.returncode}: {tail}"
        found = version()
        if found is None:
            return None, f"shot-scraper is not importable in {PEER_VENV} after pip install"
    return [str(python), str(HERE / "peer_wrapper.py")], found


def write_shots_yaml(path: Path, urls: dict[str, str]) -> None:
    # No height: shot-scraper then takes a full-page screenshot (viewport 1280x720).
    lines = [f"- url: {json.dumps(url)}\n  output: {name}.png\n" for name, url in urls.items()]
    path.write_text("".join(lines), encoding="utf-8")


# --- reading evidence's own record of where the time went --------------------------------


def _when(text: str | None) -> float | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() if text else None


def evidence_profile(bundle: Path, began: float, ended: float, names: tuple[str, ...]) -> dict:
    """Phases of one `evidence capture` run from its manifest's times (wall clock)."""
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    captures = manifest["captures"]
    problems = [f"{c['kind']}: {c['error']}" for c in captures if c.get("error")]
    if manifest["status"] != "complete" or len(captures) != len(names) or problems:
        raise CommandFailed(f"bundle {bundle.name} not complete: {problems or manifest['status']}")
    first = min(_when(c["started_at"]) for c in captures)
    last = max(_when(c["finished_at"]) for c in captures)
    return {
        "startup_to_manifest": _when(manifest["started_at"]) - began,
        "manifest_to_first_capture": first - _when(manifest["started_at"]),
        "captures": last - first,
        "after_captures_to_finished": _when(manifest["finished_at"]) - last,
        "finished_to_exit": ended - _when(manifest["finished_at"]),
        "per_capture": {
            names[c["index"] - 1]: _when(c["finished_at"]) - _when(c["started_at"]) for c in captures
        },
        "chat_messages": next((c.get("chat_messages") for c in captures if c["kind"] == "chat"), None),
    }


def phase_log(out: Path) -> Path:
    """Where a capture run writes its wall and CPU per phase (outside its bundle)."""
    return out.with_name(out.name + ".phases.json")


def phase_totals(path: Path) -> dict[str, dict[str, float]]:
    """One run's phases summed over its targets: {phase: {wall, cpu_own, cpu_children}}.
    Session phases keep their own names; a target's phases are summed by name."""
    records = json.loads(path.read_text(encoding="utf-8"))["phases"]
    totals: dict[str, dict[str, float]] = {}
    for record in records:
        name = record["phase"] if record["target"] != "session" else f"session.{record['phase']}"
        row = totals.setdefault(name, {"wall": 0.0, "cpu_own": 0.0, "cpu_children": 0.0})
        for key in row:
            row[key] += record.get(key) or 0.0
    return totals


START_UP = ("driver", "launch", "environment")


def start_up_peak_mib(path: Path) -> float | None:
    """The tool's own peak memory once started (imports, driver, browser), before any target."""
    records = json.loads(path.read_text(encoding="utf-8"))["phases"]
    peaks = [r["peak_mib"] for r in records
             if r["target"] == "session" and r["phase"] in START_UP and r.get("peak_mib") is not None]
    return max(peaks) if peaks else None


PEAK = "import json; from capture.phases import peak_mib; print(json.dumps({'peak_mib': peak_mib()}))"
IMPORT_FLOORS = {  # what a Python holds in memory before it does anything
    "python alone": ["-c", PEAK],
    "Python + Playwright": ["-c", "import playwright.sync_api; " + PEAK],
    "Python + pydantic, models": ["-c", "import capture.manifest; " + PEAK],
}
# The baseline at the point evidence's phase log ends its start-up: driver and browser
# started, a context and a page open, no URL yet.
BASELINE_STARTED = [str(HERE / "baseline.py"), "--started-only"]


def peak_of(args: list[str], repeats: int = 3) -> float | None:
    """Peak memory (MiB) a Python run of `args` prints as {"peak_mib": ...}: the median of
    a few runs; None if it does not say."""
    values = []
    for _ in range(repeats):
        done = subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=60, check=False)
        try:
            values.append(float(json.loads(done.stdout)["peak_mib"]))
        except (ValueError, TypeError, KeyError):
            return None
    return statistics.median(values)


def import_floors() -> dict[str, float]:
    floors = {name: peak_of(args) for name, args in IMPORT_FLOORS.items()}
    return {name: value for name, value in floors.items() if value is not None}


# --- the rounds --------------------------------------------------------------------------------


class Bench:
    def __init__(self, args, say):
        self.args = args
        self.say = say
        self.work = Path(tempfile.mkdtemp(prefix="run-", dir=WORK))
        self.seconds: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}  # machine-wide busy CPU seconds per run
        self.processes: dict[str, list[dict]] = {}  # per run: CPU seconds per kind of process
        self.peak_mib: dict[str, list[float]] = {}  # per run: peak memory of its own process
        self.failures: dict[str, str] = {}
        self.profiles: dict[str, list[dict]] = {}
        self.chat_in_run: list[float] = []  # s per 100 messages, from the --jobs 1 runs
        self.notes: list[str] = []

    def commands(self, site: Site, peer: list[str] | None, executable: str, flags: list[str]):
        """name -> make(out dir) -> (command, cwd, env, names of the targets it captures)."""
        urls = site.urls()
        pages = [name for name in TARGETS if name != "chat"]
        evidence = evidence_command()

        def capture(*extra, names=tuple(TARGETS)):
            targets = [part for name in names for part in (TARGETS[name][0], urls[name])]
            return lambda out: (evidence + ["capture", *targets, *extra, "-o", str(out),
                                            "--phase-log", str(phase_log(out))], None, None, names)

        def baseline(names=tuple(TARGETS)):
            command = [sys.executable, str(HERE / "baseline.py"), *(urls[name] for name in names)]
            return lambda out: (command, None, None, names)

        shots = self.work / "shots.yml"
        write_shots_yaml(shots, urls)
        peer_env = dict(os.environ, BENCH_CHROMIUM=executable)
        peer_args = ["multi", str(shots), "--browser", "chromium", "--silent"]
        peer_args += [f"--browser-arg={flag}" for flag in flags]
        named = {
            "baseline": baseline(),
            "shot_scraper": lambda out: (peer + peer_args, out, peer_env, tuple(TARGETS)),
            "capture": capture(),
            "capture_no_trace": capture("--no-trace"),
            # Every artifact in the manifest, but the report rendered later.
            "capture_no_report": capture("--no-report"),
            "capture_jobs1": capture("--jobs", "1"),
            # The same three pages without the chat: how far per-page work alone is
            # from the baseline, apart from loading a chat's whole history.
            "baseline_pages": baseline(names=tuple(pages)),
            "capture_pages": capture(names=tuple(pages)),
            # The design's memory target: the tool's own process on the 30 000 px page.
            "baseline_long": baseline(names=("long",)),
            "capture_long": capture(names=("long",)),
            "help": lambda out: (evidence + ["--help"], None, None, ()),
        }
        if peer is None:
            del named["shot_scraper"]
        return named

    def run_one(self, name: str, make, site: Site, label: str, record: bool) -> None:
        if name in self.failures:
            return
        out = self.work / f"{name}-{label}"
        command, cwd, env, names = make(out)
        if cwd is not None:
            cwd.mkdir(parents=True)
        site.reset_delays()
        began = time.time()
        busy = machine_busy_seconds()
        sampled: dict = {}
        try:
            elapsed, stdout = timed(command, cwd, env, sampled)
            busy = machine_busy_seconds() - busy if busy is not None else None
            if name.startswith("baseline") and len(json.loads(stdout)) != len(names):
                raise CommandFailed(f"baseline hashed {stdout.strip()!r}")
            if name == "shot_scraper":
                missing = [n for n in TARGETS if not (out / f"{n}.png").is_file()]
                if missing:
                    raise CommandFailed(f"shot-scraper wrote no {', '.join(missing)} screenshot")
            profile = (evidence_profile(out, began, time.time(), names)
                       if name.startswith("capture") else None)
            if profile is not None:
                profile["phases"] = phase_totals(phase_log(out))
                profile["phases"]["process.before_session"] = {
                    "wall": elapsed - profile["phases"]["session.total"]["wall"],
                    "cpu_own": 0.0, "cpu_children": 0.0}
                started_peak = start_up_peak_mib(phase_log(out))
                if started_peak is not None:
                    profile["peak_mib_after_start_up"] = started_peak
        except (CommandFailed, OSError, ValueError) as exc:
            self.failures[name] = str(exc)
            self.say(f"  {name}: FAILED, left out from now on: {exc}")
            return
        if profile and name == "capture_jobs1":
            delay, loads = site.delay_totals()
            messages = profile["chat_messages"] or CHAT_MESSAGES
            chat = (profile["per_capture"]["chat"] - delay) / messages * 100
            profile.update(chat_history_loads=loads, chat_site_delay=delay)
            if record:
                self.chat_in_run.append(chat)
        if record:
            self.seconds.setdefault(name, []).append(elapsed)
            if busy is not None:
                self.cpu.setdefault(name, []).append(busy)
            if sampled.get("cpu"):
                self.processes.setdefault(name, []).append(sampled["cpu"])
            if sampled.get("peak_mib") is not None:
                self.peak_mib.setdefault(name, []).append(sampled["peak_mib"])
            if profile:
                self.profiles.setdefault(name, []).append(profile)
        if not self.args.keep:
            shutil.rmtree(out, ignore_errors=True)
            phase_log(out).unlink(missing_ok=True)

    def rounds(self, site: Site, named: dict) -> None:
        self.say("warm-up (not counted): page cache, .pyc files; one run of each program")
        for name in ("baseline", "shot_scraper", "capture"):
            if name in named:
                self.run_one(name, named[name], site, "warmup", record=False)
        for number in range(1, self.args.rounds + 1):
            began = time.perf_counter()
            for name, make in named.items():
                repeats = 3 if name == "help" else 1  # cheap; more samples steady the median
                for repeat in range(repeats):
                    self.run_one(name, make, site, f"{number}-{repeat}", record=True)
            line = ", ".join(f"{n} {self.seconds[n][-1]:.2f}" for n in named if n in self.seconds)
            self.say(f"round {number}/{self.args.rounds} ({time.perf_counter() - began:.0f} s): {line}")


def _median_phases(profiles: list[dict]) -> dict:
    names = {name for p in profiles for name in p.get("phases", {})}
    zero = {"wall": 0.0, "cpu_own": 0.0, "cpu_children": 0.0}
    return {name: {key: statistics.median(p.get("phases", {}).get(name, zero)[key] for p in profiles)
                   for key in zero} for name in sorted(names)}


def _median_kinds(runs: list[dict[str, float]]) -> dict[str, float]:
    """Median CPU seconds per kind of process over runs (0 where a run had none)."""
    kinds = {kind for run in runs for kind in run}
    medians = {kind: round(statistics.median(run.get(kind, 0.0) for run in runs), 3) for kind in kinds}
    return dict(sorted(medians.items(), key=lambda item: -item[1]))


def _median_profile(profiles: list[dict]) -> dict:
    result = {"phases": _median_phases(profiles)}
    for key, value in profiles[0].items():
        if key == "phases":
            continue
        if isinstance(value, dict):
            result[key] = {k: statistics.median(p[key][k] for p in profiles) for k in value}
        elif isinstance(value, (int, float)) and value is not None:
            result[key] = statistics.median(p[key] for p in profiles if p.get(key) is not None)
    return result


def _verify_results(args, say) -> dict:
    try:
        from verify_bench import bench_verify
    except ImportError as exc:
        say(f"bench/verify_bench.py not usable ({exc}); verify left out")
        return {"error": f"bench/verify_bench.py not usable: {exc}"}
    size_mib = max(16, int(args.verify_gib * 1024))
    say(f"verify: building a {size_mib} MiB bundle, then {args.rounds} interleaved rounds")
    try:
        return bench_verify(args.rounds, size_mib=size_mib)
    except Exception as exc:
        say(f"verify benchmark failed: {exc}")
        return {"error": str(exc)}


def _chat_results(args, say) -> dict:
    try:
        from chat_bench import bench_chat
    except ImportError as exc:
        say(f"bench/chat_bench.py not usable ({exc}); chat figure taken from the --jobs 1 runs")
        return {"error": f"bench/chat_bench.py not usable: {exc}"}
    messages = 100 if args.quick else CHAT_MESSAGES
    say(f"chat: {messages} messages, {args.rounds} rounds (bench/chat_bench.py)")
    try:
        return bench_chat(messages=messages, rounds=args.rounds)
    except Exception as exc:
        say(f"chat benchmark failed: {exc}; chat figure taken from the --jobs 1 runs")
        return {"error": str(exc)}


def _chat_seconds(chat: dict) -> float | None:
    """The seconds-per-100-messages figure of bench_chat's result, whatever its key."""
    for key in ("seconds_per_100_messages", "median_seconds_per_100", "per_100_messages",
                "median_seconds_per_100_messages", "seconds_per_100"):
        value = chat.get(key)
        if isinstance(value, (int, float)):
            return float(value)
    return None


def _check(value: float | None, rule: tuple[str, float]) -> bool | None:
    if value is None:
        return None
    op, bound = rule
    return value <= bound if op == "<=" else value < bound


def _memory_long(bench: Bench, peak: dict, floors: dict, base_floor: float | None) -> dict:
    """The memory target's two runs split into what each holds once started (driver and
    browser up, a page open, no URL yet) and what its run adds: the baseline's start
    measured apart (bench/baseline.py --started-only), the tool's from its phase log (its
    peak at the end of driver, launch and environment, before the first target)."""
    profiles = bench.profiles.get("capture_long") or []
    started = [p["peak_mib_after_start_up"] for p in profiles if p.get("peak_mib_after_start_up")]
    memory: dict = {"import_floor_mib": floors}
    if peak.get("baseline_long") and base_floor:
        memory["baseline"] = {"after_start_up": base_floor, "peak": peak["baseline_long"],
                              "run_adds": peak["baseline_long"] - base_floor}
    if peak.get("capture_long") and started:
        after = statistics.median(started)
        memory["capture"] = {"after_start_up": after, "peak": peak["capture_long"],
                             "run_adds": peak["capture_long"] - after}
    if memory.get("baseline", {}).get("run_adds", 0) > 0 and "capture" in memory:
        memory["run_share_ratio"] = memory["capture"]["run_adds"] / memory["baseline"]["run_adds"]
    return memory


def summarise(bench: Bench, verify: dict, chat: dict, meta: dict) -> dict:
    median = {name: statistics.median(values) for name, values in bench.seconds.items()}
    vm = verify.get("median_seconds", {})
    ratios = {}
    if "capture" in median and "baseline" in median:
        ratios["capture_over_baseline"] = median["capture"] / median["baseline"]
    if "capture" in median and "shot_scraper" in median:
        ratios["capture_over_shot_scraper"] = median["capture"] / median["shot_scraper"]
    # The same ratios taken round by round (neighbouring runs share the machine's load),
    # then the median: steadier than a ratio of medians on a busy machine.
    paired = {}
    for top, bottom in (("capture", "baseline"), ("capture", "shot_scraper"),
                        ("capture_pages", "baseline_pages"), ("capture_jobs1", "capture")):
        if top in bench.seconds and bottom in bench.seconds:
            pairs = list(zip(bench.seconds[top], bench.seconds[bottom]))
            paired[f"{top}_over_{bottom}"] = statistics.median(a / b for a, b in pairs)
    if "capture_no_report" in median and "baseline" in median:
        ratios["capture_no_report_over_baseline"] = median["capture_no_report"] / median["baseline"]
    if "capture_no_report" in median and "shot_scraper" in median:
        ratios["capture_no_report_over_shot_scraper"] = median["capture_no_report"] / median["shot_scraper"]
    if "capture_no_trace" in median and "baseline" in median:
        ratios["capture_no_trace_over_baseline"] = median["capture_no_trace"] / median["baseline"]
    if "capture_pages" in median and "baseline_pages" in median:
        ratios["capture_over_baseline_pages_only"] = median["capture_pages"] / median["baseline_pages"]
    if "capture_jobs1" in median and "capture" in median:
        ratios["capture_jobs1_over_capture"] = median["capture_jobs1"] / median["capture"]
    peak = {name: statistics.median(v) for name, v in bench.peak_mib.items()}
    if peak.get("capture_long") and peak.get("baseline_long"):
        ratios["peak_memory_capture_over_baseline_long"] = peak["capture_long"] / peak["baseline_long"]
    memory = _memory_long(bench, peak, meta.get("import_floor_mib") or {}, meta.get("baseline_started_mib"))
    if memory.get("run_share_ratio") is not None:
        ratios["peak_memory_run_share_over_baseline_long"] = memory["run_share_ratio"]
    cpu = {name: statistics.median(v) for name, v in bench.cpu.items()}
    for top, bottom in (("capture", "baseline"), ("capture_pages", "baseline_pages")):
        if cpu.get(top) and cpu.get(bottom):
            ratios[f"cpu_{top}_over_{bottom}"] = cpu[top] / cpu[bottom]
    if vm.get("verify") and vm.get("sha256sum"):
        ratios["verify_over_sha256sum"] = vm["verify"] / vm["sha256sum"]
    if vm.get("verify") and vm.get("hashlib"):
        ratios["verify_over_hashlib"] = vm["verify"] / vm["hashlib"]
    chat_figure = _chat_seconds(chat)
    chat_source = "bench/chat_bench.py"
    if chat_figure is None and bench.chat_in_run:
        chat_figure, chat_source = statistics.median(bench.chat_in_run), "the --jobs 1 capture runs"
    checks = dict(ratios, help_seconds=median.get("help"))
    return {
        "benchmark": "evidence-capture vs bare Playwright vs shot-scraper",
        **meta,
        "median_seconds": median,
        "seconds": bench.seconds,
        "median_machine_cpu_seconds": {name: statistics.median(v) for name, v in bench.cpu.items()},
        "machine_cpu_seconds": bench.cpu,
        "median_process_cpu_seconds": {name: _median_kinds(runs) for name, runs in bench.processes.items()},
        "median_peak_mib": {name: statistics.median(v) for name, v in bench.peak_mib.items()},
        "memory_long": memory,
        "peak_mib": bench.peak_mib,
        "ratios": ratios,
        "paired_ratios_median": paired,
        "trace_cost_seconds": (median["capture"] - median["capture_no_trace"])
        if {"capture", "capture_no_trace"} <= median.keys() else None,
        "chat_seconds_per_100_messages": chat_figure,
        "chat_source": chat_source,
        "chat_in_run_seconds_per_100_messages": bench.chat_in_run,
        "targets": {
            name: {"rule": f"{op} {bound}", "value": checks.get(name), "met": _check(checks.get(name), (op, bound))}
            for name, (op, bound) in TARGETS_MET.items()
        } | {"chat_seconds_per_100_messages": {"rule": "< 1.0", "value": chat_figure,
                                               "met": _check(chat_figure, ("<", 1.0))}},
        "evidence_profile_median": {name: _median_profile(p) for name, p in bench.profiles.items()},
        "failures": bench.failures,
        "verify": {k: verify[k] for k in ("bundle_bytes", "bundle_files", "rounds", "cpu_sha_extensions",
                                          "median_seconds", "median_cpu_seconds", "ratios", "error")
                   if k in verify},
        "chat": {k: v for k, v in chat.items() if not isinstance(v, list) or len(v) <= 20},
        "notes": bench.notes,
    }


LABELS = {
    "baseline": "baseline: bare Playwright, full-page shots",
    "shot_scraper": "shot-scraper multi, full-page shots",
    "capture": "evidence capture, every artifact",
    "capture_no_trace": "evidence capture --no-trace",
    "capture_no_report": "evidence capture --no-report",
    "capture_jobs1": "evidence capture --jobs 1",
    "baseline_pages": "baseline, the 3 pages without the chat",
    "capture_pages": "evidence capture, the 3 pages without the chat",
    "baseline_long": "baseline, the 30 000 px page alone",
    "capture_long": "evidence capture, the 30 000 px page alone",
    "help": "evidence --help",
}


def print_table(results: dict, out=print) -> None:
    median, ratios = results["median_seconds"], results["ratios"]
    out("")
    cpu = results.get("median_machine_cpu_seconds", {})
    out(f"{'median wall time (s)':<52}{'median':>8}{'CPU-s':>8}   runs (CPU-s: all cores, every process)")
    for name, label in LABELS.items():
        if name in median:
            runs = " ".join(f"{s:.2f}" for s in results["seconds"][name])
            used = f"{cpu[name]:>8.2f}" if name in cpu else f"{'':>8}"
            out(f"  {label:<50}{median[name]:>8.2f}{used}   {runs}")
        elif name in results["failures"]:
            out(f"  {label:<50}{'n/a':>8}   {results['failures'][name]}")
    verify = results["verify"]
    if "median_seconds" in verify:
        gib = verify["bundle_bytes"] / (1 << 30)
        for name, label in (("verify", f"evidence verify ({gib:.2f} GiB)"),
                            ("hashlib", "hashlib on all cores"), ("sha256sum", "sha256sum -c SHA256SUMS")):
            out(f"  {label:<50}{verify['median_seconds'][name]:>8.2f}")
        floor = verify.get("ratios", {}).get("cpu_floor_over_hashlib")
        if floor is not None:
            out(f"  {'verify CPU-s / cores, over hashlib wall':<50}{floor:>8.2f}   (verify's floor, x)")
    else:
        out(f"  {'evidence verify':<50}{'n/a':>8}   {verify.get('error')}")
    chat = results["chat_seconds_per_100_messages"]
    chat_text = f"{chat:>8.2f}   (from {results['chat_source']})" if chat is not None else f"{'n/a':>8}"
    out(f"  {'chat s per 100 messages beyond site delays':<50}{chat_text}")
    if results["trace_cost_seconds"] is not None:
        out(f"  {'what the trace costs (capture - --no-trace)':<50}{results['trace_cost_seconds']:>8.2f}")
    peaks = results.get("median_peak_mib") or {}
    for name in ("baseline_long", "capture_long"):
        if name in peaks:
            label = f"peak memory MiB, 30 000 px page, {name.split('_')[0]}"
            out(f"  {label:<50}{peaks[name]:>8.1f}")
    memory = results.get("memory_long") or {}
    for side in ("baseline", "capture"):
        if side in memory:
            row = memory[side]
            label = f"  {side}: once started, then the run adds"
            out(f"  {label:<50}{row['after_start_up']:>8.1f}{row['run_adds']:>8.1f}")
    for name, value in (memory.get("import_floor_mib") or {}).items():
        out(f"  {'    imported only: ' + name:<50}{value:>8.1f}")
    out("")
    out("ratios")
    for name, value in ratios.items():
        target = results["targets"].get(name)
        verdict = ""
        if target:
            verdict = f"   target {target['rule']}: {'met' if target['met'] else 'MISSED'}"
        out(f"  {name:<50}{value:>8.2f}{verdict}")
    for name, value in results["paired_ratios_median"].items():
        out(f"  {name + ' (per round)':<50}{value:>8.2f}")
    for name in ("help_seconds", "chat_seconds_per_100_messages"):
        target = results["targets"][name]
        if target["value"] is not None:
            out(f"  {name:<50}{target['value']:>8.2f}   target {target['rule']}: "
                f"{'met' if target['met'] else 'MISSED'}")


PHASE_ROWS = ("capture", "capture_no_trace", "capture_jobs1", "capture_pages")
PHASE_ORDER = ("process.before_session", "session.driver", "session.launch", "session.environment",
               "new_page", "load", "settle_network", "settle_content", "provenance", "actions",
               "lazy_scroll", "chat_history", "chat_segments", "screenshot", "inner_box", "snapshots",
               "close_page", "checks", "save", "session.captures", "session.session_files",
               "session.report", "session.seal", "session.timestamp", "session.close_browser",
               "session.total")


PROCESS_ROWS = ("baseline", "capture", "capture_no_report", "baseline_pages", "capture_pages")


def print_processes(results: dict, out=print) -> None:
    """Median CPU seconds per kind of process (bench/proc_cpu.py), per run kind."""
    table = results.get("median_process_cpu_seconds") or {}
    rows = [name for name in PROCESS_ROWS if table.get(name)]
    if not rows:
        return
    kinds = sorted({kind for name in rows for kind in table[name]},
                   key=lambda kind: -max(table[name].get(kind, 0.0) for name in rows))
    out("")
    out("CPU by process: median CPU-s, sampled from /proc every 0.1 s (bench/proc_cpu.py)")
    out(f"  {'process':<24}" + "".join(f"{name:>18}" for name in rows))
    for kind in kinds:
        cells = [table[name].get(kind, 0.0) for name in rows]
        if max(cells) >= 0.05:
            out(f"  {kind:<24}" + "".join(f"{cell:>18.2f}" for cell in cells))
    out(f"  {'all sampled':<24}" + "".join(f"{sum(table[name].values()):>18.2f}" for name in rows))


def print_phases(results: dict, out=print) -> None:
    """Median wall and CPU per phase (target phases summed over targets), per run kind."""
    profiles = results["evidence_profile_median"]
    rows = [name for name in PHASE_ROWS if name in profiles and profiles[name].get("phases")]
    if not rows:
        return
    out("")
    out("phases: median seconds; a target phase is summed over the targets (they overlap")
    out("with --jobs > 1); wall / CPU of this process / CPU of the driver and browser")
    out(f"  {'phase':<24}" + "".join(f"{name:>26}" for name in rows))
    for phase in PHASE_ORDER:
        cells = []
        for name in rows:
            value = profiles[name]["phases"].get(phase)
            cells.append(f"{value['wall']:>8.2f} {value['cpu_own']:>6.2f} {value['cpu_children']:>6.2f}   "
                         if value else f"{'-':>26}")
        if any(profiles[name]["phases"].get(phase) for name in rows):
            out(f"  {phase:<24}" + "".join(f"{c:>26}" for c in cells))


def print_timeline(bundle: Path) -> None:
    """Where one bundle's time went: every action and file of each capture, in order."""
    manifest = json.loads((bundle / "manifest.json").read_text(encoding="utf-8"))
    origin = _when(manifest["started_at"])
    for capture in manifest["captures"]:
        events = [(_when(capture["started_at"]), "start")]
        events += [(_when(a["at"]), f"{a['type']}: {a['detail'][:100]}") for a in capture["actions"]]
        events += [(_when(a["created_at"]), f"wrote {a['path'].rsplit('/', 1)[-1]} ({a['bytes']:,} bytes)")
                   for a in capture["artifacts"]]
        events.append((_when(capture["finished_at"]), "finished"))
        events.sort(key=lambda event: event[0])
        print(f"capture {capture['index']} ({capture['kind']}) {capture['requested_url']}")
        previous = events[0][0]
        for when, what in events:
            print(f"  {when - origin:8.3f} s  +{when - previous:6.3f}  {what}")
            previous = when
    for artifact in manifest["artifacts"]:
        print(f"session  {_when(artifact['created_at']) - origin:8.3f} s  wrote {artifact['path']}")
    print(f"manifest finished at {_when(manifest['finished_at']) - origin:.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5, help="measured rounds (median); default 5")
    parser.add_argument("--quick", action="store_true",
                        help="smoke run: 1 round, 64 MiB verify bundle, 100-message chat bench")
    parser.add_argument("--verify-gib", type=float, default=1.0, help="size of the verify bundle")
    parser.add_argument("--no-peer", action="store_true", help="leave shot-scraper out")
    parser.add_argument("--keep", action="store_true", help="keep bundles and shots under bench/work/")
    parser.add_argument("--output", type=Path, default=RESULTS, help="results JSON (default bench/results.json)")
    parser.add_argument("--timeline", type=Path, metavar="BUNDLE",
                        help="only print where BUNDLE's capture time went (from its manifest) and exit")
    args = parser.parse_args()
    if args.timeline:
        print_timeline(args.timeline)
        return
    if args.quick:
        args.rounds, args.verify_gib = 1, min(args.verify_gib, 1 / 16)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")

    def say(line: str) -> None:
        print(line, flush=True)

    started = time.perf_counter()
    WORK.mkdir(parents=True, exist_ok=True)
    compile_package()
    executable, flags = chromium()
    bench = Bench(args, say)
    peer, peer_version = (None, "left out (--no-peer)") if args.no_peer else setup_peer(say)
    if peer is None:
        say(f"shot-scraper: not run: {peer_version}")
        bench.failures["shot_scraper"] = peer_version
    else:
        bench.notes.append(
            f"shot-scraper {peer_version} in {PEER_VENV}, launched through bench/peer_wrapper.py, which "
            f"sets Playwright's executable_path to {executable}; flags via --browser-arg; its viewport "
            "is shot-scraper's default 1280x720 (a height would turn full-page shots off)"
        )
    try:
        with Site() as site:
            say(f"serving bench pages on {site.base}; Chromium {executable} {' '.join(flags)}")
            named = bench.commands(site, peer, executable, flags)
            bench.rounds(site, named)
    finally:
        if not args.keep:
            shutil.rmtree(bench.work, ignore_errors=True)
    verify = _verify_results(args, say)
    chat = _chat_results(args, say)
    browser_version = subprocess.run([executable, "--version"], capture_output=True, text=True,
                                     check=False).stdout.strip()
    meta = {
        "import_floor_mib": import_floors(),
        "baseline_started_mib": peak_of(BASELINE_STARTED),
        "rounds": args.rounds,
        "quick": args.quick,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "browser": browser_version,
        "chat": f"{CHAT_MESSAGES} messages, {CHAT_DELAY_MS} ms per history load of 30",
        "pages": {name: path for name, (_, path) in TARGETS.items()},
        "load_average": os.getloadavg(),
    }
    results = summarise(bench, verify, chat, meta)
    results["total_seconds"] = time.perf_counter() - started
    args.output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print_table(results)
    print_phases(results)
    print_processes(results)
    say(f"\nwrote {args.output} in {results['total_seconds']:.0f} s")


if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    main()
