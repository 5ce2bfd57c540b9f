"""report.html from a Manifest: bilingual, self-contained, every captured string escaped.

The report reads only the manifest and the bundle's own files. Nothing in it runs
(no scripts; a Content-Security-Policy forbids them too), nothing is fetched from
outside; screenshots are referenced by their relative bundle paths, so the file works
inside the bundle directory and Chromium renders the PDF from there.

Order, for a mediator reading it in minutes: what the bundle is and how to check it,
the summary (status, redactions, timestamp), then each capture as pictures (full-width
slices of tall pages, chat segments several to a page, the transcript in two columns),
and last an appendix with every action, file and hash.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import datetime
from importlib import resources
from pathlib import Path
from string import Template
from urllib.parse import urlsplit

from ..bundlepath import UnsafePath, bundle_path
from ..display import shown_url
from ..environment import capture_clock, response_moments
from ..manifest import Artifact, Capture, Manifest, TimestampCheck, format_utc
from .escape import e, t
from .figures import chat_segments, screenshot, text_height_px, transcript
from .labels import CHECK_TEXT, KIND_TEXT, OUTCOME_TEXT, ROLE_TEXT, TEXT, Words
from .layout import (  # noqa: F401 - re-exported: the report's geometry, for pdf.py and tests
    CONTENT_HEIGHT_PX,
    CONTENT_WIDTH_PX,
    OVERLAP_ROWS,
    PAGE_MARGINS_MM,
    PRINT_SCALE,
    SLICE_MAX_PX,
    slices,
)

Loader = Callable[[str], "bytes | None"]

SCREENSHOT_ROLES = ("screenshot", "screenshot_tile", "chat_segment", "box_segment")
PICTURE_ROLES = ("screenshot", "screenshot_tile")
# Heights in CSS px of what precedes a capture's first picture (style.css sizes them).
_HEADING_PX = 40
_FACTS_FONT_PX, _FACTS_LINE_PX = 11.4, 15.5
_CAPTION_PX = 18
_HEAD_SAFETY_PX = 36


# Belongs in labels.TEXT ("host_unicode"); kept here until that file is free to edit.
HOST_UNICODE = (
    "主机名的 Unicode 写法，与上面的 ASCII 写法不同",
    "host name in Unicode, differs from the ASCII form",
)
HOST_INVALID = ("不是有效的主机名", "not a valid host name")


def _url(w: Words, url: str | None) -> str:
    """A URL with its host as DNS sees it (punycode), the Unicode form beside it if different."""
    if not url:
        return "–"
    shown = shown_url(url)
    out = f'<span class="mono" dir="ltr">{e(shown.text)}</span>'
    if shown.host is not None and shown.host.unicode:
        out += f' <span class="sub">({w.pair(HOST_UNICODE)}: <bdi>{e(shown.host.unicode)}</bdi>)</span>'
    elif shown.host is not None and not shown.host.valid:
        out += f' <span class="sub">({w.pair(HOST_INVALID)})</span>'
    return out


def _page_text(value: str | None) -> str:
    # Isolated, so right-to-left letters in a title cannot reorder the report around it.
    return f"<bdi>{e(value)}</bdi>" if value else "–"


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
        try:
            local = dt.astimezone(zone)
        except (OverflowError, ValueError):  # year 1 or 9999 has no local time in every zone
            return text
        text += f" ({local:%Y-%m-%d %H:%M:%S} {e(zone.key)})"
    return text


def clock_difference(capture: Capture) -> tuple[datetime | None, datetime, float | None]:
    """(server Date, local time, server minus local in seconds): the environment
    check's own reading, so the row and the check never disagree."""
    reading = capture_clock(capture)
    if reading is None:
        return None, response_moments(capture)[0], None
    return reading.server, reading.sent, reading.offset


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


