"""The clean-environment check (清洁性检查) as it lands in a real capture's manifest."""

from __future__ import annotations

import email.utils
import os
import subprocess
import sys
import time

from capture.manifest import Manifest
from capture.plan import Target
from capture.session import RunOptions, run
from capture.verify import verify

from .servers import QuietHandler, SITES, serve

EVIDENCE = [sys.executable, "-m", "capture"]


class SkewedClockHandler(QuietHandler):
    """Serves tests/sites with a Date header 10 minutes behind."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(SITES), **kwargs)

    def date_time_string(self, timestamp=None):
        return email.utils.formatdate(time.time() - 600, usegmt=True)


def capture(*args, env=None):
    return subprocess.run([*EVIDENCE, "capture", *map(str, args)], capture_output=True, text=True,
                          timeout=240, env={**os.environ, **(env or {})})


def checks_of(out) -> dict[str, list]:
    manifest = Manifest.model_validate_json((out / "manifest.json").read_bytes())  # the schema's model
    found: dict[str, list] = {}
    for check in manifest.environment.checks:
        found.setdefault(check.name, []).append(check)
    return found


def test_skewed_server_clock_and_proxy_variables_are_on_the_record(tmp_path):
    out = tmp_path / "skew"
    with serve(SkewedClockHandler) as url:
        done = capture(f"{url}/hello.html", "--no-trace", "-o", out,
                       env={"HTTP_PROXY": "http://buyer:pa55word@127.0.0.1:9", "NO_PROXY": "127.0.0.1"})
    assert done.returncode == 0, done.stderr
    checks = checks_of(out)
    clock = checks["clock"][0]
    assert clock.result == "warning" and ("10 min" in clock.detail or "600 s" in clock.detail), clock.detail
    proxy = checks["proxy environment variables"][0]
    assert proxy.result == "warning" and "HTTP_PROXY" in proxy.detail and "pa55word" not in proxy.detail
    assert checks["browser"][0].result == "ok" and "--disable-background-networking" in checks["browser"][0].detail
    assert checks["name resolution"][0].result == "ok"
    manifest = Manifest.model_validate_json((out / "manifest.json").read_bytes())
    assert checks["tool"][0].result == "ok" and manifest.tool.digest in checks["tool"][0].detail
    assert "pa55word" not in (out / "manifest.json").read_text()
    assert "pa55word" not in (out / "report.html").read_text("utf-8")
    assert verify(out).verdict == "INTACT"


def test_hosts_file_overriding_a_target_host_is_a_problem(tmp_path):
    hosts = tmp_path / "hosts"
    hosts.write_text("127.0.0.1 localhost\n10.9.8.7 shop.example.test\n")
    out = tmp_path / "hosts-bundle"
    said: list[str] = []
    with serve() as url:
        port = url.rsplit(":", 1)[1]
        run(RunOptions(targets=[Target(url=f"http://shop.example.test:{port}/hello.html")],
                       out_dir=out, timeout=10, trace=False, hosts_path=hosts, progress=said.append))
    checks = checks_of(out)
    hosts_check = checks["hosts file"][0]
    assert hosts_check.result == "problem" and "shop.example.test" in hosts_check.detail
    assert str(hosts) in hosts_check.detail
    assert any(line.startswith("environment problem: hosts file:") for line in said), said
    assert verify(out).verdict == "INTACT"
