"""What the command line says about order is what happens, and the summary never overclaims."""

from __future__ import annotations

from click.testing import CliRunner

from capture.cli import main
from capture.manifest import Manifest

from .servers import serve


def _manifest(root) -> Manifest:
    return Manifest.model_validate_json((root / "manifest.json").read_bytes())


def test_one_job_captures_one_by_one_in_the_order_given(tmp_path):
    with serve() as site:
        out = tmp_path / "bundle"
        result = CliRunner().invoke(main, [
            "capture", "--order", f"{site}/hello.html?o", "--chat", f"{site}/chat/lazy.html?count=30",
            "--page", f"{site}/hello.html?p", "--jobs", "1", "--no-report", "--no-trace", "-o", str(out),
        ])
    assert result.exit_code == 0, result.output
    captures = _manifest(out).captures
    assert [c.kind for c in captures] == ["order", "chat", "page"]
    for earlier, later in zip(captures, captures[1:]):
        assert earlier.finished_at <= later.started_at, (earlier.kind, later.kind)


def test_interleaved_flags_and_bare_urls_keep_their_order(tmp_path):
    with serve() as site:
        out = tmp_path / "bundle"
        result = CliRunner().invoke(main, [
            "capture", f"{site}/hello.html?1", "--chat", f"{site}/chat/lazy.html?count=10",
            f"{site}/hello.html?3", "--order=" + f"{site}/hello.html?4", "--no-report", "--no-trace",
            "-o", str(out),
        ])
    assert result.exit_code == 0, result.output
    got = [(c.kind, c.requested_url.rsplit("?", 1)[1]) for c in _manifest(out).captures]
    assert got == [("page", "1"), ("chat", "count=10"), ("page", "3"), ("order", "4")]


def test_nothing_captured_never_says_quote_this_fingerprint(tmp_path):
    # A port nothing listens on: bound and closed at once.
    with serve() as site:
        dead = site
    out = tmp_path / "bundle"
    result = CliRunner().invoke(main, ["capture", f"{dead}/a", f"{dead}/b", "--no-report", "--no-trace",
                                       "--timeout", "5", "-o", str(out)])
    assert result.exit_code == 1
    assert "0 of 2 captures succeeded" in result.output
    assert "Quote this fingerprint" not in result.output
    assert "No page was captured" in result.output


def test_a_404_page_is_kept_and_said_plainly(tmp_path):
    with serve() as site:
        out = tmp_path / "bundle"
        result = CliRunner().invoke(main, ["capture", f"{site}/no-such-page.html", "--no-report",
                                           "--no-trace", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "kept, but the server answered HTTP 404" in result.output
    [capture] = _manifest(out).captures
    assert capture.response.status == 404
    assert any(a.role == "screenshot" for a in capture.artifacts)


def test_a_token_in_the_url_never_reaches_the_manifest(tmp_path):
    secret = "urlSecret-7Hq2-9911"
    with serve() as site:
        out = tmp_path / "bundle"
        result = CliRunner().invoke(main, ["capture", f"{site}/hello.html?order=A1&access_token={secret}",
                                           "--no-report", "--no-trace", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = (out / "manifest.json").read_text(encoding="utf-8")
    assert secret not in text
    [capture] = _manifest(out).captures
    assert "order=A1" in capture.requested_url and "order=A1" in capture.final_url
    assert all(secret not in p.read_bytes().decode("latin-1") for p in out.rglob("*") if p.is_file())
