"""Session secrets never enter a bundle: a real shop page that handles its session the
usual ways (API key, JSON login, bearer token, form and multipart posts, cookies,
local/session storage), captured by the library, then every byte of the bundle
searched, inside zips, base64 and quoted-printable included."""

from __future__ import annotations

import base64
import binascii
import email
import hashlib
import json
import re
import zipfile
from http import HTTPStatus
from pathlib import Path
from urllib.parse import parse_qs, unquote_to_bytes, urlsplit

import pytest

from capture.manifest import Manifest
from capture.plan import Target
from capture.redact import (
    MARKER,
    Redactions,
    Secrets,
    credential_field,
    credential_header,
    login_secrets,
    redact_har,
    scrub_mhtml,
    scrub_url,
)
from capture.session import RunOptions, run
from capture.verify import verify

from .servers import SITES, QuietHandler, serve

# From the login (storage-state file).
STATE_COOKIE = "STATECOOKIE-a1b2-c3d4-login"
LS_STATE = "LS/login+state=9f3a-e7"  # needs percent-encoding in a URL
LS_JWT = "LSJWT-0x77-inside-stored-json"  # a field of a JSON value in localStorage
# Sent or received by the page, each a credential by its name.
API_KEY = "APIKEY-4b8e-inline-5521"
PASSWORD = "PASSWORD-hunter2-9q7w"
ACCESS = "ACCESS-eyJ0b2tlbiI6-77aa"
REFRESH = "REFRESH-5f5f-long-lived-0001"
SESSION_HEADER = "XSESSION-0c0c-header-42"
SET_COOKIE = "SETCOOKIE-9911-fresh-xyz"
CSRF_META = "CSRFMETA-7c1d-9e2f-meta"
CSRF_HIDDEN = "CSRFHIDDEN-2d4f-61aa-hidden"
PASSCODE = "PASSCODE-5566-form"
CLIENT_SECRET = "CLIENTSECRET-multi-8d8d"
SS_TOKEN = "SSTOKEN-31f0-tab-only"  # named a credential only by its sessionStorage key
SECRETS = [STATE_COOKIE, LS_STATE, LS_JWT, API_KEY, PASSWORD, ACCESS, REFRESH, SESSION_HEADER,
           SET_COOKIE, CSRF_META, CSRF_HIDDEN, PASSCODE, CLIENT_SECRET, SS_TOKEN]
# Evidence that must stay: the goods (a card code is not a session secret), ids, text.
CARD = "CARD-7777-8888-9999"
SENTENCE = "The seller says the card code was sent; it never arrived."


class ShopHandler(QuietHandler):
    """The shop's API; it checks each credential, so the page really sends them."""

    seen: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, directory=str(SITES / "redact"), **kwargs)

    def _json(self, payload, headers=(), status=HTTPStatus.OK, ctype="application/json"):
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Request-Id", "REQ-keep-1234")
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _authorized(self) -> bool:
        return self.headers.get("Authorization") == f"Bearer {ACCESS}"

    def do_GET(self):  # noqa: N802 - stdlib naming
        url = urlsplit(self.path)
        if url.path == "/api/catalog":
            self.seen["api_key"] = self.headers.get("X-API-Key", "")
            self._json({"items": ["game card 100"]})
        elif url.path == "/api/me" and self._authorized():
            echo = base64.b64encode(b"seen refresh: " + REFRESH.encode()).decode()
            self._json({"user": "buyer", "card_key": CARD, "echo": echo})
        elif url.path == "/api/blob" and self._authorized():
            self._json(bytes(range(256)) + b"Bearer " + ACCESS.encode() + b"\x00\xff",
                       ctype="application/octet-stream")
        elif url.path == "/api/ping":
            self.seen["state"] = parse_qs(url.query).get("state", [""])[0]
            self.seen["cookie"] = self.headers.get("Cookie", "")
            self.seen["proof"] = self.headers.get("X-Client-Proof", "")
            self._json({"ok": True})
        elif url.path.startswith("/api/"):
            self._json({"error": "unauthorized"}, status=HTTPStatus.UNAUTHORIZED)
        else:
            super().do_GET()

    def do_POST(self):  # noqa: N802 - stdlib naming
        length = min(int(self.headers.get("Content-Length") or 0), 1 << 16)
        body = self.rfile.read(length).decode("utf-8", "replace")
        path = urlsplit(self.path).path
        self.seen[path] = body
        if path == "/api/login" and json.loads(body).get("password") == PASSWORD:
            self._json(
                {"access_token": ACCESS, "refresh_token": REFRESH, "token_type": "Bearer",
                 "expires_in": 3600, "profile": {"handle": SS_TOKEN}},
                headers=[("X-Session-Token", SESSION_HEADER),
                         ("Set-Cookie", f"fresh={SET_COOKIE}; Path=/; HttpOnly")],
            )
        else:
            self._json({"ok": True})


