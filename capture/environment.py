"""The clean-environment check (清洁性检查) and the tool's own fingerprint.

Answers "could the machine that took this have been rigged?" the way notarised
web-evidence practice does: hosts file, proxies, name resolution, clock, browser,
tool. Every check is best effort and returns a record; none of them raises, because
a check that cannot run must not cost the buyer their capture.

No Playwright here: the capture session and `doctor` feed in what the browser saw.
"""

from __future__ import annotations

import hashlib
import ipaddress
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path, PurePosixPath
from urllib.parse import urlsplit, urlunsplit

from .manifest import Capture, EnvironmentCheck

PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")

# HTTP Date has one-second resolution and a response takes time to arrive; two
# minutes is far beyond that noise and well inside what a set-back clock would show.
CLOCK_SKEW_LIMIT_SECONDS = 120
# Manifest times keep milliseconds: a reading at a window's edge may be off by that much.
CLOCK_EPSILON_SECONDS = 0.005

RESOLVE_TIMEOUT_SECONDS = 5.0


def _check(name: str, result: str, detail: str) -> EnvironmentCheck:
    return EnvironmentCheck(name=name, result=result, detail=detail)


# --- names and URLs --------------------------------------------------------------------


def normalize_host(host: str) -> str:
    """Lower case, no trailing dot, IDNA ASCII: the form hosts files are written in."""
    host = host.strip().strip("[]").rstrip(".").lower()
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def host_of(url: str) -> str | None:
    """The host name of an http(s) URL, normalised, or None when it has none."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return None
    return normalize_host(host) if host else None


def is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def redact_url(value: str) -> str:
    """A URL with user name, password and query removed, fit for the record."""
    try:
        parts = urlsplit(value)
        netloc = parts.netloc
    except ValueError:
        return "(unparseable value)"
    if not parts.scheme or not netloc:
        # "proxy.corp:3128" style values: only strip a user:password@ prefix.
        return value.rsplit("@", 1)[-1] if "@" in value else value
    changed = False
    if "@" in netloc:
        netloc = netloc.rsplit("@", 1)[1]
        changed = True
    query = ""
    if parts.query:
        query = "…"
        changed = True
    cleaned = urlunsplit((parts.scheme, netloc, parts.path, query, ""))
    return f"{cleaned} (credentials removed)" if changed else cleaned


# --- hosts file ------------------------------------------------------------------------


def default_hosts_path(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> Path:
    if platform == "win32":
        root = environ.get("SystemRoot") or environ.get("SYSTEMROOT") or r"C:\Windows"
        return Path(root) / "System32" / "drivers" / "etc" / "hosts"
    return Path("/etc/hosts")


def hosts_entries(text: str) -> list[tuple[int, str, list[str]]]:
    """(line number, address, names) for each entry of a hosts file."""
    entries = []
    for number, line in enumerate(text.splitlines(), start=1):
        fields = line.split("#", 1)[0].split()
        if len(fields) >= 2:
            entries.append((number, fields[0], [normalize_host(n) for n in fields[1:]]))
    return entries


def _is_standard_localhost(name: str, address: str) -> bool:
    # Every system maps localhost to loopback; that is not an override of anything.
    if name != "localhost" and not name.endswith(".localhost"):
        return False
    try:
        return ipaddress.ip_address(address.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


def hosts_check(hosts: list[str], path: Path) -> EnvironmentCheck:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return _check("hosts file", "warning", f"could not read {path}: {exc.strerror or exc}")
    digest = hashlib.sha256(data).hexdigest()
    wanted = set(hosts)
    overrides = [
        f"{name} -> {address} (line {number})"
        for number, address, names in hosts_entries(data.decode("utf-8", "replace"))
        for name in names
        if name in wanted and not _is_standard_localhost(name, address)
    ]
    head = f"{path} sha256 {digest}"
    if overrides:
        return _check(
            "hosts file",
            "problem",
            f"{head}; overrides a target host name: {'; '.join(overrides)}",
        )
    if not wanted:
        return _check("hosts file", "ok", f"{head}; no target host names to look for")
    return _check("hosts file", "ok", f"{head}; no entry for {', '.join(sorted(wanted))}")


# --- proxies ---------------------------------------------------------------------------


def proxy_env_check(environ: Mapping[str, str]) -> EnvironmentCheck:
    found = []
    proxies = False
    for key in sorted(environ):
        if key.upper() in PROXY_VARIABLES and environ[key].strip():
            shown = environ[key] if key.upper() == "NO_PROXY" else redact_url(environ[key])
            found.append(f"{key}={shown}")
            proxies = proxies or key.upper() != "NO_PROXY"
    if proxies:
        return _check(
            "proxy environment variables",
            "warning",
            "traffic may go through a proxy that can alter pages: " + "; ".join(found),
        )
    if found:
        # NO_PROXY only lists exceptions; without a proxy it changes nothing.
        return _check("proxy environment variables", "ok", "no proxy set; " + "; ".join(found))
    return _check(
        "proxy environment variables", "ok", "none of " + ", ".join(PROXY_VARIABLES) + " set"
    )


def parse_scutil_proxy(text: str) -> list[str]:
    """Enabled proxies in `scutil --proxy` output (macOS)."""
    values = dict(re.findall(r"^\s*(\w+)\s*:\s*(.*?)\s*$", text, flags=re.MULTILINE))
    found = []
    for kind in ("HTTP", "HTTPS", "SOCKS", "FTP", "RTSP", "Gopher"):
        if values.get(f"{kind}Enable") == "1":
            host = values.get(f"{kind}Proxy", "?")
            port = values.get(f"{kind}Port")
            found.append(f"{kind} {host}:{port}" if port else f"{kind} {host}")
    if values.get("ProxyAutoConfigEnable") == "1":
        found.append(f"auto-config {redact_url(values.get('ProxyAutoConfigURLString', '?'))}")
    if values.get("ProxyAutoDiscoveryEnable") == "1":
        found.append("auto-discovery (WPAD)")
    return found


def _windows_proxies() -> list[str]:
    import winreg  # Windows only

    key_path = r"Software\Microsoft\Windows\CurrentVersion\Internet Settings"
    found = []
    with winreg.OpenKey(winreg.HKEY_CURRENT_USER, key_path) as key:

        def value(name):
            try:
                return winreg.QueryValueEx(key, name)[0]
            except OSError:
                return None

        if value("ProxyEnable"):
            found.append(f"proxy {value('ProxyServer') or '?'}")
        if value("AutoConfigURL"):
            found.append(f"auto-config {redact_url(str(value('AutoConfigURL')))}")
    return found


def system_proxy_check(
    platform: str = sys.platform, run: Callable[..., subprocess.CompletedProcess] = subprocess.run
) -> EnvironmentCheck:
    """The platform's own proxy setting where it is cheap to read; never raises."""
    name = "system proxy"
    try:
        if platform == "darwin":
            done = run(
                ["scutil", "--proxy"], capture_output=True, text=True, timeout=5, check=False
            )
            found, source = parse_scutil_proxy(done.stdout or ""), "scutil --proxy"
        elif platform == "win32":
            found, source = _windows_proxies(), "Internet Settings registry"
        else:
            return _check(
                name,
                "ok",
                "not read: this platform keeps proxies in the environment variables checked above",
            )
    except Exception as exc:  # noqa: BLE001 - best effort by contract
        return _check(name, "warning", f"could not read the system proxy setting: {exc}")
    if found:
        return _check(name, "warning", f"{source}: " + "; ".join(found))
    return _check(name, "ok", f"{source}: no proxy enabled")


