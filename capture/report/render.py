"""report.html from a Manifest: bilingual, self-contained, every captured string escaped.

The report reads only the manifest and the bundle's own files. Nothing in it runs
(no scripts; a Content-Security-Policy forbids them too), nothing is fetched from
outside; screenshots are referenced by their relative bundle paths, so the file works
inside the bundle directory and Chromium renders the PDF from there.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from importlib import resources
from pathlib import Path
from string import Template
from urllib.parse import quote

from ..bundlepath import UnsafePath, bundle_path
from ..manifest import Artifact, Capture, Manifest, format_utc
from .labels import CHECK_TEXT, KIND_TEXT, OUTCOME_TEXT, ROLE_TEXT, TEXT, Words

Loader = Callable[[str], "bytes | None"]

# A4 with these margins (pdf.py passes them to page.pdf) leaves a content box of
# 186 x 269 mm = 703 x 1016 CSS px. A screenshot slice plus its caption must fit in
# one box, or Chromium would either cut it or shrink it.
PAGE_MARGINS_MM = {"top": 12, "bottom": 16, "left": 12, "right": 12}
CONTENT_WIDTH_PX = 703
SLICE_MAX_PX = 940
# Neighbouring slices repeat a few rows so sub-pixel rounding can never drop a line.
OVERLAP_ROWS = 4

SCREENSHOT_ROLES = ("screenshot", "screenshot_tile", "chat_segment")


def e(value) -> str:
    """Escape anything that came from a page, a manifest or a user."""
    return html.escape("" if value is None else str(value), quote=True)


# --- values ----------------------------------------------------------------------------


def _zone(name: str | None):
    if not name or name == "UTC":
        return None
    try:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # no such zone or no tz database
        return None


def when(dt: datetime | None, zone=None) -> str:
    """UTC, plus the capture machine's local time when it had a zone."""
    if dt is None:
        return "–"
    text = format_utc(dt).replace("T", " ").replace("Z", " UTC")
    if zone is not None:
        local = dt.astimezone(zone)
        text += f" ({local:%Y-%m-%d %H:%M:%S} {e(zone.key)})"
    return text


def _png_size(data: bytes | None) -> tuple[int, int] | None:
    if not data or data[:8] != b"\x89PNG\r\n\x1a\n" or data[12:16] != b"IHDR":
        return None
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return (width, height) if width > 0 and height > 0 else None


def slices(width: int, height: int) -> list[tuple[int, int]]:
    """Row ranges [top, bottom) of a screenshot, each small enough for one page.

    The image is shown at the content width (or its own width, if narrower), so a
    slice of `rows` image rows is rows * shown/width CSS px tall.
    """
    shown = min(width, CONTENT_WIDTH_PX)
    rows = max(OVERLAP_ROWS + 1, math.floor(SLICE_MAX_PX * width / shown))
    ranges, top = [], 0
    while True:
        bottom = min(height, top + rows)
        ranges.append((top, bottom))
        if bottom >= height:
            return ranges
        top = bottom - OVERLAP_ROWS


def _src(path: str) -> str | None:
    try:
        bundle_path(path)
    except UnsafePath:
        return None
    return e(quote(path, safe="/"))


def clock_difference(capture: Capture) -> tuple[datetime | None, datetime, float | None]:
    """(server Date, local time, server minus local in seconds)."""
    local = capture.started_at
    for action in capture.actions:
        if action.type == "load":
            local = action.at
            break
    server = None
    raw = capture.response.server_date if capture.response else None
    if raw:
        try:
            server = parsedate_to_datetime(raw)
        except (TypeError, ValueError, IndexError):
            server = None
        if server is not None and server.tzinfo is None:
            server = server.replace(tzinfo=UTC)
    if server is None:
        return None, local, None
    return server, local, (server - local).total_seconds()


# --- building blocks -------------------------------------------------------------------


def _fields(rows: list[tuple[str, str]]) -> str:
    body = "".join(f"<tr><th>{label}</th><td>{value}</td></tr>" for label, value in rows)
    return f'<table class="fields">{body}</table>'