def _seal_box(w: Words, fingerprint: str | None, rendered_at: str | None) -> str:
    """Sealed report: what the fingerprint is and how to check it (it cannot show it).
    Later rendering: the fingerprint as verified, under a plain NOT SEALED banner."""
    cmd = lambda text: f'<code class="cmd">{e(text)}</code>'  # noqa: E731
    if fingerprint is None:
        head = (f'<div class="fingerprint-box"><h2>{w("sealed")}</h2>'
                f'{w.para("sealed_what", "sub")}')
    else:
        head = (f'<div class="fingerprint-box unsealed"><h2>{w("unsealed")}</h2>'
                f'{w.para("unsealed_what", "sub", when=e(rendered_at or ""))}'
                f"<h3>{w('fingerprint')} (SHA-256)</h3>"
                f'<div class="fingerprint" id="fingerprint">{e(fingerprint)}</div>')
    return head + (
        f"<h3>{w('howto')}</h3>"
        '<ol class="howto">'
        f"<li>{cmd('evidence verify BUNDLE --expect FINGERPRINT')}: {w('howto_expect')}</li>"
        f"<li>{cmd('sha256sum manifest.json')} · {cmd('grep -c $(sha256sum sealed.sha256 | cut -c1-64) manifest.json')}"
        f" · {cmd('sha256sum -c sealed.sha256')}: {w('howto_sums_sealed')}</li>"
        f"<li>{cmd('openssl ts -verify -data manifest.json -in manifest.json.tsr -CAfile TSA-CA.pem')}: "
        f"{w('howto_openssl', show=cmd('openssl ts -reply -in manifest.json.tsr -text'))}</li>"
        "</ol></div>"
    )


def _redacted(w: Words, manifest: Manifest) -> str:
    """One line: what kinds of session secrets were removed, from which files."""
    kinds: dict[str, str] = {}  # "credential headers" -> its first description
    files: list[str] = []
    for artifact in manifest.all_artifacts():
        found = [d for d in artifact.redactions or [] if d != "no session secrets found"]
        if found:
            files.append(artifact.path)
        for description in found:
            kind = re.sub(r"^\d+ ", "", description)
            kinds.setdefault(kind.split(" (")[0], kind)
    if not files:
        return w("redacted_none")
    shown = ", ".join(files[:4]) + (f" (+{len(files) - 4})" if len(files) > 4 else "")
    return f"{w('redacted_what')} {e('; '.join(kinds.values()))} — {e(shown)}"


def _summary(w: Words, manifest: Manifest, zone, stamped: str) -> str:
    """The case, how the run went, what was removed, how it is timestamped: one table."""
    tool = manifest.tool
    status = w("status_complete" if manifest.status == "complete" else "status_incomplete")
    rows = _case_rows(w, manifest) + [
        (w("status"), status),
        (w("started"), when(manifest.started_at, zone)),
        (w("finished"), when(manifest.finished_at, zone)),
        (w("tool"), f"{e(tool.name)} {e(tool.version)}"),
    ]
    rows.append((w("redacted"), _redacted(w, manifest)))
    if manifest.environment.checks:
        rows.append((w("checks"), _checks_line(w, manifest)))
    rows.append((w("timestamps"), stamped))
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
                    _page_text(cap.title) if cap.title else "",
                    _url(w, cap.final_url or cap.requested_url),
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
                [5, 13, 24, 40, 9, 9],
                classes,
            )
        )
    return "".join(out)


def _checks_line(w: Words, manifest: Manifest) -> str:
    """How the clean-environment checks came out, in one line (each is in the appendix)."""
    counts = {result: 0 for result in CHECK_TEXT}
    for check in manifest.environment.checks:
        counts[check.result] += 1
    said = ", ".join(f"{n} {w.pair(CHECK_TEXT[result])}" for result, n in counts.items() if n)
    return f"{said} ({w('see_appendix')})"


def _case_rows(w: Words, manifest: Manifest) -> list[tuple[str, str]]:
    case = manifest.case
    return [
        (w(key), e(value))
        for key, value in (
            ("case_title", case.title),
            ("platform", case.platform),
            ("order_id", case.order_id),
            ("note", case.note),
        )
        if value
    ]


