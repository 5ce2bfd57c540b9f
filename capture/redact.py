"""Session secrets out of the HAR and the trace, before either is hashed.

Two passes: header and cookie fields are blanked by name wherever they appear in the
JSON, then every known secret value (cookie values, bearer tokens) is replaced
wherever it still appears as a string (URLs, bodies, trace snapshots).
"""

from __future__ import annotations

import io
import json
import zipfile

REDACTED = "[REDACTED]"
SECRET_HEADERS = {"cookie", "set-cookie", "authorization", "proxy-authorization"}
# Shorter values would match ordinary text ("1", "yes") and corrupt the record.
MIN_SECRET_CHARS = 6


class Redactions:
    """What was removed, for the manifest."""

    def __init__(self):
        self.headers = 0
        self.cookies = 0
        self.values = 0

    def describe(self) -> list[str]:
        found = []
        if self.headers:
            found.append(f"{self.headers} Cookie/Set-Cookie/Authorization/Proxy-Authorization header values")
        if self.cookies:
            found.append(f"{self.cookies} cookie values")
        if self.values:
            found.append(f"{self.values} other occurrences of session secrets")
        return found or ["no session secrets found"]


def _scrub_json(node, counts: Redactions):
    """Blank secret headers/cookies in any JSON shape Playwright uses."""
    if isinstance(node, dict):
        name = node.get("name")
        if isinstance(name, str) and name.lower() in SECRET_HEADERS and "value" in node:
            if node["value"] != REDACTED:
                node["value"] = REDACTED
                counts.headers += 1
        for key, value in node.items():
            if key == "cookies" and isinstance(value, list):
                for cookie in value:
                    if isinstance(cookie, dict) and "value" in cookie and cookie["value"] != REDACTED:
                        cookie["value"] = REDACTED
                        counts.cookies += 1
            elif key.lower() in SECRET_HEADERS and isinstance(value, str):
                node[key] = REDACTED
                counts.headers += 1
            else:
                _scrub_json(value, counts)
    elif isinstance(node, list):
        for item in node:
            _scrub_json(item, counts)


def _replace_values(data: bytes, secrets: set[str], counts: Redactions) -> bytes:
    for secret in sorted(secrets, key=len, reverse=True):
        if len(secret) < MIN_SECRET_CHARS:
            continue
        needle = secret.encode("utf-8")
        hits = data.count(needle)
        if hits:
            counts.values += hits
            data = data.replace(needle, REDACTED.encode())
    return data


def secrets_in_headers(headers: dict[str, str]) -> set[str]:
    """Values worth scrubbing from request headers we saw (bearer tokens, cookies)."""
    found = set()
    for name, value in headers.items():
        lowered = name.lower()
        if lowered in ("authorization", "proxy-authorization"):
            found.add(value)
            found.add(value.split(" ", 1)[-1])
        elif lowered == "cookie":
            for part in value.split(";"):
                found.add(part.split("=", 1)[-1].strip())
    return {s for s in found if s}


def redact_har(data: bytes, secrets: set[str], counts: Redactions | None = None) -> tuple[bytes, Redactions]:
    counts = counts or Redactions()
    har = json.loads(data)
    _scrub_json(har, counts)
    text = json.dumps(har, ensure_ascii=False, indent=1).encode("utf-8")
    return _replace_values(text, secrets, counts), counts


def _redact_jsonl(data: bytes, counts: Redactions) -> bytes:
    lines = []
    for line in data.split(b"\n"):
        if line.strip():
            try:
                event = json.loads(line)
            except ValueError:
                lines.append(line)
                continue
            _scrub_json(event, counts)
            line = json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        lines.append(line)
    return b"\n".join(lines)


def redact_trace(data: bytes, secrets: set[str]) -> tuple[bytes, Redactions]:
    """A Playwright trace.zip with secrets removed from every entry."""
    counts = Redactions()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dest:
        for info in source.infolist():
            body = source.read(info)
            if info.filename.endswith((".trace", ".network")):
                body = _redact_jsonl(body, counts)
            body = _replace_values(body, secrets, counts)
            dest.writestr(info.filename, body)
    return out.getvalue(), counts
