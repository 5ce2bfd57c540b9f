"""Progress on long work: a status line every few seconds while a slow chat loads and is
pictured (and while a large bundle is verified), rewritten in place on a terminal and
plain lines into a pipe; nothing with --quiet, nothing but JSON with --json."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from capture.progress import Console, Ticker

from .chat_site import chat_site

EVIDENCE = [sys.executable, "-m", "capture"]
# 400 messages, 13 history loads of 0.5 s each: well over the 2 s between status lines.
SLOW_CHAT = "lazy.html?n=400&delay=500"


def evidence(*args) -> subprocess.CompletedProcess:
    return subprocess.run([*EVIDENCE, *map(str, args)], capture_output=True, text=True, timeout=300)


def test_ticker_shows_at_most_one_line_per_interval_and_formats_only_what_it_shows():
    now = [0.0]
    shown, formatted = [], []

    def text(n):
        formatted.append(n)
        return f"step {n}"

    tick = Ticker(shown.append, every=2.0, clock=lambda: now[0])
    for step in range(1, 51):  # 0.1 s apart: 5 s in all
        now[0] = step / 10
        tick(lambda s=step: text(s))
    assert shown == ["step 20", "step 40"]
    assert formatted == [20, 40]
    Ticker(None)(lambda: text(99))  # --quiet: nothing shown, nothing formatted
    assert formatted == [20, 40]


def test_console_rewrites_one_line_on_a_terminal_and_prints_lines_into_a_pipe():
    tty = io.StringIO()
    console = Console(tty, tty=True)
    console.status("a")
    console.status("b")
    console.line("done")
    assert tty.getvalue() == "\r\x1b[Ka\r\x1b[Kb\r\x1b[Kdone\n"
    pipe = io.StringIO()
    console = Console(pipe, tty=False)
    console.status("a")
    console.status("b")
    console.done()
    assert pipe.getvalue() == "a\nb\n"


def test_slow_chat_prints_progress_lines_and_none_with_quiet_or_json(tmp_path):
    with chat_site() as (site, _):
        url = f"{site}/{SLOW_CHAT}"
        shown = evidence("capture", "--chat", url, "--no-report", "--no-trace", "-o", tmp_path / "shown")
        quiet = evidence("capture", "--chat", url, "--no-report", "--no-trace", "-q", "-o", tmp_path / "quiet")
        as_json = evidence("capture", "--chat", url, "--no-report", "--no-trace", "--json",
                           "-o", tmp_path / "json")
    assert shown.returncode == quiet.returncode == as_json.returncode == 0, shown.stderr + quiet.stderr
    history = [line for line in shown.stdout.splitlines() if "chat history:" in line]
    assert history, shown.stdout
    assert all(" loads so far, " in line and " px loaded" in line for line in history)
    assert "\r" not in shown.stdout  # a pipe gets whole lines
    assert "[1/1] chat" in shown.stdout
    # --quiet: the result only, no start/finish lines and no status lines.
    assert "chat history:" not in quiet.stdout and "[1/1]" not in quiet.stdout
    assert "INTACT" in quiet.stdout or "fingerprint" in quiet.stdout.lower()
    result = json.loads(as_json.stdout)  # nothing but the JSON document
    assert result["captured"] == 1 and result["captures"][0]["warnings"] == []
    for name in ("shown", "quiet", "json"):  # the progress costs no message
        manifest = json.loads((tmp_path / name / "manifest.json").read_text(encoding="utf-8"))
        assert manifest["captures"][0]["chat_messages"] == 400