@pytest.fixture(scope="module")
def bundle(tmp_path_factory) -> Path:
    """One real capture of the shop page with a login, shared by the tests that read it."""
    root = tmp_path_factory.mktemp("redact")
    ShopHandler.seen = {}
    with serve(ShopHandler) as url:
        state = root / "state.json"
        state.write_text(json.dumps({
            "cookies": [{"name": "sid", "value": STATE_COOKIE, "domain": "127.0.0.1", "path": "/",
                         "expires": -1, "httpOnly": True, "secure": False, "sameSite": "Lax"}],
            "origins": [{"origin": url, "localStorage": [
                {"name": "app_state", "value": LS_STATE},
                {"name": "auth", "value": json.dumps({"jwt": LS_JWT, "user": "buyer"})},
            ]}],
        }))
        target = Target(kind="order", url=f"{url}/index.html", wait_for="#status.done")
        result = run(RunOptions(targets=[target], out_dir=root / "bundle", storage_state=state,
                                timeout=90, jobs=1))
    assert result.exit_code == 0, result.summary_lines()
    # The page really used every secret, so their absence below means something.
    seen = ShopHandler.seen
    assert seen["api_key"] == API_KEY and seen["state"] == LS_STATE and seen["proof"] == LS_JWT
    assert json.loads(seen["/api/login"])["password"] == PASSWORD
    assert f"passcode={PASSCODE}" in seen["/api/form"] and f"csrf_token={CSRF_HIDDEN}" in seen["/api/form"]
    assert CLIENT_SECRET in seen["/api/upload"]
    assert seen["cookie"] == f"sid={STATE_COOKIE}; fresh={SET_COOKIE}"
    return root / "bundle"


def _blobs(root: Path) -> list[tuple[str, bytes]]:
    """Every file, and every member of every zip."""
    blobs = []
    for path in sorted(root.rglob("*")):
        if path.is_file():
            blobs.append((str(path.relative_to(root)), path.read_bytes()))
            if path.suffix == ".zip":
                with zipfile.ZipFile(path) as archive:
                    blobs += [(f"{path.name}!{n}", archive.read(n)) for n in archive.namelist()]
    return blobs


_RUNS = [re.compile(rb"[A-Za-z0-9+/]{8,}={0,2}"), re.compile(rb"[A-Za-z0-9_-]{8,}={0,2}")]


def _views(blob: bytes) -> list[tuple[str, bytes]]:
    """The blob as stored, percent-decoded, quoted-printable- and MIME-decoded, and each
    base64 run decoded from each of its four possible group starts."""
    views = [("raw", blob), ("percent", unquote_to_bytes(blob)),
             ("percent+", unquote_to_bytes(blob.replace(b"+", b" ")))]
    if blob.startswith(b"From: <Saved by Blink>"):
        views.append(("quoted-printable", binascii.a2b_qp(blob)))
        for part in email.message_from_bytes(blob).walk():
            payload = part.get_payload(decode=True)
            if payload:
                views.append((f"mime {part.get_content_type()}", payload))
    for alphabet, runs in zip(("standard", "urlsafe"), _RUNS):
        for found in runs.finditer(blob):
            text = found.group(0).rstrip(b"=")
            for skip in range(4):
                usable = text[skip:][: -1 if len(text[skip:]) % 4 == 1 else None]
                usable += b"=" * (-len(usable) % 4)  # the last, partial group counts too
                try:
                    decoded = (base64.urlsafe_b64decode if alphabet == "urlsafe" else base64.b64decode)(usable)
                except (binascii.Error, ValueError):
                    continue
                views.append((f"base64 at {found.start()}+{skip}", decoded))
    return views