# --- name resolution -------------------------------------------------------------------


def _resolve(host: str, timeout: float) -> tuple[list[str] | None, str]:
    """(addresses or None, why not).

    getaddrinfo cannot be cancelled, so it runs in a daemon thread we stop waiting for.
    """
    result: dict[str, object] = {}

    def work():
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
            result["addresses"] = list(dict.fromkeys(info[4][0] for info in infos))
        except (OSError, UnicodeError) as exc:
            result["error"] = exc

    thread = threading.Thread(target=work, name=f"resolve {host}", daemon=True)
    thread.start()
    thread.join(timeout)
    if "addresses" in result:
        return result["addresses"], ""  # type: ignore[return-value]
    if "error" in result:
        error = result["error"]
        return None, getattr(error, "strerror", None) or str(error)
    return None, f"no answer within {timeout:g} s"


def resolution_system_check(
    host: str, timeout: float = RESOLVE_TIMEOUT_SECONDS
) -> EnvironmentCheck:
    if is_ip_literal(host):
        return _check("name resolution", "ok", f"{host} is an IP address; nothing to resolve")
    addresses, why = _resolve(host, timeout)
    if not addresses:
        return _check(
            "name resolution",
            "warning",
            f"{host}: the system resolver gave no address ({why or 'empty answer'})",
        )
    return _check("name resolution", "ok", f"{host} resolves to {', '.join(addresses)}")