_TRUST = {"trusted": "ts_trusted", "not verified": "ts_not_verified", "invalid": "ts_invalid"}


def _timestamps(w: Words, timestamps: list[TimestampCheck] | None,
                tsa_requested: Sequence[str]) -> tuple[str, str]:
    """(the summary's line, a section or ""). Sealed report: only what was asked for (the
    token is made after it). Later rendering: each token as verify judged it, its trust
    level first."""
    if not timestamps:
        if tsa_requested:
            hosts = ", ".join(e(urlsplit(url).hostname or url) for url in tsa_requested)
            return w("ts_requested_short", tsa=hosts), ""
        return w("ts_none_short"), ""
    headers = [w("ts_file"), w("ts_trust"), w("ts_time"), w("ts_authority"), w("ts_serial")]
    rows, said = [], []
    for token in timestamps:
        trust = _TRUST.get(token.status)
        label = w(trust) if trust else e(token.status)
        said.append(f"{label}: {e(token.time or '–')}")
        rows.append([
            f'<span class="mono">{e(token.path)}</span>',
            label + (f'<div class="sub">{e(token.detail)}</div>' if token.detail else ""),
            e(token.time or "–"),
            e(token.authority or "–"),
            f'<span class="mono">{e(token.serial or "–")}</span>',
        ])
    section = f"<h2>{w('timestamps')}</h2>{w.para('timestamps_what', 'sub')}" + _table(
        headers, rows, [16, 30, 18, 22, 14])
    return "<br>".join(said), section


def _appendix(w: Words, manifest: Manifest, zone) -> str:
    """What a technical reader checks: the environment, every action, file and hash."""
    out = [f'<section class="appendix"><h2>{w("appendix")}</h2>', _environment(w, manifest)]
    if manifest.artifacts:
        out.append(f"<h3>{w('session_files')}</h3>")
        out.append(_artifacts(w, manifest.artifacts))
    out.append(w.para("outside", "sub"))
    out.append(w.para("clock_note", "sub"))
    out.extend(_details(w, capture, zone) for capture in manifest.captures)
    out.append("</section>")
    return "".join(out)


def _screen_rows(w: Words, env) -> list[tuple[str, str]]:
    """The viewport, the emulated phone, and the browser's own user agent when pages
    were told another."""
    rows = [(w("viewport"), f"{env.viewport.width} × {env.viewport.height}")]
    if env.device:
        d = env.device
        touch = w.pair(("触屏", "touch")) if d.has_touch else ""
        mobile = w.pair(("移动端", "mobile")) if d.is_mobile else ""
        notes = ", ".join(part for part in (f"× {d.device_scale_factor:g}", mobile, touch) if part)
        rows.append((w.pair(("模拟设备", "Emulated device")), f"{e(d.name)} ({notes})"))
    if env.browser.browser_user_agent:
        rows.append((w.pair(("浏览器自身的 User-Agent", "Browser's own user agent")),
                     f'<span class="mono">{e(env.browser.browser_user_agent)}</span>'))
    return rows


def _environment(w: Words, manifest: Manifest) -> str:
    env = manifest.environment
    b = env.browser
    rows = [
        (w("tool"), f"{e(manifest.tool.name)} {e(manifest.tool.version)}"),
        (w("tool_digest"), f'<span class="hash">{e(manifest.tool.digest or "–")}</span>'),
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
        *_screen_rows(w, env),
        (w("locale"), e(env.locale)),
        (w("timezone"), e(env.timezone)),
    ]
    out = [f"<h3>{w('environment')}</h3>", _fields(rows)]
    if env.checks:
        out.append(f"<h4>{w('checks')}</h4>")
        out.append(
            _table(
                [w("check_name"), w("check_result"), w("check_detail")],
                [[e(c.name), w.pair(CHECK_TEXT[c.result]), t(c.detail)] for c in env.checks],
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
                    "<br>".join(_url(w, o) for o in login.origins),
                )
            )
        if login.cookie_domains:
            rows.append((w("login_cookie_domains"), e(", ".join(login.cookie_domains))))
        out.append(f"<h4>{w('login')}</h4>{w.para('login_what', 'sub')}")
        out.append(_fields(rows))
    return "".join(out)


