"""The report shows what a hostile page really said: bidi controls escaped, hosts in
their ASCII form, absurd server values as given (and never a crash)."""

from __future__ import annotations

import re
import subprocess
import unicodedata
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from capture.bundle import BundleWriter, sha256_hex
from capture.cli import main
from capture.display import shown_url, visible
from capture.manifest import Action, Capture, Manifest, Response, Tls, Tool, utc_now
from capture.report.render import bundle_loader, render_html

from .bundles import fake_environment

BIDI_TITLE = "Order paid \u202egnp.exe\u202c \u2066x\u2069 \u200f\u200e end"
HOMOGLYPH_URL = "https://\u0430pple.com/order/1"  # Cyrillic а, not Latin a
ABSURD_DATE = "Fri, 01 Jan 99999999999999999999 00:00:00 GMT"


def hostile_bundle(root: Path) -> Manifest:
    writer = BundleWriter.create(root)
    t0 = utc_now().replace(microsecond=0)
    capture = Capture(
        index=1,
        kind="order",
        requested_url=HOMOGLYPH_URL,
        final_url="https://xn--pple-43d.com/order/1?\u202eq",
        title=BIDI_TITLE,
        started_at=t0,
        finished_at=t0 + timedelta(seconds=2),
        response=Response(
            status=200,
            status_text="OK \u202eKO",
            server_ip="203.0.113.9",
            server_date=ABSURD_DATE,
            tls=Tls(protocol="TLS 1.3", subject="CN=\u0430pple.com \u2067x", issuer="CN=CA\u200b"),
        ),
        actions=[Action(type="load", at=t0, detail="goto " + HOMOGLYPH_URL)],
        warnings=["the page said \u202edias egap eht"],
    )
    capture.artifacts.append(
        writer.write_artifact("captures/01-order/text.txt", b"x\n", "text", "text/plain")
    )
    manifest = Manifest(
        tool=Tool(version="0.1.0"),
        status="complete",
        started_at=t0,
        finished_at=t0 + timedelta(seconds=3),
        environment=fake_environment(),
        captures=[capture],
    )
    writer.write_manifest(manifest)
    writer.write_sums(manifest)
    return manifest


def test_bidi_controls_homoglyph_hosts_and_absurd_dates_are_shown_as_the_page_gave_them(tmp_path):
    root = tmp_path / "hostile"
    manifest = hostile_bundle(root)
    fingerprint = sha256_hex((root / "manifest.json").read_bytes())
    html = render_html(manifest, fingerprint, image_loader=bundle_loader(root))
    hidden = [c for c in html if unicodedata.category(c) in ("Cf", "Cc") and c not in "\n\t"]
    assert hidden == []
    assert "Order paid \\u202egnp.exe\\u202c \\u2066x\\u2069 \\u200f\\u200e end" in html
    assert "OK \\u202eKO" in html and "the page said \\u202edias egap eht" in html
    assert "CN=\u0430pple.com \\u2067x" in html and "CN=CA\\u200b" in html
    # The host as DNS sees it; its Unicode look-alike only beside it, marked as such.
    assert "https://xn--pple-43d.com/order/1</span>" in html
    assert "https://xn--pple-43d.com/order/1?\\u202eq" in html
    assert "https://\u0430pple.com" not in html
    assert re.search(r"host name in Unicode[^<]*</span>: <bdi>\u0430pple\.com</bdi>", html)
    assert ABSURD_DATE in html  # as the server sent it, with no clock comparison made


def test_report_command_renders_a_bundle_with_absurd_server_values(tmp_path):
    root = tmp_path / "hostile"
    hostile_bundle(root)
    result = CliRunner().invoke(main, ["report", str(root), "--lang", "en"])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    [pdf] = sorted(root.rglob("*.pdf"))
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, check=True, text=True
    ).stdout
    assert "xn--pple-43d.com" in text and "\\u202e" in text and ABSURD_DATE in text


def test_display_helpers_escape_every_invisible_character_and_keep_what_is_asked():
    assert visible("a\u202eb\u200dc\x00d\u2028e\U000e0041") == (
        "a\\u202eb\\u200dc\\x00d\\u2028e\\U000e0041"
    )
    assert visible("客服:\n你好\t!", keep="\n\t") == "客服:\n你好\t!"
    homoglyph = shown_url("https://user@\u0430PPLE.com:8443/p?q=1#f")
    assert homoglyph.text == "https://user@xn--pple-43d.com:8443/p?q=1#f"
    assert (homoglyph.host.ascii, homoglyph.host.unicode) == ("xn--pple-43d.com", "\u0430pple.com")
    assert shown_url("https://例子.中国/").host.unicode == "例子.中国"
    assert shown_url("https://shop.example/").host.unicode is None
    assert shown_url("http://[::1]:8/").text == "http://[::1]:8/"
    broken = shown_url("http://a\u202eb.example/")
    assert broken.text == "http://a\\u202eb.example/" and not broken.host.valid
    assert shown_url("not a url \u202e").text == "not a url \\u202e"
