"""Capturing through a remote browser: a real `playwright run-server` and a real Chromium
with --remote-debugging-port, both on 127.0.0.1."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from capture.browser import BrowserSettings, find_browser, launch_args, remote_launch_options
from capture.cli import main
from capture.manifest import Manifest
from capture.verify import verify

from .remote import (
    can_hide_tmp,
    devtools_chromium,
    playwright_server,
    refusing_port,
    remote_readme,
    site_handler,
)
from .servers import serve

EVIDENCE = [sys.executable, "-m", "capture"]
PASSWORD = "PW-secret-3141"
TOKEN = "TOKEN-secret-2718"
HEADER_SECRET = "HEADER-secret-1618"
REMOTE_AGENT = "EvidenceRemoteTest/1.0 (remote side)"
SECRETS = (PASSWORD, TOKEN, HEADER_SECRET)


def evidence(*args, timeout=120, env=None) -> subprocess.CompletedProcess:
    # Endpoints set in the developer's own shell must not leak into these runs.
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.endswith(("_BROWSER_ENDPOINT", "_CDP_ENDPOINT"))
    }
    return subprocess.run(
        [*EVIDENCE, *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        env={**clean, **(env or {})},
    )


def load_manifest(root: Path) -> Manifest:
    return Manifest.model_validate_json((root / "manifest.json").read_bytes())


def bundle_bytes(root: Path):
    """(name, bytes) of every file in the bundle, zip members (trace) unpacked."""
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        data = path.read_bytes()
        yield str(path.relative_to(root)), data
        if zipfile.is_zipfile(path):
            with zipfile.ZipFile(path) as archive:
                for member in archive.namelist():
                    yield f"{path.name}:{member}", archive.read(member)


def leaked(root: Path) -> list[str]:
    return [name for name, data in bundle_bytes(root) for s in SECRETS if s.encode() in data]


def local_chromium_version() -> str:
    done = subprocess.run(
        [str(find_browser().executable), "--version"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return done.stdout.split()[1]


@pytest.fixture(scope="module")
def remote_site():
    with serve() as url:
        yield url


@pytest.fixture(scope="module")
def server():
    with playwright_server() as running:
        yield running


@pytest.fixture(scope="module")
def devtools():
    with devtools_chromium(REMOTE_AGENT) as running:
        yield running


@pytest.fixture(scope="module")
def server_bundle(tmp_path_factory, server, remote_site):
    """Two pages through the Playwright server, with credentials in the endpoint URL and
    an Authorization header; the server launches the system Chromium it is told to."""
    out = tmp_path_factory.mktemp("server") / "bundle"
    endpoint = server.endpoint.replace("ws://", f"ws://buyer:{PASSWORD}@") + f"?token={TOKEN}"
    done = evidence(
        "capture",
        "--order",
        f"{remote_site}/remote/order.html",
        "--product",
        f"{remote_site}/remote/product.html",
        "--browser-endpoint",
        endpoint,
        "--browser-header",
        f"Authorization: Bearer {HEADER_SECRET}",
        "--browser-executable",
        find_browser().executable,
        "--timeout",
        "30",
        "-o",
        out,
    )
    return out, done


@pytest.fixture(scope="module")
def devtools_bundle(tmp_path_factory, devtools, remote_site):
    """Two pages through a DevTools endpoint named in the plan's [browser] table."""
    folder = tmp_path_factory.mktemp("devtools")
    plan = folder / "plan.toml"
    endpoint = (
        devtools.endpoint.replace("http://", f"http://buyer:{PASSWORD}@") + f"/?token={TOKEN}"
    )
    plan.write_text(
        f'base_url = "{remote_site}/remote/"\n'
        f'[browser]\ncdp_endpoint = "{endpoint}"\n'
        '[[target]]\nkind = "order"\nurl = "order.html"\n'
        '[[target]]\nkind = "product"\nurl = "product.html"\n',
        encoding="utf-8",
    )
    out = folder / "bundle"
    done = evidence("capture", "--plan", plan, "--no-trace", "--timeout", "30", "-o", out)
    return out, done


# --- through `playwright run-server` ---------------------------------------------------------