def _clock(w: Words, capture: Capture, zone) -> list[tuple[str, str]]:
    reading = capture_clock(capture)
    if reading is None:
        return []
    rows = [(w("server_date"), e(reading.raw)), (w("local_time"), when(reading.sent, zone))]
    diff = reading.offset
    if diff is not None:
        seconds = round(diff)
        # "same" only when it is: within the Date header's whole second, no skew beyond.
        if reading.skew == 0 and -1 <= diff <= 1:
            said = w("clock_same")
        elif seconds >= 0:
            said = w("clock_ahead", n=str(seconds))
        else:
            said = w("clock_behind", n=str(-seconds))
        rows.append((w("clock_diff"), f"{diff:+.1f} s: {said}"))
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
        return f"<h4>{w('actions')}</h4><p>{w('no_actions')}</p>"
    rows, classes = [], []
    for i, action in enumerate(capture.actions, 1):
        detail = t(action.detail)
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
    return f"<h4>{w('actions')}</h4>" + _table(
        [w("col_no"), w("col_time") + " (UTC)", w("col_action"), w("col_detail"), w("col_outcome")],
        rows,
        [6, 15, 13, 52, 14],
        classes,
    )


def _artifacts(w: Words, artifacts: list[Artifact]) -> str:
    """Every file with its size and SHA-256, one line each, under a row naming its kind."""
    if not artifacts:
        return f"<p>{w('no_files')}</p>"
    rows, role = [], None
    for a in artifacts:
        if a.role != role:
            role = a.role
            label = w.pair(ROLE_TEXT.get(role, (role, role)))
            rows.append(f'<tr class="group"><td colspan="3">{label}</td></tr>')
        rows.append(f'<tr><td><span class="mono">{e(a.path)}</span></td><td>{a.bytes:,}</td>'
                    f'<td><span class="hash">{e(a.sha256)}</span></td></tr>')
    # Wide enough for a whole SHA-256 on one line at the appendix's type size.
    return ('<table class="list files"><colgroup><col style="width:38%"><col style="width:10%">'
            f'<col style="width:52%"></colgroup><thead><tr><th>{w("col_file")}</th><th>{w("col_size")}</th>'
            f'<th>SHA-256</th></tr></thead><tbody>{"".join(rows)}</tbody></table>')


def _facts(w: Words, capture: Capture, zone) -> str:
    """The few lines a reader needs before the pictures: where, what, when, who answered."""
    lines = [f"<p>{_url(w, capture.final_url or capture.requested_url)}</p>"]
    if capture.final_url and capture.final_url != capture.requested_url:
        lines.append(f"<p>{w('requested_url')}: {_url(w, capture.requested_url)}</p>")
    bits = [f"{w('title')}: {_page_text(capture.title)}"] if capture.title else []
    bits.append(f"{w('captured')}: {when(capture.started_at, zone)}")
    resp = capture.response
    if resp is not None and resp.status is not None:
        bits.append(f"HTTP {resp.status} {e(resp.status_text or '')}".rstrip())
    if resp is not None and resp.server_ip:
        bits.append(f"{w('server_ip')}: {e(resp.server_ip)}")
    if capture.chat_messages is not None:
        bits.append(f"{w('chat_messages')}: {capture.chat_messages}")
    lines.append("<p>" + " · ".join(bits) + "</p>")
    return '<div class="facts">' + "".join(lines) + "</div>"


