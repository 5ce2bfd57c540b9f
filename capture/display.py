"""How page-supplied strings and URLs are shown to a person (report, console).

A page chooses its title, its status text and its host name; shown raw, U+202E can
make "gpj.exe" read "exe.jpg" and a Cyrillic "а" can make a seller's domain pass for
apple.com. What is shown here is what the page said, made visible: invisible and
reordering characters as `\\uXXXX`, host names in their ASCII (punycode) form. The
manifest keeps the value as given; only its display changes. Standard library only.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import urlsplit

# Category C (controls, format characters such as the bidi overrides U+202A-E,
# U+2066-9, U+200E/F and the zero-width ones, surrogates, private use, unassigned)
# and the line/paragraph separators: none of them shows as itself.
_HIDDEN_CATEGORIES = ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp")


def escape_char(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def is_hidden(ch: str, keep: str = "") -> bool:
    return ch not in keep and unicodedata.category(ch) in _HIDDEN_CATEGORIES


def visible(text: str | None, keep: str = "") -> str:
    """text with every invisible or reordering character written as an escape.

    `keep` lists characters left as they are (e.g. "\\n\\t" for a transcript).
    """
    if not text:
        return ""
    return "".join(escape_char(ch) if is_hidden(ch, keep) else ch for ch in text)


@dataclass(frozen=True)
class ShownHost:
    ascii: str  # what DNS is asked for: punycode labels, lower case
    unicode: str | None  # the Unicode form, only when it differs from `ascii`
    valid: bool = True  # False: not a host name IDNA can encode; `ascii` is escaped as given


def _label_to_unicode(label: str) -> str:
    if label.startswith("xn--"):
        try:
            return label[4:].encode("ascii").decode("punycode")
        except (UnicodeError, ValueError):
            return label
    return label


def shown_host(host: str) -> ShownHost:
    """A host name's ASCII form and, when different, its Unicode form; never raises."""
    host = host or ""
    if host.startswith("[") or host.isascii() and ":" in host:  # an IPv6 literal
        return ShownHost(visible(host), None)
    labels = host.rstrip(".").split(".") if host else []
    try:
        ascii_labels = [
            label.lower() if label.isascii() else label.encode("idna").decode("ascii")
            for label in labels
        ]
    except (UnicodeError, ValueError):
        return ShownHost(visible(host), None, valid=False)
    ascii_form = ".".join(ascii_labels) + ("." if host.endswith(".") and labels else "")
    if not ascii_form.isascii() or any(is_hidden(ch) for ch in ascii_form):
        return ShownHost(visible(host), None, valid=False)
    unicode_form = ".".join(_label_to_unicode(label) for label in ascii_labels)
    unicode_form += "." if ascii_form.endswith(".") else ""
    return ShownHost(ascii_form, visible(unicode_form) if unicode_form != ascii_form else None)


@dataclass(frozen=True)
class ShownUrl:
    text: str  # the URL with its host in ASCII form, escaped
    host: ShownHost | None  # None: the URL has no host (or could not be parsed)


def shown_url(url: str | None) -> ShownUrl:
    """A URL as a person should read it: ASCII host, visible characters; never raises."""
    url = url or ""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return ShownUrl(visible(url), None)
    at = url.find(parts.netloc) if parts.netloc else -1
    if not host or at < 0:
        return ShownUrl(visible(url), None)
    userinfo, sep, hostport = parts.netloc.rpartition("@")
    # hostname is lower-cased; find the host as written to swap it for its ASCII form.
    start = hostport.lower().find(host)
    shown = shown_host(hostport[start : start + len(host)] if start >= 0 else host)
    if start < 0 or not shown.valid:
        return ShownUrl(visible(url), shown)
    netloc = userinfo + sep + hostport[:start] + shown.ascii + hostport[start + len(host) :]
    rebuilt = url[:at] + netloc + url[at + len(parts.netloc) :]
    return ShownUrl(visible(rebuilt), shown)


# Scheme, "://", then up to the first character a URL in running text does not hold.
_URL_IN_TEXT = re.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s<>\"'`]+")


def visible_with_ascii_hosts(text: str | None, keep: str = "") -> str:
    """Running text (an action, a warning) made visible, each URL in it with an ASCII host."""
    if not text:
        return ""
    out, last = [], 0
    for match in _URL_IN_TEXT.finditer(text):
        out.append(visible(text[last : match.start()], keep))
        out.append(shown_url(match.group()).text)
        last = match.end()
    out.append(visible(text[last:], keep))
    return "".join(out)