def _table(headers: list[str], rows: list[list[str]], widths: list[int], row_classes=None) -> str:
    cols = "".join(f'<col style="width:{pct}%">' for pct in widths)
    head = "".join(f"<th>{h}</th>" for h in headers)
    body = []
    for i, row in enumerate(rows):
        cls = f' class="{row_classes[i]}"' if row_classes and row_classes[i] else ""
        body.append(f"<tr{cls}>" + "".join(f"<td>{cell}</td>" for cell in row) + "</tr>")
    return (
        f'<table class="list"><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


def _fingerprint_box(w: Words, fingerprint: str) -> str:
    verify = '<code class="cmd">evidence verify BUNDLE</code>'
    sums = '<code class="cmd">sha256sum -c SHA256SUMS</code>'
    one = '<code class="cmd">sha256sum manifest.json</code>'
    return (
        '<div class="fingerprint-box">'
        f"<h2>{w('fingerprint')} (SHA-256)</h2>"
        f'<div class="fingerprint" id="fingerprint">{e(fingerprint)}</div>'
        f"{w.para('fingerprint_what', 'sub')}"
        f"<h3>{w('howto')}</h3>"
        '<ol class="howto">'
        f"<li>{w.para('howto_verify', cmd=verify)}</li>"
        f"<li>{w.para('howto_sums', cmd=sums, cmd2=one)}</li>"
        "</ol></div>"
    )


def _summary(w: Words, manifest: Manifest, zone) -> str:
    tool = manifest.tool
    status = w("status_complete" if manifest.status == "complete" else "status_incomplete")
    rows = [
        (w("status"), status),
        (w("started"), when(manifest.started_at, zone)),
        (w("finished"), when(manifest.finished_at, zone)),
        (w("tool"), f"{e(tool.name)} {e(tool.version)}"),
    ]
    if tool.digest:
        rows.append((w("tool_digest"), f'<span class="hash">{e(tool.digest)}</span>'))
    out = [f"<h2>{w('summary')}</h2>", _fields(rows)]
    if manifest.status != "complete":
        out.append(f'<div class="notice warning">{w.para("incomplete")}</div>')
    if manifest.captures:
        rows2, classes = [], []
        for cap in manifest.captures:
            shots = sum(1 for a in cap.artifacts if a.role in SCREENSHOT_ROLES)
            status = cap.response.status if cap.response and cap.response.status else "–"
            rows2.append(
                [
                    str(cap.index),
                    w.pair(KIND_TEXT[cap.kind]),
                    e(cap.title or ""),
                    f'<span class="mono">{e(cap.final_url or cap.requested_url)}</span>',
                    e(status),
                    str(shots),
                ]
            )
            classes.append(
                "outcome-failed" if cap.error else ("outcome-warning" if cap.warnings else "")
            )
        out.append(f"<h3>{w('captures')}</h3>")
        out.append(
            _table(
                [
                    w("col_no"),
                    w("kind"),
                    w("title"),
                    w("summary_url"),
                    w("http_status"),
                    w("summary_shots"),
                ],
                rows2,
                [6, 14, 26, 34, 10, 10],
                classes,
            )
        )
    return "".join(out)


def _case(w: Words, manifest: Manifest) -> str:
    case = manifest.case
    rows = [
        (w(key), e(value))
        for key, value in (
            ("case_title", case.title),
            ("platform", case.platform),
            ("order_id", case.order_id),
            ("note", case.note),
        )
        if value
    ]
    if not rows:
        return ""
    return f"<h2>{w('case')}</h2>" + _fields(rows)


def _timestamps(w: Words, timestamps: list[dict] | None) -> str:
    if not timestamps:
        return ""
    has_path = any(t.get("path") for t in timestamps)
    has_status = any(t.get("status") for t in timestamps)
    headers = (
        ([w("ts_file")] if has_path else [])
        + [
            w("ts_authority"),
            w("ts_time"),
            w("ts_serial"),
            w("ts_signer"),
        ]
        + ([w("ts_status")] if has_status else [])
    )
    rows = []
    for token in timestamps:
        row = [f'<span class="mono">{e(token.get("path"))}</span>'] if has_path else []
        row += [
            e(token.get("authority") or "–"),
            e(token.get("time") or "–"),
            f'<span class="mono">{e(token.get("serial") or "–")}</span>',
            e(token.get("signer") or "–"),
        ]
        if has_status:
            row.append(e(token.get("status") or ""))
        rows.append(row)
    widths = [18, 18, 20, 14, 30] if has_path else [22, 22, 18, 38]
    if has_status:
        widths = [max(4, x - 2) for x in widths] + [2 * len(widths)]
    return f"<h2>{w('timestamps')}</h2>{w.para('timestamps_what', 'sub')}" + _table(
        headers, rows, widths
    )


def _environment(w: Words, manifest: Manifest) -> str:
    env = manifest.environment
    b = env.browser
    rows = [
        (w("os"), e(env.os)),
        (w("python"), e(env.python)),
        (w("playwright"), e(env.playwright)),
        (w("browser"), f"{e(b.name)} {e(b.version)}"),
        (w("user_agent"), f'<span class="mono">{e(b.user_agent)}</span>'),
        (w("headless"), w("yes" if b.headless else "no")),
    ]
    if b.executable:
        digest = (
            f'<br><span class="hash">SHA-256 {e(b.executable_sha256)}</span>'
            if b.executable_sha256
            else ""
        )
        rows.append((w("executable"), f'<span class="mono">{e(b.executable)}</span>{digest}'))
    if b.remote_endpoint:
        rows.append((w("remote"), f'<span class="mono">{e(b.remote_endpoint)}</span>'))
    rows += [
        (w("viewport"), f"{env.viewport.width} × {env.viewport.height}"),
        (w("locale"), e(env.locale)),
        (w("timezone"), e(env.timezone)),
    ]
    out = [f"<h2>{w('environment')}</h2>", _fields(rows)]
    if env.checks:
        out.append(f"<h3>{w('checks')}</h3>")
        out.append(
            _table(
                [w("check_name"), w("check_result"), w("check_detail")],
                [[e(c.name), w.pair(CHECK_TEXT[c.result]), e(c.detail)] for c in env.checks],
                [28, 14, 58],
                [
                    ""
                    if c.result == "ok"
                    else ("outcome-warning" if c.result == "warning" else "outcome-failed")
                    for c in env.checks
                ],
            )
        )
    login = manifest.login
    if login is not None:
        rows = [(w("login_source"), e(login.source))]
        if login.profile:
            rows.append((w("login_profile"), e(login.profile)))
        if login.origins:
            rows.append(
                (
                    w("login_origins"),
                    "<br>".join(f'<span class="mono">{e(o)}</span>' for o in login.origins),
                )
            )
        if login.cookie_domains:
            rows.append((w("login_cookie_domains"), e(", ".join(login.cookie_domains))))
        out.append(f"<h3>{w('login')}</h3>{w.para('login_what', 'sub')}")
        out.append(_fields(rows))
    return "".join(out)


def _clock(w: Words, capture: Capture, zone) -> list[tuple[str, str]]:
    _server, local, diff = clock_difference(capture)
    raw = capture.response.server_date if capture.response else None
    if not raw:
        return []
    rows = [(w("server_date"), e(raw)), (w("local_time"), when(local, zone))]
    if diff is not None:
        seconds = round(diff)
        if abs(diff) < 1:
            said = w("clock_same")
        elif seconds > 0:
            said = w("clock_ahead", n=str(seconds))
        else:
            said = w("clock_behind", n=str(-seconds))
        rows.append((w("clock_diff"), f"{diff:+.1f} s: {said}<br>{w.para('clock_note', 'sub')}"))
    return rows


def _tls(w: Words, capture: Capture) -> str:
    tls = capture.response.tls if capture.response else None
    if tls is None:
        return w("tls_none") if capture.final_url and capture.final_url.startswith("http:") else "–"
    parts = []
    if tls.issuer:
        parts.append(f"{w('tls_issuer')}: {e(tls.issuer)}")
    if tls.subject:
        parts.append(f"{w('tls_subject')}: {e(tls.subject)}")
    if tls.valid_from or tls.valid_to:
        parts.append(f"{w('tls_valid')}: {when(tls.valid_from)} – {when(tls.valid_to)}")
    if tls.protocol:
        parts.append(f"{w('tls_protocol')}: {e(tls.protocol)}")
    return "<br>".join(parts) or "–"


def _actions(w: Words, capture: Capture, zone) -> str:
    if not capture.actions:
        return f"<h3>{w('actions')}</h3><p>{w('no_actions')}</p>"
    rows, classes = [], []
    for i, action in enumerate(capture.actions, 1):
        detail = e(action.detail)
        if action.selector:
            detail += f'{"<br>" if detail else ""}<span class="mono">{e(action.selector)}</span>'
        rows.append(
            [
                str(i),
                e(format_utc(action.at)[11:]),
                e(action.type),
                detail,
                w.pair(OUTCOME_TEXT[action.outcome]),
            ]
        )
        classes.append("" if action.outcome == "ok" else f"outcome-{action.outcome}")
    return f"<h3>{w('actions')}</h3>" + _table(
        [w("col_no"), w("col_time") + " (UTC)", w("col_action"), w("col_detail"), w("col_outcome")],
        rows,
        [6, 15, 13, 52, 14],
        classes,
    )


def _artifacts(w: Words, artifacts: list[Artifact]) -> str:
    if not artifacts:
        return f"<p>{w('no_files')}</p>"
    rows = [
        [
            f'<span class="mono">{e(a.path)}</span>',
            w.pair(ROLE_TEXT.get(a.role, (a.role, a.role))),
            f"{a.bytes:,}",
            f'<span class="hash">{e(a.sha256)}</span>',
        ]
        for a in artifacts
    ]
    return _table([w("col_file"), w("col_role"), w("col_size"), "SHA-256"], rows, [28, 14, 11, 47])


def _image(w: Words, artifact: Artifact, loader: Loader | None) -> str:
    src = _src(artifact.path)
    name = e(artifact.path)
    data = loader(artifact.path) if loader else None
    size = _png_size(data)
    if src is None:
        return f'<div class="notice error"><p>{name}: {w("image_missing")}</p></div>'
    if size is None:
        # Unknown dimensions: the whole image at page width is the best we can do.
        return (
            f'<figure class="slice"><figcaption class="mono">{name}</figcaption>'
            f'<img class="whole" src="{src}" alt="{name}"></figure>'
        )
    width, height = size
    ranges = slices(width, height)
    shown = min(width, CONTENT_WIDTH_PX)
    out = []
    for i, (top, bottom) in enumerate(ranges, 1):
        caption = f'<span class="mono">{name}</span>'
        if len(ranges) > 1:
            caption += f" · {w('part', i=str(i), n=str(len(ranges)))}"
        caption += f" · {w('rows', a=str(top + 1), b=str(bottom), h=str(height))}"
        # Percentages in margin-top are of the containing block's *width*, so the
        # offset scales with the shown width exactly like the image does.
        offset = top / width * 100
        out.append(
            f'<figure class="slice" style="width:{shown}px;max-width:100%">'
            f"<figcaption>{caption}</figcaption>"
            f'<div class="clip" style="aspect-ratio:{width}/{bottom - top}">'
            f'<img src="{src}" width="{width}" height="{height}" alt="{name}"'
            f' style="margin-top:-{offset:.6f}%"></div></figure>'
        )
    return "".join(out)


def _transcript(w: Words, artifact: Artifact, loader: Loader | None) -> str:
    data = loader(artifact.path) if loader else None
    head = f'<h3>{w("transcript")} <span class="mono">{e(artifact.path)}</span></h3>'
    if data is None:
        return head + f'<div class="notice warning"><p>{w("transcript_missing")}</p></div>'
    return head + f'<pre class="transcript">{e(data.decode("utf-8", "replace"))}</pre>'


def _capture(w: Words, capture: Capture, loader: Loader | None, zone) -> str:
    resp = capture.response
    rows = [
        (w("requested_url"), f'<span class="mono">{e(capture.requested_url)}</span>'),
        (w("final_url"), f'<span class="mono">{e(capture.final_url or "–")}</span>'),
        (w("title"), e(capture.title or "–")),
        (w("captured"), f"{when(capture.started_at, zone)}<br>→ {when(capture.finished_at, zone)}"),
    ]
    if resp is not None:
        status = f"{resp.status} {e(resp.status_text or '')}" if resp.status is not None else "–"
        rows.append((w("http_status"), status))
        ip = e(resp.server_ip or "–")
        if resp.server_port:
            ip += f" : {resp.server_port}"
        rows.append((w("server_ip"), ip))
        rows.extend(_clock(w, capture, zone))
        rows.append((w("tls"), _tls(w, capture)))
    if capture.page_height:
        rows.append((w("page_height"), f"{capture.page_height} px"))
    if capture.chat_selector:
        rows.append((w("chat_selector"), f'<span class="mono">{e(capture.chat_selector)}</span>'))
    if capture.chat_scroll_height:
        rows.append((w("chat_height"), f"{capture.chat_scroll_height} px"))
    if capture.chat_messages is not None:
        rows.append((w("chat_messages"), str(capture.chat_messages)))

    title = f"{capture.index}. {w.pair(KIND_TEXT[capture.kind])}"
    out = [f'<section class="capture" id="capture-{capture.index}">', f"<h2>{title}</h2>"]
    out.append(_fields(rows))
    if capture.modified_by_script:
        out.append(f'<div class="notice script">{w.para("modified")}</div>')
    if capture.error:
        out.append(
            f'<div class="notice error"><p><b>{w("error")}:</b> {e(capture.error)}</p></div>'
        )
    if capture.warnings:
        items = "".join(f"<li>{e(msg)}</li>" for msg in capture.warnings)
        out.append(
            f'<div class="notice warning"><p><b>{w("warnings")}</b></p><ul class="warnings">{items}</ul></div>'
        )
    out.append(_actions(w, capture, zone))
    out.append(f"<h3>{w('artifacts')}</h3>")
    out.append(_artifacts(w, capture.artifacts))
    images = [a for a in capture.artifacts if a.role in SCREENSHOT_ROLES]
    if images:
        out.append(f"<h3>{w('screenshots')}</h3>")
        out.extend(_image(w, a, loader) for a in images)
    for artifact in capture.artifacts:
        if artifact.role == "transcript":
            out.append(_transcript(w, artifact, loader))
    out.append("</section>")
    return "".join(out)


# --- the report ------------------------------------------------------------------------


def _template(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text(encoding="utf-8")


def bundle_loader(root: Path) -> Loader:
    """Reads bundle files by manifest path; None for anything unsafe or unreadable."""
    root = Path(root)

    def load(rel: str) -> bytes | None:
        try:
            target = root.joinpath(*bundle_path(rel).parts)
        except UnsafePath:
            return None
        # A symlink could make the report show a file from outside the bundle.
        probe = target
        while probe != root:
            if probe.is_symlink():
                return None
            probe = probe.parent
        try:
            return target.read_bytes()
        except OSError:
            return None

    return load


def render_html(
    manifest: Manifest,
    fingerprint: str,
    *,
    lang: str = "both",
    timestamps: list[dict] | None = None,
    image_loader: Loader | None = None,
) -> str:
    """The whole report as one HTML string.

    `image_loader(path)` returns the bytes of a bundle file (screenshots, for their
    size, and chat transcripts), or None; see `bundle_loader`. Without it, images are
    shown unsliced and transcripts are not included.
    """
    w = Words(lang)
    zone = _zone(manifest.environment.timezone)
    zh, en = TEXT["report"]
    title = {"zh": zh, "en": en}.get(lang, f"{zh} {en}")
    if manifest.case.title:
        title += f" · {manifest.case.title}"
    parts = [
        f"<h1>{w('report')}</h1>",
        f'<p class="sub">{e(manifest.case.title or "")}</p>' if manifest.case.title else "",
        w.para("intro", "sub"),
        _fingerprint_box(w, fingerprint),
        _case(w, manifest),
        _summary(w, manifest, zone),
        _timestamps(w, timestamps),
        _environment(w, manifest),
    ]
    if manifest.artifacts:
        parts.append(f"<h2>{w('session_files')}</h2>")
        parts.append(_artifacts(w, manifest.artifacts))
    parts.append(w.para("outside", "sub"))
    parts.extend(_capture(w, capture, image_loader, zone) for capture in manifest.captures)
    return Template(_template("template.html")).substitute(
        html_lang="en" if lang == "en" else "zh-CN",
        fingerprint=e(fingerprint),
        title=e(title),
        style=_template("style.css"),
        body="\n".join(p for p in parts if p),
    )
