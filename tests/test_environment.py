"""The clean-environment check (清洁性检查) and the tool digest."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path

import pytest

from capture import environment
from capture.environment import (
    browser_check,
    clean_checks,
    clock_check,
    host_of,
    hosts_check,
    parse_scutil_proxy,
    proxy_env_check,
    resolution_check,
    resolution_system_check,
    system_proxy_check,
    tool_digest,
)
from capture.manifest import Environment, EnvironmentCheck

from .servers import SITES, QuietHandler, serve

NOW = datetime(2025, 3, 1, 12, 0, 0, tzinfo=UTC)


def by_name(checks: list[EnvironmentCheck], name: str) -> EnvironmentCheck:
    [found] = [c for c in checks if c.name == name]
    return found


@pytest.fixture
def hosts_file(tmp_path):
    def write(text: str) -> Path:
        path = tmp_path / "hosts"
        path.write_text(text)
        return path

    return write


# --- hosts file ------------------------------------------------------------------------


def test_hosts_entry_overriding_a_target_host_is_a_problem(hosts_file):
    path = hosts_file("127.0.0.1 localhost\n203.0.113.9  www.shop.example  # rigged\n")
    checks = clean_checks(
        ["https://WWW.Shop.Example./order/1"], hosts_path=path, environ={}, resolve_timeout=1
    )
    hosts = by_name(checks, "hosts file")
    assert hosts.result == "problem"
    assert "www.shop.example -> 203.0.113.9 (line 2)" in hosts.detail


def test_hosts_file_is_recorded_by_its_sha256(hosts_file):
    path = hosts_file("127.0.0.1 localhost\n::1 localhost ip6-localhost\n")
    check = hosts_check(["shop.example"], path)
    assert check.result == "ok"
    assert hashlib.sha256(path.read_bytes()).hexdigest() in check.detail
    assert "shop.example" in check.detail


def test_commented_out_hosts_entry_is_not_an_override(hosts_file):
    path = hosts_file("# 203.0.113.9 shop.example\n127.0.0.1 localhost # shop.example\n")
    assert hosts_check(["shop.example"], path).result == "ok"


def test_standard_localhost_entry_is_not_an_override_but_a_remapped_localhost_is(hosts_file):
    assert (
        hosts_check(["localhost"], hosts_file("127.0.0.1 localhost\n::1 localhost\n")).result
        == "ok"
    )
    assert hosts_check(["localhost"], hosts_file("10.9.8.7 localhost\n")).result == "problem"


def test_unicode_target_host_matches_its_punycode_hosts_entry(hosts_file):
    path = hosts_file("203.0.113.9 xn--fsqu00a.xn--fiqs8s\n")
    host = host_of("https://例子.中国/")
    assert hosts_check([host], path).result == "problem"


def test_hosts_file_to_read_is_a_parameter_of_the_clean_checks(hosts_file):
    path = hosts_file("203.0.113.9 shop.example\n")
    checks = clean_checks(["http://shop.example/"], hosts_path=path, environ={}, resolve_timeout=1)
    assert by_name(checks, "hosts file").result == "problem"
    assert str(path) in by_name(checks, "hosts file").detail


def test_default_hosts_file_is_the_systems_and_no_variable_replaces_it():
    assert environment.default_hosts_path({"EVIDENCE_HOSTS_FILE": "/tmp/x"}, "linux") == Path("/etc/hosts")
    windows = environment.default_hosts_path({"SystemRoot": r"D:\Win"}, "win32")
    assert windows == Path(r"D:\Win") / "System32" / "drivers" / "etc" / "hosts"


def test_unreadable_hosts_file_is_a_warning_not_a_crash(tmp_path):
    check = hosts_check(["shop.example"], tmp_path / "missing-hosts")
    assert check.result == "warning"
    assert "missing-hosts" in check.detail


def test_ip_address_targets_are_not_looked_up_in_hosts_or_resolver(hosts_file):
    checks = clean_checks(
        ["http://127.0.0.1:8000/"], hosts_path=hosts_file("127.0.0.1 x\n"), environ={}
    )
    assert by_name(checks, "hosts file").result == "ok"
    assert not [c for c in checks if c.name == "name resolution"]


# --- proxies ---------------------------------------------------------------------------


def test_proxy_variables_are_reported_by_name_without_credentials():
    environ = {
        "https_proxy": "http://buyer:hunter2@proxy.corp:3128",
        "ALL_PROXY": "socks5://10.0.0.1:1080",
        "NO_PROXY": "localhost,.internal",
        "PATH": "/usr/bin",
    }
    check = proxy_env_check(environ)
    assert check.result == "warning"
    for name in ("https_proxy", "ALL_PROXY", "NO_PROXY"):
        assert name in check.detail
    assert "proxy.corp:3128" in check.detail
    assert "hunter2" not in check.detail and "buyer" not in check.detail


def test_no_proxy_alone_routes_nothing_and_is_ok():
    check = proxy_env_check({"no_proxy": "localhost"})
    assert check.result == "ok"
    assert "no_proxy=localhost" in check.detail


def test_no_proxy_variables_is_ok():
    assert proxy_env_check({"PATH": "/usr/bin"}).result == "ok"


def test_clean_checks_read_proxies_from_the_given_environment(hosts_file):
    checks = clean_checks([], hosts_path=hosts_file(""), environ={"HTTP_PROXY": "http://p:8080"})
    assert by_name(checks, "proxy environment variables").result == "warning"


SCUTIL_OUTPUT = """<dictionary> {
  ExceptionsList : <array> {
    0 : *.local
  }
  HTTPEnable : 1
  HTTPPort : 8080
  HTTPProxy : proxy.corp
  HTTPSEnable : 0
  ProxyAutoConfigEnable : 1
  ProxyAutoConfigURLString : http://user:pw@wpad.corp/proxy.pac?token=abc
}
"""


def test_macos_system_proxy_is_read_from_scutil():
    found = parse_scutil_proxy(SCUTIL_OUTPUT)
    assert "HTTP proxy.corp:8080" in found
    assert not any(item.startswith("HTTPS") for item in found)
    assert not any("pw" in item or "token=abc" in item for item in found)

    def fake_run(cmd, **kwargs):
        assert cmd == ["scutil", "--proxy"]
        return subprocess.CompletedProcess(cmd, 0, stdout=SCUTIL_OUTPUT, stderr="")

    check = system_proxy_check(platform="darwin", run=fake_run)
    assert check.result == "warning"
    assert "proxy.corp:8080" in check.detail


def test_system_proxy_that_cannot_be_read_is_a_warning_never_an_error():
    def broken_run(cmd, **kwargs):
        raise FileNotFoundError("scutil")

    assert system_proxy_check(platform="darwin", run=broken_run).result == "warning"


# --- name resolution -------------------------------------------------------------------


def test_target_host_is_resolved_by_the_system_resolver(hosts_file):
    checks = clean_checks(["http://localhost:8000/chat"], hosts_path=hosts_file(""), environ={})
    resolved = by_name(checks, "name resolution")
    assert resolved.result == "ok"
    assert "localhost resolves to" in resolved.detail


def test_unresolvable_host_is_a_warning_within_the_time_bound():
    check = resolution_system_check("no-such-host.invalid", timeout=3)
    assert check.result == "warning"
    assert "no-such-host.invalid" in check.detail


def test_browser_connecting_where_the_resolver_points_is_ok():
    assert resolution_check("shop.example", ["203.0.113.9"], "203.0.113.9").result == "ok"
    assert resolution_check("shop.example", ["203.0.113.9"], "::ffff:203.0.113.9").result == "ok"
    assert resolution_check("localhost", ["::1", "127.0.0.1"], "[::1]").result == "ok"


def test_browser_connecting_elsewhere_than_the_resolver_says_is_a_warning():
    check = resolution_check("shop.example", ["203.0.113.9"], "198.51.100.7")
    assert check.result == "warning"
    assert "198.51.100.7" in check.detail and "203.0.113.9" in check.detail


def test_unknown_browser_address_is_recorded_as_not_compared():
    check = resolution_check("shop.example", ["203.0.113.9"], None)
    assert check.result == "ok"
    assert "not compared" in check.detail


# --- clock -----------------------------------------------------------------------------


def http_date(moment: datetime) -> str:
    from email.utils import format_datetime

    return format_datetime(moment, usegmt=True)


def test_server_date_ten_minutes_behind_is_a_warning_naming_the_skew():
    check = clock_check(http_date(NOW - timedelta(minutes=10)), NOW, "shop.example")
    assert check.result == "warning"
    assert "10 min" in check.detail and "600 s" in check.detail
    assert "ahead of shop.example" in check.detail


def test_local_clock_set_back_is_reported_as_behind():
    check = clock_check(http_date(NOW + timedelta(minutes=3)), NOW, "shop.example")
    assert check.result == "warning"
    assert "behind" in check.detail and "180 s" in check.detail


def test_small_skew_is_ok():
    assert clock_check(http_date(NOW - timedelta(seconds=30)), NOW, "shop.example").result == "ok"
    assert clock_check(http_date(NOW), NOW, "shop.example").result == "ok"


def test_missing_or_garbled_date_header_never_raises():
    assert clock_check(None, NOW, "shop.example").result == "ok"
    assert clock_check("yesterday-ish", NOW, "shop.example").result == "warning"


class SlowClockHandler(QuietHandler):
    """Serves tests/sites/environment with a Date header ten minutes in the past."""

    def date_time_string(self, timestamp=None):
        if timestamp is None:
            return http_date(datetime.now(UTC) - timedelta(minutes=10))
        return super().date_time_string(timestamp)


def test_real_server_date_header_ten_minutes_off_gives_the_skew_warning():
    handler = partial(SlowClockHandler, directory=str(SITES / "environment"))
    with serve(handler) as url, urllib.request.urlopen(url + "/index.html", timeout=10) as response:
        server_date = response.headers["Date"]
        assert "时钟" in response.read().decode("utf-8")
    check = clock_check(server_date, datetime.now(UTC), host_of(url))
    assert check.result == "warning"
    assert "10 min" in check.detail
    assert "ahead of 127.0.0.1" in check.detail


# --- browser and tool ------------------------------------------------------------------


def test_browser_check_records_executable_digest_and_exact_launch_arguments():
    check = browser_check(
        "/usr/bin/chromium",
        "Chromium 120.0.6099.109",
        ["--disable-background-networking", "--no-sandbox"],
        "ab" * 32,
    )
    assert check.result == "ok"
    for part in (
        "/usr/bin/chromium",
        "Chromium 120.0.6099.109",
        "ab" * 32,
        "--disable-background-networking --no-sandbox",
        "fresh",
        "no extensions",
    ):
        assert part in check.detail


def test_browser_check_saved_before_the_hash_is_done_says_so_and_not_unreadable():
    pending = browser_check("/usr/bin/chromium", "Chromium 120", [], None, hashing=True)
    unreadable = browser_check("/usr/bin/chromium", "Chromium 120", [], None)
    assert "sha256 (not yet computed when this manifest was saved)" in pending.detail
    assert "sha256 (unreadable)" in unreadable.detail


def test_a_browser_hash_given_up_on_counts_as_not_computed_not_as_a_value():
    from types import SimpleNamespace

    from capture.describe import browser_hash_pending

    def pool(done: bool, cancelled: bool):
        # A stand-in for the hashing task: only its state is read.
        task = SimpleNamespace(done=lambda: done, cancelled=lambda: cancelled)
        return SimpleNamespace(hashing=(None, task))

    assert browser_hash_pending(pool(done=False, cancelled=False))  # still running
    assert browser_hash_pending(pool(done=True, cancelled=True))  # given up on
    assert not browser_hash_pending(pool(done=True, cancelled=False))  # has its value
    assert not browser_hash_pending(SimpleNamespace(hashing=None))  # a remote browser


def test_remote_browser_check_says_local_checks_describe_this_machine_only():
    check = browser_check(
        None, "120.0", [], None, remote_endpoint="wss://u:secret@grid.example/pw?token=t"
    )
    assert check.result == "warning"
    assert "not the browser's" in check.detail
    assert "grid.example" in check.detail
    assert "secret" not in check.detail and "token=t" not in check.detail


@pytest.fixture
def package_copy(tmp_path) -> Path:
    copy = tmp_path / "capture"
    shutil.copytree(
        environment.default_package_dir(), copy, ignore=shutil.ignore_patterns("__pycache__")
    )
    return copy


def test_tool_digest_of_an_identical_copy_is_the_same(package_copy):
    assert tool_digest(package_copy) == tool_digest()


def test_tool_digest_changes_when_a_package_file_changes(package_copy):
    before = tool_digest(package_copy)
    target = package_copy / "environment.py"
    target.write_text(target.read_text() + "\n# tampered\n")
    assert tool_digest(package_copy) != before


def test_tool_digest_ignores_bytecode_caches(package_copy):
    before = tool_digest(package_copy)
    cache = package_copy / "__pycache__"
    cache.mkdir()
    (cache / "cli.cpython-311.pyc").write_bytes(b"\x00compiled")
    (package_copy / "stray.pyc").write_bytes(b"\x00compiled")
    assert tool_digest(package_copy) == before


@pytest.mark.skipif(not shutil.which("sha256sum"), reason="needs coreutils")
def test_tool_digest_matches_the_documented_sha256sum_pipeline(package_copy):
    pipeline = (
        "find . -type f ! -name '*.pyc' ! -path '*/__pycache__/*' -printf '%P\\n' | "
        "LC_ALL=C sort | xargs -d '\\n' sha256sum | sha256sum"
    )
    done = subprocess.run(
        ["sh", "-c", pipeline], cwd=package_copy, capture_output=True, text=True, check=True
    )
    assert done.stdout.split()[0] == tool_digest(package_copy)


def test_checks_fit_the_manifest_environment_record(hosts_file):
    checks = clean_checks(["http://localhost/"], hosts_path=hosts_file(""), environ={})
    checks.append(clock_check(http_date(NOW - timedelta(minutes=10)), NOW, "localhost"))
    record = Environment.model_validate(
        {
            "os": "Linux",
            "python": "3.11",
            "playwright": "1",
            "locale": "zh-CN",
            "timezone": "UTC",
            "browser": {"name": "chromium", "version": "1", "user_agent": "x", "headless": True},
            "viewport": {"width": 1280, "height": 900},
            "checks": [c.model_dump() for c in checks],
        }
    )
    assert [c.result for c in record.checks][-1] == "warning"


def test_environment_module_does_not_import_playwright():
    code = "import sys, capture.environment, capture.doctor; print('playwright' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


# --- per-target checks: the right moment, the real resolver, which target --------------


def _loaded_capture(server_date: str, load_at: datetime, response_in: datetime, end: datetime):
    from capture.manifest import Action, Capture, Response

    return Capture(
        index=3,
        kind="chat",
        requested_url="https://shop.example/chat",
        final_url="https://shop.example/chat",
        started_at=load_at - timedelta(seconds=1),
        finished_at=end,
        response=Response(status=200, server_ip="203.0.113.9", server_date=server_date),
        actions=[
            Action(type="load", at=load_at, detail="goto https://shop.example/chat"),
            Action(type="wait", at=response_in, detail="load event fired"),
            Action(type="scroll", at=end - timedelta(seconds=1), detail="chat history"),
        ],
    )


def test_clock_of_a_long_chat_capture_is_read_when_the_response_arrived_not_at_its_end():
    from capture.environment import capture_clock_check

    # The server stamped its Date (whole seconds) while answering; the capture then
    # scrolled a chat for 25 s. Those 25 s are not clock skew.
    load_at = NOW + timedelta(milliseconds=500)
    capture = _loaded_capture(
        http_date(NOW), load_at, load_at + timedelta(milliseconds=300), NOW + timedelta(seconds=26)
    )
    check = capture_clock_check(capture, "shop.example")
    assert check.result == "ok"
    assert "agrees with shop.example's Date header" in check.detail, check.detail
    assert "-0.5 s" in check.detail and "25 s" not in check.detail and "26 s" not in check.detail


def test_clock_difference_within_the_date_headers_whole_second_and_transfer_is_not_skew():
    from capture.environment import clock_reading

    sent = NOW + timedelta(milliseconds=900)
    truncated = clock_reading(http_date(NOW), sent, sent + timedelta(milliseconds=50))
    assert truncated.offset == pytest.approx(-0.9) and truncated.skew == 0
    slow_answer = clock_reading(
        http_date(NOW + timedelta(seconds=2)), NOW, NOW + timedelta(seconds=3)
    )
    assert slow_answer.offset == pytest.approx(2.0) and slow_answer.skew == 0
    # Beyond both: the part not explained is the skew, measured from the nearer bound.
    behind = clock_reading(http_date(NOW - timedelta(seconds=10)), NOW, NOW + timedelta(seconds=1))
    assert behind.offset == pytest.approx(-10.0) and behind.skew == pytest.approx(-9.0)
    ahead = clock_reading(http_date(NOW + timedelta(seconds=10)), NOW, NOW + timedelta(seconds=1))
    assert ahead.skew == pytest.approx(9.0)
    assert clock_check(http_date(NOW), sent, "shop.example").detail.startswith(
        "local clock agrees"
    )


def test_clock_check_and_report_row_use_one_reading_of_the_same_capture():
    from capture.environment import capture_clock_check
    from capture.report.render import clock_difference

    load_at = NOW + timedelta(milliseconds=500)
    capture = _loaded_capture(
        http_date(NOW), load_at, load_at + timedelta(milliseconds=300), NOW + timedelta(seconds=26)
    )
    server, local, diff = clock_difference(capture)
    assert (server, local, diff) == (NOW, load_at, pytest.approx(-0.5))
    assert f"{diff:+.1f} s" in capture_clock_check(capture, "shop.example").detail


ABSURD_DATES = [
    "Fri, 01 Jan 99999999999999999999 00:00:00 GMT",
    "Fri, 31 Dec 9999 23:59:59 -2359",
    "Mon, 01 Jan 0001 00:00:00 +2359",
    "Fri7022172039328690, 01 Jan 025 00:00812381323017539:0 GMT",
    "Fri, 99 Jan 2020 00:00:00 GMT",
    "\u202e\x00" * 50,
    "",
]


@pytest.mark.parametrize("raw", ABSURD_DATES)
def test_absurd_date_header_is_recorded_as_given_never_an_exception(raw):
    from capture.environment import clock_reading, parse_http_date

    assert parse_http_date(raw) is None or parse_http_date(raw).tzinfo is UTC
    check = clock_check(raw, NOW, "shop.example")
    assert check.result in ("ok", "warning")
    if raw and parse_http_date(raw) is None:
        assert check.result == "warning" and repr(raw[:80]) in check.detail
    assert clock_reading(raw, NOW, NOW).raw == raw


def test_mutated_date_headers_never_raise():
    import random

    rng = random.Random(7)
    base = "Fri, 01 Jan 2025 00:00:00 GMT"
    for _ in range(3000):
        chars = list(base)
        for _ in range(rng.randint(1, 5)):
            position = rng.randrange(len(chars) + 1)
            chars.insert(position, str(rng.randint(0, 10 ** rng.randint(1, 25))))
            if rng.random() < 0.5 and chars:
                chars.pop(rng.randrange(len(chars)))
        clock_check("".join(chars), NOW, "shop.example", NOW + timedelta(seconds=1))


def test_resolution_check_asks_the_system_resolver_itself_when_not_given_addresses():
    check = resolution_check("localhost", None, "127.0.0.1")
    assert check.result == "ok", check.detail
    assert "which the system resolver also gives" in check.detail and "127.0.0.1" in check.detail


def test_browser_address_other_than_the_system_resolvers_is_a_warning_naming_both():
    check = resolution_check("localhost", ["127.0.0.1", "::1"], "198.51.100.7", about="capture 2 (order)")
    assert check.result == "warning"
    assert check.detail.startswith("capture 2 (order), localhost: browser connected to 198.51.100.7")
    assert "127.0.0.1, ::1" in check.detail


def test_per_target_checks_name_the_capture_they_are_about():
    from capture.environment import capture_clock_check

    load_at = NOW + timedelta(milliseconds=500)
    capture = _loaded_capture(http_date(NOW), load_at, load_at, load_at)
    clock = capture_clock_check(capture, "shop.example", about="capture 3 (chat)")
    assert clock.detail.startswith("capture 3 (chat), local clock agrees with shop.example")
    resolved = resolution_check("shop.example", ["203.0.113.9"], "203.0.113.9", about="capture 3 (chat)")
    assert resolved.detail.startswith("capture 3 (chat), shop.example: browser connected")