def test_no_session_secret_survives_anywhere_in_the_bundle(bundle):
    blobs = _blobs(bundle)
    names = {name for name, _ in blobs}
    assert {"network.har", "trace.zip", "trace.zip!trace.network", "captures/01-order/page.html",
            "captures/01-order/page.mhtml"} <= names
    leaks = []
    for name, blob in blobs:
        for how, view in _views(blob):
            leaks += [f"{secret} in {name} ({how})" for secret in SECRETS if secret.encode() in view]
    assert not leaks


def test_visible_text_and_the_goods_stay(bundle):
    page = (bundle / "captures/01-order/page.html").read_text("utf-8")
    text = (bundle / "captures/01-order/text.txt").read_text("utf-8")
    har = (bundle / "network.har").read_text("utf-8")
    assert SENTENCE in text and SENTENCE in page and CARD in text and CARD in page
    assert "ORDER-R-1-visible-id" in page and 'content="Shop R Ltd"' in page
    for kept in (CARD, "NOTE-multipart-visible", "REQ-keep-1234", r'\"token_type\":\"Bearer\"'):
        assert kept in har, kept
    mhtml = binascii.a2b_qp((bundle / "captures/01-order/page.mhtml").read_bytes()).decode("utf-8")
    assert SENTENCE in mhtml and CARD in mhtml


def test_bundle_verifies_and_the_trace_still_opens(bundle):
    assert verify(bundle).verdict == "INTACT"
    with zipfile.ZipFile(bundle / "trace.zip") as trace:
        assert trace.testzip() is None
        members = set(trace.namelist())
        events = [json.loads(line) for line in trace.read("trace.network").splitlines() if line.strip()]
        for name in members:
            stem = name.removeprefix("resources/").partition(".")[0]
            if name.startswith("resources/"):
                assert hashlib.sha1(trace.read(name)).hexdigest() == stem, name
        assert [json.loads(line) for line in trace.read("trace.trace").splitlines() if line.strip()]
    referenced = {body["_file"] for event in events for body in (
        event["snapshot"]["request"].get("postData") or {}, event["snapshot"]["response"]["content"])
        if "_file" in body}
    assert referenced and referenced <= members
    login = next(e["snapshot"] for e in events if e["snapshot"]["request"]["url"].endswith("/api/login"))
    with zipfile.ZipFile(bundle / "trace.zip") as trace:
        body = json.loads(trace.read(login["response"]["content"]["_file"]))
    assert body == {"access_token": MARKER, "refresh_token": MARKER, "token_type": "Bearer",
                    "expires_in": 3600, "profile": {"handle": MARKER}}


def test_har_bodies_are_scrubbed_in_place(bundle):
    har = json.loads((bundle / "network.har").read_bytes())
    entries = {urlsplit(e["request"]["url"]).path: e for e in har["log"]["entries"]}
    blob = entries["/api/blob"]["response"]["content"]
    assert blob["encoding"] == "base64"
    # The echo is the whole Authorization value, so all of it goes.
    assert base64.b64decode(blob["text"]) == bytes(range(256)) + MARKER.encode() + b"\x00\xff"
    assert json.loads(entries["/api/login"]["request"]["postData"]["text"]) == {"user": "buyer", "password": MARKER}
    assert entries["/api/form"]["request"]["postData"]["text"] == f"user=buyer&passcode={MARKER}&csrf_token={MARKER}"
    catalog = {h["name"]: h["value"] for h in entries["/api/catalog"]["request"]["headers"]}
    assert catalog["X-API-Key"] == MARKER and catalog["Accept-Language"] == "zh-CN"
    login = {h["name"]: h["value"] for h in entries["/api/login"]["response"]["headers"]}
    assert login["X-Session-Token"] == MARKER and login["Set-Cookie"] == MARKER
    assert login["X-Request-Id"] == "REQ-keep-1234" and login["Content-Type"] == "application/json"
    assert entries["/api/ping"]["request"]["url"].endswith("/api/ping?state=" + MARKER)