def _ip(value: str):
    try:
        address = ipaddress.ip_address(value.strip().strip("[]").split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _lead(about: str | None) -> str:
    # Per-target lines say which capture they are about, before anything else.
    return f"{about}, " if about else ""


def resolution_check(
    host: str,
    resolved: list[str] | None,
    browser_ip: str | None,
    *,
    about: str | None = None,
    timeout: float = RESOLVE_TIMEOUT_SECONDS,
) -> EnvironmentCheck:
    """Did the browser connect where the system resolver points? A mismatch is a warning.

    `resolved` None: the system resolver is asked here, so the capture session and
    `doctor` compare the same way; a list is taken as the resolver's answer.
    """
    name, lead, why = "name resolution", _lead(about), ""
    if is_ip_literal(host):
        resolved = [host.strip("[]")]
    elif resolved is None:
        resolved, why = _resolve(host, timeout)
    listed = ", ".join(resolved or []) or f"no address ({why or 'empty answer'})"
    if not browser_ip:
        return _check(
            name,
            "ok",
            f"{lead}{host} resolves to {listed}; the browser did not report "
            "the address it connected to, so they were not compared",
        )
    connected = _ip(browser_ip)
    if connected is not None and connected in {_ip(a) for a in resolved or []}:
        return _check(
            name,
            "ok",
            f"{lead}{host}: browser connected to {browser_ip}, "
            f"which the system resolver also gives ({listed})",
        )
    return _check(
        name,
        "warning",
        f"{lead}{host}: browser connected to {browser_ip} but the system resolver gives {listed} "
        "(a proxy, a changed DNS answer or a CDN rotating addresses)",
    )


# --- clock -----------------------------------------------------------------------------


def _duration(seconds: float) -> str:
    seconds = round(abs(seconds))
    if seconds < 120:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 120:
        return f"{minutes} min {rest} s ({seconds} s)"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min ({seconds} s)"


def parse_http_date(value: str | None) -> datetime | None:
    """A server's Date header as an aware UTC datetime, or None; never raises.

    The header is the server's to write: any year, any bytes. What cannot be read as a
    representable time is None, and the caller shows the header as given.
    """
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
        if parsed.tzinfo is None:  # RFC 9110 dates are GMT; "-0000" parses as naive
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class ClockReading:
    """A server's Date header against the local clock around the response.

    The server stamped its Date at some moment between the request leaving (`sent`)
    and the response being in (`arrived`, an upper bound), truncated to whole seconds.
    So with both clocks right, server minus `sent` lies in [-1 s, transfer time]:
    only what falls outside that window is skew.
    """

    raw: str
    server: datetime | None  # None: not a readable, representable time
    sent: datetime
    arrived: datetime

    @property
    def transfer(self) -> float:
        return max(0.0, (self.arrived - self.sent).total_seconds())

    @property
    def offset(self) -> float | None:
        """Server minus local clock at `sent`, in seconds (positive: server ahead)."""
        return None if self.server is None else (self.server - self.sent).total_seconds()

    @property
    def skew(self) -> float | None:
        """The part of `offset` that resolution and transfer time do not explain."""
        offset = self.offset
        if offset is None:
            return None
        if offset < -1.0 - CLOCK_EPSILON_SECONDS:
            return offset + 1.0
        if offset > self.transfer + CLOCK_EPSILON_SECONDS:
            return offset - self.transfer
        return 0.0


def clock_reading(server_date: str, sent: datetime, arrived: datetime | None = None) -> ClockReading:
    sent = _aware(sent)
    arrived = max(sent, _aware(arrived)) if arrived is not None else sent
    return ClockReading(server_date, parse_http_date(server_date), sent, arrived)


def response_moments(capture: Capture) -> tuple[datetime, datetime]:
    """(request sent, response in) on the local clock, from what the capture recorded.

    The `load` action is stamped just before navigating; the next step runs only once
    the main response is in, so its time bounds the arrival (the end of the capture,
    which can be minutes later for a chat, is no measure of it).
    """
    for position, action in enumerate(capture.actions):
        if action.type == "load":
            later = capture.actions[position + 1 : position + 2]
            arrived = later[0].at if later else capture.finished_at or action.at
            return action.at, arrived
    return capture.started_at, capture.finished_at or capture.started_at


def capture_clock(capture: Capture) -> ClockReading | None:
    """The clock reading of one capture (None without a Date header): the environment
    check and the report's row are both made from this."""
    raw = capture.response.server_date if capture.response else None
    if not raw:
        return None
    return clock_reading(raw, *response_moments(capture))


def capture_clock_check(capture: Capture, host: str, about: str | None = None) -> EnvironmentCheck:
    sent, arrived = response_moments(capture)
    raw = capture.response.server_date if capture.response else None
    return clock_check(raw, sent, host, arrived, about=about)


def clock_check(
    server_date: str | None,
    local: datetime,
    host: str,
    arrived: datetime | None = None,
    *,
    about: str | None = None,
) -> EnvironmentCheck:
    """The local UTC clock against a server's Date header; skew over two minutes is a warning.

    `local` is when the request left, `arrived` (default: the same) when its response was in.
    """
    name, lead = "clock", _lead(about)
    if not server_date:
        return _check(name, "ok", f"{lead}{host} sent no Date header; clock not compared")
    reading = clock_reading(server_date, local, arrived)
    offset, skew = reading.offset, reading.skew
    if offset is None or skew is None:
        return _check(
            name, "warning", f"{lead}{host} sent an unreadable Date header: {server_date[:80]!r}"
        )
    window = "the header's whole-second resolution"
    if reading.transfer >= 0.05:
        window += f" and the response time (at most {reading.transfer:.1f} s)"
    if skew == 0:
        return _check(
            name,
            "ok",
            f"{lead}local clock agrees with {host}'s Date header ({server_date}): "
            f"{offset:+.1f} s, within {window}",
        )
    direction = "ahead of" if offset < 0 else "behind"
    detail = (
        f"{lead}local clock is {_duration(offset)} {direction} {host}'s Date header "
        f"({server_date}), {_duration(skew)} beyond {window}"
    )
    return _check(name, "warning" if abs(skew) > CLOCK_SKEW_LIMIT_SECONDS else "ok", detail)


# --- browser and tool ------------------------------------------------------------------


def browser_check(
    executable: str | Path | None,
    version: str | None,
    launch_args: list[str],
    sha256: str | None,
    remote_endpoint: str | None = None,
    hashing: bool = False,
) -> EnvironmentCheck:
    """`hashing`: the binary's hash was not taken yet when this was written (a manifest
    saved early in a run, or one whose run ended first, says so rather than call the
    file unreadable)."""
    name = "browser"
    if remote_endpoint:
        return _check(
            name,
            "warning",
            f"remote browser {version or '(version unknown)'} at {redact_url(remote_endpoint)}: "
            "the local checks describe the machine running the tool, not the browser's",
        )
    args = " ".join(launch_args) if launch_args else "(none beyond Playwright's defaults)"
    digest = sha256 or ("(not yet computed when this manifest was saved)" if hashing else "(unreadable)")
    return _check(
        name,
        "ok",
        f"{version or '(version unknown)'} at {executable} sha256 {digest}; "
        f"fresh temporary profile (only the given storage state loaded), no extensions; "
        f"launch arguments: {args}",
    )


def default_package_dir() -> Path:
    return Path(__file__).resolve().parent


def package_files(package_dir: Path) -> list[tuple[str, Path]]:
    """(relative POSIX path, file) for every file of the package but bytecode."""
    files = []
    for root, dirs, names in os.walk(package_dir):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        for file_name in names:
            if file_name.endswith((".pyc", ".pyo")):
                continue
            path = Path(root) / file_name
            if path.is_file():
                relative = PurePosixPath(*path.relative_to(package_dir).parts).as_posix()
                files.append((relative, path))
    return sorted(files, key=lambda item: item[0].encode("utf-8"))


def tool_digest(package_dir: Path | None = None) -> str:
    """SHA-256 over "<sha256>  <relative path>\\n" per package file, sorted by path.

    The same as a verifier running, inside the package directory:
    find . -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -printf '%P\\n' |
    LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum
    """
    digest = hashlib.sha256()
    for relative, path in package_files(package_dir or default_package_dir()):
        file_hash = hashlib.sha256(path.read_bytes()).hexdigest()
        digest.update(f"{file_hash}  {relative}\n".encode())
    return digest.hexdigest()


def tool_check(version: str, digest: str) -> EnvironmentCheck:
    return _check("tool", "ok", f"evidence-capture {version}, package digest sha256 {digest}")


# --- all local checks ------------------------------------------------------------------


def clean_checks(
    target_urls: list[str],
    *,
    hosts_path: Path | None = None,
    environ: Mapping[str, str] = os.environ,
    resolve_timeout: float = RESOLVE_TIMEOUT_SECONDS,
) -> list[EnvironmentCheck]:
    """The checks that need no browser: hosts file, proxies, system name resolution.

    The capture session adds `resolution_check` and `capture_clock_check` per target once the
    browser has connected, and `browser_check` / `tool_check` for the record.
    """
    hosts = list(dict.fromkeys(h for h in map(host_of, target_urls) if h))
    names = [h for h in hosts if not is_ip_literal(h)]
    checks = [
        hosts_check(names, hosts_path or default_hosts_path(environ)),
        proxy_env_check(environ),
        system_proxy_check(),
    ]
    checks.extend(resolution_system_check(host, resolve_timeout) for host in names)
    return checks
