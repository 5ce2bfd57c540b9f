"""`evidence doctor`: OK / PROBLEM per check, a fix for each problem, exit 0 or 1.

Doctor runs in a subprocess, as a buyer would run it, so environment variables such as
EVIDENCE_BROWSER and FONTCONFIG_FILE reach both the tool and the browser it launches. The
clean-environment checks are run through the library (`run_doctor`), which takes the
hosts file to read as a parameter, and printed by the command's own `print_checks`.
"""

from __future__ import annotations

import base64
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import partial
from pathlib import Path

import pytest
from click.testing import CliRunner

from capture import __version__
from capture.browser import BrowserSettings, launch_args
from capture.cli import main
from capture.doctor import judge_glyphs, openssl_check, output_dir_check, run_doctor
from capture.output import print_checks

from .servers import SITES, QuietHandler, serve

DEJAVU = Path("/usr/share/fonts/truetype/dejavu")
CLEARED = (
    "EVIDENCE_BROWSER",
    "EVIDENCE_BROWSER_ENDPOINT",
    "EVIDENCE_CDP_ENDPOINT",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "NO_PROXY",
)


def doctor(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    base = {k: v for k, v in os.environ.items() if k.upper() not in CLEARED}
    done = subprocess.run(
        [sys.executable, "-m", "capture", "doctor", *args],
        env={**base, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


def line(output: str, start: str) -> str:
    [found] = [text for text in output.splitlines() if text.startswith(start)]
    return found


# --- whole command ---------------------------------------------------------------------


def test_doctor_with_the_real_browser_reports_every_check_ok(tmp_path, chromium_path):
    code, output = doctor("-o", str(tmp_path / "bundles"), cwd=tmp_path)
    assert code == 0, output
    for name in ("browser", "browser launches headless", "CJK font", "openssl", "output directory"):
        assert line(output, f"OK      {name}:")
    assert chromium_path in line(output, "OK      browser:")
    assert "PROBLEM" not in output and "Traceback" not in output
    assert list(tmp_path.iterdir()) == []  # the writability probe leaves nothing behind


@pytest.mark.parametrize("kind", ["a program that is not a browser", "a text file"])
def test_doctor_with_a_non_browser_says_so_in_one_line_and_exits_1(tmp_path, kind):
    if kind == "a text file":
        fake = tmp_path / "chrome.txt"
        fake.write_text("this is not a browser\n")
    else:
        fake = Path(shutil.which("true") or "/bin/true")
    code, output = doctor("-o", str(tmp_path), env={"EVIDENCE_BROWSER": str(fake)})
    assert code == 1
    problem = line(output, "PROBLEM browser:")
    assert str(fake) in problem
    assert "Traceback" not in output
    assert line(output, "        fix:")


def test_doctor_with_a_missing_browser_executable_option_is_a_usage_error_naming_it(tmp_path):
    missing = tmp_path / "no-such-chrome"
    code, output = doctor("--browser-executable", str(missing))
    assert code == 2
    [message] = output.strip().splitlines()
    assert message.startswith("evidence: ") and str(missing) in message


@pytest.fixture
def no_cjk_fontconfig(tmp_path) -> Path:
    """A fontconfig setup that sees only DejaVu, which has no Chinese glyphs."""
    if not DEJAVU.is_dir() or not shutil.which("fc-list"):
        pytest.skip("needs fontconfig and DejaVu fonts")
    conf = tmp_path / "fonts.conf"
    conf.write_text(
        '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
        f"  <dir>{DEJAVU}</dir>\n  <cachedir>{tmp_path / 'fc-cache'}</cachedir>\n</fontconfig>\n"
    )
    listed = subprocess.run(
        ["fc-list", ":lang=zh"],
        env={**os.environ, "FONTCONFIG_FILE": str(conf)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if listed.stdout.strip():
        pytest.skip("DejaVu directory unexpectedly holds Chinese fonts")
    return conf


def test_cjk_check_fails_when_the_browser_has_no_chinese_font(tmp_path, no_cjk_fontconfig):
    code, output = doctor("-o", str(tmp_path), env={"FONTCONFIG_FILE": str(no_cjk_fontconfig)})
    assert code == 1
    problem = line(output, "PROBLEM CJK font:")
    assert "empty boxes" in problem
    assert "fonts-noto-cjk" in output
    assert line(output, "OK      browser launches headless:")


def test_without_a_browser_the_font_check_falls_back_to_fontconfig(tmp_path, no_cjk_fontconfig):
    code, output = doctor(
        "-o",
        str(tmp_path),
        env={"FONTCONFIG_FILE": str(no_cjk_fontconfig), "EVIDENCE_BROWSER": "/bin/true"},
    )
    assert code == 1
    assert "fontconfig lists no font" in line(output, "PROBLEM CJK font:")


def test_version_and_help_exit_0():
    runner = CliRunner()
    version = runner.invoke(main, ["--version"])
    assert version.exit_code == 0 and __version__ in version.output
    helped = runner.invoke(main, ["--help"])
    assert helped.exit_code == 0 and "doctor" in helped.output
    doctor_help = runner.invoke(main, ["doctor", "--help"])
    assert doctor_help.exit_code == 0 and "--clean-check" in doctor_help.output


# --- --clean-check ---------------------------------------------------------------------


class SlowClockHandler(QuietHandler):
    """Serves tests/sites/environment with a Date header ten minutes in the past."""

    def date_time_string(self, timestamp=None):
        if timestamp is None:
            return format_datetime(datetime.now(UTC) - timedelta(minutes=10), usegmt=True)
        return super().date_time_string(timestamp)


@pytest.fixture(scope="module")
def slow_clock_site():
    with serve(partial(SlowClockHandler, directory=str(SITES / "environment"))) as url:
        yield url.replace("127.0.0.1", "localhost") + "/index.html"


def clean_doctor(out_dir: Path, url: str, hosts: Path, capsys) -> tuple[bool, str]:
    """`doctor --clean-check URL` through the library: (all ok, the lines it prints)."""
    checks = run_doctor(BrowserSettings(), out_dir, clean_urls=[url], hosts_path=hosts, environ={})
    capsys.readouterr()
    print_checks(checks)
    return all(c.ok for c in checks), capsys.readouterr().out


def test_clean_check_with_only_warnings_exits_0_and_names_the_clock_skew(
    tmp_path, slow_clock_site, capsys
):
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n")
    ok, output = clean_doctor(tmp_path, slow_clock_site, hosts, capsys)
    assert ok, output
    assert "10 min" in line(output, "WARNING clean: clock:")
    assert "localhost" in line(output, "OK      clean: hosts file:")
    assert "localhost" in line(output, "OK      clean: name resolution: localhost resolves")
    assert line(output, "OK      clean: proxy environment variables:")
    assert line(output, "OK      clean: browser:")
    assert line(output, "OK      clean: tool: evidence-capture")


def test_clean_check_with_a_hosts_override_exits_1(tmp_path, slow_clock_site, capsys):
    hosts = tmp_path / "hosts"
    hosts.write_text("10.9.8.7 localhost\n")
    ok, output = clean_doctor(tmp_path, slow_clock_site, hosts, capsys)
    assert not ok
    assert "localhost -> 10.9.8.7" in line(output, "PROBLEM clean: hosts file:")
    assert "remove those lines from the hosts file" in output
    assert "Traceback" not in output


def test_clean_check_rejects_a_non_url_with_exit_2():
    result = CliRunner().invoke(main, ["doctor", "--clean-check", "not-a-url"])
    assert result.exit_code == 2
    assert "not-a-url" in result.output


def test_urls_without_clean_check_are_a_usage_error():
    result = CliRunner().invoke(main, ["doctor", "http://localhost/"])
    assert result.exit_code == 2
    assert "--clean-check" in result.output


# --- single checks ---------------------------------------------------------------------


def bitmap(fill: int) -> str:
    return base64.b64encode(bytes([fill]) * (64 * 64)).decode()


def test_distinct_glyphs_pass_the_font_check():
    ok, _ = judge_glyphs("中文", [bitmap(1), bitmap(2)], [bitmap(9)])
    assert ok


def test_glyphs_equal_to_the_no_glyph_box_fail_the_font_check():
    ok, why = judge_glyphs("中文", [bitmap(1), bitmap(9)], [bitmap(9)])
    assert not ok and "文" in why


def test_blank_glyphs_fail_the_font_check():
    ok, _ = judge_glyphs("中文", [bitmap(0), bitmap(1)], [bitmap(9)])
    assert not ok


def test_identical_fallback_glyphs_for_different_characters_fail_the_font_check():
    ok, why = judge_glyphs("中文", [bitmap(3), bitmap(3)], [bitmap(9)])
    assert not ok and "identical" in why


def test_output_directory_that_does_not_exist_yet_is_ok_if_it_can_be_created(tmp_path):
    check = output_dir_check(tmp_path / "new" / "bundle")
    assert check.ok and "can be created" in check.detail
    assert list(tmp_path.iterdir()) == []


def test_output_directory_under_a_file_is_a_problem_with_a_fix(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    check = output_dir_check(blocker / "bundle")
    assert not check.ok and "-o DIR" in check.fix


@pytest.mark.skipif(not shutil.which("openssl"), reason="openssl not installed")
def test_openssl_check_reports_the_version():
    check = openssl_check()
    assert check.ok and "SSL" in check.detail


# --- remote browser --------------------------------------------------------------------


@pytest.fixture
def cdp_browser(tmp_path, chromium_path):
    """A headless Chromium listening for DevTools on 127.0.0.1, standing in for a remote one."""
    profile = tmp_path / "remote-profile"
    process = subprocess.Popen(
        [
            chromium_path,
            "--headless",
            "--remote-debugging-address=127.0.0.1",
            "--remote-debugging-port=0",
            f"--user-data-dir={profile}",
            *launch_args(),
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        port_file = profile / "DevToolsActivePort"
        for _ in range(300):  # up to 30 s for the browser to start listening
            if port_file.is_file() and port_file.read_text().strip():
                break
            time.sleep(0.1)
        else:
            pytest.fail("Chromium did not open a DevTools port")
        yield f"http://127.0.0.1:{port_file.read_text().split()[0]}"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


def test_doctor_connects_to_a_remote_browser_and_says_local_checks_are_this_machine(
    tmp_path, cdp_browser
):
    code, output = doctor("-o", str(tmp_path), "--cdp-endpoint", cdp_browser, "--clean-check")
    assert code == 0, output
    assert line(output, "OK      browser connects:")
    assert line(output, "OK      CJK font:")
    assert "not the browser's" in line(output, "WARNING clean: browser:")
    assert not [text for text in output.splitlines() if text.startswith("OK      browser:")]


def test_doctor_with_an_unreachable_remote_browser_is_a_problem(tmp_path):
    code, output = doctor("-o", str(tmp_path), "--browser-endpoint", "ws://127.0.0.1:9/")
    assert code == 1
    assert line(output, "PROBLEM browser connects:")
    assert "Traceback" not in output


def test_clean_check_lines_show_what_a_server_sent_escaped_and_hosts_in_ascii():
    from capture.doctor import as_check
    from capture.environment import clock_check

    # The record keeps what the server sent; the terminal line shows it escaped.
    record = clock_check("Fri, 01 Jan 2025 00:00:00 GMT", datetime.now(UTC), "a\x1b[2J\u202eb")
    assert "\x1b[2J\u202e" in record.detail
    check = as_check(record)
    assert "\x1b" not in check.detail and "\u202e" not in check.detail
    assert "a\\x1b[2J\\u202eb" in check.detail
    check = as_check(clock_check(None, datetime.now(UTC), "shop.example", about="https://\u0430pple.com/x"))
    assert check.detail.startswith("https://xn--pple-43d.com/x, shop.example sent no Date header")


def test_a_doctor_check_is_the_manifests_environment_check_plus_a_fix():
    from capture.doctor import Check, as_check
    from capture.manifest import EnvironmentCheck

    record = EnvironmentCheck(name="hosts file", result="problem", detail="shop -> 10.9.8.7 (line 2)")
    check = as_check(record)
    assert isinstance(check, EnvironmentCheck) and isinstance(check, Check)
    assert (check.name, check.result, check.detail) == ("clean: hosts file", "problem", record.detail)
    assert not check.ok and not check.warning and "hosts file" in check.fix
    warned = as_check(EnvironmentCheck(name="clock", result="warning", detail="10 min behind"))
    assert warned.ok and warned.warning and "NTP" in warned.fix
    assert as_check(EnvironmentCheck(name="clock", result="ok", detail="agrees")).fix == ""