def _names_in(lines: list[str], kind: str) -> str:
    """'(A, B)' from the manifest line for `kind`, e.g. '3 credential headers (A, B)'."""
    found = [line for line in lines if re.fullmatch(rf"\d+ {kind}s? \(.*\)", line)]
    assert len(found) == 1, (kind, lines)
    return found[0].split(" (", 1)[1][:-1]


def test_manifest_names_the_kinds_removed_from_each_file(bundle):
    manifest = Manifest.model_validate_json((bundle / "manifest.json").read_bytes())
    har = next(a for a in manifest.artifacts if a.role == "har").redactions
    # X-Client-Proof is no credential by name; its value goes as a login value.
    assert _names_in(har, "credential header") == "Authorization, Cookie, Set-Cookie, X-API-Key, X-Session-Token"
    assert _names_in(har, "JSON field") == "access_token, password, refresh_token"
    assert _names_in(har, "form field") == "csrf_token, passcode"
    assert _names_in(har, "multipart field") == "client_secret"
    assert any(re.fullmatch(r"\d+ cookie values?", line) for line in har)
    assert any(re.fullmatch(r"\d+ login values?", line) for line in har)
    capture = manifest.captures[0]
    by_role = {a.role: a.redactions for a in capture.artifacts}
    assert _names_in(by_role["dom"], "page form field") == "csrf_token"
    assert _names_in(by_role["dom"], "meta tag") == "csrf-token"
    assert _names_in(by_role["dom"], "script field") == "apiKey"
    assert any(re.fullmatch(r"\d+ login values?", line) for line in by_role["dom"])
    assert _names_in(by_role["mhtml"], "meta tag") == "csrf-token"
    assert by_role["text"] is None and by_role["screenshot"] is None


# --- the rules, and the encodings, on their own -------------------------------------------


@pytest.mark.parametrize("name", [
    "Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie", "X-API-Key", "X-Session-Token",
    "X-CSRF-Token", "X-XSRF-TOKEN", "X-Auth-Token", "X-Amz-Security-Token", "X-Goog-Api-Key",
    "Ocp-Apim-Subscription-Key", "X-Hub-Signature-256", "X-Client-Secret", "apikey", "X-Access-Token",
])
def test_credential_headers(name):
    assert credential_header(name)


@pytest.mark.parametrize("name", [
    "Content-Security-Policy", "Keep-Alive", "WWW-Authenticate", ":authority", "Accept", "Content-Type",
    "X-Request-Id", "Cache-Control", "Sec-Fetch-Mode", "Access-Control-Allow-Credentials",
    "Access-Control-Allow-Headers", "X-Keyboard-Layout", "Strict-Transport-Security", "Vary",
])
def test_headers_that_only_look_like_credentials(name):
    assert not credential_header(name)


@pytest.mark.parametrize("name", [
    "password", "passwd", "pwd", "passcode", "refresh_token", "access_token", "id_token", "token",
    "api_key", "apiKey", "client_secret", "csrf_token", "csrfmiddlewaretoken", "authenticity_token",
    "_csrf", "xsrf", "session_id", "sessionId", "sid", "jwt", "otp", "signature", "auth", "accessKey",
    "secret_key", "private_key", "X-Amz-Credential", "newPassword",
])
def test_credential_fields(name):
    assert credential_field(name)


@pytest.mark.parametrize("name", [
    "card_key", "cdkey", "key", "license_key", "order_id", "user", "author", "authority", "keyboard",
    "monkey", "note", "token_type", "csrf-param", "session_expires", "possession", "battle_pass",
    "expires_in", "autocomplete",
])
def test_fields_that_are_not_credentials(name):
    assert not credential_field(name)