def test_capture_through_playwright_server_verifies(server_bundle):
    out, done = server_bundle
    assert done.returncode == 0, done.stdout + done.stderr
    assert verify(out).verdict == "INTACT"
    manifest = load_manifest(out)
    assert [c.error for c in manifest.captures] == [None, None]
    assert "卡密未发货" in (out / "captures/01-order/text.txt").read_text("utf-8")
    assert {a.role for a in manifest.artifacts} == {"har", "trace", "report", "checksums"}


def test_playwright_server_browser_is_recorded_as_remote(server_bundle, server):
    out, _ = server_bundle
    browser = load_manifest(out).environment.browser
    assert browser.remote_endpoint == f"ws://127.0.0.1:{server.port}/"
    assert browser.executable is None and browser.executable_sha256 is None
    assert browser.version == local_chromium_version()  # what the server's browser said
    assert f"Chrome/{browser.version.split('.')[0]}." in browser.user_agent


def test_endpoint_credentials_and_header_never_enter_the_bundle(server_bundle, devtools_bundle):
    for out, _ in (server_bundle, devtools_bundle):
        assert leaked(out) == []
        assert "buyer" not in load_manifest(out).environment.browser.remote_endpoint


def test_local_checks_say_they_describe_the_tool_machine_not_the_browser(server_bundle):
    out, _ = server_bundle
    check = next(c for c in load_manifest(out).environment.checks if c.name == "browser")
    assert "remote browser" in check.detail
    assert "describe the machine running the tool" in check.detail


# --- through a DevTools endpoint ---------------------------------------------------------------


def test_capture_through_devtools_endpoint_records_the_remote_browser(devtools_bundle, devtools):
    out, done = devtools_bundle
    assert done.returncode == 0, done.stdout + done.stderr
    assert verify(out).verdict == "INTACT"
    manifest = load_manifest(out)
    assert [c.error for c in manifest.captures] == [None, None]
    browser = manifest.environment.browser
    assert browser.user_agent == REMOTE_AGENT  # reported by the remote side, not made up here
    assert browser.version == local_chromium_version()
    assert browser.remote_endpoint.rstrip("/") == devtools.endpoint
    assert browser.executable is None and browser.launch_args == []


def test_report_is_printed_by_the_remote_browser_it_is_pointed_at(
    devtools_bundle, devtools, tmp_path
):
    out, _ = devtools_bundle
    copy = tmp_path / "bundle"
    shutil.copytree(out, copy)
    done = evidence("report", copy, "--cdp-endpoint", devtools.endpoint)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (copy / "report.pdf").read_bytes().startswith(b"%PDF")
    assert verify(copy).verdict == "INTACT"
    with refusing_port() as port:
        refused = evidence("report", copy, "--cdp-endpoint", f"http://127.0.0.1:{port}")
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert f"cannot connect to the DevTools endpoint at http://127.0.0.1:{port}" in refused.stderr
    assert verify(copy).verdict == "INTACT"


