"""Bundles built through the real BundleWriter and manifest models, without a browser.

Used by the verify, bundle and fuzz tests (and anyone else who needs a bundle on disk).
"""

from __future__ import annotations

import random
import zipfile
from datetime import timedelta
from pathlib import Path

from capture import __version__
from capture.bundle import BundleWriter
from capture.manifest import (
    BrowserInfo,
    Capture,
    Case,
    Environment,
    Manifest,
    Response,
    Tool,
    Viewport,
    utc_now,
)

KINDS = ("order", "product", "chat", "page")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def fake_environment() -> Environment:
    return Environment(
        os="Linux test",
        python="3.11",
        playwright="0.0-test",
        browser=BrowserInfo(name="chromium", version="0-test", user_agent="test-agent", headless=True),
        viewport=Viewport(width=1280, height=800),
        locale="zh-CN",
        timezone="Asia/Shanghai",
    )


def _capture(writer: BundleWriter, index: int, rng: random.Random) -> Capture:
    kind = KINDS[(index - 1) % len(KINDS)]
    folder = f"captures/{index:02d}-{kind}"
    started = utc_now()
    artifacts = [
        writer.write_artifact(
            f"{folder}/screenshot.png", PNG_SIGNATURE + rng.randbytes(2000 + 500 * index),
            "screenshot", "image/png",
        ),
        writer.write_artifact(
            f"{folder}/page.html",
            f"<html><body><h1>订单 {index}</h1></body></html>\n".encode(),
            "dom", "text/html",
        ),
        writer.write_artifact(
            f"{folder}/text.txt", f"订单号 A{index:04d}: 未收到卡密\n".encode(), "text", "text/plain"
        ),
    ]
    if kind == "chat":
        artifacts.append(
            writer.write_artifact(
                f"{folder}/chat-001.png", PNG_SIGNATURE + rng.randbytes(1500), "chat_segment",
                "image/png", scroll_top=0, height=800,
            )
        )
        artifacts.append(
            writer.write_artifact(
                f"{folder}/transcript.txt", "客服: 是你自己的问题\n买家: 我付款了\n".encode(),
                "transcript", "text/plain",
            )
        )
    return Capture(
        index=index,
        kind=kind,
        requested_url=f"http://127.0.0.1:8000/{kind}/{index}",
        final_url=f"http://127.0.0.1:8000/{kind}/{index}",
        title=f"{kind} {index}",
        started_at=started,
        finished_at=started + timedelta(milliseconds=250),
        response=Response(status=200, server_ip="127.0.0.1", server_date="Tue, 25 Nov 2025 17:00:00 GMT"),
        artifacts=artifacts,
    )


def make_bundle(
    root: Path, n_captures: int = 2, complete: bool = True, seed: int = 0, trace_bytes: int = 0
) -> Path:
    """A bundle as the tool writes it; complete=False stops as an interrupted run would.

    trace_bytes > 0 adds a trace.zip of that many random bytes (a large file).
    """
    rng = random.Random(seed)
    writer = BundleWriter.create(root)
    manifest = Manifest(
        tool=Tool(version=__version__),
        status="incomplete",
        started_at=utc_now(),
        case=Case(title="卡密未到账 / code never arrived", platform="test", order_id="A0001"),
        environment=fake_environment(),
    )
    writer.write_manifest(manifest)
    writer.write_sums(manifest)
    for index in range(1, n_captures + 1):
        manifest.captures.append(_capture(writer, index, rng))
        # As the session does: the manifest and SHA256SUMS after every capture.
        writer.write_manifest(manifest)
        writer.write_sums(manifest)
    if not complete:
        return Path(root)
    manifest.artifacts.append(
        writer.write_artifact("network.har", b'{"log": {"entries": []}}\n', "har", "application/json")
    )
    if trace_bytes:
        manifest.artifacts.append(
            writer.write_artifact("trace.zip", rng.randbytes(trace_bytes), "trace", "application/zip")
        )
    manifest.status = "complete"
    manifest.finished_at = utc_now()
    # As the session does: the report is sealed with the rest, listed in the manifest.
    manifest.artifacts.append(
        writer.write_artifact("report.html", "<html><body>证据报告 evidence report</body></html>\n".encode(),
                              "report", "text/html; charset=utf-8")
    )
    manifest.artifacts.append(writer.write_sealed_list(manifest))
    writer.write_manifest(manifest)
    writer.write_sums(manifest)
    return Path(root)


def bundle_files(root: Path) -> list[str]:
    """Every file in a bundle directory, relative, forward slashes, sorted."""
    return sorted(p.relative_to(root).as_posix() for p in Path(root).rglob("*") if p.is_file())


def zip_bundle(root: Path, zip_path: Path, folder: str = "", method: int = zipfile.ZIP_DEFLATED) -> Path:
    """Zip a bundle directory; folder="name/" puts everything under one top folder."""
    with zipfile.ZipFile(zip_path, "w", compression=method) as archive:
        for rel in bundle_files(root):
            archive.write(Path(root) / rel, folder + rel)
    return Path(zip_path)
