"""Session secrets out of every file of a bundle, before the file is hashed.

Two kinds of removal. By name: every Cookie/Set-Cookie/Authorization header, every
header, JSON/form/multipart field, query parameter and page attribute whose name
marks a credential. By value: whatever was removed by name, and every value from the
login (storage-state cookies, local/session storage), is a known secret, replaced
wherever else it occurs: URLs, bodies, DOM and trace snapshots, percent-, HTML- and
JSON-escaped, and inside base64 and quoted-printable text (decoded, scrubbed,
re-encoded). Visible page text is evidence: text.txt and transcripts are not touched,
and nothing is removed from a page just because it looks like a token.

The name rule (`credential_field`, `credential_header`): words of the name (split at
punctuation and camelCase) containing token, secret, password/passwd/passcode,
csrf/xsrf, signature, credential, authoriz(ation), a word starting with session, or
the words auth, sid, pwd, jwt, otp, sig, bearer. "key" counts in a header name
(X-API-Key) but in a field only after api/access/secret/private/client/app/...
(api_key, accessKey): a field named card_key or cdkey is the goods in dispute, not
a session secret. Names that describe a credential rather than carry one
(token_type, csrf-param, session_expires, Content-Security-Policy) do not count.

What is never a known secret, because removing it everywhere would maim the record:
values under 6 characters, plain words ("active", "application/json"), and stored
items that are addresses or short numbers (the shop's own URL, a visit counter).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import functools
import hashlib
import html
import io
import itertools
import json
import os
import re
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, quote_plus, unquote_plus

from . import scripts
from .devtools import devtools_session

MARKER = "[REDACTED]"
REDACTED = MARKER
# Shorter values would match ordinary text ("1", "yes") and corrupt the record.
MIN_SECRET_CHARS = 6
SECRET_HEADERS = {"cookie", "set-cookie", "authorization", "proxy-authorization"}
_NOT_SECRETS = {"bearer", "basic", "digest", "negotiate", "true", "false", "null", "undefined",
                MARKER.lower()}

_STEMS = ("token", "secret", "password", "passwd", "passcode", "passphrase", "csrf", "xsrf",
          "signature", "credential", "authoriz", "apikey", "accesskey", "privatekey", "authkey",
          "appkey", "clientkey", "authcode")
_WORDS = {"auth", "oauth", "sid", "pwd", "jwt", "otp", "sig", "bearer"}
_KEY_QUALIFIERS = {"api", "access", "secret", "private", "client", "auth", "app", "session",
                   "signing", "master", "subscription", "encryption", "consumer", "developer"}
_METADATA = {"type", "expires", "expiry", "expiration", "ttl", "name", "param", "header", "field",
             "url", "uri", "endpoint", "count", "length", "enabled", "required", "policy",
             "version", "hint", "format", "method", "mode"}
_SPLIT = re.compile(r"[^A-Za-z0-9]+")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|[0-9]+")


def _words(name: str) -> list[str]:
    return [w.lower() for part in _SPLIT.split(name) for w in _CAMEL.findall(part)]


@functools.lru_cache(maxsize=4096)  # the same few names recur thousands of times
def credential_field(name: str) -> bool:
    """Does a field, parameter or attribute of this name carry a credential?"""
    words = _words(name)
    if not words or _METADATA.intersection(words):
        return False
    if _WORDS.intersection(words) or any(w.startswith("session") for w in words):
        return True
    if any(stem in w for w in words for stem in _STEMS):
        return True
    return any(w == "key" and i and words[i - 1] in _KEY_QUALIFIERS for i, w in enumerate(words))


@functools.lru_cache(maxsize=4096)
def credential_header(name: str) -> bool:
    lowered = name.lower()
    if lowered in SECRET_HEADERS:
        return True
    if lowered.startswith("access-control-"):  # CORS says which headers may be sent, not them
        return False
    words = _words(name)
    return credential_field(name) or ("key" in words and not _METADATA.intersection(words))


# --- what was removed ---------------------------------------------------------------------

FIELD_KINDS = ("JSON field", "form field", "multipart field", "query parameter", "page form field",
               "meta tag", "page attribute", "script field", "field")


@dataclass
class Redactions:
    """What was removed from one file, by kind, for the manifest."""

    headers: Counter = field(default_factory=Counter)
    fields: dict[str, Counter] = field(default_factory=dict)
    cookies: int = 0
    login_values: int = 0
    found_values: int = 0
    encoded: int = 0

    def add_header(self, name: str) -> None:
        self.headers[_shown(name)] += 1

    def add_field(self, kind: str, name: str) -> None:
        self.fields.setdefault(kind, Counter())[_shown(name)] += 1

    def describe(self) -> list[str]:
        found = []
        if self.headers:
            found.append(_kind_line(self.headers, "credential header"))
        if self.cookies:
            found.append(_plural(self.cookies, "cookie value"))
        for kind in FIELD_KINDS:
            if self.fields.get(kind):
                found.append(_kind_line(self.fields[kind], kind))
        if self.login_values:
            found.append(_plural(self.login_values, "login value"))
        if self.found_values:
            found.append(_plural(self.found_values, "other copy", "other copies") + " of removed values")
        if self.encoded:
            found.append(_plural(self.encoded, "base64-encoded part") + " decoded, scrubbed, re-encoded")
        return found or ["no session secrets found"]


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _kind_line(names: Counter, kind: str) -> str:
    shown = sorted(names, key=str.lower)
    listed = ", ".join(shown[:6]) + (", …" if len(shown) > 6 else "")
    return f"{_plural(sum(names.values()), kind)} ({listed})"


def _shown(name: str) -> str:
    clean = "".join(c if c.isprintable() else "?" for c in str(name))
    return clean if len(clean) <= 40 else clean[:39] + "…"


# --- known secret values ------------------------------------------------------------------

_B64_CHAR = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/-_")
_URLSAFE = bytes.maketrans(b"+/", b"-_")
_STANDARD = bytes.maketrans(b"-_", b"+/")
# Longer values (a whole stored JSON state) are replaced as they are, not searched for
# inside base64: their prefix tree would cost more memory than they are worth.
_LONG_SECRET = 2048
_WORDY = re.compile(r"[A-Za-z]+(?:[ ./_:-][A-Za-z]+)*")


class Secrets:
    """Values known to be secret, each from the login or found during redaction.

    Shared by a whole session: what one page or file reveals is also removed from
    the files written after it."""

    def __init__(self):
        self._kinds: dict[str, str] = {}
        self._compiled = None

    @classmethod
    def of(cls, values) -> "Secrets":
        if isinstance(values, Secrets):
            return values
        secrets = cls()
        for value in values or ():
            secrets.add(value)
        return secrets

    def add(self, value, kind: str = "found") -> bool:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str) or len(value.strip()) < MIN_SECRET_CHARS:
            return False
        if value.strip().lower() in _NOT_SECRETS or MARKER in value or value in self._kinds:
            return False
        if _plain_word(value):
            # A plain word ("active", "application/json") in a credential-named field or a
            # cookie is blanked where it is, but removing it everywhere would maim the page.
            return False
        self._kinds[value] = kind
        self._compiled = None
        return True

    def __iter__(self):
        return iter(list(self._kinds))

    def __len__(self) -> int:
        return len(self._kinds)

    def __contains__(self, value) -> bool:
        return value in self._kinds

    def _patterns(self):
        if self._compiled is None:
            variants: dict[bytes, str] = {}
            needles: set[bytes] = set()
            for value, kind in self._kinds.items():
                raw = value.encode("utf-8", "surrogatepass")
                for form in _escaped_forms(value):
                    variants.setdefault(form.encode("utf-8", "surrogatepass"), kind)
                if len(raw) <= _LONG_SECRET:
                    needles |= _base64_needles(raw)
            plain = _literals(set(variants))
            coded = _literals(needles)
            self._compiled = (plain, coded, variants)
        return self._compiled

    def scrub(self, data: bytes, counts: Redactions) -> bytes:
        """Every known value out of `data`, also inside base64 runs."""
        plain, coded, variants = self._patterns()
        if plain is None:
            return data

        def hit(match):
            if variants.get(match.group(0)) == "login":
                counts.login_values += 1
            else:
                counts.found_values += 1
            return MARKER.encode()

        data = plain.sub(hit, data)
        return _scrub_base64_runs(data, coded, lambda inner: plain.sub(hit, inner), counts)

    def scrub_text(self, text: str, counts: Redactions) -> str:
        if not self._kinds or not text:
            return text
        data = text.encode("utf-8", "surrogatepass")
        scrubbed = self.scrub(data, counts)
        return text if scrubbed == data else scrubbed.decode("utf-8", "surrogatepass")


def _plain_word(value: str) -> bool:
    return bool(_WORDY.fullmatch(value)) and (value.islower() or value.isupper() or value.istitle())


def _escaped_forms(value: str) -> set[str]:
    """How a value appears in URLs (Python's and JavaScript's encoders differ), HTML
    and JSON text."""
    forms = {value, quote(value, safe=""), quote_plus(value), quote(value, safe="/:@"),
             quote(value, safe="!*'()~"), quote(value, safe="!*'()~;/?:@&=+$,#"),
             html.escape(value), html.escape(value, quote=False),
             json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    return {f for f in forms if f}


def _literals(words: set[bytes]):
    if not words:
        return None
    try:
        return re.compile(_radix(words))
    except (RecursionError, re.error):  # thousands of values nested by prefix: slower, same result
        return re.compile(b"|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)))


def _radix(words: set[bytes], depth: int = 0) -> bytes:
    """One regex for many literals, factored by common prefix: matching costs about the
    same for 10 or 1 000 secrets, where a flat alternation tries each in turn. Past a
    few dozen levels (values that are prefixes of each other) the rest is flat."""
    optional = b"" in words
    present = sorted(w for w in words if w)
    if depth > 40:
        alternatives = [re.escape(w) for w in sorted(present, key=len, reverse=True)]
    else:
        alternatives = []
        for _, group in itertools.groupby(present, key=lambda w: w[:1]):
            group = list(group)
            prefix = os.path.commonprefix(group)
            alternatives.append(re.escape(prefix) + _radix({w[len(prefix):] for w in group}, depth + 1))
    if not alternatives:
        return b""
    if len(alternatives) == 1 and not optional:
        return alternatives[0]
    body = b"(?:" + b"|".join(alternatives) + b")"
    return body + b"?" if optional else body


def _base64_needles(value: bytes) -> set[bytes]:
    """The parts of value's base64 form that do not depend on the bytes around it,
    for each of the three byte alignments, in both alphabets."""
    needles = set()
    for offset in range(3):
        padded = b"\0" * offset + value
        encoded = base64.b64encode(padded)[4 if offset else 0 : 4 * (len(padded) // 3)]
        if len(encoded) >= 4:
            needles |= {encoded, encoded.translate(_URLSAFE)}
    return needles


def _scrub_base64_runs(data: bytes, coded, scrub_inner, counts: Redactions) -> bytes:
    if coded is None:
        return data
    out, done = [], 0
    for match in coded.finditer(data):
        if match.start() < done:
            continue
        start, end = match.start(), match.end()
        while start > 0 and data[start - 1] in _B64_CHAR:
            start -= 1
        while end < len(data) and data[end] in _B64_CHAR:
            end += 1
        for _ in range(2):
            if data[end : end + 1] == b"=":
                end += 1
        fixed = _rewrite_run(data[start:end], scrub_inner)
        if fixed is not None:
            counts.encoded += 1
            out += [data[done:start], fixed]
            done = end
    return b"".join(out) + data[done:] if out else data


def _rewrite_run(run: bytes, scrub_inner) -> bytes | None:
    """A base64 run whose decoded bytes held a secret, re-encoded without it; the run
    may start anywhere in a group, so each of the four starts is tried."""
    urlsafe = b"-" in run or b"_" in run
    if urlsafe and (b"+" in run or b"/" in run):
        return None
    padded = run.endswith(b"=")
    for skip in range(4):
        body = run[skip:].rstrip(b"=")
        # One character past a whole group cannot be base64: it belongs to something else.
        body, leftover = (body[:-1], body[-1:]) if len(body) % 4 == 1 else (body, b"")
        if len(body) < 4:
            return None
        try:
            decoded = base64.b64decode(body.translate(_STANDARD) + b"=" * (-len(body) % 4), validate=True)
        except (binascii.Error, ValueError):
            continue
        cleaned = scrub_inner(decoded)
        if cleaned != decoded:
            encoded = base64.b64encode(cleaned)
            if urlsafe:
                encoded = encoded.translate(_URLSAFE)
            if not padded:
                encoded = encoded.rstrip(b"=")
            return run[:skip] + encoded + leftover
    return None


# --- removal by name ----------------------------------------------------------------------

_PAIR = re.compile(r"(^|[&;])([^=&;#]*)=([^&;#]*)")
_ABSOLUTE_URL = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.I)
_PART_NAME = re.compile(rb'[;\s]name="([^"]*)"', re.I)
_ATTR = r"""[^\s"'<>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?"""
_TAG = re.compile(rf"<([A-Za-z][A-Za-z0-9:-]*)((?:\s+{_ATTR})*)(\s*/?>)")
_ATTR_PARTS = re.compile(r"""([^\s"'<>/=]+)(?:(\s*=\s*)("[^"]*"|'[^']*'|[^\s"'=<>`]+))?""")
_SCRIPT = re.compile(r"(<script\b[^>]*>)(.*?)(</script\s*>)", re.S | re.I)
# The lookbehind and the possessive name keep this linear on long identifier runs
# (a megabyte of base64 inside a script).
_SCRIPT_FIELD = re.compile(
    r"""(?<![\w$-])(["']?)([A-Za-z_$][\w$-]*+)\1(\s*[:=]\s*)(["'])((?:\\.|(?!\4)[^\\\r\n]){1,4096}?)\4"""
)
_FORM_TAGS = {"input", "textarea", "select", "option", "button"}
# A cheap test before parsing a tag's attributes: every credential name holds one of these.
_HINTS = ("?", "tok", "secret", "pass", "pwd", "csrf", "xsrf", "sig", "credential", "auth", "key",
          "sess", "sid", "jwt", "otp", "bearer")
_IDENTITY_ATTRS = {"name", "id", "type", "class", "for", "autocomplete", "style"}


class _Names:
    """Removal by name. Every value removed becomes a known secret, so the pass by
    value finds its other copies."""

    def __init__(self, secrets: Secrets, counts: Redactions):
        self.secrets = secrets
        self.counts = counts
        self.mimes: dict[str, str] = {}  # trace resource file -> media type of its body

    def _take(self, value) -> None:
        self.secrets.add(value)
        if isinstance(value, str) and value != value.strip():
            self.secrets.add(value.strip())

    def header_value(self, name: str, value: str) -> None:
        """The secrets inside a credential header's value."""
        lowered = name.lower()
        self._take(value)
        if lowered in ("authorization", "proxy-authorization"):
            scheme, _, credentials = value.strip().partition(" ")
            self._take(credentials)
            if scheme.lower() == "basic":
                try:
                    decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
                except (binascii.Error, ValueError):
                    decoded = ""
                self._take(decoded)
                self._take(decoded.partition(":")[2])
        elif lowered == "cookie":
            for part in value.split(";"):
                self._take(part.partition("=")[2].strip())
        elif lowered == "set-cookie":
            for line in value.split("\n"):
                self._take(line.split(";", 1)[0].partition("=")[2].strip())

    def _blank(self, value, kind: str, name: str):
        if isinstance(value, list):
            return [self._blank(item, kind, name) for item in value]
        self._take(value)
        self.counts.add_field(kind, name)
        return MARKER

    # bodies

    def body(self, data: bytes, mime: str) -> bytes:
        lowered = (mime or "").lower()
        if "multipart/" in lowered:
            return self.multipart(data, mime)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return data  # binary: only known values are removed from it, later
        if "x-www-form-urlencoded" in lowered:
            new = self.form(text, "form field")
        elif "json" in lowered or text.lstrip()[:1] in ("{", "["):
            new = self.json_text(text)
        elif "html" in lowered:
            new = self.html(text)
        elif "javascript" in lowered or "ecmascript" in lowered:
            new = self.script(text)
        else:
            new = text
        return data if new == text else new.encode("utf-8")

    def json_text(self, text: str) -> str:
        try:
            parsed = json.loads(text)
        except (ValueError, RecursionError):
            return text  # not JSON, or nested too deep to read: known values still go
        if not self.json_node(parsed, "JSON field"):
            return text
        return json.dumps(parsed, ensure_ascii=False, separators=(",", ":"))

    def json_node(self, node, kind: str, change: bool = True) -> bool:
        """Blank credential-named fields anywhere in parsed JSON, {"name"/"key": ...,
        "value": ...} pairs included; with change=False, only learn their values.
        A loop, not recursion: a page's JSON may nest deeper than Python's stack."""
        changed, stack = False, [node]
        while stack:
            item = stack.pop()
            if isinstance(item, list):
                stack.extend(item)
            if not isinstance(item, dict):
                continue
            label = item.get("name", item.get("key"))
            for key, value in list(item.items()):
                named = key if isinstance(key, str) and credential_field(key) else None
                if named is None and key == "value" and isinstance(label, str) and credential_field(label):
                    named = label
                if named and _blankable(value):
                    blanked = self._blank(value, kind, named)
                    if change:
                        item[key] = blanked
                    changed = True
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        return changed

    def form(self, text: str, kind: str) -> str:
        def one(match):
            name, value = unquote_plus(match.group(2)), match.group(3)
            if not value or value == MARKER or not credential_field(name):
                return match.group(0)
            self._take(unquote_plus(value))
            self._take(value)
            self.counts.add_field(kind, name)
            return f"{match.group(1)}{match.group(2)}={MARKER}"

        return _PAIR.sub(one, text)

    def url(self, url: str) -> str:
        """Credential query parameters out of a URL, and out of its fragment, where
        OAuth's implicit flow puts tokens (#access_token=...)."""
        if "?" not in url and "#" not in url:
            return url
        rest, hash_, fragment = url.partition("#")
        base, question, query = rest.partition("?")
        query = self.form(query, "query parameter") if question else query
        fragment = self.form(fragment, "query parameter") if "=" in fragment else fragment
        return f"{base}{question}{query}{hash_}{fragment}"

    def multipart(self, data: bytes, mime: str) -> bytes:
        found = _BOUNDARY.search(mime or "")
        if found:
            delimiter = b"--" + found.group(1).encode("latin-1", "replace")
        else:
            delimiter = data.split(b"\r\n", 1)[0]
        if len(delimiter) < 3:
            return data
        pieces = data.split(delimiter)
        for number, piece in enumerate(pieces[1:], 1):
            head, sep, content = piece.partition(b"\r\n\r\n")
            name = _PART_NAME.search(head)
            if not sep or not name or not credential_field(name.group(1).decode("utf-8", "replace")):
                continue
            core, crlf = (content[:-2], b"\r\n") if content.endswith(b"\r\n") else (content, b"")
            if core and core != MARKER.encode():
                self._take(core.decode("utf-8", "replace"))
                self.counts.add_field("multipart field", name.group(1).decode("utf-8", "replace"))
                pieces[number] = head + sep + MARKER.encode() + crlf
        return delimiter.join(pieces)

    def script(self, text: str) -> str:
        def one(match):
            value = match.group(5)
            if not credential_field(match.group(2)) or len(value.strip()) < MIN_SECRET_CHARS:
                return match.group(0)
            if value.strip().lower() in _NOT_SECRETS or value == MARKER:
                return match.group(0)
            self._take(value)
            try:
                self._take(json.loads(f'"{value}"'))
            except ValueError:
                pass
            self.counts.add_field("script field", match.group(2))
            q = match.group(4)
            return f"{match.group(1)}{match.group(2)}{match.group(1)}{match.group(3)}{q}{MARKER}{q}"

        return _SCRIPT_FIELD.sub(one, text)

    # pages

    def html(self, text: str) -> str:
        text = _TAG.sub(self._tag, text)
        return _SCRIPT.sub(lambda m: m.group(1) + self.script(m.group(2)) + m.group(3), text)

    def _tag(self, match) -> str:
        if match.group(1).lower() not in _FORM_TAGS | {"meta"}:
            lowered = match.group(2).lower()
            if not any(hint in lowered for hint in _HINTS):
                return match.group(0)  # most tags: nothing that could name a credential or a query
        parts = list(_ATTR_PARTS.finditer(match.group(2)))
        attrs = {}
        for part in parts:
            raw = part.group(3) or ""
            if raw[:1] in ("'", '"'):
                raw = raw[1:-1]
            attrs.setdefault(part.group(1).lower(), html.unescape(raw))
        changes = self.element(match.group(1), attrs)
        if not changes:
            return match.group(0)
        source, out, done = match.group(2), [], 0
        for part in parts:
            name = part.group(1).lower()
            if name in changes and part.group(3) is not None:  # a repeated attribute too
                out += [source[done : part.start(3)], '"' + html.escape(changes[name]) + '"']
                done = part.end(3)
        out.append(source[done:])
        return f"<{match.group(1)}{''.join(out)}{match.group(3)}"

    def element(self, tag: str, attrs: dict) -> dict[str, str]:
        """New values for the attributes of one element that carry a credential."""
        tag, changes = tag.lower(), {}

        def blank(attr: str, kind: str, label: str) -> None:
            value = attrs.get(attr)
            if isinstance(value, str) and value.strip() and value != MARKER:
                self._take(value)
                if not any(v == MARKER for v in changes.values()):
                    self.counts.add_field(kind, label)
                changes[attr] = MARKER

        ident = str(attrs.get("name") or attrs.get("id") or "")
        password = str(attrs.get("type", "")).lower() == "password"
        if tag in _FORM_TAGS and (credential_field(ident) or password):
            for attr in ("value", "__playwright_value_"):
                blank(attr, "page form field", ident or "password")
        if tag == "meta":
            ident = str(attrs.get("name") or attrs.get("property") or attrs.get("itemprop") or "")
            equiv = str(attrs.get("http-equiv") or "")
            if credential_field(ident) or (equiv and credential_header(equiv)):
                blank("content", "meta tag", ident or equiv)
        for attr, value in attrs.items():
            if attr in changes or not isinstance(value, str) or attr.lower() in _IDENTITY_ATTRS:
                continue
            if credential_field(attr):
                blank(attr, "page attribute", attr)
            elif "?" in value or "#" in value:
                new = self.url(value)
                if new != value:
                    changes[attr] = new
        return changes

    def snapshot_node(self, node) -> None:
        """A Playwright trace DOM snapshot: [tag, {attrs}, child...] or text."""
        stack = [node]
        while stack:
            item = stack.pop()
            if not isinstance(item, list) or len(item) < 2:
                continue
            if isinstance(item[0], str) and isinstance(item[1], dict):
                item[1].update(self.element(item[0], item[1]))
                if item[0].upper() == "SCRIPT":
                    item[2:] = [self.script(c) if isinstance(c, str) else c for c in item[2:]]
                stack.extend(item[2:])
            else:
                stack.extend(item)


def _blankable(value) -> bool:
    if isinstance(value, list):
        return bool(value) and all(_blankable(v) for v in value)
    if isinstance(value, bool) or value is None:
        return False
    if isinstance(value, (int, float)):
        return True
    return isinstance(value, str) and bool(value.strip()) and value != MARKER


# --- HAR and trace events -----------------------------------------------------------------

_PAIR_KINDS = {"queryString": "query parameter", "params": "form field", "postData": "form field"}
_REFERENCE_KEYS = ("_file", "_sha1", "sha1", "file")


def _names_in_event(names: _Names, node, parent: str = "") -> None:
    """Removal by name in any JSON shape Playwright writes (HAR entries, trace events)."""
    if isinstance(node, list):
        for item in node:
            _names_in_event(names, item, parent)
        return
    if not isinstance(node, dict):
        return
    label = node.get("name")
    if isinstance(label, str) and "value" in node and not isinstance(node["value"], (dict, list)):
        _name_value_pair(names, node, label, parent)
    for key, value in node.items():
        if isinstance(value, str):
            if parent == "headers" and "name" not in node and credential_header(key) and value != MARKER:
                names.header_value(key, value)
                names.counts.add_header(key)
                node[key] = MARKER
            elif _ABSOLUTE_URL.match(value):
                node[key] = names.url(value)
            elif value[:15].lstrip().lower().startswith(("<!doctype", "<html")):
                node[key] = names.html(value)
        elif key in ("postData", "content") and isinstance(value, dict):
            _names_in_body(names, value)
            _names_in_event(names, value.get("params"), "params")
        elif key == "html" and isinstance(value, list):
            names.snapshot_node(value)
        else:
            _names_in_event(names, value, key)


def _name_value_pair(names: _Names, node: dict, label: str, parent: str) -> None:
    value = node["value"]
    if value in (MARKER, "", None):
        return
    if parent == "cookies":
        names._take(value)
        names.counts.cookies += 1
    elif parent == "headers":
        if not credential_header(label) or not isinstance(value, str):
            return
        names.header_value(label, value)
        names.counts.add_header(label)
    elif credential_field(label) and _blankable(value):
        names._take(value)
        names.counts.add_field(_PAIR_KINDS.get(parent, "field"), label)
    else:
        return
    node["value"] = MARKER


def _names_in_body(names: _Names, node: dict) -> None:
    """A HAR/trace body (postData, content): inline text, base64 or a trace resource."""
    mime = node.get("mimeType") if isinstance(node.get("mimeType"), str) else ""
    for key in ("_file", "_sha1"):
        if isinstance(node.get(key), str):
            names.mimes[node[key].rpartition("/")[2]] = mime
    text = node.get("text")
    if not isinstance(text, str) or not text:
        return
    if node.get("encoding") == "base64":
        try:
            data = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            return
        new = names.body(data, mime)
        if new != data:
            node["text"] = base64.b64encode(new).decode("ascii")
            names.counts.encoded += 1
    else:
        data = text.encode("utf-8", "surrogatepass")
        new = names.body(data, mime)
        if new != data:
            node["text"] = new.decode("utf-8", "surrogatepass")


def _values_in_json(obj, secrets: Secrets, counts: Redactions, **dump) -> bytes:
    """Serialise, then remove known values from the text; a value whose removal would
    break the JSON (a secret ending in a backslash) is removed string by string."""
    data = json.dumps(obj, ensure_ascii=False, **dump).encode("utf-8", "surrogatepass")
    trial = Redactions()
    scrubbed = secrets.scrub(data, trial)
    if scrubbed == data:
        return data
    try:
        json.loads(scrubbed)
    except ValueError:
        obj = _values_in_strings(obj, secrets, counts)
        return json.dumps(obj, ensure_ascii=False, **dump).encode("utf-8", "surrogatepass")
    counts.login_values += trial.login_values
    counts.found_values += trial.found_values
    counts.encoded += trial.encoded
    return scrubbed


def _values_in_strings(node, secrets: Secrets, counts: Redactions):
    if isinstance(node, str):
        return secrets.scrub_text(node, counts)
    if isinstance(node, list):
        return [_values_in_strings(item, secrets, counts) for item in node]
    if isinstance(node, dict):
        return {key: _values_in_strings(value, secrets, counts) for key, value in node.items()}
    return node


def _rename_references(node, renames: dict[str, str]) -> None:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            for key, value in item.items():
                if key in _REFERENCE_KEYS and isinstance(value, str):
                    folder, slash, name = value.rpartition("/")
                    if name in renames:
                        item[key] = folder + slash + renames[name]
                elif isinstance(value, (dict, list)):
                    stack.append(value)
        elif isinstance(item, list):
            stack.extend(item)


class HarRedaction:
    """A HAR: removal by name at once, by value in `finish` (after every other file of
    the session was stripped by name, so all their secrets are known)."""

    def __init__(self, har: dict, secrets: Secrets):
        self.har = har
        self.secrets = secrets
        self.counts = Redactions()
        _names_in_event(_Names(secrets, self.counts), har)

    def finish(self) -> tuple[bytes, Redactions]:
        return _values_in_json(self.har, self.secrets, self.counts, indent=1), self.counts


class TraceRedaction:
    """A Playwright trace.zip: events (.trace, .network), resources (bodies stored by
    content hash) and the rest. A body that changes is stored under the hash of its
    new bytes and every reference to it follows, so the trace still opens and no
    name claims a hash its bytes do not have."""

    def __init__(self, data: bytes, secrets: Secrets):
        self.secrets = secrets
        self.counts = Redactions()
        names = _Names(secrets, self.counts)
        with zipfile.ZipFile(io.BytesIO(data)) as source:
            self.members = [(info, source.read(info)) for info in source.infolist()]
        self.events: dict[str, list] = {}
        for info, body in self.members:
            if info.filename.endswith((".trace", ".network")):
                lines = [_json_line(line) for line in body.split(b"\n")]
                for line in lines:
                    if not isinstance(line, bytes):
                        _names_in_event(names, line)
                self.events[info.filename] = lines
        self.bodies: dict[str, bytes] = {}
        for info, body in self.members:
            if info.filename.startswith("resources/"):
                mime = names.mimes.get(info.filename.rpartition("/")[2]) or _mime_of(info.filename)
                self.bodies[info.filename] = names.body(body, mime)

    def finish(self) -> tuple[bytes, Redactions]:
        renames, written = {}, {}
        for info, original in self.members:
            if info.filename in self.bodies:
                body = self.secrets.scrub(self.bodies[info.filename], self.counts)
                name = _content_name(info.filename, original, body)
                if name != info.filename:
                    renames[info.filename.rpartition("/")[2]] = name.rpartition("/")[2]
                written[info.filename] = (name, body)
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest:
            seen = set()
            for info, original in self.members:
                name, body = written.get(info.filename, (info.filename, None))
                if info.filename in self.events:
                    body = self._events_bytes(info.filename, renames)
                elif body is None:
                    body = self.secrets.scrub(original, self.counts)
                if name in seen:
                    continue  # two bodies that became the same bytes: one file
                seen.add(name)
                entry = zipfile.ZipInfo(name, date_time=info.date_time)
                entry.compress_type = zipfile.ZIP_DEFLATED
                dest.writestr(entry, body)
        return out.getvalue(), self.counts

    def _events_bytes(self, filename: str, renames: dict[str, str]) -> bytes:
        lines = []
        for line in self.events[filename]:
            if isinstance(line, bytes):
                lines.append(self.secrets.scrub(line, self.counts))
                continue
            if renames:
                _rename_references(line, renames)
            lines.append(_values_in_json(line, self.secrets, self.counts, separators=(",", ":")))
        return b"\n".join(lines)


def _json_line(line: bytes):
    if not line.strip():
        return line
    try:
        return json.loads(line)
    except (ValueError, RecursionError):  # e.g. the snapshot of a hostile, 10 000-deep DOM
        return line


def _mime_of(filename: str) -> str:
    ext = filename.rpartition(".")[2].lower()
    return {"json": "application/json", "html": "text/html", "js": "text/javascript",
            "css": "text/css", "txt": "text/plain"}.get(ext, "")


def _content_name(filename: str, original: bytes, body: bytes) -> str:
    """resources/<sha1>.<ext>: renamed to the new bytes' SHA-1 when they changed."""
    if body == original:
        return filename
    folder, _, name = filename.rpartition("/")
    stem, dot, ext = name.partition(".")
    if not re.fullmatch(r"[0-9a-f]{40}", stem):
        return filename
    return f"{folder}/{hashlib.sha1(body).hexdigest()}{dot}{ext}"


def redact_har(data: bytes, secrets=()) -> tuple[bytes, Redactions]:
    """One HAR on its own (the session redacts its files together, see HarRedaction)."""
    return HarRedaction(json.loads(data), Secrets.of(secrets)).finish()


def redact_trace(data: bytes, secrets=()) -> tuple[bytes, Redactions]:
    """A Playwright trace.zip with secrets removed from every entry."""
    return TraceRedaction(data, Secrets.of(secrets)).finish()


# --- DOM snapshot and MHTML ---------------------------------------------------------------

_MHTML_BOUNDARY = re.compile(rb'boundary="([^"]+)"|boundary=([^\s;"]+)', re.I)
_CTE = re.compile(rb"^content-transfer-encoding:\s*([\w-]+)", re.I | re.M)
_CTYPE = re.compile(rb"^content-type:\s*([^\s;]+)", re.I | re.M)
_LOCATION = re.compile(rb"^((?:snapshot-)?content-location:[ \t]*)(\S+)", re.I | re.M)


class _MhtmlPart:
    def __init__(self, piece: bytes):
        self.piece = piece
        self.head, sep, content = piece.partition(b"\r\n\r\n")
        self.ok = bool(sep)
        self.core, self.tail = (content[:-2], b"\r\n") if content.endswith(b"\r\n") else (content, b"")
        cte = _CTE.search(self.head)
        self.encoding = cte.group(1).lower() if cte else b""
        ctype = _CTYPE.search(self.head)
        self.type = ctype.group(1).lower() if ctype else b""
        try:
            if self.encoding == b"quoted-printable":
                self.data = binascii.a2b_qp(self.core)
            elif self.encoding == b"base64":
                self.data = base64.b64decode(self.core)
            else:
                self.data = self.core
        except (binascii.Error, ValueError):
            self.ok = False
        self.new = self.data if self.ok else None

    def remove_by_name(self, names: _Names) -> None:
        self.head = _locations(self.head, names)
        if self.ok and self.type in (b"text/html", b"application/xhtml+xml"):
            text = self.data.decode("utf-8", "surrogateescape")
            self.new = names.html(text).encode("utf-8", "surrogateescape")

    def finish(self, secrets: Secrets, counts: Redactions) -> bytes:
        head = secrets.scrub(self.head, counts)
        if not self.ok:
            return head + secrets.scrub(self.piece[len(self.head):], counts)
        new = secrets.scrub(self.new, counts)
        if new == self.data:
            return head + b"\r\n\r\n" + self.core + self.tail
        if self.encoding == b"quoted-printable":
            body = binascii.b2a_qp(new, istext=True)
            if b"\r\n" not in body:
                body = body.replace(b"\n", b"\r\n")
        elif self.encoding == b"base64":
            body = base64.encodebytes(new).replace(b"\n", b"\r\n").rstrip(b"\r\n")
        else:
            body = new
        return head + b"\r\n\r\n" + body + self.tail


def _locations(head: bytes, names: _Names) -> bytes:
    """Credential query parameters out of the (Snapshot-)Content-Location headers."""
    def one(match):
        return match.group(1) + names.url(match.group(2).decode("latin-1")).encode("latin-1")

    return _LOCATION.sub(one, head)


def scrub_mhtml(data: bytes, secrets: Secrets, counts: Redactions) -> bytes:
    """An MHTML archive: each part decoded (quoted-printable, base64), stripped by
    name (HTML parts) and by value, and re-encoded only if it changed."""
    head, sep, rest = data.partition(b"\r\n\r\n")
    found = _MHTML_BOUNDARY.search(head)
    if not sep or not found:
        return secrets.scrub(data, counts)
    names = _Names(secrets, counts)
    delimiter = b"--" + (found.group(1) or found.group(2))
    pieces = rest.split(delimiter)
    parts = [_MhtmlPart(piece) for piece in pieces[1:]]
    head = _locations(head, names)
    for part in parts:
        part.remove_by_name(names)
    body = [secrets.scrub(pieces[0], counts)] + [part.finish(secrets, counts) for part in parts]
    return secrets.scrub(head, counts) + sep + delimiter.join(body)


_URL_IN_TEXT = re.compile(r"\b(?:https?|wss?)://[^\s\"'<>]+")


def scrub_text_urls(text: str, secrets: Secrets | None = None) -> str:
    """A line for the manifest (an action, a warning, an error message): every URL in it
    as scrub_url makes it, and known secret values removed from the rest."""
    if not text:
        return text
    secrets = secrets if secrets is not None else Secrets()
    text = _URL_IN_TEXT.sub(lambda m: scrub_url(m.group(0), secrets), text)
    return secrets.scrub_text(text, Redactions())


def scrub_url(url: str, secrets: Secrets | None = None) -> str:
    """A URL fit for the manifest and the report: credential parameters (query and
    fragment) and known secret values removed; what it removes becomes known."""
    secrets = secrets if secrets is not None else Secrets()
    counts = Redactions()
    return secrets.scrub_text(_Names(secrets, counts).url(url), counts)


_LEARN_TIMEOUT = 8.0
_BODY_WAIT = 3.0
_MAX_BODY = 1 << 20
_API_TYPES = {"document", "fetch", "xhr", "eventsource", "other"}
_TEXT_BODY = re.compile(r"json|x-www-form-urlencoded|text/plain|multipart/", re.I)


class PageRedaction:
    """Secrets out of one page's DOM snapshot and MHTML archive. Besides the session's
    known secrets, it learns what the page's own traffic and storage reveal by name
    (an API key sent in a header, a token in a JSON response), so a copy of those in
    the page's markup is removed too."""

    def __init__(self, secrets: Secrets | None = None):
        self.secrets = secrets if secrets is not None else Secrets()

    @classmethod
    async def learn(cls, page, context, secrets: Secrets | None = None) -> "PageRedaction":
        redaction = cls(secrets)
        storage = scripts.script("storage_items")  # outside the try: a missing script is a bug
        try:
            await asyncio.wait_for(redaction._learn(page, context, storage), _LEARN_TIMEOUT)
        except Exception:  # best effort: the known secrets and the name rules still apply
            pass
        return redaction

    def html(self, text: str) -> tuple[bytes, list[str]]:
        counts = Redactions()
        data = _Names(self.secrets, counts).html(text).encode("utf-8")
        return self.secrets.scrub(data, counts), counts.describe()

    def mhtml(self, data: bytes) -> tuple[bytes, list[str]]:
        counts = Redactions()
        return scrub_mhtml(data, self.secrets, counts), counts.describe()

    async def _learn(self, page, context, storage_js: str) -> None:
        names = _Names(self.secrets, Redactions())  # nothing is removed here, only learnt
        requests = await page.requests()
        for request in requests:
            _learn_request(names, request)
        await self._learn_responses(names, [r for r in requests if r.resource_type in _API_TYPES])
        async with devtools_session(page) as cdp:
            cookies = await cdp.send("Network.getCookies")
            for cookie in cookies.get("cookies", []):
                self.secrets.add(cookie.get("value"))
            # Read through DevTools rather than page.evaluate: Playwright traces evaluate's
            # result, and the trace must not gain a copy of storage the page never showed.
            stored = await cdp.send("Runtime.evaluate", {"expression": storage_js, "returnByValue": True,
                                                         "timeout": 2000})
            for item in stored.get("result", {}).get("value") or []:
                key, value = (item + [None, None])[:2] if isinstance(item, list) else (None, None)
                if isinstance(key, str) and credential_field(key):
                    names._take(value)
                if isinstance(value, str) and value[:1] in ("{", "["):
                    names.json_text(value)

    async def _learn_responses(self, names: _Names, requests) -> None:
        # Only what already arrived: a request still open (a long poll) is not waited for.
        bodies = []
        for request in requests:
            response = request.existing_response
            if response is None:
                continue
            for name, value in response.headers.items():
                if credential_header(name):
                    names.header_value(name, value)
            ctype = response.headers.get("content-type", "")
            length = response.headers.get("content-length", "0")
            small = not length.isdigit() or int(length) <= _MAX_BODY
            if request.timing.get("responseEnd", -1) >= 0 and _TEXT_BODY.search(ctype) and small:
                bodies.append((asyncio.ensure_future(response.body()), ctype))
        if bodies:
            await asyncio.wait([task for task, _ in bodies], timeout=_BODY_WAIT)
        for task, ctype in bodies:
            if task.done() and not task.exception() and len(task.result()) <= _MAX_BODY:
                names.body(task.result(), ctype)
            else:
                task.cancel()

def _learn_request(names: _Names, request) -> None:
    names.url(request.url)
    headers = request.headers
    for name, value in headers.items():
        if credential_header(name):
            names.header_value(name, value)
    try:
        post = request.post_data_buffer
    except Exception:
        post = None
    if post:
        names.body(post, headers.get("content-type", ""))


# --- the login ----------------------------------------------------------------------------


def login_secrets(state: dict) -> Secrets:
    """Every value of a storage-state file: cookies, localStorage and sessionStorage
    items (the latter not written by Playwright's own storage_state(), but accepted),
    and credential-named values inside stored JSON and IndexedDB records."""
    secrets = Secrets()
    for cookie in _list(state.get("cookies")):
        if isinstance(cookie, dict):
            secrets.add(cookie.get("value"), "login")
    for origin in _list(state.get("origins")):
        if not isinstance(origin, dict):
            continue
        for store in ("localStorage", "sessionStorage"):
            for item in _list(origin.get(store)):
                if isinstance(item, dict) and isinstance(item.get("value"), str):
                    _stored_value(item["value"], secrets)
        _login_leaves(origin.get("indexedDB"), secrets)
    return secrets


def _stored_value(value: str, secrets: Secrets) -> None:
    """A stored item is a secret unless it is plainly not one: an address (the shop's
    own URL would otherwise vanish from every link) or a short number (a counter, a
    timestamp part, a price). Inside those and inside JSON, names still decide."""
    if value[:1] in ("{", "["):
        try:
            _login_leaves(json.loads(value), secrets)
        except (ValueError, RecursionError):
            pass
    elif _ABSOLUTE_URL.match(value) or value.startswith("/"):
        found = Secrets()
        _Names(found, Redactions()).url(value)
        for inner in found:
            secrets.add(inner, "login")
        return
    elif _SHORT_NUMBER.fullmatch(value.strip()):
        return
    secrets.add(value, "login")


_SHORT_NUMBER = re.compile(r"-?\d{1,9}(?:\.\d+)?")


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _login_leaves(node, secrets: Secrets) -> None:
    found = Secrets()
    _Names(found, Redactions()).json_node(node, "login", change=False)
    for value in found:
        secrets.add(value, "login")


# --- the session's own files ------------------------------------------------------------


def redact_session_files(har_paths: list, trace_paths: list, secrets: Secrets,
                         notes: list[str]) -> tuple[tuple[bytes, list[str]] | None, list[tuple[int, bytes, list[str]]]]:
    """The run's HAR files merged into one log, and each trace, with session secrets out:
    (har bytes and redactions, or None; [(trace number, bytes, redactions)]). What cannot
    be read or redacted is left out, with a note saying so; nothing leaves unredacted."""
    har = _merged_har(har_paths, secrets, notes)
    traces = []
    for number, path in enumerate(trace_paths, 1):
        try:
            traces.append((number, TraceRedaction(Path(path).read_bytes(), secrets)))
        except Exception:
            notes.append(f"trace of browser session {number} unreadable, left out")
    # Every file is stripped by name before any is stripped by value, so a secret that
    # only one of them names (a token in a trace snapshot) leaves all of them: hence
    # all are loaded (above) before any is finished (below).
    har_out = None
    if har is not None:
        try:
            data, counts = har.finish()
            har_out = (data, counts.describe())
        except Exception:
            notes.append("the network log could not be redacted, left out")
    traces_out = []
    for number, trace in traces:
        try:
            data, counts = trace.finish()
        except Exception:
            notes.append(f"trace of browser session {number} unreadable, left out")
            continue
        traces_out.append((number, data, counts.describe()))
    return har_out, traces_out


def _merged_har(har_paths: list, secrets: Secrets, notes: list[str]) -> HarRedaction | None:
    entries, pages, creator = [], [], None
    for har_path in har_paths:
        try:
            log = json.loads(Path(har_path).read_bytes()).get("log", {})
        except (OSError, ValueError, AttributeError):
            notes.append(f"{Path(har_path).name}: network log unreadable, left out")
            continue
        creator = creator or log.get("creator")
        pages.extend(log.get("pages", []))
        entries.extend(log.get("entries", []))
    if not entries:
        return None
    merged = {"log": {"version": "1.2", "creator": creator or {"name": "Playwright"},
                      "pages": pages, "entries": entries}}
    try:
        return HarRedaction(merged, secrets)
    except Exception:  # a log whose secrets could not be removed stays out
        notes.append("the network log could not be redacted, left out")
        return None