def test_secret_split_across_quoted_printable_lines_and_in_base64_parts_is_removed():
    secret = "QPSECRET-across-the-soft-line-break-0042"
    page = ('<html><body><p data-x="' + "x" * 40 + secret + '">见证 evidence</p></body></html>').encode()
    image = b"\x89PNG\r\n" + secret.encode() + bytes(range(200))
    mhtml = (
        b'From: <Saved by Blink>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/related;\r\n'
        b'\ttype="text/html";\r\n\tboundary="----B----"\r\n\r\n\r\n------B----\r\n'
        b"Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n"
        b"Content-Location: http://shop.test/?access_token=QUERYTOKEN-77\r\n\r\n"
        + binascii.b2a_qp(page, istext=True) + b"\r\n------B----\r\n"
        b"Content-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(image).replace(b"\n", b"\r\n") + b"\r\n------B------\r\n"
    )
    assert secret.encode() not in mhtml  # split by a soft line break and base64-encoded
    secrets, counts = Secrets(), Redactions()
    secrets.add(secret, "login")
    out = scrub_mhtml(mhtml, secrets, counts)
    parts = {p.get_content_type(): p.get_payload(decode=True) for p in email.message_from_bytes(out).walk()}
    assert parts["text/html"] == page.replace(secret.encode(), MARKER.encode())
    assert parts["image/png"] == image.replace(secret.encode(), MARKER.encode())
    assert b"access_token=" + MARKER.encode() in out and b"QUERYTOKEN-77" not in out
    assert counts.describe() == ["1 query parameter (access_token)", "2 login values"]


@pytest.mark.parametrize("before", [b"", b"a", b"ab", b"abc"])
def test_known_value_is_removed_from_base64_at_any_alignment(before):
    secret = b"B64SECRET-aligned-anywhere"
    clear = before + b"prefix " + secret + b" suffix"
    for encode in (base64.b64encode, base64.urlsafe_b64encode):
        data = b'{"x":"' + encode(clear) + b'"}'
        secrets, counts = Secrets(), Redactions()
        secrets.add(secret.decode())
        out = secrets.scrub(data, counts)
        inner = re.search(rb'"x":"([^"]*)"', out).group(1)
        decode = base64.b64decode if encode is base64.b64encode else base64.urlsafe_b64decode
        assert decode(inner + b"=" * (-len(inner) % 4)) == clear.replace(secret, MARKER.encode())
        assert counts.encoded == 1 and counts.found_values == 1


def test_login_values_except_addresses_short_numbers_and_plain_words():
    state = {"cookies": [{"name": "sid", "value": "COOKIE-5f5f-77"}, {"name": "lang", "value": "english"}],
             "origins": [{"origin": "https://shop.test", "localStorage": [
                 {"name": "last", "value": "https://shop.test/orders?token=URLTOKEN-1234"},
                 {"name": "visits", "value": "123456"},
                 {"name": "state", "value": json.dumps({"refresh_token": "RT-0001-stored", "theme": "dark"})},
                 {"name": "device", "value": "DEV-a9a9-b8b8"}]},
                 {"origin": "https://other.test", "localStorage": 5}]}
    assert sorted(login_secrets(state)) == sorted([
        "COOKIE-5f5f-77", "URLTOKEN-1234", "RT-0001-stored", "DEV-a9a9-b8b8",
        json.dumps({"refresh_token": "RT-0001-stored", "theme": "dark"})])


def test_url_tokens_in_query_and_fragment_are_removed():
    secrets = Secrets()
    assert scrub_url("https://shop.test/cb?order=DD1&access_token=AT-123456#id_token=IT-654321&state=s",
                     secrets) == f"https://shop.test/cb?order=DD1&access_token={MARKER}#id_token={MARKER}&state=s"
    assert sorted(secrets) == ["AT-123456", "IT-654321"]
    assert scrub_url("https://shop.test/p?x=AT-123456", secrets) == f"https://shop.test/p?x={MARKER}"


def test_hostile_har_bodies_do_not_stop_redaction():
    deep = "[" * 100_000 + "]" * 100_000
    har = {"log": {"entries": [
        {"request": {"url": "http://x.test/a", "headers": [{"name": "X-Api-Key", "value": "K-0123456789"}],
                     "postData": {"mimeType": "application/json", "text": deep}},
         "response": {"headers": [], "content": {"mimeType": "application/octet-stream", "encoding": "base64",
                                                 "text": "not base64 at all!"}}},
        {"request": {"url": "http://x.test/b?echo=K-0123456789", "headers": []},
         "response": {"headers": [], "content": {"mimeType": "application/json", "text": '{"token": 5}'}}},
    ]}}
    data, counts = redact_har(json.dumps(har).encode())
    assert b"K-0123456789" not in data and json.loads(data)["log"]["entries"][0]["request"]["postData"]["text"] == deep
    assert counts.describe() == ["1 credential header (X-Api-Key)", "1 JSON field (token)",
                                 "1 other copy of removed values"]