def _notices(w: Words, capture: Capture) -> str:
    out = []
    if capture.modified_by_script:
        out.append(f'<div class="notice script">{w.para("modified")}</div>')
    if capture.error:
        out.append(f'<div class="notice error"><p><b>{w("error")}:</b> {t(capture.error)}</p></div>')
    if capture.warnings:
        items = "".join(f"<li>{t(msg)}</li>" for msg in capture.warnings)
        out.append(f'<div class="notice warning"><p><b>{w("warnings")}</b></p><ul class="warnings">{items}</ul></div>')
    return "".join(out)


def _capture(w: Words, capture: Capture, loader: Loader | None, zone) -> str:
    """One capture as a reader sees it: a heading, its facts, its pictures."""
    title = f"{capture.index}. {w.pair(KIND_TEXT[capture.kind])}"
    facts, notices = _facts(w, capture, zone), _notices(w, capture)
    # The first slice is cut to the room left under the heading, so it starts on this page.
    room = (CONTENT_HEIGHT_PX - _HEADING_PX - _CAPTION_PX - _HEAD_SAFETY_PX
            - text_height_px(facts, _FACTS_FONT_PX, _FACTS_LINE_PX)
            - text_height_px(notices, 12.7, 18.0, CONTENT_WIDTH_PX - 40) - 14 * notices.count("notice "))
    out = [f'<section class="capture" id="capture-{capture.index}">', f"<h2>{title}</h2>", facts, notices]
    pictures = [a for a in capture.artifacts if a.role in PICTURE_ROLES]
    out.extend(screenshot(w, a, loader, room if i == 0 else None) for i, a in enumerate(pictures))
    out.append(chat_segments(w, [a for a in capture.artifacts if a.role == "chat_segment"], loader))
    out.append(chat_segments(w, [a for a in capture.artifacts if a.role == "box_segment"], loader,
                             heading="box_segments"))
    out.extend(transcript(w, a, loader) for a in capture.artifacts if a.role == "transcript")
    out.append(f'<p class="sub">{w("details_in_appendix", n=str(capture.index))}</p></section>')
    return "".join(out)


def _details(w: Words, capture: Capture, zone) -> str:
    """The appendix's record of one capture: every field, action and file."""
    resp = capture.response
    rows = [
        (w("requested_url"), _url(w, capture.requested_url)),
        (w("final_url"), _url(w, capture.final_url)),
        (w("title"), _page_text(capture.title)),
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
    return (f'<div class="details" id="details-{capture.index}"><h3>{title}</h3>{_fields(rows)}'
            f"{_actions(w, capture, zone)}<h4>{w('artifacts')}</h4>{_artifacts(w, capture.artifacts)}</div>")


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
    fingerprint: str | None = None,
    *,
    lang: str = "both",
    timestamps: list[TimestampCheck] | None = None,
    image_loader: Loader | None = None,
    tsa_requested: Sequence[str] = (),
    rendered_at: str | None = None,
) -> str:
    """The whole report as one HTML string.

    Without `fingerprint` it is the sealed report, written before the manifest that
    lists it (so it cannot show the fingerprint); with one, a later rendering marked
    NOT SEALED that shows the fingerprint and the `timestamps` verify found.

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
    stamped, stamps = _timestamps(w, timestamps, tsa_requested)
    parts = [
        '<section class="front">',
        f"<h1>{w('report')}</h1>",
        f'<p class="sub">{e(manifest.case.title or "")}</p>' if manifest.case.title else "",
        '<div class="about">' + w.para("reading_copy") + "</div>",
        _summary(w, manifest, zone, stamped),
        stamps,
        _seal_box(w, fingerprint, rendered_at),
        "</section>",
    ]
    parts.extend(_capture(w, capture, image_loader, zone) for capture in manifest.captures)
    parts.append(_appendix(w, manifest, zone))
    return Template(_template("template.html")).substitute(
        html_lang="en" if lang == "en" else "zh-CN",
        fingerprint=e(fingerprint or ""),
        title=e(title),
        style=_template("style.css"),
        body="\n".join(p for p in parts if p),
    )