@pytest.mark.skipif(not can_hide_tmp(), reason="needs root and mount namespaces")
def test_browser_that_cannot_read_our_files_still_captures_and_prints_the_report(
    tmp_path, remote_site
):
    out = tmp_path / "bundle"
    with devtools_chromium(REMOTE_AGENT, hide_tmp=True) as isolated:
        done = evidence(
            "capture",
            "--order",
            f"{remote_site}/remote/order.html",
            "--no-trace",
            "--timeout",
            "30",
            "--cdp-endpoint",
            isolated.endpoint,
            "-o",
            out,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    assert load_manifest(out).environment.browser.user_agent == REMOTE_AGENT
    assert verify(out).verdict == "INTACT"
    assert "report could not be written" not in done.stdout
    assert (out / "report.pdf").read_bytes().startswith(b"%PDF")


# --- a server that goes away ---------------------------------------------------------------


def test_server_killed_mid_run_fails_the_remaining_targets_and_bundle_verifies(tmp_path):
    out = tmp_path / "killed"
    with playwright_server() as doomed, serve(site_handler(lambda: doomed.kill())) as site:
        done = evidence(
            "capture",
            f"{site}/remote/order.html",
            f"{site}/remote/kill-server.html",
            f"{site}/remote/product.html",
            "--jobs",
            "1",
            "--no-trace",
            "--timeout",
            "30",
            "-o",
            out,
            "--browser-executable",
            find_browser().executable,
            env={"EVIDENCE_BROWSER_ENDPOINT": f"{doomed.endpoint}?token={TOKEN}"},
        )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "reconnecting once" in done.stdout
    first, killed, after = load_manifest(out).captures
    assert first.error is None
    assert killed.error == "the browser stopped during this capture"
    assert after.error.startswith("not captured: the browser could not be reached again")
    assert f"ws://127.0.0.1:{doomed.port}/" in after.error
    assert verify(out).verdict == "INTACT"
    assert leaked(out) == []


# --- unreachable endpoints, doctor -------------------------------------------------------------


def test_unreachable_endpoint_is_one_clear_line_and_exit_1(tmp_path, remote_site):
    with refusing_port() as port:
        done = evidence(
            "capture",
            f"{remote_site}/remote/order.html",
            "-o",
            tmp_path / "b",
            "--browser-endpoint",
            f"ws://buyer:{PASSWORD}@127.0.0.1:{port}/",
        )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and PASSWORD not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert f"cannot connect to the Playwright server at ws://127.0.0.1:{port}/" in lines[0]


def test_doctor_connects_to_a_playwright_server(server):
    done = evidence(
        "doctor",
        "--browser-endpoint",
        server.endpoint,
        "--browser-executable",
        find_browser().executable,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "OK      browser connects: connected to" in done.stdout


def test_doctor_names_an_unreachable_endpoint_as_a_problem():
    with refusing_port() as port:
        done = evidence("doctor", "--cdp-endpoint", f"http://127.0.0.1:{port}")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    problem = [line for line in done.stdout.splitlines() if line.startswith("PROBLEM")]
    assert problem and "browser connects" in problem[0]
    assert f"http://127.0.0.1:{port}" in problem[0]


# --- options ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, message",
    [
        (
            ["--browser-endpoint", "ws://127.0.0.1:1/", "--cdp-endpoint", "http://127.0.0.1:2"],
            "not both",
        ),
        (["--browser-endpoint", "127.0.0.1:3000"], "--browser-endpoint must be"),
        (["--cdp-endpoint", "ftp://127.0.0.1:9222"], "--cdp-endpoint must be"),
        (
            [
                "--cdp-endpoint",
                "http://127.0.0.1:9222",
                "--browser-executable",
                "/usr/bin/chromium",
            ],
            "give one of them",
        ),
        (["--browser-header", f"Authorization: Bearer {HEADER_SECRET}"], "only sent to"),
        (
            [
                "--browser-endpoint",
                "ws://127.0.0.1:1/",
                "--browser-header",
                f"Bearer{HEADER_SECRET}",
            ],
            "'Name: value'",
        ),
    ],
)
def test_contradictory_or_malformed_remote_options_are_usage_errors(args, message, tmp_path):
    result = CliRunner().invoke(
        main, ["capture", "http://127.0.0.1:1/", "-o", str(tmp_path / "b"), *args]
    )
    assert result.exit_code == 2, result.output
    assert message in result.output and HEADER_SECRET not in result.output
    assert not (tmp_path / "b").exists()


def test_a_browser_service_is_sent_no_launch_options_unless_asked():
    assert remote_launch_options(BrowserSettings(endpoint="ws://127.0.0.1:1/")) == {}
    asked = remote_launch_options(
        BrowserSettings(endpoint="ws://127.0.0.1:1/", executable="/x/chrome")
    )
    assert asked == {"executablePath": "/x/chrome", "args": launch_args(), "headless": True}
    headed = remote_launch_options(BrowserSettings(endpoint="ws://127.0.0.1:1/", headless=False))
    assert headed == {"headless": False}


def test_readme_remote_commands_use_options_that_exist():
    """The fixtures above run the README's server and Chromium lines; here its
    `evidence` lines are checked against the real --help of each command."""
    lines = [
        line
        for block in re.findall(r"```sh\n(.*?)```", remote_readme(), re.DOTALL)
        for line in block.splitlines()
        if line.startswith("evidence ")
    ]
    assert lines
    for line in lines:
        words = shlex.split(line)
        helped = CliRunner().invoke(main, [words[1], "--help"]).output
        for word in words[2:]:
            if word.startswith("--"):
                assert word.split("=")[0] in helped, f"{word} in: {line}"
